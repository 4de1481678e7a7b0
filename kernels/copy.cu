// Copy with a reshape on the GPU (Flatten, Reshape to 2-D, Identity, a slice of a concatenation): the twin of
// host/cpu/copy.c: each image's floats copied (forward) or added (backward), one thread per element, every view
// through its bstride. Bit-identical.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

__global__ void copy_kernel1(long chw, const float *x, long xs, float *y, long ys, long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long n = i / chw, r = i - n * chw;
        y[n * ys + r] = x[n * xs + r];
    }
}

__global__ void copy_add_kernel1(long chw, const float *g, long gs, float *dx, long ds, long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long n = i / chw, r = i - n * chw;
        dx[n * ds + r] = __fadd_rn(dx[n * ds + r], g[n * gs + r]);
    }
}

extern "C" fv_status fv_copy_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_copy("copy forward (cuda)", x, y));
    FV_TRY(fv_cuda_enter(ctx));
    long chw = fv_tensor_chw(x), total = (long)x.n * chw;
    FV_LAUNCH(copy_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, chw, x.data, x.bstride, y.data, y.bstride, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_copy_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_copy("copy backward (cuda)", dy, dx));
    FV_TRY(fv_cuda_enter(ctx));
    long chw = fv_tensor_chw(dx), total = (long)dx.n * chw;
    FV_LAUNCH(copy_add_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, chw, dy.data, dy.bstride, dx.data, dx.bstride, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
