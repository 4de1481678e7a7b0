/* Colour decorrelation + sigmoid on the CPU (Lucid's `to_valid_rgb`): the three FFT image planes are
 * mixed by Lucid's colour-correlation square root, normalised by its largest column norm, and squashed
 * into [0,1]. Backward overwrites dt. */
#include <math.h>

#include "backend/checks.h"

static inline float fv_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

fv_status fv_colour_fwd_cpu(int n, int hw, int decorrelate, const float *t, float *rgb)
{
    FV_TRY(fv_check_colour("colour_fwd", n, hw, t, rgb, rgb));
    const float(*M)[3] = fv_colour_matrix;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < n; b++) {
        const float *tb = t + (size_t)b * 3 * hw;
        float *ob = rgb + (size_t)b * 3 * hw;
        for (int i = 0; i < hw; i++) {
            float t0 = tb[i], t1 = tb[hw + i], t2 = tb[2 * hw + i];
            for (int c = 0; c < 3; c++) {
                float x = decorrelate ? M[c][0] * t0 + M[c][1] * t1 + M[c][2] * t2 : tb[(size_t)c * hw + i];
                ob[(size_t)c * hw + i] = fv_sigmoid(x);
            }
        }
    }
    return FV_OK;
}

fv_status fv_colour_bwd_cpu(int n, int hw, int decorrelate, const float *rgb, const float *drgb, float *dt)
{
    FV_TRY(fv_check_colour("colour_bwd", n, hw, rgb, drgb, dt));
    const float(*M)[3] = fv_colour_matrix;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < n; b++) {
        const float *yb = rgb + (size_t)b * 3 * hw, *gb = drgb + (size_t)b * 3 * hw;
        float *db = dt + (size_t)b * 3 * hw;
        for (int i = 0; i < hw; i++) {
            float g[3];
            for (int c = 0; c < 3; c++) {
                float y = yb[(size_t)c * hw + i];
                g[c] = gb[(size_t)c * hw + i] * y * (1.0f - y); /* sigmoid' from its output */
            }
            for (int k = 0; k < 3; k++)
                db[(size_t)k * hw + i] = decorrelate ? M[0][k] * g[0] + M[1][k] * g[1] + M[2][k] * g[2] : g[k];
        }
    }
    return FV_OK;
}
