/* CPU reference 2-D convolution: forward and input-gradient (backward data), via im2col/col2im and
 * OpenBLAS SGEMM, one image at a time. 1x1 / stride-1 / unpadded convolutions skip im2col because an
 * image of a view (even a channel slice of a concat buffer) is already the (cin, h*w) column matrix. */
#include "gemm.h"
#include <string.h>

#include "backend/checks.h"

static int is_pointwise(const fv_window *w)
{
    return w->kh == 1 && w->kw == 1 && w->sh == 1 && w->sw == 1 && w->pad_t == 0 && w->pad_l == 0 && w->pad_b == 0 &&
           w->pad_r == 0;
}

size_t fv_conv2d_workspace_cpu(const fv_conv_desc *d, int n, int h, int w)
{
    (void)n; /* one image at a time */
    if (is_pointwise(&d->win)) return 0;
    const fv_window *k = &d->win;
    long oh = fv_window_out(h, k->kh, k->sh, k->pad_t, k->pad_b);
    long ow = fv_window_out(w, k->kw, k->sw, k->pad_l, k->pad_r);
    if (oh < 1 || ow < 1) return 0;
    return (size_t)d->cin * k->kh * k->kw * oh * ow;
}

/* col[(c*kh + i)*kw + j][oy*ow + ox] = x[c][oy*sh - pad_t + i][ox*sw - pad_l + j], 0 outside. */
static void im2col(const fv_window *k, const float *x, int c, int h, int w, int oh, int ow, float *col)
{
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < c; ch++) {
        const float *xc = x + (long)ch * h * w;
        for (int i = 0; i < k->kh; i++)
            for (int j = 0; j < k->kw; j++) {
                float *row = col + ((long)(ch * k->kh + i) * k->kw + j) * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * k->sh - k->pad_t + i;
                    float *r = row + (long)oy * ow;
                    if (iy < 0 || iy >= h) {
                        memset(r, 0, sizeof(float) * ow);
                        continue;
                    }
                    const float *xr = xc + (long)iy * w;
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox * k->sw - k->pad_l + j;
                        r[ox] = (ix >= 0 && ix < w) ? xr[ix] : 0.0f;
                    }
                }
            }
    }
}

/* Adjoint of im2col, accumulating: x[c][iy][ix] += every column entry that im2col copied from there.
 * Each thread owns whole channels of x, so the scatter has no races. */
static void col2im_add(const fv_window *k, const float *col, int c, int h, int w, int oh, int ow, float *x)
{
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < c; ch++) {
        float *xc = x + (long)ch * h * w;
        for (int i = 0; i < k->kh; i++)
            for (int j = 0; j < k->kw; j++) {
                const float *row = col + ((long)(ch * k->kh + i) * k->kw + j) * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * k->sh - k->pad_t + i;
                    if (iy < 0 || iy >= h) continue;
                    const float *r = row + (long)oy * ow;
                    float *xr = xc + (long)iy * w;
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox * k->sw - k->pad_l + j;
                        if (ix >= 0 && ix < w) xr[ix] += r[ox];
                    }
                }
            }
    }
}

fv_status fv_conv2d_fwd_cpu(const fv_conv_desc *d, fv_tensor x, const float *wt, const float *bias, fv_tensor y,
                            float *work)
{
    FV_TRY(fv_check_conv2d("conv forward", d, x, y, wt));
    const fv_window *k = &d->win;
    int pointwise = is_pointwise(k);
    if (!pointwise && !work) return fv_fail(FV_ERR_ARG, "conv forward: im2col workspace missing");
    int ohw = y.h * y.w, kdim = d->cin * k->kh * k->kw;
    for (int b = 0; b < x.n; b++) {
        const float *xb = fv_tensor_img(x, b);
        float *yb = fv_tensor_img(y, b);
        const float *colm = xb;
        if (!pointwise) {
            im2col(k, xb, x.c, x.h, x.w, y.h, y.w, work);
            colm = work;
        }
        float beta = 0.0f;
        if (bias) {
            for (int o = 0; o < d->cout; o++)
                for (int p = 0; p < ohw; p++) yb[(long)o * ohw + p] = bias[o];
            beta = 1.0f;
        }
        /* y_b (cout, ohw) = W (cout, kdim) * col (kdim, ohw); ldc = ohw keeps the image block contiguous
         * even when y is a slice view. */
        fv_sgemm_cpu(CblasNoTrans, CblasNoTrans, d->cout, ohw, kdim, 1.0f, wt, kdim, colm, ohw, beta, yb,
                    ohw);
    }
    return FV_OK;
}

fv_status fv_conv2d_bwd_data_cpu(const fv_conv_desc *d, fv_tensor dy, const float *wt, fv_tensor dx, float *work)
{
    FV_TRY(fv_check_conv2d("conv backward", d, dx, dy, wt));
    const fv_window *k = &d->win;
    int pointwise = is_pointwise(k);
    if (!pointwise && !work) return fv_fail(FV_ERR_ARG, "conv backward: col2im workspace missing");
    int ohw = dy.h * dy.w, kdim = d->cin * k->kh * k->kw;
    for (int b = 0; b < dy.n; b++) {
        const float *dyb = fv_tensor_img(dy, b);
        float *dxb = fv_tensor_img(dx, b);
        if (pointwise) {
            /* dx_b (cin, hw) += W^T (cin, cout) * dy_b (cout, hw), straight into dx. */
            fv_sgemm_cpu(CblasTrans, CblasNoTrans, d->cin, ohw, d->cout, 1.0f, wt, d->cin, dyb, ohw, 1.0f,
                        dxb, ohw);
            continue;
        }
        fv_sgemm_cpu(CblasTrans, CblasNoTrans, kdim, ohw, d->cout, 1.0f, wt, kdim, dyb, ohw, 0.0f, work,
                    ohw);
        col2im_add(k, work, dx.c, dx.h, dx.w, dy.h, dy.w, dxb);
    }
    return FV_OK;
}
