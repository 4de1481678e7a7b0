/* The render loop (RECIPE.md): B images, each with its own objective, optimised together in one pass.
 * spectrum -> image (inverse FFT, 1/f) -> colour + sigmoid -> transforms -> network -> objectives,
 * then the input gradient all the way back and an Adam step on the spectrum. With --param pixel the
 * parameters are the pre-colour image itself (no FFT); penalties act on the RGB image before the
 * transforms; --init starts every image from a picture (render_init.h). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device/registry.h"
#include "io/image.h"
#include "render_int.h"
#include "models/model.h"
#include "objective.h"
#include "render_init.h"
#include "core/rng.h"
#include "transform.h"

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

double fv_render_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* parameters -> rgb (no transforms): the image the user gets. */
fv_status fv_render_param_forward(render_state *s, int decorrelate)
{
    if (s->pixel) return s->be->colour_fwd(s->B, s->S * s->S, decorrelate, s->spec, s->rgb);
    FV_TRY(s->be->spectrum_to_image(s->fft, s->spec, s->scale, s->timg));
    if (s->ix) FV_TRY(fv_render_ix_forward(s)); /* interpolation: + the shared low-resolution terms */
    return s->be->colour_fwd(s->B, s->S * s->S, decorrelate, s->timg, s->rgb);
}

fv_status fv_render_transform_forward(render_state *s, const fv_model *m, int t)
{
    const fv_backend_i *be = s->be;
    const int S = s->S;
    if (s->tp.grow) {
        /* Lucid's chain: one canvas size for the batch this step, the network sees the grown image */
        for (int b = 0; b < s->B; b++) s->chains[b] = fv_transform_lucid_draw(&s->tp, S, s->scale_key, s->tkeys[b], t);
        s->side = s->chains[0].n;
        FV_TRY(fv_plan_resize(s->plan, s->side, s->side));
        FV_TRY(be->tfchain_fwd(s->B, 3, s->chains, s->rgb, s->xr));
    } else {
        for (int b = 0; b < s->B; b++) s->maps[b] = fv_transform_draw(&s->tp, S, S, s->tkeys[b], t);
        s->side = S;
        FV_TRY(be->resample_fwd(s->B, 3, S, S, s->rgb, s->maps, s->tp.pad_value, S, S, s->xr));
    }
    /* Neurons at the layer's centre follow the layer's size (Lucid: acts[:, H//2, W//2] every step). */
    for (int k = 0; k < s->nterms; k++)
        if (s->term_centre[k]) {
            const int tt = s->term_tensor[k];
            s->terms[k].x = s->gterms[k].x = s->plan->ws[tt] / 2;
            s->terms[k].y = s->gterms[k].y = s->plan->hs[tt] / 2;
        }
    return be->preprocess_fwd(s->B, s->side * s->side, m->net.perm, m->net.scale, m->net.mean, s->xr,
                              s->plan->act[m->net.input].data);
}

fv_status fv_render_objectives_forward(render_state *s, const fv_render_config *cfg, int want_div)
{
    fv_plan *p = s->plan;
    for (int b = 0; b < s->B; b++) s->obj[b] = 0;
    int i = 0;
    while (i < s->nterms) {
        int j = i;
        while (j < s->nterms && s->term_tensor[j] == s->term_tensor[i]) j++;
        FV_TRY(s->be->objective_fwd(s->terms + i, j - i, p->act[s->term_tensor[i]], s->term_values + i));
        i = j;
    }
    for (int k = 0; k < s->nterms; k++) s->obj[s->term_image[k]] += s->term_values[k];
    for (int d = 0; want_div && d < s->ndiv; d++)
        FV_TRY(s->be->diversity_fwd(p->act[s->div_tensor[d]], s->div_b0[d], s->div_count[d], &s->div_value[d],
                                    s->divwork));
    if (s->penalised) { /* on the untransformed image, as Lucid's T("input") before its transforms */
        FV_TRY(s->be->penalty_fwd(s->B, s->S, s->S, s->rgb, cfg->tv_weight, cfg->l1_weight, cfg->l2_weight,
                                  cfg->blur_weight, s->pen));
        for (int b = 0; b < s->B; b++) s->obj[b] -= s->pen[b];
    }
    return FV_OK;
}

fv_status fv_render_objectives_backward(render_state *s, const fv_render_config *cfg)
{
    fv_plan *p = s->plan;
    FV_TRY(fv_plan_zero_grad(p));
    int i = 0;
    while (i < s->nterms) {
        int j = i;
        while (j < s->nterms && s->term_tensor[j] == s->term_tensor[i]) j++;
        const int t = s->term_tensor[i];
        FV_TRY(s->be->objective_bwd(s->gterms + i, j - i, p->act[t], p->grad[t]));
        i = j;
    }
    for (int d = 0; d < s->ndiv; d++) {
        const int t = s->div_tensor[d];
        FV_TRY(s->be->diversity_bwd(p->act[t], s->div_b0[d], s->div_count[d], -cfg->diversity_weight, p->grad[t],
                                     s->divwork));
    }
    if (s->ix) FV_TRY(fv_render_ix_objective_bwd(s));
    return FV_OK;
}

/* From the network input's gradient back to s->drgb: preprocessing, then the transforms (xr's buffer is
 * reused for d(xr)), then the penalties' gradients. */
fv_status fv_render_input_backward(render_state *s, const fv_model *m, const fv_render_config *cfg)
{
    const fv_backend_i *be = s->be;
    const int S = s->S;
    FV_TRY(be->preprocess_bwd(s->B, s->side * s->side, m->net.perm, m->net.scale,
                              s->plan->grad[m->net.input].data, s->xr));
    if (s->tp.grow) FV_TRY(be->tfchain_bwd(s->B, 3, s->chains, s->xr, s->drgb));
    else FV_TRY(be->resample_bwd(s->B, 3, S, S, s->maps, S, S, s->xr, s->drgb));
    /* the objective is ascended, so the penalties enter with negated weights */
    if (s->penalised)
        FV_TRY(be->penalty_bwd(s->B, S, S, s->rgb, -cfg->tv_weight, -cfg->l1_weight, -cfg->l2_weight,
                               -cfg->blur_weight, s->drgb));
    return FV_OK;
}

/* s->drgb -> s->dspec: colour (and sigmoid), then the FFT's adjoint; an interpolation's lowres terms get
 * their gradients and their Adam step here too. */
fv_status fv_render_param_backward(render_state *s, const fv_render_config *cfg, int t)
{
    const int hw = s->S * s->S;
    if (s->pixel) return s->be->colour_bwd(s->B, hw, cfg->decorrelate, s->rgb, s->drgb, s->dspec);
    FV_TRY(s->be->colour_bwd(s->B, hw, cfg->decorrelate, s->rgb, s->drgb, s->dtimg));
    FV_TRY(s->be->spectrum_to_image_bwd(s->fft, s->dtimg, s->scale, s->dspec));
    if (s->ix) FV_TRY(fv_render_ix_backward(s, cfg, t));
    return FV_OK;
}

fv_status fv_render_update(render_state *s, const fv_render_config *cfg, int t)
{
    return s->be->adam(s->nspec, s->spec, s->dspec, s->m, s->v, t + 1, cfg->lr, 0.9f, 0.999f, 1e-8f);
}

fv_status fv_render_step(render_state *s, const fv_model *m, const fv_render_config *cfg, int t, int want_div)
{
    FV_TRY(fv_render_param_forward(s, cfg->decorrelate));
    FV_TRY(fv_render_transform_forward(s, m, t));
    FV_TRY(fv_plan_forward(s->plan));
    FV_TRY(fv_render_objectives_forward(s, cfg, want_div));
    for (int b = 0; b < s->B; b++)
        if (!isfinite(s->obj[b]))
            return fv_fail(FV_ERR_NUMERIC, "image %d: objective became %f at step %d", b, s->obj[b], t);
    FV_TRY(fv_render_objectives_backward(s, cfg));
    FV_TRY(fv_plan_backward(s->plan, t < cfg->redirect_steps));
    FV_TRY(fv_render_input_backward(s, m, cfg));
    FV_TRY(fv_render_param_backward(s, cfg, t));
    return fv_render_update(s, cfg, t);
}

/* Inverse of the 3x3 colour matrix (adjugate / determinant, in double). */
static void colour_inverse(double inv[3][3])
{
    const float(*M)[3] = fv_colour_matrix;
    double det = 0;
    for (int j = 0; j < 3; j++) {
        for (int i = 0; i < 3; i++) {
            const int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
            /* cyclic indices give the signed cofactor directly */
            inv[j][i] = (double)M[i1][j1] * M[i2][j2] - (double)M[i1][j2] * M[i2][j1];
        }
        det += (double)M[0][j] * inv[j][0];
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) inv[i][j] /= det;
}

fv_status fv_render_init_image(const fv_image *pic, int size, int decorrelate, float *t)
{
    if (!pic || !pic->rgb || pic->w < 1 || pic->h < 1) return fv_fail(FV_ERR_ARG, "--init: empty picture");
    const int S = size, hw = S * S;
    fv_image r = {0, 0, NULL};
    FV_TRY(fv_image_resize(pic, S, S, &r));
    double inv[3][3];
    colour_inverse(inv);
    for (int i = 0; i < hw; i++) {
        double l[3];
        for (int c = 0; c < 3; c++) {
            double p = r.rgb[(size_t)c * hw + i];
            p = p < 1e-3 ? 1e-3 : p > 1 - 1e-3 ? 1 - 1e-3 : p; /* sigmoid never reaches 0 or 1 */
            l[c] = log(p / (1 - p));
        }
        for (int c = 0; c < 3; c++)
            t[(size_t)c * hw + i] =
                (float)(decorrelate ? inv[c][0] * l[0] + inv[c][1] * l[1] + inv[c][2] * l[2] : l[c]);
    }
    fv_image_free(&r);
    return FV_OK;
}

/* The optimisation proper, shared by every kind of render: cfg->steps steps (stopping early on
 * cfg->cancel), objective (and diversity) values of the first and last step into res, then the final
 * images (without transforms) downloaded into res[i].image. */
fv_status fv_render_optimise(render_state *s, const fv_model *m, const fv_render_config *cfg, fv_render_result *res,
                             fv_progress_fn progress, void *ctx)
{
    const int B = s->B, S = s->S;
    const double t0 = fv_render_now_s();
    for (int t = 0; t < cfg->steps; t++) {
        if (cfg->cancel && *cfg->cancel)
            return fv_fail(FV_ERR_INTERRUPTED, "render interrupted at step %d of %d", t, cfg->steps);
        const int ends = t == 0 || t == cfg->steps - 1;
        FV_TRY(fv_render_step(s, m, cfg, t, ends && s->ndiv));
        for (int i = 0; i < B; i++) {
            if (t == 0) res[i].obj_first = s->obj[i];
            res[i].obj_last = s->obj[i];
        }
        for (int d = 0; ends && d < s->ndiv; d++)
            for (int i = s->div_b0[d]; i < s->div_b0[d] + s->div_count[d]; i++) {
                if (t == 0) res[i].div_first = s->div_value[d];
                res[i].div_last = s->div_value[d];
            }
        if (progress) progress(ctx, t + 1, cfg->steps, s->obj, B);
    }
    FV_TRY(fv_render_param_forward(s, cfg->decorrelate));
    const double secs = fv_render_now_s() - t0;
    for (int i = 0; i < B; i++) {
        FV_TRY(fv_image_alloc(&res[i].image, S, S));
        FV_TRY(s->be->download(res[i].image.rgb, s->rgb + (size_t)i * 3 * S * S, sizeof(float) * 3 * S * S));
        res[i].seconds = secs;
    }
    return FV_OK;
}

/* An image's share of its group's objective in the gradient: Lucid's channel, neuron, direction and
 * deepdream objectives without batch= are means over the batch (1/count each); class_logit is a sum. */
static float group_share(const fv_objective *o, const fv_net *net, int count)
{
    for (int k = 0; k < o->nterms; k++)
        if (o->terms[k].tensor == net->logits) return 1.0f;
    return 1.0f / (float)count;
}

fv_status fv_render_setup(const fv_model *m, const fv_render_config *cfg, const fv_backend_i *be,
                          const fv_render_item *items, int nitems, render_state *s, fv_render_result *res)
{
    memset(s, 0, sizeof *s);
    s->be = be;
    const int S = cfg->size;
    int B = 0;
    for (int i = 0; i < nitems; i++) B += items[i].count;
    fv_objective *objs = calloc(nitems, sizeof *objs);
    if (!objs) return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    fv_status st = FV_OK;
    int nparsed = 0, maxterms = 0;
    for (; nparsed < nitems; nparsed++) {
        if ((st = fv_objective_parse(&m->net, items[nparsed].objective, S, S, &objs[nparsed])) != FV_OK) goto done;
        maxterms += objs[nparsed].nterms * items[nparsed].count;
    }
    if ((st = fv_render_state_init(s, be, cfg, B, maxterms, nitems)) != FV_OK) goto done;
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
        const int b0 = b - items[i].count;
        const float share = items[i].count > 1 ? group_share(&objs[i], &m->net, items[i].count) : 1.0f;
        if ((st = fv_render_add_terms(s, &m->net, &objs[i], b0, items[i].count, NULL, share)) != FV_OK) goto done;
        if (items[i].count > 1) fv_render_add_diversity(s, &m->net, b0, items[i].count, objs[i].terms[0].tensor);
    }
    if ((st = fv_render_state_alloc(s, m)) != FV_OK) goto done;
    if (cfg->init) {
        /* every image starts from that picture: its pre-colour image t, then (FFT) the spectrum that the
         * forward turns back into t */
        const size_t per = (size_t)3 * S * S;
        float *host = malloc(sizeof(float) * s->nimg);
        st = host ? fv_render_init_image(cfg->init, S, cfg->decorrelate, host)
                  : fv_fail(FV_ERR_NOMEM, "render: out of memory");
        for (int i = 1; st == FV_OK && i < B; i++) memcpy(host + i * per, host, sizeof(float) * per);
        if (st == FV_OK) st = be->upload(s->pixel ? s->spec : s->timg, host, sizeof(float) * s->nimg);
        if (st == FV_OK && !s->pixel) st = be->image_to_spectrum(s->fft, s->timg, s->scale, s->spec);
        free(host);    } else {
        st = fv_render_init_random(s);
    }
done:
    for (int i = 0; i < nparsed; i++) fv_objective_free(&objs[i]);
    free(objs);
    if (st != FV_OK) fv_render_state_free(s);
    return st;
}

/* One batch: every image of `items` in one pass. */
static fv_status render_batch(fv_model *m, const fv_render_config *cfg, const fv_backend_i *be,
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

/* Images per batch: the user's --batch-size, else what fits in 70% of the backend's free memory
 * (activations and gradients of every live tensor, plus the parameterisation buffers). */
static int max_batch(const fv_model *m, const fv_render_config *cfg, const fv_backend_i *be,
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
    if (!nt || be->mem_info(&free_b, &total_b) != FV_OK || !free_b) return 1 << 30;
    fv_transform_params tp;
    fv_transform_preset(cfg->preset, &tp);
    int lo, hi;
    fv_transform_sides(&tp, cfg->size, &lo, &hi); /* Lucid's canvas grows: size for the largest */
    const size_t S = cfg->size, wf = S / 2 + 1, N = hi;
    size_t per = fv_net_floats_per_image(&m->net, hi, hi, targets, nt) * 2 * sizeof(float) +
                 (3 * S * wf * 2 * 4 + 3 * S * S * 5 + 3 * N * N) * sizeof(float);
    size_t b = (size_t)(0.7 * free_b) / (per ? per : 1);
    return b < 1 ? 1 : b > (1 << 20) ? 1 << 20 : (int)b;
}

int fv_render_batch_capacity(const fv_model *m, const fv_render_config *cfg, const fv_render_item *items, int nitems)
{
    fv_backend_kind got;
    if (fv_backend_resolve(cfg->backend, &got, NULL) != FV_OK) return 1;
    const fv_backend_i *be = fv_backend_get(got);
    return be ? max_batch(m, cfg, be, items, nitems) : 1;
}

fv_status fv_render(fv_model *m, const fv_render_config *cfg, const fv_render_item *items, int nitems,
                    fv_render_result **results, int *nresults, fv_progress_fn progress, void *ctx)
{
    *results = NULL;
    *nresults = 0;
    if (nitems < 1) return fv_fail(FV_ERR_ARG, "render: no objectives");
    if (cfg->size < 16 || cfg->size > 4096) return fv_fail(FV_ERR_ARG, "--size %d: must be 16..4096", cfg->size);
    if (cfg->steps < 1) return fv_fail(FV_ERR_ARG, "--steps %d: must be at least 1", cfg->steps);
    int total = 0;
    for (int i = 0; i < nitems; i++) {
        if (items[i].count < 1 || items[i].count > 64)
            return fv_fail(FV_ERR_ARG, "objective '%s': image count %d must be 1..64", items[i].objective, items[i].count);
        total += items[i].count;
    }
    fv_backend_kind got;
    FV_TRY(fv_backend_resolve(cfg->backend, &got, NULL));
    const fv_backend_i *be = fv_backend_get(got);
    if (!be) return FV_ERR_UNSUPPORTED;
    int cap = max_batch(m, cfg, be, items, nitems);
    fv_render_result *all = calloc(total, sizeof *all);
    if (!all) return fv_fail(FV_ERR_NOMEM, "render: out of memory");
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
    if (st != FV_OK) {
        fv_render_results_free(all, done);
        return st;
    }
    *results = all;
    *nresults = total;
    return FV_OK;
}
