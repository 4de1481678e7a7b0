/* Rendering (include/featvis/featvis.h): B images, each with its own objective, optimised together in one
 * pass (RECIPE.md); diversity groups with Lucid's relative weight; passes sized by memory. The state is
 * built in state.c, the step runs in step.c, the parameterisation lives in param.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "io/image.h"
#include "setup.h"
#include "step.h"

void fv_render_config_default(fv_render_config *c)
{
    memset(c, 0, sizeof *c);
    c->size = 128;
    c->steps = 512;
    c->seed = 0;
    c->preset = FV_PRESET_ARTICLE;
    c->lr = 0.05f;
    c->redirect_steps = 17; /* Lucid: updates 0..16 (off once global_step > 16) */
    c->decorrelate = 1;
    c->diversity_weight = 1e2f;
    c->backend = FV_BACKEND_AUTO;
    fv_backend_options_default(&c->backend_options);
}

fv_status fv_render_backend_acquire(const fv_render_config *cfg, fv_backend **be)
{
    *be = cfg->backend_instance;
    return *be ? FV_OK : fv_backend_open(cfg->backend, &cfg->backend_options, be);
}

void fv_render_backend_release(const fv_render_config *cfg, fv_backend *be)
{
    if (be != cfg->backend_instance) fv_backend_close(be);
}

fv_status fv_objective_check(const fv_model *m, const char *objective, int input_size)
{
    fv_objective o;
    FV_TRY(fv_objective_parse(&m->net, objective, input_size, input_size, &o));
    fv_objective_free(&o);
    return FV_OK;
}

void fv_render_results_free(fv_render_result *r, int n)
{
    if (!r) return;
    for (int i = 0; i < n; i++) fv_image_free(&r[i].image);
    free(r);
}

/* An image's share of its group's objective in the gradient: Lucid's channel, neuron, direction and
 * deepdream objectives without batch= are means over the batch (1/count each); class_logit is a sum. */
static float group_share(const fv_objective *o, const fv_net *net, int count)
{
    for (int k = 0; k < o->nterms; k++)
        if (o->terms[k].tensor == net->logits) return 1.0f;
    return 1.0f / (float)count;
}

/* Keys, result names and terms of every item; a diversity group's batch term. */
static fv_status add_items(render_state *s, const fv_model *m, const fv_render_config *cfg,
                           const fv_render_item *items, const fv_objective *objs, int nitems, fv_render_result *res)
{
    /* Every image draws its crops and angles from its own stream; Lucid's canvas size is drawn for the
     * whole batch from the seed alone, so an image is the same alone or in any batch of its seed. */
    s->scale_key = fv_rng_key(cfg->seed, "lucid-canvas");
    for (int i = 0, b = 0; i < nitems; i++) {
        for (int j = 0; j < items[i].count; j++, b++) {
            char key[700];
            snprintf(key, sizeof key, "%s#%d", objs[i].canon, j);
            s->keys[b] = s->tkeys[b] = fv_rng_key(cfg->seed, key);
            snprintf(res[b].objective, sizeof res[b].objective, "%s", objs[i].canon);
            res[b].index = j;
            res[b].count = items[i].count;
        }
        const int b0 = b - items[i].count, n = items[i].count;
        FV_TRY(fv_render_add_terms(s, &m->net, &objs[i], b0, n, NULL, n > 1 ? group_share(&objs[i], &m->net, n) : 1));
        if (n > 1) fv_render_add_diversity(s, &m->net, b0, n, objs[i].terms[0].tensor, -cfg->diversity_weight);
    }
    return FV_OK;
}

fv_status fv_render_setup(const fv_model *m, const fv_render_config *cfg, fv_backend *be,
                          const fv_render_item *items, int nitems, render_state *s, fv_render_result *res)
{
    memset(s, 0, sizeof *s);
    int B = 0;
    for (int i = 0; i < nitems; i++) B += items[i].count;
    fv_objective *objs = calloc(nitems, sizeof *objs);
    if (!objs) return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    fv_status st = FV_OK;
    int nparsed = 0, maxterms = 0;
    for (; nparsed < nitems; nparsed++) {
        st = fv_objective_parse(&m->net, items[nparsed].objective, cfg->size, cfg->size, &objs[nparsed]);
        if (st != FV_OK) break;
        maxterms += objs[nparsed].nterms * items[nparsed].count;
    }
    if (st == FV_OK) st = fv_render_state_init(s, be, cfg, B, maxterms, nitems);
    if (st == FV_OK) st = add_items(s, m, cfg, items, objs, nitems, res);
    if (st == FV_OK) st = fv_render_state_alloc(s, m, cfg);
    if (st == FV_OK) st = cfg->init ? fv_param_init_picture(&s->param, cfg->init, cfg->decorrelate)
                                    : fv_param_init_random(&s->param, s->keys);
    for (int i = 0; i < nparsed; i++) fv_objective_free(&objs[i]);
    free(objs);
    if (st != FV_OK) fv_render_state_free(s);
    return st;
}

/* One batch: every image of `items` in one pass. */
static fv_status render_batch(fv_model *m, const fv_render_config *cfg, fv_backend *be,
                              const fv_render_item *items, int nitems, fv_render_result **results, int *nresults,
                              fv_progress_fn progress, void *ctx)
{
    *results = NULL;
    *nresults = 0;
    int B = 0;
    for (int i = 0; i < nitems; i++) B += items[i].count;
    fv_render_result *res = calloc(B, sizeof *res);
    if (!res) return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    render_state s;
    fv_status st = fv_render_setup(m, cfg, be, items, nitems, &s, res);
    if (st == FV_OK) st = fv_render_optimise(&s, m, cfg, res, progress, ctx);
    if (st == FV_OK) {
        *results = res;
        *nresults = B;
        res = NULL;
    }
    fv_render_state_free(&s);
    fv_render_results_free(res, B);
    return st;
}

/* Images per batch: the user's --batch-size, else what fits in 70% of the backend's free memory, per
 * image from the same size table the state allocates by (fv_render_floats_per_image). */
static int max_batch(const fv_model *m, const fv_render_config *cfg, fv_backend *be,
                     const fv_render_item *items, int nitems)
{
    if (cfg->batch_size > 0) return cfg->batch_size;
    int targets[64], nt = 0;
    for (int i = 0; i < nitems; i++) {
        fv_objective o;
        if (fv_objective_parse(&m->net, items[i].objective, cfg->size, cfg->size, &o) != FV_OK) continue;
        for (int k = 0; k < o.nterms && nt < 64; k++) targets[nt++] = o.terms[k].tensor;
        const int post = o.nterms ? fv_net_post_relu(&m->net, o.terms[0].tensor) : -1;
        if (items[i].count > 1 && post >= 0 && nt < 64) targets[nt++] = post; /* the diversity Gram's layer */
        fv_objective_free(&o);
    }
    size_t free_b = 0, total_b = 0;
    if (!nt || fv_backend_mem_info(be, &free_b, &total_b) != FV_OK || !free_b) return 1 << 30;
    const size_t per = fv_render_floats_per_image(&m->net, cfg, targets, nt) * sizeof(float);
    const size_t b = (size_t)(0.7 * free_b) / (per ? per : 1);
    return b < 1 ? 1 : b > (1 << 20) ? 1 << 20 : (int)b;
}

int fv_render_batch_capacity(const fv_model *m, const fv_render_config *cfg, const fv_render_item *items, int nitems)
{
    fv_backend *be;
    if (fv_render_backend_acquire(cfg, &be) != FV_OK) return 1;
    const int cap = max_batch(m, cfg, be, items, nitems);
    fv_render_backend_release(cfg, be);
    return cap;
}

/* The command line's ranges (host/cli/args.c), for every caller of the library (the Python package). */
fv_status fv_render_config_check(const fv_render_config *c)
{
    if (!c) return fv_fail(FV_ERR_ARG, "render: NULL config");
    if (c->size < 16 || c->size > 4096) return fv_fail(FV_ERR_ARG, "--size %d: must be 16..4096", c->size);
    if (c->steps < 1 || c->steps > 1000000) return fv_fail(FV_ERR_ARG, "--steps %d: must be 1..1000000", c->steps);
    if ((unsigned)c->preset > FV_PRESET_NONE) return fv_fail(FV_ERR_ARG, "preset %d: unknown", (int)c->preset);
    if (!(c->lr > 0) || isinf(c->lr)) return fv_fail(FV_ERR_ARG, "--lr %g: must be a positive number", c->lr);
    if (c->redirect_steps < 0 || c->redirect_steps > 1000000)
        return fv_fail(FV_ERR_ARG, "--redirect-steps %d: must be 0..1000000", c->redirect_steps);
    if (!(c->diversity_weight >= 0) || isinf(c->diversity_weight))
        return fv_fail(FV_ERR_ARG, "--diversity-weight %g: must be a number >= 0", c->diversity_weight);
    if (c->batch_size < 0 || c->batch_size > (1 << 20))
        return fv_fail(FV_ERR_ARG, "--batch-size %d: must be 1..1048576 (0: as many as fit)", c->batch_size);
    const char *const names[] = {"--tv", "--l1", "--l2", "--blur"};
    const float w[] = {c->tv_weight, c->l1_weight, c->l2_weight, c->blur_weight};
    for (int i = 0; i < 4; i++)
        if (!(w[i] >= 0 && w[i] <= 1e30f)) return fv_fail(FV_ERR_ARG, "%s %g: must be a number >= 0", names[i], w[i]);
    if (c->init && (!c->init->rgb || c->init->w < 1 || c->init->h < 1))
        return fv_fail(FV_ERR_ARG, "--init: an empty image (%dx%d)", c->init->w, c->init->h);
    return c->backend_instance ? FV_OK : fv_backend_options_check(&c->backend_options);
}

static fv_status check_request(const fv_render_config *cfg, const fv_render_item *items, int nitems, int *total)
{
    if (nitems < 1) return fv_fail(FV_ERR_ARG, "render: no objectives");
    FV_TRY(fv_render_config_check(cfg));
    *total = 0;
    for (int i = 0; i < nitems; i++) {
        if (items[i].count < 1 || items[i].count > 64)
            return fv_fail(FV_ERR_ARG, "objective '%s': image count %d must be 1..64", items[i].objective, items[i].count);
        *total += items[i].count;
    }
    return FV_OK;
}

fv_status fv_render(fv_model *m, const fv_render_config *cfg, const fv_render_item *items, int nitems,
                    fv_render_result **results, int *nresults, fv_progress_fn progress, void *ctx)
{
    *results = NULL;
    *nresults = 0;
    int total = 0;
    FV_TRY(check_request(cfg, items, nitems, &total));
    fv_backend *be;
    FV_TRY(fv_render_backend_acquire(cfg, &be));
    int cap = max_batch(m, cfg, be, items, nitems);
    fv_render_result *all = calloc(total, sizeof *all);
    if (!all) {
        fv_render_backend_release(cfg, be);
        return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    }
    int done = 0, i = 0;
    fv_status st = FV_OK;
    while (i < nitems) {
        /* Whole items (a diversity group never splits) up to `cap` images. */
        int j = i, imgs = 0;
        while (j < nitems && (j == i || imgs + items[j].count <= cap)) imgs += items[j++].count;
        fv_render_result *r;
        int nr;
        st = render_batch(m, cfg, be, items + i, j - i, &r, &nr, progress, ctx);
        if (st == FV_ERR_NOMEM && j - i > 1) { /* out of device memory: halve and retry */
            cap = imgs / 2 > 0 ? imgs / 2 : 1;
            continue;
        }
        if (st != FV_OK) break;
        memcpy(all + done, r, sizeof *r * nr);
        free(r);
        done += nr;
        i = j;
    }
    fv_render_backend_release(cfg, be);
    if (st != FV_OK) {
        fv_render_results_free(all, done);
        return st;
    }
    *results = all;
    *nresults = total;
    return FV_OK;
}
