// Per-channel affine map y = x * scale[c] + shift[c] on the GPU: the twin of host/cpu/affine.c (forward;
// backward accumulating dy * scale[c] into dx). scale and shift are device arrays (the network's weights);
// the _rn intrinsics round the product and the sum apart, as the CPU does: bit-identical.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

__global__ void affine_fwd_kernel1(int c, long hw, const float *x, long xs, const float *scale, const float *shift,
                                   float *y, long ys, long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long chw = c * hw, n = i / chw, r = i - n * chw, ch = r / hw;
        float v = __fmul_rn(x[n * xs + r], scale[ch]);
        y[n * ys + r] = shift ? __fadd_rn(v, shift[ch]) : __fadd_rn(v, 0.0f);
    }
}

__global__ void affine_bwd_kernel1(int c, long hw, const float *g, long gs, const float *scale, float *dx, long ds,
                                   long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long chw = c * hw, n = i / chw, r = i - n * chw, ch = r / hw;
        dx[n * ds + r] = __fadd_rn(dx[n * ds + r], __fmul_rn(g[n * gs + r], scale[ch]));
    }
}

extern "C" fv_status fv_affine_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, const float *scale, const float *shift,
                                        fv_tensor y)
{
    FV_TRY(fv_check_affine_fwd("affine forward (cuda)", x, scale, y));
    FV_TRY(fv_cuda_enter(ctx));
    long hw = (long)x.h * x.w, total = (long)x.n * x.c * hw;
    FV_LAUNCH(affine_fwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, x.c, hw, x.data, x.bstride, scale, shift, y.data, y.bstride, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_affine_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor dy, const float *scale, fv_tensor dx)
{
    FV_TRY(fv_check_affine_bwd("affine backward (cuda)", dy, scale, dx));
    FV_TRY(fv_cuda_enter(ctx));
    long hw = (long)dy.h * dy.w, total = (long)dy.n * dy.c * hw;
    FV_LAUNCH(affine_bwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, dy.c, hw, dy.data, dy.bstride, scale, dx.data, dx.bstride, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
