// Elementwise Add / Mul with b broadcast over what it lacks on the GPU: the twin of host/cpu/binary.c. The
// forward and a's gradient are one thread per element of a; b's gradient is one thread per element of b,
// summing the positions it was broadcast to in the CPU's order (channel-major, then position), so all three
// are bit-identical to the CPU and need no atomics.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

// b's shape as the kernels need it: whether it has a's channels / positions, its image stride.
struct bview {
    const float *p;
    long bs;
    int per_c, per_p; // b has a's channels; b has a's h*w positions
};

static __device__ __forceinline__ long b_index(const bview &b, long hw, long ch, long p)
{
    return (b.per_c ? ch * (b.per_p ? hw : 1) : 0) + (b.per_p ? p : 0);
}

// One thread per element of a: total = n*c*hw; y may be a's view.
__global__ void binary_fwd_kernel1(int mul, int c, long hw, const float *a, long as, bview b, float *y, long ys,
                                   long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long chw = c * hw, n = i / chw, r = i - n * chw, ch = r / hw, p = r - ch * hw;
        float av = a[n * as + r], bv = b.p[n * b.bs + b_index(b, hw, ch, p)];
        y[n * ys + r] = mul ? __fmul_rn(av, bv) : __fadd_rn(av, bv);
    }
}

__global__ void binary_bwd_a_kernel1(int mul, int c, long hw, const float *g, long gs, bview b, float *da, long ds,
                                     long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long chw = c * hw, n = i / chw, r = i - n * chw, ch = r / hw, p = r - ch * hw;
        float gv = g[n * gs + r];
        float t = mul ? __fmul_rn(gv, b.p[n * b.bs + b_index(b, hw, ch, p)]) : gv;
        da[n * ds + r] = __fadd_rn(da[n * ds + r], t);
    }
}

// One thread per element of b (n * bc * bhw of them): the sum over the a elements that read it.
__global__ void binary_bwd_b_kernel1(int mul, int c, long hw, const float *a, long as, const float *g, long gs,
                                     bview b, int bc, long bhw, float *db, long ds, long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long per = bc * bhw, n = i / per, r = i - n * per, j = r / bhw, bp = r - j * bhw;
        long c0 = b.per_c ? j : 0, c1 = b.per_c ? j + 1 : c, p0 = b.per_p ? bp : 0, p1 = b.per_p ? bp + 1 : hw;
        const float *an = a + n * as, *gn = g + n * gs;
        float s = 0.0f;
        for (long ch = c0; ch < c1; ch++)
            for (long p = p0; p < p1; p++) {
                long e = ch * hw + p;
                s = __fadd_rn(s, mul ? __fmul_rn(gn[e], an[e]) : gn[e]);
            }
        db[n * ds + r] = __fadd_rn(db[n * ds + r], s);
    }
}

// As the CPU's b_index: b has a's channels unless it has 1, a's positions unless it is 1x1.
static bview make_bview(fv_tensor b)
{
    bview v;
    v.p = b.data;
    v.bs = b.bstride;
    v.per_c = b.c != 1;
    v.per_p = (long)b.h * b.w != 1;
    return v;
}

extern "C" fv_status fv_binary_fwd_cuda(fv_cuda_ctx *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y)
{
    FV_TRY(fv_check_binary_fwd("binary forward (cuda)", k, a, b, y));
    FV_TRY(fv_cuda_enter(ctx));
    long hw = (long)a.h * a.w, total = (long)a.n * a.c * hw;
    FV_LAUNCH(binary_fwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, k == FV_BINARY_MUL, a.c, hw, a.data, a.bstride, make_bview(b), y.data, y.bstride, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_binary_bwd_cuda(fv_cuda_ctx *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy,
                                        fv_tensor da, fv_tensor db)
{
    FV_TRY(fv_check_binary_bwd("binary backward (cuda)", k, a, b, dy, da, db));
    FV_TRY(fv_cuda_enter(ctx));
    const int mul = k == FV_BINARY_MUL;
    long hw = (long)a.h * a.w, total = (long)a.n * a.c * hw;
    bview bv = make_bview(b);
    if (da.data) {
        FV_LAUNCH(binary_bwd_a_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, mul, a.c, hw, dy.data, dy.bstride, bv, da.data, da.bstride, total);
        FV_CUDA_LAUNCHED();
    }
    if (db.data) {
        long bhw = (long)b.h * b.w, btotal = (long)b.n * b.c * bhw;
        FV_LAUNCH(binary_bwd_b_kernel1, fv_blocks_for(btotal, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, mul, a.c, hw, a.data, a.bstride, dy.data, dy.bstride, bv, b.c, bhw, db.data, db.bstride, btotal);
        FV_CUDA_LAUNCHED();
    }
    return FV_OK;
}
