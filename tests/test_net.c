/* The InceptionV1 graphs end to end on the CPU: the golden cat test on the real BVLC weights, layer
 * shapes and names, truncation, the whole network's input gradient against finite differences, the
 * inception5h (TensorFlow) variant built from a GraphDef the test writes, and the objective parser. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "io/image.h"
#include "models/model.h"
#include "render/objective.h"
#include "testmodel.h"
#include "app/jobs.h"
#include "tf_writer.h"
#include <unistd.h>

/* Golden numbers from shared/models/bvlc_googlenet/PROVENANCE.md (an independent numpy forward pass):
 * 285 Egyptian cat 0.562, 287 lynx 0.119, 281 tabby 0.043, 282 tiger cat 0.037, 286 cougar 0.031. */
Test(golden, cat_is_egyptian_cat)
{
    fv_model *m = fv_test_load_bvlc();
    fv_image img;
    cr_assert_eq(fv_image_read_png(FV_TEST_CAT, &img), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_model_num_classes(m), 1000);
    float p[1000];
    cr_assert_eq(fv_classify(m, fv_test_cpu(), &img, p), FV_OK, "%s", fv_last_error());
    const int want[5] = {285, 287, 281, 282, 286};
    const float wantp[5] = {0.562f, 0.119f, 0.043f, 0.037f, 0.031f};
    char used[1000] = {0};
    double sum = 0;
    for (int k = 0; k < 1000; k++) sum += p[k];
    cr_assert_float_eq(sum, 1.0, 1e-4);
    for (int r = 0; r < 5; r++) {
        int best = -1;
        for (int k = 0; k < 1000; k++)
            if (!used[k] && (best < 0 || p[k] > p[best])) best = k;
        used[best] = 1;
        cr_assert_eq(best, want[r], "rank %d: class %d (p %.4f), expected %d", r + 1, best, p[best], want[r]);
        cr_assert(fabsf(p[best] - wantp[r]) <= 0.005f, "rank %d: p %.4f, expected %.3f", r + 1, p[best], wantp[r]);
    }
    fv_image_free(&img);
    fv_model_free(m);
}

Test(graph, caffe_shapes_and_names)
{
    fv_model *m = fv_test_load_bvlc();
    struct { const char *name; int c, h; } want[] = {
        {"conv1/7x7_s2", 64, 112},  {"pool1/3x3_s2", 64, 56},       {"conv2/3x3", 192, 56},
        {"pool2/3x3_s2", 192, 28},  {"mixed3a", 256, 28},           {"inception_3b/output", 480, 28},
        {"maxpool4", 480, 14},      {"mixed4a", 512, 14},           {"mixed4a_pre_relu", 512, 14},
        {"mixed4e", 832, 14},       {"pool4/3x3_s2", 832, 7},       {"mixed5b", 1024, 7},
        {"inception_4c/5x5", 64, 14}, {"inception_4a/3x3_reduce", 96, 14}, {"logits", 1000, 1},
        {"prob", 1000, 1}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        int c, h, w;
        cr_assert_eq(fv_model_layer_shape(m, want[i].name, 224, &c, &h, &w), FV_OK, "%s: %s", want[i].name,
                     fv_last_error());
        cr_assert(c == want[i].c && h == want[i].h && w == want[i].h, "%s: %dx%dx%d, expected %dx%dx%d", want[i].name, c,
                  h, w, want[i].c, want[i].h, want[i].h);
    }
    /* Caffe pooling rounds up: a 100 px input gives conv1 50 -> pool1 ceil((50-3)/2)+1 = 25. */
    int c, h, w;
    cr_assert_eq(fv_model_layer_shape(m, "pool1/3x3_s2", 100, &c, &h, &w), FV_OK);
    cr_assert_eq(h, 25);
    cr_assert_neq(fv_model_layer_shape(m, "no_such_layer", 224, &c, &h, &w), FV_OK);
    fv_model_free(m);
}

/* A branch tensor is a view of its concat: inception_3a/3x3 is channels 64..191 of mixed3a. */
Test(graph, branch_views_share_the_concat)
{
    fv_model *m = fv_test_load_bvlc();
    fv_image img;
    cr_assert_eq(fv_image_read_png(FV_TEST_CAT, &img), FV_OK);
    float *a, *b;
    int c1, h1, w1, c2, h2, w2;
    cr_assert_eq(fv_activations(m, fv_test_cpu(), &img, "mixed3a", &a, &c1, &h1, &w1), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_activations(m, fv_test_cpu(), &img, "inception_3a/3x3", &b, &c2, &h2, &w2), FV_OK);
    cr_assert_eq(c1, 256);
    cr_assert_eq(c2, 128);
    const long hw = (long)h1 * w1;
    cr_assert_eq(memcmp(a + 64 * hw, b, sizeof(float) * 128 * hw), 0);
    double nz = 0;
    for (long i = 0; i < 256 * hw; i++) nz += a[i] > 0;
    cr_assert(nz > 0.05 * 256 * hw, "mixed3a almost all zero: %g positive", nz);
    free(a);
    free(b);
    fv_image_free(&img);
    fv_model_free(m);
}

Test(graph, forward_stops_at_the_deepest_target)
{
    fv_model *m = fv_test_load_bvlc();
    int t = fv_net_find(&m->net, "mixed3b");
    fv_plan *p;
    cr_assert_eq(fv_plan_create(&m->net, fv_test_cpu(), 1, 64, 64, &t, 1, &p), FV_OK, "%s", fv_last_error());
    int ran = 0, deeper = 0;
    for (int i = 0; i < m->net.nnodes; i++) {
        ran += p->needed[i];
        if (p->needed[i] && (strstr(m->net.nodes[i].name, "inception_4") || strstr(m->net.nodes[i].name, "loss3")))
            deeper++;
    }
    cr_assert_eq(deeper, 0, "nodes past mixed3b run");
    cr_assert(ran > 20, "only %d nodes run", ran);
    cr_assert_null(p->act[fv_net_find(&m->net, "mixed4a")].data);
    fv_plan_free(p);
    fv_model_free(m);
}

/* One plan for several input sizes (Lucid's growing canvas): after a resize the plan computes exactly what a
 * plan made for that size computes, forward and backward; a size it was not made for is refused. */
Test(graph, plan_resizes_to_any_size_it_was_made_for)
{
    fv_model *m = fv_test_load_bvlc();
    const int t = fv_net_find(&m->net, "mixed4a_pre_relu");
    const int sides[3] = {70, 52, 61};
    fv_plan *multi, *one;
    cr_assert_eq(fv_plan_create_sizes(&m->net, fv_test_cpu(), 2, sides, sides, 3, &t, 1, &multi), FV_OK, "%s",
                 fv_last_error());
    cr_assert_eq(multi->h, 70);
    for (int k = 1; k < 3; k++) {
        const int S = sides[k];
        cr_assert_eq(fv_plan_create(&m->net, fv_test_cpu(), 2, S, S, &t, 1, &one), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_plan_resize(multi, S, S), FV_OK, "%s", fv_last_error());
        cr_assert_eq(multi->act[t].h, one->act[t].h);
        cr_assert_eq(multi->act[t].w, one->act[t].w);
        fv_test_fill(multi->act[m->net.input].data, 2 * 3 * S * S, 17 + k, -100, 100);
        memcpy(one->act[m->net.input].data, multi->act[m->net.input].data, sizeof(float) * 2 * 3 * S * S);
        fv_obj_term term = {FV_OBJ_CHANNEL, 1, 7, 0, 0, 1.0f, NULL};
        fv_plan *pl[2] = {multi, one};
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(fv_plan_forward(pl[i]), FV_OK);
            cr_assert_eq(fv_plan_zero_grad(pl[i]), FV_OK);
            cr_assert_eq(fv_objective_bwd_cpu(&term, 1, pl[i]->act[t], pl[i]->grad[t]), FV_OK);
            cr_assert_eq(fv_plan_backward(pl[i], 0), FV_OK);
        }
        const long na = 2 * fv_tensor_chw(one->act[t]), ng = 2L * 3 * S * S;
        cr_assert_eq(memcmp(multi->act[t].data, one->act[t].data, sizeof(float) * na), 0, "activations at %d px", S);
        cr_assert_eq(memcmp(multi->grad[m->net.input].data, one->grad[m->net.input].data, sizeof(float) * ng), 0,
                     "input gradient at %d px", S);
        fv_plan_free(one);
    }
    const int h_before = multi->act[t].h, hs_before = multi->hs[t];
    cr_assert_eq(fv_plan_resize(multi, 90, 90), FV_ERR_ARG, "a larger input than the plan was made for");
    cr_assert_eq(multi->h, 61, "a refused resize leaves the plan as it was");
    cr_assert_eq(multi->act[t].h, h_before);
    cr_assert_eq(multi->hs[t], hs_before);
    fv_plan_free(multi);
    fv_model_free(m);
}

/* Every root buffer of a plan starts on a 256-byte boundary, at sizes (97 px) where packed tensors would not. */
Test(graph, plan_roots_are_256_byte_aligned)
{
    fv_model *m = fv_test_load_bvlc();
    fv_backend *cpu = fv_test_cpu();
    const int t = fv_net_find(&m->net, "mixed4a");
    fv_plan *p;
    cr_assert_eq(fv_plan_create(&m->net, cpu, 3, 97, 97, &t, 1, &p), FV_OK, "%s", fv_last_error());
    int roots = 0;
    for (int i = 0; i < m->net.ntensors; i++) {
        if (!p->live[i] || m->net.tensors[i].parent >= 0) continue;
        roots++;
        cr_assert_eq((uintptr_t)p->act[i].data % 256, 0, "activations of %s", m->net.tensors[i].name);
        cr_assert_eq((uintptr_t)p->grad[i].data % 256, 0, "gradients of %s", m->net.tensors[i].name);
    }
    cr_assert(roots > 10, "only %d roots", roots);
    fv_plan_free(p);
    fv_model_free(m);
}

/* Pre-ReLU tensors and their post-ReLU twins: a convolution's, and an inception block's concatenation. */
Test(graph, post_relu_twins)
{
    fv_model *m = fv_test_load_bvlc();
    const fv_net *n = &m->net;
    const char *pairs[][2] = {{"mixed4a_pre_relu", "mixed4a"}, {"mixed3b_pre_relu", "inception_3b/output"},
                              {"conv2d0_pre_relu", "conv1/7x7_s2"}, {"inception_4c/5x5_pre_relu", "inception_4c/5x5"},
                              {"inception_4c/5x5_reduce_pre_relu", "inception_4c/5x5_reduce"}};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        const int a = fv_net_find(n, pairs[i][0]), b = fv_net_find(n, pairs[i][1]);
        cr_assert(a >= 0 && b >= 0, "%s / %s", pairs[i][0], pairs[i][1]);
        cr_expect_eq(fv_net_post_relu(n, a), b, "%s -> %d, want %s (%d)", pairs[i][0], fv_net_post_relu(n, a),
                     pairs[i][1], b);
    }
    const char *none[] = {"mixed4a", "maxpool4", "logits", "softmax", "localresponsenorm0"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        cr_expect_eq(fv_net_post_relu(n, fv_net_find(n, none[i])), -1, "%s has no post-ReLU twin", none[i]);
    fv_model_free(m);
}

/* The whole graph's input gradient (wiring, in-place concat slices, fan-out accumulation) against
 * central differences of a channel objective on mixed3b at 48 px. Every op has its own finite-difference
 * test; this one is about the graph. Tolerance: float32 forward through ~30 layers with h = 0.5 on
 * inputs of scale ~100 gives differences good to ~1e-3 relative; 2e-2 leaves room without hiding a
 * wiring error (those are O(1)). */
Test(graph, input_gradient_matches_finite_differences)
{
    fv_model *m = fv_test_load_bvlc();
    const int S = 48;
    int t = fv_net_find(&m->net, "mixed3b");
    fv_plan *p;
    cr_assert_eq(fv_plan_create(&m->net, fv_test_cpu(), 1, S, S, &t, 1, &p), FV_OK, "%s", fv_last_error());
    fv_tensor in = p->act[m->net.input];
    fv_test_fill(in.data, 3 * S * S, 5, -100, 100);
    fv_obj_term terms[2] = {{FV_OBJ_CHANNEL, 0, 37, 0, 0, 1.0f, NULL}, {FV_OBJ_NEURON, 0, 300, 3, 2, 0.5f, NULL}};
    float v[2];
    cr_assert_eq(fv_plan_forward(p), FV_OK);
    cr_assert_eq(fv_plan_zero_grad(p), FV_OK);
    cr_assert_eq(fv_objective_bwd_cpu(terms, 2, p->act[t], p->grad[t]), FV_OK);
    cr_assert_eq(fv_plan_backward(p, 0), FV_OK);
    float *g = p->grad[m->net.input].data;
    double gmax = 0;
    for (int i = 0; i < 3 * S * S; i++) gmax = fmax(gmax, fabs(g[i]));
    cr_assert(gmax > 0, "zero input gradient");
    int checked = 0;
    for (int k = 0; k < 40; k++) {
        int i = fv_rng_int(77, k, 3 * S * S);
        const float x0 = in.data[i], h = 0.5f;
        double f[2];
        for (int s = 0; s < 2; s++) {
            in.data[i] = x0 + (s ? -h : h);
            cr_assert_eq(fv_plan_forward(p), FV_OK);
            fv_objective_fwd_cpu(terms, 2, p->act[t], v);
            f[s] = (double)v[0] + v[1];
        }
        in.data[i] = x0;
        double fd = (f[0] - f[1]) / (2 * h);
        cr_assert(fabs(fd - g[i]) <= 2e-2 * gmax, "input %d: analytic %g, finite difference %g (max |g| %g)", i, g[i],
                  fd, gmax);
        checked += fabs(g[i]) > 0.05 * gmax;
    }
    cr_assert(checked >= 3, "too few inputs with a sizeable gradient (%d)", checked);
    fv_plan_free(p);
    fv_model_free(m);
}

/* ---------- inception5h (TensorFlow GraphDef) ---------- */

/* Writes an inception5h-topology GraphDef with small random weights: the real names, SAME padding, LRN
 * attributes, a 1008-way classifier. Branch widths are small so the test is fast; 4a's odd width (like
 * inception5h's 508) exercises channel counts read from the weights. */
/* Branch widths of a mixed block: 1x1, 3x3 bottleneck, 3x3, 5x5 bottleneck, 5x5, pool projection. */
static const int TINY[9][6] = {{4, 3, 4, 2, 3, 2}, {4, 3, 4, 2, 3, 2}, {4, 3, 5, 2, 3, 2}, {4, 3, 4, 2, 3, 2},
                               {4, 3, 4, 2, 3, 2}, {4, 3, 4, 2, 3, 2}, {4, 3, 4, 2, 3, 2}, {4, 3, 4, 2, 3, 2},
                               {4, 3, 4, 2, 3, 2}};
/* inception5h's own widths (its 4a has 508 channels: 192 + 204 + 48 + 64). */
static const int REAL5H[9][6] = {{64, 96, 128, 16, 32, 32},    {128, 128, 192, 32, 96, 64},
                                 {192, 96, 204, 16, 48, 64},   {160, 112, 224, 24, 64, 64},
                                 {128, 128, 256, 24, 64, 64},  {112, 144, 288, 32, 64, 64},
                                 {256, 160, 320, 32, 128, 128}, {256, 160, 320, 48, 128, 128},
                                 {384, 192, 384, 48, 128, 128}};

static void write_inception5h(const char *path, const char *drop, int bad_cin, const int (*bw)[6], int s0, int s1,
                              int s2)
{
    fv_tfw *w = fv_tfw_new();
    cr_assert_not_null(w);
    uint64_t seed = 100;
    float *buf = malloc(sizeof(float) << 21); /* the largest tensor: softmax2_w, 1024 x 1008 */
    cr_assert_not_null(buf);
    int cin = 3;
#define CONV(name, input, k, ci, co, s)                                                                          \
    do {                                                                                                         \
        float bias[1024];                                                                                        \
        fv_test_fill(buf, (size_t)(k) * (k) * (ci) * (co), seed++, -0.3f, 0.3f);                                 \
        fv_test_fill(bias, (co), seed++, -0.1f, 0.1f);                                                           \
        cr_assert_eq(fv_tfw_conv(w, name, input, k, k, ci, co, s, "SAME", buf, bias), 0);                        \
    } while (0)
    cr_assert_eq(fv_tfw_placeholder(w, "input"), 0);
    CONV("conv2d0", "input", 7, cin, s0, 2);
    cr_assert_eq(fv_tfw_pool(w, "maxpool0", "conv2d0", "MaxPool", 3, 2, "SAME"), 0);
    cr_assert_eq(fv_tfw_lrn(w, "localresponsenorm0", "maxpool0", 2, 1.0f, 0.0001f, 0.75f), 0);
    CONV("conv2d1", "localresponsenorm0", 1, s0, s1, 1);
    CONV("conv2d2", "conv2d1", 3, s1, s2, 1);
    cr_assert_eq(fv_tfw_lrn(w, "localresponsenorm1", "conv2d2", 2, 1.0f, 0.0001f, 0.75f), 0);
    cr_assert_eq(fv_tfw_pool(w, "maxpool1", "localresponsenorm1", "MaxPool", 3, 2, "SAME"), 0);
    const char *blocks[] = {"3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"};
    char prev[64] = "maxpool1";
    cin = s2;
    for (int i = 0; i < 9; i++) {
        char n[8][64];
        const int c1 = bw[i][0], c3r = bw[i][1], c3 = bw[i][2], c5r = bw[i][3], c5 = bw[i][4], cp = bw[i][5];
        snprintf(n[0], 64, "mixed%s_1x1", blocks[i]);
        snprintf(n[1], 64, "mixed%s_3x3_bottleneck", blocks[i]);
        snprintf(n[2], 64, "mixed%s_3x3", blocks[i]);
        snprintf(n[3], 64, "mixed%s_5x5_bottleneck", blocks[i]);
        snprintf(n[4], 64, "mixed%s_5x5", blocks[i]);
        snprintf(n[5], 64, "mixed%s_pool", blocks[i]);
        snprintf(n[6], 64, "mixed%s_pool_reduce", blocks[i]);
        snprintf(n[7], 64, "mixed%s", blocks[i]);
        CONV(n[0], prev, 1, cin, c1, 1);
        CONV(n[1], prev, 1, cin, c3r, 1);
        CONV(n[2], n[1], 3, bad_cin && i == 4 ? c3r + 1 : c3r, c3, 1);
        CONV(n[3], prev, 1, cin, c5r, 1);
        CONV(n[4], n[3], 5, c5r, c5, 1);
        cr_assert_eq(fv_tfw_pool(w, n[5], prev, "MaxPool", 3, 1, "SAME"), 0);
        CONV(n[6], n[5], 1, cin, cp, 1);
        const char *ins[4] = {n[0], n[2], n[4], n[6]};
        cr_assert_eq(fv_tfw_concat(w, n[7], ins, 4), 0);
        cin = c1 + c3 + c5 + cp;
        snprintf(prev, sizeof prev, "%s", n[7]);
        if (i == 1 || i == 6) {
            const char *pn = i == 1 ? "maxpool4" : "maxpool10";
            cr_assert_eq(fv_tfw_pool(w, pn, prev, "MaxPool", 3, 2, "SAME"), 0);
            snprintf(prev, sizeof prev, "%s", pn);
        }
    }
    cr_assert_eq(fv_tfw_pool(w, "avgpool0", prev, "AvgPool", 7, 1, "VALID"), 0);
    fv_test_fill(buf, (size_t)cin * 1008, seed++, -0.2f, 0.2f);
    static float fb[1008];
    fv_test_fill(fb, 1008, seed++, -0.1f, 0.1f);
    cr_assert_eq(fv_tfw_matmul_fc(w, "softmax2", "avgpool0", cin, 1008, buf, fb), 0);
#undef CONV
    if (drop) cr_assert_eq(fv_tfw_remove(w, drop), 0);
    cr_assert_eq(fv_tfw_write(w, path), 0);
    fv_tfw_free(w);
    free(buf);
}

static void write_tiny_inception5h(const char *path, const char *drop, int bad_cin)
{
    write_inception5h(path, drop, bad_cin, TINY, 8, 8, 12);
}

Test(inception5h, builds_from_a_graphdef_with_tf_semantics)
{
    const char *path = fv_test_tmp("tiny_inception5h.pb");
    write_tiny_inception5h(path, NULL, 0);
    fv_model *m;
    cr_assert_eq(fv_model_load(path, FV_MODEL_AUTO, &m), FV_OK, "%s", fv_last_error());
    cr_assert_str_eq(fv_model_name(m), "InceptionV1");
    cr_assert_eq(fv_model_num_classes(m), 1008);
    int c, h, w;
    /* TF SAME: 224 -> 112 -> 56 -> 28 -> 14 -> 7; an odd 225 px input gives ceil(225/2) = 113. */
    cr_assert_eq(fv_model_layer_shape(m, "conv2d0", 224, &c, &h, &w), FV_OK);
    cr_assert(c == 8 && h == 112 && w == 112);
    cr_assert_eq(fv_model_layer_shape(m, "conv2d0", 225, &c, &h, &w), FV_OK);
    cr_assert_eq(h, 113);
    cr_assert_eq(fv_model_layer_shape(m, "mixed4a", 224, &c, &h, &w), FV_OK);
    cr_assert(c == 4 + 5 + 3 + 2 && h == 14, "mixed4a %dx%d", c, h);
    cr_assert_eq(fv_model_layer_shape(m, "mixed5b_pre_relu", 224, &c, &h, &w), FV_OK);
    cr_assert(c == 13 && h == 7);
    cr_assert_eq(fv_model_layer_shape(m, "softmax2", 224, &c, &h, &w), FV_OK);
    cr_assert_eq(c, 1008);
    /* The TF input is RGB * 255 - 117; LRN alpha is used as is (no division by the window). */
    cr_assert_eq(m->net.perm[0], 0);
    cr_assert_float_eq(m->net.mean[2], 117.0f, 0);
    int lrn_node = -1;
    for (int i = 0; i < m->net.nnodes; i++)
        if (!strcmp(m->net.nodes[i].name, "localresponsenorm0")) lrn_node = i;
    cr_assert_geq(lrn_node, 0);
    cr_assert_eq(m->net.nodes[lrn_node].lrn.size, 5);
    cr_assert_float_eq(m->net.nodes[lrn_node].lrn.alpha, 0.0001f, 1e-9);
    /* A forward pass to the logits runs and gives a probability vector. */
    fv_image img;
    cr_assert_eq(fv_image_alloc(&img, 224, 224), FV_OK);
    fv_test_fill(img.rgb, 3 * 224 * 224, 9, 0, 1);
    float p[1008];
    cr_assert_eq(fv_classify(m, fv_test_cpu(), &img, p), FV_OK, "%s", fv_last_error());
    double s = 0;
    for (int k = 0; k < 1008; k++) s += p[k];
    cr_assert_float_eq(s, 1.0, 1e-4);
    fv_image_free(&img);
    fv_model_free(m);
}

/* conv2d0's output computed directly from the HWIO weights and SAME padding (pad 2 top/left, 3
 * bottom/right at 224 px, stride 2) agrees with the network's conv2d0_pre_relu. */
Test(inception5h, first_conv_matches_direct_hwio_computation)
{
    const char *path = fv_test_tmp("tiny_inception5h_b.pb");
    write_tiny_inception5h(path, NULL, 0);
    fv_model *m;
    cr_assert_eq(fv_model_load(path, FV_MODEL_INCEPTION_TF, &m), FV_OK, "%s", fv_last_error());
    const int S = 224;
    fv_image img;
    cr_assert_eq(fv_image_alloc(&img, S, S), FV_OK);
    fv_test_fill(img.rgb, 3 * S * S, 21, 0, 1);
    float *a;
    int c, h, w;
    cr_assert_eq(fv_activations(m, fv_test_cpu(), &img, "conv2d0_pre_relu", &a, &c, &h, &w), FV_OK, "%s",
                 fv_last_error());
    /* the same weights as the writer drew: seed 100 (kernel, HWIO 7x7x3x8) and 101 (bias) */
    float wt[7 * 7 * 3 * 8], b[8];
    fv_test_fill(wt, sizeof wt / sizeof *wt, 100, -0.3f, 0.3f);
    fv_test_fill(b, 8, 101, -0.1f, 0.1f);
    double worst = 0;
    for (int o = 0; o < 8; o += 3)
        for (int y = 0; y < h; y += 37)
            for (int x = 0; x < w; x += 29) {
                double s = b[o];
                for (int ky = 0; ky < 7; ky++)
                    for (int kx = 0; kx < 7; kx++) {
                        int iy = y * 2 + ky - 2, ix = x * 2 + kx - 2;
                        if (iy < 0 || ix < 0 || iy >= S || ix >= S) continue;
                        for (int ci = 0; ci < 3; ci++)
                            s += wt[((ky * 7 + kx) * 3 + ci) * 8 + o] * (img.rgb[(ci * S + iy) * S + ix] * 255.0 - 117.0);
                    }
                worst = fmax(worst, fabs(s - a[(o * h + y) * w + x]) / (1 + fabs(s)));
            }
    cr_assert(worst < 1e-4, "conv2d0 differs from the direct HWIO computation by %g", worst);
    free(a);
    fv_image_free(&img);
    fv_model_free(m);
}

Test(inception5h, bad_graphs_give_clear_errors)
{
    const char *path = fv_test_tmp("tiny_inception5h_bad.pb");
    fv_model *m = NULL;
    write_tiny_inception5h(path, "mixed4b_pool", 0);
    cr_assert_neq(fv_model_load(path, FV_MODEL_AUTO, &m), FV_OK);
    cr_assert(strstr(fv_last_error(), "mixed4b_pool"), "message: %s", fv_last_error());
    write_tiny_inception5h(path, NULL, 1);
    cr_assert_eq(fv_model_load(path, FV_MODEL_AUTO, &m), FV_ERR_SHAPE);
    cr_assert(strstr(fv_last_error(), "mixed4c_3x3") && strstr(fv_last_error(), "expects"), "message: %s",
              fv_last_error());
    cr_assert_eq(fv_model_load(path, FV_MODEL_INCEPTION_CAFFE, &m), FV_ERR_FORMAT);
}

/* ---------- objective parser ---------- */

static void parses_to(fv_model *m, const char *text, const char *canon)
{
    fv_objective o;
    cr_assert_eq(fv_objective_parse(&m->net, text, 128, 128, &o), FV_OK, "'%s': %s", text, fv_last_error());
    cr_assert_str_eq(o.canon, canon, "'%s' parsed as '%s'", text, o.canon);
    fv_objective_free(&o);
}

static void rejects(fv_model *m, const char *text, const char *needle)
{
    fv_objective o;
    cr_assert_eq(fv_objective_parse(&m->net, text, 128, 128, &o), FV_ERR_ARG, "'%s' accepted", text);
    cr_assert(strstr(fv_last_error(), needle), "'%s': message '%s' lacks '%s'", text, fv_last_error(), needle);
}

Test(objective, parses_every_form)
{
    fv_model *m = fv_test_load_bvlc();
    parses_to(m, "mixed4a:97", "mixed4a:97");
    parses_to(m, "inception_4a/output:97", "mixed4a:97");
    parses_to(m, "mixed4a:97@7,3", "mixed4a:97@7,3");
    parses_to(m, "neuron:mixed4a:97", "neuron:mixed4a:97");
    parses_to(m, "-mixed4a:97", "-mixed4a:97");
    parses_to(m, "mixed4a:97+0.5*mixed4a:143", "mixed4a:97 + 0.5*mixed4a:143");
    parses_to(m, " mixed4a:97 - 2*mixed3b:4 ", "mixed4a:97 - 2*mixed3b:4");
    parses_to(m, "logit:285", "logit:285");
    parses_to(m, "prob:285", "prob:285");
    parses_to(m, "deepdream:mixed4a", "deepdream:mixed4a");
    parses_to(m, "mixed4a_pre_relu:476", "mixed4a_pre_relu:476");
    parses_to(m, "inception_4c/5x5:3", "inception_4c/5x5:3");
    parses_to(m, "direction:mixed4a:random:7", "direction:mixed4a:random:7");
    fv_objective o;
    cr_assert_eq(fv_objective_parse(&m->net, "neuron:mixed4a:97", 128, 128, &o), FV_OK);
    cr_assert(o.terms[0].kind == FV_OBJ_NEURON && o.terms[0].x == 4 && o.terms[0].y == 4, "centre of 8x8 is 4,4");
    fv_objective_free(&o);
    cr_assert_eq(fv_objective_parse(&m->net, "mixed4a:97 - 0.25*mixed4a:1", 128, 128, &o), FV_OK);
    cr_assert_float_eq(o.terms[1].weight, -0.25f, 0);
    fv_objective_free(&o);
    fv_model_free(m);
}

Test(objective, rejects_bad_text_with_reasons)
{
    fv_model *m = fv_test_load_bvlc();
    rejects(m, "mixed9z:1", "unknown layer 'mixed9z'");
    rejects(m, "mixed4a:512", "out of range");
    rejects(m, "mixed4a:512", "512 channels");
    rejects(m, "logit:1000", "out of range");
    rejects(m, "mixed4a:97@8,1", "outside");
    rejects(m, "mixed4a", "expected ':'");
    rejects(m, "mixed4a:x", "channel number");
    rejects(m, "mixed4a:1 mixed4a:2", "expected '+' or '-'");
    rejects(m, "", "empty");
    rejects(m, "0.5 mixed4a:1", "'*'");
    rejects(m, "mixed4a:9 - 1e39*mixed4a:3", "weight 1e39 is not a finite number"); /* found by fuzz_objective */
    rejects(m, "data:0", "unknown layer");
    rejects(m, "direction:mixed4a:random:x", "random:SEED");
    fv_model_free(m);
}

/* The article's appendix on inception5h's channel counts (RECIPE.md): 5,484 channels of mixed3a..mixed5b,
 * 4 jobs and 7 optimised images each = 38,388 images. The graph has the real widths, random weights. */
Test(inception5h, appendix_expands_to_5484_channels_and_38388_images, .timeout = 120)
{
    const char *path = fv_test_tmp("inception5h_real_widths.pb");
    write_inception5h(path, NULL, 0, REAL5H, 64, 64, 192);
    fv_model *m;
    cr_assert_eq(fv_model_load(path, FV_MODEL_AUTO, &m), FV_OK, "%s", fv_last_error());
    int c, h, w;
    cr_assert_eq(fv_model_layer_shape(m, "mixed4a", 224, &c, &h, &w), FV_OK);
    cr_assert_eq(c, 508);
    fv_joblist jl = {0, 0, NULL};
    cr_assert_eq(fv_jobs_appendix(m, NULL, 0, 0, NULL, &jl), FV_OK, "%s", fv_last_error());
    int images = 0;
    for (int i = 0; i < jl.n; i++) images += jl.jobs[i].diversity > 1 ? jl.jobs[i].diversity : 1;
    cr_assert_eq(jl.n, 5484 * 4);
    cr_assert_eq(images, 38388);
    fv_jobs_free(&jl);
    fv_model_free(m);
    unlink(path);
}

/* Seeded random directions: unit length, the same for the same seed, different for another. */
Test(objective, random_directions)
{
    fv_model *m = fv_test_load_bvlc();
    fv_objective a, b, c;
    cr_assert_eq(fv_objective_parse(&m->net, "direction:mixed4a:random:7", 128, 128, &a), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_objective_parse(&m->net, "direction:inception_4a/output:random:7", 128, 128, &b), FV_OK);
    cr_assert_eq(fv_objective_parse(&m->net, "direction:mixed4a:random:8", 128, 128, &c), FV_OK);
    double n2 = 0, diff = 0;
    for (int i = 0; i < 512; i++) {
        n2 += (double)a.terms[0].dir[i] * a.terms[0].dir[i];
        cr_assert_eq(a.terms[0].dir[i], b.terms[0].dir[i]);
        diff += fabs(a.terms[0].dir[i] - c.terms[0].dir[i]);
    }
    cr_assert_float_eq(n2, 1.0, 1e-5);
    cr_assert(diff > 1, "seeds 7 and 8 give the same direction");
    fv_objective_free(&a), fv_objective_free(&b), fv_objective_free(&c);
    fv_model_free(m);
}
