/* The tests' ONNX writer (onnx_writer.h): protobuf-c structs of models/onnx.proto, filled and packed. */
#define _GNU_SOURCE
#include "onnx_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *grow(void *arr, size_t n, size_t elem)
{
    void *p = realloc(arr, (n + 1) * elem);
    if (!p) abort();
    return p;
}

#define PUSH(arr, n, v) ((arr) = grow((arr), (n), sizeof *(arr)), (arr)[(n)++] = (v))

ow_model *ow_new(int opset, const char *input, int c, int h, int w)
{
    ow_model *m = calloc(1, sizeof *m);
    onnx__model_proto__init(&m->m);
    onnx__graph_proto__init(&m->g);
    m->m.has_ir_version = 1, m->m.ir_version = 8;
    m->m.producer_name = "featvis-tests";
    m->m.graph = &m->g;
    m->g.name = "test";
    Onnx__OperatorSetIdProto *op = calloc(1, sizeof *op);
    onnx__operator_set_id_proto__init(op);
    op->domain = "", op->has_version = 1, op->version = opset;
    PUSH(m->m.opset_import, m->m.n_opset_import, op);
    Onnx__ValueInfoProto *vi = calloc(1, sizeof *vi);
    Onnx__TypeProto *ty = calloc(1, sizeof *ty);
    Onnx__TypeProto__Tensor *tt = calloc(1, sizeof *tt);
    Onnx__TensorShapeProto *sh = calloc(1, sizeof *sh);
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(ty);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    const int64_t d[4] = {1, c, h, w};
    for (int i = 0; i < 4; i++) {
        Onnx__TensorShapeProto__Dimension *dim = calloc(1, sizeof *dim);
        onnx__tensor_shape_proto__dimension__init(dim);
        if (d[i] > 0) dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE, dim->dim_value = d[i];
        else dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM, dim->dim_param = "size";
        PUSH(sh->dim, sh->n_dim, dim);
    }
    tt->has_elem_type = 1, tt->elem_type = 1, tt->shape = sh;
    ty->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, ty->tensor_type = tt;
    vi->name = strdup(input), vi->type = ty;
    PUSH(m->g.input, m->g.n_input, vi);
    return m;
}

/* "a,b,,c" -> {"a", "b", "", "c"} */
static size_t split(const char *list, char ***out)
{
    size_t n = 0;
    char **v = NULL, *s = strdup(list ? list : ""), *p = s;
    if (!*s) return *out = NULL, 0;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = 0;
        PUSH(v, n, strdup(p));
        if (!comma) break;
        p = comma + 1;
    }
    free(s);
    *out = v;
    return n;
}

Onnx__NodeProto *ow_node(ow_model *m, const char *op, const char *name, const char *inputs, const char *outputs)
{
    Onnx__NodeProto *n = calloc(1, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = strdup(op);
    n->name = name ? strdup(name) : NULL;
    n->n_input = split(inputs, &n->input);
    n->n_output = split(outputs, &n->output);
    PUSH(m->g.node, m->g.n_node, n);
    return n;
}

static Onnx__AttributeProto *attr(Onnx__NodeProto *n, const char *name, Onnx__AttributeProto__AttributeType t)
{
    Onnx__AttributeProto *a = calloc(1, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = strdup(name), a->has_type = 1, a->type = t;
    PUSH(n->attribute, n->n_attribute, a);
    return a;
}

void ow_attr_i(Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1, a->i = v;
}

void ow_attr_f(Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1, a->f = v;
}

void ow_attr_ints(Onnx__NodeProto *n, const char *name, int count, const int64_t *v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->ints = malloc(sizeof(int64_t) * (size_t)count);
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)count);
    a->n_ints = (size_t)count;
}

void ow_attr_s(Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1, a->s.data = (uint8_t *)strdup(v), a->s.len = strlen(v);
}

/* float -> IEEE half, round to nearest even (finite values in the half range only: the tests' weights). */
static uint16_t to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, man = x & 0x7fffff;
    int exp = (int)((x >> 23) & 0xff) - 127 + 15;
    if ((x & 0x7fffffff) == 0) return (uint16_t)sign;
    if (exp <= 0) { /* subnormal */
        man |= 0x800000;
        int shift = 14 - exp;
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)exp << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

static Onnx__TensorProto *tensor(ow_model *m, const char *name, int ndim, const int64_t *dims)
{
    Onnx__TensorProto *t = calloc(1, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = strdup(name);
    t->dims = malloc(sizeof(int64_t) * (size_t)(ndim ? ndim : 1));
    memcpy(t->dims, dims, sizeof(int64_t) * (size_t)ndim);
    t->n_dims = (size_t)ndim;
    t->has_data_type = 1;
    if (m) PUSH(m->g.initializer, m->g.n_initializer, t);
    return t;
}

Onnx__TensorProto *ow_init(ow_model *m, const char *name, int ndim, const int64_t *dims, const float *data, ow_enc enc)
{
    Onnx__TensorProto *t = tensor(m, name, ndim, dims);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)dims[i];
    t->data_type = enc == OW_FLOAT16 || enc == OW_FLOAT16_INT32 ? 10 : enc == OW_BFLOAT16 ? 16 : 1;
    if (enc == OW_FLOAT_DATA) {
        t->float_data = malloc(sizeof(float) * (n ? n : 1));
        memcpy(t->float_data, data, sizeof(float) * n);
        t->n_float_data = n;
    } else if (enc == OW_FLOAT16_INT32) {
        t->int32_data = malloc(sizeof(int32_t) * (n ? n : 1));
        for (size_t i = 0; i < n; i++) t->int32_data[i] = to_half(data[i]);
        t->n_int32_data = n;
    } else {
        size_t es = enc == OW_RAW ? 4 : 2;
        uint8_t *raw = malloc(es * (n ? n : 1));
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &data[i], 4);
            uint16_t h = enc == OW_FLOAT16 ? to_half(data[i]) : (uint16_t)(bits >> 16); /* bf16: exact values only */
            memcpy(raw + i * es, enc == OW_RAW ? (const void *)&data[i] : (const void *)&h, es);
        }
        t->has_raw_data = 1, t->raw_data.data = raw, t->raw_data.len = es * n;
    }
    return t;
}

Onnx__TensorProto *ow_init_i64(ow_model *m, const char *name, int n, const int64_t *v)
{
    const int64_t d[1] = {n};
    Onnx__TensorProto *t = tensor(m, name, 1, d);
    t->data_type = 7;
    t->int64_data = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    memcpy(t->int64_data, v, sizeof(int64_t) * (size_t)n);
    t->n_int64_data = (size_t)n;
    return t;
}

void ow_output(ow_model *m, const char *name)
{
    Onnx__ValueInfoProto *vi = calloc(1, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = strdup(name);
    PUSH(m->g.output, m->g.n_output, vi);
}

uint8_t *ow_pack(const ow_model *m, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&m->m);
    uint8_t *buf = malloc(*len ? *len : 1);
    onnx__model_proto__pack(&m->m, buf);
    return buf;
}

void ow_write(const ow_model *m, const char *path)
{
    size_t len;
    uint8_t *buf = ow_pack(m, &len);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) abort();
    free(buf);
}
