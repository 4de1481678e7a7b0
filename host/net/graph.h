/* The network graph: nodes over named tensors, built from data (models/ builds one from a model file). A
 * tensor may be a channel slice of another (inception branches write into their concat buffer). */
#ifndef FV_NET_GRAPH_H
#define FV_NET_GRAPH_H

#include <stdint.h>

#include "backend/backend.h"

#define FV_NAME_MAX 96

typedef enum fv_node_kind {
    FV_NODE_CONV = 1,
    FV_NODE_RELU,
    FV_NODE_POOL,
    FV_NODE_LRN,
    FV_NODE_FC,
    FV_NODE_SOFTMAX,
    FV_NODE_ACT,     /* act: LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish */
    FV_NODE_BINARY,  /* in (op) in2, in2 broadcast (bin): Add, Mul */
    FV_NODE_AFFINE,  /* x * w[c] + b[c] (cout floats each; b may be NULL) */
    FV_NODE_PAD,     /* constant padding pad_h/pad_w (top/left) and pad_b/pad_r with pad_value */
    FV_NODE_COPY,    /* a copy; flatten != 0: to (c*h*w, 1, 1) (Flatten, Reshape to 2-D) */
} fv_node_kind;

/* How a window's padding follows from the input size. */
typedef enum fv_pad_rule {
    FV_PADRULE_EXPLICIT = 0, /* pad_h/pad_w each side, output rounds down (Caffe convolution) */
    FV_PADRULE_CEIL,         /* pad_h/pad_w, output rounds up (Caffe pooling) */
    FV_PADRULE_SAME,         /* TensorFlow SAME */
    FV_PADRULE_VALID,        /* TensorFlow VALID */
    FV_PADRULE_GLOBAL,       /* a window as large as the input (the classifier's average pool) */
    FV_PADRULE_EXPLICIT4,    /* pad_h (top), pad_w (left), pad_b, pad_r; output rounds down (ONNX pads) */
    FV_PADRULE_CEIL4,        /* the same four pads, output rounds up (ONNX ceil_mode = 1) */
} fv_pad_rule;

typedef struct fv_net_tensor {
    char name[FV_NAME_MAX];
    char alias[2][FV_NAME_MAX]; /* short names (mixed4a, logits, ...); "" if none */
    int parent, c0;             /* channel slice [c0, c0+c) of tensor `parent`, or parent = -1 */
    int c;
    int producer; /* node writing it, -1 for the input; slices are written by the nodes of their parts */
} fv_net_tensor;

typedef struct fv_net_node {
    fv_node_kind kind;
    char name[FV_NAME_MAX];
    int in, out; /* tensor ids */
    int in2;     /* BINARY: the second operand's tensor id (the one broadcast); unused (0) otherwise */
    /* CONV and POOL (and PAD: pad_h, pad_w, pad_b, pad_r) */
    int kh, kw, sh, sw, pad_h, pad_w, pad_b, pad_r;
    fv_pad_rule rule;
    int groups, dil_h, dil_w;    /* CONV (0 means 1) */
    fv_pool_kind pool;
    int count_pad;               /* POOL average: count_include_pad */
    fv_lrn_desc lrn;
    fv_act_desc act;             /* ACT */
    fv_binary_kind bin;          /* BINARY */
    float pad_value;             /* PAD */
    int flatten;                 /* COPY */
    int cin, cout;               /* CONV, FC (cin: per image, c*h*w of its input), AFFINE (cout = channels) */
    const float *w, *b;          /* host weights, owned by the model (file) */
} fv_net_node;

typedef struct fv_net {
    uint64_t id;        /* unique in the process, never reused: names this graph's weights in caches */
    int ntensors, nnodes, cap_tensors, cap_nodes;
    fv_net_tensor *tensors;
    fv_net_node *nodes;
    int input;          /* tensor id of the preprocessed network input (3 channels) */
    int logits, probs;  /* tensor ids, -1 if absent */
    /* model input from RGB [0,1]: in[c] = (rgb[perm[c]] * scale - mean[c]) / std[c] (std 1 for the InceptionV1
     * graphs; an ONNX model's from --preprocess, --mean, --std, --range) */
    int perm[3];
    float scale, mean[3], std[3];
} fv_net;

fv_status fv_net_init(fv_net *net);
void fv_net_free(fv_net *net);
int fv_net_add_tensor(fv_net *net, const char *name, int c, int parent, int c0);
int fv_net_add_node(fv_net *net, const fv_net_node *node);
/* Tensor id by name or alias, -1 if unknown. */
int fv_net_find(const fv_net *net, const char *name);
/* The tensor a ReLU makes of t (its post-ReLU twin): the output of the RELU node reading t, or, for a
 * concatenation of branch outputs, the concatenation of their ReLUs' outputs. -1 if t has none. */
int fv_net_post_relu(const fv_net *net, int t);
/* The display name of a tensor: its first alias if any, else its name. */
const char *fv_net_display_name(const fv_net *net, int t);

/* Spatial shapes of every tensor for an h x w input; fills hs/ws (ntensors each). Fails with a clear
 * message if the input is too small for a window. */
fv_status fv_net_shapes(const fv_net *net, int h, int w, int *hs, int *ws);
/* The same for only the nodes these targets are computed from (the others' tensors get -1): a target before a
 * classifier fixed to one input size (a Flatten into Gemm) has a shape at every size its own layers allow. */
fv_status fv_net_shapes_for(const fv_net *net, int h, int w, const int *targets, int ntargets, int *hs, int *ws);
/* The same for the nodes marked in nneed (fv_net_need; NULL: all). */
fv_status fv_net_shapes_part(const fv_net *net, int h, int w, const char *nneed, int *hs, int *ws);

/* Floats of activations one image needs in a plan for these targets (gradients need as many again). */
size_t fv_net_floats_per_image(const fv_net *net, int h, int w, const int *targets, int ntargets);

/* Multiply-adds of one image's forward pass through the nodes these targets need (convolutions and
 * fully connected layers; everything else is negligible). A render step costs about twice this. */
double fv_net_forward_macs(const fv_net *net, int h, int w, const int *targets, int ntargets);

/* Floats of one image of every live root buffer at these shapes (0 for slices and dead tensors): the size
 * table the plan allocates by and fv_net_floats_per_image estimates by. live: roots marked too. */
void fv_net_root_floats(const fv_net *net, const int *hs, const int *ws, const char *live, size_t *per_root);
/* The root buffer a tensor is a slice of (itself if none). */
int fv_net_root(const fv_net *net, int t);
/* The concrete window of a CONV/POOL node for an hin x win input; *oh, *ow get the output size. */
fv_status fv_net_node_window(const fv_net_node *nd, int hin, int win, fv_window *wd, int *oh, int *ow);
/* Marks tensor t, its slices and everything they are computed from (tneed per tensor, nneed per node). */
void fv_net_need(const fv_net *net, int t, char *tneed, char *nneed);

#endif
