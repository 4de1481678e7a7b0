/* TensorFlow GraphDef loader for the inception5h graph (tensorflow_inception_graph.pb): unpacks the file
 * with protobuf-c (models/tf_graph.proto) and turns its ops into fv_mf_layer records, folding each
 * "<p>_pre_relu/conv" Conv2D (or "<p>_pre_activation/matmul" MatMul) with its Const weights "<p>_w",
 * its BiasAdd and bias "<p>_b" into one CONV (FC) record named "<p>", weights converted to OIHW / (out,in). */
#include "modelfile.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbcheck.h"
#include "tf_graph.pb-c.h"

typedef struct tf_ctx {
    const char *path;
    const Tensorflow__GraphDef *g;
    unsigned char *folded; /* per node: a BiasAdd folded into a CONV/FC record, not emitted by itself */
} tf_ctx;

/* Graphs here have a few hundred nodes, so linear lookups cost nothing worth an index. */
static const Tensorflow__NodeDef *find_node(const tf_ctx *t, const char *name)
{
    for (size_t i = 0; i < t->g->n_node; i++)
        if (strcmp(t->g->node[i]->name, name) == 0) return t->g->node[i];
    return NULL;
}

/* Input "node:0" names output 0 of "node"; "^node" is a control dependency, not data (returns 0). */
static int input_name(const char *in, char *buf, size_t cap)
{
    if (!in || in[0] == '^') return 0;
    snprintf(buf, cap, "%s", in);
    size_t n = strlen(buf);
    if (n > 2 && strcmp(buf + n - 2, ":0") == 0) buf[n - 2] = '\0';
    return 1;
}

static const Tensorflow__AttrValue *attr(const Tensorflow__NodeDef *n, const char *key)
{
    for (size_t i = 0; i < n->n_attr; i++)
        if (n->attr[i]->key && strcmp(n->attr[i]->key, key) == 0) return n->attr[i]->value;
    return NULL;
}

static int attr_list4(const Tensorflow__NodeDef *n, const char *key, int64_t v[4])
{
    const Tensorflow__AttrValue *a = attr(n, key);
    if (!a || a->value_case != TENSORFLOW__ATTR_VALUE__VALUE_LIST || a->list->n_i != 4) return 0;
    memcpy(v, a->list->i, 4 * sizeof v[0]);
    return 1;
}

static int attr_str(const Tensorflow__NodeDef *n, const char *key, char *buf, size_t cap)
{
    const Tensorflow__AttrValue *a = attr(n, key);
    if (!a || a->value_case != TENSORFLOW__ATTR_VALUE__VALUE_S) return 0;
    size_t len = a->s.len < cap - 1 ? a->s.len : cap - 1;
    memcpy(buf, a->s.data, len);
    buf[len] = '\0';
    return 1;
}

static float attr_f(const Tensorflow__NodeDef *n, const char *key, float dflt)
{
    const Tensorflow__AttrValue *a = attr(n, key);
    return a && a->value_case == TENSORFLOW__ATTR_VALUE__VALUE_F ? a->f : dflt;
}

static int64_t attr_i(const Tensorflow__NodeDef *n, const char *key, int64_t dflt)
{
    const Tensorflow__AttrValue *a = attr(n, key);
    return a && a->value_case == TENSORFLOW__ATTR_VALUE__VALUE_I ? a->i : dflt;
}

static int attr_b(const Tensorflow__NodeDef *n, const char *key)
{
    const Tensorflow__AttrValue *a = attr(n, key);
    return a && a->value_case == TENSORFLOW__ATTR_VALUE__VALUE_B && a->b;
}

static fv_status set_name(char *dst, size_t cap, const char *src, const char *path, const char *what)
{
    size_t n = strlen(src);
    if (n >= cap)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: %s '%.60s...' is longer than %zu characters", path, what, src, cap - 1);
    memcpy(dst, src, n + 1);
    return FV_OK;
}

static void fmt_dims(char *buf, size_t cap, const int64_t *d, int nd)
{
    size_t off = 0;
    buf[0] = '\0';
    if (nd == 0) snprintf(buf, cap, "scalar");
    for (int i = 0; i < nd && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, i ? "x%" PRId64 : "%" PRId64, d[i]);
}

/* A weight tensor: the Const named `name`, seen through any Identity ops in front of it. Returns NULL
 * if there is no such node or it does not lead to a Const. */
static const Tensorflow__NodeDef *resolve_const(const tf_ctx *t, const char *name)
{
    char buf[256];
    const Tensorflow__NodeDef *n = find_node(t, name);
    for (int hops = 0; n && hops < 8 && strcmp(n->op, "Identity") == 0 && n->n_input > 0; hops++)
        n = input_name(n->input[0], buf, sizeof buf) ? find_node(t, buf) : NULL;
    return n && strcmp(n->op, "Const") == 0 ? n : NULL;
}

/* Decode a DT_FLOAT Const into b (the file's own shape and layout). */
static fv_status const_blob(const tf_ctx *t, const Tensorflow__NodeDef *c, fv_mf_blob *b)
{
    const Tensorflow__AttrValue *a = attr(c, "value");
    if (!a || a->value_case != TENSORFLOW__ATTR_VALUE__VALUE_TENSOR)
        return fv_fail(FV_ERR_FORMAT, "%s: Const '%s' has no value tensor", t->path, c->name);
    const Tensorflow__TensorProto *tp = a->tensor;
    if (tp->dtype != TENSORFLOW__DATA_TYPE__DT_FLOAT)
        return fv_fail(FV_ERR_FORMAT, "%s: Const '%s' has dtype %d; weights must be DT_FLOAT (1)", t->path, c->name,
                       (int)tp->dtype);
    const Tensorflow__TensorShapeProto *sp = tp->tensor_shape;
    size_t nd = sp ? sp->n_dim : 0;
    if (nd > 4)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: Const '%s' has %zu axes; at most 4 supported", t->path, c->name, nd);
    int64_t d[4] = {0}, want = 1;
    for (size_t i = 0; i < nd; i++) d[i] = sp->dim[i]->size;
    char shape[96];
    fmt_dims(shape, sizeof shape, d, (int)nd);
    for (size_t i = 0; i < nd; i++) {
        if (d[i] < 0 || d[i] > INT_MAX)
            return fv_fail(FV_ERR_SHAPE, "%s: Const '%s': bad shape %s", t->path, c->name, shape);
        want *= d[i];
        if (want > ((int64_t)1 << 40))
            return fv_fail(FV_ERR_SHAPE, "%s: Const '%s': shape %s is too large", t->path, c->name, shape);
    }
    size_t count = (size_t)want;
    if (tp->tensor_content.len > 0) {
        if (tp->tensor_content.len != 4 * count)
            return fv_fail(FV_ERR_SHAPE, "%s: Const '%s': shape %s (%zu values, %zu bytes) but tensor_content holds %zu bytes",
                           t->path, c->name, shape, count, 4 * count, tp->tensor_content.len);
    } else if (!(tp->n_float_val == count || (tp->n_float_val == 1 && count > 1))) {
        return fv_fail(FV_ERR_SHAPE, "%s: Const '%s': shape %s (%zu values) but float_val holds %zu values", t->path,
                       c->name, shape, count, tp->n_float_val);
    } else if (tp->n_float_val == 1 && count > FV_MF_MAX_FILL) {
        return fv_fail(FV_ERR_FORMAT, "%s: Const '%s': one float_val fills shape %s (%zu values); at most %zu values "
                       "are filled from one", t->path, c->name, shape, count, FV_MF_MAX_FILL);
    }
    b->data = malloc(count ? count * sizeof(float) : 1);
    if (!b->data) return fv_fail(FV_ERR_NOMEM, "%s: Const '%s': out of memory", t->path, c->name);
    if (tp->tensor_content.len > 0) {
        /* Raw little-endian float32; decoded bytewise so host byte order and alignment do not matter. */
        const uint8_t *p = tp->tensor_content.data;
        for (size_t i = 0; i < count; i++, p += 4) {
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            memcpy(&b->data[i], &u, 4);
        }
    } else {
        /* One float_val with a larger shape means "fill", as TensorFlow reads it. */
        for (size_t i = 0; i < count; i++) b->data[i] = tp->float_val[tp->n_float_val == 1 ? 0 : i];
    }
    b->file_ndim = b->ndim = (int)nd;
    for (size_t i = 0; i < nd; i++) b->file_dims[i] = d[i], b->dims[i] = (int)d[i];
    b->count = count;
    return FV_OK;
}

/* Weights of a Conv2D/MatMul: the Const behind input 1. */
static fv_status weight_const(const tf_ctx *t, const Tensorflow__NodeDef *n, const char *lname,
                              const Tensorflow__NodeDef **out)
{
    char in[256];
    if (n->n_input < 2 || !input_name(n->input[1], in, sizeof in))
        return fv_fail(FV_ERR_FORMAT, "%s: %s '%s' has no weight input", t->path, n->op, n->name);
    *out = resolve_const(t, in);
    if (!*out)
        return fv_fail(FV_ERR_FORMAT, "%s: %s '%s' (layer '%s'): weight tensor '%s' is %s", t->path, n->op, n->name,
                       lname, in, find_node(t, in) ? "not a Const" : "missing from the graph");
    return FV_OK;
}

/* Bias of a CONV/FC record: the second input of the BiasAdd that consumes node `n`, else a Const
 * "<prefix>_b". Sets the record's top to the BiasAdd (the output the record stands for). */
static fv_status add_bias(const tf_ctx *t, const Tensorflow__NodeDef *n, const char *prefix, fv_mf_layer *L)
{
    char in[256], bname[256];
    const Tensorflow__NodeDef *badd = NULL;
    for (size_t i = 0; i < t->g->n_node && !badd; i++) {
        const Tensorflow__NodeDef *m = t->g->node[i];
        if (strcmp(m->op, "BiasAdd") == 0 && m->n_input >= 2 && input_name(m->input[0], in, sizeof in) &&
            strcmp(in, n->name) == 0)
            badd = m;
    }
    if (badd) {
        FV_TRY(set_name(L->top[0], sizeof L->top[0], badd->name, t->path, "node name"));
        if (!input_name(badd->input[1], bname, sizeof bname))
            return fv_fail(FV_ERR_FORMAT, "%s: BiasAdd '%s' has no bias input", t->path, badd->name);
    } else {
        snprintf(bname, sizeof bname, "%s_b", prefix);
        if (!find_node(t, bname)) return FV_OK; /* no bias at all */
    }
    const Tensorflow__NodeDef *c = resolve_const(t, bname);
    if (!c)
        return fv_fail(FV_ERR_FORMAT, "%s: layer '%s': bias tensor '%s' is %s", t->path, L->name, bname,
                       find_node(t, bname) ? "not a Const" : "missing from the graph");
    L->nblobs = 2;
    FV_TRY(const_blob(t, c, &L->blobs[1]));
    fv_mf_blob *b = &L->blobs[1];
    if (b->count != (size_t)L->num_output) {
        char shape[96];
        fmt_dims(shape, sizeof shape, b->file_dims, b->file_ndim);
        return fv_fail(FV_ERR_SHAPE, "%s: Const '%s': bias of layer '%s' has shape %s (%zu values) but %d outputs expect %d",
                       t->path, c->name, L->name, shape, b->count, L->num_output, L->num_output);
    }
    b->ndim = 1, b->dims[0] = L->num_output;
    return FV_OK;
}

/* strides/ksize are [1, h, w, 1] for NHWC (the default) and [1, 1, h, w] for NCHW. */
static fv_status spatial_pair(const tf_ctx *t, const Tensorflow__NodeDef *n, const char *key, int *h, int *w)
{
    int64_t v[4];
    char fmt[16] = "NHWC";
    attr_str(n, "data_format", fmt, sizeof fmt);
    int nchw = strcmp(fmt, "NCHW") == 0;
    if (!attr_list4(n, key, v))
        return fv_fail(FV_ERR_FORMAT, "%s: %s '%s' has no 4-element '%s' attr", t->path, n->op, n->name, key);
    int64_t hh = v[nchw ? 2 : 1], ww = v[nchw ? 3 : 2], other0 = v[0], other1 = v[nchw ? 1 : 3];
    if (hh <= 0 || ww <= 0 || hh > FV_MF_MAX_WINDOW || ww > FV_MF_MAX_WINDOW || other0 != 1 || other1 != 1)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: %s '%s': %s [%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                       "] (%s) is not a plain spatial window", t->path, n->op, n->name, key, v[0], v[1], v[2], v[3], fmt);
    *h = (int)hh, *w = (int)ww;
    return FV_OK;
}

static fv_status padding_attr(const tf_ctx *t, const Tensorflow__NodeDef *n, fv_mf_padding *p)
{
    char s[16];
    if (!attr_str(n, "padding", s, sizeof s))
        return fv_fail(FV_ERR_FORMAT, "%s: %s '%s' has no 'padding' attr", t->path, n->op, n->name);
    if (strcmp(s, "SAME") == 0)
        *p = FV_PAD_SAME;
    else if (strcmp(s, "VALID") == 0)
        *p = FV_PAD_VALID;
    else
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: %s '%s': padding '%s' is not supported", t->path, n->op, n->name, s);
    return FV_OK;
}

static void strip_suffix(char *dst, size_t cap, const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    if (n > m && strcmp(name + n - m, suffix) == 0 && n - m < cap)
        snprintf(dst, cap, "%.*s", (int)(n - m), name);
    else
        snprintf(dst, cap, "%s", name);
}

static fv_status fill_conv(const tf_ctx *t, const Tensorflow__NodeDef *n, fv_mf_layer *L)
{
    char prefix[256];
    strip_suffix(prefix, sizeof prefix, n->name, "_pre_relu/conv");
    FV_TRY(set_name(L->name, sizeof L->name, prefix, t->path, "layer name"));
    int64_t dil[4];
    if (attr_list4(n, "dilations", dil) && (dil[0] != 1 || dil[1] != 1 || dil[2] != 1 || dil[3] != 1))
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: Conv2D '%s': dilated convolution is not supported", t->path, n->name);
    FV_TRY(spatial_pair(t, n, "strides", &L->sh, &L->sw));
    FV_TRY(padding_attr(t, n, &L->padding));
    const Tensorflow__NodeDef *c;
    FV_TRY(weight_const(t, n, L->name, &c));
    L->nblobs = 1;
    fv_mf_blob *w = &L->blobs[0];
    FV_TRY(const_blob(t, c, w));
    char shape[96];
    fmt_dims(shape, sizeof shape, w->file_dims, w->file_ndim);
    if (w->ndim != 4)
        return fv_fail(FV_ERR_SHAPE, "%s: Const '%s': conv weights have shape %s, expected 4 axes (kh,kw,in,out)",
                       t->path, c->name, shape);
    int kh = w->dims[0], kw = w->dims[1], cin = w->dims[2], cout = w->dims[3];
    float *oihw = malloc(w->count * sizeof(float) + 1);
    if (!oihw) return fv_fail(FV_ERR_NOMEM, "%s: Const '%s': out of memory", t->path, c->name);
    for (int y = 0; y < kh; y++)
        for (int x = 0; x < kw; x++)
            for (int i = 0; i < cin; i++)
                for (int o = 0; o < cout; o++)
                    oihw[(((size_t)o * cin + i) * kh + y) * kw + x] = w->data[(((size_t)y * kw + x) * cin + i) * cout + o];
    free(w->data);
    w->data = oihw;
    w->dims[0] = cout, w->dims[1] = cin, w->dims[2] = kh, w->dims[3] = kw;
    L->num_output = cout, L->kh = kh, L->kw = kw;
    return add_bias(t, n, prefix, L);
}

static fv_status fill_fc(const tf_ctx *t, const Tensorflow__NodeDef *n, const Tensorflow__NodeDef *c, fv_mf_layer *L)
{
    char prefix[256];
    if (attr_b(n, "transpose_a"))
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: MatMul '%s' with transpose_a is not supported", t->path, n->name);
    strip_suffix(prefix, sizeof prefix, c->name, "_w");
    if (strcmp(prefix, c->name) == 0) snprintf(prefix, sizeof prefix, "%s", n->name);
    FV_TRY(set_name(L->name, sizeof L->name, prefix, t->path, "layer name"));
    L->nblobs = 1;
    fv_mf_blob *w = &L->blobs[0];
    FV_TRY(const_blob(t, c, w));
    char shape[96];
    fmt_dims(shape, sizeof shape, w->file_dims, w->file_ndim);
    if (w->ndim != 2)
        return fv_fail(FV_ERR_SHAPE, "%s: Const '%s': FC weights have shape %s, expected (in,out)", t->path, c->name,
                       shape);
    if (!attr_b(n, "transpose_b")) {
        /* MatMul computes x(N,in) . W(in,out); our layout is (out,in). */
        int in = w->dims[0], out = w->dims[1];
        float *t2 = malloc(w->count * sizeof(float) + 1);
        if (!t2) return fv_fail(FV_ERR_NOMEM, "%s: Const '%s': out of memory", t->path, c->name);
        for (int i = 0; i < in; i++)
            for (int o = 0; o < out; o++) t2[(size_t)o * in + i] = w->data[(size_t)i * out + o];
        free(w->data);
        w->data = t2, w->dims[0] = out, w->dims[1] = in;
    }
    L->num_output = w->dims[0];
    return add_bias(t, n, prefix, L);
}

static fv_status fill_lrn(const tf_ctx *t, const Tensorflow__NodeDef *n, fv_mf_layer *L)
{
    int64_t r = attr_i(n, "depth_radius", 5);
    if (r < 0 || r > 1000)
        return fv_fail(FV_ERR_FORMAT, "%s: LRN '%s': bad depth_radius %" PRId64, t->path, n->name, r);
    L->lrn_size = 2 * (int)r + 1;
    L->lrn_k = attr_f(n, "bias", 1.0f);
    L->lrn_alpha = attr_f(n, "alpha", 1.0f);
    L->lrn_beta = attr_f(n, "beta", 0.5f);
    L->lrn_alpha_is_mean = 0;
    return FV_OK;
}

/* Data inputs become bottoms; Concat's leading axis input and ConcatV2's trailing one do not. */
static fv_status set_bottoms(const tf_ctx *t, const Tensorflow__NodeDef *n, fv_mf_layer *L)
{
    size_t lo = 0, hi = n->n_input;
    if (strcmp(n->op, "Concat") == 0 && hi > 0) lo = 1;
    if (strcmp(n->op, "ConcatV2") == 0 && hi > 0) hi--;
    if (L->kind == FV_MF_CONV || L->kind == FV_MF_FC) hi = hi > 1 ? 1 : hi;
    char in[256];
    for (size_t i = lo; i < hi; i++) {
        if (!input_name(n->input[i], in, sizeof in)) continue;
        if (L->nbottom == 8) {
            if (L->kind == FV_MF_OTHER) break; /* uninterpreted ops keep only their first inputs */
            return fv_fail(FV_ERR_UNSUPPORTED, "%s: %s '%s' has more than 8 inputs", t->path, n->op, n->name);
        }
        FV_TRY(set_name(L->bottom[L->nbottom], sizeof L->bottom[0], in, t->path, "input name"));
        L->nbottom++;
    }
    return FV_OK;
}

static fv_status add_node(tf_ctx *t, size_t idx, fv_modelfile *mf)
{
    const Tensorflow__NodeDef *n = t->g->node[idx];
    const char *op = n->op;
    if (strcmp(op, "Const") == 0 || t->folded[idx]) return FV_OK;
    fv_mf_kind kind = FV_MF_OTHER;
    const Tensorflow__NodeDef *fc_w = NULL;
    if (strcmp(op, "Conv2D") == 0) kind = FV_MF_CONV;
    else if (strcmp(op, "MaxPool") == 0 || strcmp(op, "AvgPool") == 0) kind = FV_MF_POOL;
    else if (strcmp(op, "LRN") == 0) kind = FV_MF_LRN;
    else if (strcmp(op, "Relu") == 0) kind = FV_MF_RELU;
    else if (strcmp(op, "Concat") == 0 || strcmp(op, "ConcatV2") == 0) kind = FV_MF_CONCAT;
    else if (strcmp(op, "Softmax") == 0) kind = FV_MF_SOFTMAX;
    else if (strcmp(op, "MatMul") == 0) {
        char in[256];
        if (n->n_input >= 2 && input_name(n->input[1], in, sizeof in) && !find_node(t, in))
            return fv_fail(FV_ERR_FORMAT, "%s: MatMul '%s': weight tensor '%s' is missing from the graph", t->path,
                           n->name, in);
        /* A MatMul of two activations is not a layer with weights. */
        if (n->n_input >= 2 && input_name(n->input[1], in, sizeof in)) fc_w = resolve_const(t, in);
        if (fc_w) kind = FV_MF_FC;
    }
    if (kind == FV_MF_OTHER && strlen(n->name) >= sizeof mf->layers[0].name) return FV_OK; /* cannot be looked up */

    fv_mf_layer *L = &mf->layers[mf->nlayers++]; /* counted first so fv_modelfile_free sees partial blobs */
    L->kind = kind;
    L->sh = L->sw = 1;
    FV_TRY(set_name(L->name, sizeof L->name, n->name, t->path, "node name"));
    FV_TRY(set_name(L->type, sizeof L->type, op, t->path, "op name"));
    L->ntop = 1;
    FV_TRY(set_name(L->top[0], sizeof L->top[0], n->name, t->path, "node name"));
    FV_TRY(set_bottoms(t, n, L));
    switch (kind) {
    case FV_MF_CONV: return fill_conv(t, n, L);
    case FV_MF_FC: return fill_fc(t, n, fc_w, L);
    case FV_MF_LRN: return fill_lrn(t, n, L);
    case FV_MF_POOL:
        L->pool_max = strcmp(op, "MaxPool") == 0;
        FV_TRY(spatial_pair(t, n, "ksize", &L->kh, &L->kw));
        FV_TRY(spatial_pair(t, n, "strides", &L->sh, &L->sw));
        return padding_attr(t, n, &L->padding);
    default: return FV_OK;
    }
}

/* Mark each BiasAdd fed directly by a Conv2D or MatMul: it becomes part of that op's record. */
static void mark_folded(tf_ctx *t)
{
    char in[256];
    for (size_t i = 0; i < t->g->n_node; i++) {
        const Tensorflow__NodeDef *m = t->g->node[i];
        if (strcmp(m->op, "BiasAdd") != 0 || m->n_input < 2 || !input_name(m->input[0], in, sizeof in)) continue;
        const Tensorflow__NodeDef *src = find_node(t, in);
        if (src && (strcmp(src->op, "Conv2D") == 0 || strcmp(src->op, "MatMul") == 0)) t->folded[i] = 1;
    }
}

fv_status fv_tf_load(const char *path, const uint8_t *buf, size_t len, fv_modelfile **out)
{
    *out = NULL;
    FV_TRY(fv_pb_check_size(&tensorflow__graph_def__descriptor, buf, len, path, NULL));
    Tensorflow__GraphDef *g = tensorflow__graph_def__unpack(NULL, len, buf);
    if (!g) return fv_fail(FV_ERR_FORMAT, "%s: truncated or corrupt TensorFlow GraphDef (%zu bytes)", path, len);
    fv_status st = FV_OK;
    if (g->n_node == 0)
        st = fv_fail(FV_ERR_FORMAT, "%s: TensorFlow GraphDef holds no nodes (%zu bytes)", path, len);
    else if (g->n_node > FV_MF_MAX_LAYERS)
        st = fv_fail(FV_ERR_FORMAT, "%s: TensorFlow GraphDef lists %zu nodes (field 'node'); at most %d are read", path,
                     g->n_node, FV_MF_MAX_LAYERS);
    for (size_t i = 0; i < g->n_node && st == FV_OK; i++)
        if (!g->node[i]->name || !g->node[i]->name[0] || !g->node[i]->op || !g->node[i]->op[0])
            st = fv_fail(FV_ERR_FORMAT, "%s: GraphDef node %zu has no name or op (not a GraphDef?)", path, i);
    if (st != FV_OK) {
        tensorflow__graph_def__free_unpacked(g, NULL);
        return st;
    }
    tf_ctx t = {.path = path, .g = g, .folded = calloc(g->n_node, 1)};
    fv_modelfile *mf = calloc(1, sizeof *mf);
    if (mf) mf->layers = calloc(g->n_node, sizeof *mf->layers);
    if (!t.folded || !mf || !mf->layers) {
        st = fv_fail(FV_ERR_NOMEM, "%s: out of memory for %zu nodes", path, g->n_node);
    } else {
        mf->format = FV_MF_TF_GRAPHDEF;
        snprintf(mf->path, sizeof mf->path, "%s", path);
        mark_folded(&t);
        for (size_t i = 0; i < g->n_node && st == FV_OK; i++) st = add_node(&t, i, mf);
        if (st == FV_OK && mf->nlayers == 0)
            st = fv_fail(FV_ERR_FORMAT, "%s: TensorFlow GraphDef holds only Const nodes", path);
    }
    free(t.folded);
    tensorflow__graph_def__free_unpacked(g, NULL);
    if (st != FV_OK) {
        fv_modelfile_free(mf);
        return st;
    }
    *out = mf;
    return FV_OK;
}
