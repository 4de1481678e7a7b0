/* A loaded model: its file (which owns the weights) and the network graph built over it. */
#ifndef FV_MODEL_H
#define FV_MODEL_H

#include "modelfile.h"
#include "net/net.h"

struct fv_model {
    fv_model_kind kind;
    char name[32];
    char path[1024];
    fv_modelfile *mf;
    fv_net net;
    int nclasses; /* 0 when the file has no classifier */
    fv_preprocess pre; /* the input convention fv_model_set_preprocess gave (preprocess.c), when pre_set */
    int pre_set;       /* 0: the file's own, read from net (perm, scale, mean, std) */
};

#endif
