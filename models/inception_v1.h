/* The InceptionV1 builder (models/inception_v1.c): the graph of either GoogLeNet over a loaded model file. */
#ifndef FV_MODELS_INCEPTION_V1_H
#define FV_MODELS_INCEPTION_V1_H

#include "featvis/featvis.h"
#include "modelfile.h"
#include "net/net.h"

/* Build InceptionV1 (either variant) over a loaded model file: topology fixed, channel counts from the
 * weights, strides/padding/pooling/LRN from the file's layer parameters; every weight checked against
 * the shape its place in the graph expects. */
fv_status fv_inception_build(const fv_modelfile *mf, fv_model_kind kind, fv_net *net, int *nclasses);

#endif
