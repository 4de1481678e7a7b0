/* An ONNX model file read into memory (onnx_loader.c): the unpacked ModelProto (models/onnx.proto) with every
 * initializer and Constant node converted to float, and the buffers the graph builder (onnx_build.c) derives
 * from them (weights with a BatchNormalization folded in, transposed MatMul weights). The fv_modelfile owns it
 * (modelfile.h: mf->onnx), and the network's nodes point into it as they point into Caffe blobs. */
#ifndef FV_MODELS_ONNX_H
#define FV_MODELS_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "modelfile.h"
#include "net/graph.h"

/* The opsets of the default domain we read (ai.onnx). */
#define FV_ONNX_OPSET_MIN 11
#define FV_ONNX_OPSET_MAX 21
/* Input size assumed where the file leaves the input's height or width symbolic. */
#define FV_ONNX_DEFAULT_SIZE 224

/* A constant: an initializer or a Constant node's output. */
typedef struct fv_onnx_value {
    const char *name; /* in the unpacked file */
    int ndim;
    int64_t dims[8];
    size_t count;
    float *data;   /* the values as float (every numeric type) */
    int64_t *ints; /* integer types only (shapes, pads): the values as they are; else NULL */
} fv_onnx_value;

struct Onnx__ModelProto;

struct fv_onnx_file {
    struct Onnx__ModelProto *pb; /* the unpacked file; weight bytes released once converted */
    int opset;
    int nvalues, cap_values;
    fv_onnx_value *values;
    int nowned, cap_owned;
    float **owned; /* buffers the builder derived */
};

fv_status fv_onnx_load(const char *path, const uint8_t *buf, size_t len, fv_modelfile **out);
void fv_onnx_free(struct fv_onnx_file *f);
/* The constant called `name`, or NULL. */
const fv_onnx_value *fv_onnx_value_find(const struct fv_onnx_file *f, const char *name);
/* A zeroed buffer of n floats owned by the file (freed with it); NULL when out of memory. */
float *fv_onnx_own(struct fv_onnx_file *f, size_t n);

/* Builds the network over the file's graph (onnx_build.c); *nclasses gets the last Gemm/MatMul's outputs
 * (0 if none). Preprocessing gets the torchvision defaults (model.c: fv_model_set_preprocess changes them). */
fv_status fv_onnx_build(fv_modelfile *mf, fv_net *net, int *nclasses);

#endif
