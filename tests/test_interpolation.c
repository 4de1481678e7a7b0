/* Interpolation (host/render/interp.c): the alignment term against a direct computation and finite
 * differences, the lowres_tensor resize (adjoint identity, hand cases of TensorFlow's legacy bilinear
 * sampling), and a real interpolation render on the BVLC weights. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "models/model.h"
#include "backend/objective_ops.h"
#include "backend/ops.h"
#include "render/setup.h"
#include "render/step.h"
#include "testmodel.h"

/* ---------- alignment ---------- */

typedef struct align_ctx {
    int n, c, h, w, b0, count;
    float decay;
} align_ctx;

static void align_f(void *vctx, const float *x, float *y)
{
    align_ctx *a = vctx;
    cr_assert_eq(fv_alignment_fwd_cpu(fv_tensor_make((float *)x, a->n, a->c, a->h, a->w), a->b0, a->count, a->decay, y),
                 FV_OK);
}

static void align_b(void *vctx, const float *x, const float *dy, float *dx)
{
    align_ctx *a = vctx;
    cr_assert_eq(fv_alignment_bwd_cpu(fv_tensor_make((float *)x, a->n, a->c, a->h, a->w), a->b0, a->count, a->decay,
                                      dy[0], fv_tensor_make(dx, a->n, a->c, a->h, a->w)),
                 FV_OK);
}

Test(alignment, value_matches_direct_sum)
{
    /* 7 images (pairs up to distance 4 and beyond it), group [1, 7) */
    const int n = 7, c = 3, h = 2, w = 5, chw = c * h * w;
    float x[7 * 30];
    fv_test_fill(x, sizeof x / sizeof *x, 11, -2, 2);
    float v;
    cr_assert_eq(fv_alignment_fwd_cpu(fv_tensor_make(x, n, c, h, w), 1, 6, 2.0f, &v), FV_OK);
    double ref = 0;
    for (int i = 1; i < 7; i++)
        for (int j = i + 1; j < 7 && j - i <= 4; j++) {
            double s = 0;
            for (int k = 0; k < chw; k++) s += pow(x[i * chw + k] - x[j * chw + k], 2);
            ref += s / chw / pow(2.0, j - i);
        }
    cr_assert(fabs(v + ref) <= 1e-5 * ref, "alignment %g, direct %g", v, -ref);
    /* image 0 is outside the group: changing it leaves the value alone */
    x[3] += 5;
    float v2;
    cr_assert_eq(fv_alignment_fwd_cpu(fv_tensor_make(x, n, c, h, w), 1, 6, 2.0f, &v2), FV_OK);
    cr_assert_eq(v, v2);
}

Test(alignment, gradient_matches_finite_differences)
{
    align_ctx a = {7, 3, 2, 4, 1, 6, 2.0f};
    float x[7 * 24];
    fv_test_fill(x, sizeof x / sizeof *x, 12, -1, 1);
    fv_gc_opts o = {1e-2, 1e-4, 1e-2, 5, 1};
    fv_gc_report r = fv_gradcheck(align_f, align_b, &a, x, sizeof x / sizeof *x, 1, &o);
    char buf[256];
    fv_gc_describe(&r, buf, sizeof buf);
    cr_assert(r.ok, "%s", buf);
}

/* ---------- lowres resize ---------- */

Test(lowres, adjoint_identity)
{
    const int shapes[][7] = {{1, 3, 6, 6, 4, 48, 48}, {2, 3, 3, 3, 5, 48, 48}, {2, 2, 5, 7, 3, 16, 20}, {1, 1, 1, 1, 2, 4, 4}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int *d = shapes[s];
        const size_t nx = (size_t)d[0] * d[1] * d[2] * d[3], ny = (size_t)d[4] * d[1] * d[5] * d[6];
        float *x = malloc(sizeof(float) * nx), *rty = malloc(sizeof(float) * nx), *y = malloc(sizeof(float) * ny),
              *rx = calloc(ny, sizeof(float));
        fv_test_fill(x, nx, 20 + s, -1, 1);
        fv_test_fill(y, ny, 40 + s, -1, 1);
        cr_assert_eq(fv_lowres_fwd_cpu(d[0], d[1], d[2], d[3], x, d[4], d[5], d[6], rx), FV_OK);
        fv_test_fill(rty, nx, 99, 5, 6); /* the backward must overwrite */
        cr_assert_eq(fv_lowres_bwd_cpu(d[0], d[1], d[2], d[3], d[4], d[5], d[6], y, rty), FV_OK);
        double a = 0, b = 0, mag = 0;
        for (size_t i = 0; i < ny; i++) a += (double)rx[i] * y[i], mag += fabs((double)rx[i] * y[i]);
        for (size_t i = 0; i < nx; i++) b += (double)x[i] * rty[i];
        cr_assert(fabs(a - b) <= 1e-5 * mag, "shape %zu: <Rx,y> = %.9g, <x,R^T y> = %.9g", s, a, b);
        free(x), free(rty), free(y), free(rx);
    }
}

/* tf.image.resize_bilinear, align_corners=False: output j samples source j * in/out, the upper tap
 * clamped to the last sample. A 2x2 -> 4x4 reads rows/columns at 0, 0.5, 1, 1.5. */
Test(lowres, upsample_2x2_to_4x4_by_hand)
{
    const float v00 = 1, v01 = 2, v10 = 4, v11 = 8;
    float src[4] = {v00, v01, v10, v11}, dst[16];
    for (int i = 0; i < 16; i++) dst[i] = 100; /* the forward accumulates */
    cr_assert_eq(fv_lowres_fwd_cpu(1, 1, 2, 2, src, 1, 4, 4, dst), FV_OK);
    for (int i = 0; i < 16; i++) dst[i] -= 100;
    cr_assert_float_eq(dst[0], v00, 1e-5);                           /* top left: the first sample */
    cr_assert_float_eq(dst[1 * 4 + 1], (v00 + v01 + v10 + v11) / 4, 1e-5); /* (0.5, 0.5): the centre */
    cr_assert_float_eq(dst[0 * 4 + 1], (v00 + v01) / 2, 1e-5);
    cr_assert_float_eq(dst[2 * 4 + 2], v11, 1e-5); /* (1, 1) */
    cr_assert_float_eq(dst[3 * 4 + 3], v11, 1e-5); /* (1.5, 1.5): clamped, not extrapolated */
    cr_assert_float_eq(dst[0 * 4 + 3], v01, 1e-5);
    cr_assert_float_eq(dst[3 * 4 + 0], v10, 1e-5);
}

/* Along the batch axis as along any other: 2 frames -> 3 read frames 0, 2/3, 4/3 of the two (the
 * legacy sampling, not align_corners), and 2 -> 4 read 0, 0.5, 1, 1.5 (the middle-of-4 frame 1 is the
 * mean of the two; frames 2 and 3 are the second). */
Test(lowres, batch_interpolation_by_hand)
{
    float src[2 * 4] = {1, 2, 3, 4, 11, 14, 17, 20}, dst3[3 * 4] = {0}, dst4[4 * 4] = {0};
    cr_assert_eq(fv_lowres_fwd_cpu(2, 1, 2, 2, src, 3, 2, 2, dst3), FV_OK);
    cr_assert_eq(fv_lowres_fwd_cpu(2, 1, 2, 2, src, 4, 2, 2, dst4), FV_OK);
    for (int k = 0; k < 4; k++) {
        cr_assert_float_eq(dst3[k], src[k], 1e-5);
        cr_assert_float_eq(dst3[4 + k], src[k] / 3 + 2 * src[4 + k] / 3, 1e-5);
        cr_assert_float_eq(dst3[8 + k], src[4 + k], 1e-5);
        cr_assert_float_eq(dst4[4 + k], (src[k] + src[4 + k]) / 2, 1e-5);
        cr_assert_float_eq(dst4[8 + k], src[4 + k], 1e-5);
        cr_assert_float_eq(dst4[12 + k], src[4 + k], 1e-5);
    }
}

/* ---------- a real interpolation ---------- */

/* mixed3a activations of each frame: channel means of chA and chB, and the mean squared difference
 * between neighbouring frames. */
static void frame_stats(fv_model *m, const fv_render_result *r, int n, int cha, int chb, double *ma, double *mb,
                        double *nd)
{
    float *prev = NULL;
    int c = 0, h = 0, w = 0;
    *nd = 0;
    for (int i = 0; i < n; i++) {
        float *act;
        cr_assert_eq(fv_activations(m, fv_test_cpu(), &r[i].image, "mixed3a", &act, &c, &h, &w), FV_OK, "%s",
                     fv_last_error());
        const int hw = h * w;
        ma[i] = mb[i] = 0;
        for (int k = 0; k < hw; k++) ma[i] += act[cha * hw + k] / hw, mb[i] += act[chb * hw + k] / hw;
        if (prev) {
            double s = 0;
            for (long k = 0; k < (long)c * hw; k++) s += pow(act[k] - prev[k], 2);
            *nd += s / ((double)c * hw) / (n - 1);
        }
        free(prev);
        prev = act;
    }
    free(prev);
}

Test(interpolation, frames_move_from_a_to_b_and_alignment_pulls_them_together, .timeout = 900)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(48, 24);
    fv_render_result *r0, *r1;
    int n0, n1;
    fv_alignment al;
    fv_alignment_default(&al);
    al.nlayers = 1;
    al.layers[0] = "mixed3a";
    al.decay = 2.0f;
    al.weight = 0.0f;
    cr_assert_eq(fv_render_interpolation(m, &cfg, "mixed3a:5", "mixed3a:9", 4, &al, &r0, &n0, NULL, NULL), FV_OK,
                 "%s", fv_last_error());
    al.weight = 1.0f;
    cr_assert_eq(fv_render_interpolation(m, &cfg, "mixed3a:5", "mixed3a:9", 4, &al, &r1, &n1, NULL, NULL), FV_OK,
                 "%s", fv_last_error());
    cr_assert_eq(n0, 4);
    cr_assert_eq(n1, 4);
    for (int i = 0; i < 4; i++) cr_assert_eq(r1[i].index, i);
    double ma[4], mb[4], nd0, nd1;
    frame_stats(m, r0, 4, 5, 9, ma, mb, &nd0);
    frame_stats(m, r1, 4, 5, 9, ma, mb, &nd1);
    cr_log_info("alignment 1: A (mixed3a:5) per frame %.3f %.3f %.3f %.3f; B (mixed3a:9) %.3f %.3f %.3f %.3f", ma[0],
                ma[1], ma[2], ma[3], mb[0], mb[1], mb[2], mb[3]);
    cr_log_info("neighbour mean squared difference at mixed3a: alignment 0 -> %.4f, alignment 1 -> %.4f", nd0, nd1);
    cr_assert(ma[0] > ma[3], "frame 0's A %g is not above frame 3's %g", ma[0], ma[3]);
    cr_assert(mb[3] > mb[0], "frame 3's B %g is not above frame 0's %g", mb[3], mb[0]);
    cr_assert(nd1 < nd0, "alignment did not pull neighbours together: %g vs %g", nd1, nd0);
    /* the frames differ from each other (the shared terms do not collapse them) */
    cr_assert_neq(memcmp(r1[0].image.rgb, r1[3].image.rgb, sizeof(float) * 3 * 48 * 48), 0);
    fv_render_results_free(r0, n0);
    fv_render_results_free(r1, n1);
    fv_model_free(m);
}

Test(interpolation, bad_arguments_are_refused)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(48, 24);
    fv_render_result *r;
    int n;
    cr_assert_eq(fv_render_interpolation(m, &cfg, "mixed3a:5", "mixed3a:9", 1, NULL, &r, &n, NULL, NULL), FV_ERR_ARG);
    cr_assert_eq(fv_render_interpolation(m, &cfg, "mixed3a:5", "nosuchlayer:9", 4, NULL, &r, &n, NULL, NULL),
                 FV_ERR_ARG);
    fv_alignment al;
    fv_alignment_default(&al);
    al.nlayers = 1;
    al.layers[0] = "nosuchlayer";
    cr_assert_eq(fv_render_interpolation(m, &cfg, "mixed3a:5", "mixed3a:9", 4, &al, &r, &n, NULL, NULL), FV_ERR_ARG);
    cr_assert(strstr(fv_last_error(), "nosuchlayer"), "%s", fv_last_error());
    al.layers[0] = "mixed3a";
    al.decay = 0.0f;
    cr_assert_eq(fv_render_interpolation(m, &cfg, "mixed3a:5", "mixed3a:9", 4, &al, &r, &n, NULL, NULL), FV_ERR_ARG);
    cr_assert_eq(n, 0);
    fv_model_free(m);
}

/* Lucid's aligned_interpolation objective, by hand in double from one real step's activations:
 * channel_interpolate(A, B) + 0.1 * (alignment('mixed3b', 5) + alignment('mixed4a', 5)), the defaults. */
static void interp_state(fv_model *m, fv_preset preset, render_state *s, fv_render_result *res)
{
    fv_render_config cfg;
    fv_render_config_default(&cfg);
    cfg.size = 48;
    cfg.steps = 1;
    cfg.preset = preset;
    cfg.backend = FV_BACKEND_CPU;
    cr_assert_eq(fv_render_interp_setup(m, &cfg, fv_test_cpu(), "mixed4a_pre_relu:5", "mixed4a_pre_relu:9", 4, NULL,
                                        s, res),
                 FV_OK, "%s", fv_last_error());
}

Test(interpolation, default_objective_is_lucids_notebook, .timeout = 300)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg;
    fv_render_config_default(&cfg);
    render_state s;
    fv_render_result res[4];
    interp_state(m, FV_PRESET_ARTICLE, &s, res);
    cr_assert_eq(fv_param_forward(&s.param, 1), FV_OK);
    cr_assert_eq(fv_render_transform_forward(&s, m, 0), FV_OK);
    cr_assert_eq(fv_plan_forward(s.plan), FV_OK);
    cr_assert_eq(fv_render_objectives_forward(&s, &cfg, 0), FV_OK);
    cr_assert_eq(fv_render_objectives_backward(&s), FV_OK);
    const int B = 4;
    /* channel_interpolate: d/d act[n, c] = (1 - w_n)/hw at channel 5, w_n/hw at channel 9 */
    const int tp = fv_net_find(&m->net, "mixed4a_pre_relu");
    const fv_tensor g = s.plan->grad[tp], a = s.plan->act[tp];
    const int hw = g.h * g.w;
    for (int n = 0; n < B; n++) {
        const double w = n / 3.0;
        double va = 0, vb = 0;
        for (int c = 0; c < g.c; c++)
            for (int k = 0; k < hw; k++) {
                const double want = (c == 5 ? (1 - w) / hw : 0) + (c == 9 ? w / hw : 0);
                cr_assert(fabs(fv_tensor_img(g, n)[(long)c * hw + k] - want) <= 1e-6 * want + 1e-12, "frame %d channel %d", n, c);
            }
        for (int k = 0; k < hw; k++) {
            va += fv_tensor_img(a, n)[5L * hw + k] / hw;
            vb += fv_tensor_img(a, n)[9L * hw + k] / hw;
        }
        cr_assert(fabs(s.obj[n] - ((1 - w) * va + w * vb)) <= 1e-4 * (fabs(va) + fabs(vb) + 1), "frame %d value", n);
    }
    /* alignment: 0.1 * d/d act of -sum_{d=1..4} sum_i mean((a_i - a_{i+d})^2) / 5^d, on both layers */
    const char *layers[2] = {"mixed3b", "mixed4a"};
    for (int l = 0; l < 2; l++) {
        const int t = fv_net_find(&m->net, layers[l]);
        const fv_tensor x = s.plan->act[t], gx = s.plan->grad[t];
        const long chw = fv_tensor_chw(x);
        double worst = 0, gmax = 0;
        for (int i = 0; i < B; i++)
            for (long e = 0; e < chw; e++) {
                double want = 0;
                for (int j = 0; j < B; j++) {
                    const int d = abs(i - j);
                    if (d < 1 || d > 4) continue;
                    want += -0.1 * 2.0 * (fv_tensor_img(x, i)[e] - fv_tensor_img(x, j)[e]) / chw / pow(5.0, d);
                }
                gmax = fmax(gmax, fabs(want));
                worst = fmax(worst, fabs(fv_tensor_img(gx, i)[e] - want));
            }
        cr_log_info("alignment on %s: max |gradient| %.4g, worst difference %.3g", layers[l], gmax, worst);
        cr_assert(gmax > 0 && worst <= 1e-4 * gmax, "%s: alignment gradient off by %g (max %g)", layers[l], worst, gmax);
    }
    fv_render_state_free(&s);
    fv_model_free(m);
}

/* The frames of one interpolation share each step's transform draw (the alignment compares them position
 * by position), with both presets; different steps draw differently. */
Test(interpolation, frames_share_each_steps_transform, .timeout = 300)
{
    fv_model *m = fv_test_load_bvlc();
    for (int p = 0; p < 2; p++) {
        render_state s;
        fv_render_result res[4];
        interp_state(m, p ? FV_PRESET_LUCID : FV_PRESET_ARTICLE, &s, res);
        cr_assert_eq(fv_param_forward(&s.param, 1), FV_OK);
        int changed = 0;
        fv_affine prev_map = {{0}};
        fv_tfchain prev_chain;
        memset(&prev_chain, 0, sizeof prev_chain);
        for (int t = 0; t < 6; t++) {
            cr_assert_eq(fv_render_transform_forward(&s, m, t), FV_OK, "%s", fv_last_error());
            for (int n = 1; n < 4; n++) {
                if (p) cr_assert_eq(memcmp(&s.chains[n], &s.chains[0], sizeof s.chains[0]), 0, "lucid step %d frame %d", t, n);
                else cr_assert_eq(memcmp(&s.maps[n], &s.maps[0], sizeof s.maps[0]), 0, "article step %d frame %d", t, n);
            }
            changed += p ? memcmp(&prev_chain, &s.chains[0], sizeof prev_chain) != 0
                         : memcmp(&prev_map, &s.maps[0], sizeof prev_map) != 0;
            prev_chain = s.chains[0];
            prev_map = s.maps[0];
        }
        cr_assert(changed >= 5, "the draw changes from step to step (%d of 6)", changed);
        fv_render_state_free(&s);
    }
    fv_model_free(m);
}
