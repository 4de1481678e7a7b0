/* CPU reference 2-D convolution: forward and input-gradient (backward data), via im2col/col2im and
 * OpenBLAS SGEMM, one image and one group at a time (groups, depthwise and dilated kernels as backend/ops.h
 * says). 1x1 / stride-1 / unpadded convolutions skip im2col because an image of a view (even a channel
 * slice of a concat buffer) is already the (cin, h*w) column matrix. */
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
    long oh = fv_window_out(h, fv_conv_ext_h(d), k->sh, k->pad_t, k->pad_b);
    long ow = fv_window_out(w, fv_conv_ext_w(d), k->sw, k->pad_l, k->pad_r);
    if (oh < 1 || ow < 1) return 0;
    return (size_t)d->cin * k->kh * k->kw * oh * ow;
}

/* col[(c*kh + i)*kw + j][oy*ow + ox] = x[c][oy*sh - pad_t + i*dh][ox*sw - pad_l + j*dw], 0 outside. */
static void im2col(const fv_conv_desc *d, const float *x, int c, int h, int w, int oh, int ow, float *col)
{
    const fv_window *k = &d->win;
    const int dh = fv_conv_dh(d), dw = fv_conv_dw(d);
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < c; ch++) {
        const float *xc = x + (long)ch * h * w;
        for (int i = 0; i < k->kh; i++)
            for (int j = 0; j < k->kw; j++) {
                float *row = col + ((long)(ch * k->kh + i) * k->kw + j) * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * k->sh - k->pad_t + i * dh;
                    float *r = row + (long)oy * ow;
                    if (iy < 0 || iy >= h) {
                        memset(r, 0, sizeof(float) * ow);
                        continue;
                    }
                    const float *xr = xc + (long)iy * w;
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox * k->sw - k->pad_l + j * dw;
                        r[ox] = (ix >= 0 && ix < w) ? xr[ix] : 0.0f;
                    }
                }
            }
    }
}

/* Adjoint of im2col, accumulating: x[c][iy][ix] += every column entry that im2col copied from there.
 * Each thread owns whole channels of x, so the scatter has no races. */
static void col2im_add(const fv_conv_desc *d, const float *col, int c, int h, int w, int oh, int ow, float *x)
{
    const fv_window *k = &d->win;
    const int dh = fv_conv_dh(d), dw = fv_conv_dw(d);
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < c; ch++) {
        float *xc = x + (long)ch * h * w;
        for (int i = 0; i < k->kh; i++)
            for (int j = 0; j < k->kw; j++) {
                const float *row = col + ((long)(ch * k->kh + i) * k->kw + j) * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * k->sh - k->pad_t + i * dh;
                    if (iy < 0 || iy >= h) continue;
                    const float *r = row + (long)oy * ow;
                    float *xr = xc + (long)iy * w;
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox * k->sw - k->pad_l + j * dw;
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
    /* Per group g: y_g (cog, ohw) = W_g (cog, kdim) * col_g (kdim, ohw), where the rows of the image's
     * column matrix and of W are grouped contiguously. */
    const int G = fv_conv_groups(d), cog = d->cout / G, kdim = d->cin / G * k->kh * k->kw, ohw = y.h * y.w;
    for (int b = 0; b < x.n; b++) {
        const float *xb = fv_tensor_img(x, b);
        float *yb = fv_tensor_img(y, b);
        const float *colm = xb;
        if (!pointwise) {
            im2col(d, xb, x.c, x.h, x.w, y.h, y.w, work);
            colm = work;
        }
        float beta = 0.0f;
        if (bias) {
            for (int o = 0; o < d->cout; o++)
                for (int p = 0; p < ohw; p++) yb[(long)o * ohw + p] = bias[o];
            beta = 1.0f;
        }
        /* ldc = ohw keeps the image block contiguous even when y is a slice view. */
        for (int g = 0; g < G; g++)
            fv_sgemm_cpu(CblasNoTrans, CblasNoTrans, cog, ohw, kdim, 1.0f, wt + (long)g * cog * kdim, kdim,
                         colm + (long)g * kdim * ohw, ohw, beta, yb + (long)g * cog * ohw, ohw);
    }
    return FV_OK;
}

fv_status fv_conv2d_bwd_data_cpu(const fv_conv_desc *d, fv_tensor dy, const float *wt, fv_tensor dx, float *work)
{
    FV_TRY(fv_check_conv2d("conv backward", d, dx, dy, wt));
    const fv_window *k = &d->win;
    int pointwise = is_pointwise(k);
    if (!pointwise && !work) return fv_fail(FV_ERR_ARG, "conv backward: col2im workspace missing");
    const int G = fv_conv_groups(d), cog = d->cout / G, cig = d->cin / G, kdim = cig * k->kh * k->kw;
    const int ohw = dy.h * dy.w;
    for (int b = 0; b < dy.n; b++) {
        const float *dyb = fv_tensor_img(dy, b);
        float *dxb = fv_tensor_img(dx, b);
        for (int g = 0; g < G; g++) {
            const float *wg = wt + (long)g * cog * kdim, *dyg = dyb + (long)g * cog * ohw;
            if (pointwise) /* dx_g (cig, hw) += W_g^T (cig, cog) * dy_g (cog, hw), straight into dx. */
                fv_sgemm_cpu(CblasTrans, CblasNoTrans, cig, ohw, cog, 1.0f, wg, cig, dyg, ohw, 1.0f,
                             dxb + (long)g * cig * ohw, ohw);
            else
                fv_sgemm_cpu(CblasTrans, CblasNoTrans, kdim, ohw, cog, 1.0f, wg, kdim, dyg, ohw, 0.0f,
                             work + (long)g * kdim * ohw, ohw);
        }
        if (!pointwise) col2im_add(d, work, dx.c, dx.h, dx.w, dy.h, dy.w, dxb);
    }
    return FV_OK;
}
