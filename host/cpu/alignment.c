/* CPU reference of the alignment term (Lucid objectives.alignment): neighbouring images of a batch are
 * pulled towards the same activations, nearer neighbours harder (1/decay^d). Forward and gradient. */
#include <math.h>

#include "backend/checks.h"

#define FV_ALIGN_MAXD 4 /* Lucid sums d = 1, 2, 3, 4 */

fv_status fv_alignment_fwd_cpu(fv_tensor act, int b0, int count, float decay, float *value)
{
    FV_TRY(fv_check_alignment("alignment forward", act, b0, count, decay, value));
    const long chw = (long)act.c * act.h * act.w;
    double acc = 0;
    for (int d = 1; d <= FV_ALIGN_MAXD; d++)
        for (int i = 0; i + d < count; i++) {
            const float *a = fv_tensor_img(act, b0 + i), *b = fv_tensor_img(act, b0 + i + d);
            double s = 0;
            for (long k = 0; k < chw; k++) {
                const double e = (double)a[k] - b[k];
                s += e * e;
            }
            acc += s / (double)chw / pow(decay, d);
        }
    *value = (float)-acc;
    return FV_OK;
}

fv_status fv_alignment_bwd_cpu(fv_tensor act, int b0, int count, float decay, float weight, fv_tensor dact)
{
    FV_TRY(fv_check_alignment("alignment backward", act, b0, count, decay, dact.data));
    FV_TRY(fv_check_grad_like("alignment backward", act, dact));
    const long chw = (long)act.c * act.h * act.w;
    /* d value / d a_b = -2 sum_d (a_b - a_{b+d} + a_b - a_{b-d}) / (chw decay^d), partners inside the group;
     * the factors are formed in double once so CPU and GPU round them the same way. */
    float g[FV_ALIGN_MAXD + 1];
    for (int d = 1; d <= FV_ALIGN_MAXD; d++) g[d] = (float)(-2.0 * weight / ((double)chw * pow(decay, d)));
    for (int i = 0; i < count; i++) {
        const float *a = fv_tensor_img(act, b0 + i);
        float *da = fv_tensor_img(dact, b0 + i);
        for (int d = 1; d <= FV_ALIGN_MAXD; d++) {
            if (i + d < count) {
                const float *p = fv_tensor_img(act, b0 + i + d);
                for (long k = 0; k < chw; k++) da[k] += g[d] * (a[k] - p[k]);
            }
            if (i - d >= 0) {
                const float *p = fv_tensor_img(act, b0 + i - d);
                for (long k = 0; k < chw; k++) da[k] += g[d] * (a[k] - p[k]);
            }
        }
    }
    return FV_OK;
}
