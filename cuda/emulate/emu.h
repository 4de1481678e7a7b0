/* The device side of the emulated CUDA build (cuda/emulate/, FV_CUDA_EMULATE): what nvcc provides to kernels,
 * for sources compiled as C++ for the host. Qualifiers become nothing (or, for __shared__, a static in a section
 * of its own, so the executor can measure it and fill it with NaN before every block); the built-in index
 * variables are globals the executor sets; the _rn intrinsics are plain IEEE operations (the build passes
 * -ffp-contract=off, so nothing fuses); atomics are plain read-modify-writes (one block runs at a time and its
 * threads switch only at barriers); barriers and warp shuffles go to the executor (cuda/emulate/execute.cpp).
 * FV_LAUNCH (cuda/launch.h) calls fv_emu_launch, which snapshots the arguments and runs the grid before it
 * returns: blocks one after another, the threads of a block as fibers in the order 0, 1, 2, ... */
#ifndef FV_EMU_H
#define FV_EMU_H

#include <cuda_runtime_api.h>

#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
/* Blocks run one after another, so one static copy serves every block. (No dynamic `extern __shared__`.) */
#define __shared__ static __attribute__((section("fv_emu_shared")))

#ifdef __cplusplus
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <tuple>
#include <type_traits>
#include <utility>

/* ---------- built-in variables (set by the executor for the running thread) ---------- */

extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;
constexpr int warpSize = 32;

/* ---------- intrinsics: IEEE round-to-nearest, one operation each ---------- */

inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return sqrt(a); }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
template <typename T> inline T __ldg(const T *p) { return *p; }

/* ---------- atomics: only one emulated thread runs at a time, and never between these two lines ---------- */

template <typename T> inline T fv_emu_atomic_add(T *a, T v)
{
    const T old = *a;
    *a = old + v;
    return old;
}
inline float atomicAdd(float *a, float v) { return fv_emu_atomic_add(a, v); }
inline double atomicAdd(double *a, double v) { return fv_emu_atomic_add(a, v); }
inline int atomicAdd(int *a, int v) { return fv_emu_atomic_add(a, v); }
inline unsigned atomicAdd(unsigned *a, unsigned v) { return fv_emu_atomic_add(a, v); }
inline unsigned long long atomicAdd(unsigned long long *a, unsigned long long v) { return fv_emu_atomic_add(a, v); }
inline int atomicOr(int *a, int v)
{
    const int old = *a;
    *a = old | v;
    return old;
}
inline unsigned atomicOr(unsigned *a, unsigned v)
{
    const unsigned old = *a;
    *a = old | v;
    return old;
}
inline int atomicMax(int *a, int v)
{
    const int old = *a;
    *a = old > v ? old : v;
    return old;
}
inline int atomicMin(int *a, int v)
{
    const int old = *a;
    *a = old < v ? old : v;
    return old;
}
inline int atomicExch(int *a, int v)
{
    const int old = *a;
    *a = v;
    return old;
}
inline int atomicCAS(int *a, int cmp, int v)
{
    const int old = *a;
    if (old == cmp) *a = v;
    return old;
}

/* ---------- barriers and warp operations (cuda/emulate/execute.cpp) ---------- */

/* Block barrier reached by the running thread at file:line; op combines the predicates (FV_EMU_BAR_*). Every
 * thread of the block must reach the same barrier: anything else is reported and aborts the process. */
enum { FV_EMU_BAR_SYNC, FV_EMU_BAR_OR, FV_EMU_BAR_AND, FV_EMU_BAR_COUNT };
int fv_emu_block_barrier(int op, int pred, const char *file, int line);
/* Warp operation: the lanes of mask (all of them must exist and arrive) exchange 8-byte payloads. */
enum { FV_EMU_WARP_SYNC, FV_EMU_SHFL_IDX, FV_EMU_SHFL_UP, FV_EMU_SHFL_DOWN, FV_EMU_SHFL_XOR, FV_EMU_BALLOT };
uint64_t fv_emu_warp_op(int op, unsigned mask, uint64_t value, int arg, int width, const char *file, int line);

inline void __syncthreads(const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    fv_emu_block_barrier(FV_EMU_BAR_SYNC, 0, file, line);
}
inline int __syncthreads_or(int pred, const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    return fv_emu_block_barrier(FV_EMU_BAR_OR, pred, file, line);
}
inline int __syncthreads_and(int pred, const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    return fv_emu_block_barrier(FV_EMU_BAR_AND, pred, file, line);
}
inline int __syncthreads_count(int pred, const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    return fv_emu_block_barrier(FV_EMU_BAR_COUNT, pred, file, line);
}
inline void __syncwarp(unsigned mask = 0xffffffffu, const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    fv_emu_warp_op(FV_EMU_WARP_SYNC, mask, 0, 0, warpSize, file, line);
}
inline unsigned __ballot_sync(unsigned mask, int pred, const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    return (unsigned)fv_emu_warp_op(FV_EMU_BALLOT, mask, pred != 0, 0, warpSize, file, line);
}
inline int __any_sync(unsigned mask, int pred, const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    return __ballot_sync(mask, pred, file, line) != 0;
}
inline int __all_sync(unsigned mask, int pred, const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    return __ballot_sync(mask, pred, file, line) == mask; /* the mask names only existing lanes (checked) */
}

template <typename T> inline T fv_emu_shfl(int op, unsigned mask, T var, int arg, int width, const char *file, int line)
{
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "warp shuffles move at most 8 bytes");
    uint64_t v = 0;
    memcpy(&v, &var, sizeof var);
    v = fv_emu_warp_op(op, mask, v, arg, width, file, line);
    T r;
    memcpy(&r, &v, sizeof r);
    return r;
}
template <typename T>
inline T __shfl_sync(unsigned mask, T var, int src, int width = warpSize, const char *file = __builtin_FILE(),
                     int line = __builtin_LINE())
{
    return fv_emu_shfl(FV_EMU_SHFL_IDX, mask, var, src, width, file, line);
}
template <typename T>
inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize, const char *file = __builtin_FILE(),
                        int line = __builtin_LINE())
{
    return fv_emu_shfl(FV_EMU_SHFL_UP, mask, var, (int)delta, width, file, line);
}
template <typename T>
inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize,
                          const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    return fv_emu_shfl(FV_EMU_SHFL_DOWN, mask, var, (int)delta, width, file, line);
}
template <typename T>
inline T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize,
                         const char *file = __builtin_FILE(), int line = __builtin_LINE())
{
    return fv_emu_shfl(FV_EMU_SHFL_XOR, mask, var, lane_mask, width, file, line);
}

/* ---------- the launcher behind FV_LAUNCH ---------- */

/* Runs invoke(pack) once per thread of every block of the grid, before returning. A bad configuration (no
 * threads, more than 1024 per block, grid or block dimensions past the device's limits, more than 48 KiB of
 * shared memory, more than 4 KiB of parameters, an unknown stream) launches nothing and leaves the error for
 * cudaGetLastError, as the real runtime does. */
void fv_emu_run(const char *name, dim3 grid, dim3 block, size_t shmem, cudaStream_t stream, size_t param_bytes,
                void (*invoke)(const void *pack), const void *pack);

/* Bytes of the kernel's parameters laid out in order with their alignments (the parameter buffer's size). */
template <typename... P> constexpr size_t fv_emu_param_bytes()
{
    size_t off = 0;
    ((off = (off + alignof(P) - 1) / alignof(P) * alignof(P) + sizeof(P)), ...);
    return off;
}

/* The kernel and its arguments, converted to the parameter types once at launch (the snapshot a launch takes);
 * every thread then gets its own copies, as kernel parameters are by value. */
template <typename... P> struct fv_emu_pack {
    void (*kernel)(P...);
    std::tuple<typename std::decay<P>::type...> args;
    static void invoke(const void *p)
    {
        const fv_emu_pack *k = static_cast<const fv_emu_pack *>(p);
        std::apply(k->kernel, k->args);
    }
};

template <typename... P, typename... A>
inline void fv_emu_launch(const char *name, void (*kernel)(P...), dim3 grid, dim3 block, size_t shmem,
                          cudaStream_t stream, A &&...args)
{
    static_assert(sizeof...(P) == sizeof...(A), "FV_LAUNCH: argument count differs from the kernel's parameters");
    const fv_emu_pack<P...> pack{kernel, std::tuple<typename std::decay<P>::type...>(std::forward<A>(args)...)};
    fv_emu_run(name, grid, block, shmem, stream, fv_emu_param_bytes<typename std::decay<P>::type...>(),
               &fv_emu_pack<P...>::invoke, &pack);
}

#endif /* __cplusplus */
#endif
