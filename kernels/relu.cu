// ReLU on the GPU: the twin of host/cpu/relu.c (forward; backward accumulating into dx, ordinary or
// Lucid's redirected form). Every kernel honours each view's bstride. Element-for-element the same
// comparisons as the CPU, so results are bit-identical (the backward is a single float add per element).
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

// Images handled per launch of the redirected backward: its per-image "live" flags sit in the context's
// scratch buffer, so no call ever allocates (batches above it are processed in chunks).
#define FV_RELU_CHUNK 4096
static_assert(FV_RELU_CHUNK * sizeof(int) <= FV_CUDA_SCRATCH_BYTES, "live flags must fit the scratch buffer");

// 2-D grids throughout: blockIdx.y walks images (grid-stride), x a grid-stride loop over one image's
// chw elements, so the per-image offset b*bstride needs no 64-bit division per element.
static dim3 grid_for(long chw, long n)
{
    long bx = (chw + 255) / 256;
    if (bx > 65535L * 16) bx = 65535L * 16; // grid-stride covers the rest
    long by = n < 65535 ? n : 65535;
    return dim3((unsigned)bx, (unsigned)by);
}

__global__ void relu_fwd_kernel1(int n, long chw, const float *x, long xs, float *y, long ys)
{
    for (long b = blockIdx.y; b < n; b += gridDim.y) {
        const float *xb = x + b * xs;
        float *yb = y + b * ys;
        for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < chw; i += (long)gridDim.x * blockDim.x) {
            float v = xb[i];
            yb[i] = v > 0.0f ? v : 0.0f;
        }
    }
}

// Ordinary backward: dx += x > 0 ? dy : 0 (the CPU adds the 0.0f too, which matters for -0.0 in dx).
__global__ void relu_bwd_kernel1(int n, long chw, const float *x, long xs, const float *g, long gs, float *d,
                                 long ds)
{
    for (long b = blockIdx.y; b < n; b += gridDim.y) {
        const float *xb = x + b * xs, *gb = g + b * gs;
        float *db = d + b * ds;
        for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < chw; i += (long)gridDim.x * blockDim.x)
            db[i] += xb[i] > 0.0f ? gb[i] : 0.0f;
    }
}

// Redirect, pass 1: live[b] |= (some element has !(x < 0) && dy != 0). One atomicOr per block and
// image (after a block-wide OR), not per element, so a live image costs no atomic contention.
// The image loop is uniform across the block, so __syncthreads_or is reached by every thread.
__global__ void relu_live_kernel1(int n, long chw, const float *x, long xs, const float *g, long gs, int *live)
{
    for (long b = blockIdx.y; b < n; b += gridDim.y) {
        const float *xb = x + b * xs, *gb = g + b * gs;
        int any = 0;
        for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < chw && !any; i += (long)gridDim.x * blockDim.x)
            any = !(xb[i] < 0.0f) && gb[i] != 0.0f;
        if (__syncthreads_or(any) && threadIdx.x == 0) atomicOr(&live[b], 1);
    }
}

// Redirect, pass 2: the CPU's two branches, chosen per image by its flag.
__global__ void relu_redirect_kernel1(int n, long chw, const float *x, long xs, const float *g, long gs, float *d,
                                      long ds, const int *live)
{
    for (long b = blockIdx.y; b < n; b += gridDim.y) {
        const float *xb = x + b * xs, *gb = g + b * gs;
        float *db = d + b * ds;
        const int lv = live[b];
        for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < chw; i += (long)gridDim.x * blockDim.x) {
            float xv = xb[i], gv = gb[i];
            if (lv)
                db[i] += xv < 0.0f ? 0.0f : gv;
            else
                db[i] += (xv < 0.0f && gv < 0.0f) ? 0.0f : gv;
        }
    }
}

extern "C" fv_status fv_relu_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_relu_fwd("relu forward (cuda)", x, y));
    FV_TRY(fv_cuda_enter(ctx));
    long chw = fv_tensor_chw(x);
    FV_LAUNCH(relu_fwd_kernel1, grid_for(chw, x.n), 256, 0, ctx->stream, x.n, chw, x.data, x.bstride, y.data, y.bstride);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_relu_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect)
{
    FV_TRY(fv_check_relu_bwd("relu backward (cuda)", x, dy, dx));
    FV_TRY(fv_cuda_enter(ctx));
    long chw = fv_tensor_chw(x);
    if (!redirect) {
        FV_LAUNCH(relu_bwd_kernel1, grid_for(chw, x.n), 256, 0, ctx->stream, x.n, chw, x.data, x.bstride, dy.data, dy.bstride, dx.data, dx.bstride);
        FV_CUDA_LAUNCHED();
        return FV_OK;
    }
    int *live = (int *)ctx->scratch;
    // Chunks are stream-ordered, so reusing the flags for the next chunk is safe.
    for (int b0 = 0; b0 < x.n; b0 += FV_RELU_CHUNK) {
        int nb = x.n - b0 < FV_RELU_CHUNK ? x.n - b0 : FV_RELU_CHUNK;
        const float *xp = x.data + (long)b0 * x.bstride, *gp = dy.data + (long)b0 * dy.bstride;
        float *dp = dx.data + (long)b0 * dx.bstride;
        FV_CUDA_CHECK(cudaMemsetAsync(live, 0, sizeof(int) * nb, ctx->stream));
        dim3 grid = grid_for(chw, nb);
        FV_LAUNCH(relu_live_kernel1, grid, 256, 0, ctx->stream, nb, chw, xp, x.bstride, gp, dy.bstride, live);
        FV_CUDA_LAUNCHED();
        FV_LAUNCH(relu_redirect_kernel1, grid, 256, 0, ctx->stream, nb, chw, xp, x.bstride, gp, dy.bstride, dp, dx.bstride, live);
        FV_CUDA_LAUNCHED();
    }
    return FV_OK;
}
