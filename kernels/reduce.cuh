// Block-wide sum in double, shared by the reduction kernels (objectives, Grams, penalties). Every thread
// of the block must call it; the result is valid in thread 0. blockDim.x a multiple of 32, at most
// 1024. The barriers before and after let a block call it several times in a row.
#ifndef FV_REDUCE_CUH
#define FV_REDUCE_CUH

static __device__ __forceinline__ double fv_block_sum(double v)
{
    __shared__ double part[32];
    __syncthreads();
    for (int o = 16; o; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
    if (lane == 0) part[wid] = v;
    __syncthreads();
    if (wid == 0) {
        v = lane < (int)(blockDim.x >> 5) ? part[lane] : 0.0;
        for (int o = 16; o; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    }
    __syncthreads();
    return v;
}

#endif
