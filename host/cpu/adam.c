/* Adam on the CPU in TensorFlow's form (bias correction folded into the step size, eps added to
 * sqrt(v) uncorrected), stepping up the objective's gradient: the render loop maximises. */
#include <math.h>

#include "backend/checks.h"

fv_status fv_adam_cpu(size_t count, float *p, const float *g, float *m, float *v, int t, float lr, float b1,
                      float b2, float eps)
{
    FV_TRY(fv_check_adam("adam", count, p, g, m, v, t));
    /* In double: b2^t is 1 - O(1e-3 t), which float would round badly in the first steps. */
    float lr_t = (float)(lr * sqrt(1.0 - pow(b2, t)) / (1.0 - pow(b1, t)));
    float c1 = 1.0f - b1, c2 = 1.0f - b2;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + c1 * gi;
        float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi, v[i] = vi;
        p[i] += lr_t * mi / (sqrtf(vi) + eps);
    }
    return FV_OK;
}
