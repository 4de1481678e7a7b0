/* The per-batch render state, built the same way for ordinary renders (render.c) and interpolations
 * (render_interp.c): host arrays, objective terms (with each image's share of its group's gradient),
 * diversity groups, the plan over every input size the transform preset gives, the buffers, and the
 * random start. Nothing here runs inside the step loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_int.h"
#include "core/rng.h"

fv_status fv_render_alloc_f(const fv_backend_i *be, float **p, size_t n) { return be->alloc((void **)p, n * sizeof(float)); }

fv_status fv_render_state_init(render_state *s, const fv_backend_i *be, const fv_render_config *cfg, int B,
                               int maxterms, int maxdiv)
{
    memset(s, 0, sizeof *s);
    s->be = be;
    s->B = B;
    s->S = cfg->size;
    s->wf = cfg->size / 2 + 1;
    s->pixel = cfg->param_pixel != 0;
    s->penalised = cfg->tv_weight != 0 || cfg->l1_weight != 0 || cfg->l2_weight != 0 || cfg->blur_weight != 0;
    s->nimg = (size_t)B * 3 * s->S * s->S;
    s->nspec = s->pixel ? s->nimg : (size_t)B * 3 * s->S * s->wf * 2;
    s->maxterms = maxterms;
    s->maxdiv = maxdiv;
    fv_transform_preset(cfg->preset, &s->tp);
    fv_transform_sides(&s->tp, s->S, &s->min_side, &s->max_side);
    s->side = s->S;
    const int mt = maxterms > 0 ? maxterms : 1, md = maxdiv > 0 ? maxdiv : 1;
    s->terms = calloc(mt, sizeof *s->terms);
    s->gterms = calloc(mt, sizeof *s->gterms);
    s->term_tensor = calloc(mt, sizeof(int));
    s->term_image = calloc(mt, sizeof(int));
    s->term_centre = calloc(mt, sizeof(int));
    s->term_values = calloc(mt, sizeof(float));
    s->dirbufs = calloc(mt, sizeof *s->dirbufs);
    s->targets = calloc(mt + 2 * md + 8, sizeof(int));
    s->div_b0 = calloc(md, sizeof(int));
    s->div_count = calloc(md, sizeof(int));
    s->div_tensor = calloc(md, sizeof(int));
    s->div_value = calloc(md, sizeof(float));
    s->maps = calloc(B, sizeof *s->maps);
    s->chains = calloc(B, sizeof *s->chains);
    s->keys = calloc(B, sizeof *s->keys);
    s->tkeys = calloc(B, sizeof *s->tkeys);
    s->obj = calloc(B, sizeof(float));
    s->pen = calloc(B, sizeof(float));
    if (!s->terms || !s->gterms || !s->term_tensor || !s->term_image || !s->term_centre || !s->term_values ||
        !s->dirbufs || !s->targets || !s->div_b0 || !s->div_count || !s->div_tensor || !s->div_value || !s->maps ||
        !s->chains || !s->keys || !s->tkeys || !s->obj || !s->pen)
        return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    return FV_OK;
}

void fv_render_state_free(render_state *s)
{
    const fv_backend_i *be = s->be;
    float **bufs[] = {&s->spec, &s->dspec, &s->m, &s->v, &s->scale, &s->timg, &s->dtimg, &s->rgb, &s->drgb, &s->xr,
                      &s->divwork};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (*bufs[i]) be->free(*bufs[i]);
    for (int i = 0; i < s->ndirbufs; i++) be->free(s->dirbufs[i]);
    fv_render_ix_free(s);
    if (s->fft) be->fft_plan_free(s->fft);
    fv_plan_free(s->plan);
    void *host[] = {s->terms, s->gterms, s->term_tensor, s->term_image, s->term_centre, s->term_values, s->dirbufs,
                    s->targets, s->div_b0, s->div_count, s->div_tensor, s->div_value, s->maps, s->chains, s->keys,
                    s->tkeys, s->obj, s->pen};
    for (size_t i = 0; i < sizeof host / sizeof *host; i++) free(host[i]);
    memset(s, 0, sizeof *s);
}

int fv_render_add_target(render_state *s, int t)
{
    for (int i = 0; i < s->ntargets; i++)
        if (s->targets[i] == t) return i;
    s->targets[s->ntargets] = t;
    return s->ntargets++;
}

fv_status fv_render_add_terms(render_state *s, const fv_net *net, const fv_objective *o, int b0, int count,
                              const float *img_weight, float share)
{
    if (s->nterms + o->nterms * count > s->maxterms) return fv_fail(FV_ERR_ARG, "render: too many objective terms");
    for (int k = 0; k < o->nterms; k++) {
        const fv_obj_spec *sp = &o->terms[k];
        const float *dir = NULL;
        if (sp->kind == FV_OBJ_DIRECTION) {
            const int c = net->tensors[sp->tensor].c;
            float *d = NULL;
            FV_TRY(fv_render_alloc_f(s->be, &d, (size_t)c));
            s->dirbufs[s->ndirbufs++] = d;
            FV_TRY(s->be->upload(d, sp->dir, sizeof(float) * c));
            dir = d;
        }
        /* The classifier's neurons are 1x1: their "centre" never moves. */
        const int centre = sp->kind == FV_OBJ_NEURON && !sp->has_pos && sp->tensor != net->logits &&
                           sp->tensor != net->probs;
        for (int j = 0; j < count; j++) {
            const float w = sp->weight * (img_weight ? img_weight[j] : 1.0f);
            const fv_obj_term tm = {sp->kind, b0 + j, sp->channel, sp->y, sp->x, w, dir};
            s->terms[s->nterms] = tm;
            s->gterms[s->nterms] = tm;
            s->gterms[s->nterms].weight = w * share;
            s->term_tensor[s->nterms] = sp->tensor;
            s->term_image[s->nterms] = b0 + j;
            s->term_centre[s->nterms] = centre;
            s->nterms++;
        }
        fv_render_add_target(s, sp->tensor);
    }
    return FV_OK;
}

void fv_render_add_diversity(render_state *s, const fv_net *net, int b0, int count, int t)
{
    const int post = fv_net_post_relu(net, t);
    const int d = s->ndiv++;
    s->div_b0[d] = b0;
    s->div_count[d] = count;
    s->div_tensor[d] = post >= 0 ? post : t;
    fv_render_add_target(s, s->div_tensor[d]);
}

/* Terms grouped by tensor (stable), so each objective op call sees one layer. */
static void sort_terms(render_state *s)
{
    for (int i = 1; i < s->nterms; i++)
        for (int j = i; j > 0 && s->term_tensor[j - 1] > s->term_tensor[j]; j--) {
#define SWAP(T, a)                                                                                                      \
    do {                                                                                                                \
        T x_ = a[j];                                                                                                    \
        a[j] = a[j - 1];                                                                                                \
        a[j - 1] = x_;                                                                                                  \
    } while (0)
            SWAP(fv_obj_term, s->terms);
            SWAP(fv_obj_term, s->gterms);
            SWAP(int, s->term_tensor);
            SWAP(int, s->term_image);
            SWAP(int, s->term_centre);
#undef SWAP
        }
}

/* A neuron at an explicit position must lie inside its layer at every input size the preset gives. */
static fv_status check_positions(const render_state *s, const fv_net *net)
{
    if (s->min_side == s->S) return FV_OK; /* checked by the parser at the image size */
    int *hs = malloc(sizeof(int) * net->ntensors), *ws = malloc(sizeof(int) * net->ntensors);
    if (!hs || !ws) {
        free(hs);
        free(ws);
        return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    }
    fv_status st = fv_net_shapes(net, s->min_side, s->min_side, hs, ws);
    for (int k = 0; st == FV_OK && k < s->nterms; k++) {
        const fv_obj_term *t = &s->terms[k];
        const int tt = s->term_tensor[k];
        if (t->kind == FV_OBJ_NEURON && !s->term_centre[k] && (t->x >= ws[tt] || t->y >= hs[tt]))
            st = fv_fail(FV_ERR_ARG,
                         "neuron (%d,%d) of layer '%s' is outside the layer (%dx%d) at the smallest canvas the lucid "
                         "preset gives (%d px for a %d px image)",
                         t->x, t->y, fv_net_display_name(net, tt), ws[tt], hs[tt], s->min_side, s->S);
    }
    free(hs);
    free(ws);
    return st;
}

fv_status fv_render_state_alloc(render_state *s, const fv_model *m)
{
    const fv_backend_i *be = s->be;
    const int B = s->B, S = s->S;
    sort_terms(s);
    FV_TRY(check_positions(s, &m->net));
    /* Every input side the preset can give (Lucid's canvas changes size with the scale drawn). */
    int sides[64], ns = 0;
    sides[ns++] = s->tp.grow ? s->max_side : S;
    for (int i = 0; s->tp.grow && i < s->tp.nscales && ns < 64; i++) {
        const int n = fv_transform_lucid_side(&s->tp, S, i);
        int seen = 0;
        for (int k = 0; k < ns; k++) seen |= sides[k] == n;
        if (!seen) sides[ns++] = n;
    }
    FV_TRY(fv_plan_create_sizes(&m->net, be, B, sides, sides, ns, s->targets, s->ntargets, &s->plan));
    s->side = sides[0];
    size_t divw = 0;
    for (int d = 0; d < s->ndiv; d++) {
        size_t w = be->diversity_workspace(m->net.tensors[s->div_tensor[d]].c, s->div_count[d]);
        if (w > divw) divw = w;
    }
    if (divw) FV_TRY(fv_render_alloc_f(be, &s->divwork, divw));
    const size_t nx = (size_t)B * 3 * s->max_side * s->max_side;
    FV_TRY(fv_render_alloc_f(be, &s->spec, s->nspec));
    FV_TRY(fv_render_alloc_f(be, &s->dspec, s->nspec));
    FV_TRY(fv_render_alloc_f(be, &s->m, s->nspec));
    FV_TRY(fv_render_alloc_f(be, &s->v, s->nspec));
    FV_TRY(fv_render_alloc_f(be, &s->rgb, s->nimg));
    FV_TRY(fv_render_alloc_f(be, &s->drgb, s->nimg));
    FV_TRY(fv_render_alloc_f(be, &s->xr, nx > s->nimg ? nx : s->nimg));
    if (s->pixel) return FV_OK; /* the FFT's own buffers: the pixel parameterisation needs none */
    FV_TRY(fv_render_alloc_f(be, &s->scale, (size_t)S * s->wf));
    FV_TRY(fv_render_alloc_f(be, &s->timg, s->nimg));
    FV_TRY(fv_render_alloc_f(be, &s->dtimg, s->nimg));
    FV_TRY(be->fft_plan_create(B * 3, S, S, &s->fft));
    float *host = malloc(sizeof(float) * S * s->wf);
    if (!host) return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    fv_spectrum_scale(S, S, 1.0f, host);
    fv_status st = be->upload(s->scale, host, sizeof(float) * S * s->wf);
    free(host);
    return st;
}

fv_status fv_render_init_random(render_state *s)
{
    const size_t per = s->nspec / s->B;
    float *host = malloc(sizeof(float) * s->nspec);
    if (!host) return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    for (int i = 0; i < s->B; i++)
        for (size_t k = 0; k < per; k++)
            host[i * per + k] = (float)(0.01 * fv_rng_normal(s->keys[i], FV_RNG_STREAM_INIT + k));
    fv_status st = s->be->upload(s->spec, host, sizeof(float) * s->nspec);
    free(host);
    return st;
}
