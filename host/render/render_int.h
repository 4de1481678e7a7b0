/* The render loop's internals shared by host/render.c (ordinary renders), host/render_interp.c
 * (interpolation) and host/render_state.c (the per-batch state, built once for both): the state, one
 * optimisation step, and the interpolation hooks the step calls only when s->ix is set. Internal to the
 * library; tests (and tests/reference/dump_recipe.c) include it to look inside one step. */
#ifndef FV_RENDER_INT_H
#define FV_RENDER_INT_H

#include "backend/backend.h"
#include "models/model.h"
#include "objective.h"
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
    float *spec, *dspec, *m, *v, *scale, *timg, *dtimg, *rgb, *drgb;
    float *xr;           /* the network's input RGB, (B, 3, side, side), room for the largest side */
    float *divwork;
    /* Objective terms grouped by target tensor. `terms` carry the weights of each image's own objective
     * (printed); `gterms` the same terms with the weights of the gradient: in a diversity group of B
     * images an image's share of the group's objective is 1/B (Lucid's channel() without batch= is a mean
     * over the batch), so that the diversity weight means what it means in Lucid. */
    fv_obj_term *terms, *gterms;
    int *term_tensor;
    int *term_image;
    int *term_centre;    /* a neuron at the layer's centre: its position follows the layer's size */
    float *term_values;
    int nterms, maxterms;
    float **dirbufs;     /* backend copies of direction vectors, one per direction term spec */
    int ndirbufs;
    int *targets, ntargets;
    /* Diversity groups: images [div_b0, div_b0 + div_count), Gram on div_tensor (the post-ReLU twin of
     * the objective's layer where it has one, as Lucid's notebooks take it). */
    int *div_b0, *div_count, *div_tensor, ndiv, maxdiv;
    float *div_value;    /* this step's diversity of each group (computed at the first and last step) */
    fv_transform_params tp;
    fv_affine *maps;     /* article/none presets: one affine map per image */
    fv_tfchain *chains;  /* lucid preset: one chain per image, all with the same canvas */
    int side, min_side, max_side; /* the network input's side now, and its range over the steps */
    uint64_t *keys;      /* each image's stream for its initial parameters */
    uint64_t *tkeys;     /* each image's stream for its transform draws (an interpolation's frames share one) */
    uint64_t scale_key;  /* lucid preset: the canvas size, drawn once per step for the whole batch */
    float *obj; /* per image objective value this step */
    float *pen; /* per image weighted penalty this step (host) */
    fv_render_ix *ix; /* NULL except in an interpolation */
} render_state;

double fv_render_now_s(void);

/* Host arrays for B images of side S and up to maxterms terms and maxdiv groups (render_state.c). */
fv_status fv_render_state_init(render_state *s, const fv_backend_i *be, const fv_render_config *cfg, int B,
                               int maxterms, int maxdiv);
/* Frees the state's buffers, the interpolation's included. */
void fv_render_state_free(render_state *s);
/* Index of tensor t among s->targets, adding it if new. */
int fv_render_add_target(render_state *s, int t);
/* The terms of objective o for images [b0, b0 + count): image b0 + j gets weight * img_weight[j] (NULL:
 * 1) in its own objective and that times share in the gradient. */
fv_status fv_render_add_terms(render_state *s, const fv_net *net, const fv_objective *o, int b0, int count,
                              const float *img_weight, float share);
/* A diversity group over images [b0, b0 + count) for an objective whose first term reads tensor t. */
void fv_render_add_diversity(render_state *s, const fv_net *net, int b0, int count, int t);
/* After the terms: groups them by tensor, checks neuron positions at the smallest input the preset
 * gives, makes the plan (every input side the preset can give), the buffers and the FFT plan. */
fv_status fv_render_state_alloc(render_state *s, const fv_model *m);
/* Parameters ~ N(0, 0.01^2) from each image's stream (the spectrum, or the pixels). */
fv_status fv_render_init_random(render_state *s);
fv_status fv_render_alloc_f(const fv_backend_i *be, float **p, size_t n);

/* parameters -> rgb (no transforms): the image the user gets. */
fv_status fv_render_param_forward(render_state *s, int decorrelate);
/* The pieces of one step, in order (fv_render_step runs them all; tests run them one by one):
 * transforms + preprocessing into the network input; network forward; objective values into s->obj
 * (penalties subtracted; the diversity values into s->div_value when want_div); the objective's
 * gradient seeded into the plan's gradients (plan gradients zeroed first); network backward; back
 * through preprocessing and the transforms into s->drgb, then to s->dspec; the Adam update. */
fv_status fv_render_transform_forward(render_state *s, const fv_model *m, int t);
fv_status fv_render_objectives_forward(render_state *s, const fv_render_config *cfg, int want_div);
fv_status fv_render_objectives_backward(render_state *s, const fv_render_config *cfg);
fv_status fv_render_input_backward(render_state *s, const fv_model *m, const fv_render_config *cfg);
fv_status fv_render_param_backward(render_state *s, const fv_render_config *cfg, int t);
fv_status fv_render_update(render_state *s, const fv_render_config *cfg, int t);
/* One optimisation step t (forward, objectives, backward, Adam); s->obj gets each image's objective. */
fv_status fv_render_step(render_state *s, const fv_model *m, const fv_render_config *cfg, int t, int want_div);
/* cfg->steps steps with results and final images into res (shared by render and interpolation). */
fv_status fv_render_optimise(render_state *s, const fv_model *m, const fv_render_config *cfg, fv_render_result *res,
                             fv_progress_fn progress, void *ctx);

/* The state of an ordinary render of `items` (render.c), ready for its first step: objectives parsed,
 * terms, diversity groups, buffers, initial parameters; res (one per image) gets each image's objective,
 * index and group size. On failure nothing is left allocated. */
fv_status fv_render_setup(const fv_model *m, const fv_render_config *cfg, const fv_backend_i *be,
                          const fv_render_item *items, int nitems, render_state *s, fv_render_result *res);
/* The same for an interpolation (render_interp.c): s->ix holds its extras; align NULL: the defaults. */
fv_status fv_render_interp_setup(const fv_model *m, const fv_render_config *cfg, const fv_backend_i *be,
                                 const char *obj_a, const char *obj_b, int frames, const fv_alignment *align,
                                 render_state *s, fv_render_result *res);
void fv_render_ix_free(render_state *s);

/* Interpolation hooks (render_interp.c): timg += the lowres terms; the alignment gradient into the
 * plan's gradients; the lowres gradients from dtimg and their Adam step. */
fv_status fv_render_ix_forward(render_state *s);
fv_status fv_render_ix_objective_bwd(render_state *s);
fv_status fv_render_ix_backward(render_state *s, const fv_render_config *cfg, int t);

#endif
