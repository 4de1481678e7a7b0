/* GPU tests: the CUDA colour kernels against the CPU reference. They skip cleanly (cr_skip_test) when
 * this build has no CUDA or the machine has no usable GPU; the device check script runs them there. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "backend/cuda_probe.h"
#include "backend/ops.h"
#include "core/rng.h"

#ifdef FV_HAVE_CUDA
#include <cuda_runtime.h>

#include "cuda/ops_cuda.h"

static void require_gpu(void)
{
    char desc[256];
    if (fv_cuda_probe(desc, sizeof desc) <= 0) cr_skip_test("no GPU: %s", desc);
}

/* Tolerance: expf on the device differs from libm's by a few ulp; after the sigmoid and one 3x3
 * product that stays well under 1e-6 absolute for values in [0,1]. */
Test(cuda_colour, matches_cpu_forward_and_backward)
{
    require_gpu();
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
        cr_assert_eq(fv_colour_fwd_cuda(n, hw, dec, dt, drgb), FV_OK);
        cr_assert_eq(fv_colour_bwd_cuda(n, hw, dec, drgb, dg, ddt), FV_OK);
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
}
#endif

/* Runs everywhere: the probe answers without crashing and says why when there is no GPU. */
Test(cuda_probe, answers_with_a_reason)
{
    char desc[256] = "";
    int n = fv_cuda_probe(desc, sizeof desc);
    cr_assert(desc[0] != 0, "probe gave no description");
    if (n <= 0) cr_log_info("no GPU here: %s", desc);
}
