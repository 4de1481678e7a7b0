/* Image penalties on the CPU (the article's "spectrum of regularization", Lucid's objectives
 * total_variation, L1, L2 and blur_input_each_step), applied to the RGB image before the transforms.
 * The reference for kernels/penalty.cu; see backend/ops.h for the exact definitions. */
#include <math.h>

#include "backend/checks.h"

/* Lucid's _tf_blur: per channel, 3x3 kernel with 1 at the centre and 0.5 around it, zero padding
 * (SAME), divided by the same convolution of an all-ones image, i.e. a weighted mean over the taps
 * that fall inside the image. */
static float blur_at(const float *p, int h, int w, int y, int x)
{
    float s = 0.0f, k = 0.0f;
    for (int dy = -1; dy <= 1; dy++) {
        const int yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (int dx = -1; dx <= 1; dx++) {
            const int xx = x + dx;
            if (xx < 0 || xx >= w) continue;
            const float kw = (dx == 0 && dy == 0) ? 1.0f : 0.5f;
            s += kw * p[yy * w + xx];
            k += kw;
        }
    }
    return s / k;
}

/* sign with sign(0) = 0: tf.abs's gradient, so equal neighbours pull neither way. */
static float sgn(float d) { return (float)((d > 0.0f) - (d < 0.0f)); }

fv_status fv_penalty_fwd_cpu(int n, int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                             float *values)
{
    FV_TRY(fv_check_penalty("penalty_fwd", n, h, w, rgb, values));
    const int hw = h * w;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < n; b++) {
        /* Sums in double: an image holds up to ~50k values per channel. */
        double s_tv = 0.0, s_l1 = 0.0, s_l2 = 0.0, s_bl = 0.0;
        for (int c = 0; c < 3; c++) {
            const float *p = rgb + ((size_t)b * 3 + c) * hw;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    const float v = p[y * w + x];
                    if (tv != 0.0f) {
                        if (x + 1 < w) s_tv += fabsf(p[y * w + x + 1] - v);
                        if (y + 1 < h) s_tv += fabsf(p[(y + 1) * w + x] - v);
                    }
                    s_l1 += fabsf(v - 0.5f);
                    s_l2 += (double)(v - 0.5f) * (v - 0.5f);
                    if (blur != 0.0f) {
                        const double d = v - blur_at(p, h, w, y, x);
                        s_bl += d * d;
                    }
                }
        }
        values[b] = (float)(tv * s_tv + l1 * s_l1 + l2 * sqrt(1e-6 + s_l2) + blur * 0.5 * s_bl);
    }
    return FV_OK;
}

fv_status fv_penalty_bwd_cpu(int n, int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                             float *drgb)
{
    FV_TRY(fv_check_penalty("penalty_bwd", n, h, w, rgb, drgb));
    const int hw = h * w;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < n; b++) {
        /* L2's gradient (x - 0.5) / norm needs the whole image's norm first. */
        float inv_norm = 0.0f;
        if (l2 != 0.0f) {
            double s = 0.0;
            for (size_t i = 0; i < (size_t)3 * hw; i++) {
                const float d = rgb[(size_t)b * 3 * hw + i] - 0.5f;
                s += (double)d * d;
            }
            inv_norm = (float)(1.0 / sqrt(1e-6 + s));
        }
        for (int c = 0; c < 3; c++) {
            const float *p = rgb + ((size_t)b * 3 + c) * hw;
            float *g = drgb + ((size_t)b * 3 + c) * hw;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    const float v = p[y * w + x];
                    float d = 0.0f;
                    if (tv != 0.0f) {
                        /* v appears in its own right/down differences (as the subtrahend) and in its
                         * left/up neighbours' (as the minuend): a gather, so no two pixels write alike. */
                        float t = 0.0f;
                        if (x + 1 < w) t -= sgn(p[y * w + x + 1] - v);
                        if (y + 1 < h) t -= sgn(p[(y + 1) * w + x] - v);
                        if (x > 0) t += sgn(v - p[y * w + x - 1]);
                        if (y > 0) t += sgn(v - p[(y - 1) * w + x]);
                        d += tv * t;
                    }
                    if (l1 != 0.0f) d += l1 * sgn(v - 0.5f);
                    if (l2 != 0.0f) d += l2 * (v - 0.5f) * inv_norm;
                    /* the blurred target is a constant (Lucid's stop_gradient) */
                    if (blur != 0.0f) d += blur * (v - blur_at(p, h, w, y, x));
                    g[y * w + x] += d;
                }
        }
    }
    return FV_OK;
}
