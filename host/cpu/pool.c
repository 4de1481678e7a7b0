/* CPU reference max / average pooling over windows with explicit asymmetric padding, forward and
 * input gradient. Padding never wins a max and is not counted by an average; a window lying wholly in
 * the padding (not produced by TF SAME or Caffe's rounding, but representable) yields 0 and no gradient. */
#include "backend/ops.h"

static int bad_view(fv_tensor t)
{
    return !t.data || t.n < 1 || t.c < 1 || t.h < 1 || t.w < 1 || t.bstride < fv_tensor_chw(t);
}

static int same_shape(fv_tensor a, fv_tensor b) { return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w; }

static fv_status check_shapes(const fv_pool_desc *d, fv_tensor x, fv_tensor y, const char *what)
{
    const fv_window *k = &d->win;
    if (k->kh < 1 || k->kw < 1 || k->sh < 1 || k->sw < 1 || k->pad_t < 0 || k->pad_l < 0 || k->pad_b < 0 ||
        k->pad_r < 0 || (d->kind != FV_POOL_MAX && d->kind != FV_POOL_AVG))
        return fv_fail(FV_ERR_SHAPE, "pool %s: bad descriptor (k %dx%d s %dx%d pads %d/%d/%d/%d kind %d)", what, k->kh,
                       k->kw, k->sh, k->sw, k->pad_t, k->pad_l, k->pad_b, k->pad_r, (int)d->kind);
    if (bad_view(x) || bad_view(y)) return fv_fail(FV_ERR_SHAPE, "pool %s: empty or inconsistent view", what);
    if (x.h + k->pad_t + k->pad_b < k->kh || x.w + k->pad_l + k->pad_r < k->kw)
        return fv_fail(FV_ERR_SHAPE, "pool %s: window %dx%d larger than padded input %dx%d", what, k->kh, k->kw, x.h,
                       x.w);
    int oh = fv_window_out(x.h, k->kh, k->sh, k->pad_t, k->pad_b);
    int ow = fv_window_out(x.w, k->kw, k->sw, k->pad_l, k->pad_r);
    if (y.n != x.n || y.c != x.c || y.h != oh || y.w != ow)
        return fv_fail(FV_ERR_SHAPE, "pool %s: input (%d,%d,%d,%d) gives output (%d,%d,%d,%d), not (%d,%d,%d,%d)", what,
                       x.n, x.c, x.h, x.w, x.n, x.c, oh, ow, y.n, y.c, y.h, y.w);
    return FV_OK;
}

/* The in-image part [y0, y1) x [x0, x1) of output (oy, ox)'s window. */
static void clip_window(const fv_window *k, int h, int w, int oy, int ox, int *y0, int *y1, int *x0, int *x1)
{
    int ys = oy * k->sh - k->pad_t, xs = ox * k->sw - k->pad_l;
    *y0 = ys < 0 ? 0 : ys;
    *x0 = xs < 0 ? 0 : xs;
    *y1 = ys + k->kh > h ? h : ys + k->kh;
    *x1 = xs + k->kw > w ? w : xs + k->kw;
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
    FV_TRY(check_shapes(d, x, y, "forward"));
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
                        v = s / (float)((y1 - y0) * (x1 - x0));
                    }
                    yp[(long)oy * y.w + ox] = v;
                }
        }
    return FV_OK;
}

fv_status fv_pool_bwd_cpu(const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(check_shapes(d, x, y, "backward"));
    if (bad_view(dy) || bad_view(dx) || !same_shape(dy, y) || !same_shape(dx, x))
        return fv_fail(FV_ERR_SHAPE, "pool backward: dy (%d,%d,%d,%d) / dx (%d,%d,%d,%d) do not match y / x", dy.n,
                       dy.c, dy.h, dy.w, dx.n, dx.c, dx.h, dx.w);
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
                        float share = g / (float)((y1 - y0) * (x1 - x0));
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) dp[(long)iy * x.w + ix] += share;
                    }
                }
        }
    return FV_OK;
}
