/* CPU reference copy with a reshape (Flatten, Reshape to 2-D, Identity, Dropout at inference): each image's
 * floats in memory order; the backward adds dy into dx alike. */
#include <string.h>

#include "backend/checks.h"

fv_status fv_copy_fwd_cpu(fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_copy("copy forward", x, y));
    const long chw = fv_tensor_chw(x);
    for (int n = 0; n < x.n; n++) memmove(fv_tensor_img(y, n), fv_tensor_img(x, n), sizeof(float) * chw);
    return FV_OK;
}

fv_status fv_copy_bwd_cpu(fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_copy("copy backward", dy, dx));
    const long chw = fv_tensor_chw(dx);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < dx.n; n++) {
        const float *gp = fv_tensor_img(dy, n);
        float *dp = fv_tensor_img(dx, n);
        for (long i = 0; i < chw; i++) dp[i] += gp[i];
    }
    return FV_OK;
}
