/* The CUDA backend: its op table, whose entries pass the instance context on to the CUDA twins (cuda/ops_cuda.h,
 * defined in the .cu files of cuda/ and kernels/), device memory through the CUDA runtime on the context's
 * stream, and the instance init and close. Host-side arrays (affine maps, objective terms and values) stay host
 * pointers, as the interface says. */
#include <cuda_runtime.h>

#include "backend_cuda.h"
#include "context.h"
#include "ops_cuda.h"

/* ---------- memory ---------- */

static fv_status cu_alloc(void *ctx, void **p, size_t bytes)
{
    fv_cuda_ctx *c = ctx;
    *p = NULL;
    FV_TRY(fv_cuda_enter(c));
    cudaError_t e = cudaMalloc(p, bytes ? bytes : 1);
    if (e != cudaSuccess) {
        *p = NULL;
        return fv_fail(e == cudaErrorMemoryAllocation ? FV_ERR_NOMEM : FV_ERR_BACKEND,
                       "cudaMalloc of %zu bytes failed: %s", bytes, cudaGetErrorString(e));
    }
    /* A failed zero-fill must not leak the buffer (nor hand it out unzeroed). */
    e = cudaMemsetAsync(*p, 0, bytes, c->stream);
    if (e != cudaSuccess) {
        cudaFree(*p);
        *p = NULL;
        return fv_fail(FV_ERR_BACKEND, "cudaMemsetAsync of a new %zu-byte buffer failed: %s", bytes,
                       cudaGetErrorString(e));
    }
    return FV_OK;
}

static void cu_free(void *ctx, void *p)
{
    if (!p) return;
    if (ctx) cudaSetDevice(((fv_cuda_ctx *)ctx)->device);
    cudaFree(p);
}

/* Synchronous with respect to the host buffer: the caller may reuse or read it at once. */
static fv_status copy(fv_cuda_ctx *c, void *dst, const void *src, size_t bytes, enum cudaMemcpyKind kind)
{
    FV_TRY(fv_cuda_enter(c));
    FV_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, c->stream));
    FV_CUDA_CHECK(cudaStreamSynchronize(c->stream));
    return FV_OK;
}

static fv_status cu_upload(void *ctx, void *dst, const void *src, size_t bytes)
{
    return copy(ctx, dst, src, bytes, cudaMemcpyHostToDevice);
}

static fv_status cu_download(void *ctx, void *dst, const void *src, size_t bytes)
{
    return copy(ctx, dst, src, bytes, cudaMemcpyDeviceToHost);
}

static fv_status cu_zero(void *ctx, void *dst, size_t bytes)
{
    fv_cuda_ctx *c = ctx;
    FV_TRY(fv_cuda_enter(c));
    FV_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, c->stream));
    return FV_OK;
}

static fv_status cu_mem_info(void *ctx, size_t *free_bytes, size_t *total_bytes)
{
    FV_TRY(fv_cuda_enter(ctx));
    FV_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
    return FV_OK;
}

static void cu_close(void *ctx) { fv_cuda_ctx_destroy(ctx); }

/* ---------- the ops: the CUDA twins, given the context ---------- */

static size_t cu_conv2d_workspace(void *ctx, const fv_conv_desc *d, int n, int h, int w)
{
    return fv_conv2d_workspace_cuda(ctx, d, n, h, w);
}

static fv_status cu_conv2d_fwd(void *ctx, const fv_conv_desc *d, fv_tensor x, const float *wt, const float *bias,
                               fv_tensor y, float *work)
{
    return fv_conv2d_fwd_cuda(ctx, d, x, wt, bias, y, work);
}

static fv_status cu_conv2d_bwd_data(void *ctx, const fv_conv_desc *d, fv_tensor dy, const float *wt, fv_tensor dx,
                                    float *work)
{
    return fv_conv2d_bwd_data_cuda(ctx, d, dy, wt, dx, work);
}

static fv_status cu_relu_fwd(void *ctx, fv_tensor x, fv_tensor y)
{
    return fv_relu_fwd_cuda(ctx, x, y);
}

static fv_status cu_relu_bwd(void *ctx, fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect)
{
    return fv_relu_bwd_cuda(ctx, x, dy, dx, redirect);
}

static fv_status cu_pool_fwd(void *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y)
{
    return fv_pool_fwd_cuda(ctx, d, x, y);
}

static fv_status cu_pool_bwd(void *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    return fv_pool_bwd_cuda(ctx, d, x, y, dy, dx);
}

static fv_status cu_lrn_fwd(void *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y)
{
    return fv_lrn_fwd_cuda(ctx, d, x, y);
}

static fv_status cu_lrn_bwd(void *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    return fv_lrn_bwd_cuda(ctx, d, x, y, dy, dx);
}

static fv_status cu_fc_fwd(void *ctx, fv_tensor x, const float *wt, const float *bias, int nout, fv_tensor y)
{
    return fv_fc_fwd_cuda(ctx, x, wt, bias, nout, y);
}

static fv_status cu_fc_bwd(void *ctx, fv_tensor dy, const float *wt, fv_tensor dx)
{
    return fv_fc_bwd_cuda(ctx, dy, wt, dx);
}

static fv_status cu_softmax_fwd(void *ctx, fv_tensor x, fv_tensor y)
{
    return fv_softmax_fwd_cuda(ctx, x, y);
}

static fv_status cu_softmax_bwd(void *ctx, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    return fv_softmax_bwd_cuda(ctx, y, dy, dx);
}

static fv_status cu_act_fwd(void *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor y)
{
    return fv_act_fwd_cuda(ctx, d, x, y);
}

static fv_status cu_act_bwd(void *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx)
{
    return fv_act_bwd_cuda(ctx, d, x, dy, dx);
}

static fv_status cu_binary_fwd(void *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y)
{
    return fv_binary_fwd_cuda(ctx, k, a, b, y);
}

static fv_status cu_binary_bwd(void *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy, fv_tensor da,
                               fv_tensor db)
{
    return fv_binary_bwd_cuda(ctx, k, a, b, dy, da, db);
}

static fv_status cu_affine_fwd(void *ctx, fv_tensor x, const float *scale, const float *shift, fv_tensor y)
{
    return fv_affine_fwd_cuda(ctx, x, scale, shift, y);
}

static fv_status cu_affine_bwd(void *ctx, fv_tensor dy, const float *scale, fv_tensor dx)
{
    return fv_affine_bwd_cuda(ctx, dy, scale, dx);
}

static fv_status cu_pad_fwd(void *ctx, const fv_window *pads, float value, fv_tensor x, fv_tensor y)
{
    return fv_pad_fwd_cuda(ctx, pads, value, x, y);
}

static fv_status cu_pad_bwd(void *ctx, const fv_window *pads, fv_tensor dy, fv_tensor dx)
{
    return fv_pad_bwd_cuda(ctx, pads, dy, dx);
}

static fv_status cu_copy_fwd(void *ctx, fv_tensor x, fv_tensor y) { return fv_copy_fwd_cuda(ctx, x, y); }

static fv_status cu_copy_bwd(void *ctx, fv_tensor dy, fv_tensor dx) { return fv_copy_bwd_cuda(ctx, dy, dx); }

static fv_status cu_fft_plan_create(void *ctx, int n, int h, int w, void **plan)
{
    return fv_fft_plan_create_cuda(ctx, n, h, w, (fv_fft_plan_cuda **)plan);
}

static void cu_fft_plan_free(void *ctx, void *plan)
{
    fv_fft_plan_free_cuda(ctx, (fv_fft_plan_cuda *)plan);
}

static fv_status cu_spectrum_to_image(void *ctx, void *plan, const float *spec, const float *scale, float *img)
{
    return fv_spectrum_to_image_cuda(ctx, (fv_fft_plan_cuda *)plan, spec, scale, img);
}

static fv_status cu_spectrum_to_image_bwd(void *ctx, void *plan, const float *dimg, const float *scale, float *dspec)
{
    return fv_spectrum_to_image_bwd_cuda(ctx, (fv_fft_plan_cuda *)plan, dimg, scale, dspec);
}

static fv_status cu_image_to_spectrum(void *ctx, void *plan, const float *img, const float *scale, float *spec)
{
    return fv_image_to_spectrum_cuda(ctx, (fv_fft_plan_cuda *)plan, img, scale, spec);
}

static fv_status cu_colour_fwd(void *ctx, int n, int hw, int decorrelate, const float *t, float *rgb)
{
    return fv_colour_fwd_cuda(ctx, n, hw, decorrelate, t, rgb);
}

static fv_status cu_colour_bwd(void *ctx, int n, int hw, int decorrelate, const float *rgb, const float *drgb,
                               float *dt)
{
    return fv_colour_bwd_cuda(ctx, n, hw, decorrelate, rgb, drgb, dt);
}

static fv_status cu_resample_fwd(void *ctx, int n, int c, int h, int w, const float *src, const fv_affine *maps,
                                 float pad, int oh, int ow, float *dst)
{
    return fv_resample_fwd_cuda(ctx, n, c, h, w, src, maps, pad, oh, ow, dst);
}

static fv_status cu_resample_bwd(void *ctx, int n, int c, int h, int w, const fv_affine *maps, int oh, int ow,
                                 const float *ddst, float *dsrc)
{
    return fv_resample_bwd_cuda(ctx, n, c, h, w, maps, oh, ow, ddst, dsrc);
}

static fv_status cu_tfchain_fwd(void *ctx, int nimg, int c, const fv_tfchain *chains, const float *src, float *dst)
{
    return fv_tfchain_fwd_cuda(ctx, nimg, c, chains, src, dst);
}

static fv_status cu_tfchain_bwd(void *ctx, int nimg, int c, const fv_tfchain *chains, const float *ddst, float *dsrc)
{
    return fv_tfchain_bwd_cuda(ctx, nimg, c, chains, ddst, dsrc);
}

static fv_status cu_preprocess_fwd(void *ctx, int n, int hw, const int perm[3], float scale, const float mean[3],
                                   const float std[3], const float *rgb, float *out)
{
    return fv_preprocess_fwd_cuda(ctx, n, hw, perm, scale, mean, std, rgb, out);
}

static fv_status cu_preprocess_bwd(void *ctx, int n, int hw, const int perm[3], float scale, const float std[3],
                                   const float *dout, float *drgb)
{
    return fv_preprocess_bwd_cuda(ctx, n, hw, perm, scale, std, dout, drgb);
}

static fv_status cu_adam(void *ctx, size_t count, float *p, const float *g, float *m, float *v, int t, float lr,
                         float b1, float b2, float eps)
{
    return fv_adam_cuda(ctx, count, p, g, m, v, t, lr, b1, b2, eps);
}

static fv_status cu_penalty_fwd(void *ctx, int n, int h, int w, const float *rgb, float tv, float l1, float l2,
                                float blur, float *values)
{
    return fv_penalty_fwd_cuda(ctx, n, h, w, rgb, tv, l1, l2, blur, values);
}

static fv_status cu_penalty_bwd(void *ctx, int n, int h, int w, const float *rgb, float tv, float l1, float l2,
                                float blur, float *drgb)
{
    return fv_penalty_bwd_cuda(ctx, n, h, w, rgb, tv, l1, l2, blur, drgb);
}

static fv_status cu_lowres_fwd(void *ctx, int nb, int c, int h, int w, const float *src, int n, int oh, int ow,
                               float *dst)
{
    return fv_lowres_fwd_cuda(ctx, nb, c, h, w, src, n, oh, ow, dst);
}

static fv_status cu_lowres_bwd(void *ctx, int nb, int c, int h, int w, int n, int oh, int ow, const float *ddst,
                               float *dsrc)
{
    return fv_lowres_bwd_cuda(ctx, nb, c, h, w, n, oh, ow, ddst, dsrc);
}

static fv_status cu_objective_fwd(void *ctx, const fv_obj_term *terms, int nterms, fv_tensor act, float *values)
{
    return fv_objective_fwd_cuda(ctx, terms, nterms, act, values);
}

static fv_status cu_objective_bwd(void *ctx, const fv_obj_term *terms, int nterms, fv_tensor act, fv_tensor dact)
{
    return fv_objective_bwd_cuda(ctx, terms, nterms, act, dact);
}

static size_t cu_diversity_workspace(void *ctx, int c, int count)
{
    return fv_diversity_workspace_cuda(ctx, c, count);
}

static fv_status cu_diversity_fwd(void *ctx, fv_tensor act, int b0, int count, float *value, float *work)
{
    return fv_diversity_fwd_cuda(ctx, act, b0, count, value, work);
}

static fv_status cu_diversity_bwd(void *ctx, fv_tensor act, int b0, int count, float weight, fv_tensor dact,
                                  float *work)
{
    return fv_diversity_bwd_cuda(ctx, act, b0, count, weight, dact, work);
}

static fv_status cu_alignment_fwd(void *ctx, fv_tensor act, int b0, int count, float decay, float *value)
{
    return fv_alignment_fwd_cuda(ctx, act, b0, count, decay, value);
}

static fv_status cu_alignment_bwd(void *ctx, fv_tensor act, int b0, int count, float decay, float weight,
                                  fv_tensor dact)
{
    return fv_alignment_bwd_cuda(ctx, act, b0, count, decay, weight, dact);
}

static const fv_backend_i cuda_iface = {
    .name = "cuda",
    .host_memory = 0,
    .close = cu_close,
    .alloc = cu_alloc,
    .free = cu_free,
    .upload = cu_upload,
    .download = cu_download,
    .zero = cu_zero,
    .mem_info = cu_mem_info,
    .conv2d_workspace = cu_conv2d_workspace,
    .conv2d_fwd = cu_conv2d_fwd,
    .conv2d_bwd_data = cu_conv2d_bwd_data,
    .relu_fwd = cu_relu_fwd,
    .relu_bwd = cu_relu_bwd,
    .pool_fwd = cu_pool_fwd,
    .pool_bwd = cu_pool_bwd,
    .lrn_fwd = cu_lrn_fwd,
    .lrn_bwd = cu_lrn_bwd,
    .fc_fwd = cu_fc_fwd,
    .fc_bwd = cu_fc_bwd,
    .softmax_fwd = cu_softmax_fwd,
    .softmax_bwd = cu_softmax_bwd,
    .act_fwd = cu_act_fwd,
    .act_bwd = cu_act_bwd,
    .binary_fwd = cu_binary_fwd,
    .binary_bwd = cu_binary_bwd,
    .affine_fwd = cu_affine_fwd,
    .affine_bwd = cu_affine_bwd,
    .pad_fwd = cu_pad_fwd,
    .pad_bwd = cu_pad_bwd,
    .copy_fwd = cu_copy_fwd,
    .copy_bwd = cu_copy_bwd,
    .fft_plan_create = cu_fft_plan_create,
    .fft_plan_free = cu_fft_plan_free,
    .spectrum_to_image = cu_spectrum_to_image,
    .spectrum_to_image_bwd = cu_spectrum_to_image_bwd,
    .image_to_spectrum = cu_image_to_spectrum,
    .colour_fwd = cu_colour_fwd,
    .colour_bwd = cu_colour_bwd,
    .resample_fwd = cu_resample_fwd,
    .resample_bwd = cu_resample_bwd,
    .tfchain_fwd = cu_tfchain_fwd,
    .tfchain_bwd = cu_tfchain_bwd,
    .preprocess_fwd = cu_preprocess_fwd,
    .preprocess_bwd = cu_preprocess_bwd,
    .adam = cu_adam,
    .penalty_fwd = cu_penalty_fwd,
    .penalty_bwd = cu_penalty_bwd,
    .lowres_fwd = cu_lowres_fwd,
    .lowres_bwd = cu_lowres_bwd,
    .objective_fwd = cu_objective_fwd,
    .objective_bwd = cu_objective_bwd,
    .diversity_workspace = cu_diversity_workspace,
    .diversity_fwd = cu_diversity_fwd,
    .diversity_bwd = cu_diversity_bwd,
    .alignment_fwd = cu_alignment_fwd,
    .alignment_bwd = cu_alignment_bwd,
};

fv_status fv_backend_cuda_init(fv_backend *be)
{
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_create(&be->options, &ctx));
    be->iface = &cuda_iface;
    be->device = ctx->device;
    be->context = ctx;
    return FV_OK;
}
