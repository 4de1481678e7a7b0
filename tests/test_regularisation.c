/* The article's "spectrum of regularization" on the CPU: the image penalties (finite differences and
 * hand-computed values), the pixel parameterisation, a TV penalty smoothing a render, starting from a
 * picture (--init), and the default FFT render untouched by all of it. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "io/image.h"
#include "models/model.h"
#include "backend/ops.h"
#include "render/param.h"
#include "testmodel.h"

/* ---------- penalties: finite differences ---------- */

enum { PN = 2, PH = 5, PW = 6, PCOUNT = PN * 3 * PH * PW };

typedef struct pen_ctx {
    float tv, l1, l2, blur;
} pen_ctx;

static void pen_fwd(void *ctx, const float *x, float *y)
{
    const pen_ctx *p = ctx;
    cr_assert_eq(fv_penalty_fwd_cpu(PN, PH, PW, x, p->tv, p->l1, p->l2, p->blur, y), FV_OK);
}

/* dx += sum_b dy[b] d(values[b])/dx: values are linear in the weights, so image b alone with its
 * weights scaled by dy[b]. */
static void pen_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    const pen_ctx *p = ctx;
    const size_t per = 3 * PH * PW;
    for (int b = 0; b < PN; b++)
        cr_assert_eq(fv_penalty_bwd_cpu(1, PH, PW, x + b * per, dy[b] * p->tv, dy[b] * p->l1, dy[b] * p->l2,
                                        dy[b] * p->blur, dx + b * per),
                     FV_OK);
}

/* Random values in (0.05, 0.95), pairwise at least 0.005 apart and 0.0025 from 0.5, so a step of 2e-3
 * never crosses a kink of |.| (neighbour ties for TV, 0.5 for L1). */
static void pen_fill(float *x, uint64_t seed)
{
    fv_gc_fill_distinct(seed, x, PCOUNT, 0.005f);
    for (int i = 0; i < PCOUNT; i++) x[i] += 0.5025f;
}

/* Values are float sums of ~100 terms of size ~0.3 (rounding ~1e-6), divided by a 4e-3 step: ~5e-4. */
static void check_penalty(pen_ctx p, uint64_t seed)
{
    float x[PCOUNT];
    pen_fill(x, seed);
    fv_gc_opts o = {2e-3, 2e-3, 1e-2, seed + 100, 1};
    fv_gc_report r = fv_gradcheck(pen_fwd, pen_bwd, &p, x, PCOUNT, PN, &o);
    char buf[256];
    fv_gc_describe(&r, buf, sizeof buf);
    cr_assert(r.ok, "penalty (tv %g, l1 %g, l2 %g): %s", p.tv, p.l1, p.l2, buf);
}

Test(penalty, total_variation_gradient) { check_penalty((pen_ctx){1.0f, 0, 0, 0}, 1); }
Test(penalty, l1_gradient) { check_penalty((pen_ctx){0, 1.0f, 0, 0}, 2); }
Test(penalty, l2_gradient) { check_penalty((pen_ctx){0, 0, 3.0f, 0}, 3); }
Test(penalty, weighted_sum_gradient) { check_penalty((pen_ctx){0.7f, -0.3f, 2.0f, 0}, 4); }

/* Lucid's _tf_blur written independently: zero-padded SAME convolution with k = [[.5,.5,.5],[.5,1,.5],
 * [.5,.5,.5]], divided by the same convolution of ones. */
static void blur_ref(const float *x, int n, int h, int w, double *out)
{
    for (int p = 0; p < n * 3; p++)
        for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++) {
                double num = 0, den = 0;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        const int sy = y + ky - 1, sx = xx + kx - 1;
                        const double k = (ky == 1 && kx == 1) ? 1.0 : 0.5;
                        const double v = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? x[(p * h + sy) * w + sx] : 0.0;
                        const double one = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? 1.0 : 0.0;
                        num += k * v;
                        den += k * one;
                    }
                out[(p * h + y) * w + xx] = num / den;
            }
}

/* blur_input_each_step holds the blurred image constant (stop_gradient), so its gradient is the
 * derivative of 0.5 * sum (x - target)^2 with target = blur(x0) frozen, not of the value itself.
 * Finite differences of that frozen objective, and the value at x0 against penalty_fwd. */
Test(penalty, blur_value_and_gradient)
{
    float x[PCOUNT], g[PCOUNT], v[PN];
    double target[PCOUNT];
    pen_fill(x, 5);
    blur_ref(x, PN, PH, PW, target);
    const float wgt = 1.5f;
    cr_assert_eq(fv_penalty_fwd_cpu(PN, PH, PW, x, 0, 0, 0, wgt, v), FV_OK);
    for (int b = 0; b < PN; b++) {
        double want = 0;
        for (int i = b * PCOUNT / PN; i < (b + 1) * PCOUNT / PN; i++) want += 0.5 * (x[i] - target[i]) * (x[i] - target[i]);
        want *= wgt;
        cr_assert(fabs(v[b] - want) <= 1e-5 * want + 1e-7, "image %d: blur penalty %g, reference %g", b, v[b], want);
    }
    for (int i = 0; i < PCOUNT; i++) g[i] = 0.25f;
    cr_assert_eq(fv_penalty_bwd_cpu(PN, PH, PW, x, 0, 0, 0, wgt, g), FV_OK);
    for (int i = 0; i < PCOUNT; i++) {
        const double h = 1e-3;
        const double fp = 0.5 * wgt * (x[i] + h - target[i]) * (x[i] + h - target[i]);
        const double fm = 0.5 * wgt * (x[i] - h - target[i]) * (x[i] - h - target[i]);
        const double fd = (fp - fm) / (2 * h);
        cr_assert(fabs((g[i] - 0.25f) - fd) <= 1e-5 + 1e-4 * fabs(fd), "x[%d]: analytic %g, finite difference %g", i,
                  g[i] - 0.25f, fd);
    }
}

/* ---------- penalties: hand-computed ---------- */

/* Channel 0 = [[0.1, 0.4], [0.3, 0.3]], channels 1 and 2 flat grey. */
static const float hand[12] = {0.1f, 0.4f, 0.3f, 0.3f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};

Test(penalty, total_variation_by_hand)
{
    float v, g[12] = {0};
    cr_assert_eq(fv_penalty_fwd_cpu(1, 2, 2, hand, 1, 0, 0, 0, &v), FV_OK);
    /* |0.4-0.1| + |0.3-0.3| + |0.3-0.1| + |0.3-0.4| */
    cr_assert_float_eq(v, 0.6f, 1e-6);
    cr_assert_eq(fv_penalty_bwd_cpu(1, 2, 2, hand, 1, 0, 0, 0, g), FV_OK);
    /* a: -sgn(b-a) - sgn(c-a) = -2; b: sgn(b-a) - sgn(d-b) = 2; c: sgn(c-a) - sgn(d-c) = 1 (tie: 0);
     * d: sgn(d-c) + sgn(d-b) = 0 - 1; flat channels: every difference is a tie, gradient 0. */
    const float want[12] = {-2, 2, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 12; i++) cr_assert_eq(g[i], want[i], "TV gradient [%d]: %g, want %g", i, g[i], want[i]);
}

Test(penalty, l1_l2_blur_by_hand)
{
    float v;
    cr_assert_eq(fv_penalty_fwd_cpu(1, 2, 2, hand, 0, 1, 0, 0, &v), FV_OK);
    cr_assert_float_eq(v, 0.4f + 0.1f + 0.2f + 0.2f, 1e-6);
    cr_assert_eq(fv_penalty_fwd_cpu(1, 2, 2, hand, 0, 0, 1, 0, &v), FV_OK);
    cr_assert_float_eq(v, sqrtf(1e-6f + 0.16f + 0.01f + 0.04f + 0.04f), 1e-6);
    /* Every pixel of a 2x2 image is a corner: blur = (x + 0.5 * (the other three)) / 2.5, so channel 0
     * blurs to (0.24, 0.30, 0.28, 0.28) and the flat channels to themselves (the normalisation keeps
     * a flat image flat at the border, unlike a plain zero-padded kernel). */
    cr_assert_eq(fv_penalty_fwd_cpu(1, 2, 2, hand, 0, 0, 0, 1, &v), FV_OK);
    cr_assert_float_eq(v, 0.5f * (0.14f * 0.14f + 0.1f * 0.1f + 0.02f * 0.02f + 0.02f * 0.02f), 1e-6);
    float g[12] = {0};
    cr_assert_eq(fv_penalty_bwd_cpu(1, 2, 2, hand, 0, 0, 0, 1, g), FV_OK);
    const float want[12] = {-0.14f, 0.1f, 0.02f, 0.02f, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 12; i++) cr_assert_float_eq(g[i], want[i], 1e-6, "blur gradient [%d]: %g", i, g[i]);
}

/* ---------- renders ---------- */

static void render(fv_model *m, const fv_render_config *cfg, const fv_render_item *items, int n,
                   fv_render_result **res, int *nres)
{
    fv_status st = fv_render(m, cfg, items, n, res, nres, NULL, NULL);
    cr_assert_eq(st, FV_OK, "render: %s", fv_last_error());
}

/* Mean squared difference of horizontally and vertically neighbouring pixels. */
static double roughness(const fv_image *im)
{
    const int w = im->w, h = im->h;
    double s = 0;
    long k = 0;
    for (int c = 0; c < 3; c++) {
        const float *p = im->rgb + (size_t)c * w * h;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                if (x + 1 < w) s += (p[y * w + x + 1] - p[y * w + x]) * (p[y * w + x + 1] - p[y * w + x]), k++;
                if (y + 1 < h) s += (p[(y + 1) * w + x] - p[y * w + x]) * (p[(y + 1) * w + x] - p[y * w + x]), k++;
            }
    }
    return s / k;
}

Test(regularisation, pixel_parameterisation_raises_the_objective, .timeout = 300)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(48, 20);
    cfg.param_pixel = 1;
    fv_render_item it = {"mixed3a:5", 1};
    fv_render_result *px, *ff;
    int n;
    render(m, &cfg, &it, 1, &px, &n);
    cr_log_info("pixel parameterisation, mixed3a:5: %g -> %g", px[0].obj_first, px[0].obj_last);
    cr_assert(px[0].obj_last > px[0].obj_first + 0.5f * fabsf(px[0].obj_first) + 1e-3f, "objective %g -> %g",
              px[0].obj_first, px[0].obj_last);
    /* and it is a different parameterisation, not the FFT one under another name */
    cfg.param_pixel = 0;
    render(m, &cfg, &it, 1, &ff, &n);
    cr_assert_neq(memcmp(px[0].image.rgb, ff[0].image.rgb, sizeof(float) * 3 * 48 * 48), 0);
    fv_render_results_free(px, 1);
    fv_render_results_free(ff, 1);
    fv_model_free(m);
}

/* The article's point about TV: a strong penalty gives a smoother image (smaller mean squared neighbour
 * difference) than none, for the same seed and objective. The penalty is reported in the objective. */
Test(regularisation, total_variation_smooths_the_image, .timeout = 300)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(64, 32);
    fv_render_item it = {"mixed4a:97", 1};
    fv_render_result *plain, *tv;
    int n;
    render(m, &cfg, &it, 1, &plain, &n);
    cfg.tv_weight = 2e-1f;
    render(m, &cfg, &it, 1, &tv, &n);
    const double r0 = roughness(&plain[0].image), r1 = roughness(&tv[0].image);
    cr_log_info("roughness: no penalty %.3g, tv 0.2 %.3g; objective %g vs %g", r0, r1, plain[0].obj_last,
                tv[0].obj_last);
    cr_assert(r1 < 0.5 * r0, "TV did not smooth: %g vs %g", r1, r0);
    /* the reported value includes -tv * TV, so it is below the objective of the same image alone */
    cr_assert(tv[0].obj_first < plain[0].obj_first, "penalty missing from the objective: %g vs %g", tv[0].obj_first,
              plain[0].obj_first);
    fv_render_results_free(plain, 1);
    fv_render_results_free(tv, 1);
    fv_model_free(m);
}

/* ---------- --init ---------- */

/* The picture the parameters should reproduce: the cat resized, clamped as the inverse clamps. */
static void init_target(int S, fv_image *cat, fv_image *want)
{
    cr_assert_eq(fv_image_read_png(FV_TEST_CAT, cat), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_image_resize(cat, S, S, want), FV_OK);
    for (int i = 0; i < 3 * S * S; i++) want->rgb[i] = fminf(fmaxf(want->rgb[i], 1e-3f), 1 - 1e-3f);
}

Test(regularisation, init_parameters_reproduce_the_picture)
{
    const int S = 64, hw = S * S;
    fv_image cat, want;
    init_target(S, &cat, &want);
    float *par = malloc(sizeof(float) * 3 * S * (S / 2 + 1) * 2), *t = malloc(sizeof(float) * 3 * hw),
          *rgb = malloc(sizeof(float) * 3 * hw), *scale = malloc(sizeof(float) * S * (S / 2 + 1));
    fv_fft_plan_cpu *plan;
    cr_assert_eq(fv_fft_plan_create_cpu(3, S, S, &plan), FV_OK);
    fv_spectrum_scale(S, S, 1.0f, scale);
    for (int pixel = 0; pixel <= 1; pixel++)
        for (int dec = 0; dec <= 1; dec++) {
            cr_assert_eq(fv_param_picture_t(&cat, S, dec, t), FV_OK, "%s", fv_last_error());
            if (!pixel) { /* through the spectrum and back */
                cr_assert_eq(fv_image_to_spectrum_cpu(plan, t, scale, par), FV_OK);
                cr_assert_eq(fv_spectrum_to_image_cpu(plan, par, scale, t), FV_OK);
            }
            cr_assert_eq(fv_colour_fwd_cpu(1, hw, dec, t, rgb), FV_OK);
            double worst = 0;
            for (int i = 0; i < 3 * hw; i++) worst = fmax(worst, fabs(rgb[i] - want.rgb[i]));
            cr_log_info("init, %s, decorrelate %d: worst pixel error %.2g", pixel ? "pixel" : "fft", dec, worst);
            cr_assert(worst <= 1e-4, "%s, decorrelate %d: picture reproduced to %g only", pixel ? "pixel" : "fft", dec,
                      worst);
        }
    fv_fft_plan_free_cpu(plan);
    free(par);
    free(t);
    free(rgb);
    free(scale);
    fv_image_free(&cat);
    fv_image_free(&want);
}

/* Through fv_render: with a vanishing learning rate one step leaves every image of the batch at the
 * picture (the integration of the above: upload, replication over the batch, param_forward). */
Test(regularisation, render_starts_from_the_init_picture, .timeout = 300)
{
    fv_model *m = fv_test_load_bvlc();
    const int S = 48;
    fv_image cat, want;
    init_target(S, &cat, &want);
    for (int pixel = 0; pixel <= 1; pixel++) {
        fv_render_config cfg = fv_test_cfg(S, 1);
        cfg.lr = 1e-7f;
        cfg.init = &cat;
        cfg.param_pixel = pixel;
        fv_render_item it[2] = {{"mixed3a:5", 1}, {"mixed3a:9", 1}};
        fv_render_result *r;
        int n;
        render(m, &cfg, it, 2, &r, &n);
        for (int b = 0; b < n; b++) {
            double worst = 0;
            for (int i = 0; i < 3 * S * S; i++) worst = fmax(worst, fabs(r[b].image.rgb[i] - want.rgb[i]));
            cr_assert(worst <= 1e-4, "%s image %d is %g away from the init picture", pixel ? "pixel" : "fft", b, worst);
        }
        fv_render_results_free(r, n);
    }
    fv_image_free(&cat);
    fv_image_free(&want);
    fv_model_free(m);
}

/* ---------- defaults ---------- */

/* The new fields default to off, and a config that spells the defaults out renders bit-for-bit the same
 * image as the default one (the FFT path is untouched; test_render's checks cover its behaviour). */
Test(regularisation, defaults_leave_the_fft_render_unchanged)
{
    fv_render_config d;
    fv_render_config_default(&d);
    cr_assert_eq(d.param_pixel, 0);
    cr_assert(d.tv_weight == 0 && d.l1_weight == 0 && d.l2_weight == 0 && d.blur_weight == 0);
    cr_assert_null(d.init);
    fv_model *m = fv_test_load_bvlc();
    fv_render_config a = fv_test_cfg(48, 4), b = a;
    b.param_pixel = 0, b.tv_weight = b.l1_weight = b.l2_weight = b.blur_weight = 0.0f, b.init = NULL;
    fv_render_item it = {"mixed3b:20", 1};
    fv_render_result *ra, *rb, *rc;
    int n;
    render(m, &a, &it, 1, &ra, &n);
    render(m, &b, &it, 1, &rb, &n);
    cr_assert_eq(memcmp(ra[0].image.rgb, rb[0].image.rgb, sizeof(float) * 3 * 48 * 48), 0);
    cr_assert_eq(ra[0].obj_last, rb[0].obj_last);
    /* and a non-zero weight does change it (the comparison above can tell images apart) */
    b.l2_weight = 1.0f;
    render(m, &b, &it, 1, &rc, &n);
    cr_assert_neq(memcmp(ra[0].image.rgb, rc[0].image.rgb, sizeof(float) * 3 * 48 * 48), 0);
    fv_render_results_free(ra, 1);
    fv_render_results_free(rb, 1);
    fv_render_results_free(rc, 1);
    fv_model_free(m);
}
