/* Objective terms as the backends see them, and the CPU reference of the objective-side ops: the terms
 * (host/cpu/objective.c), diversity (host/cpu/diversity.c) and alignment (host/cpu/alignment.c); their CUDA
 * twins are the files of the same names in kernels/ (the table in ops.h). A term reads one image of one
 * layer; the parser (host/render/objective.c) turns CLI text into terms. */
#ifndef FV_OBJECTIVE_OPS_H
#define FV_OBJECTIVE_OPS_H

#include "core/status.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fv_obj_kind {
    FV_OBJ_CHANNEL = 0, /* mean over (y, x) of act[b, c] */
    FV_OBJ_NEURON,      /* act[b, c, y, x] (logits and probabilities are neurons of a 1x1 layer) */
    FV_OBJ_DEEPDREAM,   /* mean over (c, y, x) of act[b]^2 */
    FV_OBJ_DIRECTION,   /* mean over (y, x) of dot(act[b, :, y, x], dir) */
} fv_obj_kind;

typedef struct fv_obj_term {
    fv_obj_kind kind;
    int image;        /* batch index b */
    int channel;      /* CHANNEL, NEURON */
    int y, x;         /* NEURON */
    float weight;     /* the term contributes weight * value */
    const float *dir; /* DIRECTION: act.c floats, backend memory */
} fv_obj_term;

/* values[i] = weight_i * value of term i. */
fv_status fv_objective_fwd_cpu(const fv_obj_term *terms, int nterms, fv_tensor act, float *values);
/* dact += weight_i * d value_i / d act, for every term. */
fv_status fv_objective_bwd_cpu(const fv_obj_term *terms, int nterms, fv_tensor act, fv_tensor dact);

/* Diversity of images [b0, b0+count) of act (RECIPE.md): G_b = F_b^T F_b, normalised by its Frobenius
 * norm (l2_normalize, eps 1e-10 on the squared norm); value = sum_{b != b'} <G_b, G_b'> / count. */
size_t fv_diversity_workspace_cpu(int c, int count);
fv_status fv_diversity_fwd_cpu(fv_tensor act, int b0, int count, float *value, float *work);
/* dact += weight * d value / d act over those images. */
fv_status fv_diversity_bwd_cpu(fv_tensor act, int b0, int count, float weight, fv_tensor dact, float *work);

/* Alignment of images [b0, b0+count) of act (Lucid objectives.alignment, the interpolation notebook):
 * value = -sum_{d=1..4} sum_{i, i+d < count} mean((act_{b0+i} - act_{b0+i+d})^2) / decay^d, the mean over
 * c*h*w. value: host float. */
fv_status fv_alignment_fwd_cpu(fv_tensor act, int b0, int count, float decay, float *value);
/* dact += weight * d value / d act over those images. */
fv_status fv_alignment_bwd_cpu(fv_tensor act, int b0, int count, float decay, float weight, fv_tensor dact);

#ifdef __cplusplus
}
#endif
#endif
