/* The render loop on the real BVLC weights: objectives rise, the result is a structured picture,
 * the same seed gives the same image, an image does not depend on its batch; and finite-difference
 * checks of the objective terms (channel, neuron, deepdream, direction) and the diversity term. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "models/model.h"
#include "backend/objective_ops.h"
#include "render/setup.h"
#include "render/step.h"
#include "testmodel.h"

static void render(fv_model *m, const fv_render_config *cfg, const fv_render_item *items, int n,
                   fv_render_result **res, int *nres)
{
    fv_status st = fv_render(m, cfg, items, n, res, nres, NULL, NULL);
    cr_assert_eq(st, FV_OK, "render: %s", fv_last_error());
}

/* The acceptance check of a real render: a mid-level channel at 128 px. "Structured, not grey, not
 * high-frequency noise": pixel spread well above grey, and neighbouring pixels far more alike than in
 * noise (for white noise the mean squared neighbour difference is twice the variance). */
Test(render, mid_level_channel_rises_and_is_structured, .timeout = 600)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(128, 96);
    fv_render_item it = {"mixed4a:97", 1};
    fv_render_result *r;
    int n;
    render(m, &cfg, &it, 1, &r, &n);
    cr_assert_eq(n, 1);
    cr_log_info("mixed4a:97 at 128 px: objective %g -> %g in %.1f s", r[0].obj_first, r[0].obj_last, r[0].seconds);
    cr_assert(r[0].obj_first > 0 && r[0].obj_last > 5 * r[0].obj_first, "objective %g -> %g", r[0].obj_first,
              r[0].obj_last);
    const int S = 128, hw = S * S;
    double var = 0, diff = 0;
    for (int c = 0; c < 3; c++) {
        const float *p = r[0].image.rgb + c * hw;
        double mean = 0;
        for (int i = 0; i < hw; i++) mean += p[i];
        mean /= hw;
        for (int i = 0; i < hw; i++) var += (p[i] - mean) * (p[i] - mean);
        for (int y = 0; y < S; y++)
            for (int x = 0; x + 1 < S; x++) diff += (p[y * S + x + 1] - p[y * S + x]) * (p[y * S + x + 1] - p[y * S + x]);
    }
    var /= 3.0 * hw;
    diff /= 3.0 * S * (S - 1);
    cr_log_info("pixel sd %.3f, neighbour difference / (2 var) = %.3f", sqrt(var), diff / (2 * var));
    cr_assert(sqrt(var) > 0.05, "grey image: pixel sd %g", sqrt(var));
    cr_assert(diff < 0.5 * 2 * var, "noise-like image: neighbour difference %g vs 2 var %g", diff, 2 * var);
    fv_render_results_free(r, n);
    fv_model_free(m);
}

Test(render, same_seed_same_image_other_seed_other_image)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(64, 6);
    fv_render_item it = {"mixed3b:20", 1};
    fv_render_result *a, *b, *c;
    int n;
    render(m, &cfg, &it, 1, &a, &n);
    render(m, &cfg, &it, 1, &b, &n);
    cfg.seed = 1;
    render(m, &cfg, &it, 1, &c, &n);
    const size_t bytes = sizeof(float) * 3 * 64 * 64;
    cr_assert_eq(memcmp(a[0].image.rgb, b[0].image.rgb, bytes), 0, "same seed, different image");
    cr_assert_neq(memcmp(a[0].image.rgb, c[0].image.rgb, bytes), 0, "other seed, same image");
    fv_render_results_free(a, 1);
    fv_render_results_free(b, 1);
    fv_render_results_free(c, 1);
    fv_model_free(m);
}

/* Randomness comes from (seed, objective) and every op works per image, so an image rendered with
 * others (a deeper objective, so also a deeper network) is the image rendered alone. */
Test(render, image_does_not_depend_on_its_batch)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(64, 6);
    fv_render_item alone = {"mixed3b:20", 1};
    fv_render_item batch[3] = {{"mixed4b:7", 1}, {"mixed3b:20", 1}, {"logit:1", 1}};
    fv_render_result *a, *b;
    int na, nb;
    render(m, &cfg, &alone, 1, &a, &na);
    render(m, &cfg, batch, 3, &b, &nb);
    cr_assert_eq(nb, 3);
    cr_assert_str_eq(b[1].objective, "mixed3b:20");
    double worst = 0;
    for (int i = 0; i < 3 * 64 * 64; i++) worst = fmax(worst, fabs(a[0].image.rgb[i] - b[1].image.rgb[i]));
    cr_assert(worst <= 1e-6, "image differs by %g when batched", worst);
    cr_assert_float_eq(a[0].obj_last, b[1].obj_last, 1e-4 * fabs(a[0].obj_last));
    fv_render_results_free(a, na);
    fv_render_results_free(b, nb);
    fv_model_free(m);
}

/* The diversity term works: with it, the group's images are less alike at the layer (normalised Gram
 * inner product, the quantity it penalises) than the same group rendered with weight 0. */
static double cross_gram(fv_model *m, const fv_render_result *r, int n)
{
    float *all = NULL, *one;
    int c, h, w;
    for (int i = 0; i < n; i++) {
        cr_assert_eq(fv_activations(m, fv_test_cpu(), &r[i].image, "mixed3a", &one, &c, &h, &w), FV_OK);
        const size_t chw = (size_t)c * h * w;
        if (!all) all = malloc(sizeof(float) * n * chw);
        memcpy(all + i * chw, one, sizeof(float) * chw);
        free(one);
    }
    float *work = malloc(sizeof(float) * fv_diversity_workspace_cpu(c, n)), v;
    cr_assert_eq(fv_diversity_fwd_cpu(fv_tensor_make(all, n, c, h, w), 0, n, &v, work), FV_OK);
    free(work);
    free(all);
    return v;
}

Test(render, diversity_term_makes_the_group_less_alike)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(64, 32);
    fv_render_item it = {"mixed3a:20", 3};
    fv_render_result *with, *without;
    int n;
    cfg.diversity_weight = 0;
    render(m, &cfg, &it, 1, &without, &n);
    cfg.diversity_weight = 1e2f;
    render(m, &cfg, &it, 1, &with, &n);
    cr_assert_eq(n, 3);
    for (int i = 0; i < 3; i++) cr_assert_eq(with[i].index, i);
    double d0 = cross_gram(m, without, 3), d1 = cross_gram(m, with, 3);
    cr_log_info("diversity (sum of cross Gram cosines / 3): weight 0 -> %.4f, weight 100 -> %.4f", d0, d1);
    cr_assert(d1 < d0 - 0.05, "diversity term did not separate the images: %g vs %g", d1, d0);
    fv_render_results_free(with, n);
    fv_render_results_free(without, n);
    fv_model_free(m);
}

/* Lucid's reason for the redirected ReLU: channels dead at the start (objective exactly 0 on the
 * initial noise) stay dead without it and come alive with it. */
Test(render, redirected_relu_revives_dead_channels)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(64, 40);
    fv_render_item it[2] = {{"mixed3b:20", 1}, {"mixed4e:100", 1}};
    fv_render_result *off, *on;
    int n;
    cfg.redirect_steps = 0;
    render(m, &cfg, it, 2, &off, &n);
    cfg.redirect_steps = 17;
    render(m, &cfg, it, 2, &on, &n);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(off[i].obj_first, 0.0f, "%s is not dead at the start: %g", it[i].objective, off[i].obj_first);
        cr_assert_eq(off[i].obj_last, 0.0f, "%s came alive without redirection", it[i].objective);
        cr_assert(on[i].obj_last > 10.0f, "%s stayed dead with redirection: %g", it[i].objective, on[i].obj_last);
    }
    fv_render_results_free(off, n);
    fv_render_results_free(on, n);
    fv_model_free(m);
}

/* The diversity group's gradient is Lucid's `channel(L_pre_relu, c) - 1e2 * diversity(L)` on a batch of
 * 4, computed here by hand in double from the activations of one real step: the channel term is a mean
 * over the group (each image's share 1/4, the factor the renderer once missed), and the diversity
 * Gram is taken on the post-ReLU tensor. Also: each image's printed objective is its own channel mean,
 * and the printed diversity is the group's value. */
Test(render, diversity_group_gradient_is_lucids_formula, .timeout = 300)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(48, 1);
    const fv_render_item it = {"mixed4a_pre_relu:3", 4};
    fv_render_result res[4];
    memset(res, 0, sizeof res);
    render_state s;
    cr_assert_eq(fv_render_setup(m, &cfg, fv_test_cpu(), &it, 1, &s, res), FV_OK, "%s", fv_last_error());
    const int tpre = fv_net_find(&m->net, "mixed4a_pre_relu"), tpost = fv_net_find(&m->net, "mixed4a");
    cr_assert_eq(s.nbatch, 1);
    cr_assert_eq(s.batch[0].tensor, tpost, "the Gram is on the post-ReLU tensor");
    for (int t = 0; t < 3; t++) cr_assert_eq(fv_render_step(&s, m, &cfg, t, 0), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_param_forward(&s.param, 1), FV_OK);
    cr_assert_eq(fv_render_transform_forward(&s, m, 3), FV_OK);
    cr_assert_eq(fv_plan_forward(s.plan), FV_OK);
    cr_assert_eq(fv_render_objectives_forward(&s, &cfg, 1), FV_OK);
    cr_assert_eq(fv_render_objectives_backward(&s), FV_OK);
    const fv_tensor a = s.plan->act[tpre], g = s.plan->grad[tpre], q = s.plan->act[tpost], gq = s.plan->grad[tpost];
    const int B = 4, C = q.c, hw = q.h * q.w;
    /* the channel term: d/d act_pre = 1/(B hw) at channel 3 of every image, 0 elsewhere */
    double worst = 0;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < hw; k++) {
                const double want = c == 3 ? 1.0 / (B * hw) : 0.0;
                worst = fmax(worst, fabs(fv_tensor_img(g, b)[(long)c * hw + k] - want));
            }
    cr_assert(worst < 1e-9, "channel term gradient off by %g (want 1/(4*%d) at channel 3)", worst, hw);
    for (int b = 0; b < B; b++) {
        double mean = 0;
        for (int k = 0; k < hw; k++) mean += fv_tensor_img(a, b)[3L * hw + k];
        mean /= hw;
        cr_assert(fabs(s.obj[b] - mean) <= 1e-4 * (fabs(mean) + 1), "image %d prints %g, its channel mean is %g", b,
                  s.obj[b], mean);
    }
    /* diversity = sum_{i != j} <G_i/|G_i|, G_j/|G_j|> / B, G_b = F_b^T F_b, F_b the (hw x C) activations */
    double *G = calloc((size_t)B * C * C, sizeof(double)), nrm[4], sum_g;
    cr_assert_not_null(G);
    for (int b = 0; b < B; b++) {
        const float *F = fv_tensor_img(q, b);
        double ss = 0;
        for (int c = 0; c < C; c++)
            for (int d = 0; d < C; d++) {
                double v = 0;
                for (int k = 0; k < hw; k++) v += (double)F[(long)c * hw + k] * F[(long)d * hw + k];
                G[((size_t)b * C + c) * C + d] = v;
                ss += v * v;
            }
        nrm[b] = sqrt(fmax(ss, 1e-10));
    }
    double div = 0;
    for (size_t e = 0; e < (size_t)C * C; e++) {
        double tot = 0, self = 0;
        for (int b = 0; b < B; b++) {
            const double x = G[b * (size_t)C * C + e] / nrm[b];
            tot += x;
            self += x * x;
        }
        div += tot * tot - self;
    }
    div /= B;
    cr_assert(fabs(s.batch_value[0] - div) <= 1e-4 * fabs(div), "diversity %g, by hand %g", s.batch_value[0], div);
    /* d div/d Gn_i = (2/B) sum_{j != i} Gn_j; through the normalisation and G = F^T F:
     * P = Q/n - G <G,Q>/n^3, d/dF = 2 F P. The objective's gradient is -100 times that. */
    double *Q = malloc(sizeof(double) * C * C), *P = malloc(sizeof(double) * C * C);
    cr_assert(Q && P);
    double gmax = 0;
    worst = 0;
    for (int i = 0; i < B; i++) {
        double gq_dot = 0;
        for (size_t e = 0; e < (size_t)C * C; e++) {
            sum_g = 0;
            for (int j = 0; j < B; j++)
                if (j != i) sum_g += G[j * (size_t)C * C + e] / nrm[j];
            Q[e] = 2.0 * sum_g / B;
            gq_dot += G[i * (size_t)C * C + e] * Q[e];
        }
        for (size_t e = 0; e < (size_t)C * C; e++)
            P[e] = Q[e] / nrm[i] - G[i * (size_t)C * C + e] * gq_dot / (nrm[i] * nrm[i] * nrm[i]);
        const float *F = fv_tensor_img(q, i), *got = fv_tensor_img(gq, i);
        for (int c = 0; c < C; c++)
            for (int k = 0; k < hw; k++) {
                double v = 0;
                for (int d = 0; d < C; d++) v += F[(long)d * hw + k] * P[(size_t)d * C + c];
                const double want = -100.0 * 2.0 * v;
                gmax = fmax(gmax, fabs(want));
                worst = fmax(worst, fabs(got[(long)c * hw + k] - want));
            }
    }
    cr_log_info("diversity %.6g; Gram-layer gradient: max |want| %.4g, worst difference %.3g", div, gmax, worst);
    cr_assert(gmax > 0 && worst <= 1e-3 * gmax, "diversity gradient off by %g (max %g)", worst, gmax);
    free(G);
    free(Q);
    free(P);
    fv_render_state_free(&s);
    fv_model_free(m);
}

/* Lucid's standard_transforms (--preset lucid): the network sees the grown canvas, one size per step for
 * the whole batch, drawn from all of Lucid's scales; a centre neuron follows the layer's centre; and an
 * image is still the same alone or in a batch. */
Test(render, lucid_preset_grows_the_canvas_and_keeps_batch_invariance, .timeout = 300)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(64, 6);
    cfg.preset = FV_PRESET_LUCID;
    const fv_render_item items[3] = {{"mixed4b:7", 1}, {"mixed3b_pre_relu:20", 2}, {"neuron:mixed4a_pre_relu:3", 1}};
    fv_render_result res[4];
    render_state s;
    cr_assert_eq(fv_render_setup(m, &cfg, fv_test_cpu(), items, 3, &s, res), FV_OK, "%s", fv_last_error());
    /* 64 px: pad 12 -> 88, crop 8 -> 80, scale (1 + (i-5)/50) in float32, truncated, minus 4 */
    int allowed[11], seen[11] = {0};
    for (int i = 0; i < 11; i++) allowed[i] = (int)((float)(1.0 + (i - 5) / 50.0) * 80.0f) - 4;
    const int tn = fv_net_find(&m->net, "mixed4a_pre_relu");
    int *hs = malloc(sizeof(int) * m->net.ntensors), *ws = malloc(sizeof(int) * m->net.ntensors);
    for (int t = 0; t < 60; t++) {
        cr_assert_eq(fv_render_transform_forward(&s, m, t), FV_OK, "%s", fv_last_error());
        int k = -1;
        for (int i = 0; i < 11; i++)
            if (allowed[i] == s.side) k = i;
        cr_assert(k >= 0, "step %d: network input %d px is none of Lucid's canvases", t, s.side);
        seen[k]++;
        cr_assert_eq(s.plan->act[m->net.input].h, s.side);
        for (int b = 0; b < 4; b++) cr_assert_eq(s.chains[b].n, s.side);
        cr_assert_eq(fv_net_shapes(&m->net, s.side, s.side, hs, ws), FV_OK);
        for (int i = 0; i < s.nterms; i++)
            if (s.term_tensor[i] == tn)
                cr_assert(s.terms[i].x == ws[tn] / 2 && s.terms[i].y == hs[tn] / 2 && s.gterms[i].x == ws[tn] / 2,
                          "step %d: the centre neuron is at (%d,%d) of a %dx%d layer", t, s.terms[i].x, s.terms[i].y,
                          ws[tn], hs[tn]);
    }
    int distinct = 0;
    for (int i = 0; i < 11; i++) distinct += seen[i] > 0;
    cr_assert(distinct >= 6, "only %d canvas sizes in 60 steps", distinct);
    free(hs);
    free(ws);
    fv_render_state_free(&s);

    const fv_render_item alone = {"mixed3b_pre_relu:20", 2};
    fv_render_result *a, *b;
    int na, nb;
    render(m, &cfg, &alone, 1, &a, &na);
    render(m, &cfg, items, 3, &b, &nb);
    cr_assert_eq(nb, 4);
    double worst = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 3 * 64 * 64; i++) worst = fmax(worst, fabs(a[k].image.rgb[i] - b[1 + k].image.rgb[i]));
    cr_assert(worst <= 1e-6, "image differs by %g when batched", worst);
    cr_assert(b[0].obj_last > b[0].obj_first, "lucid preset: objective %g -> %g", b[0].obj_first, b[0].obj_last);
    fv_render_results_free(a, na);
    fv_render_results_free(b, nb);
    fv_model_free(m);
}

Test(render, defaults_are_lucids)
{
    fv_render_config c;
    fv_render_config_default(&c);
    cr_assert_eq(c.redirect_steps, 17, "Lucid redirects the ReLU gradient for updates 0..16");
    cr_assert_float_eq(c.lr, 0.05f, 0);
    cr_assert_float_eq(c.diversity_weight, 100.0f, 0);
    fv_alignment al;
    fv_alignment_default(&al);
    cr_assert_float_eq(al.weight, 0.1f, 0);
    cr_assert_float_eq(al.decay, 5.0f, 0);
    cr_assert_eq(al.nlayers, 0);
}

/* Splitting into several passes (--batch-size) changes nothing but the pass count: same images, same
 * order; a diversity group stays whole even when it is larger than the batch size. */
Test(render, batch_size_splits_without_changing_images)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(48, 4);
    fv_render_item items[3] = {{"mixed3a:1", 1}, {"mixed3b:2", 2}, {"logit:3", 1}};
    fv_render_result *one, *split;
    int n1, n2;
    render(m, &cfg, items, 3, &one, &n1);
    cfg.batch_size = 1;
    render(m, &cfg, items, 3, &split, &n2);
    cr_assert_eq(n1, 4);
    cr_assert_eq(n2, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_str_eq(one[i].objective, split[i].objective);
        cr_assert_eq(one[i].index, split[i].index);
        double worst = 0;
        for (int k = 0; k < 3 * 48 * 48; k++) worst = fmax(worst, fabs(one[i].image.rgb[k] - split[i].image.rgb[k]));
        cr_assert(worst <= 1e-6, "image %d (%s) differs by %g when split", i, one[i].objective, worst);
    }
    fv_render_results_free(one, n1);
    fv_render_results_free(split, n2);
    fv_model_free(m);
}

Test(render, bad_requests_fail_cleanly)
{
    fv_model *m = fv_test_load_bvlc();
    fv_render_config cfg = fv_test_cfg(64, 2);
    fv_render_item bad = {"mixed4a:9999", 1};
    fv_render_result *r;
    int n;
    cr_assert_eq(fv_render(m, &cfg, &bad, 1, &r, &n, NULL, NULL), FV_ERR_ARG);
    cr_assert_null(r);
    cfg.size = 8;
    fv_render_item ok = {"mixed4a:1", 1};
    cr_assert_neq(fv_render(m, &cfg, &ok, 1, &r, &n, NULL, NULL), FV_OK);
    fv_model_free(m);
}

/* ---------- objective terms: finite differences ---------- */

static double total(const fv_obj_term *t, int n, fv_tensor a)
{
    float v[8];
    cr_assert_eq(fv_objective_fwd_cpu(t, n, a, v), FV_OK);
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return s;
}

/* Tolerance: each term is linear or quadratic in act, so central differences with h = 1e-2 are exact up
 * to float rounding of sums of ~200 values (~1e-5 relative). */
Test(objective_ops, terms_match_finite_differences)
{
    enum { N = 2, C = 5, H = 4, W = 6 };
    float act[N * C * H * W], g[N * C * H * W], dir[C];
    fv_test_fill(act, N * C * H * W, 3, -1, 1);
    fv_test_fill(dir, C, 4, -1, 1);
    fv_tensor a = fv_tensor_make(act, N, C, H, W), d = fv_tensor_make(g, N, C, H, W);
    fv_obj_term t[4] = {{FV_OBJ_CHANNEL, 0, 2, 0, 0, 1.5f, NULL},
                        {FV_OBJ_NEURON, 1, 4, 3, 5, -1.0f, NULL},
                        {FV_OBJ_DEEPDREAM, 1, 0, 0, 0, 2.0f, NULL},
                        {FV_OBJ_DIRECTION, 0, 0, 0, 0, 0.7f, dir}};
    memset(g, 0, sizeof g);
    cr_assert_eq(fv_objective_bwd_cpu(t, 4, a, d), FV_OK);
    for (int i = 0; i < N * C * H * W; i++) {
        const float x0 = act[i], h = 1e-2f;
        act[i] = x0 + h;
        double fp = total(t, 4, a);
        act[i] = x0 - h;
        double fm = total(t, 4, a);
        act[i] = x0;
        double fd = (fp - fm) / (2 * h);
        cr_assert(fabs(fd - g[i]) <= 1e-4 + 1e-3 * fabs(fd), "act[%d]: analytic %g, finite difference %g", i, g[i], fd);
    }
    /* a hand-computed value: the neuron term reads act[1, 4, 3, 5] */
    float v[4];
    fv_objective_fwd_cpu(t, 4, a, v);
    cr_assert_float_eq(v[1], -act[((1 * C + 4) * H + 3) * W + 5], 1e-7);
}

/* Diversity (Lucid's formula): for 3 images, value = sum_{b != b'} <Gb/|Gb|, Gb'/|Gb'|> / 3. Checked
 * against a direct double-precision evaluation and finite differences (tolerance: Grams of ~24 values,
 * float, h = 1e-2: ~1e-3 relative). */
static double diversity_direct(const float *act, int n, int c, int hw)
{
    double G[3][16][16], nrm[3];
    for (int b = 0; b < n; b++) {
        double ss = 0;
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) {
                double s = 0;
                for (int k = 0; k < hw; k++) s += (double)act[(b * c + i) * hw + k] * act[(b * c + j) * hw + k];
                G[b][i][j] = s;
                ss += s * s;
            }
        nrm[b] = sqrt(ss);
    }
    double v = 0;
    for (int b = 0; b < n; b++)
        for (int e = 0; e < n; e++)
            if (b != e)
                for (int i = 0; i < c; i++)
                    for (int j = 0; j < c; j++) v += G[b][i][j] / nrm[b] * G[e][i][j] / nrm[e];
    return v / n;
}

Test(objective_ops, diversity_value_and_gradient)
{
    enum { N = 3, C = 4, HW = 6 };
    float act[N * C * HW], g[N * C * HW], work[256];
    fv_test_fill(act, N * C * HW, 8, -1, 1);
    cr_assert_leq(fv_diversity_workspace_cpu(C, N), sizeof work / sizeof *work);
    fv_tensor a = fv_tensor_make(act, N, C, 2, 3), d = fv_tensor_make(g, N, C, 2, 3);
    float v;
    cr_assert_eq(fv_diversity_fwd_cpu(a, 0, N, &v, work), FV_OK);
    double want = diversity_direct(act, N, C, HW);
    cr_assert(fabs(v - want) <= 1e-5 * fabs(want) + 1e-6, "diversity %g, direct %g", v, want);
    memset(g, 0, sizeof g);
    cr_assert_eq(fv_diversity_bwd_cpu(a, 0, N, -2.0f, d, work), FV_OK);
    for (int i = 0; i < N * C * HW; i++) {
        const float x0 = act[i], h = 1e-2f;
        act[i] = x0 + h;
        double fp = -2.0 * diversity_direct(act, N, C, HW);
        act[i] = x0 - h;
        double fm = -2.0 * diversity_direct(act, N, C, HW);
        act[i] = x0;
        double fd = (fp - fm) / (2 * h);
        cr_assert(fabs(fd - g[i]) <= 1e-3 + 1e-2 * fabs(fd), "act[%d]: analytic %g, finite difference %g", i, g[i], fd);
    }
}
