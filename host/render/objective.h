/* Objectives as users write them (README "Objectives"), parsed against a network:
 *   mixed4a:97                 channel (mean over positions)
 *   mixed4a:97@7,3             neuron at x=7, y=3;   neuron:mixed4a:97  the centre neuron
 *   inception_4a/output:97     any layer name or alias the model knows
 *   logit:285  prob:285        class logit (pre-softmax) / probability
 *   deepdream:mixed4a          mean of the squared activations
 *   direction:mixed4a:v.npy    mean over positions of dot(act, v), v a float32 .npy of the layer's channels
 *   direction:mixed4a:random:7 the same with a seeded random unit vector
 *   -mixed4a:97   mixed4a:97+0.5*mixed4a:143-mixed3b:4   negation, weighted sums */
#ifndef FV_OBJECTIVE_H
#define FV_OBJECTIVE_H

#include "net/net.h"
#include "backend/objective_ops.h"

#define FV_OBJ_MAX_TERMS 16

typedef struct fv_obj_spec {
    fv_obj_kind kind;
    int tensor;
    int channel;
    int x, y, has_pos;
    float weight;
    float *dir; /* DIRECTION: host copy, tensor's channel count floats (owned) */
    char path[512];
} fv_obj_spec;

typedef struct fv_objective {
    int nterms;
    fv_obj_spec terms[FV_OBJ_MAX_TERMS];
    char canon[512]; /* canonical text: the image's identity for its random stream */
} fv_objective;

/* Parse `text` for an input of h x w pixels (for neuron positions and the layer shapes). */
fv_status fv_objective_parse(const fv_net *net, const char *text, int h, int w, fv_objective *out);
void fv_objective_free(fv_objective *o);

#endif
