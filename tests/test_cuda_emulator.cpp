/* Tests of the emulated CUDA runtime itself (cuda/emulate/, built with FV_CUDA_EMULATE): that its kernels see
 * the geometry a GPU gives them (every element of a 2-D grid-stride loop once), that barriers, __syncthreads_or
 * and warp shuffles compute what CUDA defines (the project's block reduction at every block size it allows),
 * that a missing __syncthreads gives wrong results instead of right ones, and that what a GPU would refuse or
 * hang on is refused or reported: launch configurations past the limits, a barrier only part of a block
 * reaches, threads at different barriers, copies outside an allocation or with the wrong direction, unknown
 * frees. The suites that compare our kernels with their CPU twins are test_cuda and test_cuda_parity. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "cuda/launch.h"
#include "kernels/reduce.cuh"

/* ---------- geometry ---------- */

__global__ void count_kernel(int n, long chw, int *hits)
{
    for (long b = blockIdx.y; b < n; b += gridDim.y)
        for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < chw; i += (long)gridDim.x * blockDim.x)
            atomicAdd(&hits[b * chw + i], 1);
}

Test(emulator, grid_stride_loops_visit_every_element_once)
{
    const int n = 7;
    const long chw = 3001;
    int *d, *h = (int *)malloc(sizeof(int) * n * chw);
    cr_assert_eq(cudaMalloc((void **)&d, sizeof(int) * n * chw), cudaSuccess);
    cr_assert_eq(cudaMemset(d, 0, sizeof(int) * n * chw), cudaSuccess);
    FV_LAUNCH(count_kernel, dim3(3, 2), 128, 0, 0, n, chw, d); /* capped grid: both loops go round */
    cr_assert_eq(cudaGetLastError(), cudaSuccess);
    cr_assert_eq(cudaMemcpy(h, d, sizeof(int) * n * chw, cudaMemcpyDeviceToHost), cudaSuccess);
    for (long i = 0; i < n * chw; i++) cr_assert_eq(h[i], 1, "element %ld visited %d times", i, h[i]);
    cudaFree(d);
    free(h);
}

__global__ void index_kernel(uint3 *out)
{
    const unsigned t = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
    const unsigned b = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
    out[b * blockDim.x * blockDim.y * blockDim.z + t] = make_uint3(threadIdx.x + 100 * blockIdx.x,
                                                                   threadIdx.y + 100 * blockIdx.y,
                                                                   threadIdx.z + 100 * blockIdx.z);
}

Test(emulator, three_dimensional_indices)
{
    const dim3 g(2, 3, 2), b(4, 2, 3);
    const unsigned nt = 24, total = 12 * nt;
    uint3 *d, h[12 * 24];
    cr_assert_eq(cudaMalloc((void **)&d, sizeof h), cudaSuccess);
    FV_LAUNCH(index_kernel, g, b, 0, 0, d);
    cr_assert_eq(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost), cudaSuccess);
    for (unsigned i = 0; i < total; i++) {
        const unsigned t = i % nt, k = i / nt;
        const unsigned tx = t % 4, ty = t / 4 % 2, tz = t / 8, bx = k % 2, by = k / 2 % 3, bz = k / 6;
        cr_assert(h[i].x == tx + 100 * bx && h[i].y == ty + 100 * by && h[i].z == tz + 100 * bz, "slot %u", i);
    }
    cudaFree(d);
}

/* ---------- barriers and warps ---------- */

__global__ void block_sum_kernel(const double *x, int n, double *out)
{
    double s = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += x[i];
    s = fv_block_sum(s);
    const double again = fv_block_sum(1.0); /* twice in a row: the barriers around it must hold */
    if (threadIdx.x == 0) out[blockIdx.x] = s, out[gridDim.x + blockIdx.x] = again;
}

Test(emulator, block_sum_at_every_block_size)
{
    const int n = 5000;
    double *x = (double *)malloc(sizeof(double) * n), ref = 0;
    for (int i = 0; i < n; i++) x[i] = (double)(i % 97) - 40.5, ref += x[i];
    double *dx, *dout, out[6];
    cr_assert_eq(cudaMalloc((void **)&dx, sizeof(double) * n), cudaSuccess);
    cr_assert_eq(cudaMalloc((void **)&dout, sizeof out), cudaSuccess);
    cudaMemcpy(dx, x, sizeof(double) * n, cudaMemcpyHostToDevice);
    for (int threads = 32; threads <= 1024; threads *= 2) {
        FV_LAUNCH(block_sum_kernel, 3, threads, 0, 0, dx, n, dout);
        cr_assert_eq(cudaGetLastError(), cudaSuccess);
        cudaMemcpy(out, dout, sizeof out, cudaMemcpyDeviceToHost);
        for (int b = 0; b < 3; b++) {
            cr_assert_eq(out[b], ref, "%d threads: block %d sums to %g, not %g", threads, b, out[b], ref);
            cr_assert_eq(out[3 + b], (double)threads, "%d threads: second sum %g", threads, out[3 + b]);
        }
    }
    cudaFree(dx), cudaFree(dout);
    free(x);
}

__global__ void shuffle_kernel(int *out)
{
    const int lane = threadIdx.x & 31, v = 1000 * (threadIdx.x >> 5) + lane;
    int *o = out + 6 * threadIdx.x;
    o[0] = __shfl_down_sync(0xffffffffu, v, 3);
    o[1] = __shfl_up_sync(0xffffffffu, v, 5);
    o[2] = __shfl_xor_sync(0xffffffffu, v, 9);
    o[3] = __shfl_sync(0xffffffffu, v, 7);
    o[4] = __shfl_down_sync(0xffffffffu, v, 2, 8); /* segments of 8 lanes */
    o[5] = (int)__ballot_sync(0xffffffffu, lane % 3 == 0);
}

Test(emulator, warp_shuffles_and_ballot)
{
    int *d, h[64 * 6];
    cr_assert_eq(cudaMalloc((void **)&d, sizeof h), cudaSuccess);
    FV_LAUNCH(shuffle_kernel, 1, 64, 0, 0, d);
    cr_assert_eq(cudaGetLastError(), cudaSuccess);
    cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
    unsigned ballot = 0;
    for (int l = 0; l < 32; l += 3) ballot |= 1u << l;
    for (int t = 0; t < 64; t++) {
        const int l = t & 31, w = 1000 * (t >> 5);
        const int *o = h + 6 * t;
        cr_assert_eq(o[0], w + (l + 3 < 32 ? l + 3 : l), "down, thread %d", t);
        cr_assert_eq(o[1], w + (l >= 5 ? l - 5 : l), "up, thread %d", t);
        cr_assert_eq(o[2], w + (l ^ 9), "xor, thread %d", t);
        cr_assert_eq(o[3], w + 7, "idx, thread %d", t);
        cr_assert_eq(o[4], w + ((l & 7) + 2 < 8 ? l + 2 : l), "down in 8-lane segments, thread %d", t);
        cr_assert_eq((unsigned)o[5], ballot, "ballot, thread %d", t);
    }
    cudaFree(d);
}

__global__ void syncthreads_or_kernel(int *out)
{
    const int any = __syncthreads_or(threadIdx.x == blockIdx.x * 50);
    const int count = __syncthreads_count(threadIdx.x % 3 == 0);
    if (threadIdx.x == 0) out[2 * blockIdx.x] = any, out[2 * blockIdx.x + 1] = count;
}

Test(emulator, syncthreads_or_and_count)
{
    int *d, h[12];
    cr_assert_eq(cudaMalloc((void **)&d, sizeof h), cudaSuccess);
    FV_LAUNCH(syncthreads_or_kernel, 6, 200, 0, 0, d);
    cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
    for (int b = 0; b < 6; b++) {
        cr_assert_eq(h[2 * b], b * 50 < 200, "block %d", b);
        cr_assert_eq(h[2 * b + 1], 67, "block %d", b);
    }
    cudaFree(d);
}

/* Thread t writes slot t, then reads slot t + 1 (before the block's last barrier): with the barrier in between
 * the result is right; without it every thread but the last reads a slot not written yet (shared memory
 * starts each block as NaN), as the threads run in the order 0, 1, 2, ... up to the barrier. */
__global__ void neighbour_read_first_kernel(int sync, float *out)
{
    __shared__ float slot[256];
    slot[threadIdx.x] = (float)threadIdx.x;
    if (sync) __syncthreads();
    out[threadIdx.x] = slot[(threadIdx.x + 1) % blockDim.x];
    __syncthreads();
}

Test(emulator, a_missing_syncthreads_shows)
{
    float *d, h[256];
    cr_assert_eq(cudaMalloc((void **)&d, sizeof h), cudaSuccess);
    FV_LAUNCH(neighbour_read_first_kernel, 1, 256, 0, 0, 1, d);
    cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
    for (int t = 0; t < 256; t++) cr_assert_eq(h[t], (float)((t + 1) % 256), "with the barrier, thread %d", t);
    FV_LAUNCH(neighbour_read_first_kernel, 1, 256, 0, 0, 0, d);
    cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
    int wrong = 0;
    for (int t = 0; t < 255; t++) wrong += h[t] != (float)(t + 1);
    cr_assert_eq(wrong, 255, "without the barrier only %d of 255 threads read a slot not yet written", wrong);
    cudaFree(d);
}

/* ---------- what a GPU refuses or hangs on ---------- */

__global__ void early_exit_kernel(int *out)
{
    if (threadIdx.x == 5) return;
    __syncthreads();
    out[threadIdx.x] = 1;
}

Test(emulator, a_barrier_part_of_the_block_misses_aborts, .signal = SIGABRT)
{
    int *d;
    cr_assert_eq(cudaMalloc((void **)&d, 64 * sizeof(int)), cudaSuccess);
    FV_LAUNCH(early_exit_kernel, 1, 64, 0, 0, d);
}

__global__ void thread0_skips_kernel(int *out)
{
    if (threadIdx.x == 0) return;
    __syncthreads();
    out[threadIdx.x] = 1;
}

Test(emulator, a_barrier_thread_0_misses_aborts, .signal = SIGABRT)
{
    int *d;
    cr_assert_eq(cudaMalloc((void **)&d, 64 * sizeof(int)), cudaSuccess);
    FV_LAUNCH(thread0_skips_kernel, 1, 64, 0, 0, d);
}

__global__ void two_barriers_kernel(int *out)
{
    if (threadIdx.x < 32) {
        __syncthreads();
    } else {
        __syncthreads();
    }
    out[threadIdx.x] = 1;
}

Test(emulator, threads_at_different_barriers_abort, .signal = SIGABRT)
{
    int *d;
    cr_assert_eq(cudaMalloc((void **)&d, 64 * sizeof(int)), cudaSuccess);
    FV_LAUNCH(two_barriers_kernel, 1, 64, 0, 0, d);
}

__global__ void partial_warp_kernel(int *out) { out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1, 1); }

Test(emulator, a_full_mask_in_a_partial_warp_aborts, .signal = SIGABRT)
{
    int *d;
    cr_assert_eq(cudaMalloc((void **)&d, 48 * sizeof(int)), cudaSuccess);
    FV_LAUNCH(partial_warp_kernel, 1, 48, 0, 0, d);
}

__global__ void nothing_kernel(int *out) { out[0] = 1; }

Test(emulator, bad_launch_configurations_are_refused)
{
    int *d, h = 0;
    cr_assert_eq(cudaMalloc((void **)&d, sizeof(int)), cudaSuccess);
    cudaMemset(d, 0, sizeof(int));
    const struct {
        dim3 grid, block;
        size_t shmem;
        cudaError_t e;
    } bad[] = {{dim3(1), dim3(1025), 0, cudaErrorInvalidConfiguration},
               {dim3(1), dim3(32, 32, 2), 0, cudaErrorInvalidConfiguration},
               {dim3(1), dim3(1, 1, 65), 0, cudaErrorInvalidConfiguration},
               {dim3(0), dim3(32), 0, cudaErrorInvalidConfiguration},
               {dim3(1, 65536), dim3(32), 0, cudaErrorInvalidConfiguration},
               {dim3(1), dim3(0), 0, cudaErrorInvalidConfiguration},
               {dim3(1), dim3(32), 48 * 1024 + 1, cudaErrorInvalidValue}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        FV_LAUNCH(nothing_kernel, bad[i].grid, bad[i].block, bad[i].shmem, 0, d);
        cr_assert_eq(cudaGetLastError(), bad[i].e, "case %zu", i);
        cr_assert_eq(cudaGetLastError(), cudaSuccess, "case %zu: the error is not sticky", i);
    }
    cudaStream_t s;
    cr_assert_eq(cudaStreamCreate(&s), cudaSuccess);
    cr_assert_eq(cudaStreamDestroy(s), cudaSuccess);
    FV_LAUNCH(nothing_kernel, 1, 32, 0, s, d);
    cr_assert_eq(cudaGetLastError(), cudaErrorInvalidResourceHandle, "a destroyed stream");
    cudaMemcpy(&h, d, sizeof h, cudaMemcpyDeviceToHost);
    cr_assert_eq(h, 0, "a refused launch ran");
    FV_LAUNCH(nothing_kernel, dim3(2, 65535), 1, 0, 0, d); /* the largest y is fine */
    cr_assert_eq(cudaGetLastError(), cudaSuccess);
    cudaFree(d);
}

/* ---------- memory ---------- */

Test(emulator, memory_is_checked_like_a_device)
{
    float *d, *e, h[64];
    cr_assert_eq(cudaMalloc((void **)&d, 100 * sizeof(float)), cudaSuccess);
    cr_assert_eq((uintptr_t)d % 256, 0u, "cudaMalloc returns 256-byte aligned memory");
    cr_assert_eq(cudaMemcpy(d + 36, h, sizeof h, cudaMemcpyHostToDevice), cudaSuccess, "up to the last byte");
    cr_assert_eq(cudaMemcpy(d + 37, h, sizeof h, cudaMemcpyHostToDevice), cudaErrorInvalidValue, "past the end");
    cr_assert_eq(cudaGetLastError(), cudaErrorInvalidValue);
    cr_assert_eq(cudaMemcpy(h, d, sizeof h, cudaMemcpyHostToDevice), cudaErrorInvalidValue, "direction swapped");
    cr_assert_eq(cudaMemcpy(d, h, sizeof h, cudaMemcpyDeviceToHost), cudaErrorInvalidValue, "direction swapped");
    cr_assert_eq(cudaMemcpy(h, h + 1, 8, cudaMemcpyDeviceToDevice), cudaErrorInvalidValue, "host as device");
    cr_assert_eq(cudaMemsetAsync(d + 99, 0, 8, 0), cudaErrorInvalidValue, "memset past the end");
    cr_assert_eq(cudaMemsetAsync(d + 99, 0, 4, 0), cudaSuccess);
    cr_assert_eq(cudaFree(d + 1), cudaErrorInvalidValue, "free of an interior pointer");
    size_t free0, total;
    cr_assert_eq(cudaMemGetInfo(&free0, &total), cudaSuccess);
    cr_assert_eq(cudaMalloc((void **)&e, 1 << 20), cudaSuccess);
    size_t free1;
    cudaMemGetInfo(&free1, &total);
    cr_assert_eq(free0 - free1, (size_t)1 << 20);
    cr_assert(isnan(e[0]) && isnan(e[(1 << 18) - 1]), "fresh device memory reads as NaN");
    float *big;
    cr_assert_eq(cudaMalloc((void **)&big, total), cudaErrorMemoryAllocation, "more than the device has");
    cr_assert_null(big);
    cr_assert_eq(cudaFree(e), cudaSuccess);
    cr_assert_eq(cudaFree(d), cudaSuccess);
    cr_assert_eq(cudaFree(d), cudaErrorInvalidValue, "double free");
    cr_assert_eq(cudaMemcpy(h, d, 4, cudaMemcpyDeviceToHost), cudaErrorInvalidValue, "use after free");
    cudaGetLastError();
}

Test(emulator, one_device_as_the_probe_sees_it)
{
    int n = 0, dev = -1;
    cr_assert_eq(cudaGetDeviceCount(&n), cudaSuccess);
    cr_assert_eq(n, 1);
    cudaDeviceProp p;
    cr_assert_eq(cudaGetDeviceProperties(&p, 0), cudaSuccess);
    cr_assert(strstr(p.name, "emulated"), "%s", p.name);
    cr_assert(p.major == 9 && p.minor == 0 && p.warpSize == 32 && p.maxThreadsPerBlock == 1024);
    cr_assert_eq(cudaSetDevice(1), cudaErrorInvalidDevice);
    cr_assert_eq(cudaGetDevice(&dev), cudaSuccess);
    cr_assert_eq(dev, 0);
    cudaGetLastError();
}
