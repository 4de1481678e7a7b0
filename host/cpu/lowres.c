/* CPU reference of Lucid's lowres_tensor resize (backend/ops.h fv_lowres_fwd_cpu): separable bilinear
 * resizing of a low-resolution tensor along batch, height and width, TensorFlow's legacy sampling, and
 * its exact adjoint (the same taps, scattered). */
#include <string.h>

#include "backend/checks.h"

/* The two taps and the weight of the second for output index j of `out` read from `in` samples. */
static void taps(int j, int in, int out, int *t0, int *t1, float *l)
{
    const float scale = (float)in / (float)out, src = (float)j * scale;
    int top = (int)src; /* src >= 0: truncation is floor */
    if (top > in - 1) top = in - 1;
    *t0 = top;
    *t1 = top + 1 < in ? top + 1 : in - 1;
    *l = src - (float)top;
}

fv_status fv_lowres_fwd_cpu(int nb, int c, int h, int w, const float *src, int n, int oh, int ow, float *dst)
{
    FV_TRY(fv_check_lowres("lowres_fwd", nb, c, h, w, n, oh, ow, src, dst));
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++) {
            int b0, b1, y0, y1, x0, x1;
            float lb, ly, lx;
            taps(b, nb, n, &b0, &b1, &lb);
            const float *s0 = src + ((size_t)b0 * c + ch) * h * w, *s1 = src + ((size_t)b1 * c + ch) * h * w;
            float *d = dst + ((size_t)b * c + ch) * oh * ow;
            for (int y = 0; y < oh; y++) {
                taps(y, h, oh, &y0, &y1, &ly);
                for (int x = 0; x < ow; x++) {
                    taps(x, w, ow, &x0, &x1, &lx);
                    /* along x, then y, then the batch: the order resize_bilinear_nd's passes imply */
                    float v[2];
                    for (int k = 0; k < 2; k++) {
                        const float *s = k ? s1 : s0;
                        const float r0 = s[y0 * w + x0] + lx * (s[y0 * w + x1] - s[y0 * w + x0]);
                        const float r1 = s[y1 * w + x0] + lx * (s[y1 * w + x1] - s[y1 * w + x0]);
                        v[k] = r0 + ly * (r1 - r0);
                    }
                    d[y * ow + x] += v[0] + lb * (v[1] - v[0]);
                }
            }
        }
    return FV_OK;
}

fv_status fv_lowres_bwd_cpu(int nb, int c, int h, int w, int n, int oh, int ow, const float *ddst, float *dsrc)
{
    FV_TRY(fv_check_lowres("lowres_bwd", nb, c, h, w, n, oh, ow, ddst, dsrc));
    memset(dsrc, 0, sizeof(float) * nb * c * h * w);
    /* Serial scatter: a fixed summation order (the tensors are small; this is not the hot path). */
    for (int b = 0; b < n; b++) {
        int b0, b1;
        float lb;
        taps(b, nb, n, &b0, &b1, &lb);
        const float wb[2] = {1.0f - lb, lb};
        const int bb[2] = {b0, b1};
        for (int ch = 0; ch < c; ch++) {
            const float *g = ddst + ((size_t)b * c + ch) * oh * ow;
            for (int y = 0; y < oh; y++) {
                int y0, y1;
                float ly;
                taps(y, h, oh, &y0, &y1, &ly);
                for (int x = 0; x < ow; x++) {
                    int x0, x1;
                    float lx;
                    taps(x, w, ow, &x0, &x1, &lx);
                    const float gv = g[y * ow + x];
                    for (int k = 0; k < 2; k++) {
                        float *s = dsrc + ((size_t)bb[k] * c + ch) * h * w;
                        const float gk = wb[k] * gv;
                        s[y0 * w + x0] += gk * (1 - ly) * (1 - lx);
                        s[y0 * w + x1] += gk * (1 - ly) * lx;
                        s[y1 * w + x0] += gk * ly * (1 - lx);
                        s[y1 * w + x1] += gk * ly * lx;
                    }
                }
            }
        }
    }
    return FV_OK;
}
