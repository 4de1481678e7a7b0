/* CPU reference fully connected layer, forward and input gradient, as one SGEMM over the batch: each
 * image of a view is (c*h*w) contiguous floats, and the view's bstride is the GEMM's leading dimension. */
#include <cblas.h>

#include "backend/ops.h"

static int bad_view(fv_tensor t)
{
    return !t.data || t.n < 1 || t.c < 1 || t.h < 1 || t.w < 1 || t.bstride < fv_tensor_chw(t);
}

fv_status fv_fc_fwd_cpu(fv_tensor x, const float *wt, const float *bias, int nout, fv_tensor y)
{
    if (bad_view(x) || bad_view(y) || nout < 1 || y.n != x.n || y.c != nout || y.h != 1 || y.w != 1)
        return fv_fail(FV_ERR_SHAPE, "fc forward: x (%d,%d,%d,%d) -> y (%d,%d,%d,%d) does not fit nout %d", x.n, x.c,
                       x.h, x.w, y.n, y.c, y.h, y.w, nout);
    if (!wt) return fv_fail(FV_ERR_ARG, "fc forward: no weights");
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
    if (bad_view(dy) || bad_view(dx) || dy.n != dx.n || dy.h != 1 || dy.w != 1)
        return fv_fail(FV_ERR_SHAPE, "fc backward: dy (%d,%d,%d,%d) is not (%d, nout, 1, 1) for dx (%d,%d,%d,%d)", dy.n,
                       dy.c, dy.h, dy.w, dx.n, dx.n, dx.c, dx.h, dx.w);
    if (!wt) return fv_fail(FV_ERR_ARG, "fc backward: no weights");
    int nin = (int)fv_tensor_chw(dx), nout = dy.c;
    /* dX (n, nin) += dY (n, nout) * W (nout, nin). */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, dx.n, nin, nout, 1.0f, dy.data, (int)dy.bstride, wt, nin,
                1.0f, dx.data, (int)dx.bstride);
    return FV_OK;
}
