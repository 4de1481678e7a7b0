/* dump_recipe WEIGHTS OUTDIR: the tensors of one render step, stage by stage, for the independent numpy
 * port of Lucid's formulas (tests/reference/lucid_recipe.py, checked by check_recipe.py).
 *   OUTDIR/render/: an ordinary batch with the lucid preset: a diversity group of 4 on a pre-ReLU channel,
 *                   a negative channel and a centre neuron; three updates, then the fourth dumped.
 *   OUTDIR/interp/: an interpolation of 4 frames with the default alignment (Lucid's notebook).
 *   OUTDIR/chain/:  Lucid's transform chain alone, forward and backward, with draws chosen so that the
 *                   rotation's source coordinates hit exact float32 ties (rounded away from zero).
 * Every array is float32 .npy (NCHW); meta.json says what the step computed (draws, objective, values).
 * Adam's first moment is written as TensorFlow keeps it, the moment of the loss gradient (-d objective):
 * ours keeps the moment of +d objective and steps up it, the same update with m negated. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/model.h"
#include "io/npy.h"
#include "render/setup.h"
#include "render/step.h"
#include "core/rng.h"
#include "testutil.h"

static const char *g_dir;

static int fail(const char *what)
{
    fprintf(stderr, "dump_recipe: %s: %s\n", what, fv_last_error());
    return 1;
}

static int dump(const char *name, const float *data, const int64_t *shape, int nd)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", g_dir, name);
    return fv_npy_write(path, data, shape, nd) == FV_OK ? 0 : fail(path);
}

static int dump4(const char *name, const float *d, int64_t a, int64_t b, int64_t c, int64_t e)
{
    const int64_t shape[4] = {a, b, c, e};
    return dump(name, d, shape, 4);
}

/* Adam's first moment with TensorFlow's sign (see the top of this file). */
static int dump_neg(const char *name, const float *data, size_t n, const int64_t *shape)
{
    float *neg = malloc(sizeof(float) * n);
    if (!neg) return 1;
    for (size_t i = 0; i < n; i++) neg[i] = -data[i];
    const int rc = dump(name, neg, shape, 5);
    free(neg);
    return rc;
}

/* act_<layer> and grad_<layer> of one tensor ('/' in names written '_'). */
static int dump_layer(const fv_model *m, const render_state *s, const char *layer)
{
    const int t = fv_net_find(&m->net, layer);
    if (t < 0) return fprintf(stderr, "dump_recipe: no layer %s\n", layer), 1;
    const fv_tensor a = s->plan->act[t], g = s->plan->grad[t];
    char name[256];
    /* slices of a concat buffer have a larger batch stride: copy image by image */
    float *buf = malloc(sizeof(float) * (size_t)a.n * fv_tensor_chw(a));
    if (!buf) return 1;
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        const fv_tensor x = k ? g : a;
        for (int b = 0; b < x.n; b++) memcpy(buf + (size_t)b * fv_tensor_chw(x), fv_tensor_img(x, b), sizeof(float) * fv_tensor_chw(x));
        snprintf(name, sizeof name, "%s_%s", k ? "grad" : "act", layer);
        for (char *p = name; *p; p++)
            if (*p == '/') *p = '_';
        rc = dump4(name, buf, x.n, x.c, x.h, x.w);
    }
    free(buf);
    return rc;
}

static void json_draws(FILE *f, const render_state *s)
{
    const fv_tfchain *c = s->chains;
    /* the scale drawn: n = int(scale * c1) - jitter2; find which of the preset's scales gives it */
    float scale = 0;
    for (int i = 0; i < s->tp.nscales; i++)
        if (fv_transform_lucid_side(&s->tp, s->S, i) == c[0].n) scale = s->tp.scales[i];
    fprintf(f, "  \"draws\": {\"pad\": %d, \"pad_value\": %.9g, \"jitter1\": %d, \"jitter2\": %d, \"scale\": %.9g, "
               "\"canvas\": %d, \"out\": %d, \"images\": [",
            s->tp.pad, s->tp.pad_value, s->tp.jitter1, s->tp.jitter2, scale, c[0].m, c[0].n);
    for (int b = 0; b < s->B; b++) {
        /* the angle back from its cosine and sine: Lucid's list holds whole degrees, turned with 3.14 for pi */
        const double rad = atan2((double)c[b].sina, (double)c[b].cosa);
        const double deg = rad * 180.0 / 3.14;
        fprintf(f, "%s{\"crop1\": [%d, %d], \"angle_deg\": %.0f, \"crop2\": [%d, %d]}", b ? ", " : "", c[b].ox1, c[b].oy1,
                deg, c[b].ox2, c[b].oy2);
    }
    fprintf(f, "]},\n");
}

static int step_to_objectives(const fv_model *m, render_state *s, const fv_render_config *cfg, int t)
{
    if (fv_param_forward(&s->param, cfg->decorrelate) != FV_OK || fv_render_transform_forward(s, m, t) != FV_OK ||
        fv_plan_forward(s->plan) != FV_OK || fv_render_objectives_forward(s, cfg, 1) != FV_OK ||
        fv_render_objectives_backward(s) != FV_OK)
        return fail("step");
    return 0;
}

/* OUTDIR/name as the folder the dumps go to, and a small lucid-preset CPU configuration with this seed. */
static int start_case(const char *out, const char *name, char *dir, size_t n, uint64_t seed, fv_render_config *cfg)
{
    snprintf(dir, n, "%s/%s", out, name);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return fprintf(stderr, "dump_recipe: cannot create %s\n", dir), 1;
    g_dir = dir;
    fv_render_config_default(cfg);
    cfg->size = 48;
    cfg->steps = 4;
    cfg->seed = seed;
    cfg->preset = FV_PRESET_LUCID;
    cfg->backend = FV_BACKEND_CPU;
    return 0;
}

static int render_case(const fv_model *m, const char *out)
{
    char dir[4096];
    fv_render_config cfg;
    if (start_case(out, "render", dir, sizeof dir, 7, &cfg)) return 1;
    const fv_render_item items[3] = {{"mixed4a_pre_relu:5", 4}, {"-mixed3b_pre_relu:2", 1}, {"neuron:mixed4a_pre_relu:7", 1}};
    fv_render_result res[6];
    render_state s;
    if (fv_render_setup(m, &cfg, fv_test_cpu(), items, 3, &s, res) != FV_OK) return fail("render setup");
    const int T = 3, B = s.B, S = s.S, wf = s.param.wf;
    int rc = 0;
    for (int t = 0; t < T && !rc; t++)
        if (fv_render_step(&s, m, &cfg, t, 0) != FV_OK) rc = fail("step");
    const int64_t sshape[5] = {B, 3, S, wf, 2};
    rc = rc || dump("spec", s.param.spec, sshape, 5) || dump_neg("m", s.param.m, s.param.nparam, sshape) || dump("v", s.param.v, sshape, 5);
    rc = rc || step_to_objectives(m, &s, &cfg, T);
    const int N = s.side;
    rc = rc || dump4("t", s.param.timg, B, 3, S, S) || dump4("rgb", s.param.rgb, B, 3, S, S) || dump4("x", s.xr, B, 3, N, N);
    const char *layers[3] = {"mixed4a_pre_relu", "mixed3b_pre_relu", "mixed4a"};
    for (int i = 0; i < 3 && !rc; i++) rc = dump_layer(m, &s, layers[i]);
    FILE *f = NULL;
    if (!rc) {
        char path[4200];
        snprintf(path, sizeof path, "%s/meta.json", dir);
        f = fopen(path, "w");
        if (!f) rc = (fprintf(stderr, "dump_recipe: cannot write %s\n", path), 1);
    }
    if (!rc) {
        fprintf(f, "{\n  \"B\": %d, \"S\": %d, \"t\": %d, \"lr\": %.9g, \"beta1\": 0.9, \"beta2\": 0.999, \"eps\": 1e-8,\n", B, S,
                T + 1, cfg.lr);
        json_draws(f, &s);
        fprintf(f, "  \"objective\": {\"groups\": [\n"
                   "    {\"images\": [0, 1, 2, 3], \"terms\": [{\"kind\": \"channel\", \"layer\": \"mixed4a_pre_relu\", "
                   "\"channel\": 5, \"weight\": 1.0}], \"diversity\": {\"layer\": \"mixed4a\", \"weight\": %.9g}},\n"
                   "    {\"images\": [4], \"terms\": [{\"kind\": \"channel\", \"layer\": \"mixed3b_pre_relu\", \"channel\": 2, "
                   "\"weight\": -1.0}]},\n"
                   "    {\"images\": [5], \"terms\": [{\"kind\": \"neuron\", \"layer\": \"mixed4a_pre_relu\", \"channel\": 7, "
                   "\"weight\": 1.0}]}]},\n",
                cfg.diversity_weight);
        fprintf(f, "  \"values\": {\"per_image\": [");
        for (int b = 0; b < B; b++) fprintf(f, "%s%.9g", b ? ", " : "", s.obj[b]);
        fprintf(f, "], \"diversity\": [%.9g]}\n}\n", s.batch_value[0]);
        if (fclose(f) != 0) rc = 1;
    }
    /* the rest of the step: network backward, then the chain back to the spectrum, then Adam */
    if (!rc && (fv_plan_backward(s.plan, T < cfg.redirect_steps) != FV_OK ||
                fv_render_input_backward(&s, m, &cfg) != FV_OK))
        rc = fail("backward");
    rc = rc || dump4("dx", s.xr, B, 3, N, N) || dump4("drgb", s.param.drgb, B, 3, S, S);
    if (!rc && fv_param_backward(&s.param, cfg.decorrelate) != FV_OK) rc = fail("parameter backward");
    rc = rc || dump4("dt", s.param.dtimg, B, 3, S, S) || dump("dspec", s.param.dspec, sshape, 5);
    if (!rc && fv_param_update(&s.param, cfg.lr, T) != FV_OK) rc = fail("update");
    rc = rc || dump("spec_after", s.param.spec, sshape, 5) || dump_neg("m_after", s.param.m, s.param.nparam, sshape) ||
         dump("v_after", s.param.v, sshape, 5);
    fv_render_state_free(&s);
    return rc;
}

static int interp_case(const fv_model *m, const char *out)
{
    char dir[4096];
    fv_render_config cfg;
    if (start_case(out, "interp", dir, sizeof dir, 11, &cfg)) return 1;
    cfg.steps = 3;
    const int F = 4, T = 2;
    fv_render_result res[4];
    render_state s;
    if (fv_render_interp_setup(m, &cfg, fv_test_cpu(), "mixed4a_pre_relu:5", "mixed4a_pre_relu:9", F, NULL, &s, res) !=
        FV_OK)
        return fail("interpolation setup");
    int rc = 0;
    for (int t = 0; t < T && !rc; t++)
        if (fv_render_step(&s, m, &cfg, t, 0) != FV_OK) rc = fail("step");
    rc = rc || step_to_objectives(m, &s, &cfg, T);
    const char *layers[3] = {"mixed4a_pre_relu", "mixed3b", "mixed4a"};
    for (int i = 0; i < 3 && !rc; i++) rc = dump_layer(m, &s, layers[i]);
    fv_alignment al;
    fv_alignment_default(&al);
    char path[4200];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    FILE *f = rc ? NULL : fopen(path, "w");
    if (!rc && !f) rc = (fprintf(stderr, "dump_recipe: cannot write %s\n", path), 1);
    if (!rc) {
        fprintf(f, "{\n  \"frames\": %d,\n", F);
        json_draws(f, &s);
        fprintf(f, "  \"objective\": {\"a\": {\"layer\": \"mixed4a_pre_relu\", \"channel\": 5}, \"b\": {\"layer\": "
                   "\"mixed4a_pre_relu\", \"channel\": 9}, \"alignment\": {\"layers\": [\"mixed3b\", \"mixed4a\"], "
                   "\"decay\": %.9g, \"weight\": %.9g}},\n",
                al.decay, al.weight);
        fprintf(f, "  \"values\": {\"per_image\": [");
        for (int b = 0; b < F; b++) fprintf(f, "%s%.9g", b ? ", " : "", s.obj[b]);
        fprintf(f, "]}\n}\n");
        if (fclose(f) != 0) rc = 1;
    }
    fv_render_state_free(&s);
    return rc;
}

/* The chain alone: S = 64 with scale 1.06 gives a canvas of 84 and output 80; at 3, -2 and 2 degrees the
 * rotation's float32 source coordinates fall exactly on .5 for some pixels (Lucid rounds those away from
 * zero, std::round). Random image, random output gradient; x and drgb written. */
static int chain_case(const char *out)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/chain", out);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return fprintf(stderr, "dump_recipe: cannot create %s\n", dir), 1;
    g_dir = dir;
    render_state s; /* only what json_draws reads */
    memset(&s, 0, sizeof s);
    fv_transform_preset(FV_PRESET_LUCID, &s.tp);
    const int S = 64, B = 3;
    s.S = S;
    s.B = B;
    int si = -1;
    for (int i = 0; i < s.tp.nscales; i++)
        if (s.tp.scales[i] == (float)(1.0 + 3 / 50.0)) si = i;
    const float deg[3] = {3, -2, 2};
    const int off[3][4] = {{3, 5, 1, 2}, {0, 8, 4, 0}, {8, 1, 2, 3}};
    fv_tfchain ch[3];
    for (int b = 0; b < B; b++) ch[b] = fv_transform_lucid_chain(&s.tp, S, si, deg[b], off[b][0], off[b][1], off[b][2], off[b][3]);
    s.chains = ch;
    const int N = ch[0].n;
    float *rgb = malloc(sizeof(float) * B * 3 * S * S), *x = malloc(sizeof(float) * B * 3 * N * N);
    float *dx = malloc(sizeof(float) * B * 3 * N * N), *drgb = malloc(sizeof(float) * B * 3 * S * S);
    int rc = !rgb || !x || !dx || !drgb;
    for (long i = 0; !rc && i < (long)B * 3 * S * S; i++) rgb[i] = (float)fv_rng_uniform(1234, (uint64_t)i);
    for (long i = 0; !rc && i < (long)B * 3 * N * N; i++) dx[i] = (float)(2 * fv_rng_uniform(5678, (uint64_t)i) - 1);
    if (!rc && (fv_tfchain_fwd_cpu(B, 3, ch, rgb, x) != FV_OK || fv_tfchain_bwd_cpu(B, 3, ch, dx, drgb) != FV_OK))
        rc = fail("tfchain");
    rc = rc || dump4("rgb", rgb, B, 3, S, S) || dump4("x", x, B, 3, N, N) || dump4("dx", dx, B, 3, N, N) ||
         dump4("drgb", drgb, B, 3, S, S);
    char path[4200];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    FILE *f = rc ? NULL : fopen(path, "w");
    if (!rc && !f) rc = (fprintf(stderr, "dump_recipe: cannot write %s\n", path), 1);
    if (!rc) {
        fprintf(f, "{\n  \"B\": %d, \"S\": %d,\n", B, S);
        json_draws(f, &s);
        fprintf(f, "  \"note\": \"draws chosen to hit float32 rounding ties in the rotation\"\n}\n");
        if (fclose(f) != 0) rc = 1;
    }
    free(rgb);
    free(x);
    free(dx);
    free(drgb);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: dump_recipe WEIGHTS OUTDIR\n");
        return 2;
    }
    if (mkdir(argv[2], 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "dump_recipe: cannot create %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    fv_model *m;
    if (fv_model_load(argv[1], FV_MODEL_AUTO, &m) != FV_OK) return fail(argv[1]);
    int rc = render_case(m, argv[2]) || interp_case(m, argv[2]) || chain_case(argv[2]);
    fv_model_free(m);
    return rc;
}
