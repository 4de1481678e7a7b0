/* Error checks for CUDA runtime calls and kernel launches: each evaluates its argument once and
 * returns an fv_status naming the call, file and line. More (cuDNN, cuFFT, cuBLAS) join with the
 * CUDA backend. FV_CUDA_SYNC_DEBUG=1 at build time synchronises after every launch. */
#ifndef FV_CUDA_CHECK_H
#define FV_CUDA_CHECK_H

#include <cuda_runtime.h>

#include "../host/status.h"

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

#endif
