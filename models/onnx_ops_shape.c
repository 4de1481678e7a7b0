/* ONNX operators that combine or reshape tensors, as graph nodes (onnx_build.h): Add, Mul (two tensors, the
 * second broadcast over space or channels; or a constant: an affine node, as are Sub and Div by a constant),
 * Concat on channels (its inputs become channel slices of one tensor, copied where they cannot), Gemm and
 * MatMul with constant weights, Flatten and Reshape to 2-D, Softmax, and Identity / Dropout (aliases). */
#include <stdio.h>
#include <string.h>

#include "onnx_build.h"

/* A constant broadcasts per channel of x: one value, or (c) against a 2-D x, or (c,1,1) / (1,c,1,1). */
static int per_channel(const ob_val *x, const fv_onnx_value *k)
{
    if (k->count == 1) return 1;
    if (k->count != (size_t)x->c) return 0;
    if (x->flat) return k->ndim == 1 || (k->ndim == 2 && k->dims[0] == 1);
    int d = k->ndim;
    return d >= 3 && d <= 4 && k->dims[d - 1] == 1 && k->dims[d - 2] == 1 && (d == 3 || k->dims[0] == 1);
}

static fv_status affine_const(ob *b, const Onnx__NodeProto *n, const ob_val *x, const fv_onnx_value *k)
{
    if (!per_channel(x, k))
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "constant '%s' (%zu values) is neither one value nor one per "
                       "channel of its %d-channel input", k->name, k->count, x->c);
    fv_status st = FV_OK;
    const char *t = n->op_type;
    int add = !strcmp(t, "Add") || !strcmp(t, "Sub");
    float *scale = ob_own(b, n, (size_t)x->c, &st), *shift = scale && add ? ob_own(b, n, (size_t)x->c, &st) : NULL;
    FV_TRY(st);
    for (int i = 0; i < x->c; i++) {
        float v = k->data[k->count == 1 ? 0 : i];
        if (!strcmp(t, "Div") && v == 0) return ob_fail(b, n, FV_ERR_FORMAT, "divides by zero");
        scale[i] = add ? 1.0f : !strcmp(t, "Div") ? 1.0f / v : v;
        if (add) shift[i] = !strcmp(t, "Sub") ? -v : v;
    }
    ob_val *y;
    FV_TRY(ob_out_like(b, n, x, &y));
    if (x->t == b->logits && x->uses == 1 && add) b->logits = y->t; /* MatMul + Add: the logits have their bias */
    fv_net_node nd = {.kind = FV_NODE_AFFINE, .in = x->t, .out = y->t, .cout = x->c, .w = scale, .b = shift};
    return ob_node(b, n, &nd);
}

/* `small` broadcasts against `full`: (c,1,1) or (1,1,1) at every input size. */
static int fits(const ob_val *full, const ob_val *small)
{
    return small->one && (small->c == full->c || small->c == 1) && small->c <= full->c;
}

fv_status fv_onnx_op_binary(ob *b, const Onnx__NodeProto *n)
{
    ob_val *p = n->n_input == 2 ? ob_find(b, n->input[0]) : NULL, *q = p ? ob_find(b, n->input[1]) : NULL;
    if (!p || !q) return ob_fail(b, n, FV_ERR_FORMAT, "needs two inputs");
    int sub_div = !strcmp(n->op_type, "Sub") || !strcmp(n->op_type, "Div");
    if (p->k && q->k) return ob_fail(b, n, FV_ERR_UNSUPPORTED, "both inputs are constants");
    if (p->k && sub_div)
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "a constant first operand is not supported for %s", n->op_type);
    if (q->k || p->k) return affine_const(b, n, q->k ? p : q, q->k ? q->k : p->k);
    if (sub_div)
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "%s of two tensors is not supported (a constant second operand is)",
                       n->op_type);
    int same = p->c == q->c && p->h == q->h && p->w == q->w && p->one == q->one && p->flat == q->flat;
    if (!same && !fits(p, q) && fits(q, p)) {
        ob_val *s = p;
        p = q, q = s;
    }
    if (!same && (!fits(p, q) || (p->flat != q->flat && !p->one)))
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "inputs %dx%dx%d and %dx%dx%d (channels x height x width): only equal "
                       "shapes, or a second operand of one value per channel or one value, are supported", p->c, p->h,
                       p->w, q->c, q->h, q->w);
    ob_val *y;
    FV_TRY(ob_out_like(b, n, p, &y));
    fv_net_node nd = {.kind = FV_NODE_BINARY, .in = p->t, .in2 = q->t, .out = y->t, .cout = p->c,
                      .bin = !strcmp(n->op_type, "Add") ? FV_BINARY_ADD : FV_BINARY_MUL};
    return ob_node(b, n, &nd);
}

/* One input of a concatenation: the tensor itself becomes the slice when nothing else claims its memory
 * (its own root, computed by a node, listed once); else a copy into the slice. */
static fv_status concat_part(ob *b, const Onnx__NodeProto *n, int i, int T, int c0)
{
    ob_val *x = ob_find(b, n->input[i]);
    fv_net_tensor *tt = &b->net->tensors[x->t];
    int dup = 0;
    for (int j = 0; j < i; j++) dup |= ob_find(b, n->input[j])->t == x->t;
    if (!dup && tt->parent < 0 && x->t != b->net->input && tt->producer >= 0) {
        tt->parent = T, tt->c0 = c0;
        return FV_OK;
    }
    char name[FV_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s#%d", b->net->tensors[T].name, i);
    if (strlen(name) >= FV_NAME_MAX) return ob_fail(b, n, FV_ERR_UNSUPPORTED, "output name too long");
    int s = fv_net_add_tensor(b->net, name, x->c, T, c0);
    if (s < 0) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", b->path);
    fv_net_node nd = {.kind = FV_NODE_COPY, .in = x->t, .out = s};
    return ob_node(b, n, &nd);
}

fv_status fv_onnx_op_concat(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x, *first = NULL, *y;
    int c = 0;
    if (!ob_attr(n, "axis")) return ob_fail(b, n, FV_ERR_FORMAT, "has no axis");
    for (size_t i = 0; i < n->n_input; i++) {
        FV_TRY(ob_in(b, n, (int)i, &x));
        if (!first) first = x;
        if (x->h != first->h || x->w != first->w || x->flat != first->flat || x->one != first->one)
            return ob_fail(b, n, FV_ERR_SHAPE, "inputs differ in size (%dx%d and %dx%d)", first->w, first->h, x->w,
                           x->h);
        c += x->c;
        if (c > (1 << 28)) return ob_fail(b, n, FV_ERR_SHAPE, "concatenates more than %d channels", 1 << 28);
    }
    if (!first) return ob_fail(b, n, FV_ERR_FORMAT, "has no inputs");
    int64_t axis = ob_attr_i(n, "axis", 1), rank = first->flat ? 2 : 4;
    if (axis < 0) axis += rank;
    if (axis != 1) return ob_fail(b, n, FV_ERR_UNSUPPORTED, "only concatenation over channels (axis 1) is supported");
    FV_TRY(ob_out(b, n, NULL, c, first->h, first->w, first->one, &y));
    y->flat = first->flat;
    for (size_t i = 0, c0 = 0; i < n->n_input; c0 += (size_t)ob_find(b, n->input[i])->c, i++)
        FV_TRY(concat_part(b, n, (int)i, y->t, (int)c0));
    return FV_OK;
}

/* Weights (out, in) row-major for the FC node: Gemm's B (transB or not) times alpha; MatMul's B transposed. */
static fv_status fc_weights(ob *b, const Onnx__NodeProto *n, const fv_onnx_value *B, int transB, float alpha,
                            const float **w)
{
    const int64_t K = transB ? B->dims[1] : B->dims[0], N = transB ? B->dims[0] : B->dims[1];
    if (transB && alpha == 1.0f) {
        *w = B->data;
        return FV_OK;
    }
    fv_status st = FV_OK;
    float *o = ob_own(b, n, B->count, &st);
    FV_TRY(st);
    for (int64_t r = 0; r < N; r++)
        for (int64_t i = 0; i < K; i++) o[r * K + i] = alpha * (transB ? B->data[r * K + i] : B->data[i * N + r]);
    *w = o;
    return FV_OK;
}

fv_status fv_onnx_op_gemm(ob *b, const Onnx__NodeProto *n)
{
    const int mm = !strcmp(n->op_type, "MatMul");
    ob_val *x, *y;
    const fv_onnx_value *B, *C = NULL;
    FV_TRY(ob_in(b, n, 0, &x));
    FV_TRY(ob_const(b, n, 1, &B));
    if (!mm) FV_TRY(ob_const(b, n, 2, &C));
    if (!x->flat)
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "its input must be 2-D (a Flatten or Reshape before it)");
    if (!B || B->ndim != 2) return ob_fail(b, n, FV_ERR_UNSUPPORTED, "B must be a 2-D constant (the weights)");
    if (!mm && ob_attr_i(n, "transA", 0)) return ob_fail(b, n, FV_ERR_UNSUPPORTED, "transA is not supported");
    const int transB = !mm && ob_attr_i(n, "transB", 0);
    const float alpha = mm ? 1.0f : ob_attr_f(n, "alpha", 1.0f), beta = mm ? 1.0f : ob_attr_f(n, "beta", 1.0f);
    const int64_t K = transB ? B->dims[1] : B->dims[0], N = transB ? B->dims[0] : B->dims[1];
    if (K != x->c || N < 1 || N > (1 << 24))
        return ob_fail(b, n, FV_ERR_SHAPE, "weights are %lldx%lld%s but its input has %d features",
                       (long long)B->dims[0], (long long)B->dims[1], transB ? " (transB)" : "", x->c);
    if (C && C->count != 1 && C->count != (size_t)N)
        return ob_fail(b, n, FV_ERR_SHAPE, "C has %zu values for %lld outputs", C->count, (long long)N);
    fv_net_node nd = {.kind = FV_NODE_FC, .in = x->t, .cin = x->c, .cout = (int)N};
    FV_TRY(fc_weights(b, n, B, transB, alpha, &nd.w));
    if (C && C->count == (size_t)N && beta == 1.0f) {
        nd.b = C->data;
    } else if (C) {
        fv_status st = FV_OK;
        float *bias = ob_own(b, n, (size_t)N, &st);
        FV_TRY(st);
        for (int64_t i = 0; i < N; i++) bias[i] = beta * C->data[C->count == 1 ? 0 : i];
        nd.b = bias;
    }
    FV_TRY(ob_out(b, n, NULL, (int)N, 1, 1, 1, &y));
    y->flat = 1;
    nd.out = y->t;
    b->logits = y->t, b->nclasses = (int)N;
    return ob_node(b, n, &nd);
}

/* Flatten (axis 1) and Reshape to (N, C*H*W): an alias of a 1x1 input, else a copy. */
fv_status fv_onnx_op_flatten(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x, *y;
    FV_TRY(ob_in(b, n, 0, &x));
    const int64_t K = (int64_t)x->c * x->h * x->w;
    if (!strcmp(n->op_type, "Flatten")) {
        int64_t axis = ob_attr_i(n, "axis", 1);
        if (axis < 0) axis += x->flat ? 2 : 4;
        if (axis != 1) return ob_fail(b, n, FV_ERR_UNSUPPORTED, "only axis 1 (to batch x features) is supported");
    } else {
        const fv_onnx_value *s;
        FV_TRY(ob_const(b, n, 1, &s));
        const int64_t *d = s && s->ints && s->count == 2 ? s->ints : NULL;
        if (!d || !(d[0] == 0 || d[0] == 1 || (d[0] == -1 && d[1] == K)) || !(d[1] == K || (d[1] == -1 && d[0] != -1)))
            return ob_fail(b, n, FV_ERR_UNSUPPORTED, "only a reshape to 2-D (batch, %lld) is supported", (long long)K);
    }
    if (x->flat || x->one) {
        FV_TRY(ob_alias_out(b, n, x));
        y = ob_find(b, n->output[0]);
        y->flat = 1;
        return FV_OK;
    }
    if (K > (1 << 28)) return ob_fail(b, n, FV_ERR_SHAPE, "flattens to %lld features", (long long)K);
    FV_TRY(ob_out(b, n, NULL, (int)K, 1, 1, 1, &y));
    y->flat = 1;
    fv_net_node nd = {.kind = FV_NODE_COPY, .in = x->t, .out = y->t, .flatten = 1};
    return ob_node(b, n, &nd);
}

/* Softmax over channels: 2-D input on axis 1, or 4-D input on axis 1 (opset 13+; before it, axis 1 meant
 * C*H*W, the same only for 1x1 inputs). */
fv_status fv_onnx_op_softmax(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x, *y;
    FV_TRY(ob_in(b, n, 0, &x));
    int64_t axis = ob_attr_i(n, "axis", b->opset >= 13 ? -1 : 1);
    if (axis < 0) axis += x->flat ? 2 : 4;
    if (axis != 1 || (!x->flat && !x->one && b->opset < 13))
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "only a softmax over channels is supported (axis 1 of a 2-D or, from "
                       "opset 13, a 4-D input)");
    FV_TRY(ob_out_like(b, n, x, &y));
    fv_net_node nd = {.kind = FV_NODE_SOFTMAX, .in = x->t, .out = y->t};
    b->probs = y->t;
    return ob_node(b, n, &nd);
}

/* Identity and Dropout (inference: identity): the output names the input's tensor (or constant). */
fv_status fv_onnx_op_identity(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x = n->n_input ? ob_find(b, n->input[0]) : NULL, *y = n->n_output ? ob_find(b, n->output[0]) : NULL;
    if (!x || !y) return ob_fail(b, n, FV_ERR_FORMAT, "needs an input and an output");
    FV_TRY(ob_unused_output(b, n, 1));
    if (x->k) {
        y->k = x->k;
        return FV_OK;
    }
    return ob_alias_out(b, n, x);
}
