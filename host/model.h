/* A loaded model: its file (which owns the weights) and the network graph built over it. */
#ifndef FV_MODEL_H
#define FV_MODEL_H

#include "../models/modelfile.h"
#include "net.h"

struct fv_model {
    fv_model_kind kind;
    char name[32];
    char path[1024];
    fv_modelfile *mf;
    fv_net net;
    int nclasses; /* 0 when the file has no classifier */
};

/* Build InceptionV1 (either variant) over a loaded model file: topology fixed, channel counts from the
 * weights, strides/padding/pooling/LRN from the file's layer parameters; every weight checked against
 * the shape its place in the graph expects. */
fv_status fv_inception_build(const fv_modelfile *mf, fv_model_kind kind, fv_net *net, int *nclasses);

#endif
