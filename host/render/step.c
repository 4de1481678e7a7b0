/* One optimisation step of a render batch and the loop of steps (render/step.h). Written once for every
 * backend and every kind of render: ordinary images, diversity groups and interpolations differ only in
 * their terms (state.h), never in the step. */
#include "step.h"

#include <math.h>

#include "io/image.h"
#include "core/clock.h"

fv_status fv_render_transform_forward(render_state *s, const fv_model *m, int t)
{
    fv_backend *be = s->be;
    const int S = s->S;
    if (s->tp.grow) {
        /* Lucid's chain: one canvas size for the batch this step, the network sees the grown image */
        for (int b = 0; b < s->B; b++) s->chains[b] = fv_transform_lucid_draw(&s->tp, S, s->scale_key, s->tkeys[b], t);
        s->side = s->chains[0].n;
        FV_TRY(fv_plan_resize(s->plan, s->side, s->side));
        FV_TRY(fv_tfchain_fwd(be, s->B, 3, s->chains, s->param.rgb, s->xr));
    } else {
        for (int b = 0; b < s->B; b++) s->maps[b] = fv_transform_draw(&s->tp, S, S, s->tkeys[b], t);
        s->side = S;
        FV_TRY(fv_resample_fwd(be, s->B, 3, S, S, s->param.rgb, s->maps, s->tp.pad_value, S, S, s->xr));
    }
    /* Neurons at the layer's centre follow the layer's size (Lucid: acts[:, H//2, W//2] every step). */
    for (int k = 0; k < s->nterms; k++)
        if (s->term_centre[k]) {
            const int tt = s->term_tensor[k];
            s->terms[k].x = s->gterms[k].x = s->plan->ws[tt] / 2;
            s->terms[k].y = s->gterms[k].y = s->plan->hs[tt] / 2;
        }
    return fv_preprocess_fwd(be, s->B, s->side * s->side, m->net.perm, m->net.scale, m->net.mean, m->net.std, s->xr,
                              s->plan->act[m->net.input].data);
}

fv_status fv_render_objectives_forward(render_state *s, const fv_render_config *cfg, int want_div)
{
    fv_plan *p = s->plan;
    for (int b = 0; b < s->B; b++) s->obj[b] = 0;
    for (int i = 0; i < s->nterms;) {
        int j = i;
        while (j < s->nterms && s->term_tensor[j] == s->term_tensor[i]) j++;
        FV_TRY(fv_objective_fwd(s->be, s->terms + i, j - i, p->act[s->term_tensor[i]], s->term_values + i));
        i = j;
    }
    for (int k = 0; k < s->nterms; k++) s->obj[s->term_image[k]] += s->term_values[k];
    for (int d = 0; want_div && d < s->nbatch; d++) {
        const fv_batch_term *bt = &s->batch[d];
        if (bt->kind == FV_BATCH_DIVERSITY)
            FV_TRY(fv_diversity_fwd(s->be, p->act[bt->tensor], bt->b0, bt->count, &s->batch_value[d], s->divwork));
    }
    if (s->penalised) { /* on the untransformed image, as Lucid's T("input") before its transforms */
        FV_TRY(fv_penalty_fwd(s->be, s->B, s->S, s->S, s->param.rgb, cfg->tv_weight, cfg->l1_weight, cfg->l2_weight,
                                  cfg->blur_weight, s->pen));
        for (int b = 0; b < s->B; b++) s->obj[b] -= s->pen[b];
    }
    return FV_OK;
}

fv_status fv_render_objectives_backward(render_state *s)
{
    fv_plan *p = s->plan;
    FV_TRY(fv_plan_zero_grad(p));
    for (int i = 0; i < s->nterms;) {
        int j = i;
        while (j < s->nterms && s->term_tensor[j] == s->term_tensor[i]) j++;
        const int t = s->term_tensor[i];
        FV_TRY(fv_objective_bwd(s->be, s->gterms + i, j - i, p->act[t], p->grad[t]));
        i = j;
    }
    for (int d = 0; d < s->nbatch; d++) {
        const fv_batch_term *bt = &s->batch[d];
        const fv_tensor act = p->act[bt->tensor], grad = p->grad[bt->tensor];
        if (bt->kind == FV_BATCH_DIVERSITY)
            FV_TRY(fv_diversity_bwd(s->be, act, bt->b0, bt->count, bt->weight, grad, s->divwork));
        else
            FV_TRY(fv_alignment_bwd(s->be, act, bt->b0, bt->count, bt->decay, bt->weight, grad));
    }
    return FV_OK;
}

fv_status fv_render_input_backward(render_state *s, const fv_model *m, const fv_render_config *cfg)
{
    fv_backend *be = s->be;
    const int S = s->S;
    float *drgb = s->param.drgb;
    FV_TRY(fv_preprocess_bwd(be, s->B, s->side * s->side, m->net.perm, m->net.scale, m->net.std,
                              s->plan->grad[m->net.input].data, s->xr));
    if (s->tp.grow) FV_TRY(fv_tfchain_bwd(be, s->B, 3, s->chains, s->xr, drgb));
    else FV_TRY(fv_resample_bwd(be, s->B, 3, S, S, s->maps, S, S, s->xr, drgb));
    /* the objective is ascended, so the penalties enter with negated weights */
    if (s->penalised)
        FV_TRY(fv_penalty_bwd(be, s->B, S, S, s->param.rgb, -cfg->tv_weight, -cfg->l1_weight, -cfg->l2_weight,
                               -cfg->blur_weight, drgb));
    return FV_OK;
}

fv_status fv_render_step(render_state *s, const fv_model *m, const fv_render_config *cfg, int t, int want_div)
{
    FV_TRY(fv_param_forward(&s->param, cfg->decorrelate));
    FV_TRY(fv_render_transform_forward(s, m, t));
    FV_TRY(fv_plan_forward(s->plan));
    FV_TRY(fv_render_objectives_forward(s, cfg, want_div));
    for (int b = 0; b < s->B; b++)
        if (!isfinite(s->obj[b]))
            return fv_fail(FV_ERR_NUMERIC, "image %d: objective became %f at step %d", b, s->obj[b], t);
    FV_TRY(fv_render_objectives_backward(s));
    FV_TRY(fv_plan_backward(s->plan, t < cfg->redirect_steps));
    FV_TRY(fv_render_input_backward(s, m, cfg));
    FV_TRY(fv_param_backward(&s->param, cfg->decorrelate));
    return fv_param_update(&s->param, cfg->lr, t);
}

/* The first and last step's values of image i's objective and of its group's diversity. */
static void record(const render_state *s, fv_render_result *res, int t, int ends)
{
    for (int i = 0; i < s->B; i++) {
        if (t == 0) res[i].obj_first = s->obj[i];
        res[i].obj_last = s->obj[i];
    }
    for (int d = 0; ends && d < s->nbatch; d++) {
        const fv_batch_term *bt = &s->batch[d];
        if (bt->kind != FV_BATCH_DIVERSITY) continue;
        for (int i = bt->b0; i < bt->b0 + bt->count; i++) {
            if (t == 0) res[i].div_first = s->batch_value[d];
            res[i].div_last = s->batch_value[d];
        }
    }
}

fv_status fv_render_optimise(render_state *s, const fv_model *m, const fv_render_config *cfg, fv_render_result *res,
                             fv_progress_fn progress, void *ctx)
{
    const int B = s->B, S = s->S;
    const double t0 = fv_clock_now();
    for (int t = 0; t < cfg->steps; t++) {
        if (cfg->cancel && *cfg->cancel)
            return fv_fail(FV_ERR_INTERRUPTED, "render interrupted at step %d of %d", t, cfg->steps);
        const int ends = t == 0 || t == cfg->steps - 1;
        FV_TRY(fv_render_step(s, m, cfg, t, ends && s->nbatch));
        record(s, res, t, ends);
        if (progress) progress(ctx, t + 1, cfg->steps, s->obj, B);
    }
    FV_TRY(fv_param_forward(&s->param, cfg->decorrelate));
    const double secs = fv_clock_now() - t0;
    for (int i = 0; i < B; i++) {
        FV_TRY(fv_image_alloc(&res[i].image, S, S));
        FV_TRY(fv_backend_download(s->be, res[i].image.rgb, s->param.rgb + (size_t)i * 3 * S * S,
                                   sizeof(float) * 3 * S * S));
        res[i].seconds = secs;
    }
    return FV_OK;
}
