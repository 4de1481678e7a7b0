/* A CUDA backend instance's context: its device, its stream, the cuDNN and cuBLAS handles bound to that
 * stream, the settings its options gave (cuDNN algorithms, workspace cap, Find vs heuristics, verbose), the
 * cuDNN algorithm cache of cuda/conv.cu, and a small device scratch buffer for reduction results. Created by
 * fv_cuda_ctx_create from fv_backend_options, never from the environment; every op in cuda/ and kernels/ takes
 * it as its first argument, makes its device current (fv_cuda_enter) and queues its work on ctx->stream. One
 * context serves one thread at a time; several contexts (on one device or several) coexist. */
#ifndef FV_CUDA_CONTEXT_H
#define FV_CUDA_CONTEXT_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of ctx->scratch: the largest per-call need of the reductions (the redirected ReLU's 4096 flags, 1024
 * doubles of objective or penalty values); each user asserts that it fits. Ops on one context run in stream
 * order, so they share it. */
#define FV_CUDA_SCRATCH_BYTES (16 * 1024)

typedef struct fv_conv_cache fv_conv_cache; /* cuda/conv.cu */

typedef struct fv_cuda_ctx {
    int device;
    cudaStream_t stream;
    cudnnHandle_t cudnn;
    cublasHandle_t cublas;
    int verbose;          /* log the device and algorithm choices to stderr (options.verbose) */
    size_t ws_cap;        /* cuDNN workspace cap in bytes (options.cudnn_workspace_mib) */
    int force_fwd_algo;   /* cudnnConvolutionFwdAlgo_t, or -1 to choose (options.cudnn_fwd_algo) */
    int force_bwd_algo;   /* cudnnConvolutionBwdDataAlgo_t, or -1 (options.cudnn_bwd_data_algo) */
    int use_find;         /* 1: benchmark with cudnnFind*, 0: heuristics (options.cudnn_find) */
    int tf32;             /* 1: TF32 tensor cores for cuDNN convolutions and cuBLAS (options.precision) */
    fv_conv_cache *conv_cache; /* chosen algorithms per convolution shape, made on first use */
    void *scratch;        /* FV_CUDA_SCRATCH_BYTES of device memory */
} fv_cuda_ctx;

/* A new context on options->device (FV_ERR_UNSUPPORTED with one clear line when there is no usable GPU or no
 * such device; FV_ERR_ARG for options out of range). */
fv_status fv_cuda_ctx_create(const fv_backend_options *options, fv_cuda_ctx **out);
/* Releases everything the context holds; NULL is fine. Buffers allocated through it must be freed first. */
void fv_cuda_ctx_destroy(fv_cuda_ctx *ctx);
/* Makes ctx's device current for the calls that follow; FV_ERR_ARG when ctx is NULL. Every op calls it after
 * its argument checks. */
fv_status fv_cuda_enter(fv_cuda_ctx *ctx);
/* Wait for the context's stream. */
fv_status fv_cuda_sync(fv_cuda_ctx *ctx);

/* cuda/conv.cu: forget the cached cuDNN algorithm choices; free the cache (fv_cuda_ctx_destroy). */
void fv_cuda_conv_cache_clear(fv_cuda_ctx *ctx);
void fv_cuda_conv_cache_free(fv_cuda_ctx *ctx);

#ifdef __cplusplus
}
#endif
#endif
