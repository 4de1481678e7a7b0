/* Affine bilinear resampling with constant padding on the CPU: the forward samples each output pixel
 * from its mapped source point, the backward is the exact transpose with respect to the source
 * (padding taps carry no gradient). One plane per OpenMP iteration keeps the scatter race-free. */
#include <math.h>
#include <string.h>

#include "backend/checks.h"

/* The four taps of one source point: integer corner (x0, y0) and fractional weights. Points far
 * outside are flagged so that huge coordinates never reach an int conversion. */
typedef struct fv_taps {
    int x0, y0, far;
    float fx, fy;
} fv_taps;

static inline fv_taps fv_taps_at(const float *a, int x, int y, int h, int w)
{
    fv_taps t = {0, 0, 0, 0.0f, 0.0f};
    float sx = a[0] * (float)x + a[1] * (float)y + a[2];
    float sy = a[3] * (float)x + a[4] * (float)y + a[5];
    /* !(in range) also catches NaN */
    if (!(sx > -1.0f && sx < (float)w && sy > -1.0f && sy < (float)h)) {
        t.far = 1;
        return t;
    }
    float fx0 = floorf(sx), fy0 = floorf(sy);
    t.x0 = (int)fx0, t.y0 = (int)fy0;
    t.fx = sx - fx0, t.fy = sy - fy0;
    return t;
}

static inline int fv_in(int v, int n) { return v >= 0 && v < n; }

fv_status fv_resample_fwd_cpu(int n, int c, int h, int w, const float *src, const fv_affine *maps, float pad,
                              int oh, int ow, float *dst)
{
    FV_TRY(fv_check_resample("resample_fwd", n, c, h, w, oh, ow, src, dst, maps));
    int planes = n * c;
#pragma omp parallel for schedule(static)
    for (int pl = 0; pl < planes; pl++) {
        const float *a = maps[pl / c].a;
        const float *s = src + (size_t)pl * h * w;
        float *d = dst + (size_t)pl * oh * ow;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                fv_taps t = fv_taps_at(a, x, y, h, w);
                if (t.far) {
                    d[(size_t)y * ow + x] = pad;
                    continue;
                }
                int x1 = t.x0 + 1, y1 = t.y0 + 1;
                int ix0 = fv_in(t.x0, w), ix1 = fv_in(x1, w), iy0 = fv_in(t.y0, h), iy1 = fv_in(y1, h);
                float p00 = ix0 && iy0 ? s[(size_t)t.y0 * w + t.x0] : pad;
                float p01 = ix1 && iy0 ? s[(size_t)t.y0 * w + x1] : pad;
                float p10 = ix0 && iy1 ? s[(size_t)y1 * w + t.x0] : pad;
                float p11 = ix1 && iy1 ? s[(size_t)y1 * w + x1] : pad;
                float gx = 1.0f - t.fx, gy = 1.0f - t.fy;
                d[(size_t)y * ow + x] = gy * (gx * p00 + t.fx * p01) + t.fy * (gx * p10 + t.fx * p11);
            }
    }
    return FV_OK;
}

fv_status fv_resample_bwd_cpu(int n, int c, int h, int w, const fv_affine *maps, int oh, int ow,
                              const float *ddst, float *dsrc)
{
    FV_TRY(fv_check_resample("resample_bwd", n, c, h, w, oh, ow, ddst, dsrc, maps));
    int planes = n * c;
#pragma omp parallel for schedule(static)
    for (int pl = 0; pl < planes; pl++) {
        const float *a = maps[pl / c].a;
        const float *g = ddst + (size_t)pl * oh * ow;
        float *s = dsrc + (size_t)pl * h * w;
        memset(s, 0, sizeof(float) * (size_t)h * w);
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                fv_taps t = fv_taps_at(a, x, y, h, w);
                float gv = g[(size_t)y * ow + x];
                if (t.far || gv == 0.0f) continue;
                int x1 = t.x0 + 1, y1 = t.y0 + 1;
                int ix0 = fv_in(t.x0, w), ix1 = fv_in(x1, w), iy0 = fv_in(t.y0, h), iy1 = fv_in(y1, h);
                float gx = 1.0f - t.fx, gy = 1.0f - t.fy;
                if (ix0 && iy0) s[(size_t)t.y0 * w + t.x0] += gv * gy * gx;
                if (ix1 && iy0) s[(size_t)t.y0 * w + x1] += gv * gy * t.fx;
                if (ix0 && iy1) s[(size_t)y1 * w + t.x0] += gv * t.fy * gx;
                if (ix1 && iy1) s[(size_t)y1 * w + x1] += gv * t.fy * t.fx;
            }
    }
    return FV_OK;
}
