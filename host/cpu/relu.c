/* CPU reference ReLU: forward, and the input gradient in its ordinary and Lucid "redirected" forms
 * (gradients are of the objective being ascended). */
#include "backend/checks.h"

fv_status fv_relu_fwd_cpu(fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_relu_fwd("relu forward", x, y));
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
    FV_TRY(fv_check_relu_bwd("relu backward", x, dy, dx));
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
