/* The state of one render batch, built once before the step loop, the same way for ordinary renders
 * (render.c) and interpolations (interp.c): the parameterisation (param.h), the network plan over every
 * input size the transform preset gives, the objective's terms per image, and its batch terms (terms
 * over a group of images: diversity, alignment). Internal to the library; tests and
 * tests/reference/dump_recipe.c include it to look inside one step (step.h). */
#ifndef FV_RENDER_STATE_H
#define FV_RENDER_STATE_H

#include "backend/backend.h"
#include "models/model.h"
#include "objective.h"
#include "param.h"
#include "transform.h"

/* A term over a group of images [b0, b0 + count) of one tensor. */
typedef enum fv_batch_kind {
    FV_BATCH_DIVERSITY, /* Lucid's diversity (Gram cosines between the images), weight -diversity_weight */
    FV_BATCH_ALIGNMENT, /* Lucid's alignment (neighbouring images alike), weight and decay ratio */
} fv_batch_kind;

typedef struct fv_batch_term {
    fv_batch_kind kind;
    int b0, count, tensor;
    float weight, decay;
} fv_batch_term;

typedef struct render_state {
    fv_backend *be;
    fv_plan *plan;
    fv_param param;
    int B, S;
    int penalised; /* some penalty weight is non-zero */
    float *xr;     /* the network's input RGB, (B, 3, side, side), room for the largest side */
    /* Objective terms grouped by target tensor. `terms` carry the weights of each image's own objective
     * (printed); `gterms` the same terms with the weights of the gradient: in a diversity group of N
     * images an image's share of the group's objective is 1/N (Lucid's channel() without batch= is a mean
     * over the batch), so that the diversity weight means what it means in Lucid. */
    fv_obj_term *terms, *gterms;
    int *term_tensor, *term_image;
    int *term_centre; /* a neuron at the layer's centre: its position follows the layer's size */
    float *term_values;
    int nterms, maxterms;
    float **dirbufs; /* backend copies of direction vectors, one per direction term spec */
    int ndirbufs;
    int *targets, ntargets;
    fv_batch_term *batch; /* diversity groups, alignment terms */
    int nbatch, maxbatch;
    float *batch_value;   /* this step's value of each diversity term (first and last step) */
    float *divwork;
    fv_transform_params tp;
    fv_affine *maps;     /* article/none presets: one affine map per image */
    fv_tfchain *chains;  /* lucid preset: one chain per image, all with the same canvas */
    int side, min_side, max_side; /* the network input's side now, and its range over the steps */
    uint64_t *keys;      /* each image's stream for its initial parameters */
    uint64_t *tkeys;     /* each image's stream for its transform draws (an interpolation's frames share one) */
    uint64_t scale_key;  /* lucid preset: the canvas size, drawn once per step for the whole batch */
    float *obj;          /* per image objective value this step */
    float *pen;          /* per image weighted penalty this step (host) */
} render_state;

/* Host arrays for B images of side cfg->size, up to maxterms terms and maxbatch batch terms. */
fv_status fv_render_state_init(render_state *s, fv_backend *be, const fv_render_config *cfg, int B,
                               int maxterms, int maxbatch);
void fv_render_state_free(render_state *s);
/* Index of tensor t among s->targets, adding it if new. */
int fv_render_add_target(render_state *s, int t);
/* The terms of objective o for images [b0, b0 + count): image b0 + j gets weight * img_weight[j] (NULL:
 * 1) in its own objective and that times share in the gradient. */
fv_status fv_render_add_terms(render_state *s, const fv_net *net, const fv_objective *o, int b0, int count,
                              const float *img_weight, float share);
/* A diversity group over images [b0, b0 + count) for an objective whose first term reads tensor t: the
 * Gram on t's post-ReLU twin where it has one, as Lucid's notebooks take it. */
void fv_render_add_diversity(render_state *s, const fv_net *net, int b0, int count, int t, float weight);
/* Alignment of images [b0, b0 + count) on tensor t (a target either way; the term only if weight != 0). */
void fv_render_add_alignment(render_state *s, int b0, int count, int t, float weight, float decay);
/* After the terms: groups them by tensor, checks neuron positions at the smallest input the preset
 * gives, makes the plan (every input side the preset can give), the parameterisation (pixels with
 * cfg->param_pixel; an interpolation adds its lowres tensors after this) and the batch's buffers. */
fv_status fv_render_state_alloc(render_state *s, const fv_model *m, const fv_render_config *cfg);
/* Backend floats one image needs in a batch of these targets (the size table: the parameterisation's,
 * the network input's at the largest side, activations and gradients of the plan). */
size_t fv_render_floats_per_image(const fv_net *net, const fv_render_config *cfg, const int *targets, int ntargets);

#endif
