// Lucid's standard_transforms chain on the GPU: the twin of host/cpu/tfchain.c. The forward gathers one
// output pixel per thread, step by step in the CPU's float32 order (the _rn intrinsics stop nvcc from
// contracting into FMAs, which could move a round() or floor() across an integer); the backward
// scatters each output's gradient into its four source taps with atomicAdd.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

// Chains travel by value as a kernel argument, FV_TFCHAIN_CHUNK images per launch (64 bytes each: 2 KiB).
#define FV_TFCHAIN_CHUNK 32
struct fv_chains_arg {
    fv_tfchain c[FV_TFCHAIN_CHUNK];
};

struct chain_taps {
    int inside, x0, x1, y0, y1;
    float lx, ly;
};

static __device__ __forceinline__ chain_taps taps(const fv_tfchain &c, int x, int y)
{
    chain_taps t = {0, 0, 0, 0, 0, 0.0f, 0.0f};
    const float rx = (float)(x + c.ox2), ry = (float)(y + c.oy2);
    const float fx = __fadd_rn(__fadd_rn(__fmul_rn(c.cosa, rx), __fmul_rn(-c.sina, ry)), c.xoff);
    const float fy = __fadd_rn(__fadd_rn(__fmul_rn(c.sina, rx), __fmul_rn(c.cosa, ry)), c.yoff);
    const float px = roundf(fx), py = roundf(fy); // halves away from zero, as std::round
    if (!(px >= 0.0f && px < (float)c.m && py >= 0.0f && py < (float)c.m)) return t;
    const float sc = __fdiv_rn((float)c.c1, (float)c.m);
    const float inx = __fmul_rn(px, sc), iny = __fmul_rn(py, sc);
    const float fx0 = floorf(inx), fy0 = floorf(iny);
    t.inside = 1;
    t.x0 = (int)fx0 > 0 ? (int)fx0 : 0;
    t.y0 = (int)fy0 > 0 ? (int)fy0 : 0;
    t.x1 = (int)ceilf(inx) < c.c1 - 1 ? (int)ceilf(inx) : c.c1 - 1;
    t.y1 = (int)ceilf(iny) < c.c1 - 1 ? (int)ceilf(iny) : c.c1 - 1;
    t.lx = __fsub_rn(inx, fx0);
    t.ly = __fsub_rn(iny, fy0);
    return t;
}

static __device__ __forceinline__ long src_index(const fv_tfchain &c, int cx, int cy)
{
    const int ix = cx + c.ox1 - c.pad, iy = cy + c.oy1 - c.pad;
    if (ix < 0 || ix >= c.size || iy < 0 || iy >= c.size) return -1;
    return (long)iy * c.size + ix;
}

// One thread per output element of the chunk's images.
__global__ void tfchain_fwd_kernel1(fv_chains_arg ch, int c, const float *src, float *dst, long total)
{
    const int S = ch.c[0].size, N = ch.c[0].n;
    const long nn = (long)N * N;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        const long pl = i / nn, r = i - pl * nn;
        const int y = (int)(r / N), x = (int)(r - (long)y * N);
        const fv_tfchain &k = ch.c[pl / c];
        const chain_taps t = taps(k, x, y);
        if (!t.inside) {
            dst[i] = k.fill;
            continue;
        }
        const float *s = src + pl * (long)S * S;
        const long i00 = src_index(k, t.x0, t.y0), i01 = src_index(k, t.x1, t.y0);
        const long i10 = src_index(k, t.x0, t.y1), i11 = src_index(k, t.x1, t.y1);
        const float tl = i00 >= 0 ? s[i00] : k.pad_value, tr = i01 >= 0 ? s[i01] : k.pad_value;
        const float bl = i10 >= 0 ? s[i10] : k.pad_value, br = i11 >= 0 ? s[i11] : k.pad_value;
        const float top = __fadd_rn(tl, __fmul_rn(__fsub_rn(tr, tl), t.lx));
        const float bot = __fadd_rn(bl, __fmul_rn(__fsub_rn(br, bl), t.lx));
        dst[i] = __fadd_rn(top, __fmul_rn(__fsub_rn(bot, top), t.ly));
    }
}

// One thread per output element: its gradient goes to the in-image taps by atomicAdd (the order of the
// adds is unspecified, so a pixel fed by several outputs may differ from the CPU in the last bits).
__global__ void tfchain_bwd_kernel1(fv_chains_arg ch, int c, const float *ddst, float *dsrc, long total)
{
    const int S = ch.c[0].size, N = ch.c[0].n;
    const long nn = (long)N * N;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        const float gv = ddst[i];
        if (gv == 0.0f) continue;
        const long pl = i / nn, r = i - pl * nn;
        const int y = (int)(r / N), x = (int)(r - (long)y * N);
        const fv_tfchain &k = ch.c[pl / c];
        const chain_taps t = taps(k, x, y);
        if (!t.inside) continue;
        float *s = dsrc + pl * (long)S * S;
        const long i00 = src_index(k, t.x0, t.y0), i01 = src_index(k, t.x1, t.y0);
        const long i10 = src_index(k, t.x0, t.y1), i11 = src_index(k, t.x1, t.y1);
        const float gx = 1.0f - t.lx, gy = 1.0f - t.ly;
        if (i00 >= 0) atomicAdd(&s[i00], __fmul_rn(__fmul_rn(gv, gy), gx));
        if (i01 >= 0) atomicAdd(&s[i01], __fmul_rn(__fmul_rn(gv, gy), t.lx));
        if (i10 >= 0) atomicAdd(&s[i10], __fmul_rn(__fmul_rn(gv, t.ly), gx));
        if (i11 >= 0) atomicAdd(&s[i11], __fmul_rn(__fmul_rn(gv, t.ly), t.lx));
    }
}

static fv_chains_arg chunk(const fv_tfchain *ch, int b0, int nb)
{
    fv_chains_arg a;
    for (int i = 0; i < FV_TFCHAIN_CHUNK; i++) a.c[i] = ch[b0 + (i < nb ? i : 0)];
    return a;
}

extern "C" fv_status fv_tfchain_fwd_cuda(fv_cuda_ctx *ctx, int nimg, int c, const fv_tfchain *chains, const float *src,
                                         float *dst)
{
    FV_TRY(fv_check_tfchain("tfchain_fwd (cuda)", nimg, c, chains, src, dst));
    if (!nimg || !c) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    const long S = chains[0].size, N = chains[0].n;
    for (int b0 = 0; b0 < nimg; b0 += FV_TFCHAIN_CHUNK) {
        const int nb = nimg - b0 < FV_TFCHAIN_CHUNK ? nimg - b0 : FV_TFCHAIN_CHUNK;
        const long total = (long)nb * c * N * N;
        FV_LAUNCH(tfchain_fwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, chunk(chains, b0, nb), c, src + b0 * c * S * S, dst + b0 * c * N * N, total);
        FV_CUDA_LAUNCHED();
    }
    return FV_OK;
}

extern "C" fv_status fv_tfchain_bwd_cuda(fv_cuda_ctx *ctx, int nimg, int c, const fv_tfchain *chains,
                                         const float *ddst, float *dsrc)
{
    FV_TRY(fv_check_tfchain("tfchain_bwd (cuda)", nimg, c, chains, ddst, dsrc));
    if (!nimg || !c) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    const long S = chains[0].size, N = chains[0].n;
    // Overwrite semantics: zero, then scatter.
    FV_CUDA_CHECK(cudaMemsetAsync(dsrc, 0, sizeof(float) * (size_t)nimg * c * S * S, ctx->stream));
    for (int b0 = 0; b0 < nimg; b0 += FV_TFCHAIN_CHUNK) {
        const int nb = nimg - b0 < FV_TFCHAIN_CHUNK ? nimg - b0 : FV_TFCHAIN_CHUNK;
        const long total = (long)nb * c * N * N;
        FV_LAUNCH(tfchain_bwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, chunk(chains, b0, nb), c, ddst + b0 * c * N * N, dsrc + b0 * c * S * S, total);
        FV_CUDA_LAUNCHED();
    }
    return FV_OK;
}
