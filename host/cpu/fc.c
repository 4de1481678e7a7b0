/* CPU reference fully connected layer, forward and input gradient, as one SGEMM over the batch: each
 * image of a view is (c*h*w) contiguous floats, and the view's bstride is the GEMM's leading dimension. */
#include <cblas.h>

#include "backend/checks.h"

fv_status fv_fc_fwd_cpu(fv_tensor x, const float *wt, const float *bias, int nout, fv_tensor y)
{
    FV_TRY(fv_check_fc_fwd("fc forward", x, wt, nout, y));
    int nin = (int)fv_tensor_chw(x);
    float beta = 0.0f;
    if (bias) {
        for (int b = 0; b < x.n; b++)
            for (int o = 0; o < nout; o++) fv_tensor_img(y, b)[o] = bias[o];
        beta = 1.0f;
    }
    /* Y (n, nout) = X (n, nin) * W^T (nin, nout). */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, x.n, nout, nin, 1.0f, x.data, (int)x.bstride, wt, nin, beta,
                y.data, (int)y.bstride);
    return FV_OK;
}

fv_status fv_fc_bwd_cpu(fv_tensor dy, const float *wt, fv_tensor dx)
{
    FV_TRY(fv_check_fc_bwd("fc backward", dy, wt, dx));
    int nin = (int)fv_tensor_chw(dx), nout = dy.c;
    /* dX (n, nin) += dY (n, nout) * W (nout, nin). */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, dx.n, nin, nout, 1.0f, dy.data, (int)dy.bstride, wt, nin,
                1.0f, dx.data, (int)dx.bstride);
    return FV_OK;
}
