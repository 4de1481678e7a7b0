/* Transform presets (RECIPE.md "Transforms") and the per-step draw that composes pad, jitter, scale,
 * rotate, jitter and crop into one output -> source affine map. Constant padding extends forever in
 * the resampler, so padding and cropping cost nothing: they only fix the pad value. */
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "transform.h"

void fv_transform_preset(fv_preset p, fv_transform_params *out)
{
    memset(out, 0, sizeof *out);
    out->pad_value = 0.5f;
    switch (p) {
    case FV_PRESET_ARTICLE: {
        static const float sc[] = {1.0f, 0.975f, 1.025f, 0.95f, 1.05f};
        out->pad = 16, out->jitter1 = 16, out->jitter2 = 8;
        out->nscales = 5;
        memcpy(out->scales, sc, sizeof sc);
        out->nangles = 11;
        for (int i = 0; i < 11; i++) out->angles[i] = (float)(i - 5);
        break;
    }
    case FV_PRESET_LUCID:
        /* standard_transforms: pad(12, constant 0.5), jitter(8), random_scale, random_rotate, jitter(4) */
        out->pad = 12, out->jitter1 = 8, out->jitter2 = 4;
        out->grow = 1;
        out->fill = 0.0f;
        out->nscales = 11;
        for (int i = 0; i < 11; i++) out->scales[i] = (float)(1.0 + (i - 5) / 50.0);
        /* Lucid's list: -10..10 then five extra zeros, which weights "no rotation" 6/26. */
        out->nangles = 26;
        for (int i = 0; i < 21; i++) out->angles[i] = (float)(i - 10);
        for (int i = 21; i < 26; i++) out->angles[i] = 0.0f;
        break;
    case FV_PRESET_NONE:
    default:
        out->nscales = 1, out->scales[0] = 1.0f;
        out->nangles = 1, out->angles[0] = 0.0f;
        break;
    }
}

fv_affine fv_transform_draw(const fv_transform_params *tp, int h, int w, uint64_t key, int step)
{
    uint64_t base = FV_RNG_STREAM_TRANSFORM + (uint64_t)step * 8;
    int ox1 = fv_rng_int(key, base + 0, tp->jitter1 + 1);
    int oy1 = fv_rng_int(key, base + 1, tp->jitter1 + 1);
    int si = fv_rng_int(key, base + 2, tp->nscales);
    int ai = fv_rng_int(key, base + 3, tp->nangles);
    int ox2 = fv_rng_int(key, base + 4, tp->jitter2 + 1);
    int oy2 = fv_rng_int(key, base + 5, tp->jitter2 + 1);
    float t1x = (float)ox1 - (float)tp->jitter1 / 2.0f, t1y = (float)oy1 - (float)tp->jitter1 / 2.0f;
    float t2x = (float)ox2 - (float)tp->jitter2 / 2.0f, t2y = (float)oy2 - (float)tp->jitter2 / 2.0f;
    float s = tp->nscales > 0 ? tp->scales[si] : 1.0f;
    float deg = tp->nangles > 0 ? tp->angles[ai] : 0.0f;
    double th = deg * (3.14159265358979323846 / 180.0);
    double cs = cos(th) / s, sn = sin(th) / s;
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;

    /* Rot(phi) = [[cos, -sin], [sin, cos]] acting on (x, y). The image y axis points down, so a
     * positive phi turns clockwise on screen. The map samples source = ... Rot(-angle) ..., so the
     * content appears turned by +angle, i.e. clockwise for positive angles.
     * source = c + t1 + M (q - c + t2), M = Rot(-angle) / scale = [[cos, sin], [-sin, cos]] / scale. */
    double dx = t2x - cx, dy = t2y - cy;
    fv_affine a;
    a.a[0] = (float)cs;
    a.a[1] = (float)sn;
    a.a[2] = (float)(cx + t1x + cs * dx + sn * dy);
    a.a[3] = (float)-sn;
    a.a[4] = (float)cs;
    a.a[5] = (float)(cy + t1y - sn * dx + cs * dy);
    return a;
}

int fv_transform_lucid_side(const fv_transform_params *tp, int size, int scale_index)
{
    const int c1 = size + 2 * tp->pad - tp->jitter1;
    const float mf = tp->scales[scale_index] * (float)c1; /* float32 product, truncated (tf.cast to int32) */
    return (int)mf - tp->jitter2;
}

void fv_transform_sides(const fv_transform_params *tp, int size, int *min_side, int *max_side)
{
    *min_side = *max_side = size;
    if (!tp->grow) return;
    for (int i = 0; i < tp->nscales; i++) {
        const int n = fv_transform_lucid_side(tp, size, i);
        if (i == 0 || n < *min_side) *min_side = n;
        if (i == 0 || n > *max_side) *max_side = n;
    }
}

fv_tfchain fv_transform_lucid_chain(const fv_transform_params *tp, int size, int scale_index, float deg, int ox1, int oy1,
                                    int ox2, int oy2)
{
    fv_tfchain c;
    memset(&c, 0, sizeof c);
    c.size = size;
    c.pad = tp->pad;
    c.pad_value = tp->pad_value;
    c.fill = tp->fill;
    c.c1 = size + 2 * tp->pad - tp->jitter1;
    c.ox1 = ox1;
    c.oy1 = oy1;
    c.n = fv_transform_lucid_side(tp, size, scale_index);
    c.m = c.n + tp->jitter2;
    const float a = 3.14f * deg / 180.0f; /* float32, Lucid's _angle2rads */
    c.cosa = cosf(a);
    c.sina = sinf(a);
    const float m1 = (float)c.m - 1.0f;
    c.xoff = (m1 - (c.cosa * m1 - c.sina * m1)) / 2.0f;
    c.yoff = (m1 - (c.sina * m1 + c.cosa * m1)) / 2.0f;
    c.ox2 = ox2;
    c.oy2 = oy2;
    return c;
}

fv_tfchain fv_transform_lucid_draw(const fv_transform_params *tp, int size, uint64_t scale_key, uint64_t key, int step)
{
    const uint64_t base = FV_RNG_STREAM_TRANSFORM + (uint64_t)step * 8;
    const int ox1 = fv_rng_int(key, base + 0, tp->jitter1 + 1);
    const int oy1 = fv_rng_int(key, base + 1, tp->jitter1 + 1);
    const int si = fv_rng_int(scale_key, base + 2, tp->nscales);
    const float deg = tp->angles[fv_rng_int(key, base + 3, tp->nangles)];
    const int ox2 = fv_rng_int(key, base + 4, tp->jitter2 + 1);
    const int oy2 = fv_rng_int(key, base + 5, tp->jitter2 + 1);
    return fv_transform_lucid_chain(tp, size, si, deg, ox1, oy1, ox2, oy2);
}

const char *fv_preset_name(fv_preset p)
{
    return p == FV_PRESET_LUCID ? "lucid" : p == FV_PRESET_NONE ? "none" : "article";
}

int fv_preset_parse(const char *name, fv_preset *p)
{
    if (!strcmp(name, "article")) *p = FV_PRESET_ARTICLE;
    else if (!strcmp(name, "lucid")) *p = FV_PRESET_LUCID;
    else if (!strcmp(name, "none")) *p = FV_PRESET_NONE;
    else return 0;
    return 1;
}
