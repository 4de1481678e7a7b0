/* Interpolation between two objectives (the article's "Interaction between Neurons", Lucid's
 * aligned_interpolation notebook): B frames, frame n optimising (1-w_n) A + w_n B, w_n = n/(B-1), with the
 * alignment over one or more layers as batch terms, low-resolution parameters shared by all frames
 * (param.c) and each step's transform draw shared too. The step is render/step.c's, unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "io/image.h"
#include "setup.h"
#include "step.h"

#define FV_ALIGN_MAX 8

/* The shared lowres tensors of the notebook's interpolate_param_f: (frames, S/div) of the underlying
 * shape (frames, S/div, S/div, 3), each resized to the batch and added to every frame's FFT image. */
static const int low_frames[6] = {1, 1, 1, 2, 1, 2};
static const int low_div[6] = {2, 4, 8, 8, 16, 16};

void fv_alignment_default(fv_alignment *a)
{
    memset(a, 0, sizeof *a);
    a->weight = 1e-1f;
    a->decay = 5.0f;
}

/* The alignment layers: the user's, else mixed3b and mixed4a where the model has both, else A's layer. */
static fv_status align_layers(const fv_net *net, const fv_alignment *al, int a_tensor, int *t, int *n)
{
    *n = 0;
    if (al->nlayers > FV_ALIGN_MAX) return fv_fail(FV_ERR_ARG, "alignment: at most %d layers", FV_ALIGN_MAX);
    for (int i = 0; i < al->nlayers; i++) {
        const int k = fv_net_find(net, al->layers[i]);
        if (k < 0 || k == net->input)
            return fv_fail(FV_ERR_ARG, "alignment layer '%s': unknown layer (featvis-cuda layers lists them)",
                           al->layers[i]);
        for (int j = 0; j < *n; j++)
            if (t[j] == k) return fv_fail(FV_ERR_ARG, "alignment layer '%s' is given twice", al->layers[i]);
        t[(*n)++] = k;
    }
    if (*n) return FV_OK;
    const int t3b = fv_net_find(net, "mixed3b"), t4a = fv_net_find(net, "mixed4a");
    if (t3b >= 0 && t4a >= 0) {
        t[(*n)++] = t3b;
        t[(*n)++] = t4a;
    } else {
        t[(*n)++] = a_tensor;
    }
    return FV_OK;
}

static fv_status interp_check(const fv_render_config *cfg, int frames, const fv_alignment *al)
{
    if (frames < 2 || frames > 64) return fv_fail(FV_ERR_ARG, "--frames %d: must be 2..64", frames);
    FV_TRY(fv_render_config_check(cfg));
    if (!(al->weight >= 0)) return fv_fail(FV_ERR_ARG, "--alignment %g: must be >= 0", al->weight);
    if (!(al->decay > 0)) return fv_fail(FV_ERR_ARG, "--alignment-decay %g: must be > 0", al->decay);
    if (cfg->param_pixel || cfg->init)
        return fv_fail(FV_ERR_UNSUPPORTED, "interpolate: only the FFT parameterisation from noise (no --param pixel, --init)");
    return FV_OK;
}

/* Frames' keys, names and weights; A's and B's terms; the alignment batch terms. */
static fv_status add_frames(render_state *s, const fv_net *net, const fv_objective *oa, const fv_objective *ob,
                            uint64_t seed, const fv_alignment *al, fv_render_result *res, uint64_t *pair_key)
{
    const int B = s->B;
    float wa[64], wb[64];
    char key[1200];
    /* Each frame's own stream for its spectrum; the lowres tensors and every frame's transform draws
     * come from the pair's stream, so the frames are shifted, scaled and turned alike. */
    snprintf(key, sizeof key, "interp:%s|%s#lowres", oa->canon, ob->canon);
    *pair_key = s->scale_key = fv_rng_key(seed, key);
    for (int n = 0; n < B; n++) {
        snprintf(key, sizeof key, "interp:%s|%s#%d", oa->canon, ob->canon, n);
        s->keys[n] = fv_rng_key(seed, key);
        s->tkeys[n] = *pair_key;
        snprintf(res[n].objective, sizeof res[n].objective, "%.250s|%.250s", oa->canon, ob->canon);
        res[n].index = n;
        res[n].count = 1;
        wb[n] = (float)n / (float)(B - 1);
        wa[n] = 1.0f - wb[n];
    }
    FV_TRY(fv_render_add_terms(s, net, oa, 0, B, wa, 1.0f));
    FV_TRY(fv_render_add_terms(s, net, ob, 0, B, wb, 1.0f));
    int t[FV_ALIGN_MAX], nt;
    FV_TRY(align_layers(net, al, oa->terms[0].tensor, t, &nt));
    for (int k = 0; k < nt; k++) fv_render_add_alignment(s, 0, B, t[k], al->weight, al->decay);
    return FV_OK;
}

fv_status fv_render_interp_setup(const fv_model *m, const fv_render_config *cfg, fv_backend *be,
                                 const char *obj_a, const char *obj_b, int frames, const fv_alignment *align,
                                 render_state *s, fv_render_result *res)
{
    memset(s, 0, sizeof *s);
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
    uint64_t pair_key = 0;
    st = fv_render_state_init(s, be, cfg, frames, frames * (oa.nterms + ob.nterms), FV_ALIGN_MAX);
    if (st == FV_OK) st = add_frames(s, &m->net, &oa, &ob, cfg->seed, al, res, &pair_key);
    if (st == FV_OK) st = fv_render_state_alloc(s, m, cfg);
    for (int k = 0; st == FV_OK && k < 6; k++) st = fv_param_add_lowres(&s->param, low_frames[k], cfg->size / low_div[k]);
    if (st == FV_OK) st = fv_param_alloc_lowres(&s->param);
    /* Spectra ~ N(0, 0.01^2) per frame as in render.c; lowres tensors N(0, 0.01^2) (lowres_tensor's
     * default sd = 0.01). */
    if (st == FV_OK) st = fv_param_init_random(&s->param, s->keys);
    if (st == FV_OK) st = fv_param_init_lowres_random(&s->param, pair_key);
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
    fv_backend *be;
    FV_TRY(fv_render_backend_acquire(cfg, &be));
    fv_render_result *res = calloc(frames, sizeof *res);
    if (!res) {
        fv_render_backend_release(cfg, be);
        return fv_fail(FV_ERR_NOMEM, "interpolate: out of memory");
    }
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
    fv_render_backend_release(cfg, be);
    return st;
}
