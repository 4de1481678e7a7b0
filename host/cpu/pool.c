/* CPU reference max / average pooling over windows with explicit asymmetric padding, forward and
 * input gradient. Padding never wins a max and is not counted by an average unless count_pad says so
 * (ONNX count_include_pad); a window lying wholly in the padding (not produced by TF SAME or Caffe's
 * rounding, but representable) yields 0 and no gradient. */
#include "backend/checks.h"

/* The in-image part [y0, y1) x [x0, x1) of output (oy, ox)'s window. */
static void clip_window(const fv_window *k, int h, int w, int oy, int ox, int *y0, int *y1, int *x0, int *x1)
{
    int ys = oy * k->sh - k->pad_t, xs = ox * k->sw - k->pad_l;
    *y0 = ys < 0 ? 0 : ys;
    *x0 = xs < 0 ? 0 : xs;
    *y1 = ys + k->kh > h ? h : ys + k->kh;
    *x1 = xs + k->kw > w ? w : xs + k->kw;
}

/* The divisor of output (oy, ox)'s average, whose in-image part is [y0, y1) x [x0, x1): that part's size,
 * or with count_pad the window clipped to the input and its explicit padding (not ceil-mode's overhang). */
static float avg_count(const fv_pool_desc *d, int h, int w, int oy, int ox, int y0, int y1, int x0, int x1)
{
    if (!d->count_pad) return (float)((y1 - y0) * (x1 - x0));
    const fv_window *k = &d->win;
    int ys = oy * k->sh - k->pad_t, xs = ox * k->sw - k->pad_l, ye = ys + k->kh, xe = xs + k->kw;
    int ylim = h + k->pad_b - d->over_b, xlim = w + k->pad_r - d->over_r;
    if (ye > ylim) ye = ylim;
    if (xe > xlim) xe = xlim;
    return (float)((ye - ys) * (xe - xs));
}

/* Index within the plane of the first (row-major) maximum of the clipped window, -1 if it is empty. */
static long first_max(const float *p, int w, int y0, int y1, int x0, int x1)
{
    long best = -1;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) {
            long i = (long)iy * w + ix;
            if (best < 0 || p[i] > p[best]) best = i;
        }
    return best;
}

fv_status fv_pool_fwd_cpu(const fv_pool_desc *d, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_pool_fwd("pool forward", d, x, y));
    const fv_window *k = &d->win;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < x.n; b++)
        for (int c = 0; c < x.c; c++) {
            const float *xp = fv_tensor_img(x, b) + (long)c * x.h * x.w;
            float *yp = fv_tensor_img(y, b) + (long)c * y.h * y.w;
            for (int oy = 0; oy < y.h; oy++)
                for (int ox = 0; ox < y.w; ox++) {
                    int y0, y1, x0, x1;
                    clip_window(k, x.h, x.w, oy, ox, &y0, &y1, &x0, &x1);
                    float v = 0.0f;
                    if (d->kind == FV_POOL_MAX) {
                        long i = first_max(xp, x.w, y0, y1, x0, x1);
                        if (i >= 0) v = xp[i];
                    } else if (y1 > y0 && x1 > x0) {
                        float s = 0.0f;
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) s += xp[(long)iy * x.w + ix];
                        v = s / avg_count(d, x.h, x.w, oy, ox, y0, y1, x0, x1);
                    }
                    yp[(long)oy * y.w + ox] = v;
                }
        }
    return FV_OK;
}

fv_status fv_pool_bwd_cpu(const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_pool_bwd("pool backward", d, x, y, dy, dx));
    const fv_window *k = &d->win;
    /* Windows overlap only within one plane, so planes can run in parallel without races. */
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < x.n; b++)
        for (int c = 0; c < x.c; c++) {
            const float *xp = fv_tensor_img(x, b) + (long)c * x.h * x.w;
            const float *gp = fv_tensor_img(dy, b) + (long)c * y.h * y.w;
            float *dp = fv_tensor_img(dx, b) + (long)c * x.h * x.w;
            for (int oy = 0; oy < y.h; oy++)
                for (int ox = 0; ox < y.w; ox++) {
                    int y0, y1, x0, x1;
                    clip_window(k, x.h, x.w, oy, ox, &y0, &y1, &x0, &x1);
                    float g = gp[(long)oy * y.w + ox];
                    if (d->kind == FV_POOL_MAX) {
                        long i = first_max(xp, x.w, y0, y1, x0, x1);
                        if (i >= 0) dp[i] += g;
                    } else if (y1 > y0 && x1 > x0) {
                        float share = g / avg_count(d, x.h, x.w, oy, ox, y0, y1, x0, x1);
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) dp[(long)iy * x.w + ix] += share;
                    }
                }
        }
    return FV_OK;
}
