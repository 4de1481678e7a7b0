// Affine bilinear resampling with constant padding on the GPU: the twin of host/cpu/resample.c. The
// forward gathers one output pixel per thread (bit-identical to the CPU); the backward scatters each
// output's gradient into its four source taps with atomicAdd.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

// The maps travel as a kernel argument, by value, FV_RESAMPLE_CHUNK images per launch (24 bytes each:
// 3 KiB, inside the classic 4 KiB parameter limit). Arguments are snapshotted at launch, so there is no
// device buffer to allocate, no copy to order against other launches, and the host array may change as
// soon as the call returns. Larger batches take several launches.
#define FV_RESAMPLE_CHUNK 128
struct fv_maps_arg {
    fv_affine m[FV_RESAMPLE_CHUNK];
};

typedef struct fv_taps {
    int x0, y0, far;
    float fx, fy;
} fv_taps;

// As fv_taps_at in resample.c. The _rn intrinsics stop nvcc contracting a*x + b*y + c into FMAs, which
// would round differently from the CPU (C11, no contraction) and could move floor() across an integer.
static __device__ __forceinline__ fv_taps taps_at(const float *a, int x, int y, int h, int w)
{
    fv_taps t = {0, 0, 0, 0.0f, 0.0f};
    float sx = __fadd_rn(__fadd_rn(__fmul_rn(a[0], (float)x), __fmul_rn(a[1], (float)y)), a[2]);
    float sy = __fadd_rn(__fadd_rn(__fmul_rn(a[3], (float)x), __fmul_rn(a[4], (float)y)), a[5]);
    // !(in range) also catches NaN, and keeps huge coordinates away from the int conversion
    if (!(sx > -1.0f && sx < (float)w && sy > -1.0f && sy < (float)h)) {
        t.far = 1;
        return t;
    }
    float fx0 = floorf(sx), fy0 = floorf(sy);
    t.x0 = (int)fx0, t.y0 = (int)fy0;
    t.fx = sx - fx0, t.fy = sy - fy0;
    return t;
}

static __device__ __forceinline__ int in_range(int v, int n) { return v >= 0 && v < n; }

// One thread per output element of nb images (the chunk's first image is maps.m[0]).
__global__ void resample_fwd_kernel1(fv_maps_arg maps, int c, int h, int w, const float *src, float pad, int oh,
                                     int ow, float *dst, long total)
{
    const long ohw = (long)oh * ow;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long pl = i / ohw;
        long r = i - pl * ohw;
        int y = (int)(r / ow), x = (int)(r - (long)y * ow);
        const float *a = maps.m[pl / c].a;
        fv_taps t = taps_at(a, x, y, h, w);
        if (t.far) {
            dst[i] = pad;
            continue;
        }
        const float *s = src + pl * h * (long)w;
        int x1 = t.x0 + 1, y1 = t.y0 + 1;
        int ix0 = in_range(t.x0, w), ix1 = in_range(x1, w), iy0 = in_range(t.y0, h), iy1 = in_range(y1, h);
        float p00 = ix0 && iy0 ? s[(long)t.y0 * w + t.x0] : pad;
        float p01 = ix1 && iy0 ? s[(long)t.y0 * w + x1] : pad;
        float p10 = ix0 && iy1 ? s[(long)y1 * w + t.x0] : pad;
        float p11 = ix1 && iy1 ? s[(long)y1 * w + x1] : pad;
        float gx = 1.0f - t.fx, gy = 1.0f - t.fy;
        // gy * (gx*p00 + fx*p01) + fy * (gx*p10 + fx*p11), rounded step by step as the CPU does
        float top = __fadd_rn(__fmul_rn(gx, p00), __fmul_rn(t.fx, p01));
        float bot = __fadd_rn(__fmul_rn(gx, p10), __fmul_rn(t.fx, p11));
        dst[i] = __fadd_rn(__fmul_rn(gy, top), __fmul_rn(t.fy, bot));
    }
}

// One thread per output element: its gradient goes to the in-image taps by atomicAdd. The products
// match the CPU's bit for bit, but the order in which the adds land is unspecified, so a source pixel
// fed by several outputs can differ from the CPU (and between runs) in the last bits.
__global__ void resample_bwd_kernel1(fv_maps_arg maps, int c, int h, int w, int oh, int ow, const float *ddst,
                                     float *dsrc, long total)
{
    const long ohw = (long)oh * ow;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        float gv = ddst[i];
        if (gv == 0.0f) continue; // as the CPU: zero gradients add nothing (not even a -0.0)
        long pl = i / ohw;
        long r = i - pl * ohw;
        int y = (int)(r / ow), x = (int)(r - (long)y * ow);
        fv_taps t = taps_at(maps.m[pl / c].a, x, y, h, w);
        if (t.far) continue;
        float *s = dsrc + pl * h * (long)w;
        int x1 = t.x0 + 1, y1 = t.y0 + 1;
        int ix0 = in_range(t.x0, w), ix1 = in_range(x1, w), iy0 = in_range(t.y0, h), iy1 = in_range(y1, h);
        float gx = 1.0f - t.fx, gy = 1.0f - t.fy;
        if (ix0 && iy0) atomicAdd(&s[(long)t.y0 * w + t.x0], __fmul_rn(__fmul_rn(gv, gy), gx));
        if (ix1 && iy0) atomicAdd(&s[(long)t.y0 * w + x1], __fmul_rn(__fmul_rn(gv, gy), t.fx));
        if (ix0 && iy1) atomicAdd(&s[(long)y1 * w + t.x0], __fmul_rn(__fmul_rn(gv, t.fy), gx));
        if (ix1 && iy1) atomicAdd(&s[(long)y1 * w + x1], __fmul_rn(__fmul_rn(gv, t.fy), t.fx));
    }
}

static fv_maps_arg chunk_maps(const fv_affine *maps, int b0, int nb)
{
    fv_maps_arg m;
    for (int i = 0; i < FV_RESAMPLE_CHUNK; i++) m.m[i] = maps[b0 + (i < nb ? i : 0)];
    return m;
}

extern "C" fv_status fv_resample_fwd_cuda(fv_cuda_ctx *ctx, int n, int c, int h, int w, const float *src,
                                          const fv_affine *maps, float pad, int oh, int ow, float *dst)
{
    FV_TRY(fv_check_resample("resample_fwd (cuda)", n, c, h, w, oh, ow, src, dst, maps));
    if ((long)n * c * oh * ow == 0) return FV_OK; // nothing to write (CPU: empty loops)
    FV_TRY(fv_cuda_enter(ctx));
    for (int b0 = 0; b0 < n; b0 += FV_RESAMPLE_CHUNK) {
        int nb = n - b0 < FV_RESAMPLE_CHUNK ? n - b0 : FV_RESAMPLE_CHUNK;
        long total = (long)nb * c * oh * ow;
        FV_LAUNCH(resample_fwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, chunk_maps(maps, b0, nb), c, h, w, src + (long)b0 * c * h * w, pad, oh, ow, dst + (long)b0 * c * oh * ow, total);
        FV_CUDA_LAUNCHED();
    }
    return FV_OK;
}

extern "C" fv_status fv_resample_bwd_cuda(fv_cuda_ctx *ctx, int n, int c, int h, int w, const fv_affine *maps, int oh,
                                          int ow, const float *ddst, float *dsrc)
{
    FV_TRY(fv_check_resample("resample_bwd (cuda)", n, c, h, w, oh, ow, ddst, dsrc, maps));
    if ((long)n * c == 0) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    // Overwrite semantics: zero, then scatter.
    FV_CUDA_CHECK(cudaMemsetAsync(dsrc, 0, sizeof(float) * (size_t)n * c * h * w, ctx->stream));
    if ((long)oh * ow == 0) return FV_OK;
    for (int b0 = 0; b0 < n; b0 += FV_RESAMPLE_CHUNK) {
        int nb = n - b0 < FV_RESAMPLE_CHUNK ? n - b0 : FV_RESAMPLE_CHUNK;
        long total = (long)nb * c * oh * ow;
        FV_LAUNCH(resample_bwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, chunk_maps(maps, b0, nb), c, h, w, oh, ow, ddst + (long)b0 * c * oh * ow, dsrc + (long)b0 * c * h * w, total);
        FV_CUDA_LAUNCHED();
    }
    return FV_OK;
}
