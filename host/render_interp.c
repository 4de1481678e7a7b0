/* Interpolation between two objectives (the article's "Interaction between Neurons", Lucid's
 * aligned_interpolation notebook): B frames, frame n optimising (1-w_n) A + w_n B, w_n = n/(B-1), plus
 * an alignment term, with images that share low-resolution parameters. Uses render.c's step loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "objective.h"
#include "render_int.h"
#include "rng.h"

#define FV_IX_NLOW 6
#define FV_IX_DECAY 2.0f /* objectives.alignment's default decay_ratio */

/* The shared lowres tensors of interpolate_param_f, each resized to (B, S, S, 3) and added to every
 * frame's FFT image: (frames, S/div) of the underlying shape (frames, S/div, S/div, 3). */
static const int low_frames[FV_IX_NLOW] = {1, 1, 1, 2, 1, 2};
static const int low_div[FV_IX_NLOW] = {2, 4, 8, 8, 16, 16};

struct fv_render_ix {
    int nb[FV_IX_NLOW], side[FV_IX_NLOW];
    size_t off[FV_IX_NLOW], nlow;
    float *low, *dlow, *m, *v; /* all six tensors in one buffer, (nb, 3, side, side) each */
    int align_tensor;
    float align_weight;
};

fv_status fv_render_ix_forward(render_state *s)
{
    const fv_render_ix *x = s->ix;
    for (int k = 0; k < FV_IX_NLOW; k++)
        FV_TRY(s->be->lowres_fwd(x->nb[k], 3, x->side[k], x->side[k], x->low + x->off[k], s->B, s->S, s->S, s->timg));
    return FV_OK;
}

fv_status fv_render_ix_objective_bwd(render_state *s)
{
    const fv_render_ix *x = s->ix;
    if (x->align_weight == 0) return FV_OK;
    const int t = x->align_tensor;
    return s->be->alignment_bwd(s->plan->act[t], 0, s->B, FV_IX_DECAY, x->align_weight, s->plan->grad[t]);
}

fv_status fv_render_ix_backward(render_state *s, const fv_render_config *cfg, int t)
{
    fv_render_ix *x = s->ix;
    /* t = unique + sum(shared): each lowres tensor receives R^T of the pre-colour image's gradient */
    for (int k = 0; k < FV_IX_NLOW; k++)
        FV_TRY(s->be->lowres_bwd(x->nb[k], 3, x->side[k], x->side[k], s->B, s->S, s->S, s->dtimg, x->dlow + x->off[k]));
    /* one optimiser over all variables, as Lucid: the same Adam settings as the spectrum */
    return s->be->adam(x->nlow, x->low, x->dlow, x->m, x->v, t + 1, cfg->lr, 0.9f, 0.999f, 1e-8f);
}

static void ix_free(const fv_backend_i *be, fv_render_ix *x)
{
    float *bufs[] = {x->low, x->dlow, x->m, x->v};
    for (int i = 0; i < 4; i++)
        if (bufs[i]) be->free(bufs[i]);
}

/* Terms of one objective for every frame, weight scaled by (1 - w_n) (A) or w_n (B). */
static fv_status add_terms(render_state *s, const fv_net *net, const fv_objective *o, int is_b, size_t *dir_off)
{
    for (int k = 0; k < o->nterms; k++) {
        const fv_obj_spec *sp = &o->terms[k];
        const float *dir = NULL;
        if (sp->kind == FV_OBJ_DIRECTION) {
            const int c = net->tensors[sp->tensor].c;
            FV_TRY(s->be->upload(s->dirs + *dir_off, sp->dir, sizeof(float) * c));
            dir = s->dirs + *dir_off;
            *dir_off += c;
        }
        for (int n = 0; n < s->B; n++) {
            const float w = (float)n / (float)(s->B - 1);
            fv_obj_term tm = {sp->kind, n, sp->channel, sp->y, sp->x, sp->weight * (is_b ? w : 1.0f - w), dir};
            s->terms[s->nterms] = tm;
            s->term_tensor[s->nterms] = sp->tensor;
            s->term_image[s->nterms] = n;
            s->nterms++;
        }
        fv_render_add_target(s, sp->tensor);
    }
    return FV_OK;
}

fv_status fv_render_interpolation(fv_model *m, const fv_render_config *cfg, const char *obj_a, const char *obj_b,
                                  int frames, float alignment_weight, fv_render_result **results, int *nresults,
                                  fv_progress_fn progress, void *ctx)
{
    *results = NULL;
    *nresults = 0;
    if (frames < 2 || frames > 64) return fv_fail(FV_ERR_ARG, "--frames %d: must be 2..64", frames);
    if (cfg->size < 16 || cfg->size > 4096) return fv_fail(FV_ERR_ARG, "--size %d: must be 16..4096", cfg->size);
    if (cfg->steps < 1) return fv_fail(FV_ERR_ARG, "--steps %d: must be at least 1", cfg->steps);
    if (!(alignment_weight >= 0)) return fv_fail(FV_ERR_ARG, "--alignment %g: must be >= 0", alignment_weight);
    if (cfg->param_pixel || cfg->init)
        return fv_fail(FV_ERR_UNSUPPORTED, "interpolate: only the FFT parameterisation from noise (no --param pixel, --init)");
    fv_backend_kind got;
    FV_TRY(fv_backend_resolve(cfg->backend, &got, NULL));
    const fv_backend_i *be = fv_backend_get(got);
    if (!be) return FV_ERR_UNSUPPORTED;
    fv_objective oa, ob;
    FV_TRY(fv_objective_parse(&m->net, obj_a, cfg->size, cfg->size, &oa));
    fv_status st = fv_objective_parse(&m->net, obj_b, cfg->size, cfg->size, &ob);
    if (st != FV_OK) {
        fv_objective_free(&oa);
        return st;
    }
    const int B = frames, S = cfg->size;
    render_state s;
    memset(&s, 0, sizeof s);
    fv_render_ix ix;
    memset(&ix, 0, sizeof ix);
    fv_render_result *res = calloc(B, sizeof *res);
    float *host = NULL;
    s.be = be;
    s.B = B;
    s.S = S;
    s.wf = S / 2 + 1;
    s.penalised = cfg->tv_weight != 0 || cfg->l1_weight != 0 || cfg->l2_weight != 0 || cfg->blur_weight != 0;
    s.nimg = (size_t)B * 3 * S * S;
    s.nspec = (size_t)B * 3 * S * s.wf * 2;
    const int maxterms = B * (oa.nterms + ob.nterms);
    s.terms = calloc(maxterms, sizeof *s.terms);
    s.term_tensor = calloc(maxterms, sizeof(int));
    s.term_image = calloc(maxterms, sizeof(int));
    s.term_values = calloc(maxterms, sizeof(float));
    s.targets = calloc(maxterms + 1, sizeof(int));
    s.maps = calloc(B, sizeof *s.maps);
    s.keys = calloc(B, sizeof *s.keys);
    s.obj = calloc(B, sizeof(float));
    s.pen = calloc(B, sizeof(float));
    if (!res || !s.terms || !s.term_tensor || !s.term_image || !s.term_values || !s.targets || !s.maps || !s.keys ||
        !s.obj || !s.pen) {
        st = fv_fail(FV_ERR_NOMEM, "interpolate: out of memory");
        goto done;
    }
    /* Each frame's own stream for its spectrum; the lowres tensors' stream is keyed by the pair. */
    char key[1200];
    for (int n = 0; n < B; n++) {
        snprintf(key, sizeof key, "interp:%s|%s#%d", oa.canon, ob.canon, n);
        s.keys[n] = fv_rng_key(cfg->seed, key);
        snprintf(res[n].objective, sizeof res[n].objective, "%.250s|%.250s", oa.canon, ob.canon);
        res[n].index = n;
    }
    snprintf(key, sizeof key, "interp:%s|%s#lowres", oa.canon, ob.canon);
    const uint64_t low_key = fv_rng_key(cfg->seed, key);
    size_t dir_floats = 0;
    for (int k = 0; k < oa.nterms; k++)
        if (oa.terms[k].kind == FV_OBJ_DIRECTION) dir_floats += m->net.tensors[oa.terms[k].tensor].c;
    for (int k = 0; k < ob.nterms; k++)
        if (ob.terms[k].kind == FV_OBJ_DIRECTION) dir_floats += m->net.tensors[ob.terms[k].tensor].c;
    if (dir_floats && (st = fv_render_alloc_f(be, &s.dirs, dir_floats)) != FV_OK) goto done;
    size_t dir_off = 0;
    if ((st = add_terms(&s, &m->net, &oa, 0, &dir_off)) != FV_OK || (st = add_terms(&s, &m->net, &ob, 1, &dir_off)) != FV_OK)
        goto done;
    fv_render_sort_terms(&s);
    ix.align_tensor = oa.terms[0].tensor;
    ix.align_weight = alignment_weight;
    fv_render_add_target(&s, ix.align_tensor);
    for (int k = 0; k < FV_IX_NLOW; k++) {
        ix.nb[k] = low_frames[k];
        ix.side[k] = S / low_div[k] > 0 ? S / low_div[k] : 1;
        ix.off[k] = ix.nlow;
        ix.nlow += (size_t)ix.nb[k] * 3 * ix.side[k] * ix.side[k];
    }
    if ((st = fv_plan_create(&m->net, be, B, S, S, s.targets, s.ntargets, &s.plan)) != FV_OK) goto done;
    if ((st = fv_render_alloc_f(be, &s.spec, s.nspec)) != FV_OK || (st = fv_render_alloc_f(be, &s.dspec, s.nspec)) != FV_OK ||
        (st = fv_render_alloc_f(be, &s.m, s.nspec)) != FV_OK || (st = fv_render_alloc_f(be, &s.v, s.nspec)) != FV_OK ||
        (st = fv_render_alloc_f(be, &s.rgb, s.nimg)) != FV_OK || (st = fv_render_alloc_f(be, &s.drgb, s.nimg)) != FV_OK ||
        (st = fv_render_alloc_f(be, &s.xr, s.nimg)) != FV_OK || (st = fv_render_alloc_f(be, &s.scale, (size_t)S * s.wf)) != FV_OK ||
        (st = fv_render_alloc_f(be, &s.timg, s.nimg)) != FV_OK || (st = fv_render_alloc_f(be, &s.dtimg, s.nimg)) != FV_OK ||
        (st = be->fft_plan_create(B * 3, S, S, &s.fft)) != FV_OK || (st = fv_render_alloc_f(be, &ix.low, ix.nlow)) != FV_OK ||
        (st = fv_render_alloc_f(be, &ix.dlow, ix.nlow)) != FV_OK || (st = fv_render_alloc_f(be, &ix.m, ix.nlow)) != FV_OK ||
        (st = fv_render_alloc_f(be, &ix.v, ix.nlow)) != FV_OK)
        goto done;
    s.ix = &ix;
    {
        /* Spectra ~ N(0, 0.01^2) per frame as in render.c; lowres tensors N(0, 0.01^2) (lowres_tensor's
         * default sd = 0.01). */
        const size_t per = s.nspec / B;
        host = malloc(sizeof(float) * (s.nspec > ix.nlow ? s.nspec : ix.nlow));
        if (!host) {
            st = fv_fail(FV_ERR_NOMEM, "interpolate: out of memory");
            goto done;
        }
        fv_spectrum_scale(S, S, 1.0f, host);
        if ((st = be->upload(s.scale, host, sizeof(float) * S * s.wf)) != FV_OK) goto done;
        for (int i = 0; i < B; i++)
            for (size_t k = 0; k < per; k++)
                host[i * per + k] = (float)(0.01 * fv_rng_normal(s.keys[i], FV_RNG_STREAM_INIT + k));
        if ((st = be->upload(s.spec, host, sizeof(float) * s.nspec)) != FV_OK) goto done;
        for (size_t k = 0; k < ix.nlow; k++) host[k] = (float)(0.01 * fv_rng_normal(low_key, FV_RNG_STREAM_INIT + k));
        if ((st = be->upload(ix.low, host, sizeof(float) * ix.nlow)) != FV_OK) goto done;
    }
    if ((st = fv_render_optimise(&s, m, cfg, res, progress, ctx)) != FV_OK) goto done;
    *results = res;
    *nresults = B;
    res = NULL;
done:
    free(host);
    ix_free(be, &ix);
    fv_render_state_free(&s);
    fv_objective_free(&oa);
    fv_objective_free(&ob);
    fv_render_results_free(res, B);
    return st;
}
