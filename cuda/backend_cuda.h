/* The CUDA backend (cuda/backend_cuda.c): cuDNN, cuBLAS, cuFFT and the kernels of kernels/, reached through an
 * instance that host/device's fv_backend_open fills with fv_backend_cuda_init. */
#ifndef FV_CUDA_BACKEND_CUDA_H
#define FV_CUDA_BACKEND_CUDA_H

#include "backend/backend.h"

/* Creates the instance's context from be->options (device, stream, handles, cuDNN settings) and fills be's
 * iface, device and context; FV_ERR_UNSUPPORTED with one line when there is no usable GPU. */
fv_status fv_backend_cuda_init(fv_backend *be);

#endif
