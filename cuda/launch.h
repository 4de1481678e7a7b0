/* Launch geometry shared by the CUDA twins (cuda/ and kernels/): blocks of 256 threads for a number of
 * elements, capped; kernels that loop with a grid stride cover whatever the cap leaves. */
#ifndef FV_CUDA_LAUNCH_H
#define FV_CUDA_LAUNCH_H

/* Every kernel launch of the project goes through this macro: on the GPU it is the triple-chevron launch;
 * in the emulated build (FV_CUDA_EMULATE, cuda/emulate/) the same kernel runs on the host, its blocks one
 * after another and the threads of a block as cooperative fibers. */
#ifdef FV_CUDA_EMULATE
#include "cuda/emulate/emu.h"
#define FV_LAUNCH(kernel, grid, block, shmem, stream, ...) \
    fv_emu_launch(#kernel, kernel, (grid), (block), (shmem), (stream), __VA_ARGS__)
#else
#define FV_LAUNCH(kernel, grid, block, shmem, stream, ...) kernel<<<(grid), (block), (shmem), (stream)>>>(__VA_ARGS__)
#endif

#define FV_THREADS 256
#define FV_GRID_CAP_WIDE (65535L * 64)   /* element-wise kernels over whole batches */
#define FV_GRID_CAP_NARROW (65535L * 16) /* the library-side helpers of cuda/ */

static inline unsigned fv_blocks_for(long total, long cap)
{
    const long nb = (total + FV_THREADS - 1) / FV_THREADS;
    return (unsigned)(nb > cap ? cap : nb);
}

#endif
