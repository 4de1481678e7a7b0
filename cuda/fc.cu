// Fully connected layer on the GPU with cuBLAS, forward and input gradient, one SGEMM over the batch:
// the twin of host/cpu/fc.c. Each image of a view is c*h*w contiguous floats, so a view's bstride is the
// GEMM's leading dimension and slice views need no copies.
#include <climits>

#include "backend/checks.h"
#include "ops_cuda.h"
#include "cuda/launch.h"

// y[b][o] = bias[o] for every image b, rows ys floats apart: the C that the GEMM then adds to (beta = 1),
// the same order of operations as the CPU.
__global__ void fc_bias_kernel1(const float *bias, int nout, float *y, long ys, long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long b = i / nout, o = i - b * nout;
        y[b * ys + o] = bias[o];
    }
}

extern "C" fv_status fv_fc_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, const float *wt, const float *bias, int nout,
                                    fv_tensor y)
{
    FV_TRY(fv_check_fc_fwd("fc forward (cuda)", x, wt, nout, y));
    if (fv_tensor_chw(x) > INT_MAX || x.bstride > INT_MAX || y.bstride > INT_MAX)
        return fv_fail(FV_ERR_SHAPE, "fc forward (cuda): sizes exceed cuBLAS's int");
    FV_TRY(fv_cuda_enter(ctx));
    int nin = (int)fv_tensor_chw(x);
    float one = 1.0f, beta = 0.0f;
    if (bias) {
        long total = (long)x.n * nout;
        FV_LAUNCH(fc_bias_kernel1, fv_blocks_for(total, FV_GRID_CAP_NARROW), 256, 0, ctx->stream, bias, nout, y.data, y.bstride, total);
        FV_CUDA_LAUNCHED();
        beta = 1.0f;
    }
    /* Row-major Y (n, nout) = X (n, nin) * W^T, W row-major (nout, nin). cuBLAS is column-major: a row-major
     * matrix with leading dimension ld is its transpose in column-major with the same ld, so compute
     *   Y^T (nout x n, ld y.bstride) = W (nout x nin) * X^T (nin x n),
     * where W's buffer read column-major is W^T (nin x nout, ld nin) -> op T, and X's buffer read column-major
     * is X^T (nin x n, ld x.bstride) -> op N. m = nout, n = batch, k = nin. */
    FV_CUBLAS_CHECK(cublasSgemm(ctx->cublas, CUBLAS_OP_T, CUBLAS_OP_N, nout, x.n, nin, &one, wt, nin, x.data,
                                (int)x.bstride, &beta, y.data, (int)y.bstride));
    return FV_OK;
}

extern "C" fv_status fv_fc_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor dy, const float *wt, fv_tensor dx)
{
    FV_TRY(fv_check_fc_bwd("fc backward (cuda)", dy, wt, dx));
    if (fv_tensor_chw(dx) > INT_MAX || dx.bstride > INT_MAX || dy.bstride > INT_MAX)
        return fv_fail(FV_ERR_SHAPE, "fc backward (cuda): sizes exceed cuBLAS's int");
    FV_TRY(fv_cuda_enter(ctx));
    int nin = (int)fv_tensor_chw(dx), nout = dy.c;
    const float one = 1.0f;
    /* Row-major dX (n, nin) += dY (n, nout) * W (nout, nin). Column-major, as above:
     *   dX^T (nin x n, ld dx.bstride) += W^T (nin x nout) * dY^T (nout x n),
     * where W's buffer read column-major already is W^T (ld nin) -> op N, and dY's buffer read column-major is
     * dY^T (nout x n, ld dy.bstride) -> op N. m = nin, n = batch, k = nout; beta = 1 accumulates. */
    FV_CUBLAS_CHECK(cublasSgemm(ctx->cublas, CUBLAS_OP_N, CUBLAS_OP_N, nin, dx.n, nout, &one, wt, nin, dy.data,
                                (int)dy.bstride, &one, dx.data, (int)dx.bstride));
    return FV_OK;
}
