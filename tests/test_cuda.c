/* GPU tests of the CUDA backend's instance: the options (the precision too) reach the context and the libraries,
 * two instances coexist, TF32 moves activations by the expected amount, weights are uploaded once per instance,
 * and the colour kernels (called as CUDA twins with the instance's context) match the CPU reference. They skip cleanly
 * (cr_skip_test) when this build has no CUDA or the machine has no usable GPU; the device check script runs
 * them there. The probe test runs everywhere. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/rng.h"

#ifdef FV_HAVE_CUDA
#include <cuda_runtime.h>

#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "models/model.h"
#include "net/plan.h"
#include "testmodel.h"
#ifdef FV_CUDA_EMULATE
#include "cuda/emulate/emu_libs.h"
#endif

static fv_backend *open_gpu(const fv_backend_options *o)
{
    char desc[256];
    if (fv_backend_probe(FV_BACKEND_CUDA, desc, sizeof desc) <= 0) cr_skip_test("no GPU: %s", desc);
    fv_backend *be = NULL;
    cr_assert_eq(fv_backend_open(FV_BACKEND_CUDA, o, &be), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_backend_kind_of(be), FV_BACKEND_CUDA);
    return be;
}

/* Every option lands in the instance's context; the defaults where none is given. */
Test(cuda_context, options_reach_the_context)
{
    fv_backend_options o;
    fv_backend_options_default(&o);
    o.verbose = 1, o.cudnn_fwd_algo = 1, o.cudnn_bwd_data_algo = 0, o.cudnn_workspace_mib = 16, o.cudnn_find = 1;
    fv_backend *be = open_gpu(&o), *plain = open_gpu(NULL);
    const fv_cuda_ctx *c = be->context, *d = plain->context;
    cr_assert(c != d && c->stream != d->stream && c->cudnn != d->cudnn, "two instances share their context");
    cr_assert_eq(c->device, 0);
    cr_assert_eq(c->verbose, 1);
    cr_assert_eq(c->force_fwd_algo, 1);
    cr_assert_eq(c->force_bwd_algo, 0);
    cr_assert_eq(c->ws_cap, (size_t)16 << 20);
    cr_assert_eq(c->use_find, 1);
    cr_assert(c->scratch != NULL);
    cr_assert_eq(d->verbose, 0);
    cr_assert_eq(d->force_fwd_algo, -1);
    cr_assert_eq(d->force_bwd_algo, -1);
    cr_assert_eq(d->ws_cap, (size_t)1024 << 20);
    cr_assert_eq(d->use_find, 0);
    fv_backend_close(be);
    /* the other instance still works after the first closed */
    float *p;
    cr_assert_eq(fv_backend_alloc(plain, (void **)&p, 64 * sizeof(float)), FV_OK, "%s", fv_last_error());
    fv_backend_free(plain, p);
    fv_backend_close(plain);
}

/* A device this machine does not have: one clear line, no instance. */
Test(cuda_context, missing_device_is_refused)
{
    fv_backend *be = open_gpu(NULL);
    int count = 0;
    cr_assert_eq(cudaGetDeviceCount(&count), cudaSuccess);
    fv_backend_close(be);
    fv_backend_options o;
    fv_backend_options_default(&o);
    o.device = count;
    be = (fv_backend *)1;
    cr_assert_eq(fv_backend_open(FV_BACKEND_CUDA, &o, &be), FV_ERR_UNSUPPORTED);
    cr_assert_null(be);
    cr_assert(strstr(fv_last_error(), "device") && !strchr(fv_last_error(), '\n'), "%s", fv_last_error());
}

/* Tolerance: expf on the device differs from libm's by a few ulp; after the sigmoid and one 3x3
 * product that stays well under 1e-6 absolute for values in [0,1]. */
Test(cuda_colour, matches_cpu_forward_and_backward)
{
    fv_backend *be = open_gpu(NULL);
    fv_cuda_ctx *ctx = be->context;
    const int n = 3, hw = 37 * 41, total = n * 3 * hw;
    float *t = malloc(sizeof(float) * total), *g = malloc(sizeof(float) * total);
    float *rgb_c = malloc(sizeof(float) * total), *dt_c = malloc(sizeof(float) * total);
    float *rgb_g = malloc(sizeof(float) * total), *dt_g = malloc(sizeof(float) * total);
    for (int i = 0; i < total; i++) {
        t[i] = (float)(2 * fv_rng_normal(11, i));
        g[i] = (float)fv_rng_normal(12, i);
    }
    float *dt, *dg, *drgb, *ddt;
    cr_assert_eq(cudaMalloc((void **)&dt, sizeof(float) * total), cudaSuccess);
    cr_assert_eq(cudaMalloc((void **)&dg, sizeof(float) * total), cudaSuccess);
    cr_assert_eq(cudaMalloc((void **)&drgb, sizeof(float) * total), cudaSuccess);
    cr_assert_eq(cudaMalloc((void **)&ddt, sizeof(float) * total), cudaSuccess);
    cudaMemcpy(dt, t, sizeof(float) * total, cudaMemcpyHostToDevice);
    cudaMemcpy(dg, g, sizeof(float) * total, cudaMemcpyHostToDevice);
    for (int dec = 0; dec < 2; dec++) {
        cr_assert_eq(fv_colour_fwd_cpu(n, hw, dec, t, rgb_c), FV_OK);
        cr_assert_eq(fv_colour_bwd_cpu(n, hw, dec, rgb_c, g, dt_c), FV_OK);
        cr_assert_eq(fv_colour_fwd_cuda(ctx, n, hw, dec, dt, drgb), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_colour_bwd_cuda(ctx, n, hw, dec, drgb, dg, ddt), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_cuda_sync(ctx), FV_OK);
        cudaMemcpy(rgb_g, drgb, sizeof(float) * total, cudaMemcpyDeviceToHost);
        cudaMemcpy(dt_g, ddt, sizeof(float) * total, cudaMemcpyDeviceToHost);
        for (int i = 0; i < total; i++) {
            cr_assert(isfinite(rgb_g[i]) && isfinite(dt_g[i]), "non-finite at %d", i);
            cr_assert(fabsf(rgb_g[i] - rgb_c[i]) <= 1e-6f + 1e-5f * fabsf(rgb_c[i]), "rgb[%d]: gpu %g cpu %g", i,
                      rgb_g[i], rgb_c[i]);
            cr_assert(fabsf(dt_g[i] - dt_c[i]) <= 1e-6f + 1e-5f * fabsf(dt_c[i]), "dt[%d]: gpu %g cpu %g", i, dt_g[i],
                      dt_c[i]);
        }
    }
    cudaFree(dt), cudaFree(dg), cudaFree(drgb), cudaFree(ddt);
    free(t), free(g), free(rgb_c), free(dt_c), free(rgb_g), free(dt_g);
    fv_backend_close(be);
}

static fv_backend *open_precision(fv_precision prec)
{
    fv_backend_options o;
    fv_backend_options_default(&o);
    o.precision = prec;
    return open_gpu(&o);
}

/* --precision reaches the context and cuBLAS: FP32 keeps cuBLAS out of TF32; TF32 where the GPU has tensor cores
 * (compute capability 8.0+, refused below it); AUTO is TF32 exactly there. */
Test(cuda_context, precision_reaches_the_context_and_cublas)
{
    fv_backend *f = open_precision(FV_PRECISION_FP32), *a = open_precision(FV_PRECISION_AUTO);
    struct cudaDeviceProp prop;
    cr_assert_eq(cudaGetDeviceProperties(&prop, 0), cudaSuccess);
    const int has_tf32 = prop.major >= 8;
    const fv_cuda_ctx *cf = f->context, *ca = a->context;
    cublasMath_t m;
    cr_assert_eq(cf->tf32, 0);
    cr_assert_eq(cublasGetMathMode(cf->cublas, &m), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(m, CUBLAS_DEFAULT_MATH, "FP32 instance: cuBLAS math %d", (int)m);
    cr_assert_eq(ca->tf32, has_tf32, "AUTO on compute %d.%d", prop.major, prop.minor);
    cr_assert_eq(cublasGetMathMode(ca->cublas, &m), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(m, has_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH, "AUTO instance: cuBLAS math %d", (int)m);
    fv_backend_options o;
    fv_backend_options_default(&o);
    o.precision = FV_PRECISION_TF32;
    fv_backend *t = NULL;
    fv_status st = fv_backend_open(FV_BACKEND_CUDA, &o, &t);
    if (has_tf32) {
        cr_assert_eq(st, FV_OK, "%s", fv_last_error());
        cr_assert_eq(((const fv_cuda_ctx *)t->context)->tf32, 1);
    } else {
        cr_assert_neq(st, FV_OK, "TF32 on compute %d.%d must be refused", prop.major, prop.minor);
    }
    fv_backend_close(t);
    fv_backend_close(a);
    fv_backend_close(f);
}

/* max |a - b| / max |b| over n floats */
static double rel_diff(const float *a, const float *b, size_t n)
{
    double worst = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)b[i]));
    }
    return worst / scale;
}

/* The whole network in FP32 tracks the CPU; in TF32 it moves by the expected amount (README, GPU: about 1e-3 of
 * the layer's scale, measured on the emulated device with TF32 rounded to nearest) and no more. In the emulated
 * build the libraries also report the math each call ran with, and TF32 must have changed the numbers. */
Test(cuda_precision, tf32_moves_activations_by_the_expected_amount, .timeout = 300)
{
    fv_backend *f = open_precision(FV_PRECISION_FP32);
    struct cudaDeviceProp prop;
    cr_assert_eq(cudaGetDeviceProperties(&prop, 0), cudaSuccess);
    if (prop.major < 8) {
        fv_backend_close(f);
        cr_skip_test("no TF32 on compute %d.%d", prop.major, prop.minor);
    }
    fv_backend *t = open_precision(FV_PRECISION_TF32), *cpu = NULL;
    cr_assert_eq(fv_backend_open(FV_BACKEND_CPU, NULL, &cpu), FV_OK, "%s", fv_last_error());
    fv_model *m = fv_test_load_bvlc();
    fv_image img;
    cr_assert_eq(fv_image_read_png(FV_TEST_CAT, &img), FV_OK, "%s", fv_last_error());
    float *ac, *af, *at;
    int c, h, w;
    cr_assert_eq(fv_activations(m, cpu, &img, "mixed4a", &ac, &c, &h, &w), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_activations(m, f, &img, "mixed4a", &af, &c, &h, &w), FV_OK, "%s", fv_last_error());
#ifdef FV_CUDA_EMULATE
    cr_assert_eq(fv_emu_last_conv_math(), CUDNN_FMA_MATH, "FP32 ran a convolution with math %d", fv_emu_last_conv_math());
#endif
    cr_assert_eq(fv_activations(m, t, &img, "mixed4a", &at, &c, &h, &w), FV_OK, "%s", fv_last_error());
#ifdef FV_CUDA_EMULATE
    cr_assert_neq(fv_emu_last_conv_math(), CUDNN_FMA_MATH, "TF32 ran a convolution in FMA math");
#endif
    const size_t n = (size_t)c * h * w;
    const double df = rel_diff(af, ac, n), dt = rel_diff(at, ac, n);
    cr_log_info("mixed4a, max |gpu - cpu| / max |cpu|: FP32 %.2e, TF32 %.2e", df, dt);
    cr_assert(df < 1e-5, "FP32 differs from the CPU by %g", df);
    cr_assert(dt < 3e-3, "TF32 differs from the CPU by %g", dt);
#ifdef FV_CUDA_EMULATE
    cr_assert(dt > 1e-4, "TF32 changed nothing (%g): the operands were not rounded", dt);
#endif
    /* the classifier's matrix product goes through cuBLAS in the instance's math */
    float pf[1000], pt[1000];
    cr_assert_eq(fv_classify(m, f, &img, pf), FV_OK, "%s", fv_last_error());
#ifdef FV_CUDA_EMULATE
    cr_assert_eq(fv_emu_last_gemm_math(), CUBLAS_DEFAULT_MATH);
#endif
    cr_assert_eq(fv_classify(m, t, &img, pt), FV_OK, "%s", fv_last_error());
#ifdef FV_CUDA_EMULATE
    cr_assert_eq(fv_emu_last_gemm_math(), CUBLAS_TF32_TENSOR_OP_MATH);
#endif
    cr_assert(fabsf(pf[285] - pt[285]) < 5e-3f, "P(Egyptian cat): FP32 %g, TF32 %g", pf[285], pt[285]);
    free(ac), free(af), free(at);
    fv_image_free(&img);
    fv_model_free(m);
    fv_backend_close(cpu), fv_backend_close(t), fv_backend_close(f);
}

/* The index of the first node with weights that the plan runs. */
static int first_weighted(const fv_plan *p)
{
    for (int i = 0; i < p->net->nnodes; i++)
        if (p->needed[i] && p->net->nodes[i].w) return i;
    return -1;
}

/* Weights reach the device once per instance: every plan of one network reads the same copy; a second network
 * (a reloaded model is another network) gets its own copy while a plan of the first still runs on the first,
 * which is never released under it; closing the plans lets the next network's arrival release unused copies. */
Test(cuda_weights, uploaded_once_and_never_freed_under_a_plan)
{
    fv_backend *be = open_precision(FV_PRECISION_FP32);
    fv_model *a = fv_test_load_bvlc(), *b = fv_test_load_bvlc();
    const int ta = fv_net_find(&a->net, "conv2d1"), tb = fv_net_find(&b->net, "conv2d1");
    cr_assert(ta >= 0 && tb >= 0);
    fv_plan *pa1, *pa2, *pb;
    cr_assert_eq(fv_plan_create(&a->net, be, 1, 32, 32, &ta, 1, &pa1), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_plan_create(&a->net, be, 2, 40, 40, &ta, 1, &pa2), FV_OK, "%s", fv_last_error());
    const int k = first_weighted(pa1);
    cr_assert(k >= 0);
    cr_assert(pa1->dw[k] && pa1->dw[k] == pa2->dw[k], "two plans of one network uploaded twice");
    cr_assert_eq(pa1->db[k], pa2->db[k]);
    cr_assert_eq(fv_plan_create(&b->net, be, 1, 32, 32, &tb, 1, &pb), FV_OK, "%s", fv_last_error());
    cr_assert(pb->dw[k] != pa1->dw[k], "another network read the first network's copy");
    /* the first network's copy is still there, with its values */
    const fv_net_node *nd = &a->net.nodes[k];
    const size_t cnt = (size_t)nd->cout * nd->cin * nd->kh * nd->kw;
    float *back = malloc(cnt * sizeof *back);
    cr_assert_eq(fv_backend_download(be, back, pa1->dw[k], cnt * sizeof *back), FV_OK, "%s", fv_last_error());
    cr_assert_eq(memcmp(back, nd->w, cnt * sizeof *back), 0, "the first network's weights changed under its plan");
    cr_assert_eq(fv_plan_forward(pa1), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_plan_forward(pb), FV_OK, "%s", fv_last_error());
    free(back);
    fv_plan_free(pa1), fv_plan_free(pa2), fv_plan_free(pb);
    fv_model_free(a), fv_model_free(b);
    fv_backend_close(be);
}
#endif

/* Runs everywhere: the probe answers without crashing and says why when there is no GPU. */
Test(cuda_probe, answers_with_a_reason)
{
    char desc[256] = "";
    int n = fv_backend_probe(FV_BACKEND_CUDA, desc, sizeof desc);
    cr_assert(desc[0] != 0, "probe gave no description");
    if (n <= 0) cr_log_info("no GPU here: %s", desc);
}
