/* Interpolation between two objectives (the article's "Interaction between Neurons", Lucid's
 * aligned_interpolation notebook): B frames, frame n optimising (1-w_n) A + w_n B, w_n = n/(B-1), plus
 * an alignment term over one or more layers, with images that share low-resolution parameters and each
 * step's transform draw. Uses render_state.c's state and render.c's step loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device/registry.h"
#include "io/image.h"
#include "objective.h"
#include "render_int.h"
#include "core/rng.h"

#define FV_IX_NLOW 6
#define FV_IX_MAXALIGN 8

/* The shared lowres tensors of interpolate_param_f, each resized to (B, S, S, 3) and added to every
 * frame's FFT image: (frames, S/div) of the underlying shape (frames, S/div, S/div, 3). */
static const int low_frames[FV_IX_NLOW] = {1, 1, 1, 2, 1, 2};
static const int low_div[FV_IX_NLOW] = {2, 4, 8, 8, 16, 16};

struct fv_render_ix {
    int nb[FV_IX_NLOW], side[FV_IX_NLOW];
    size_t off[FV_IX_NLOW], nlow;
    float *low, *dlow, *m, *v; /* all six tensors in one buffer, (nb, 3, side, side) each */
    int nalign, align_tensor[FV_IX_MAXALIGN];
    float align_weight, align_decay;
};

void fv_alignment_default(fv_alignment *a)
{
    memset(a, 0, sizeof *a);
    a->weight = 1e-1f;
    a->decay = 5.0f;
}

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
    for (int k = 0; k < x->nalign; k++) {
        const int t = x->align_tensor[k];
        FV_TRY(s->be->alignment_bwd(s->plan->act[t], 0, s->B, x->align_decay, x->align_weight, s->plan->grad[t]));
    }
    return FV_OK;
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

/* The alignment layers: the user's, else mixed3b and mixed4a where the model has both, else A's layer. */
static fv_status align_layers(fv_render_ix *ix, const fv_net *net, const fv_alignment *al, int a_tensor)
{
    ix->nalign = 0;
    if (al->nlayers > FV_IX_MAXALIGN) return fv_fail(FV_ERR_ARG, "alignment: at most %d layers", FV_IX_MAXALIGN);
    for (int i = 0; i < al->nlayers; i++) {
        const int t = fv_net_find(net, al->layers[i]);
        if (t < 0 || t == net->input)
            return fv_fail(FV_ERR_ARG, "alignment layer '%s': unknown layer (featvis-cuda layers lists them)",
                           al->layers[i]);
        for (int k = 0; k < ix->nalign; k++)
            if (ix->align_tensor[k] == t) return fv_fail(FV_ERR_ARG, "alignment layer '%s' is given twice", al->layers[i]);
        ix->align_tensor[ix->nalign++] = t;
    }
    if (ix->nalign) return FV_OK;
    const int t3b = fv_net_find(net, "mixed3b"), t4a = fv_net_find(net, "mixed4a");
    if (t3b >= 0 && t4a >= 0) {
        ix->align_tensor[ix->nalign++] = t3b;
        ix->align_tensor[ix->nalign++] = t4a;
    } else {
        ix->align_tensor[ix->nalign++] = a_tensor;
    }
    return FV_OK;
}

void fv_render_ix_free(render_state *s)
{
    fv_render_ix *x = s->ix;
    if (!x) return;
    float *bufs[] = {x->low, x->dlow, x->m, x->v};
    for (int i = 0; i < 4; i++)
        if (bufs[i]) s->be->free(bufs[i]);
    free(x);
    s->ix = NULL;
}

static fv_status interp_check(const fv_render_config *cfg, int frames, const fv_alignment *al)
{
    if (frames < 2 || frames > 64) return fv_fail(FV_ERR_ARG, "--frames %d: must be 2..64", frames);
    if (cfg->size < 16 || cfg->size > 4096) return fv_fail(FV_ERR_ARG, "--size %d: must be 16..4096", cfg->size);
    if (cfg->steps < 1) return fv_fail(FV_ERR_ARG, "--steps %d: must be at least 1", cfg->steps);
    if (!(al->weight >= 0)) return fv_fail(FV_ERR_ARG, "--alignment %g: must be >= 0", al->weight);
    if (!(al->decay > 0)) return fv_fail(FV_ERR_ARG, "--alignment-decay %g: must be > 0", al->decay);
    if (cfg->param_pixel || cfg->init)
        return fv_fail(FV_ERR_UNSUPPORTED, "interpolate: only the FFT parameterisation from noise (no --param pixel, --init)");
    return FV_OK;
}

fv_status fv_render_interp_setup(const fv_model *m, const fv_render_config *cfg, const fv_backend_i *be,
                                 const char *obj_a, const char *obj_b, int frames, const fv_alignment *align,
                                 render_state *s, fv_render_result *res)
{
    memset(s, 0, sizeof *s);
    s->be = be;
    fv_alignment defaults;
    fv_alignment_default(&defaults);
    const fv_alignment *al = align ? align : &defaults;
    FV_TRY(interp_check(cfg, frames, al));
    fv_objective oa, ob;
    FV_TRY(fv_objective_parse(&m->net, obj_a, cfg->size, cfg->size, &oa));
    fv_status st = fv_objective_parse(&m->net, obj_b, cfg->size, cfg->size, &ob);
    if (st != FV_OK) {
        fv_objective_free(&oa);
        return st;
    }
    const int B = frames, S = cfg->size;
    float *host = NULL, *wa = malloc(sizeof(float) * B), *wb = malloc(sizeof(float) * B);
    fv_render_ix *ix = calloc(1, sizeof *ix);
    if (!wa || !wb || !ix) {
        free(ix);
        st = fv_fail(FV_ERR_NOMEM, "interpolate: out of memory");
        goto done;
    }
    if ((st = fv_render_state_init(s, be, cfg, B, B * (oa.nterms + ob.nterms), 0)) != FV_OK) {
        free(ix);
        goto done;
    }
    s->ix = ix;
    /* Each frame's own stream for its spectrum; the lowres tensors and every frame's transform draws
     * come from the pair's stream, so the frames are shifted, scaled and turned alike. */
    char key[1200];
    snprintf(key, sizeof key, "interp:%s|%s#lowres", oa.canon, ob.canon);
    const uint64_t pair_key = fv_rng_key(cfg->seed, key);
    s->scale_key = pair_key;
    for (int n = 0; n < B; n++) {
        snprintf(key, sizeof key, "interp:%s|%s#%d", oa.canon, ob.canon, n);
        s->keys[n] = fv_rng_key(cfg->seed, key);
        s->tkeys[n] = pair_key;
        snprintf(res[n].objective, sizeof res[n].objective, "%.250s|%.250s", oa.canon, ob.canon);
        res[n].index = n;
        res[n].count = 1;
        wb[n] = (float)n / (float)(B - 1);
        wa[n] = 1.0f - wb[n];
    }
    if ((st = fv_render_add_terms(s, &m->net, &oa, 0, B, wa, 1.0f)) != FV_OK ||
        (st = fv_render_add_terms(s, &m->net, &ob, 0, B, wb, 1.0f)) != FV_OK)
        goto done;
    if ((st = align_layers(ix, &m->net, al, oa.terms[0].tensor)) != FV_OK) goto done;
    ix->align_weight = al->weight;
    ix->align_decay = al->decay;
    for (int k = 0; k < ix->nalign; k++) fv_render_add_target(s, ix->align_tensor[k]);
    for (int k = 0; k < FV_IX_NLOW; k++) {
        ix->nb[k] = low_frames[k];
        ix->side[k] = S / low_div[k] > 0 ? S / low_div[k] : 1;
        ix->off[k] = ix->nlow;
        ix->nlow += (size_t)ix->nb[k] * 3 * ix->side[k] * ix->side[k];
    }
    if ((st = fv_render_state_alloc(s, m)) != FV_OK) goto done;
    if ((st = fv_render_alloc_f(be, &ix->low, ix->nlow)) != FV_OK || (st = fv_render_alloc_f(be, &ix->dlow, ix->nlow)) != FV_OK ||
        (st = fv_render_alloc_f(be, &ix->m, ix->nlow)) != FV_OK || (st = fv_render_alloc_f(be, &ix->v, ix->nlow)) != FV_OK)
        goto done;
    /* Spectra ~ N(0, 0.01^2) per frame as in render.c; lowres tensors N(0, 0.01^2) (lowres_tensor's
     * default sd = 0.01). */
    if ((st = fv_render_init_random(s)) != FV_OK) goto done;
    if (!(host = malloc(sizeof(float) * ix->nlow))) {
        st = fv_fail(FV_ERR_NOMEM, "interpolate: out of memory");
        goto done;
    }
    for (size_t k = 0; k < ix->nlow; k++) host[k] = (float)(0.01 * fv_rng_normal(pair_key, FV_RNG_STREAM_INIT + k));
    st = be->upload(ix->low, host, sizeof(float) * ix->nlow);
done:
    free(host);
    free(wa);
    free(wb);
    fv_objective_free(&oa);
    fv_objective_free(&ob);
    if (st != FV_OK) fv_render_state_free(s);
    return st;
}

fv_status fv_render_interpolation(fv_model *m, const fv_render_config *cfg, const char *obj_a, const char *obj_b,
                                  int frames, const fv_alignment *align, fv_render_result **results, int *nresults,
                                  fv_progress_fn progress, void *ctx)
{
    *results = NULL;
    *nresults = 0;
    fv_alignment defaults;
    fv_alignment_default(&defaults);
    FV_TRY(interp_check(cfg, frames, align ? align : &defaults));
    fv_backend_kind got;
    FV_TRY(fv_backend_resolve(cfg->backend, &got, NULL));
    const fv_backend_i *be = fv_backend_get(got);
    if (!be) return FV_ERR_UNSUPPORTED;
    fv_render_result *res = calloc(frames, sizeof *res);
    if (!res) return fv_fail(FV_ERR_NOMEM, "interpolate: out of memory");
    render_state s;
    fv_status st = fv_render_interp_setup(m, cfg, be, obj_a, obj_b, frames, align, &s, res);
    if (st == FV_OK) st = fv_render_optimise(&s, m, cfg, res, progress, ctx);
    if (st == FV_OK) {
        *results = res;
        *nresults = frames;
        res = NULL;
    }
    fv_render_state_free(&s);
    fv_render_results_free(res, frames);
    return st;
}
