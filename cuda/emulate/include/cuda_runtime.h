/* The emulated CUDA build's cuda_runtime.h (cuda/emulate/, build option FV_CUDA_EMULATE): what nvcc gives every
 * .cu file, for sources compiled as C++ for the host. The runtime API and its types in C and C++; in C++ also the
 * device side (cuda/emulate/emu.h: qualifiers, built-in index variables, intrinsics, atomics, barriers, warp
 * shuffles and the launcher behind FV_LAUNCH). The build force-includes it into every .cu file, as nvcc does. */
#ifndef FV_EMU_CUDA_RUNTIME_H
#define FV_EMU_CUDA_RUNTIME_H

#include "cuda_runtime_api.h"

#ifdef __cplusplus
#include "cuda/emulate/emu.h"
#endif

#endif
