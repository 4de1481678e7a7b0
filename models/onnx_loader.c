/* ONNX ModelProto loader (onnx.h): the wire format checked (pbcheck.c), unpacked with protobuf-c
 * (models/onnx.proto), the opset checked, and every initializer and Constant node converted to float
 * (float32 from raw_data or float_data; float16, bfloat16 and double converted; integers kept as well for
 * shapes and pads). Tensors whose data lives in an external file are refused. The graph itself is read by
 * onnx_build.c. */
#include "onnx.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "pbcheck.h"

enum { T_FLOAT = 1, T_INT32 = 6, T_INT64 = 7, T_FLOAT16 = 10, T_DOUBLE = 11, T_BFLOAT16 = 16 };

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* Inf, NaN */
    } else if (exp == 0) {
        float v = ldexpf((float)man, -24); /* zero or subnormal */
        return sign ? -v : v;
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static size_t elem_size(int type)
{
    switch (type) {
    case T_FLOAT: case T_INT32: return 4;
    case T_INT64: case T_DOUBLE: return 8;
    case T_FLOAT16: case T_BFLOAT16: return 2;
    default: return 0;
    }
}

/* How many values the typed field for `type` holds. */
static size_t typed_count(const Onnx__TensorProto *t, int type)
{
    switch (type) {
    case T_FLOAT: return t->n_float_data;
    case T_INT32: case T_FLOAT16: case T_BFLOAT16: return t->n_int32_data;
    case T_INT64: return t->n_int64_data;
    case T_DOUBLE: return t->n_double_data;
    default: return 0;
    }
}

/* Value i of the tensor, from raw_data (little-endian, as this host) or the typed field. */
static double value_at(const Onnx__TensorProto *t, int type, size_t i, int64_t *as_int)
{
    const uint8_t *raw = t->has_raw_data && t->raw_data.len ? t->raw_data.data + i * elem_size(type) : NULL;
    float f;
    double d;
    int32_t i32;
    int64_t i64;
    uint16_t h;
    *as_int = 0;
    switch (type) {
    case T_FLOAT: if (raw) memcpy(&f, raw, 4); else f = t->float_data[i]; return f;
    case T_DOUBLE: if (raw) memcpy(&d, raw, 8); else d = t->double_data[i]; return d;
    case T_FLOAT16: case T_BFLOAT16:
        if (raw) memcpy(&h, raw, 2); else h = (uint16_t)t->int32_data[i];
        return type == T_FLOAT16 ? half_to_float(h) : bf16_to_float(h);
    case T_INT32: if (raw) memcpy(&i32, raw, 4); else i32 = t->int32_data[i]; *as_int = i32; return i32;
    default: if (raw) memcpy(&i64, raw, 8); else i64 = t->int64_data[i]; *as_int = i64; return (double)i64;
    }
}

/* Shape and value count of tensor `t`, checked against what it stores. */
static fv_status tensor_shape(const char *path, const Onnx__TensorProto *t, const char *what, const char *name,
                              int type, fv_onnx_value *v)
{
    if (t->n_dims > 8)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: %s '%s' has %zu axes; at most 8 are read", path, what, name, t->n_dims);
    int64_t count = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || t->dims[i] > ((int64_t)1 << 40))
            return fv_fail(FV_ERR_SHAPE, "%s: %s '%s': bad dimension %" PRId64, path, what, name, t->dims[i]);
        count *= t->dims[i];
        if (count > ((int64_t)1 << 40)) return fv_fail(FV_ERR_SHAPE, "%s: %s '%s' is too large", path, what, name);
        v->dims[i] = t->dims[i];
    }
    v->ndim = (int)t->n_dims;
    v->count = (size_t)count;
    size_t have = t->has_raw_data && t->raw_data.len ? t->raw_data.len / elem_size(type) : typed_count(t, type);
    if (t->has_raw_data && t->raw_data.len && t->raw_data.len % elem_size(type))
        return fv_fail(FV_ERR_FORMAT, "%s: %s '%s': raw_data of %zu bytes is not a whole number of values", path, what,
                       name, t->raw_data.len);
    if (have != v->count)
        return fv_fail(FV_ERR_SHAPE, "%s: %s '%s': its shape holds %zu values but %zu are stored", path, what, name,
                       v->count, have);
    return FV_OK;
}

/* Converts tensor `t` (an initializer, or a Constant's value) into *v; `what` names it in messages. */
static fv_status convert_tensor(const char *path, const Onnx__TensorProto *t, const char *what, const char *name,
                                fv_onnx_value *v)
{
    memset(v, 0, sizeof *v);
    v->name = name;
    if ((t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        t->n_external_data)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: %s '%s' keeps its data in an external file; featvis-cuda reads only "
                       "self-contained .onnx files (save the model with all weights inside it)", path, what, name);
    int type = t->has_data_type ? t->data_type : 0;
    if (!elem_size(type))
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: %s '%s' has data type %d; featvis-cuda reads float32, float16, "
                       "bfloat16, double, int32 and int64", path, what, name, type);
    FV_TRY(tensor_shape(path, t, what, name, type, v));
    int is_int = type == T_INT32 || type == T_INT64;
    v->data = malloc((v->count ? v->count : 1) * sizeof(float));
    v->ints = is_int ? malloc((v->count ? v->count : 1) * sizeof(int64_t)) : NULL;
    if (!v->data || (is_int && !v->ints)) return fv_fail(FV_ERR_NOMEM, "%s: %s '%s': out of memory", path, what, name);
    for (size_t i = 0; i < v->count; i++) {
        int64_t k;
        v->data[i] = (float)value_at(t, type, i, &k);
        if (is_int) v->ints[i] = k;
        if (!is_int && !isfinite(v->data[i]))
            return fv_fail(FV_ERR_FORMAT, "%s: %s '%s': value %zu of %zu is %s; weights must be finite", path, what,
                           name, i + 1, v->count, isnan(v->data[i]) ? "NaN" : v->data[i] > 0 ? "+Inf" : "-Inf");
    }
    return FV_OK;
}

static fv_onnx_value *new_value(struct fv_onnx_file *f)
{
    if (f->nvalues == f->cap_values) {
        int cap = f->cap_values ? f->cap_values * 2 : 64;
        fv_onnx_value *nv = realloc(f->values, sizeof *nv * (size_t)cap);
        if (!nv) return NULL;
        f->values = nv, f->cap_values = cap;
    }
    fv_onnx_value *v = &f->values[f->nvalues++];
    memset(v, 0, sizeof *v);
    return v;
}

/* The value a Constant node gives (opset 11+: value, value_float(s), value_int(s)). */
static fv_status constant_node(const char *path, struct fv_onnx_file *f, const Onnx__NodeProto *n)
{
    const char *name = n->n_output ? n->output[0] : "";
    if (n->n_attribute != 1)
        return fv_fail(FV_ERR_FORMAT, "%s: Constant node '%s' has %zu attributes, expected one", path, name,
                       n->n_attribute);
    const Onnx__AttributeProto *a = n->attribute[0];
    fv_onnx_value *v = new_value(f);
    if (!v) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
    const char *an = a->name ? a->name : "";
    if (!strcmp(an, "value") && a->t) return convert_tensor(path, a->t, "Constant", name, v);
    v->name = name;
    int one = !strcmp(an, "value_float") || !strcmp(an, "value_int");
    size_t cnt = one ? 1 : !strcmp(an, "value_floats") ? a->n_floats : !strcmp(an, "value_ints") ? a->n_ints : 0;
    if (!one && strcmp(an, "value_floats") && strcmp(an, "value_ints"))
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: Constant node '%s': attribute '%s' is not read (value, value_float(s) "
                       "and value_int(s) are)", path, name, an);
    int is_int = !strcmp(an, "value_int") || !strcmp(an, "value_ints");
    v->ndim = one ? 0 : 1, v->dims[0] = (int64_t)cnt, v->count = cnt;
    v->data = malloc((cnt ? cnt : 1) * sizeof(float));
    v->ints = is_int ? malloc((cnt ? cnt : 1) * sizeof(int64_t)) : NULL;
    if (!v->data || (is_int && !v->ints)) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < cnt; i++) {
        if (is_int) v->ints[i] = one ? a->i : a->ints[i];
        v->data[i] = is_int ? (float)v->ints[i] : one ? a->f : a->floats[i];
    }
    return FV_OK;
}

/* The default domain's opset; only 11..21 are read. */
static fv_status read_opset(const char *path, const Onnx__ModelProto *pb, int *opset)
{
    *opset = 0;
    for (size_t i = 0; i < pb->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = pb->opset_import[i];
        if (!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx")) *opset = (int)o->version;
    }
    if (*opset < FV_ONNX_OPSET_MIN || *opset > FV_ONNX_OPSET_MAX)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: ONNX opset %d; featvis-cuda reads opsets %d to %d (convert the model "
                       "with onnx.version_converter)", path, *opset, FV_ONNX_OPSET_MIN, FV_ONNX_OPSET_MAX);
    return FV_OK;
}

/* Initializers and Constant nodes into f->values; each tensor's stored bytes are released once converted. */
static fv_status read_values(const char *path, struct fv_onnx_file *f)
{
    Onnx__GraphProto *g = f->pb->graph;
    for (size_t i = 0; i < g->n_initializer; i++) {
        Onnx__TensorProto *t = g->initializer[i];
        fv_onnx_value *v = new_value(f);
        if (!v) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
        FV_TRY(convert_tensor(path, t, "initializer", t->name ? t->name : "", v));
        if (t->has_raw_data && t->raw_data.data) free(t->raw_data.data);
        free(t->float_data);
        t->raw_data.data = NULL, t->raw_data.len = 0, t->has_raw_data = 0;
        t->float_data = NULL, t->n_float_data = 0;
    }
    for (size_t i = 0; i < g->n_node; i++)
        if (g->node[i]->op_type && !strcmp(g->node[i]->op_type, "Constant"))
            FV_TRY(constant_node(path, f, g->node[i]));
    return FV_OK;
}

fv_status fv_onnx_load(const char *path, const uint8_t *buf, size_t len, fv_modelfile **out)
{
    *out = NULL;
    FV_TRY(fv_pb_check_size(&onnx__model_proto__descriptor, buf, len, path, NULL));
    Onnx__ModelProto *pb = onnx__model_proto__unpack(NULL, len, buf);
    if (!pb) return fv_fail(FV_ERR_FORMAT, "%s: truncated or corrupt ONNX ModelProto (%zu bytes)", path, len);
    fv_modelfile *mf = calloc(1, sizeof *mf);
    struct fv_onnx_file *f = calloc(1, sizeof *f);
    if (!mf || !f) {
        free(mf), free(f);
        onnx__model_proto__free_unpacked(pb, NULL);
        return fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
    }
    f->pb = pb;
    mf->onnx = f;
    mf->free_onnx = fv_onnx_free;
    mf->format = FV_MF_ONNX;
    snprintf(mf->path, sizeof mf->path, "%s", path);
    fv_status st = FV_OK;
    if (!pb->graph || !pb->graph->n_node)
        st = fv_fail(FV_ERR_FORMAT, "%s: ONNX model has no graph nodes (%zu bytes)", path, len);
    else if (pb->graph->n_node > FV_MF_MAX_LAYERS)
        st = fv_fail(FV_ERR_FORMAT, "%s: ONNX graph lists %zu nodes; at most %d are read", path, pb->graph->n_node,
                     FV_MF_MAX_LAYERS);
    if (st == FV_OK) st = read_opset(path, pb, &f->opset);
    if (st == FV_OK) st = read_values(path, f);
    if (st != FV_OK) {
        fv_modelfile_free(mf);
        return st;
    }
    *out = mf;
    return FV_OK;
}

const fv_onnx_value *fv_onnx_value_find(const struct fv_onnx_file *f, const char *name)
{
    for (int i = f->nvalues - 1; i >= 0; i--)
        if (f->values[i].name && !strcmp(f->values[i].name, name)) return &f->values[i];
    return NULL;
}

float *fv_onnx_own(struct fv_onnx_file *f, size_t n)
{
    if (f->nowned == f->cap_owned) {
        int cap = f->cap_owned ? f->cap_owned * 2 : 32;
        float **no = realloc(f->owned, sizeof *no * (size_t)cap);
        if (!no) return NULL;
        f->owned = no, f->cap_owned = cap;
    }
    float *p = calloc(n ? n : 1, sizeof(float));
    if (p) f->owned[f->nowned++] = p;
    return p;
}

void fv_onnx_free(struct fv_onnx_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->nvalues; i++) free(f->values[i].data), free(f->values[i].ints);
    for (int i = 0; i < f->nowned; i++) free(f->owned[i]);
    free(f->values);
    free(f->owned);
    if (f->pb) onnx__model_proto__free_unpacked(f->pb, NULL);
    free(f);
}
