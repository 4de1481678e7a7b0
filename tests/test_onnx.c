/* Criterion tests of the ONNX loader and graph builder (models/onnx*.c) on small ONNX files written here
 * (onnx_writer.c): what loads (layers, aliases, shapes, initializer encodings, BatchNormalization folding,
 * concatenation as channel slices, a Gemm head), forward passes against convolutions, pools and the rest
 * computed here by hand, and the errors (unsupported op, external data, truncated file, wrong input). The
 * operators of issue 13 (act, binary, affine, pad, copy, grouped and dilated conv) are in test_onnx_nets.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "onnx_ref.h"
#include "onnx_writer.h"
#include "testutil.h"

/* ---------- a conv + relu + pool net ---------- */

static float W1[4 * 3 * 3 * 3], B1[4];

/* x (1,3,8,8) -> Conv 4x3x3x3 pad 1 -> Relu -> MaxPool 2/2, with PyTorch-style node names. */
static ow_model *conv_relu_pool(ow_enc enc)
{
    for (int i = 0; i < 108; i++) W1[i] = (float)((i * 37) % 65 - 32) / 64.0f; /* exact in float16 and bfloat16 */
    for (int i = 0; i < 4; i++) B1[i] = (float)(i - 2) / 8.0f;
    ow_model *m = ow_new(17, "x", 3, 8, 8);
    const int64_t wd[4] = {4, 3, 3, 3}, bd[1] = {4}, pads[4] = {1, 1, 1, 1}, k[2] = {2, 2};
    ow_init(m, "w1", 4, wd, W1, enc);
    ow_init(m, "b1", 1, bd, B1, enc);
    Onnx__NodeProto *c = ow_node(m, "Conv", "/features/features.0/Conv", "x,w1,b1", "conv_out");
    ow_attr_ints(c, "pads", 4, pads);
    ow_attr_ints(c, "kernel_shape", 2, (const int64_t[]){3, 3});
    ow_node(m, "Relu", "/features/features.1/Relu", "conv_out", "relu_out");
    Onnx__NodeProto *p = ow_node(m, "MaxPool", "/features/features.2/MaxPool", "relu_out", "pool_out");
    ow_attr_ints(p, "kernel_shape", 2, k);
    ow_attr_ints(p, "strides", 2, k);
    ow_output(m, "pool_out");
    return m;
}

/* The same computed here: conv -> relu -> 2x2 max pool of img (8x8). */
static float *conv_relu_pool_ref(const float *x)
{
    int oh, ow;
    ref_window win = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    float *y = ref_conv(x, 3, 8, 8, W1, B1, 4, 1, &win, &oh, &ow);
    for (int i = 0; i < 4 * 64; i++) y[i] = y[i] > 0 ? y[i] : 0;
    ref_window pw = {2, 2, 2, 2, 1, 1, 0, 0, 0, 0};
    oh = ow = 0;
    float *p = ref_pool(y, 4, 8, 8, 1, 0, &pw, &oh, &ow);
    free(y);
    return p;
}

Test(onnx, conv_relu_pool_loads_with_names_aliases_and_shapes)
{
    const char *path = fv_test_tmp("crp.onnx");
    ow_write(conv_relu_pool(OW_RAW), path);
    fv_model *m = load_none(path);
    cr_assert_eq(fv_model_num_layers(m), 4, "input + 3 node outputs");
    cr_assert(!strncmp(fv_model_name(m), "onnx:", 5), "%s", fv_model_name(m));
    const char *names[] = {"conv_out", "features.0", "relu_out", "features.1", "pool_out", "features.2"};
    const int want[6][3] = {{4, 8, 8}, {4, 8, 8}, {4, 8, 8}, {4, 8, 8}, {4, 4, 4}, {4, 4, 4}};
    for (int i = 0; i < 6; i++) {
        int c, h, w;
        cr_assert_eq(fv_model_layer_shape(m, names[i], 8, &c, &h, &w), FV_OK, "%s: %s", names[i], fv_last_error());
        cr_assert(c == want[i][0] && h == want[i][1] && w == want[i][2], "%s: %dx%dx%d", names[i], c, h, w);
    }
    const int pool = fv_net_find(&m->net, "pool_out");
    cr_assert_eq(fv_net_find(&m->net, "features.2"), pool);
    cr_assert_str_eq(fv_model_layer_alias(m, pool, 0), "features.2");
    cr_assert_str_eq(fv_model_layer_alias(m, pool, 1), "");
    cr_assert_eq(fv_model_num_classes(m), 0);
    fv_model_free(m);
    unlink(path);
}

Test(onnx, conv_relu_pool_forward_matches_hand_computation)
{
    const char *path = fv_test_tmp("crp_fwd.onnx");
    ow_write(conv_relu_pool(OW_FLOAT_DATA), path);
    fv_model *m = load_none(path);
    fv_image img = test_image(8, 8, 11);
    float *ref = conv_relu_pool_ref(img.rgb);
    int oh, ow;
    ref_window win = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    float *conv = ref_conv(img.rgb, 3, 8, 8, W1, B1, 4, 1, &win, &oh, &ow);
    check_layer(m, &img, "features.0", conv, 4, 8, 8, 1e-5f);
    check_layer(m, &img, "features.2", ref, 4, 4, 4, 1e-5f);
    free(ref), free(conv);
    fv_image_free(&img);
    fv_model_free(m);
    unlink(path);
}

Test(onnx, format_is_told_by_content_not_extension)
{
    const char *path = fv_test_tmp("model.bin");
    ow_write(conv_relu_pool(OW_RAW), path);
    fv_model *m = NULL;
    cr_assert_eq(fv_model_load(path, FV_MODEL_ONNX, &m), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_model_num_layers(m), 4);
    fv_model_free(m);
    unlink(path);
}

Test(onnx, initializer_encodings_give_the_same_weights)
{
    const ow_enc encs[] = {OW_FLOAT_DATA, OW_RAW, OW_FLOAT16, OW_BFLOAT16, OW_FLOAT16_INT32};
    fv_image img = test_image(8, 8, 12);
    for (int e = 0; e < 5; e++) {
        const char *path = fv_test_tmp("enc.onnx");
        ow_write(conv_relu_pool(encs[e]), path);
        fv_model *m = load_none(path);
        float *ref = conv_relu_pool_ref(img.rgb);
        check_layer(m, &img, "pool_out", ref, 4, 4, 4, 1e-5f);
        free(ref);
        fv_model_free(m);
        unlink(path);
    }
    fv_image_free(&img);
}

/* ---------- concatenation as channel slices ---------- */

Test(onnx, concat_of_two_branches_is_one_tensor_without_copies)
{
    ow_model *om = ow_new(13, "x", 3, 6, 6);
    float wa[2 * 3], wb[3 * 3 * 9];
    for (int i = 0; i < 6; i++) wa[i] = (float)(i - 3) / 4.0f;
    for (int i = 0; i < 81; i++) wb[i] = (float)((i * 7) % 11 - 5) / 8.0f;
    ow_init(om, "wa", 4, (const int64_t[]){2, 3, 1, 1}, wa, OW_RAW);
    ow_init(om, "wb", 4, (const int64_t[]){3, 3, 3, 3}, wb, OW_RAW);
    ow_node(om, "Conv", "/a/Conv", "x,wa", "a");
    ow_node(om, "Relu", "/a_relu/Relu", "a", "ar");
    Onnx__NodeProto *cb = ow_node(om, "Conv", "/b/Conv", "x,wb", "b");
    ow_attr_ints(cb, "pads", 4, (const int64_t[]){1, 1, 1, 1});
    ow_attr_i(ow_node(om, "Concat", "/cat/Concat", "ar,b", "cat"), "axis", 1);
    ow_output(om, "cat");
    const char *path = fv_test_tmp("cat.onnx");
    ow_write(om, path);
    fv_model *m = load_none(path);
    int c, h, w;
    cr_assert_eq(fv_model_layer_shape(m, "cat", 6, &c, &h, &w), FV_OK, "%s", fv_last_error());
    cr_assert(c == 5 && h == 6 && w == 6, "%dx%dx%d", c, h, w);
    for (int i = 0; i < m->net.nnodes; i++) cr_assert_neq(m->net.nodes[i].kind, FV_NODE_COPY, "no copies");
    fv_image img = test_image(6, 6, 13);
    int oh, ow;
    ref_window w1 = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, w3 = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    float *ra = ref_conv(img.rgb, 3, 6, 6, wa, NULL, 2, 1, &w1, &oh, &ow);
    float *rb = ref_conv(img.rgb, 3, 6, 6, wb, NULL, 3, 1, &w3, &oh, &ow);
    float ref[5 * 36];
    for (int i = 0; i < 2 * 36; i++) ref[i] = ra[i] > 0 ? ra[i] : 0;
    memcpy(ref + 2 * 36, rb, sizeof(float) * 3 * 36);
    check_layer(m, &img, "cat", ref, 5, 6, 6, 1e-5f);
    check_layer(m, &img, "b", rb, 3, 6, 6, 1e-5f); /* a part alone */
    free(ra), free(rb);
    fv_image_free(&img);
    fv_model_free(m);
    unlink(path);
}

/* ---------- BatchNormalization folded into its Conv ---------- */

Test(onnx, batchnorm_after_conv_is_folded_into_its_weights)
{
    ow_model *om = ow_new(15, "x", 3, 5, 5);
    float wt[4 * 27], sc[4] = {1.5f, -0.5f, 2.0f, 0.25f}, bb[4] = {0.1f, -0.2f, 0.3f, 0.0f};
    float mu[4] = {0.05f, -0.1f, 0.2f, 0.5f}, var[4] = {0.5f, 2.0f, 1.0f, 0.1f};
    for (int i = 0; i < 108; i++) wt[i] = (float)((i * 13) % 17 - 8) / 16.0f;
    const int64_t d4[1] = {4};
    ow_init(om, "w", 4, (const int64_t[]){4, 3, 3, 3}, wt, OW_RAW);
    ow_init(om, "s", 1, d4, sc, OW_RAW), ow_init(om, "bb", 1, d4, bb, OW_RAW);
    ow_init(om, "mu", 1, d4, mu, OW_RAW), ow_init(om, "var", 1, d4, var, OW_RAW);
    ow_node(om, "Conv", "/conv1/Conv", "x,w", "c");
    ow_attr_f(ow_node(om, "BatchNormalization", "/bn1/BatchNormalization", "c,s,bb,mu,var", "bn"), "epsilon", 1e-3f);
    ow_node(om, "Relu", "/relu/Relu", "bn", "r");
    ow_output(om, "r");
    const char *path = fv_test_tmp("bn.onnx");
    ow_write(om, path);
    fv_model *m = load_none(path);
    cr_assert_eq(m->net.nnodes, 2, "conv (BN folded in) and relu, got %d nodes", m->net.nnodes);
    cr_assert_eq(m->net.nodes[0].kind, FV_NODE_CONV);
    cr_assert_lt(fv_net_find(&m->net, "c"), 0, "the unnormalised conv output does not exist");
    cr_assert_geq(fv_net_find(&m->net, "bn1"), 0, "the BN output has the BN module's alias");
    fv_image img = test_image(5, 5, 14);
    int oh, ow;
    ref_window win = {3, 3, 1, 1, 1, 1, 0, 0, 0, 0};
    float *y = ref_conv(img.rgb, 3, 5, 5, wt, NULL, 4, 1, &win, &oh, &ow), r[36];
    for (int o = 0; o < 4; o++)
        for (int i = 0; i < 9; i++) {
            y[o * 9 + i] = (y[o * 9 + i] - mu[o]) / sqrtf(var[o] + 1e-3f) * sc[o] + bb[o];
            r[o * 9 + i] = y[o * 9 + i] > 0 ? y[o * 9 + i] : 0;
        }
    check_layer(m, &img, "bn", y, 4, 3, 3, 1e-5f);
    check_layer(m, &img, "r", r, 4, 3, 3, 1e-5f);
    free(y);
    fv_image_free(&img);
    fv_model_free(m);
    unlink(path);
}

/* ---------- a classifier head: global pool, flatten, Gemm, softmax ---------- */

Test(onnx, gemm_head_gives_logits_and_softmax)
{
    ow_model *om = ow_new(13, "x", 3, 6, 6);
    float wc[4 * 3], fc[5 * 4], fb[5];
    for (int i = 0; i < 12; i++) wc[i] = (float)(i % 5 - 2) / 2.0f;
    for (int i = 0; i < 20; i++) fc[i] = (float)((i * 3) % 7 - 3) / 4.0f;
    for (int i = 0; i < 5; i++) fb[i] = (float)i / 10.0f;
    ow_init(om, "wc", 4, (const int64_t[]){4, 3, 1, 1}, wc, OW_RAW);
    ow_init(om, "fc.weight", 2, (const int64_t[]){5, 4}, fc, OW_RAW);
    ow_init(om, "fc.bias", 1, (const int64_t[]){5}, fb, OW_RAW);
    ow_node(om, "Conv", "/conv/Conv", "x,wc", "c");
    ow_node(om, "Relu", "/relu/Relu", "c", "r");
    ow_node(om, "GlobalAveragePool", "/avgpool/GlobalAveragePool", "r", "gap");
    ow_node(om, "Flatten", "/Flatten", "gap", "flat");
    ow_attr_i(ow_node(om, "Gemm", "/fc/Gemm", "flat,fc.weight,fc.bias", "out"), "transB", 1);
    ow_node(om, "Softmax", "/Softmax", "out", "prob");
    ow_output(om, "prob");
    const char *path = fv_test_tmp("head.onnx");
    ow_write(om, path);
    fv_model *m = load_none(path);
    cr_assert_eq(fv_model_num_classes(m), 5);
    cr_assert_eq(fv_net_find(&m->net, "logits"), fv_net_find(&m->net, "out"));
    cr_assert_eq(fv_net_find(&m->net, "softmax"), fv_net_find(&m->net, "prob"));
    cr_assert_eq(fv_net_find(&m->net, "fc"), fv_net_find(&m->net, "out"), "module alias");
    cr_assert_eq(fv_net_find(&m->net, "flat"), fv_net_find(&m->net, "gap"), "Flatten of a 1x1 map is an alias");
    for (int i = 0; i < m->net.nnodes; i++) cr_assert_neq(m->net.nodes[i].kind, FV_NODE_COPY, "no copies");
    fv_image img = test_image(6, 6, 15);
    float feat[4] = {0}, logits[5], prob[5], sum = 0;
    for (int o = 0; o < 4; o++) {
        for (int p = 0; p < 36; p++) {
            float v = 0;
            for (int ci = 0; ci < 3; ci++) v += wc[o * 3 + ci] * img.rgb[ci * 36 + p];
            feat[o] += (v > 0 ? v : 0) / 36.0f;
        }
    }
    for (int k = 0; k < 5; k++) {
        logits[k] = fb[k];
        for (int i = 0; i < 4; i++) logits[k] += fc[k * 4 + i] * feat[i];
        sum += expf(logits[k]);
    }
    for (int k = 0; k < 5; k++) prob[k] = expf(logits[k]) / sum;
    check_layer(m, &img, "logits", logits, 5, 1, 1, 1e-5f);
    check_layer(m, &img, "softmax", prob, 5, 1, 1, 1e-5f);
    fv_image_free(&img);
    fv_model_free(m);
    unlink(path);
}

/* ---------- LRN: ONNX divides alpha by the window size ---------- */

Test(onnx, lrn_matches_the_onnx_formula)
{
    ow_model *om = ow_new(13, "x", 3, 4, 4);
    float wc[15];
    for (int i = 0; i < 15; i++) wc[i] = (float)(i % 7 - 3) / 2.0f;
    ow_init(om, "wc", 4, (const int64_t[]){5, 3, 1, 1}, wc, OW_RAW);
    ow_node(om, "Conv", "/c/Conv", "x,wc", "c");
    Onnx__NodeProto *n = ow_node(om, "LRN", "/norm/LRN", "c", "n");
    ow_attr_i(n, "size", 3), ow_attr_f(n, "alpha", 0.3f), ow_attr_f(n, "beta", 0.75f), ow_attr_f(n, "bias", 2.0f);
    const char *path = fv_test_tmp("lrn.onnx");
    ow_write(om, path);
    fv_model *m = load_none(path);
    fv_image img = test_image(4, 4, 16);
    int oh, ow;
    ref_window w1 = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    float *c = ref_conv(img.rgb, 3, 4, 4, wc, NULL, 5, 1, &w1, &oh, &ow), ref[80];
    for (int ch = 0; ch < 5; ch++)
        for (int p = 0; p < 16; p++) {
            double sq = 0;
            for (int k = ch - 1; k <= ch + 1; k++)
                if (k >= 0 && k < 5) sq += (double)c[k * 16 + p] * c[k * 16 + p];
            ref[ch * 16 + p] = (float)(c[ch * 16 + p] / pow(2.0 + 0.3 / 3 * sq, 0.75));
        }
    check_layer(m, &img, "norm", ref, 5, 4, 4, 1e-5f);
    free(c);
    fv_image_free(&img);
    fv_model_free(m);
    unlink(path);
}

/* ---------- errors ---------- */

/* Loading fails with `st` and a message holding each of the texts; nothing is returned. */
static void expect_fail(const ow_model *om, const char *name, fv_model_kind kind, fv_status st, const char *const *texts,
                        int ntexts)
{
    const char *path = fv_test_tmp(name);
    ow_write(om, path);
    fv_model *m = (fv_model *)1;
    cr_assert_eq(fv_model_load(path, kind, &m), st, "%s", fv_last_error());
    cr_assert_null(m);
    for (int i = 0; i < ntexts; i++) cr_assert(strstr(fv_last_error(), texts[i]), "'%s' in: %s", texts[i], fv_last_error());
    unlink(path);
}

Test(onnx, unsupported_op_names_node_op_and_supported_list)
{
    ow_model *om = conv_relu_pool(OW_RAW);
    ow_node(om, "Gelu", "/blocks/act/Gelu", "pool_out", "g");
    const char *t[] = {"'/blocks/act/Gelu'", "'Gelu'", "supported: Conv, Relu", "Concat"};
    expect_fail(om, "gelu.onnx", FV_MODEL_AUTO, FV_ERR_UNSUPPORTED, t, 4);
}

Test(onnx, external_data_is_refused_in_one_line)
{
    ow_model *om = conv_relu_pool(OW_RAW);
    Onnx__TensorProto *t = om->g.initializer[0];
    free(t->raw_data.data);
    t->has_raw_data = 0, t->raw_data.data = NULL, t->raw_data.len = 0;
    t->has_data_location = 1, t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    const char *txt[] = {"initializer 'w1'", "external file"};
    expect_fail(om, "ext.onnx", FV_MODEL_AUTO, FV_ERR_UNSUPPORTED, txt, 2);
    cr_assert_null(strchr(fv_last_error(), '\n'));
}

Test(onnx, truncated_file_fails_cleanly)
{
    size_t len;
    uint8_t *buf = ow_pack(conv_relu_pool(OW_RAW), &len);
    const char *path = fv_test_tmp("trunc.onnx");
    for (size_t cut = len / 4; cut < len; cut += len / 4) {
        FILE *f = fopen(path, "wb");
        cr_assert(f && fwrite(buf, 1, cut, f) == cut && !fclose(f));
        fv_model *m = (fv_model *)1;
        cr_assert_eq(fv_model_load(path, FV_MODEL_AUTO, &m), FV_ERR_FORMAT, "cut at %zu of %zu: %s", cut, len,
                     fv_last_error());
        cr_assert_null(m);
        cr_assert(strstr(fv_last_error(), "ONNX"), "%s", fv_last_error());
    }
    free(buf);
    unlink(path);
}

Test(onnx, input_must_be_three_channels_and_opset_known)
{
    ow_model *om = ow_new(13, "x", 1, 8, 8);
    ow_node(om, "Relu", "/r/Relu", "x", "y");
    const char *t1[] = {"input 'x'", "3-channel"};
    expect_fail(om, "gray.onnx", FV_MODEL_AUTO, FV_ERR_UNSUPPORTED, t1, 2);
    ow_model *old = conv_relu_pool(OW_RAW);
    old->m.opset_import[0]->version = 9;
    const char *t2[] = {"opset 9", "11 to 21"};
    expect_fail(old, "opset9.onnx", FV_MODEL_AUTO, FV_ERR_UNSUPPORTED, t2, 2);
    const char *t3[] = {"is an ONNX file", "InceptionV1_caffe"};
    expect_fail(conv_relu_pool(OW_RAW), "kind.onnx", FV_MODEL_INCEPTION_CAFFE, FV_ERR_FORMAT, t3, 2);
}

Test(onnx, model_onnx_refuses_a_caffemodel)
{
    fv_model *m = (fv_model *)1;
    cr_assert_eq(fv_model_load(fv_test_weights(), FV_MODEL_ONNX, &m), FV_ERR_FORMAT);
    cr_assert_null(m);
    cr_assert(strstr(fv_last_error(), "is a Caffe file, but --model asks for onnx"), "%s", fv_last_error());
}

Test(onnx, cli_layers_lists_the_onnx_tensors)
{
    const char *path = fv_test_tmp("cli.onnx");
    ow_write(conv_relu_pool(OW_RAW), path);
    char cmd[1024], out[8192] = "";
    snprintf(cmd, sizeof cmd, "%s layers --weights %s --size 16 2>&1", FV_BINARY, path);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    cr_assert_eq(pclose(p), 0, "%s", out);
    cr_assert(strstr(out, "conv_out\t4\t16\t16") && strstr(out, "pool_out\t4\t8\t8"), "%s", out);
    unlink(path);
}
