/* Reference computations for the ONNX tests (test_onnx.c, test_onnx_ops.c), written out plainly here and
 * independent of host/cpu: convolution (groups, dilation, asymmetric pads), max/average pooling; and the
 * tests' common steps: load a model with the identity input convention, a seeded image, compare a layer. */
#ifndef FV_TEST_ONNX_REF_H
#define FV_TEST_ONNX_REF_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "featvis/featvis.h"
#include "testutil.h"

typedef struct ref_window {
    int kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
} ref_window;

/* y (cout, oh, ow) = conv(x (cin, h, w), wt (cout, cin/groups, kh, kw)) + bias (may be NULL). */
static inline float *ref_conv(const float *x, int cin, int h, int w, const float *wt, const float *bias, int cout,
                              int groups, const ref_window *k, int *oh, int *ow)
{
    *oh = (h + k->pt + k->pb - ((k->kh - 1) * k->dh + 1)) / k->sh + 1;
    *ow = (w + k->pl + k->pr - ((k->kw - 1) * k->dw + 1)) / k->sw + 1;
    float *y = calloc((size_t)cout * *oh * *ow, sizeof(float));
    const int cg = cin / groups, og = cout / groups;
    for (int o = 0; o < cout; o++)
        for (int yy = 0; yy < *oh; yy++)
            for (int xx = 0; xx < *ow; xx++) {
                double acc = bias ? bias[o] : 0;
                for (int ci = 0; ci < cg; ci++)
                    for (int r = 0; r < k->kh; r++)
                        for (int q = 0; q < k->kw; q++) {
                            int iy = yy * k->sh - k->pt + r * k->dh, ix = xx * k->sw - k->pl + q * k->dw;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            int c = (o / og) * cg + ci;
                            acc += (double)wt[((o * cg + ci) * k->kh + r) * k->kw + q] * x[(c * h + iy) * w + ix];
                        }
                y[(o * *oh + yy) * *ow + xx] = (float)acc;
            }
    return y;
}

/* Max or average pooling (count_pad: divide by the window's positions inside input plus pads) with the given
 * output size (*oh, *ow set by the caller when ceil rounding is wanted, else 0 for floor). */
static inline float *ref_pool(const float *x, int c, int h, int w, int is_max, int count_pad, const ref_window *k,
                              int *oh, int *ow)
{
    if (*oh <= 0) *oh = (h + k->pt + k->pb - k->kh) / k->sh + 1;
    if (*ow <= 0) *ow = (w + k->pl + k->pr - k->kw) / k->sw + 1;
    float *y = calloc((size_t)c * *oh * *ow, sizeof(float));
    for (int ch = 0; ch < c; ch++)
        for (int yy = 0; yy < *oh; yy++)
            for (int xx = 0; xx < *ow; xx++) {
                double acc = is_max ? -INFINITY : 0;
                int n = 0, npad = 0;
                for (int r = 0; r < k->kh; r++)
                    for (int q = 0; q < k->kw; q++) {
                        int iy = yy * k->sh - k->pt + r, ix = xx * k->sw - k->pl + q;
                        if (iy >= -k->pt && iy < h + k->pb && ix >= -k->pl && ix < w + k->pr) npad++;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        float v = x[(ch * h + iy) * w + ix];
                        acc = is_max ? (v > acc ? v : acc) : acc + v;
                        n++;
                    }
                y[(ch * *oh + yy) * *ow + xx] = (float)(is_max ? acc : acc / (count_pad ? npad : n));
            }
    return y;
}

/* The model at path, its input convention "none" (the network sees the image's values as they are). */
static inline fv_model *load_none(const char *path)
{
    fv_model *m = NULL;
    fv_preprocess none;
    cr_assert_eq(fv_model_load(path, FV_MODEL_AUTO, &m), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_preprocess_preset("none", &none), FV_OK);
    cr_assert_eq(fv_model_set_preprocess(m, &none), FV_OK, "%s", fv_last_error());
    return m;
}

static inline fv_image test_image(int h, int w, uint64_t seed)
{
    fv_image img = {w, h, malloc(sizeof(float) * 3 * (size_t)w * h)};
    fv_test_fill(img.rgb, 3 * (size_t)w * h, seed, 0.0f, 1.0f);
    return img;
}

/* Layer `name` of the image's forward pass has shape (c, h, w) and the reference's values within tol (relative
 * to max(1, |ref|)). */
static inline void check_layer(fv_model *m, const fv_image *img, const char *name, const float *ref, int c, int h,
                               int w, float tol)
{
    float *a = NULL;
    int ac, ah, aw;
    cr_assert_eq(fv_activations(m, fv_test_cpu(), img, name, &a, &ac, &ah, &aw), FV_OK, "%s: %s", name,
                 fv_last_error());
    cr_assert(ac == c && ah == h && aw == w, "%s: %dx%dx%d, expected %dx%dx%d", name, ac, ah, aw, c, h, w);
    for (int i = 0; i < c * h * w; i++) {
        float s = fabsf(ref[i]) > 1 ? fabsf(ref[i]) : 1;
        cr_assert(fabsf(a[i] - ref[i]) <= tol * s, "%s[%d] = %.7g, expected %.7g", name, i, a[i], ref[i]);
    }
    free(a);
}

#endif
