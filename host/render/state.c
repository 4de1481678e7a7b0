/* The per-batch render state (render/state.h): host arrays, objective terms (with each image's share of
 * its group's gradient), batch terms (diversity, alignment), the plan over every input size the transform
 * preset gives, and the buffers, sized from one table. Nothing here runs inside the step loop. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

fv_status fv_render_state_init(render_state *s, fv_backend *be, const fv_render_config *cfg, int B,
                               int maxterms, int maxbatch)
{
    memset(s, 0, sizeof *s);
    s->be = be;
    s->B = B;
    s->S = cfg->size;
    s->penalised = cfg->tv_weight != 0 || cfg->l1_weight != 0 || cfg->l2_weight != 0 || cfg->blur_weight != 0;
    s->maxterms = maxterms;
    s->maxbatch = maxbatch;
    fv_transform_preset(cfg->preset, &s->tp);
    fv_transform_sides(&s->tp, s->S, &s->min_side, &s->max_side);
    s->side = s->S;
    const int mt = maxterms > 0 ? maxterms : 1, mb = maxbatch > 0 ? maxbatch : 1;
    s->terms = calloc(mt, sizeof *s->terms);
    s->gterms = calloc(mt, sizeof *s->gterms);
    s->term_tensor = calloc(mt, sizeof(int));
    s->term_image = calloc(mt, sizeof(int));
    s->term_centre = calloc(mt, sizeof(int));
    s->term_values = calloc(mt, sizeof(float));
    s->dirbufs = calloc(mt, sizeof *s->dirbufs);
    s->targets = calloc(mt + mb + 8, sizeof(int));
    s->batch = calloc(mb, sizeof *s->batch);
    s->batch_value = calloc(mb, sizeof(float));
    s->maps = calloc(B, sizeof *s->maps);
    s->chains = calloc(B, sizeof *s->chains);
    s->keys = calloc(B, sizeof *s->keys);
    s->tkeys = calloc(B, sizeof *s->tkeys);
    s->obj = calloc(B, sizeof(float));
    s->pen = calloc(B, sizeof(float));
    if (!s->terms || !s->gterms || !s->term_tensor || !s->term_image || !s->term_centre || !s->term_values ||
        !s->dirbufs || !s->targets || !s->batch || !s->batch_value || !s->maps || !s->chains || !s->keys ||
        !s->tkeys || !s->obj || !s->pen)
        return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    return FV_OK;
}

void fv_render_state_free(render_state *s)
{
    fv_backend *be = s->be;
    if (be) {
        if (s->xr) fv_backend_free(be, s->xr);
        if (s->divwork) fv_backend_free(be, s->divwork);
        for (int i = 0; i < s->ndirbufs; i++) fv_backend_free(be, s->dirbufs[i]);
    }
    fv_param_free(&s->param);
    fv_plan_free(s->plan);
    void *host[] = {s->terms, s->gterms, s->term_tensor, s->term_image, s->term_centre, s->term_values, s->dirbufs,
                    s->targets, s->batch, s->batch_value, s->maps, s->chains, s->keys, s->tkeys, s->obj, s->pen};
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
            FV_TRY(fv_backend_alloc(s->be, (void **)&d, sizeof(float) * c));
            s->dirbufs[s->ndirbufs++] = d;
            FV_TRY(fv_backend_upload(s->be, d, sp->dir, sizeof(float) * c));
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

static void add_batch(render_state *s, fv_batch_kind kind, int b0, int count, int t, float weight, float decay)
{
    const fv_batch_term bt = {kind, b0, count, t, weight, decay};
    s->batch[s->nbatch++] = bt;
}

void fv_render_add_diversity(render_state *s, const fv_net *net, int b0, int count, int t, float weight)
{
    const int post = fv_net_post_relu(net, t);
    add_batch(s, FV_BATCH_DIVERSITY, b0, count, post >= 0 ? post : t, weight, 0.0f);
    fv_render_add_target(s, post >= 0 ? post : t);
}

void fv_render_add_alignment(render_state *s, int b0, int count, int t, float weight, float decay)
{
    if (weight != 0) add_batch(s, FV_BATCH_ALIGNMENT, b0, count, t, weight, decay);
    fv_render_add_target(s, t);
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
    fv_status st = hs && ws ? fv_net_shapes_for(net, s->min_side, s->min_side, s->term_tensor, s->nterms, hs, ws)
                            : fv_fail(FV_ERR_NOMEM, "render: out of memory");
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

/* Every input side the transform preset can give, the largest first (the plan's capacity). */
static int preset_sides(const fv_transform_params *tp, int S, int *sides, int max)
{
    int lo, hi, ns = 0;
    fv_transform_sides(tp, S, &lo, &hi);
    sides[ns++] = hi;
    for (int i = 0; tp->grow && i < tp->nscales && ns < max; i++) {
        const int n = fv_transform_lucid_side(tp, S, i);
        int seen = 0;
        for (int k = 0; k < ns; k++) seen |= sides[k] == n;
        if (!seen) sides[ns++] = n;
    }
    return ns;
}

size_t fv_render_floats_per_image(const fv_net *net, const fv_render_config *cfg, const int *targets, int ntargets)
{
    fv_transform_params tp;
    fv_transform_preset(cfg->preset, &tp);
    int lo, hi;
    fv_transform_sides(&tp, cfg->size, &lo, &hi); /* Lucid's canvas grows: size for the largest */
    return fv_param_floats_per_image(cfg->size, cfg->param_pixel) + (size_t)3 * hi * hi +
           2 * fv_net_floats_per_image(net, hi, hi, targets, ntargets);
}

fv_status fv_render_state_alloc(render_state *s, const fv_model *m, const fv_render_config *cfg)
{
    fv_backend *be = s->be;
    sort_terms(s);
    FV_TRY(check_positions(s, &m->net));
    int sides[64];
    const int ns = preset_sides(&s->tp, s->S, sides, 64);
    FV_TRY(fv_plan_create_sizes(&m->net, be, s->B, sides, sides, ns, s->targets, s->ntargets, &s->plan));
    s->side = sides[0];
    size_t divw = 0;
    for (int d = 0; d < s->nbatch; d++) {
        if (s->batch[d].kind != FV_BATCH_DIVERSITY) continue;
        const size_t w = fv_diversity_workspace(be, m->net.tensors[s->batch[d].tensor].c, s->batch[d].count);
        if (w > divw) divw = w;
    }
    if (divw) FV_TRY(fv_backend_alloc(be, (void **)&s->divwork, divw * sizeof(float)));
    FV_TRY(fv_param_create(&s->param, be, s->B, s->S, cfg->param_pixel));
    const size_t nx = (size_t)s->B * 3 * s->max_side * s->max_side;
    return fv_backend_alloc(be, (void **)&s->xr, nx * sizeof(float));
}
