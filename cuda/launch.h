/* Launch geometry shared by the CUDA twins (cuda/ and kernels/): blocks of 256 threads for a number of
 * elements, capped; kernels that loop with a grid stride cover whatever the cap leaves. */
#ifndef FV_CUDA_LAUNCH_H
#define FV_CUDA_LAUNCH_H

#define FV_THREADS 256
#define FV_GRID_CAP_WIDE (65535L * 64)   /* element-wise kernels over whole batches */
#define FV_GRID_CAP_NARROW (65535L * 16) /* the library-side helpers of cuda/ */

static inline unsigned fv_blocks_for(long total, long cap)
{
    const long nb = (total + FV_THREADS - 1) / FV_THREADS;
    return (unsigned)(nb > cap ? cap : nb);
}

#endif
