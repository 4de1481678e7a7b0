/* The ONNX graph builder's shared state (onnx_build.c drives it, onnx_ops.c turns each operator into graph
 * nodes): every value name of the graph with its tensor, constant and shape at the file's input size. */
#ifndef FV_MODELS_ONNX_BUILD_H
#define FV_MODELS_ONNX_BUILD_H

#include "onnx.h"
#include "onnx.pb-c.h"

typedef struct ob_val {
    const char *name;
    int uses;                 /* readers among the nodes, +1 for a graph output */
    int producer;             /* node index, -1 for inputs and initializers */
    int t;                    /* network tensor, -1 until made (and for constants) */
    const fv_onnx_value *k;   /* a constant: initializer or Constant output */
    int c, h, w;              /* at the file's input size; (K, 1, 1) for 2-D values */
    int one;                  /* 1x1 at every input size (after a global pool, a Gemm) */
    int flat;                 /* 2-D (N, K) rather than (N, C, H, W) */
} ob_val;

typedef struct ob_alias {
    int t;
    const char *name;
} ob_alias;

typedef struct ob {
    const char *path;
    struct fv_onnx_file *f;
    const Onnx__GraphProto *g;
    fv_net *net;
    int opset, in_h, in_w;
    ob_val *vals;
    int nvals, cap_vals, nslots;
    int *slots;               /* hash of names: value index + 1, 0 free */
    int *fold;                /* per node: the BatchNormalization folded into this Conv, or -1 */
    int *made;                /* per node: the tensor its first output became (for aliases), or -1 */
    char *done;
    ob_alias *extra;          /* output names of Identity, Dropout and aliased Flatten: more names of a tensor */
    int nextra;
    int logits, probs;
    int nclasses;
    int cur;                  /* the node being built */
} ob;

typedef fv_status (*ob_op_fn)(ob *b, const Onnx__NodeProto *n);
typedef struct ob_op {
    const char *type;
    ob_op_fn fn;
} ob_op;
extern const ob_op fv_onnx_ops[]; /* onnx_ops.c */
extern const int fv_onnx_nops;
/* onnx_ops_shape.c */
fv_status fv_onnx_op_binary(ob *b, const Onnx__NodeProto *n);
fv_status fv_onnx_op_concat(ob *b, const Onnx__NodeProto *n);
fv_status fv_onnx_op_gemm(ob *b, const Onnx__NodeProto *n);
fv_status fv_onnx_op_flatten(ob *b, const Onnx__NodeProto *n);
fv_status fv_onnx_op_softmax(ob *b, const Onnx__NodeProto *n);
fv_status fv_onnx_op_identity(ob *b, const Onnx__NodeProto *n);

/* ---------- onnx_build.c ---------- */
ob_val *ob_find(ob *b, const char *name);
/* Fails naming the node: "PATH: node 'NAME' (OP): ...". */
fv_status ob_fail(ob *b, const Onnx__NodeProto *n, fv_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const Onnx__AttributeProto *ob_attr(const Onnx__NodeProto *n, const char *name);
int64_t ob_attr_i(const Onnx__NodeProto *n, const char *name, int64_t def);
float ob_attr_f(const Onnx__NodeProto *n, const char *name, float def);
/* Up to max ints of attribute `name` into out; returns how many (0 when absent). */
int ob_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max);
/* The attribute's string ("" when absent). */
void ob_attr_s(const Onnx__NodeProto *n, const char *name, char *out, size_t cap);
/* Input i as a tensor (fails for a constant or a missing input). */
fv_status ob_in(ob *b, const Onnx__NodeProto *n, int i, ob_val **v);
/* Input i as a constant; NULL without failing when the input is absent or "". */
fv_status ob_const(ob *b, const Onnx__NodeProto *n, int i, const fv_onnx_value **k);
/* Makes the tensor of output 0 (or of `name` when not NULL), c channels, h x w. */
fv_status ob_out(ob *b, const Onnx__NodeProto *n, const char *name, int c, int h, int w, int one, ob_val **v);
/* The same for an elementwise op: output 0 shaped like x (one and flat too). */
fv_status ob_out_like(ob *b, const Onnx__NodeProto *n, const ob_val *x, ob_val **v);
/* Fails unless output k (k >= 1) is absent or read by nobody (optional outputs: MaxPool indices, Dropout mask). */
fv_status ob_unused_output(ob *b, const Onnx__NodeProto *n, int k);
/* Output 0 names tensor `src` too (no node). */
fv_status ob_alias_out(ob *b, const Onnx__NodeProto *n, const ob_val *src);
fv_status ob_node(ob *b, const Onnx__NodeProto *n, fv_net_node *nd);
float *ob_own(ob *b, const Onnx__NodeProto *n, size_t count, fv_status *st);

#endif
