/* Error checks for CUDA runtime calls, kernel launches and the CUDA libraries (cuDNN, cuBLAS, cuFFT):
 * each evaluates its argument once and returns an fv_status naming the call, file, line and the
 * library's name for the error. For use inside functions returning fv_status.
 * FV_CUDA_SYNC_DEBUG=1 at build time synchronises after every launch. */
#ifndef FV_CUDA_CHECK_H
#define FV_CUDA_CHECK_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <cufft.h>

#include "core/status.h"

#define FV_CUDA_CHECK(call)                                                                        \
    do {                                                                                           \
        cudaError_t fv_e_ = (call);                                                                \
        if (fv_e_ != cudaSuccess)                                                                  \
            return fv_fail(FV_ERR_BACKEND, "%s failed at %s:%d: %s", #call, __FILE__, __LINE__,    \
                           cudaGetErrorString(fv_e_));                                             \
    } while (0)

#ifdef FV_CUDA_SYNC_DEBUG
#define FV_CUDA_LAUNCHED() FV_CUDA_CHECK(cudaDeviceSynchronize())
#else
#define FV_CUDA_LAUNCHED() FV_CUDA_CHECK(cudaGetLastError())
#endif

#define FV_CUDNN_CHECK(call)                                                                       \
    do {                                                                                           \
        cudnnStatus_t fv_e_ = (call);                                                              \
        if (fv_e_ != CUDNN_STATUS_SUCCESS)                                                         \
            return fv_fail(FV_ERR_BACKEND, "%s failed at %s:%d: %s", #call, __FILE__, __LINE__,    \
                           cudnnGetErrorString(fv_e_));                                            \
    } while (0)

/* cublasGetStatusString exists since cuBLAS 11.4; older headers get the enum names spelled out. */
#if defined(CUBLAS_VERSION) && CUBLAS_VERSION >= 11400
static inline const char *fv_cublas_status_name(cublasStatus_t s) { return cublasGetStatusString(s); }
#else
static inline const char *fv_cublas_status_name(cublasStatus_t s)
{
    switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
    }
    return "unknown cublasStatus_t";
}
#endif

#define FV_CUBLAS_CHECK(call)                                                                      \
    do {                                                                                           \
        cublasStatus_t fv_e_ = (call);                                                             \
        if (fv_e_ != CUBLAS_STATUS_SUCCESS)                                                        \
            return fv_fail(FV_ERR_BACKEND, "%s failed at %s:%d: %s", #call, __FILE__, __LINE__,    \
                           fv_cublas_status_name(fv_e_));                                          \
    } while (0)

/* cuFFT has no string function. The codes are those of CUDA 13's cufft.h (several older ones, such as
 * CUFFT_INCOMPLETE_PARAMETER_LIST, were removed there); anything else prints as a number. */
static inline const char *fv_cufft_result_name(cufftResult r)
{
    switch (r) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_TYPE: return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_UNALIGNED_DATA: return "CUFFT_UNALIGNED_DATA";
    case CUFFT_INVALID_DEVICE: return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE: return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED: return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    default: break;
    }
    return "unrecognised cufftResult";
}

#define FV_CUFFT_CHECK(call)                                                                       \
    do {                                                                                           \
        cufftResult fv_e_ = (call);                                                                \
        if (fv_e_ != CUFFT_SUCCESS)                                                                \
            return fv_fail(FV_ERR_BACKEND, "%s failed at %s:%d: %s (%d)", #call, __FILE__,         \
                           __LINE__, fv_cufft_result_name(fv_e_), (int)fv_e_);                     \
    } while (0)

#endif
