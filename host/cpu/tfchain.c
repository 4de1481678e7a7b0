/* Lucid's standard_transforms (pad, crop, resize_bilinear, nearest rotation, crop) on the CPU, as one
 * gather per output pixel; the backward is its exact transpose. One plane per OpenMP iteration keeps the
 * backward's scatter race-free. The arithmetic follows TensorFlow's kernels step by step in float32. */
#include <math.h>
#include <string.h>

#include "backend/checks.h"

/* Where output pixel (x, y) reads the resized canvas: its four taps in the first crop's coordinates and
 * their lerps, or inside = 0 when the rotation reads outside the canvas (the fill value). */
typedef struct chain_taps {
    int inside, x0, x1, y0, y1;
    float lx, ly;
} chain_taps;

static inline chain_taps taps(const fv_tfchain *c, int x, int y)
{
    chain_taps t;
    memset(&t, 0, sizeof t);
    const float rx = (float)(x + c->ox2), ry = (float)(y + c->oy2);
    /* ImageProjectiveTransform: (a0 x + a1 y + a2) with a = (cos, -sin, xoff), (sin, cos, yoff) */
    const float fx = c->cosa * rx + -c->sina * ry + c->xoff;
    const float fy = c->sina * rx + c->cosa * ry + c->yoff;
    const float px = roundf(fx), py = roundf(fy); /* std::round: halves away from zero */
    if (!(px >= 0.0f && px < (float)c->m && py >= 0.0f && py < (float)c->m)) return t;
    const float sc = (float)c->c1 / (float)c->m;
    const float inx = px * sc, iny = py * sc;
    const float fx0 = floorf(inx), fy0 = floorf(iny);
    t.inside = 1;
    t.x0 = (int)fx0 > 0 ? (int)fx0 : 0;
    t.y0 = (int)fy0 > 0 ? (int)fy0 : 0;
    t.x1 = (int)ceilf(inx) < c->c1 - 1 ? (int)ceilf(inx) : c->c1 - 1;
    t.y1 = (int)ceilf(iny) < c->c1 - 1 ? (int)ceilf(iny) : c->c1 - 1;
    t.lx = inx - fx0;
    t.ly = iny - fy0;
    return t;
}

/* Index of first-crop pixel (cx, cy) in the image, or -1 where it lies in the padding. */
static inline long src_index(const fv_tfchain *c, int cx, int cy)
{
    const int ix = cx + c->ox1 - c->pad, iy = cy + c->oy1 - c->pad;
    if (ix < 0 || ix >= c->size || iy < 0 || iy >= c->size) return -1;
    return (long)iy * c->size + ix;
}

fv_status fv_tfchain_fwd_cpu(int nimg, int c, const fv_tfchain *chains, const float *src, float *dst)
{
    FV_TRY(fv_check_tfchain("tfchain_fwd", nimg, c, chains, src, dst));
    if (!nimg) return FV_OK;
    const int S = chains[0].size, N = chains[0].n, planes = nimg * c;
#pragma omp parallel for schedule(static)
    for (int pl = 0; pl < planes; pl++) {
        const fv_tfchain *k = &chains[pl / c];
        const float *s = src + (size_t)pl * S * S;
        float *d = dst + (size_t)pl * N * N;
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++) {
                const chain_taps t = taps(k, x, y);
                if (!t.inside) {
                    d[(size_t)y * N + x] = k->fill;
                    continue;
                }
                const long i00 = src_index(k, t.x0, t.y0), i01 = src_index(k, t.x1, t.y0);
                const long i10 = src_index(k, t.x0, t.y1), i11 = src_index(k, t.x1, t.y1);
                const float tl = i00 >= 0 ? s[i00] : k->pad_value, tr = i01 >= 0 ? s[i01] : k->pad_value;
                const float bl = i10 >= 0 ? s[i10] : k->pad_value, br = i11 >= 0 ? s[i11] : k->pad_value;
                /* resize_bilinear's order of operations */
                const float top = tl + (tr - tl) * t.lx, bot = bl + (br - bl) * t.lx;
                d[(size_t)y * N + x] = top + (bot - top) * t.ly;
            }
    }
    return FV_OK;
}

fv_status fv_tfchain_bwd_cpu(int nimg, int c, const fv_tfchain *chains, const float *ddst, float *dsrc)
{
    FV_TRY(fv_check_tfchain("tfchain_bwd", nimg, c, chains, ddst, dsrc));
    if (!nimg) return FV_OK;
    const int S = chains[0].size, N = chains[0].n, planes = nimg * c;
#pragma omp parallel for schedule(static)
    for (int pl = 0; pl < planes; pl++) {
        const fv_tfchain *k = &chains[pl / c];
        const float *g = ddst + (size_t)pl * N * N;
        float *s = dsrc + (size_t)pl * S * S;
        memset(s, 0, sizeof(float) * (size_t)S * S);
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++) {
                const float gv = g[(size_t)y * N + x];
                if (gv == 0.0f) continue;
                const chain_taps t = taps(k, x, y);
                if (!t.inside) continue;
                const long i00 = src_index(k, t.x0, t.y0), i01 = src_index(k, t.x1, t.y0);
                const long i10 = src_index(k, t.x0, t.y1), i11 = src_index(k, t.x1, t.y1);
                const float gx = 1.0f - t.lx, gy = 1.0f - t.ly;
                if (i00 >= 0) s[i00] += gv * gy * gx;
                if (i01 >= 0) s[i01] += gv * gy * t.lx;
                if (i10 >= 0) s[i10] += gv * t.ly * gx;
                if (i11 >= 0) s[i11] += gv * t.ly * t.lx;
            }
    }
    return FV_OK;
}
