/* A model file read into memory: the layers (or TensorFlow ops) it defines, with their hyper-parameters
 * and weight blobs, independent of the file format. Loaders fill it (caffe_loader.c, tf_loader.c,
 * onnx_loader.c); the InceptionV1 builder (inception_v1.c) looks layers up by name and checks shapes. */
#ifndef FV_MODELFILE_H
#define FV_MODELFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef enum fv_mf_format {
    FV_MF_CAFFE_V1 = 1, /* NetParameter.layers (field 2), V1LayerParameter */
    FV_MF_CAFFE,        /* NetParameter.layer (field 100), LayerParameter */
    FV_MF_TF_GRAPHDEF,  /* TensorFlow GraphDef */
    FV_MF_ONNX,         /* ONNX ModelProto: no layer records; the graph and its constants are in `onnx` (onnx.h) */
} fv_mf_format;

typedef enum fv_mf_kind {
    FV_MF_OTHER = 0, /* anything we do not interpret (Input, Dropout, Identity, Reshape, ...) */
    FV_MF_CONV,
    FV_MF_POOL,
    FV_MF_LRN,
    FV_MF_RELU,
    FV_MF_CONCAT,
    FV_MF_FC,
    FV_MF_SOFTMAX,
} fv_mf_kind;

typedef enum fv_mf_padding {
    FV_PAD_EXPLICIT = 0, /* Caffe: pad_h / pad_w on both sides */
    FV_PAD_SAME,         /* TensorFlow SAME */
    FV_PAD_VALID,        /* TensorFlow VALID */
} fv_mf_padding;

/* A weight blob, already converted to our layouts: conv weights OIHW (out, in, kh, kw), FC weights
 * (out, in) row-major, biases (out). dims[] are in that layout; the file's own shape is kept in
 * file_dims/file_ndim for messages. */
typedef struct fv_mf_blob {
    int ndim;
    int dims[4];
    int file_ndim;
    int64_t file_dims[4];
    size_t count;
    float *data;
} fv_mf_blob;

/* The most layers (Caffe) or nodes (GraphDef) a model file may list: InceptionV1 has a few hundred. Refused
 * before a record is allocated for each (about 2 KiB) and before the loaders' name lookups grow quadratic. */
#define FV_MF_MAX_LAYERS 16384
/* The most values one GraphDef Const may broadcast from a single float_val (the largest InceptionV1 weight
 * has about a million). Values stored in the file are bounded by the file's size instead. */
#define FV_MF_MAX_FILL ((size_t)1 << 24)
/* The largest kernel, stride, padding or LRN window a layer may declare (InceptionV1's largest is 7): keeps
 * every shape computation far inside int, and a model file from asking for absurd activation sizes. */
#define FV_MF_MAX_WINDOW 1024

typedef struct fv_mf_layer {
    char name[128];      /* Caffe layer name, or the TF op name we key on (see tf_loader.c) */
    char type[48];       /* the file's own type text ("Convolution", "Conv2D", "CONVOLUTION" for V1 enum) */
    fv_mf_kind kind;
    int nbottom, ntop;
    char bottom[8][128];
    char top[4][128];
    /* conv / pool */
    int num_output;      /* conv/FC outputs (0 if not stated) */
    int kh, kw, sh, sw;  /* kernel and stride (pool: window) */
    int pad_h, pad_w;    /* FV_PAD_EXPLICIT only */
    fv_mf_padding padding;
    int pool_max;        /* 1 max, 0 average */
    int global_pool;
    /* lrn, in the file's own convention: Caffe (local_size, alpha, beta, k): alpha applies to the window
     * mean; TF (depth_radius, bias, alpha, beta): alpha applies to the window sum. lrn_alpha_is_mean
     * says which. */
    int lrn_size;
    float lrn_alpha, lrn_beta, lrn_k;
    int lrn_alpha_is_mean;
    int nblobs;          /* 0..2: weights, bias */
    fv_mf_blob blobs[2];
} fv_mf_layer;

typedef struct fv_modelfile {
    fv_mf_format format;
    char path[1024];
    int nlayers;
    fv_mf_layer *layers;
    char sha256[65];     /* SHA-256 of the whole file, lowercase hex (models/known.c) */
    struct fv_onnx_file *onnx; /* FV_MF_ONNX only (onnx.h) */
    void (*free_onnx)(struct fv_onnx_file *); /* how fv_modelfile_free releases onnx: its loader's (fv_onnx_free) */
} fv_modelfile;

/* Read a .caffemodel (either encoding), a GraphDef .pb or an ONNX model, deciding by content (and extension as a hint).
 * A truncated or corrupt file, or a NaN/Inf weight, fails with FV_ERR_FORMAT and a message naming the file and
 * what broke. The file's SHA-256 is checked against the known published files (known.h: a warning on stderr). */
fv_status fv_modelfile_load(const char *path, fv_modelfile **out);
fv_status fv_caffe_load(const char *path, const uint8_t *buf, size_t len, fv_modelfile **out);
fv_status fv_tf_load(const char *path, const uint8_t *buf, size_t len, fv_modelfile **out);
const fv_mf_layer *fv_modelfile_find(const fv_modelfile *mf, const char *name);
void fv_modelfile_free(fv_modelfile *mf);

#endif
