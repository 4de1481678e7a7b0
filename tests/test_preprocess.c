/* Input conventions (issue 13, item 4): the presets' values as published (torchvision's ImageNet statistics,
 * the BVLC mean, Inception's [-1,1]), the checks, a model's own convention and setting another, spellings
 * of one convention that must give the same activations bit for bit, the command-line options with their
 * one-line errors, and the convention recorded in the PNG provenance and the --json lines. */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/image.h"
#include "io/npy.h"
#include "models/model.h"
#include "testutil.h"

#ifndef FV_BINARY
#define FV_BINARY "./featvis-cuda"
#endif

static void expect_preset(const char *name, int bgr, float lo, float hi, const float mean[3], const float std[3])
{
    fv_preprocess p;
    cr_assert_eq(fv_preprocess_preset(name, &p), FV_OK, "%s", fv_last_error());
    cr_assert_eq(p.bgr, bgr, "%s", name);
    cr_assert(p.lo == lo && p.hi == hi, "%s: range %g,%g", name, p.lo, p.hi);
    for (int c = 0; c < 3; c++)
        cr_assert(p.mean[c] == mean[c] && p.std[c] == std[c], "%s: channel %d: mean %g std %g", name, c, p.mean[c],
                  p.std[c]);
    cr_assert_eq(fv_preprocess_check(&p), FV_OK, "%s", fv_last_error());
}

/* The values as torchvision's documentation, the BVLC deploy files and Lucid's modelzoo give them. */
Test(preprocess, presets_hold_the_published_values)
{
    const float one[3] = {1, 1, 1}, zero[3] = {0, 0, 0};
    expect_preset("torchvision", 0, 0, 1, (const float[3]){0.485f, 0.456f, 0.406f}, (const float[3]){0.229f, 0.224f, 0.225f});
    expect_preset("caffe", 1, 0, 255, (const float[3]){104, 117, 123}, one);
    expect_preset("inception", 0, -1, 1, zero, one);
    expect_preset("inception5h", 0, 0, 255, (const float[3]){117, 117, 117}, one);
    expect_preset("none", 0, 0, 1, zero, one);
    fv_preprocess p;
    cr_assert_eq(fv_preprocess_preset("imagenet", &p), FV_ERR_ARG);
    cr_assert(strstr(fv_last_error(), "'imagenet'") && strstr(fv_last_error(), "torchvision, caffe"), "%s",
              fv_last_error());
}

Test(preprocess, check_names_the_field)
{
    fv_preprocess p;
    fv_preprocess_preset("torchvision", &p);
    p.std[2] = 0;
    cr_assert_eq(fv_preprocess_check(&p), FV_ERR_ARG);
    cr_assert(strstr(fv_last_error(), "std[2]"), "%s", fv_last_error());
    fv_preprocess_preset("torchvision", &p);
    p.hi = p.lo;
    cr_assert_eq(fv_preprocess_check(&p), FV_ERR_ARG);
    cr_assert(strstr(fv_last_error(), "range"), "%s", fv_last_error());
    fv_preprocess_preset("torchvision", &p);
    p.mean[1] = NAN;
    cr_assert_eq(fv_preprocess_check(&p), FV_ERR_ARG);
    cr_assert(strstr(fv_last_error(), "mean[1]"), "%s", fv_last_error());
}

Test(preprocess, describe_names_the_preset)
{
    fv_preprocess p;
    char d[256];
    fv_preprocess_preset("caffe", &p);
    fv_preprocess_describe(&p, d, sizeof d);
    cr_assert_str_eq(d, "preset=caffe order=bgr range=0,255 mean=104,117,123 std=1,1,1");
    p.std[0] = 2;
    fv_preprocess_describe(&p, d, sizeof d);
    cr_assert_str_eq(d, "order=bgr range=0,255 mean=104,117,123 std=2,1,1");
}

/* The BVLC GoogLeNet's own convention is Caffe's; setting the same values changes nothing (and records
 * nothing); another convention reaches the network as scale, mean and std. */
Test(preprocess, model_own_and_set)
{
    fv_model *m;
    cr_assert_eq(fv_model_load(fv_test_weights(), FV_MODEL_AUTO, &m), FV_OK, "%s", fv_last_error());
    fv_preprocess p, q;
    cr_assert_eq(fv_model_preprocess(m, &p), FV_OK);
    fv_preprocess_preset("caffe", &q);
    cr_assert(!memcmp(&p, &q, sizeof p), "the BVLC model's convention is not Caffe's");
    cr_assert_eq(fv_model_preprocess_implied(m), 1);
    cr_assert_eq(fv_model_set_preprocess(m, &q), FV_OK);
    cr_assert_eq(fv_model_preprocess_implied(m), 1);
    fv_preprocess_preset("inception", &q);
    cr_assert_eq(fv_model_set_preprocess(m, &q), FV_OK);
    cr_assert_eq(fv_model_preprocess_implied(m), 0);
    /* [-1,1]: x = -1 + 2v, so the network computes v * 2 - 1, RGB */
    cr_assert(m->net.scale == 2.0f && m->net.mean[0] == 1.0f && m->net.std[2] == 1.0f && m->net.perm[0] == 0);
    fv_preprocess_preset("torchvision", &q);
    q.bgr = 1;
    cr_assert_eq(fv_model_set_preprocess(m, &q), FV_OK);
    cr_assert(m->net.scale == 1.0f && m->net.perm[0] == 2 && m->net.mean[1] == 0.456f && m->net.std[2] == 0.225f);
    cr_assert_eq(fv_model_preprocess(m, &p), FV_OK);
    cr_assert(!memcmp(&p, &q, sizeof p));
    q.std[1] = -1;
    cr_assert_eq(fv_model_set_preprocess(m, &q), FV_ERR_ARG);
    cr_assert(m->net.std[1] == 0.224f, "a refused convention must leave the model as it was");
    fv_model_free(m);
}

/* ---------- the command line ---------- */

static int run(const char *args, char *out, size_t n) { return fv_test_cli("", args, out, n); }

static float *activations(const char *extra, const char *npy, size_t *count)
{
    char args[4096], out[4096];
    snprintf(args, sizeof args, "activations %s --layer conv2/3x3 -o %s --weights %s --backend cpu %s", FV_TEST_CAT,
             npy, fv_test_weights(), extra);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s: %s", extra, out);
    float *a;
    int64_t shape[4];
    int nd;
    cr_assert_eq(fv_npy_read(npy, &a, shape, &nd, 4), FV_OK, "%s", fv_last_error());
    *count = (size_t)(shape[0] * shape[1] * shape[2] * shape[3]);
    return a;
}

/* One convention spelled three ways gives the same bits; another gives other activations. */
Test(preprocess_cli, spellings_of_one_convention_agree)
{
    const char *npy = fv_test_tmp("pre.npy");
    size_t n0, n1, n2, n3, n4;
    float *own = activations("", npy, &n0);
    float *caffe = activations("--preprocess caffe", npy, &n1);
    float *parts = activations("--preprocess none --order bgr --range 0,255 --mean 104,117,123", npy, &n2);
    float *incep = activations("--preprocess inception", npy, &n3);
    float *shifted = activations("--preprocess caffe --range 0,2 --mean 1,1,1 --order rgb", npy, &n4);
    cr_assert(n0 == n1 && n0 == n2 && n0 == n3 && n0 == n4);
    cr_assert(!memcmp(own, caffe, n0 * sizeof *own), "--preprocess caffe is not the BVLC model's own");
    cr_assert(!memcmp(own, parts, n0 * sizeof *own), "the parts of Caffe's convention do not give its activations");
    cr_assert(!memcmp(incep, shifted, n0 * sizeof *own), "[-1,1] mean 0 is not [0,2] mean 1");
    cr_assert(memcmp(own, incep, n0 * sizeof *own), "the inception convention changed nothing");
    free(own), free(caffe), free(parts), free(incep), free(shifted);
    unlink(npy);
}

Test(preprocess_cli, bad_values_give_one_line_and_exit_2)
{
    static const char *const bad[][2] = {
        {"--preprocess imagenet", "--preprocess 'imagenet': expected torchvision, caffe, inception, inception5h or none"},
        {"--mean 1,2", "--mean '1,2': expected 3 numbers separated by commas"},
        {"--mean 1,2,3,4", "--mean '1,2,3,4': expected 3 numbers"},
        {"--std 0.2,0,0.2", "--std '0.2,0,0.2': every value must be > 0"},
        {"--std 1,x,1", "--std '1,x,1': expected 3 numbers"},
        {"--range 5,5", "--range '5,5': the two ends must differ"},
        {"--range 0", "--range '0': expected 2 numbers"},
        {"--order grb", "--order 'grb': expected rgb or bgr"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char args[4096], out[4096];
        snprintf(args, sizeof args, "layers --weights %s %s", fv_test_weights(), bad[i][0]);
        cr_assert_eq(run(args, out, sizeof out), 2, "%s: %s", bad[i][0], out);
        cr_assert(strstr(out, bad[i][1]), "%s: %s", bad[i][0], out);
        cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "%s: more than one line: %s", bad[i][0], out);
    }
}

/* The convention in the PNG (when it is not the InceptionV1 file's own) and in every --json line. */
Test(preprocess_cli, provenance_and_json)
{
    char args[4096], out[8192], v[512];
    const char *png = fv_test_tmp("pre.png");
    snprintf(args, sizeof args, "render mixed3a:1 --size 32 --steps 2 --backend cpu -o %s --weights %s --json "
             "--preprocess torchvision --std 0.25,0.25,0.25", png, fv_test_weights());
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    const char *want = "order=rgb range=0,1 mean=0.485,0.456,0.406 std=0.25,0.25,0.25";
    cr_assert_eq(fv_image_read_png_text(png, "featvis:preprocess", v, sizeof v), FV_OK, "%s", fv_last_error());
    cr_assert_str_eq(v, want);
    char json[600];
    snprintf(json, sizeof json, "\"preprocess\": \"%s\"", want);
    cr_assert(strstr(out, json), "%s", out);
    snprintf(args, sizeof args, "render mixed3a:1 --size 32 --steps 2 --backend cpu -o %s --weights %s --json", png,
             fv_test_weights());
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    cr_assert_neq(fv_image_read_png_text(png, "featvis:preprocess", v, sizeof v), FV_OK,
                  "the BVLC model's own convention went into its PNG: %s", v);
    cr_assert(strstr(out, "\"preprocess\": \"preset=caffe order=bgr range=0,255 mean=104,117,123 std=1,1,1\""), "%s",
              out);
    unlink(png);
}
