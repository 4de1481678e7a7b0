/* Test utility: builds inception5h-style GraphDefs with protobuf-c (models/tf_graph.proto). Each node is
 * assembled from stack-held protobuf-c structs and packed at once; the graph keeps the packed NodeDefs
 * and frames them as GraphDef field 1 when written. */
#include "tf_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_graph.pb-c.h"

#define TFW_MAX_ATTR 8
#define TFW_MAX_INPUT 16

typedef struct tfw_node {
    char *name;
    uint8_t *bytes; /* packed NodeDef */
    size_t len;
} tfw_node;

struct fv_tfw {
    int use_float_val;
    size_t n, cap;
    tfw_node *nodes;
};

/* One NodeDef under construction: every nested message lives here, so nothing needs freeing. */
typedef struct node_buf {
    Tensorflow__NodeDef node;
    char *inputs[TFW_MAX_INPUT];
    Tensorflow__AttrEntry entries[TFW_MAX_ATTR];
    Tensorflow__AttrEntry *entry_ptrs[TFW_MAX_ATTR];
    Tensorflow__AttrValue values[TFW_MAX_ATTR];
    Tensorflow__AttrValue__ListValue lists[TFW_MAX_ATTR];
    int64_t ints[TFW_MAX_ATTR][4];
} node_buf;

fv_tfw *fv_tfw_new(void) { return calloc(1, sizeof(fv_tfw)); }

void fv_tfw_free(fv_tfw *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) free(w->nodes[i].name), free(w->nodes[i].bytes);
    free(w->nodes);
    free(w);
}

void fv_tfw_use_float_val(fv_tfw *w, int on) { w->use_float_val = on; }

static int nb_init(node_buf *nb, const char *name, const char *op, const char *const *inputs, int n)
{
    if (!name || !op || n < 0 || n > TFW_MAX_INPUT) return -1;
    memset(nb, 0, sizeof *nb);
    tensorflow__node_def__init(&nb->node);
    nb->node.name = (char *)name;
    nb->node.op = (char *)op;
    for (int i = 0; i < n; i++) nb->inputs[i] = (char *)inputs[i];
    nb->node.n_input = (size_t)n;
    nb->node.input = nb->inputs;
    nb->node.attr = nb->entry_ptrs;
    return 0;
}

static Tensorflow__AttrValue *nb_attr(node_buf *nb, const char *key)
{
    size_t i = nb->node.n_attr++;
    tensorflow__attr_entry__init(&nb->entries[i]);
    tensorflow__attr_value__init(&nb->values[i]);
    nb->entries[i].key = (char *)key;
    nb->entries[i].value = &nb->values[i];
    nb->entry_ptrs[i] = &nb->entries[i];
    return &nb->values[i];
}

static void nb_attr_type(node_buf *nb, const char *key, Tensorflow__DataType t)
{
    Tensorflow__AttrValue *v = nb_attr(nb, key);
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TYPE;
    v->type = t;
}

static void nb_attr_s(node_buf *nb, const char *key, const char *s)
{
    Tensorflow__AttrValue *v = nb_attr(nb, key);
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_S;
    v->s.data = (uint8_t *)s;
    v->s.len = strlen(s);
}

static void nb_attr_i(node_buf *nb, const char *key, int64_t i)
{
    Tensorflow__AttrValue *v = nb_attr(nb, key);
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_I;
    v->i = i;
}

static void nb_attr_f(node_buf *nb, const char *key, float f)
{
    Tensorflow__AttrValue *v = nb_attr(nb, key);
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_F;
    v->f = f;
}

static void nb_attr_b(node_buf *nb, const char *key, int b)
{
    Tensorflow__AttrValue *v = nb_attr(nb, key);
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_B;
    v->b = b != 0;
}

/* [1, h, w, 1]: the NHWC form of strides and ksize. */
static void nb_attr_nhwc(node_buf *nb, const char *key, int h, int w)
{
    size_t i = nb->node.n_attr;
    Tensorflow__AttrValue *v = nb_attr(nb, key);
    tensorflow__attr_value__list_value__init(&nb->lists[i]);
    int64_t *a = nb->ints[i];
    a[0] = 1, a[1] = h, a[2] = w, a[3] = 1;
    nb->lists[i].n_i = 4;
    nb->lists[i].i = a;
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_LIST;
    v->list = &nb->lists[i];
}

static int emit(fv_tfw *w, const node_buf *nb)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        tfw_node *nn = realloc(w->nodes, cap * sizeof *nn);
        if (!nn) return -1;
        w->nodes = nn, w->cap = cap;
    }
    tfw_node *t = &w->nodes[w->n];
    t->len = tensorflow__node_def__get_packed_size(&nb->node);
    t->bytes = malloc(t->len ? t->len : 1);
    t->name = malloc(strlen(nb->node.name) + 1);
    if (!t->bytes || !t->name) {
        free(t->bytes), free(t->name);
        return -1;
    }
    strcpy(t->name, nb->node.name);
    tensorflow__node_def__pack(&nb->node, t->bytes);
    w->n++;
    return 0;
}

/* A Const node around `tp` (whose shape is filled in here). */
static int emit_const(fv_tfw *w, const char *name, Tensorflow__DataType dt, const int64_t *shape, int ndim,
                      const Tensorflow__TensorProto *values)
{
    Tensorflow__TensorProto t = *values, *tp = &t;
    if (ndim < 0 || ndim > 4) return -1;
    Tensorflow__TensorShapeProto sp;
    Tensorflow__TensorShapeProto__Dim dims[4], *dptr[4];
    tensorflow__tensor_shape_proto__init(&sp);
    for (int i = 0; i < ndim; i++) {
        tensorflow__tensor_shape_proto__dim__init(&dims[i]);
        dims[i].size = shape[i];
        dptr[i] = &dims[i];
    }
    sp.n_dim = (size_t)ndim;
    sp.dim = dptr;
    tp->dtype = dt;
    tp->tensor_shape = &sp;
    node_buf nb;
    if (nb_init(&nb, name, "Const", NULL, 0)) return -1;
    nb_attr_type(&nb, "dtype", dt);
    Tensorflow__AttrValue *v = nb_attr(&nb, "value");
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR;
    v->tensor = tp;
    return emit(w, &nb);
}

int fv_tfw_const_raw(fv_tfw *w, const char *name, const int64_t *shape, int ndim, const void *bytes, size_t nbytes)
{
    Tensorflow__TensorProto tp;
    tensorflow__tensor_proto__init(&tp);
    tp.tensor_content.data = (uint8_t *)bytes;
    tp.tensor_content.len = nbytes;
    return emit_const(w, name, TENSORFLOW__DATA_TYPE__DT_FLOAT, shape, ndim, &tp);
}

int fv_tfw_const_fill(fv_tfw *w, const char *name, const int64_t *shape, int ndim, float value)
{
    Tensorflow__TensorProto tp;
    tensorflow__tensor_proto__init(&tp);
    tp.n_float_val = 1;
    tp.float_val = &value;
    return emit_const(w, name, TENSORFLOW__DATA_TYPE__DT_FLOAT, shape, ndim, &tp);
}

int fv_tfw_const(fv_tfw *w, const char *name, const int64_t *shape, int ndim, const float *data)
{
    if (ndim < 0 || ndim > 4) return -1;
    size_t count = 1;
    for (int i = 0; i < ndim; i++) count *= (size_t)shape[i];
    Tensorflow__TensorProto tp;
    tensorflow__tensor_proto__init(&tp);
    float *vals = malloc(count * sizeof(float) + 1);
    uint8_t *raw = malloc(count * 4 + 1);
    int rc = -1;
    if (vals && raw) {
        memcpy(vals, data, count * sizeof(float));
        if (w->use_float_val) {
            tp.n_float_val = count;
            tp.float_val = vals;
        } else {
            /* tensor_content is little-endian whatever the host. */
            for (size_t i = 0; i < count; i++) {
                uint32_t u;
                memcpy(&u, &vals[i], 4);
                for (int k = 0; k < 4; k++) raw[4 * i + (size_t)k] = (uint8_t)(u >> (8 * k));
            }
            tp.tensor_content.data = raw;
            tp.tensor_content.len = count * 4;
        }
        rc = emit_const(w, name, TENSORFLOW__DATA_TYPE__DT_FLOAT, shape, ndim, &tp);
    }
    free(vals), free(raw);
    return rc;
}

int fv_tfw_placeholder(fv_tfw *w, const char *name)
{
    node_buf nb;
    if (nb_init(&nb, name, "Placeholder", NULL, 0)) return -1;
    nb_attr_type(&nb, "dtype", TENSORFLOW__DATA_TYPE__DT_FLOAT);
    return emit(w, &nb);
}

int fv_tfw_op(fv_tfw *w, const char *name, const char *op, const char *const *inputs, int n)
{
    node_buf nb;
    if (nb_init(&nb, name, op, inputs, n)) return -1;
    return emit(w, &nb);
}

/* "<prefix><suffix>" into buf; -1 if it does not fit. */
static int cat(char *buf, size_t cap, const char *prefix, const char *suffix)
{
    int n = snprintf(buf, cap, "%s%s", prefix, suffix);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* BiasAdd "<prefix><mid>" over `src` and "<prefix>_b", then `act` "<prefix>". */
static int bias_and_act(fv_tfw *w, const char *prefix, const char *mid, const char *src, const char *act)
{
    char bname[256], pre[256];
    if (cat(bname, sizeof bname, prefix, "_b") || cat(pre, sizeof pre, prefix, mid)) return -1;
    node_buf nb;
    const char *in2[2] = {src, bname};
    if (nb_init(&nb, pre, "BiasAdd", in2, 2)) return -1;
    nb_attr_type(&nb, "T", TENSORFLOW__DATA_TYPE__DT_FLOAT);
    if (emit(w, &nb)) return -1;
    const char *in1[1] = {pre};
    if (nb_init(&nb, prefix, act, in1, 1)) return -1;
    nb_attr_type(&nb, "T", TENSORFLOW__DATA_TYPE__DT_FLOAT);
    return emit(w, &nb);
}

int fv_tfw_conv(fv_tfw *w, const char *prefix, const char *input, int kh, int kw, int cin, int cout, int stride,
                const char *padding, const float *w_hwio, const float *b)
{
    char wname[256], bname[256], conv[256];
    if (cat(wname, sizeof wname, prefix, "_w") || cat(bname, sizeof bname, prefix, "_b") ||
        cat(conv, sizeof conv, prefix, "_pre_relu/conv"))
        return -1;
    int64_t wshape[4] = {kh, kw, cin, cout}, bshape[1] = {cout};
    if (fv_tfw_const(w, wname, wshape, 4, w_hwio) || fv_tfw_const(w, bname, bshape, 1, b)) return -1;
    node_buf nb;
    const char *in[2] = {input, wname};
    if (nb_init(&nb, conv, "Conv2D", in, 2)) return -1;
    nb_attr_type(&nb, "T", TENSORFLOW__DATA_TYPE__DT_FLOAT);
    nb_attr_s(&nb, "padding", padding);
    nb_attr_nhwc(&nb, "strides", stride, stride);
    nb_attr_b(&nb, "use_cudnn_on_gpu", 1);
    if (emit(w, &nb)) return -1;
    return bias_and_act(w, prefix, "_pre_relu", conv, "Relu");
}

int fv_tfw_pool(fv_tfw *w, const char *name, const char *input, const char *op, int k, int stride,
                const char *padding)
{
    node_buf nb;
    const char *in[1] = {input};
    if (nb_init(&nb, name, op, in, 1)) return -1;
    nb_attr_type(&nb, "T", TENSORFLOW__DATA_TYPE__DT_FLOAT);
    nb_attr_nhwc(&nb, "ksize", k, k);
    nb_attr_nhwc(&nb, "strides", stride, stride);
    nb_attr_s(&nb, "padding", padding);
    return emit(w, &nb);
}

int fv_tfw_lrn(fv_tfw *w, const char *name, const char *input, int depth_radius, float bias, float alpha, float beta)
{
    node_buf nb;
    const char *in[1] = {input};
    if (nb_init(&nb, name, "LRN", in, 1)) return -1;
    nb_attr_i(&nb, "depth_radius", depth_radius);
    nb_attr_f(&nb, "bias", bias);
    nb_attr_f(&nb, "alpha", alpha);
    nb_attr_f(&nb, "beta", beta);
    return emit(w, &nb);
}

int fv_tfw_concat(fv_tfw *w, const char *name, const char *const *inputs, int n)
{
    char dim[256];
    if (n < 1 || n + 1 > TFW_MAX_INPUT || cat(dim, sizeof dim, name, "/concat_dim")) return -1;
    Tensorflow__TensorProto tp;
    tensorflow__tensor_proto__init(&tp);
    int32_t axis = 3;
    tp.n_int_val = 1;
    tp.int_val = &axis;
    if (emit_const(w, dim, TENSORFLOW__DATA_TYPE__DT_INT32, NULL, 0, &tp)) return -1;
    const char *in[TFW_MAX_INPUT];
    in[0] = dim;
    for (int i = 0; i < n; i++) in[i + 1] = inputs[i];
    node_buf nb;
    if (nb_init(&nb, name, "Concat", in, n + 1)) return -1;
    nb_attr_i(&nb, "N", n);
    nb_attr_type(&nb, "T", TENSORFLOW__DATA_TYPE__DT_FLOAT);
    return emit(w, &nb);
}

int fv_tfw_matmul_fc(fv_tfw *w, const char *prefix, const char *input, int nin, int nout, const float *w_in_out,
                     const float *b)
{
    char wname[256], bname[256], mm[256];
    if (cat(wname, sizeof wname, prefix, "_w") || cat(bname, sizeof bname, prefix, "_b") ||
        cat(mm, sizeof mm, prefix, "_pre_activation/matmul"))
        return -1;
    int64_t wshape[2] = {nin, nout}, bshape[1] = {nout};
    if (fv_tfw_const(w, wname, wshape, 2, w_in_out) || fv_tfw_const(w, bname, bshape, 1, b)) return -1;
    node_buf nb;
    const char *in[2] = {input, wname};
    if (nb_init(&nb, mm, "MatMul", in, 2)) return -1;
    nb_attr_type(&nb, "T", TENSORFLOW__DATA_TYPE__DT_FLOAT);
    nb_attr_b(&nb, "transpose_a", 0);
    nb_attr_b(&nb, "transpose_b", 0);
    if (emit(w, &nb)) return -1;
    return bias_and_act(w, prefix, "_pre_activation", mm, "Softmax");
}

int fv_tfw_remove(fv_tfw *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->nodes[i].name, name) != 0) continue;
        free(w->nodes[i].name), free(w->nodes[i].bytes);
        memmove(&w->nodes[i], &w->nodes[i + 1], (w->n - i - 1) * sizeof w->nodes[0]);
        w->n--;
        return 0;
    }
    return -1;
}

int fv_tfw_write(const fv_tfw *w, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = 1;
    for (size_t i = 0; i < w->n && ok; i++) {
        /* GraphDef.node is field 1, length-delimited: tag byte 0x0a, varint length, the NodeDef. */
        uint8_t hdr[11];
        size_t h = 0, len = w->nodes[i].len;
        hdr[h++] = 0x0a;
        do {
            hdr[h++] = (uint8_t)((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
            len >>= 7;
        } while (len);
        ok = fwrite(hdr, 1, h, f) == h && fwrite(w->nodes[i].bytes, 1, w->nodes[i].len, f) == w->nodes[i].len;
    }
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}
