/* CPU reference ReLU: forward, and the input gradient in its ordinary and Lucid "redirected" forms
 * (gradients are of the objective being ascended). */
#include "backend/ops.h"

static int bad_view(fv_tensor t)
{
    return !t.data || t.n < 1 || t.c < 1 || t.h < 1 || t.w < 1 || t.bstride < fv_tensor_chw(t);
}

static int same_shape(fv_tensor a, fv_tensor b) { return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w; }

fv_status fv_relu_fwd_cpu(fv_tensor x, fv_tensor y)
{
    if (bad_view(x) || bad_view(y) || !same_shape(x, y))
        return fv_fail(FV_ERR_SHAPE, "relu forward: x (%d,%d,%d,%d) and y (%d,%d,%d,%d) differ or are empty", x.n, x.c,
                       x.h, x.w, y.n, y.c, y.h, y.w);
    long chw = fv_tensor_chw(x);
    for (int b = 0; b < x.n; b++) {
        const float *xb = fv_tensor_img(x, b);
        float *yb = fv_tensor_img(y, b);
        for (long i = 0; i < chw; i++) yb[i] = xb[i] > 0.0f ? xb[i] : 0.0f;
    }
    return FV_OK;
}

fv_status fv_relu_bwd_cpu(fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect)
{
    if (bad_view(x) || bad_view(dy) || bad_view(dx) || !same_shape(x, dy) || !same_shape(x, dx))
        return fv_fail(FV_ERR_SHAPE,
                       "relu backward: x (%d,%d,%d,%d), dy (%d,%d,%d,%d), dx (%d,%d,%d,%d) differ or are "
                       "empty",
                       x.n, x.c, x.h, x.w, dy.n, dy.c, dy.h, dy.w, dx.n, dx.c, dx.h, dx.w);
    long chw = fv_tensor_chw(x);
    for (int b = 0; b < x.n; b++) {
        const float *xb = fv_tensor_img(x, b), *gb = fv_tensor_img(dy, b);
        float *db = fv_tensor_img(dx, b);
        if (!redirect) {
            for (long i = 0; i < chw; i++) db[i] += xb[i] > 0.0f ? gb[i] : 0.0f;
            continue;
        }
        /* Lucid's redirected ReLU decides per image: its ordinary gradient (which passes at x == 0) is
         * used unless it vanishes over the whole image, as it does for a unit that is dead everywhere. */
        int live = 0;
        for (long i = 0; i < chw && !live; i++) live = !(xb[i] < 0.0f) && gb[i] != 0.0f;
        if (live) {
            for (long i = 0; i < chw; i++) db[i] += xb[i] < 0.0f ? 0.0f : gb[i];
        } else {
            /* Pass dy through except where it would push an already negative input further down. */
            for (long i = 0; i < chw; i++) db[i] += (xb[i] < 0.0f && gb[i] < 0.0f) ? 0.0f : gb[i];
        }
    }
    return FV_OK;
}
