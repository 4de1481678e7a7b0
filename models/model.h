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
};

#endif
