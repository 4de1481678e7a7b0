/* GPU tests of the CUDA backend's instance: the options reach the context, two instances coexist, and the
 * colour kernels (called as CUDA twins with the instance's context) match the CPU reference. They skip cleanly
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
#endif

/* Runs everywhere: the probe answers without crashing and says why when there is no GPU. */
Test(cuda_probe, answers_with_a_reason)
{
    char desc[256] = "";
    int n = fv_backend_probe(FV_BACKEND_CUDA, desc, sizeof desc);
    cr_assert(desc[0] != 0, "probe gave no description");
    if (n <= 0) cr_log_info("no GPU here: %s", desc);
}
