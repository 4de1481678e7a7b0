/* The process's CUDA context: device 0, one stream, the cuDNN and cuBLAS handles bound to it, and the
 * settings tests and flags can force (cuDNN algorithms, workspace cap, verbose logging). Created on
 * first use; every op in cuda/ and kernels/ queues its work on ctx->stream. */
#ifndef FV_CUDA_CONTEXT_H
#define FV_CUDA_CONTEXT_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "check.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fv_cuda_ctx {
    int device;
    cudaStream_t stream;
    cudnnHandle_t cudnn;
    cublasHandle_t cublas;
    int verbose;          /* log algorithm choices to stderr (FV_VERBOSE=1 or fv_cuda_set_verbose) */
    size_t ws_cap;        /* cuDNN workspace cap in bytes (FV_CUDNN_WS_MB, default 1024 MiB) */
    int force_fwd_algo;   /* cudnnConvolutionFwdAlgo_t, or -1 to choose (FV_CUDNN_FWD_ALGO) */
    int force_bwd_algo;   /* cudnnConvolutionBwdDataAlgo_t, or -1 (FV_CUDNN_BWD_DATA_ALGO) */
    int use_find;         /* 1: benchmark with cudnnFind*, 0: heuristics (FV_CUDNN_FIND=1) */
} fv_cuda_ctx;

/* The context, created on first call (FV_ERR_BACKEND / FV_ERR_UNSUPPORTED with a clear message when
 * there is no usable GPU). Not thread-safe: one renderer thread per process. */
fv_status fv_cuda_ctx_get(fv_cuda_ctx **out);
void fv_cuda_set_verbose(int on);
/* Forget cached cuDNN algorithm choices (tests that sweep forced algorithms call this). */
void fv_cuda_conv_cache_clear(void);
/* Wait for the stream. */
fv_status fv_cuda_sync(void);

#ifdef __cplusplus
}
#endif
#endif
