/* The ONNX seeds of make_fuzz_seeds (seeds.h): small models written with the tests' ONNX writer
 * (tests/onnx_writer.c) that the graph builder accepts, together using every operator it reads, with weights
 * in each encoding (raw, float_data, float16, bfloat16). */
#include <stdlib.h>

#include "onnx_writer.h"
#include "seeds.h"

static float *ramp(int n, int mod)
{
    float *v = malloc(sizeof(float) * (size_t)n);
    if (!v) abort();
    for (int i = 0; i < n; i++) v[i] = (float)((i * 7) % mod - mod / 2) / (float)mod;
    return v;
}

static void put(const char *dir, const char *name, const ow_model *m)
{
    size_t len;
    uint8_t *buf = ow_pack(m, &len);
    seed_write(dir, name, buf, len);
    free(buf);
}

/* Conv (pads, strides, bias) -> Relu -> MaxPool (ceil) -> Flatten -> Gemm -> Softmax, weights encoded as enc. */
static void classifier(const char *dir, const char *name, ow_enc enc, int opset)
{
    ow_model *m = ow_new(opset, "x", 3, 8, 8);
    const int64_t two[2] = {2, 2}, pads[4] = {1, 1, 1, 1};
    ow_init(m, "w", 4, (const int64_t[]){4, 3, 3, 3}, ramp(108, 13), enc);
    ow_init(m, "b", 1, (const int64_t[]){4}, ramp(4, 5), enc);
    ow_init(m, "fc", 2, (const int64_t[]){5, 64}, ramp(320, 11), enc);
    Onnx__NodeProto *c = ow_node(m, "Conv", "/features/features.0/Conv", "x,w,b", "conv");
    ow_attr_ints(c, "pads", 4, pads);
    ow_node(m, "Relu", "/features/features.1/Relu", "conv", "relu");
    Onnx__NodeProto *p = ow_node(m, "MaxPool", "/features/features.2/MaxPool", "relu", "pool");
    ow_attr_ints(p, "kernel_shape", 2, two);
    ow_attr_ints(p, "strides", 2, two);
    ow_attr_i(p, "ceil_mode", 1);
    ow_node(m, "Flatten", "/Flatten", "pool", "flat");
    ow_attr_i(ow_node(m, "Gemm", "/fc/Gemm", "flat,fc", "logits"), "transB", 1);
    ow_node(m, "Softmax", "/Softmax", "logits", "prob");
    ow_output(m, "prob");
    put(dir, name, m);
}

/* A residual, depthwise, squeeze-excitation and concat block with BatchNormalization, the activations, Pad,
 * LRN, AveragePool counting padding, Identity and Dropout. */
static void blocks(const char *dir)
{
    ow_model *m = ow_new(13, "x", 3, 8, 8);
    const int64_t one[2] = {1, 1}, three[2] = {3, 3}, pads[4] = {1, 1, 1, 1}, pad8[8] = {0, 0, 1, 0, 0, 0, 0, 1};
    ow_init(m, "w1", 4, (const int64_t[]){4, 3, 1, 1}, ramp(12, 7), OW_FLOAT_DATA);
    ow_init(m, "dw", 4, (const int64_t[]){4, 1, 3, 3}, ramp(36, 9), OW_RAW);
    ow_init(m, "se", 4, (const int64_t[]){4, 4, 1, 1}, ramp(16, 5), OW_RAW);
    ow_init(m, "g", 1, (const int64_t[]){4}, ramp(4, 3), OW_RAW);
    ow_init(m, "bb", 1, (const int64_t[]){4}, ramp(4, 5), OW_RAW);
    ow_init(m, "mu", 1, (const int64_t[]){4}, ramp(4, 7), OW_RAW);
    ow_init(m, "var", 1, (const int64_t[]){4}, (const float[]){1, 2, 0.5f, 1.5f}, OW_RAW);
    ow_init_i64(m, "pads", 8, pad8);
    ow_node(m, "Conv", "/b/conv1/Conv", "x,w1", "c1");
    ow_node(m, "BatchNormalization", "/b/bn1/BatchNormalization", "c1,g,bb,mu,var", "n1");
    ow_attr_f(ow_node(m, "LeakyRelu", "/b/act/LeakyRelu", "n1", "a1"), "alpha", 0.1f);
    Onnx__NodeProto *d = ow_node(m, "Conv", "/b/dw/Conv", "a1,dw", "c2");
    ow_attr_i(d, "group", 4);
    ow_attr_ints(d, "pads", 4, pads);
    ow_attr_ints(d, "dilations", 2, one);
    ow_node(m, "Clip", "/b/relu6/Clip", "c2", "a2");
    ow_node(m, "GlobalAveragePool", "/b/se/pool/GlobalAveragePool", "a2", "s0");
    ow_node(m, "Conv", "/b/se/fc/Conv", "s0,se", "s1");
    ow_node(m, "HardSigmoid", "/b/se/gate/HardSigmoid", "s1", "s2");
    ow_node(m, "Mul", "/b/se/Mul", "a2,s2", "m1");
    ow_node(m, "Add", "/b/Add", "m1,a1", "r1");
    ow_node(m, "HardSwish", "/b/hs/HardSwish", "r1", "h1");
    ow_node(m, "Sigmoid", "/b/sig/Sigmoid", "h1", "q1");
    ow_attr_i(ow_node(m, "Concat", "/b/Concat", "h1,q1", "cat"), "axis", 1);
    ow_node(m, "Pad", "/b/Pad", "cat,pads", "pd");
    Onnx__NodeProto *l = ow_node(m, "LRN", "/b/LRN", "pd", "lrn");
    ow_attr_i(l, "size", 3);
    Onnx__NodeProto *a = ow_node(m, "AveragePool", "/b/AveragePool", "lrn", "ap");
    ow_attr_ints(a, "kernel_shape", 2, three);
    ow_attr_ints(a, "pads", 4, pads);
    ow_attr_i(a, "count_include_pad", 1);
    ow_node(m, "Identity", "/b/Identity", "ap", "id");
    ow_node(m, "Dropout", "/b/Dropout", "id", "out");
    ow_output(m, "out");
    put(dir, "blocks.onnx", m);
}

void seeds_onnx(const char *dir)
{
    classifier(dir, "classifier_raw_op17.onnx", OW_RAW, 17);
    classifier(dir, "classifier_float_data_op11.onnx", OW_FLOAT_DATA, 11);
    classifier(dir, "classifier_float16_op21.onnx", OW_FLOAT16, 21);
    classifier(dir, "classifier_bfloat16_op13.onnx", OW_BFLOAT16, 13);
    blocks(dir);
}
