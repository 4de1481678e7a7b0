/* Criterion tests of ONNX files using issue 13's operators (models/onnx_ops*.c over host/cpu's act, binary,
 * affine, pad and copy, grouped and dilated convolution, ceil-mode and count_include_pad pooling): small
 * files written here (onnx_writer.c), each layer's forward pass against values computed here by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/jobs.h"
#include "models/model.h"
#include "render/objective.h"
#include "onnx_ref.h"
#include "onnx_writer.h"
#include "testutil.h"

static const int64_t ONE[1] = {1};

static fv_model *write_load(const ow_model *om, const char *name)
{
    const char *path = fv_test_tmp(name);
    ow_write(om, path);
    fv_model *m = load_none(path);
    unlink(path);
    return m;
}

static int count_kind(const fv_model *m, fv_node_kind k)
{
    int n = 0;
    for (int i = 0; i < m->net.nnodes; i++) n += m->net.nodes[i].kind == k;
    return n;
}

Test(onnx_nets, pointwise_activations)
{
    ow_model *om = ow_new(17, "x", 3, 4, 4);
    const float half = 0.5f, eight = 8.0f, lo = -1.0f, hi = 2.0f;
    ow_init(om, "half", 1, ONE, &half, OW_RAW), ow_init(om, "eight", 0, ONE, &eight, OW_RAW);
    ow_init(om, "lo", 0, ONE, &lo, OW_RAW), ow_init(om, "hi", 0, ONE, &hi, OW_RAW);
    ow_node(om, "Sub", "/sub/Sub", "x,half", "s0");
    ow_node(om, "Mul", "/mul/Mul", "s0,eight", "s"); /* (x - 0.5) * 8: values in [-4, 4) */
    ow_attr_f(ow_node(om, "LeakyRelu", "/lk/LeakyRelu", "s", "lk"), "alpha", 0.1f);
    ow_node(om, "Clip", "/clip/Clip", "s,lo,hi", "cl");
    ow_node(om, "Clip", "/relu6/Clip", "s,,hi", "c6"); /* no min */
    ow_node(om, "Sigmoid", "/sg/Sigmoid", "s", "sg");
    ow_node(om, "HardSigmoid", "/hs/HardSigmoid", "s", "hs");
    ow_node(om, "HardSwish", "/hw/HardSwish", "s", "hw");
    fv_model *m = write_load(om, "act.onnx");
    cr_assert_eq(count_kind(m, FV_NODE_ACT), 6);
    cr_assert_eq(count_kind(m, FV_NODE_AFFINE), 2);
    fv_image img = test_image(4, 4, 21);
    const int n = 48;
    float s[48], r[6][48];
    for (int i = 0; i < n; i++) {
        float v = s[i] = (img.rgb[i] - 0.5f) * 8.0f;
        r[0][i] = v >= 0 ? v : 0.1f * v;
        r[1][i] = v < -1 ? -1 : v > 2 ? 2 : v;
        r[2][i] = v > 2 ? 2 : v;
        r[3][i] = 1.0f / (1.0f + expf(-v));
        r[4][i] = fmaxf(0.0f, fminf(1.0f, 0.2f * v + 0.5f));
        r[5][i] = v * fmaxf(0.0f, fminf(1.0f, v / 6.0f + 0.5f));
    }
    const char *names[6] = {"lk", "cl", "c6", "sg", "hs", "hw"};
    check_layer(m, &img, "s", s, 3, 4, 4, 1e-6f);
    for (int k = 0; k < 6; k++) check_layer(m, &img, names[k], r[k], 3, 4, 4, 1e-6f);
    fv_image_free(&img);
    fv_model_free(m);
}

/* conv 3x3 -> relu (r) -> conv 1x1 (b) -> b + r; and a squeeze-excitation r * sigmoid(conv(gap(r))). */
Test(onnx_nets, residual_add_and_squeeze_excitation_mul)
{
    ow_model *om = ow_new(13, "x", 3, 5, 5);
    float wa[81], wb[9], ws[9];
    for (int i = 0; i < 81; i++) wa[i] = (float)((i * 5) % 9 - 4) / 8.0f;
    for (int i = 0; i < 9; i++) wb[i] = (float)(i % 4 - 1) / 2.0f, ws[i] = (float)(i % 3 - 1);
    ow_init(om, "wa", 4, (const int64_t[]){3, 3, 3, 3}, wa, OW_RAW);
    ow_init(om, "wb", 4, (const int64_t[]){3, 3, 1, 1}, wb, OW_RAW);
    ow_init(om, "ws", 4, (const int64_t[]){3, 3, 1, 1}, ws, OW_RAW);
    ow_attr_ints(ow_node(om, "Conv", "/a/Conv", "x,wa", "a"), "pads", 4, (const int64_t[]){1, 1, 1, 1});
    ow_node(om, "Relu", "/r/Relu", "a", "r");
    ow_node(om, "Conv", "/b/Conv", "r,wb", "b");
    ow_node(om, "Add", "/block/Add", "b,r", "sum");
    ow_node(om, "GlobalAveragePool", "/se/pool/GlobalAveragePool", "r", "g");
    ow_node(om, "Conv", "/se/fc/Conv", "g,ws", "gs");
    ow_node(om, "Sigmoid", "/se/act/Sigmoid", "gs", "sig");
    ow_node(om, "Mul", "/se/Mul", "r,sig", "se");
    ow_node(om, "Mul", "/se2/Mul", "sig,r", "se2"); /* broadcast operand first */
    fv_model *m = write_load(om, "res.onnx");
    cr_assert_eq(count_kind(m, FV_NODE_BINARY), 3);
    fv_image img = test_image(5, 5, 22);
    int oh, ow;
    ref_window w3 = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, w1 = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    float *r = ref_conv(img.rgb, 3, 5, 5, wa, NULL, 3, 1, &w3, &oh, &ow);
    for (int i = 0; i < 75; i++) r[i] = r[i] > 0 ? r[i] : 0;
    float *b = ref_conv(r, 3, 5, 5, wb, NULL, 3, 1, &w1, &oh, &ow), g[3] = {0}, sig[3], sum[75], se[75];
    for (int i = 0; i < 75; i++) sum[i] = b[i] + r[i], g[i / 25] += r[i] / 25.0f;
    for (int o = 0; o < 3; o++) {
        float v = 0;
        for (int c = 0; c < 3; c++) v += ws[o * 3 + c] * g[c];
        sig[o] = 1.0f / (1.0f + expf(-v));
    }
    for (int i = 0; i < 75; i++) se[i] = r[i] * sig[i / 25];
    check_layer(m, &img, "sum", sum, 3, 5, 5, 1e-5f);
    check_layer(m, &img, "se", se, 3, 5, 5, 1e-5f);
    check_layer(m, &img, "se2", se, 3, 5, 5, 1e-5f);
    free(r), free(b);
    fv_image_free(&img);
    fv_model_free(m);
}

Test(onnx_nets, batchnorm_not_after_a_conv_is_an_affine_node)
{
    ow_model *om = ow_new(15, "x", 3, 3, 3);
    const float sc[3] = {2, -1, 0.5f}, bb[3] = {0.1f, 0.2f, 0.3f}, mu[3] = {0.5f, 0.25f, 0}, var[3] = {1, 4, 0.25f};
    const int64_t d3[1] = {3};
    ow_init(om, "s", 1, d3, sc, OW_RAW), ow_init(om, "bb", 1, d3, bb, OW_RAW);
    ow_init(om, "mu", 1, d3, mu, OW_RAW), ow_init(om, "var", 1, d3, var, OW_RAW);
    ow_node(om, "Relu", "/r/Relu", "x", "r");
    ow_attr_f(ow_node(om, "BatchNormalization", "/bn/BatchNormalization", "r,s,bb,mu,var", "bn"), "epsilon", 0);
    fv_model *m = write_load(om, "bnaff.onnx");
    cr_assert_eq(count_kind(m, FV_NODE_AFFINE), 1);
    fv_image img = test_image(3, 3, 23);
    float ref[27];
    for (int i = 0; i < 27; i++) ref[i] = (img.rgb[i] - mu[i / 9]) / sqrtf(var[i / 9]) * sc[i / 9] + bb[i / 9];
    check_layer(m, &img, "bn", ref, 3, 3, 3, 1e-5f);
    fv_image_free(&img);
    fv_model_free(m);
}

Test(onnx_nets, constant_pad)
{
    ow_model *om = ow_new(13, "x", 3, 4, 5);
    const float v = 0.25f;
    ow_init_i64(om, "pads", 8, (const int64_t[]){0, 0, 1, 2, 0, 0, 2, 1});
    ow_init(om, "v", 0, ONE, &v, OW_RAW);
    ow_node(om, "Pad", "/pad/Pad", "x,pads,v", "p");
    fv_model *m = write_load(om, "pad.onnx");
    fv_image img = test_image(4, 5, 24);
    float ref[3 * 7 * 8];
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 8; x++) {
                int iy = y - 1, ix = x - 2;
                ref[(c * 7 + y) * 8 + x] = iy >= 0 && iy < 4 && ix >= 0 && ix < 5 ? img.rgb[(c * 4 + iy) * 5 + ix] : v;
            }
    check_layer(m, &img, "p", ref, 3, 7, 8, 0);
    fv_image_free(&img);
    fv_model_free(m);
}

/* Concat of the network input and one tensor twice: copies into the slices. */
Test(onnx_nets, concat_copies_what_cannot_be_a_slice)
{
    ow_model *om = ow_new(13, "x", 3, 4, 4);
    ow_node(om, "Relu", "/r/Relu", "x", "r");
    ow_attr_i(ow_node(om, "Concat", "/cat/Concat", "x,r,r", "cat"), "axis", -3);
    fv_model *m = write_load(om, "catcopy.onnx");
    cr_assert_eq(count_kind(m, FV_NODE_COPY), 2, "x and the second r are copied");
    fv_image img = test_image(4, 4, 25);
    float ref[9 * 16];
    for (int k = 0; k < 3; k++) memcpy(ref + k * 48, img.rgb, sizeof(float) * 48); /* relu of [0,1) is itself */
    check_layer(m, &img, "cat", ref, 9, 4, 4, 0);
    fv_image_free(&img);
    fv_model_free(m);
}

/* conv (2, 3x3) -> Flatten (a copy: 2x3x3 = 18 features) -> Gemm 4x18; and MatMul 18x4 + Add bias. */
Test(onnx_nets, flatten_copy_gemm_and_matmul_add)
{
    ow_model *om = ow_new(13, "x", 3, 5, 5);
    float wc[54], fc[72], bias[4] = {1, -1, 0.5f, 0};
    for (int i = 0; i < 54; i++) wc[i] = (float)((i * 7) % 13 - 6) / 8.0f;
    for (int i = 0; i < 72; i++) fc[i] = (float)((i * 5) % 11 - 5) / 16.0f;
    ow_init(om, "wc", 4, (const int64_t[]){2, 3, 3, 3}, wc, OW_RAW);
    ow_init(om, "fc", 2, (const int64_t[]){4, 18}, fc, OW_RAW);
    ow_init(om, "mm", 2, (const int64_t[]){18, 4}, fc, OW_RAW);
    ow_init(om, "bias", 1, (const int64_t[]){4}, bias, OW_RAW);
    ow_init_i64(om, "shape", 2, (const int64_t[]){1, -1});
    ow_node(om, "Conv", "/c/Conv", "x,wc", "c");
    ow_node(om, "Flatten", "/Flatten", "c", "f");
    ow_attr_i(ow_node(om, "Gemm", "/fc/Gemm", "f,fc", "g"), "transB", 1);
    ow_node(om, "Reshape", "/Reshape", "c,shape", "rs");
    ow_node(om, "MatMul", "/head/MatMul", "rs,mm", "mmo");
    ow_node(om, "Add", "/head/Add", "mmo,bias", "logit2");
    fv_model *m = write_load(om, "flat.onnx");
    cr_assert_eq(count_kind(m, FV_NODE_COPY), 2);
    cr_assert_eq(fv_net_find(&m->net, "logits"), fv_net_find(&m->net, "logit2"), "the last head's output, its bias added");
    fv_image img = test_image(5, 5, 26);
    int oh, ow;
    ref_window w3 = {3, 3, 1, 1, 1, 1, 0, 0, 0, 0};
    float *c = ref_conv(img.rgb, 3, 5, 5, wc, NULL, 2, 1, &w3, &oh, &ow), g[4], g2[4];
    for (int o = 0; o < 4; o++) {
        g[o] = 0, g2[o] = bias[o];
        for (int i = 0; i < 18; i++) g[o] += fc[o * 18 + i] * c[i], g2[o] += fc[i * 4 + o] * c[i];
    }
    check_layer(m, &img, "f", c, 18, 1, 1, 1e-5f);
    check_layer(m, &img, "g", g, 4, 1, 1, 1e-5f);
    check_layer(m, &img, "logit2", g2, 4, 1, 1, 1e-5f);
    free(c);
    fv_image_free(&img);
    fv_model_free(m);
}

/* A classifier fixed to the file's input size (Flatten into Gemm, as VGG's) binds only what is computed from it:
 * the convolution before it is a target at any size, in shapes, objectives and a forward pass; the head is not. */
Test(onnx_nets, a_layer_before_a_fixed_flatten_is_a_target_at_any_size)
{
    ow_model *om = ow_new(13, "x", 3, 5, 5);
    float wc[54], fc[72];
    for (int i = 0; i < 54; i++) wc[i] = (float)((i * 7) % 13 - 6) / 8.0f;
    for (int i = 0; i < 72; i++) fc[i] = (float)((i * 5) % 11 - 5) / 16.0f;
    ow_init(om, "wc", 4, (const int64_t[]){2, 3, 3, 3}, wc, OW_RAW);
    ow_init(om, "fc", 2, (const int64_t[]){4, 18}, fc, OW_RAW);
    ow_node(om, "Conv", "/c/Conv", "x,wc", "c");
    ow_node(om, "Flatten", "/Flatten", "c", "f");
    ow_attr_i(ow_node(om, "Gemm", "/fc/Gemm", "f,fc", "g"), "transB", 1);
    fv_model *m = write_load(om, "fixed_head.onnx");
    int c, h, w;
    cr_assert_eq(fv_model_layer_shape(m, "c", 9, &c, &h, &w), FV_OK, "%s", fv_last_error());
    cr_assert(c == 2 && h == 7 && w == 7, "%dx%dx%d", c, h, w);
    cr_assert_eq(fv_model_layer_shape(m, "g", 9, &c, &h, &w), FV_ERR_ARG);
    cr_assert_not_null(strstr(fv_last_error(), "flattening 7x7 gives 98 features, not the 18"), "%s", fv_last_error());
    fv_objective o;
    cr_assert_eq(fv_objective_parse(&m->net, "neuron:c:1", 9, 9, &o), FV_OK, "%s", fv_last_error());
    cr_assert(o.nterms == 1 && o.terms[0].x == 3 && o.terms[0].y == 3, "the centre of a 7x7 layer");
    fv_objective_free(&o);
    cr_assert_eq(fv_objective_parse(&m->net, "g:1", 9, 9, &o), FV_ERR_ARG);
    fv_image img = test_image(9, 9, 27);
    int oh, ow;
    ref_window w3 = {3, 3, 1, 1, 1, 1, 0, 0, 0, 0};
    float *ref = ref_conv(img.rgb, 3, 9, 9, wc, NULL, 2, 1, &w3, &oh, &ow);
    cr_assert(oh == 7 && ow == 7);
    check_layer(m, &img, "c", ref, 2, 7, 7, 1e-5f);
    free(ref);
    fv_image_free(&img);
    /* The appendix of this network: its layers by name (the article's default layers are InceptionV1's). */
    const fv_job_defaults defs = {32, 8, 1, 5, FV_PRESET_ARTICLE};
    fv_joblist jl;
    cr_assert_eq(fv_jobs_appendix(m, NULL, 0, 0, &defs, &jl), FV_ERR_ARG);
    cr_assert_not_null(strstr(fv_last_error(), "has no default layers"), "%s", fv_last_error());
    const char *const layers[] = {"c"};
    cr_assert_eq(fv_jobs_appendix(m, layers, 1, 0, &defs, &jl), FV_OK, "%s", fv_last_error());
    cr_assert_eq(jl.n, 8, "2 channels x (neuron, channel, negative, diversity group)");
    fv_jobs_free(&jl);
    fv_model_free(m);
}

/* Depthwise dilated conv, a grouped conv with two outputs per group, auto_pad SAME_UPPER / SAME_LOWER. */
Test(onnx_nets, grouped_dilated_and_same_padded_convolutions)
{
    ow_model *om = ow_new(13, "x", 3, 6, 6);
    float wd[27], wg[54];
    for (int i = 0; i < 27; i++) wd[i] = (float)((i * 5) % 7 - 3) / 4.0f;
    for (int i = 0; i < 54; i++) wg[i] = (float)((i * 3) % 8 - 4) / 4.0f;
    ow_init(om, "wd", 4, (const int64_t[]){3, 1, 3, 3}, wd, OW_RAW);
    ow_init(om, "wg", 4, (const int64_t[]){6, 1, 3, 3}, wg, OW_RAW);
    Onnx__NodeProto *n = ow_node(om, "Conv", "/dw/Conv", "x,wd", "dw");
    ow_attr_i(n, "group", 3);
    ow_attr_ints(n, "dilations", 2, (const int64_t[]){2, 2});
    ow_attr_ints(n, "pads", 4, (const int64_t[]){2, 1, 2, 3});
    n = ow_node(om, "Conv", "/g/Conv", "x,wg", "gc");
    ow_attr_i(n, "group", 3);
    ow_attr_s(n, "auto_pad", "SAME_UPPER");
    ow_attr_ints(n, "strides", 2, (const int64_t[]){2, 2});
    n = ow_node(om, "Conv", "/gl/Conv", "x,wg", "gl");
    ow_attr_i(n, "group", 3);
    ow_attr_s(n, "auto_pad", "SAME_LOWER");
    ow_attr_ints(n, "strides", 2, (const int64_t[]){2, 2});
    fv_model *m = write_load(om, "group.onnx");
    fv_image img = test_image(6, 6, 27);
    int oh, ow;
    ref_window kd = {3, 3, 1, 1, 2, 2, 2, 1, 2, 3}, ku = {3, 3, 2, 2, 1, 1, 0, 0, 1, 1}, kl = {3, 3, 2, 2, 1, 1, 1, 1, 0, 0};
    float *d = ref_conv(img.rgb, 3, 6, 6, wd, NULL, 3, 3, &kd, &oh, &ow);
    check_layer(m, &img, "dw", d, 3, oh, ow, 1e-5f);
    float *u = ref_conv(img.rgb, 3, 6, 6, wg, NULL, 6, 3, &ku, &oh, &ow);
    check_layer(m, &img, "gc", u, 6, 3, 3, 1e-5f);
    float *l = ref_conv(img.rgb, 3, 6, 6, wg, NULL, 6, 3, &kl, &oh, &ow);
    check_layer(m, &img, "gl", l, 6, 3, 3, 1e-5f);
    free(d), free(u), free(l);
    fv_image_free(&img);
    fv_model_free(m);
}

/* MaxPool 2/2 with ceil_mode on 5x5 (3x3 out); AveragePool 3/2 pads 1 with and without count_include_pad. */
Test(onnx_nets, ceil_mode_and_count_include_pad_pooling)
{
    ow_model *om = ow_new(13, "x", 3, 5, 5);
    Onnx__NodeProto *n = ow_node(om, "MaxPool", "/mp/MaxPool", "x", "mp");
    ow_attr_ints(n, "kernel_shape", 2, (const int64_t[]){2, 2});
    ow_attr_ints(n, "strides", 2, (const int64_t[]){2, 2});
    ow_attr_i(n, "ceil_mode", 1);
    for (int cp = 0; cp < 2; cp++) {
        n = ow_node(om, "AveragePool", cp ? "/ap1/AveragePool" : "/ap0/AveragePool", "x", cp ? "ap1" : "ap0");
        ow_attr_ints(n, "kernel_shape", 2, (const int64_t[]){3, 3});
        ow_attr_ints(n, "strides", 2, (const int64_t[]){2, 2});
        ow_attr_ints(n, "pads", 4, (const int64_t[]){1, 1, 1, 1});
        ow_attr_i(n, "count_include_pad", cp);
    }
    fv_model *m = write_load(om, "pools.onnx");
    fv_image img = test_image(5, 5, 28);
    int oh = 3, ow = 3;
    ref_window k2 = {2, 2, 2, 2, 1, 1, 0, 0, 0, 0}, k3 = {3, 3, 2, 2, 1, 1, 1, 1, 1, 1};
    float *mp = ref_pool(img.rgb, 3, 5, 5, 1, 0, &k2, &oh, &ow);
    check_layer(m, &img, "mp", mp, 3, 3, 3, 0);
    for (int cp = 0; cp < 2; cp++) {
        oh = ow = 0;
        float *ap = ref_pool(img.rgb, 3, 5, 5, 0, cp, &k3, &oh, &ow);
        check_layer(m, &img, cp ? "ap1" : "ap0", ap, 3, oh, ow, 1e-6f);
        free(ap);
    }
    free(mp);
    fv_image_free(&img);
    fv_model_free(m);
}

/* Constant nodes (a tensor value and value_ints) feeding Clip and Reshape; Identity and Dropout as aliases. */
Test(onnx_nets, constant_nodes_identity_and_dropout)
{
    ow_model *om = ow_new(13, "x", 3, 2, 2);
    Onnx__NodeProto *k = ow_node(om, "Constant", "/k/Constant", "", "kmax");
    Onnx__AttributeProto *a = calloc(1, sizeof *a);
    onnx__attribute_proto__init(a);
    const float half = 0.5f;
    a->name = "value", a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    a->t = ow_init(NULL, "kmax", 0, ONE, &half, OW_RAW);
    k->attribute = calloc(1, sizeof *k->attribute), k->attribute[0] = a, k->n_attribute = 1;
    ow_attr_ints(ow_node(om, "Constant", "/s/Constant", "", "shape"), "value_ints", 2, (const int64_t[]){1, 12});
    ow_node(om, "Clip", "/clip/Clip", "x,,kmax", "c");
    ow_node(om, "Identity", "/id/Identity", "c", "ci");
    ow_node(om, "Dropout", "/drop/Dropout", "ci", "cd");
    ow_node(om, "Reshape", "/flat/Reshape", "cd,shape", "flat");
    fv_model *m = write_load(om, "const.onnx");
    cr_assert_eq(fv_net_find(&m->net, "ci"), fv_net_find(&m->net, "c"), "Identity: another name of its input");
    cr_assert_geq(fv_net_find(&m->net, "cd"), 0, "a second one is a copy, its name still a target");
    cr_assert_eq(count_kind(m, FV_NODE_COPY), 2, "the Dropout and the Reshape of a 2x2 map");
    fv_image img = test_image(2, 2, 29);
    float ref[12];
    for (int i = 0; i < 12; i++) ref[i] = img.rgb[i] < 0.5f ? img.rgb[i] : 0.5f;
    check_layer(m, &img, "cd", ref, 3, 2, 2, 0);
    check_layer(m, &img, "flat", ref, 12, 1, 1, 0);
    fv_image_free(&img);
    fv_model_free(m);
    /* a Dropout whose mask is read is refused */
    ow_node(om, "Relu", "/r/Relu", "mask", "rm");
    om->g.node[4]->n_output = 2;
    om->g.node[4]->output = realloc(om->g.node[4]->output, 2 * sizeof(char *));
    om->g.node[4]->output[1] = "mask";
    const char *path = fv_test_tmp("mask.onnx");
    ow_write(om, path);
    cr_assert_eq(fv_model_load(path, FV_MODEL_AUTO, &m), FV_ERR_UNSUPPORTED);
    cr_assert(strstr(fv_last_error(), "'/drop/Dropout'") && strstr(fv_last_error(), "'mask'"), "%s", fv_last_error());
    unlink(path);
}
