/* Tests of the backend contract that need no GPU: the options and their ranges, opening and closing instances
 * (two CPU instances side by side; a CUDA instance on a machine without a GPU fails with one line), calls
 * through an instance reaching the CPU twins, and the shared argument checks (backend/checks.c): the CPU twin
 * and, in a CUDA build, the CUDA twin refuse the same bad arguments with the same status and message, before
 * either touches memory (the CUDA twins are called without a context: they must fail in their checks). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "testutil.h"

#ifdef FV_HAVE_CUDA
#include "cuda/ops_cuda.h"
#endif

static int one_line(const char *s) { return s && *s && !strchr(s, '\n'); }

/* ---------- options ---------- */

Test(backend_options, defaults_pass_and_out_of_range_values_are_refused)
{
    fv_backend_options o;
    fv_backend_options_default(&o);
    cr_assert_eq(o.device, 0);
    cr_assert_eq(o.cudnn_fwd_algo, -1);
    cr_assert_eq(o.cudnn_bwd_data_algo, -1);
    cr_assert_eq(o.cudnn_workspace_mib, 1024);
    cr_assert_eq(o.cudnn_find, 0);
    cr_assert_eq(o.verbose, 0);
    cr_assert_eq(fv_backend_options_check(&o), FV_OK);
    /* each field at its last good value, then one past it: {field offset, good, bad, name in the message} */
    struct {
        int *field, good, bad;
        const char *name;
    } cases[] = {
        {&o.cudnn_fwd_algo, FV_CUDNN_FWD_ALGOS - 1, FV_CUDNN_FWD_ALGOS, "forward algorithm"},
        {&o.cudnn_fwd_algo, -1, -2, "forward algorithm"},
        {&o.cudnn_bwd_data_algo, FV_CUDNN_BWD_DATA_ALGOS - 1, FV_CUDNN_BWD_DATA_ALGOS, "backward-data algorithm"},
        {&o.cudnn_bwd_data_algo, 0, -7, "backward-data algorithm"},
        {&o.cudnn_workspace_mib, 0, -1, "workspace"},
        {&o.cudnn_workspace_mib, 1 << 20, (1 << 20) + 1, "workspace"},
        {&o.cudnn_find, 1, 2, "find"},
        {&o.device, 3, -1, "device"},
        {&o.verbose, 1, 5, "verbose"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fv_backend_options_default(&o);
        *cases[i].field = cases[i].good;
        cr_assert_eq(fv_backend_options_check(&o), FV_OK, "case %zu: %s", i, fv_last_error());
        *cases[i].field = cases[i].bad;
        cr_assert_eq(fv_backend_options_check(&o), FV_ERR_ARG, "case %zu: %d accepted", i, cases[i].bad);
        cr_assert(one_line(fv_last_error()) && strstr(fv_last_error(), cases[i].name), "case %zu: %s", i,
                  fv_last_error());
    }
    cr_assert_eq(fv_backend_options_check(NULL), FV_ERR_ARG);
}

/* Bad options fail before any device is looked for, so on every machine and for every kind alike. */
Test(backend_options, open_refuses_them_for_every_kind)
{
    fv_backend_options o;
    fv_backend_options_default(&o);
    o.cudnn_fwd_algo = 8;
    fv_backend_kind kinds[] = {FV_BACKEND_CPU, FV_BACKEND_CUDA, FV_BACKEND_AUTO};
    for (int k = 0; k < 3; k++) {
        fv_backend *be = (fv_backend *)&o; /* must come back NULL */
        cr_assert_eq(fv_backend_open(kinds[k], &o, &be), FV_ERR_ARG, "kind %d", k);
        cr_assert_null(be);
        cr_assert(strstr(fv_last_error(), "forward algorithm 8"), "%s", fv_last_error());
    }
    cr_assert_eq(fv_backend_open(FV_BACKEND_CPU, NULL, NULL), FV_ERR_ARG);
    fv_backend *be = NULL;
    cr_assert_eq(fv_backend_open((fv_backend_kind)7, NULL, &be), FV_ERR_ARG);
    cr_assert_null(be);
}

/* ---------- instances ---------- */

Test(backend_instance, cuda_without_a_gpu_fails_with_one_line)
{
    char desc[256];
    if (fv_backend_probe(FV_BACKEND_CUDA, desc, sizeof desc) > 0) cr_skip_test("a GPU is present: %s", desc);
    cr_assert(one_line(desc), "%s", desc);
    fv_backend *be = (fv_backend *)desc;
    cr_assert_eq(fv_backend_open(FV_BACKEND_CUDA, NULL, &be), FV_ERR_UNSUPPORTED);
    cr_assert_null(be);
    cr_assert(one_line(fv_last_error()) && strstr(fv_last_error(), "CUDA"), "%s", fv_last_error());
    /* auto falls back to the CPU, silently */
    cr_assert_eq(fv_backend_open(FV_BACKEND_AUTO, NULL, &be), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_backend_kind_of(be), FV_BACKEND_CPU);
    fv_backend_close(be);
    cr_assert_eq(fv_backend_probe(FV_BACKEND_CPU, desc, sizeof desc), 1);
}

/* y = relu(x) and a 3x3 convolution through an instance, bit for bit the CPU twins' answers. */
static void run_ops(fv_backend *be, const float *x, float *relu_out, float *conv_out)
{
    fv_conv_desc d = {{3, 3, 1, 1, 1, 1, 1, 1}, 2, 3, 1, 1, 1};
    float wt[3 * 2 * 9], bias[3] = {0.1f, -0.2f, 0.3f};
    fv_test_fill(wt, 54, 7, -1, 1);
    fv_tensor tx = fv_tensor_make((float *)x, 2, 2, 5, 4);
    size_t nw = fv_conv2d_workspace(be, &d, 2, 5, 4);
    cr_assert_eq(nw, fv_conv2d_workspace_cpu(&d, 2, 5, 4));
    float *work;
    cr_assert_eq(fv_backend_alloc(be, (void **)&work, (nw + 1) * sizeof(float)), FV_OK);
    cr_assert_eq(fv_relu_fwd(be, tx, fv_tensor_make(relu_out, 2, 2, 5, 4)), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_conv2d_fwd(be, &d, tx, wt, bias, fv_tensor_make(conv_out, 2, 3, 5, 4), work), FV_OK, "%s",
                 fv_last_error());
    fv_backend_free(be, work);
}

Test(backend_instance, two_cpu_instances_coexist)
{
    fv_backend_options quiet, loud;
    fv_backend_options_default(&quiet);
    fv_backend_options_default(&loud);
    loud.verbose = 1, loud.cudnn_fwd_algo = 2;
    fv_backend *a = NULL, *b = NULL;
    cr_assert_eq(fv_backend_open(FV_BACKEND_CPU, &quiet, &a), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_backend_open(FV_BACKEND_CPU, &loud, &b), FV_OK, "%s", fv_last_error());
    cr_assert(a != b);
    cr_assert_eq(fv_backend_kind_of(a), FV_BACKEND_CPU);
    cr_assert_eq(fv_backend_kind_of(b), FV_BACKEND_CPU);
    cr_assert(a->options.verbose == 0 && b->options.verbose == 1 && b->options.cudnn_fwd_algo == 2,
              "each instance keeps its own options");
    cr_assert(a->iface->host_memory && !strcmp(a->iface->name, "cpu"));

    float x[80], ra[80], rb[80], ref_r[80], ca[120], cb[120], ref_c[120];
    fv_test_fill(x, 80, 3, -1, 1);
    run_ops(a, x, ra, ca);
    run_ops(b, x, rb, cb);
    fv_conv_desc d = {{3, 3, 1, 1, 1, 1, 1, 1}, 2, 3, 1, 1, 1};
    float wt[54], bias[3] = {0.1f, -0.2f, 0.3f}, *work = calloc(fv_conv2d_workspace_cpu(&d, 2, 5, 4), 4);
    fv_test_fill(wt, 54, 7, -1, 1);
    fv_tensor tx = fv_tensor_make(x, 2, 2, 5, 4);
    cr_assert_eq(fv_relu_fwd_cpu(tx, fv_tensor_make(ref_r, 2, 2, 5, 4)), FV_OK);
    cr_assert_eq(fv_conv2d_fwd_cpu(&d, tx, wt, bias, fv_tensor_make(ref_c, 2, 3, 5, 4), work), FV_OK);
    cr_assert(!memcmp(ra, ref_r, sizeof ra) && !memcmp(rb, ref_r, sizeof rb), "relu through an instance differs");
    cr_assert(!memcmp(ca, ref_c, sizeof ca) && !memcmp(cb, ref_c, sizeof cb), "conv through an instance differs");

    /* closing one leaves the other working */
    fv_backend_close(a);
    run_ops(b, x, rb, cb);
    cr_assert(!memcmp(cb, ref_c, sizeof cb));
    float *buf, back[4] = {0}, four[4] = {1, 2, 3, 4};
    cr_assert_eq(fv_backend_alloc(b, (void **)&buf, sizeof four), FV_OK);
    cr_assert_eq(fv_backend_upload(b, buf, four, sizeof four), FV_OK);
    cr_assert_eq(fv_backend_download(b, back, buf, sizeof back), FV_OK);
    cr_assert(!memcmp(back, four, sizeof four));
    cr_assert_eq(fv_backend_zero(b, buf, sizeof four), FV_OK);
    cr_assert_eq(buf[3], 0.0f);
    size_t freeb = 0, total = 0;
    cr_assert_eq(fv_backend_mem_info(b, &freeb, &total), FV_OK);
    cr_assert(total > 0);
    fv_backend_free(b, buf);
    fv_backend_close(b);
    fv_backend_close(NULL);
    free(work);
}

/* ---------- the shared checks: both twins refuse alike ---------- */

typedef struct refusal {
    fv_status st;
    char msg[512];
} refusal;

static refusal take(fv_status st)
{
    refusal r = {st, ""};
    snprintf(r.msg, sizeof r.msg, "%s", st == FV_OK ? "" : fv_last_error());
    return r;
}

/* The CUDA message is the CPU's with " (cuda)" after the op's name. */
static void same_refusal(const char *what, refusal cpu, refusal cuda)
{
    cr_assert_neq(cpu.st, FV_OK, "%s: the CPU twin accepted it", what);
    cr_assert(one_line(cpu.msg), "%s: %s", what, cpu.msg);
#ifdef FV_HAVE_CUDA
    cr_assert_eq(cuda.st, cpu.st, "%s: cpu %s, cuda %s", what, cpu.msg, cuda.msg);
    char *p = strstr(cuda.msg, " (cuda)");
    cr_assert(p, "%s: %s", what, cuda.msg);
    memmove(p, p + 7, strlen(p + 7) + 1);
    cr_assert_str_eq(cuda.msg, cpu.msg, "%s", what);
#else
    (void)cuda;
#endif
}

#ifdef FV_HAVE_CUDA
#define CUDA_TWIN(call) take(call)
#else
#define CUDA_TWIN(call) take(FV_ERR_UNSUPPORTED)
#endif

Test(backend_checks, network_ops_refuse_alike)
{
    float buf[4096];
    fv_test_fill(buf, 4096, 1, -1, 1);
    fv_tensor x = fv_tensor_make(buf, 1, 2, 6, 6), y = fv_tensor_make(buf + 100, 1, 2, 6, 6);
    fv_tensor small = fv_tensor_make(buf + 200, 1, 2, 5, 6), empty = fv_tensor_make(NULL, 1, 2, 6, 6);
    fv_conv_desc cd = {{3, 3, 1, 1, 1, 1, 1, 1}, 2, 2, 1, 1, 1}, badc = {{0, 3, 1, 1, 1, 1, 1, 1}, 2, 2, 1, 1, 1};
    same_refusal("conv desc", take(fv_conv2d_fwd_cpu(&badc, x, buf, NULL, y, buf)),
                 CUDA_TWIN(fv_conv2d_fwd_cuda(NULL, &badc, x, buf, NULL, y, buf)));
    same_refusal("conv shape", take(fv_conv2d_bwd_data_cpu(&cd, small, buf, x, buf)),
                 CUDA_TWIN(fv_conv2d_bwd_data_cuda(NULL, &cd, small, buf, x, buf)));
    same_refusal("conv weights", take(fv_conv2d_fwd_cpu(&cd, x, NULL, NULL, y, buf)),
                 CUDA_TWIN(fv_conv2d_fwd_cuda(NULL, &cd, x, NULL, NULL, y, buf)));
    same_refusal("relu", take(fv_relu_fwd_cpu(x, small)), CUDA_TWIN(fv_relu_fwd_cuda(NULL, x, small)));
    same_refusal("relu bwd", take(fv_relu_bwd_cpu(x, empty, y, 0)), CUDA_TWIN(fv_relu_bwd_cuda(NULL, x, empty, y, 0)));
    fv_pool_desc pd = {{2, 2, 2, 2, 0, 0, 0, 0}, (fv_pool_kind)5, 0, 0, 0};
    same_refusal("pool kind", take(fv_pool_fwd_cpu(&pd, x, y)), CUDA_TWIN(fv_pool_fwd_cuda(NULL, &pd, x, y)));
    pd.kind = FV_POOL_MAX;
    fv_tensor py = fv_tensor_make(buf + 300, 1, 2, 3, 3);
    same_refusal("pool bwd", take(fv_pool_bwd_cpu(&pd, x, py, small, x)),
                 CUDA_TWIN(fv_pool_bwd_cuda(NULL, &pd, x, py, small, x)));
    fv_lrn_desc ld = {4, 1e-4f, 0.75f, 1.0f};
    same_refusal("lrn even", take(fv_lrn_fwd_cpu(&ld, x, y)), CUDA_TWIN(fv_lrn_fwd_cuda(NULL, &ld, x, y)));
    ld.size = 5;
    same_refusal("lrn alias", take(fv_lrn_fwd_cpu(&ld, x, x)), CUDA_TWIN(fv_lrn_fwd_cuda(NULL, &ld, x, x)));
    same_refusal("lrn bwd", take(fv_lrn_bwd_cpu(&ld, x, y, small, y)),
                 CUDA_TWIN(fv_lrn_bwd_cuda(NULL, &ld, x, y, small, y)));
    fv_tensor fy = fv_tensor_make(buf + 400, 1, 3, 1, 1);
    same_refusal("fc nout", take(fv_fc_fwd_cpu(x, buf, NULL, 4, fy)),
                 CUDA_TWIN(fv_fc_fwd_cuda(NULL, x, buf, NULL, 4, fy)));
    same_refusal("fc bwd", take(fv_fc_bwd_cpu(x, buf, x)), CUDA_TWIN(fv_fc_bwd_cuda(NULL, x, buf, x)));
    same_refusal("softmax", take(fv_softmax_fwd_cpu(empty, y)), CUDA_TWIN(fv_softmax_fwd_cuda(NULL, empty, y)));
    same_refusal("softmax bwd", take(fv_softmax_bwd_cpu(y, x, small)),
                 CUDA_TWIN(fv_softmax_bwd_cuda(NULL, y, x, small)));
    fv_tensor wide = x; /* the same shape in a wider layout: cuDNN refuses y and dy of different strides */
    wide.bstride = 100;
    same_refusal("softmax bwd layout", take(fv_softmax_bwd_cpu(y, wide, x)),
                 CUDA_TWIN(fv_softmax_bwd_cuda(NULL, y, wide, x)));
    cr_assert(strstr(fv_last_error(), "one layout"), "%s", fv_last_error());
    /* valid arguments and no context: the CUDA twin stops at its context, never touches the device */
#ifdef FV_HAVE_CUDA
    cr_assert_eq(fv_relu_fwd_cuda(NULL, x, y), FV_ERR_ARG);
    cr_assert(strstr(fv_last_error(), "no context"), "%s", fv_last_error());
#endif
}

/* Issue 13's operators: one refusal each, the same on both twins. */
Test(backend_checks, onnx_ops_refuse_alike)
{
    float buf[4096];
    fv_test_fill(buf, 4096, 3, -1, 1);
    fv_tensor x = fv_tensor_make(buf, 2, 3, 4, 4), y = fv_tensor_make(buf + 200, 2, 3, 4, 4);
    fv_tensor b2 = fv_tensor_make(buf + 400, 2, 2, 1, 1), b3 = fv_tensor_make(buf + 400, 2, 3, 1, 1);
    fv_act_desc clip = {FV_ACT_CLIP, 6, 0};
    same_refusal("act clip", take(fv_act_fwd_cpu(&clip, x, y)), CUDA_TWIN(fv_act_fwd_cuda(NULL, &clip, x, y)));
    same_refusal("act bwd", take(fv_act_bwd_cpu(NULL, x, y, y)), CUDA_TWIN(fv_act_bwd_cuda(NULL, NULL, x, y, y)));
    same_refusal("binary broadcast", take(fv_binary_fwd_cpu(FV_BINARY_ADD, x, b2, y)),
                 CUDA_TWIN(fv_binary_fwd_cuda(NULL, FV_BINARY_ADD, x, b2, y)));
    same_refusal("binary db", take(fv_binary_bwd_cpu(FV_BINARY_MUL, x, b3, y, x, b2)),
                 CUDA_TWIN(fv_binary_bwd_cuda(NULL, FV_BINARY_MUL, x, b3, y, x, b2)));
    same_refusal("affine", take(fv_affine_fwd_cpu(x, NULL, buf, y)), CUDA_TWIN(fv_affine_fwd_cuda(NULL, x, NULL, buf, y)));
    fv_window pads = {0};
    pads.pad_b = 1;
    same_refusal("pad", take(fv_pad_fwd_cpu(&pads, 0, x, y)), CUDA_TWIN(fv_pad_fwd_cuda(NULL, &pads, 0, x, y)));
    same_refusal("pad bwd", take(fv_pad_bwd_cpu(&pads, y, x)), CUDA_TWIN(fv_pad_bwd_cuda(NULL, &pads, y, x)));
    same_refusal("copy", take(fv_copy_fwd_cpu(x, b2)), CUDA_TWIN(fv_copy_fwd_cuda(NULL, x, b2)));
    fv_conv_desc cd = {{3, 3, 1, 1, 1, 1, 1, 1}, 3, 4, 2, 1, 1};
    same_refusal("conv groups", take(fv_conv2d_fwd_cpu(&cd, x, buf, NULL, y, buf)),
                 CUDA_TWIN(fv_conv2d_fwd_cuda(NULL, &cd, x, buf, NULL, y, buf)));
    fv_pool_desc pd = {{2, 2, 2, 2, 0, 0, 0, 0}, FV_POOL_AVG, 1, 1, 0};
    fv_tensor py = fv_tensor_make(buf + 600, 2, 3, 2, 2);
    same_refusal("pool over", take(fv_pool_fwd_cpu(&pd, x, py)), CUDA_TWIN(fv_pool_fwd_cuda(NULL, &pd, x, py)));
}

Test(backend_checks, parameterisation_and_objective_ops_refuse_alike)
{
    float buf[4096];
    fv_test_fill(buf, 4096, 2, 0, 1);
    const int perm[3] = {0, 0, 2}, good[3] = {2, 1, 0};
    const float mean[3] = {1, 2, 3};
    same_refusal("colour", take(fv_colour_fwd_cpu(2, 16, 1, NULL, buf)),
                 CUDA_TWIN(fv_colour_fwd_cuda(NULL, 2, 16, 1, NULL, buf)));
    fv_affine maps[1] = {{{1, 0, 0, 0, 1, 0}}};
    same_refusal("resample", take(fv_resample_fwd_cpu(1, 3, 0, 4, buf, maps, 0, 4, 4, buf)),
                 CUDA_TWIN(fv_resample_fwd_cuda(NULL, 1, 3, 0, 4, buf, maps, 0, 4, 4, buf)));
    /* a valid chain, then one with another output size */
    fv_tfchain ch[2] = {{8, 2, 0, 0, 12, 12, 1, 0, 0, 0, 0, 0, 10, 0.5f, 0},
                        {8, 2, 0, 0, 12, 12, 1, 0, 0, 0, 0, 0, 9, 0.5f, 0}};
    same_refusal("tfchain", take(fv_tfchain_fwd_cpu(2, 3, ch, buf, buf)),
                 CUDA_TWIN(fv_tfchain_fwd_cuda(NULL, 2, 3, ch, buf, buf)));
    same_refusal("preprocess", take(fv_preprocess_fwd_cpu(1, 4, perm, 255, mean, mean, buf, buf)),
                 CUDA_TWIN(fv_preprocess_fwd_cuda(NULL, 1, 4, perm, 255, mean, mean, buf, buf)));
    same_refusal("preprocess bwd", take(fv_preprocess_bwd_cpu(1, 4, good, 255, mean, NULL, buf)),
                 CUDA_TWIN(fv_preprocess_bwd_cuda(NULL, 1, 4, good, 255, mean, NULL, buf)));
    const float zero_std[3] = {1, 0, 1};
    same_refusal("preprocess std", take(fv_preprocess_fwd_cpu(1, 4, good, 255, mean, zero_std, buf, buf)),
                 CUDA_TWIN(fv_preprocess_fwd_cuda(NULL, 1, 4, good, 255, mean, zero_std, buf, buf)));
    same_refusal("adam", take(fv_adam_cpu(4, buf, buf, buf, buf, 0, 0.05f, 0.9f, 0.999f, 1e-8f)),
                 CUDA_TWIN(fv_adam_cuda(NULL, 4, buf, buf, buf, buf, 0, 0.05f, 0.9f, 0.999f, 1e-8f)));
    same_refusal("penalty", take(fv_penalty_fwd_cpu(2, 0, 4, buf, 1, 0, 0, 0, buf)),
                 CUDA_TWIN(fv_penalty_fwd_cuda(NULL, 2, 0, 4, buf, 1, 0, 0, 0, buf)));
    same_refusal("lowres", take(fv_lowres_bwd_cpu(2, 3, 4, 4, 0, 8, 8, buf, buf)),
                 CUDA_TWIN(fv_lowres_bwd_cuda(NULL, 2, 3, 4, 4, 0, 8, 8, buf, buf)));
    fv_fft_plan_cpu *pc = (fv_fft_plan_cpu *)buf; /* a refused plan comes back NULL */
#ifdef FV_HAVE_CUDA
    fv_fft_plan_cuda *pg = (fv_fft_plan_cuda *)buf;
#endif
    same_refusal("fft plan", take(fv_fft_plan_create_cpu(0, 8, 8, &pc)),
                 CUDA_TWIN(fv_fft_plan_create_cuda(NULL, 0, 8, 8, &pg)));
    cr_assert_null(pc);
#ifdef FV_HAVE_CUDA
    cr_assert_null(pg);
#endif

    fv_tensor act = fv_tensor_make(buf, 3, 4, 5, 5), other = fv_tensor_make(buf + 400, 3, 4, 5, 6);
    float values[4];
    fv_obj_term t[2] = {{FV_OBJ_CHANNEL, 0, 1, 0, 0, 1.0f, NULL}, {FV_OBJ_NEURON, 2, 1, 5, 0, 1.0f, NULL}};
    same_refusal("objective neuron", take(fv_objective_fwd_cpu(t, 2, act, values)),
                 CUDA_TWIN(fv_objective_fwd_cuda(NULL, t, 2, act, values)));
    t[1].y = 1, t[1].image = 3;
    same_refusal("objective image", take(fv_objective_bwd_cpu(t, 2, act, act)),
                 CUDA_TWIN(fv_objective_bwd_cuda(NULL, t, 2, act, act)));
    t[1].image = 2;
    same_refusal("objective dact", take(fv_objective_bwd_cpu(t, 2, act, other)),
                 CUDA_TWIN(fv_objective_bwd_cuda(NULL, t, 2, act, other)));
    float v;
    same_refusal("diversity group", take(fv_diversity_fwd_cpu(act, 1, 3, &v, buf + 1000)),
                 CUDA_TWIN(fv_diversity_fwd_cuda(NULL, act, 1, 3, &v, buf + 1000)));
    same_refusal("diversity dact", take(fv_diversity_bwd_cpu(act, 0, 3, 1.0f, other, buf + 1000)),
                 CUDA_TWIN(fv_diversity_bwd_cuda(NULL, act, 0, 3, 1.0f, other, buf + 1000)));
    same_refusal("alignment decay", take(fv_alignment_fwd_cpu(act, 0, 3, 0.0f, &v)),
                 CUDA_TWIN(fv_alignment_fwd_cuda(NULL, act, 0, 3, 0.0f, &v)));
    same_refusal("alignment dact", take(fv_alignment_bwd_cpu(act, 0, 3, 2.0f, 1.0f, other)),
                 CUDA_TWIN(fv_alignment_bwd_cuda(NULL, act, 0, 3, 2.0f, 1.0f, other)));
}
