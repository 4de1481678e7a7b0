/* The CUDA backend table: device memory through the CUDA runtime, every op a twin from cuda/ops_cuda.h.
 * Host-side arrays (affine maps, objective terms and values) stay host pointers, as the interface says. */
#include <cuda_runtime.h>

#include "backend_cuda.h"
#include "context.h"
#include "ops_cuda.h"

static fv_status cuda_alloc(void **p, size_t bytes)
{
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    *p = NULL;
    cudaError_t e = cudaMalloc(p, bytes ? bytes : 1);
    if (e != cudaSuccess) {
        *p = NULL;
        return fv_fail(e == cudaErrorMemoryAllocation ? FV_ERR_NOMEM : FV_ERR_BACKEND,
                       "cudaMalloc of %zu bytes failed: %s", bytes, cudaGetErrorString(e));
    }
    FV_CUDA_CHECK(cudaMemsetAsync(*p, 0, bytes, ctx->stream));
    return FV_OK;
}

static void cuda_free(void *p)
{
    if (p) cudaFree(p);
}

static fv_status cuda_upload(void *dst, const void *src, size_t bytes)
{
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    /* Synchronous with respect to the host buffer: the caller may reuse src at once. */
    FV_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx->stream));
    FV_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    return FV_OK;
}

static fv_status cuda_download(void *dst, const void *src, size_t bytes)
{
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    FV_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx->stream));
    FV_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    return FV_OK;
}

static fv_status cuda_zero(void *dst, size_t bytes)
{
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    FV_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, ctx->stream));
    return FV_OK;
}

static fv_status cuda_mem_info(size_t *free_bytes, size_t *total_bytes)
{
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    FV_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
    return FV_OK;
}

static fv_status cuda_fft_create(int n, int h, int w, void **plan)
{
    return fv_fft_plan_create_cuda(n, h, w, (fv_fft_plan_cuda **)plan);
}

static void cuda_fft_free(void *plan) { fv_fft_plan_free_cuda(plan); }

static fv_status cuda_s2i(void *plan, const float *spec, const float *scale, float *img)
{
    return fv_spectrum_to_image_cuda(plan, spec, scale, img);
}

static fv_status cuda_s2i_bwd(void *plan, const float *dimg, const float *scale, float *dspec)
{
    return fv_spectrum_to_image_bwd_cuda(plan, dimg, scale, dspec);
}

static fv_status cuda_i2s(void *plan, const float *img, const float *scale, float *spec)
{
    return fv_image_to_spectrum_cuda(plan, img, scale, spec);
}

const fv_backend_i fv_backend_cuda = {
    .name = "cuda",
    .host_memory = 0,
    .alloc = cuda_alloc,
    .free = cuda_free,
    .upload = cuda_upload,
    .download = cuda_download,
    .zero = cuda_zero,
    .mem_info = cuda_mem_info,
    .conv2d_workspace = fv_conv2d_workspace_cuda,
    .conv2d_fwd = fv_conv2d_fwd_cuda,
    .conv2d_bwd_data = fv_conv2d_bwd_data_cuda,
    .relu_fwd = fv_relu_fwd_cuda,
    .relu_bwd = fv_relu_bwd_cuda,
    .pool_fwd = fv_pool_fwd_cuda,
    .pool_bwd = fv_pool_bwd_cuda,
    .lrn_fwd = fv_lrn_fwd_cuda,
    .lrn_bwd = fv_lrn_bwd_cuda,
    .fc_fwd = fv_fc_fwd_cuda,
    .fc_bwd = fv_fc_bwd_cuda,
    .softmax_fwd = fv_softmax_fwd_cuda,
    .softmax_bwd = fv_softmax_bwd_cuda,
    .fft_plan_create = cuda_fft_create,
    .fft_plan_free = cuda_fft_free,
    .spectrum_to_image = cuda_s2i,
    .spectrum_to_image_bwd = cuda_s2i_bwd,
    .image_to_spectrum = cuda_i2s,
    .colour_fwd = fv_colour_fwd_cuda,
    .colour_bwd = fv_colour_bwd_cuda,
    .resample_fwd = fv_resample_fwd_cuda,
    .resample_bwd = fv_resample_bwd_cuda,
    .tfchain_fwd = fv_tfchain_fwd_cuda,
    .tfchain_bwd = fv_tfchain_bwd_cuda,
    .preprocess_fwd = fv_preprocess_fwd_cuda,
    .preprocess_bwd = fv_preprocess_bwd_cuda,
    .adam = fv_adam_cuda,
    .objective_fwd = fv_objective_fwd_cuda,
    .objective_bwd = fv_objective_bwd_cuda,
    .diversity_fwd = fv_diversity_fwd_cuda,
    .diversity_bwd = fv_diversity_bwd_cuda,
    .diversity_workspace = fv_diversity_workspace_cuda,
    .penalty_fwd = fv_penalty_fwd_cuda,
    .penalty_bwd = fv_penalty_bwd_cuda,
    .alignment_fwd = fv_alignment_fwd_cuda,
    .alignment_bwd = fv_alignment_bwd_cuda,
    .lowres_fwd = fv_lowres_fwd_cuda,
    .lowres_bwd = fv_lowres_bwd_cuda,
};
