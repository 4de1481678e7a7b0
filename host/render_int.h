/* The render loop's internals shared by host/render.c (ordinary renders) and host/render_interp.c
 * (interpolation): the per-batch state, one optimisation step, and the interpolation hooks the step
 * calls only when s->ix is set (so the ordinary path runs exactly as before). */
#ifndef FV_RENDER_INT_H
#define FV_RENDER_INT_H

#include "backend.h"
#include "model.h"
#include "transform.h"

typedef struct fv_render_ix fv_render_ix; /* interpolation extras (render_interp.c) */

/* Everything one batch needs, sized once before the step loop. */
typedef struct render_state {
    const fv_backend_i *be;
    fv_plan *plan;
    void *fft;
    int B, S, wf;
    int pixel;     /* pixel parameterisation: spec holds the pre-colour image t, no FFT */
    int penalised; /* some penalty weight is non-zero */
    size_t nspec, nimg; /* nspec: parameter floats (spectrum, or nimg when pixel) */
    float *spec, *dspec, *m, *v, *scale, *timg, *dtimg, *rgb, *drgb, *xr;
    float *divwork, *dirs;
    fv_obj_term *terms;  /* all terms, grouped by target tensor */
    int *term_tensor;    /* tensor of each term */
    int *term_image;
    float *term_values;
    int nterms;
    int *targets, ntargets;
    int *div_b0, *div_count, *div_tensor, ndiv;
    fv_affine *maps;
    uint64_t *keys;
    float *obj; /* per image objective value this step */
    float *pen; /* per image weighted penalty this step (host) */
    fv_render_ix *ix; /* NULL except in an interpolation */
} render_state;

double fv_render_now_s(void);
/* Frees the state's buffers (not s->ix: its owner frees that). */
void fv_render_state_free(render_state *s);
/* Index of tensor t among s->targets, adding it if new. */
int fv_render_add_target(render_state *s, int t);
fv_status fv_render_alloc_f(const fv_backend_i *be, float **p, size_t n);
/* parameters -> rgb (no transforms): the image the user gets. */
fv_status fv_render_param_forward(render_state *s, int decorrelate);
/* One optimisation step t (forward, objectives, backward, Adam); s->obj gets each image's objective. */
/* Group s->terms by tensor (stable), so each objective op call sees one layer. */
void fv_render_sort_terms(render_state *s);
/* cfg->steps steps with results and final images into res (shared by render and interpolation). */
fv_status fv_render_optimise(render_state *s, const fv_model *m, const fv_render_config *cfg, fv_render_result *res,
                             fv_progress_fn progress, void *ctx);
fv_status fv_render_step(render_state *s, const fv_model *m, const fv_render_config *cfg,
                         const fv_transform_params *tp, int t);

/* Interpolation hooks (render_interp.c): timg += the lowres terms; the alignment gradient into the
 * plan's gradients; the lowres gradients from dtimg and their Adam step. */
fv_status fv_render_ix_forward(render_state *s);
fv_status fv_render_ix_objective_bwd(render_state *s);
fv_status fv_render_ix_backward(render_state *s, const fv_render_config *cfg, int t);

#endif
