/* The CPU backend table: the reference implementation every other backend is tested against.
 * Memory is host memory; threads come from OpenMP loops, OpenBLAS and FFTW. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"

static fv_status cpu_alloc(void **p, size_t bytes)
{
    *p = calloc(1, bytes ? bytes : 1);
    if (!*p) return fv_fail(FV_ERR_NOMEM, "cpu: cannot allocate %zu bytes", bytes);
    return FV_OK;
}

static void cpu_free(void *p) { free(p); }

static fv_status cpu_copy(void *dst, const void *src, size_t bytes)
{
    memmove(dst, src, bytes);
    return FV_OK;
}

static fv_status cpu_zero(void *dst, size_t bytes)
{
    memset(dst, 0, bytes);
    return FV_OK;
}

/* MemAvailable from /proc/meminfo: what a batch may use without swapping. */
static fv_status cpu_mem_info(size_t *free_bytes, size_t *total_bytes)
{
    *free_bytes = *total_bytes = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return fv_fail(FV_ERR_IO, "/proc/meminfo: cannot open");
    char line[256];
    unsigned long long kb;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) *total_bytes = (size_t)kb * 1024;
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) *free_bytes = (size_t)kb * 1024;
    }
    fclose(f);
    return FV_OK;
}

static fv_status cpu_fft_create(int n, int h, int w, void **plan)
{
    return fv_fft_plan_create_cpu(n, h, w, (fv_fft_plan_cpu **)plan);
}

static void cpu_fft_free(void *plan) { fv_fft_plan_free_cpu(plan); }

static fv_status cpu_s2i(void *plan, const float *spec, const float *scale, float *img)
{
    return fv_spectrum_to_image_cpu(plan, spec, scale, img);
}

static fv_status cpu_s2i_bwd(void *plan, const float *dimg, const float *scale, float *dspec)
{
    return fv_spectrum_to_image_bwd_cpu(plan, dimg, scale, dspec);
}

static fv_status cpu_i2s(void *plan, const float *img, const float *scale, float *spec)
{
    return fv_image_to_spectrum_cpu(plan, img, scale, spec);
}

const fv_backend_i fv_backend_cpu = {
    .name = "cpu",
    .host_memory = 1,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .zero = cpu_zero,
    .mem_info = cpu_mem_info,
    .conv2d_workspace = fv_conv2d_workspace_cpu,
    .conv2d_fwd = fv_conv2d_fwd_cpu,
    .conv2d_bwd_data = fv_conv2d_bwd_data_cpu,
    .relu_fwd = fv_relu_fwd_cpu,
    .relu_bwd = fv_relu_bwd_cpu,
    .pool_fwd = fv_pool_fwd_cpu,
    .pool_bwd = fv_pool_bwd_cpu,
    .lrn_fwd = fv_lrn_fwd_cpu,
    .lrn_bwd = fv_lrn_bwd_cpu,
    .fc_fwd = fv_fc_fwd_cpu,
    .fc_bwd = fv_fc_bwd_cpu,
    .softmax_fwd = fv_softmax_fwd_cpu,
    .softmax_bwd = fv_softmax_bwd_cpu,
    .fft_plan_create = cpu_fft_create,
    .fft_plan_free = cpu_fft_free,
    .spectrum_to_image = cpu_s2i,
    .spectrum_to_image_bwd = cpu_s2i_bwd,
    .image_to_spectrum = cpu_i2s,
    .colour_fwd = fv_colour_fwd_cpu,
    .colour_bwd = fv_colour_bwd_cpu,
    .resample_fwd = fv_resample_fwd_cpu,
    .resample_bwd = fv_resample_bwd_cpu,
    .tfchain_fwd = fv_tfchain_fwd_cpu,
    .tfchain_bwd = fv_tfchain_bwd_cpu,
    .preprocess_fwd = fv_preprocess_fwd_cpu,
    .preprocess_bwd = fv_preprocess_bwd_cpu,
    .adam = fv_adam_cpu,
    .objective_fwd = fv_objective_fwd_cpu,
    .objective_bwd = fv_objective_bwd_cpu,
    .diversity_fwd = fv_diversity_fwd_cpu,
    .diversity_bwd = fv_diversity_bwd_cpu,
    .diversity_workspace = fv_diversity_workspace_cpu,
    .penalty_fwd = fv_penalty_fwd_cpu,
    .penalty_bwd = fv_penalty_bwd_cpu,
    .alignment_fwd = fv_alignment_fwd_cpu,
    .alignment_bwd = fv_alignment_bwd_cpu,
    .lowres_fwd = fv_lowres_fwd_cpu,
    .lowres_bwd = fv_lowres_bwd_cpu,
};
