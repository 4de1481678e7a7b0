/* CPU reference per-channel affine map y = x * scale[c] + shift[c] (an unfolded BatchNormalization, or an
 * arithmetic op with a per-channel constant): forward, and the input gradient accumulated into dx. */
#include "backend/checks.h"

fv_status fv_affine_fwd_cpu(fv_tensor x, const float *scale, const float *shift, fv_tensor y)
{
    FV_TRY(fv_check_affine_fwd("affine forward", x, scale, y));
    const long hw = (long)x.h * x.w;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < x.n; n++)
        for (int ch = 0; ch < x.c; ch++) {
            const float *xp = fv_tensor_img(x, n) + ch * hw;
            float *yp = fv_tensor_img(y, n) + ch * hw;
            const float s = scale[ch], t = shift ? shift[ch] : 0.0f;
            for (long p = 0; p < hw; p++) yp[p] = xp[p] * s + t;
        }
    return FV_OK;
}

fv_status fv_affine_bwd_cpu(fv_tensor dy, const float *scale, fv_tensor dx)
{
    FV_TRY(fv_check_affine_bwd("affine backward", dy, scale, dx));
    const long hw = (long)dy.h * dy.w;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < dy.n; n++)
        for (int ch = 0; ch < dy.c; ch++) {
            const float *gp = fv_tensor_img(dy, n) + ch * hw;
            float *dp = fv_tensor_img(dx, n) + ch * hw;
            const float s = scale[ch];
            for (long p = 0; p < hw; p++) dp[p] += gp[p] * s;
        }
    return FV_OK;
}
