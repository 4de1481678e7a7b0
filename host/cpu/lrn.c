/* CPU reference across-channel local response normalisation, forward and input gradient.
 * Positions are processed in short runs so the channel sums vectorise over contiguous pixels, using
 * stack buffers instead of a workspace (the op signature provides none). */
#include <math.h>

#include "backend/checks.h"

enum { RUN = 64 }; /* pixels per run: stack buffers stay small, inner loops stay long enough */

/* s[p] = k + alpha * sum of x_c'^2 over the channels c' of window(c), for the run of n pixels at img+off. */
static void window_scale(const fv_lrn_desc *d, const float *img, int nc, long hw, int c, long off, int n, float *s)
{
    int half = (d->size - 1) / 2;
    int lo = c - half < 0 ? 0 : c - half, hi = c + half >= nc ? nc - 1 : c + half;
    for (int p = 0; p < n; p++) s[p] = 0.0f;
    for (int j = lo; j <= hi; j++) {
        const float *xj = img + (long)j * hw + off;
        for (int p = 0; p < n; p++) s[p] += xj[p] * xj[p];
    }
    for (int p = 0; p < n; p++) s[p] = d->k + d->alpha * s[p];
}

fv_status fv_lrn_fwd_cpu(const fv_lrn_desc *d, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_lrn_fwd("lrn forward", d, x, y));
    long hw = (long)x.h * x.w;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < x.n; b++)
        for (int c = 0; c < x.c; c++) {
            const float *xb = fv_tensor_img(x, b);
            float *yc = fv_tensor_img(y, b) + (long)c * hw;
            float s[RUN];
            for (long off = 0; off < hw; off += RUN) {
                int n = hw - off < RUN ? (int)(hw - off) : RUN;
                window_scale(d, xb, x.c, hw, c, off, n, s);
                const float *xc = xb + (long)c * hw + off;
                for (int p = 0; p < n; p++) yc[off + p] = xc[p] * powf(s[p], -d->beta);
            }
        }
    return FV_OK;
}

/* dx_i += dy_i s_i^-beta - 2 alpha beta x_i sum_{j : i in window(j)} dy_j x_j s_j^(-beta-1). The window is
 * symmetric, so {j : i in window(j)} = window(i); s_j is recomputed rather than stored. */
fv_status fv_lrn_bwd_cpu(const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_lrn_bwd("lrn backward", d, x, y, dy, dx));
    long hw = (long)x.h * x.w;
    int half = (d->size - 1) / 2;
    float coef = -2.0f * d->alpha * d->beta;
    /* Each (b, c) task writes only its own plane of dx. */
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < x.n; b++)
        for (int c = 0; c < x.c; c++) {
            const float *xb = fv_tensor_img(x, b), *gb = fv_tensor_img(dy, b);
            float *dc = fv_tensor_img(dx, b) + (long)c * hw;
            int lo = c - half < 0 ? 0 : c - half, hi = c + half >= x.c ? x.c - 1 : c + half;
            float s[RUN], acc[RUN];
            for (long off = 0; off < hw; off += RUN) {
                int n = hw - off < RUN ? (int)(hw - off) : RUN;
                for (int p = 0; p < n; p++) acc[p] = 0.0f;
                for (int j = lo; j <= hi; j++) {
                    window_scale(d, xb, x.c, hw, j, off, n, s);
                    const float *xj = xb + (long)j * hw + off, *gj = gb + (long)j * hw + off;
                    for (int p = 0; p < n; p++) acc[p] += gj[p] * xj[p] * powf(s[p], -d->beta - 1.0f);
                }
                window_scale(d, xb, x.c, hw, c, off, n, s);
                const float *xc = xb + (long)c * hw + off, *gc = gb + (long)c * hw + off;
                for (int p = 0; p < n; p++) dc[off + p] += gc[p] * powf(s[p], -d->beta) + coef * xc[p] * acc[p];
            }
        }
    return FV_OK;
}
