/* ONNX operators with a window or per-channel parameters, as graph nodes (onnx_build.h): Conv (groups,
 * dilations, pads, auto_pad; a following BatchNormalization folded into its weights), MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool, BatchNormalization (an affine node when not folded), Relu and the other
 * pointwise activations, LRN and constant Pad. The rest are in onnx_ops_shape.c. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_build.h"

static int bad_window_value(int64_t v, int lo) { return v < lo || v > FV_MF_MAX_WINDOW; }

/* Window extent along one axis, as onnxruntime computes it (ceil: rounded up, no window starting in the end
 * padding). */
static int window_out(int in, int lo, int hi, int ek, int s, int ceil_mode)
{
    int span = in + lo + hi - ek;
    int o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + lo) o--;
    return o;
}

/* auto_pad SAME_*: the padding for this input size; SAME_UPPER puts the odd pixel at the end. */
static void same_pads(int in, int ek, int s, int upper, int *lo, int *hi)
{
    int o = (in + s - 1) / s, tot = (o - 1) * s + ek - in;
    if (tot < 0) tot = 0;
    *lo = upper ? tot / 2 : tot - tot / 2;
    *hi = tot - *lo;
}

/* strides, dilations, pads and auto_pad of a Conv or pooling node into nd; *oh, *ow its output size. */
static fv_status window(ob *b, const Onnx__NodeProto *n, const ob_val *x, int kh, int kw, int ceil_mode,
                        fv_net_node *nd, int *oh, int *ow)
{
    int64_t s[2] = {1, 1}, d[2] = {1, 1}, p[4] = {0, 0, 0, 0};
    int ns = ob_attr_ints(n, "strides", s, 2), ndl = ob_attr_ints(n, "dilations", d, 2);
    int np = ob_attr_ints(n, "pads", p, 4);
    if ((ns && ns != 2) || (ndl && ndl != 2) || (np && np != 4))
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "only 2-D windows are supported (strides, dilations, pads)");
    if (bad_window_value(kh, 1) || bad_window_value(kw, 1) || bad_window_value(s[0], 1) ||
        bad_window_value(s[1], 1) || bad_window_value(d[0], 1) || bad_window_value(d[1], 1))
        return ob_fail(b, n, FV_ERR_FORMAT, "kernel, strides or dilations out of range 1..%d", FV_MF_MAX_WINDOW);
    for (int i = 0; i < 4; i++)
        if (bad_window_value(p[i], 0))
            return ob_fail(b, n, FV_ERR_FORMAT, "pads out of range 0..%d", FV_MF_MAX_WINDOW);
    char ap[32];
    ob_attr_s(n, "auto_pad", ap, sizeof ap);
    const int in[2] = {x->h, x->w}, ek[2] = {(kh - 1) * (int)d[0] + 1, (kw - 1) * (int)d[1] + 1};
    const int st[2] = {(int)s[0], (int)s[1]};
    int lo[2] = {(int)p[0], (int)p[1]}, hi[2] = {(int)p[2], (int)p[3]};
    int upper = !strcmp(ap, "SAME_UPPER");
    if (upper || !strcmp(ap, "SAME_LOWER")) {
        for (int a = 0; a < 2; a++) same_pads(in[a], ek[a], st[a], upper, &lo[a], &hi[a]);
        /* TensorFlow's SAME rule is SAME_UPPER (of the dilated extent) at any input size; SAME_LOWER's pads hold
         * for this size */
        nd->rule = upper ? FV_PADRULE_SAME : FV_PADRULE_EXPLICIT4;
        ceil_mode = 0;
    } else if (!strcmp(ap, "VALID")) {
        lo[0] = lo[1] = hi[0] = hi[1] = 0;
        nd->rule = FV_PADRULE_VALID;
    } else if (!ap[0] || !strcmp(ap, "NOTSET")) {
        nd->rule = ceil_mode ? FV_PADRULE_CEIL4 : FV_PADRULE_EXPLICIT4;
    } else {
        return ob_fail(b, n, FV_ERR_FORMAT, "unknown auto_pad '%s'", ap);
    }
    for (int a = 0; a < 2; a++)
        if (in[a] + lo[a] + hi[a] < ek[a])
            return ob_fail(b, n, FV_ERR_SHAPE, "its %dx%d input is smaller than its %dx%d window at the file's %dx%d "
                           "input", in[1], in[0], ek[1], ek[0], b->in_w, b->in_h);
    nd->kh = kh, nd->kw = kw, nd->sh = st[0], nd->sw = st[1], nd->dil_h = (int)d[0], nd->dil_w = (int)d[1];
    nd->pad_h = lo[0], nd->pad_w = lo[1], nd->pad_b = hi[0], nd->pad_r = hi[1];
    *oh = window_out(in[0], lo[0], hi[0], ek[0], st[0], ceil_mode);
    *ow = window_out(in[1], lo[1], hi[1], ek[1], st[1], ceil_mode);
    return FV_OK;
}

/* A BatchNormalization as y = x * scale[c] + shift[c]. */
static fv_status bn_params(ob *b, const Onnx__NodeProto *n, int c, float *scale, float *shift)
{
    const fv_onnx_value *k[4];
    for (int i = 0; i < 4; i++) {
        FV_TRY(ob_const(b, n, i + 1, &k[i]));
        if (!k[i] || k[i]->count != (size_t)c)
            return ob_fail(b, n, FV_ERR_SHAPE, "input %d must be a constant of %d values (one per channel)", i + 2, c);
    }
    if (ob_attr_i(n, "training_mode", 0)) return ob_fail(b, n, FV_ERR_UNSUPPORTED, "training_mode is not supported");
    const float eps = ob_attr_f(n, "epsilon", 1e-5f);
    for (int i = 0; i < c; i++) {
        if (k[3]->data[i] + eps <= 0) return ob_fail(b, n, FV_ERR_FORMAT, "variance %d is negative", i);
        scale[i] = k[0]->data[i] / sqrtf(k[3]->data[i] + eps);
        shift[i] = k[1]->data[i] - k[2]->data[i] * scale[i];
    }
    return FV_OK;
}

/* Weights and bias of the Conv with BatchNormalization `bn` folded in, owned by the file. */
static fv_status fold_bn(ob *b, const Onnx__NodeProto *bn, const fv_onnx_value *W, const fv_onnx_value *B,
                         fv_net_node *nd)
{
    fv_status st = FV_OK;
    const int cout = nd->cout;
    const size_t per = W->count / (size_t)cout;
    float *w = ob_own(b, bn, W->count, &st), *bias = w ? ob_own(b, bn, (size_t)cout, &st) : NULL;
    float *ss = bias ? malloc(sizeof(float) * 2 * (size_t)cout) : NULL;
    if (bias && !ss) st = fv_fail(FV_ERR_NOMEM, "%s: out of memory", b->path);
    if (ss && (st = bn_params(b, bn, cout, ss, ss + cout)) == FV_OK) {
        for (int o = 0; o < cout; o++) {
            for (size_t j = 0; j < per; j++) w[o * per + j] = W->data[o * per + j] * ss[o];
            bias[o] = (B ? B->data[o] : 0.0f) * ss[o] + ss[cout + o];
        }
        nd->w = w, nd->b = bias;
    }
    free(ss);
    return st;
}

static fv_status op_conv(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x, *y;
    const fv_onnx_value *W, *B;
    FV_TRY(ob_in(b, n, 0, &x));
    FV_TRY(ob_const(b, n, 1, &W));
    FV_TRY(ob_const(b, n, 2, &B));
    if (!W || W->ndim != 4 || W->dims[0] < 1 || W->dims[0] > (1 << 20))
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "weights must be a 4-D constant (out, in/group, kh, kw)");
    const int64_t group = ob_attr_i(n, "group", 1), cout = W->dims[0];
    if (group < 1 || x->c % group || cout % group || W->dims[1] * group != x->c || x->flat)
        return ob_fail(b, n, FV_ERR_SHAPE, "weights %lldx%lldx%lldx%lld with group %lld do not fit its %d input "
                       "channels", (long long)W->dims[0], (long long)W->dims[1], (long long)W->dims[2],
                       (long long)W->dims[3], (long long)group, x->c);
    int64_t ks[2];
    if (ob_attr_ints(n, "kernel_shape", ks, 2) == 2 && (ks[0] != W->dims[2] || ks[1] != W->dims[3]))
        return ob_fail(b, n, FV_ERR_SHAPE, "kernel_shape differs from the weights' shape");
    if (B && B->count != (size_t)cout)
        return ob_fail(b, n, FV_ERR_SHAPE, "bias has %zu values for %lld outputs", B->count, (long long)cout);
    if (W->dims[2] > FV_MF_MAX_WINDOW || W->dims[3] > FV_MF_MAX_WINDOW)
        return ob_fail(b, n, FV_ERR_FORMAT, "kernel larger than %d", FV_MF_MAX_WINDOW);
    fv_net_node nd = {.kind = FV_NODE_CONV, .in = x->t, .cin = x->c, .cout = (int)cout, .groups = (int)group,
                      .w = W->data, .b = B ? B->data : NULL};
    int oh, ow;
    FV_TRY(window(b, n, x, (int)W->dims[2], (int)W->dims[3], 0, &nd, &oh, &ow));
    const int f = b->fold[b->cur];
    if (f >= 0) FV_TRY(fold_bn(b, b->g->node[f], W, B, &nd));
    /* a 1x1 unpadded convolution of a map that is 1x1 at every size (squeeze-excitation) keeps it so */
    const int one = x->one && nd.kh == 1 && nd.kw == 1 && !nd.pad_h && !nd.pad_w && !nd.pad_b && !nd.pad_r;
    FV_TRY(ob_out(b, n, f >= 0 ? b->g->node[f]->output[0] : NULL, (int)cout, oh, ow, one, &y));
    if (f >= 0) b->made[f] = y->t, b->made[b->cur] = -1; /* the tensor is the BatchNormalization's output */
    nd.out = y->t;
    return ob_node(b, n, &nd);
}

static fv_status op_batchnorm(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x, *y;
    fv_status st = FV_OK;
    FV_TRY(ob_in(b, n, 0, &x));
    float *scale = ob_own(b, n, (size_t)x->c, &st), *shift = scale ? ob_own(b, n, (size_t)x->c, &st) : NULL;
    FV_TRY(st);
    FV_TRY(bn_params(b, n, x->c, scale, shift));
    FV_TRY(ob_out_like(b, n, x, &y));
    fv_net_node nd = {.kind = FV_NODE_AFFINE, .in = x->t, .out = y->t, .cout = x->c, .w = scale, .b = shift};
    return ob_node(b, n, &nd);
}

static fv_status op_pool(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x, *y;
    FV_TRY(ob_in(b, n, 0, &x));
    FV_TRY(ob_unused_output(b, n, 1));
    const int avg = !strcmp(n->op_type, "AveragePool") || !strcmp(n->op_type, "GlobalAveragePool");
    fv_net_node nd = {.kind = FV_NODE_POOL, .in = x->t, .pool = avg ? FV_POOL_AVG : FV_POOL_MAX};
    if (x->flat) return ob_fail(b, n, FV_ERR_SHAPE, "its input is 2-D");
    if (!strncmp(n->op_type, "Global", 6)) {
        nd.rule = FV_PADRULE_GLOBAL, nd.kh = nd.kw = nd.sh = nd.sw = 1;
        FV_TRY(ob_out(b, n, NULL, x->c, 1, 1, 1, &y));
        nd.out = y->t;
        return ob_node(b, n, &nd);
    }
    int64_t k[2], d[2] = {1, 1};
    if (ob_attr_ints(n, "kernel_shape", k, 2) != 2)
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "kernel_shape must give a 2-D window");
    if (ob_attr_ints(n, "dilations", d, 2) && (d[0] != 1 || d[1] != 1))
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "dilated pooling is not supported");
    if (bad_window_value(k[0], 1) || bad_window_value(k[1], 1))
        return ob_fail(b, n, FV_ERR_FORMAT, "kernel_shape out of range 1..%d", FV_MF_MAX_WINDOW);
    nd.count_pad = avg && ob_attr_i(n, "count_include_pad", 0) != 0;
    int oh, ow;
    FV_TRY(window(b, n, x, (int)k[0], (int)k[1], ob_attr_i(n, "ceil_mode", 0) != 0, &nd, &oh, &ow));
    nd.dil_h = nd.dil_w = 0;
    FV_TRY(ob_out(b, n, NULL, x->c, oh, ow, 0, &y));
    nd.out = y->t;
    return ob_node(b, n, &nd);
}

/* Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish. */
static fv_status op_act(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x, *y;
    FV_TRY(ob_in(b, n, 0, &x));
    fv_net_node nd = {.kind = FV_NODE_ACT, .in = x->t};
    const char *t = n->op_type;
    if (!strcmp(t, "Relu")) {
        nd.kind = FV_NODE_RELU;
    } else if (!strcmp(t, "LeakyRelu")) {
        nd.act = (fv_act_desc){FV_ACT_LEAKY, ob_attr_f(n, "alpha", 0.01f), 0};
    } else if (!strcmp(t, "Clip")) {
        const fv_onnx_value *lo, *hi;
        FV_TRY(ob_const(b, n, 1, &lo));
        FV_TRY(ob_const(b, n, 2, &hi));
        if ((lo && lo->count != 1) || (hi && hi->count != 1))
            return ob_fail(b, n, FV_ERR_SHAPE, "min and max must be single values");
        nd.act = (fv_act_desc){FV_ACT_CLIP, lo ? lo->data[0] : -FLT_MAX, hi ? hi->data[0] : FLT_MAX};
    } else if (!strcmp(t, "Sigmoid")) {
        nd.act = (fv_act_desc){FV_ACT_SIGMOID, 0, 0};
    } else if (!strcmp(t, "HardSigmoid")) {
        nd.act = (fv_act_desc){FV_ACT_HARDSIGMOID, ob_attr_f(n, "alpha", 0.2f), ob_attr_f(n, "beta", 0.5f)};
    } else {
        nd.act = (fv_act_desc){FV_ACT_HARDSWISH, 0, 0};
    }
    FV_TRY(ob_out_like(b, n, x, &y));
    nd.out = y->t;
    return ob_node(b, n, &nd);
}

/* ONNX LRN divides alpha by size as Caffe does: y = x / (bias + alpha/size * sum x^2)^beta. */
static fv_status op_lrn(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x, *y;
    FV_TRY(ob_in(b, n, 0, &x));
    const int64_t size = ob_attr_i(n, "size", 0);
    if (size < 1 || size % 2 == 0 || size > FV_MF_MAX_WINDOW)
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "size %lld: only odd windows are supported", (long long)size);
    FV_TRY(ob_out_like(b, n, x, &y));
    fv_net_node nd = {.kind = FV_NODE_LRN, .in = x->t, .out = y->t};
    nd.lrn = (fv_lrn_desc){(int)size, ob_attr_f(n, "alpha", 1e-4f) / (float)size, ob_attr_f(n, "beta", 0.75f),
                           ob_attr_f(n, "bias", 1.0f)};
    return ob_node(b, n, &nd);
}

/* Pad (opset 11+: pads and constant_value as inputs), mode constant, height and width only. */
static fv_status op_pad(ob *b, const Onnx__NodeProto *n)
{
    ob_val *x, *y;
    const fv_onnx_value *pads, *val, *axes;
    char mode[32];
    FV_TRY(ob_in(b, n, 0, &x));
    FV_TRY(ob_const(b, n, 1, &pads));
    FV_TRY(ob_const(b, n, 2, &val));
    FV_TRY(ob_const(b, n, 3, &axes));
    ob_attr_s(n, "mode", mode, sizeof mode);
    if (mode[0] && strcmp(mode, "constant"))
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "mode '%s': only constant padding is supported", mode);
    if (axes || !pads || !pads->ints || pads->count != 8 || x->flat)
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "pads must be a constant of 8 integers for a 4-D input (no axes)");
    const int64_t *p = pads->ints;
    if (p[0] || p[1] || p[4] || p[5])
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "only height and width may be padded");
    for (int i = 0; i < 8; i++)
        if (bad_window_value(p[i], 0))
            return ob_fail(b, n, FV_ERR_UNSUPPORTED, "pads must lie in 0..%d", FV_MF_MAX_WINDOW);
    if (val && val->count != 1) return ob_fail(b, n, FV_ERR_SHAPE, "constant_value must be one value");
    FV_TRY(ob_out(b, n, NULL, x->c, x->h + (int)(p[2] + p[6]), x->w + (int)(p[3] + p[7]), 0, &y));
    fv_net_node nd = {.kind = FV_NODE_PAD, .in = x->t, .out = y->t, .pad_value = val ? val->data[0] : 0.0f};
    nd.pad_h = (int)p[2], nd.pad_w = (int)p[3], nd.pad_b = (int)p[6], nd.pad_r = (int)p[7];
    return ob_node(b, n, &nd);
}

/* Every operator featvis-cuda builds, in the order the error message lists them (Constant: read by the loader). */
const ob_op fv_onnx_ops[] = {
    {"Conv", op_conv},
    {"Relu", op_act},
    {"LeakyRelu", op_act},
    {"Clip", op_act},
    {"Sigmoid", op_act},
    {"HardSigmoid", op_act},
    {"HardSwish", op_act},
    {"Add", fv_onnx_op_binary},
    {"Mul", fv_onnx_op_binary},
    {"Sub", fv_onnx_op_binary},
    {"Div", fv_onnx_op_binary},
    {"MaxPool", op_pool},
    {"AveragePool", op_pool},
    {"GlobalAveragePool", op_pool},
    {"GlobalMaxPool", op_pool},
    {"Concat", fv_onnx_op_concat},
    {"BatchNormalization", op_batchnorm},
    {"Gemm", fv_onnx_op_gemm},
    {"MatMul", fv_onnx_op_gemm},
    {"Flatten", fv_onnx_op_flatten},
    {"Reshape", fv_onnx_op_flatten},
    {"LRN", op_lrn},
    {"Softmax", fv_onnx_op_softmax},
    {"Dropout", fv_onnx_op_identity},
    {"Identity", fv_onnx_op_identity},
    {"Pad", op_pad},
    {"Constant", NULL},
};
const int fv_onnx_nops = (int)(sizeof fv_onnx_ops / sizeof fv_onnx_ops[0]);
