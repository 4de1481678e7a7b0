/* The CPU backend: the reference implementation every other backend is tested against. Its table's entries
 * are thin adapters that drop the instance context (the CPU keeps no per-instance state) and call the CPU twins
 * (fv_<op>_cpu, declared in backend/ops.h, whose signatures tests use directly). Memory is host memory; threads
 * come from OpenMP loops, OpenBLAS and FFTW. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"

/* ---------- memory ---------- */

static void cpu_close(void *ctx) { (void)ctx; }

/* Zero-filled and 256-byte aligned, as cudaMalloc returns, so views into a plan's arena are aligned alike on
 * both backends. */
static fv_status cpu_alloc(void *ctx, void **p, size_t bytes)
{
    (void)ctx;
    const size_t n = (bytes ? bytes : 1) + 255 - ((bytes ? bytes : 1) + 255) % 256;
    *p = aligned_alloc(256, n);
    if (!*p) return fv_fail(FV_ERR_NOMEM, "cpu: cannot allocate %zu bytes", bytes);
    memset(*p, 0, n);
    return FV_OK;
}

static void cpu_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static fv_status cpu_copy(void *ctx, void *dst, const void *src, size_t bytes)
{
    (void)ctx;
    memmove(dst, src, bytes);
    return FV_OK;
}

static fv_status cpu_zero(void *ctx, void *dst, size_t bytes)
{
    (void)ctx;
    memset(dst, 0, bytes);
    return FV_OK;
}

/* MemAvailable from /proc/meminfo: what a batch may use without swapping. */
static fv_status cpu_mem_info(void *ctx, size_t *free_bytes, size_t *total_bytes)
{
    (void)ctx;
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

/* ---------- the ops: adapters to the CPU twins ---------- */

static size_t cpu_conv2d_workspace(void *ctx, const fv_conv_desc *d, int n, int h, int w)
{
    (void)ctx;
    return fv_conv2d_workspace_cpu(d, n, h, w);
}

static fv_status cpu_conv2d_fwd(void *ctx, const fv_conv_desc *d, fv_tensor x, const float *wt, const float *bias,
                                fv_tensor y, float *work)
{
    (void)ctx;
    return fv_conv2d_fwd_cpu(d, x, wt, bias, y, work);
}

static fv_status cpu_conv2d_bwd_data(void *ctx, const fv_conv_desc *d, fv_tensor dy, const float *wt, fv_tensor dx,
                                     float *work)
{
    (void)ctx;
    return fv_conv2d_bwd_data_cpu(d, dy, wt, dx, work);
}

static fv_status cpu_relu_fwd(void *ctx, fv_tensor x, fv_tensor y)
{
    (void)ctx;
    return fv_relu_fwd_cpu(x, y);
}

static fv_status cpu_relu_bwd(void *ctx, fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect)
{
    (void)ctx;
    return fv_relu_bwd_cpu(x, dy, dx, redirect);
}

static fv_status cpu_pool_fwd(void *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y)
{
    (void)ctx;
    return fv_pool_fwd_cpu(d, x, y);
}

static fv_status cpu_pool_bwd(void *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    (void)ctx;
    return fv_pool_bwd_cpu(d, x, y, dy, dx);
}

static fv_status cpu_lrn_fwd(void *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y)
{
    (void)ctx;
    return fv_lrn_fwd_cpu(d, x, y);
}

static fv_status cpu_lrn_bwd(void *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    (void)ctx;
    return fv_lrn_bwd_cpu(d, x, y, dy, dx);
}

static fv_status cpu_fc_fwd(void *ctx, fv_tensor x, const float *wt, const float *bias, int nout, fv_tensor y)
{
    (void)ctx;
    return fv_fc_fwd_cpu(x, wt, bias, nout, y);
}

static fv_status cpu_fc_bwd(void *ctx, fv_tensor dy, const float *wt, fv_tensor dx)
{
    (void)ctx;
    return fv_fc_bwd_cpu(dy, wt, dx);
}

static fv_status cpu_softmax_fwd(void *ctx, fv_tensor x, fv_tensor y)
{
    (void)ctx;
    return fv_softmax_fwd_cpu(x, y);
}

static fv_status cpu_softmax_bwd(void *ctx, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    (void)ctx;
    return fv_softmax_bwd_cpu(y, dy, dx);
}

static fv_status cpu_act_fwd(void *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor y)
{
    (void)ctx;
    return fv_act_fwd_cpu(d, x, y);
}

static fv_status cpu_act_bwd(void *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx)
{
    (void)ctx;
    return fv_act_bwd_cpu(d, x, dy, dx);
}

static fv_status cpu_binary_fwd(void *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y)
{
    (void)ctx;
    return fv_binary_fwd_cpu(k, a, b, y);
}

static fv_status cpu_binary_bwd(void *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy, fv_tensor da,
                                fv_tensor db)
{
    (void)ctx;
    return fv_binary_bwd_cpu(k, a, b, dy, da, db);
}

static fv_status cpu_affine_fwd(void *ctx, fv_tensor x, const float *scale, const float *shift, fv_tensor y)
{
    (void)ctx;
    return fv_affine_fwd_cpu(x, scale, shift, y);
}

static fv_status cpu_affine_bwd(void *ctx, fv_tensor dy, const float *scale, fv_tensor dx)
{
    (void)ctx;
    return fv_affine_bwd_cpu(dy, scale, dx);
}

static fv_status cpu_pad_fwd(void *ctx, const fv_window *pads, float value, fv_tensor x, fv_tensor y)
{
    (void)ctx;
    return fv_pad_fwd_cpu(pads, value, x, y);
}

static fv_status cpu_pad_bwd(void *ctx, const fv_window *pads, fv_tensor dy, fv_tensor dx)
{
    (void)ctx;
    return fv_pad_bwd_cpu(pads, dy, dx);
}

static fv_status cpu_copy_fwd(void *ctx, fv_tensor x, fv_tensor y)
{
    (void)ctx;
    return fv_copy_fwd_cpu(x, y);
}

static fv_status cpu_copy_bwd(void *ctx, fv_tensor dy, fv_tensor dx)
{
    (void)ctx;
    return fv_copy_bwd_cpu(dy, dx);
}

static fv_status cpu_fft_plan_create(void *ctx, int n, int h, int w, void **plan)
{
    (void)ctx;
    return fv_fft_plan_create_cpu(n, h, w, (fv_fft_plan_cpu **)plan);
}

static void cpu_fft_plan_free(void *ctx, void *plan)
{
    (void)ctx;
    fv_fft_plan_free_cpu((fv_fft_plan_cpu *)plan);
}

static fv_status cpu_spectrum_to_image(void *ctx, void *plan, const float *spec, const float *scale, float *img)
{
    (void)ctx;
    return fv_spectrum_to_image_cpu((fv_fft_plan_cpu *)plan, spec, scale, img);
}

static fv_status cpu_spectrum_to_image_bwd(void *ctx, void *plan, const float *dimg, const float *scale, float *dspec)
{
    (void)ctx;
    return fv_spectrum_to_image_bwd_cpu((fv_fft_plan_cpu *)plan, dimg, scale, dspec);
}

static fv_status cpu_image_to_spectrum(void *ctx, void *plan, const float *img, const float *scale, float *spec)
{
    (void)ctx;
    return fv_image_to_spectrum_cpu((fv_fft_plan_cpu *)plan, img, scale, spec);
}

static fv_status cpu_colour_fwd(void *ctx, int n, int hw, int decorrelate, const float *t, float *rgb)
{
    (void)ctx;
    return fv_colour_fwd_cpu(n, hw, decorrelate, t, rgb);
}

static fv_status cpu_colour_bwd(void *ctx, int n, int hw, int decorrelate, const float *rgb, const float *drgb,
                                float *dt)
{
    (void)ctx;
    return fv_colour_bwd_cpu(n, hw, decorrelate, rgb, drgb, dt);
}

static fv_status cpu_resample_fwd(void *ctx, int n, int c, int h, int w, const float *src, const fv_affine *maps,
                                  float pad, int oh, int ow, float *dst)
{
    (void)ctx;
    return fv_resample_fwd_cpu(n, c, h, w, src, maps, pad, oh, ow, dst);
}

static fv_status cpu_resample_bwd(void *ctx, int n, int c, int h, int w, const fv_affine *maps, int oh, int ow,
                                  const float *ddst, float *dsrc)
{
    (void)ctx;
    return fv_resample_bwd_cpu(n, c, h, w, maps, oh, ow, ddst, dsrc);
}

static fv_status cpu_tfchain_fwd(void *ctx, int nimg, int c, const fv_tfchain *chains, const float *src, float *dst)
{
    (void)ctx;
    return fv_tfchain_fwd_cpu(nimg, c, chains, src, dst);
}

static fv_status cpu_tfchain_bwd(void *ctx, int nimg, int c, const fv_tfchain *chains, const float *ddst, float *dsrc)
{
    (void)ctx;
    return fv_tfchain_bwd_cpu(nimg, c, chains, ddst, dsrc);
}

static fv_status cpu_preprocess_fwd(void *ctx, int n, int hw, const int perm[3], float scale, const float mean[3],
                                    const float std[3], const float *rgb, float *out)
{
    (void)ctx;
    return fv_preprocess_fwd_cpu(n, hw, perm, scale, mean, std, rgb, out);
}

static fv_status cpu_preprocess_bwd(void *ctx, int n, int hw, const int perm[3], float scale, const float std[3],
                                    const float *dout, float *drgb)
{
    (void)ctx;
    return fv_preprocess_bwd_cpu(n, hw, perm, scale, std, dout, drgb);
}

static fv_status cpu_adam(void *ctx, size_t count, float *p, const float *g, float *m, float *v, int t, float lr,
                          float b1, float b2, float eps)
{
    (void)ctx;
    return fv_adam_cpu(count, p, g, m, v, t, lr, b1, b2, eps);
}

static fv_status cpu_penalty_fwd(void *ctx, int n, int h, int w, const float *rgb, float tv, float l1, float l2,
                                 float blur, float *values)
{
    (void)ctx;
    return fv_penalty_fwd_cpu(n, h, w, rgb, tv, l1, l2, blur, values);
}

static fv_status cpu_penalty_bwd(void *ctx, int n, int h, int w, const float *rgb, float tv, float l1, float l2,
                                 float blur, float *drgb)
{
    (void)ctx;
    return fv_penalty_bwd_cpu(n, h, w, rgb, tv, l1, l2, blur, drgb);
}

static fv_status cpu_lowres_fwd(void *ctx, int nb, int c, int h, int w, const float *src, int n, int oh, int ow,
                                float *dst)
{
    (void)ctx;
    return fv_lowres_fwd_cpu(nb, c, h, w, src, n, oh, ow, dst);
}

static fv_status cpu_lowres_bwd(void *ctx, int nb, int c, int h, int w, int n, int oh, int ow, const float *ddst,
                                float *dsrc)
{
    (void)ctx;
    return fv_lowres_bwd_cpu(nb, c, h, w, n, oh, ow, ddst, dsrc);
}

static fv_status cpu_objective_fwd(void *ctx, const fv_obj_term *terms, int nterms, fv_tensor act, float *values)
{
    (void)ctx;
    return fv_objective_fwd_cpu(terms, nterms, act, values);
}

static fv_status cpu_objective_bwd(void *ctx, const fv_obj_term *terms, int nterms, fv_tensor act, fv_tensor dact)
{
    (void)ctx;
    return fv_objective_bwd_cpu(terms, nterms, act, dact);
}

static size_t cpu_diversity_workspace(void *ctx, int c, int count)
{
    (void)ctx;
    return fv_diversity_workspace_cpu(c, count);
}

static fv_status cpu_diversity_fwd(void *ctx, fv_tensor act, int b0, int count, float *value, float *work)
{
    (void)ctx;
    return fv_diversity_fwd_cpu(act, b0, count, value, work);
}

static fv_status cpu_diversity_bwd(void *ctx, fv_tensor act, int b0, int count, float weight, fv_tensor dact,
                                   float *work)
{
    (void)ctx;
    return fv_diversity_bwd_cpu(act, b0, count, weight, dact, work);
}

static fv_status cpu_alignment_fwd(void *ctx, fv_tensor act, int b0, int count, float decay, float *value)
{
    (void)ctx;
    return fv_alignment_fwd_cpu(act, b0, count, decay, value);
}

static fv_status cpu_alignment_bwd(void *ctx, fv_tensor act, int b0, int count, float decay, float weight,
                                   fv_tensor dact)
{
    (void)ctx;
    return fv_alignment_bwd_cpu(act, b0, count, decay, weight, dact);
}

static const fv_backend_i cpu_iface = {
    .name = "cpu",
    .host_memory = 1,
    .close = cpu_close,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .zero = cpu_zero,
    .mem_info = cpu_mem_info,
    .conv2d_workspace = cpu_conv2d_workspace,
    .conv2d_fwd = cpu_conv2d_fwd,
    .conv2d_bwd_data = cpu_conv2d_bwd_data,
    .relu_fwd = cpu_relu_fwd,
    .relu_bwd = cpu_relu_bwd,
    .pool_fwd = cpu_pool_fwd,
    .pool_bwd = cpu_pool_bwd,
    .lrn_fwd = cpu_lrn_fwd,
    .lrn_bwd = cpu_lrn_bwd,
    .fc_fwd = cpu_fc_fwd,
    .fc_bwd = cpu_fc_bwd,
    .softmax_fwd = cpu_softmax_fwd,
    .softmax_bwd = cpu_softmax_bwd,
    .act_fwd = cpu_act_fwd,
    .act_bwd = cpu_act_bwd,
    .binary_fwd = cpu_binary_fwd,
    .binary_bwd = cpu_binary_bwd,
    .affine_fwd = cpu_affine_fwd,
    .affine_bwd = cpu_affine_bwd,
    .pad_fwd = cpu_pad_fwd,
    .pad_bwd = cpu_pad_bwd,
    .copy_fwd = cpu_copy_fwd,
    .copy_bwd = cpu_copy_bwd,
    .fft_plan_create = cpu_fft_plan_create,
    .fft_plan_free = cpu_fft_plan_free,
    .spectrum_to_image = cpu_spectrum_to_image,
    .spectrum_to_image_bwd = cpu_spectrum_to_image_bwd,
    .image_to_spectrum = cpu_image_to_spectrum,
    .colour_fwd = cpu_colour_fwd,
    .colour_bwd = cpu_colour_bwd,
    .resample_fwd = cpu_resample_fwd,
    .resample_bwd = cpu_resample_bwd,
    .tfchain_fwd = cpu_tfchain_fwd,
    .tfchain_bwd = cpu_tfchain_bwd,
    .preprocess_fwd = cpu_preprocess_fwd,
    .preprocess_bwd = cpu_preprocess_bwd,
    .adam = cpu_adam,
    .penalty_fwd = cpu_penalty_fwd,
    .penalty_bwd = cpu_penalty_bwd,
    .lowres_fwd = cpu_lowres_fwd,
    .lowres_bwd = cpu_lowres_bwd,
    .objective_fwd = cpu_objective_fwd,
    .objective_bwd = cpu_objective_bwd,
    .diversity_workspace = cpu_diversity_workspace,
    .diversity_fwd = cpu_diversity_fwd,
    .diversity_bwd = cpu_diversity_bwd,
    .alignment_fwd = cpu_alignment_fwd,
    .alignment_bwd = cpu_alignment_bwd,
};

fv_status fv_backend_cpu_init(fv_backend *be)
{
    be->iface = &cpu_iface;
    be->device = 0;
    be->context = NULL;
    return FV_OK;
}
