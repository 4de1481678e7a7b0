/* The CUDA backend's op table (cuda/backend_cuda.c): cuDNN, cuBLAS, cuFFT and the kernels of kernels/. */
#ifndef FV_CUDA_BACKEND_CUDA_H
#define FV_CUDA_BACKEND_CUDA_H

#include "backend/backend.h"

extern const fv_backend_i fv_backend_cuda;

#endif
