// The emulated CUDA runtime (FV_CUDA_EMULATE): one device, 0, named "featvis emulated device (host CPU)",
// compute capability 9.0 and a pretend 8 GiB; its memory is host memory, 256-byte aligned, registered in a table
// (cuda/emulate/emu_memory.h) and filled with NaN bytes when allocated and freed, so reads of memory nobody wrote
// show. Copies and memsets check that their device side lies inside one live allocation and their host side
// outside every allocation (on a GPU a device address is no host address), and fail as the real runtime does
// (cudaErrorInvalidValue), saying why on stderr. Every call completes before it returns; streams are tokens.
// The kernel executor is cuda/emulate/execute.cpp.
#include <cuda_runtime.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <mutex>
#include <set>

#include "cuda/emulate/emu_internal.h"
#include "cuda/emulate/emu_memory.h"

namespace {

const size_t kTotalMem = (size_t)8 << 30;
const size_t kAlign = 256;
const unsigned char kPoison = 0xff; // every float and double made of these bytes is a NaN

thread_local cudaError_t last_error = cudaSuccess;
thread_local int current_device = 0;

// Live allocations: start -> requested size. One lock for the table and the streams.
std::mutex mem_lock;
std::map<uintptr_t, size_t> allocs;
size_t allocated = 0;
std::set<cudaStream_t> streams;

// The allocation holding [p, p + bytes) (bytes 0: p inside or at the end), or allocs.end(). Lock held.
std::map<uintptr_t, size_t>::const_iterator find_alloc(const void *p, size_t bytes)
{
    const uintptr_t a = (uintptr_t)p;
    auto it = allocs.upper_bound(a);
    if (it == allocs.begin()) return allocs.end();
    --it;
    const uintptr_t end = it->first + it->second;
    if (a > end || bytes > end - a) return allocs.end();
    return it;
}

// 1 if any byte of [p, p + bytes) (or p itself when bytes is 0) belongs to a live allocation. Lock held.
int touches_device(const void *p, size_t bytes)
{
    const uintptr_t a = (uintptr_t)p, e = a + (bytes ? bytes : 1);
    auto it = allocs.lower_bound(e);
    if (it == allocs.begin()) return 0;
    --it;
    return it->first + it->second > a;
}

// Checks one side of a copy or memset: device sides inside one allocation, host sides outside all. Lock held.
cudaError_t check_side(const char *call, const char *side, const void *p, size_t bytes, int device)
{
    if (!p) return fv_emu_error(cudaErrorInvalidValue, "%s: %s pointer is NULL", call, side);
    if (device && find_alloc(p, bytes) == allocs.end())
        return fv_emu_error(cudaErrorInvalidValue,
                            "%s: device %s [%p, +%zu bytes) is not inside one live cudaMalloc allocation", call, side,
                            p, bytes);
    if (!device && touches_device(p, bytes))
        return fv_emu_error(cudaErrorInvalidValue,
                            "%s: host %s [%p, +%zu bytes) lies in device memory (a device address is no host address "
                            "on a GPU: wrong cudaMemcpyKind?)",
                            call, side, p, bytes);
    return cudaSuccess;
}

cudaError_t check_stream(const char *call, cudaStream_t s)
{
    if (!fv_emu_stream_valid(s))
        return fv_emu_error(cudaErrorInvalidResourceHandle, "%s: stream %p was never created or is destroyed", call,
                            (void *)s);
    return cudaSuccess;
}

cudaError_t copy(const char *call, void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
    if (count == 0) return cudaSuccess;
    std::lock_guard<std::mutex> g(mem_lock);
    int dev_dst, dev_src;
    switch (kind) {
    case cudaMemcpyHostToHost: dev_dst = 0, dev_src = 0; break;
    case cudaMemcpyHostToDevice: dev_dst = 1, dev_src = 0; break;
    case cudaMemcpyDeviceToHost: dev_dst = 0, dev_src = 1; break;
    case cudaMemcpyDeviceToDevice: dev_dst = 1, dev_src = 1; break;
    case cudaMemcpyDefault:
        dev_dst = touches_device(dst, 0), dev_src = touches_device(src, 0);
        break;
    default: return fv_emu_error(cudaErrorInvalidMemcpyDirection, "%s: cudaMemcpyKind %d", call, (int)kind);
    }
    cudaError_t e = check_side(call, "destination", dst, count, dev_dst);
    if (e == cudaSuccess) e = check_side(call, "source", src, count, dev_src);
    if (e != cudaSuccess) return e;
    const uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
    if (d < s + count && s < d + count)
        return fv_emu_error(cudaErrorInvalidValue, "%s: source and destination overlap (%zu bytes at %p and %p)", call,
                            count, src, dst);
    memcpy(dst, src, count);
    return cudaSuccess;
}

cudaError_t fill(const char *call, void *p, int value, size_t count)
{
    if (count == 0) return cudaSuccess;
    std::lock_guard<std::mutex> g(mem_lock);
    cudaError_t e = check_side(call, "destination", p, count, 1);
    if (e != cudaSuccess) return e;
    memset(p, value, count);
    return cudaSuccess;
}

} // namespace

cudaError_t fv_emu_error(cudaError_t e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("featvis emulated CUDA: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    last_error = e;
    return e;
}

int fv_emu_stream_valid(cudaStream_t s)
{
    if (!s) return 1;
    std::lock_guard<std::mutex> g(mem_lock);
    return streams.count(s) != 0;
}

extern "C" int fv_emu_device_range(const void *p, size_t bytes)
{
    std::lock_guard<std::mutex> g(mem_lock);
    return find_alloc(p, bytes) != allocs.end();
}

extern "C" size_t fv_emu_alignment(const void *p)
{
    const uintptr_t a = (uintptr_t)p;
    size_t al = 1;
    while (al < 256 && (a & al) == 0) al <<= 1;
    return al;
}

// ---------- device ----------

extern "C" cudaError_t cudaGetDeviceCount(int *count)
{
    if (!count) return fv_emu_error(cudaErrorInvalidValue, "cudaGetDeviceCount: NULL count");
    *count = 1;
    return cudaSuccess;
}

extern "C" cudaError_t cudaSetDevice(int device)
{
    if (device != 0) return fv_emu_error(cudaErrorInvalidDevice, "cudaSetDevice(%d): the emulated device is 0", device);
    current_device = device;
    return cudaSuccess;
}

extern "C" cudaError_t cudaGetDevice(int *device)
{
    if (!device) return fv_emu_error(cudaErrorInvalidValue, "cudaGetDevice: NULL device");
    *device = current_device;
    return cudaSuccess;
}

extern "C" cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device)
{
    if (!prop) return fv_emu_error(cudaErrorInvalidValue, "cudaGetDeviceProperties: NULL prop");
    if (device != 0)
        return fv_emu_error(cudaErrorInvalidDevice, "cudaGetDeviceProperties(%d): the emulated device is 0", device);
    memset(prop, 0, sizeof *prop);
    snprintf(prop->name, sizeof prop->name, "featvis emulated device (host CPU)");
    prop->totalGlobalMem = kTotalMem;
    prop->sharedMemPerBlock = 48 << 10;
    prop->sharedMemPerBlockOptin = 48 << 10;
    prop->sharedMemPerMultiprocessor = 48 << 10;
    prop->regsPerBlock = prop->regsPerMultiprocessor = 65536;
    prop->warpSize = 32;
    prop->memPitch = (size_t)1 << 31;
    prop->maxThreadsPerBlock = prop->maxThreadsPerMultiProcessor = 1024;
    prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024, prop->maxThreadsDim[2] = 64;
    prop->maxGridSize[0] = 0x7fffffff, prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
    prop->totalConstMem = 64 << 10;
    prop->major = 9, prop->minor = 0;
    prop->textureAlignment = 512;
    prop->multiProcessorCount = 1;
    prop->unifiedAddressing = 1;
    prop->memoryBusWidth = 64;
    return cudaSuccess;
}

extern "C" cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }

extern "C" cudaError_t cudaDriverGetVersion(int *version)
{
    if (!version) return fv_emu_error(cudaErrorInvalidValue, "cudaDriverGetVersion: NULL version");
    *version = CUDART_VERSION;
    return cudaSuccess;
}

extern "C" cudaError_t cudaRuntimeGetVersion(int *version)
{
    if (!version) return fv_emu_error(cudaErrorInvalidValue, "cudaRuntimeGetVersion: NULL version");
    *version = CUDART_VERSION;
    return cudaSuccess;
}

// ---------- errors ----------

extern "C" cudaError_t cudaGetLastError(void)
{
    const cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}

extern "C" cudaError_t cudaPeekAtLastError(void) { return last_error; }

extern "C" const char *cudaGetErrorName(cudaError_t e)
{
    switch (e) {
#define FV_EMU_NAME(x) \
    case x: return #x;
        FV_EMU_NAME(cudaSuccess)
        FV_EMU_NAME(cudaErrorInvalidValue)
        FV_EMU_NAME(cudaErrorMemoryAllocation)
        FV_EMU_NAME(cudaErrorInitializationError)
        FV_EMU_NAME(cudaErrorInvalidConfiguration)
        FV_EMU_NAME(cudaErrorInvalidPitchValue)
        FV_EMU_NAME(cudaErrorInvalidSymbol)
        FV_EMU_NAME(cudaErrorInvalidDevicePointer)
        FV_EMU_NAME(cudaErrorInvalidMemcpyDirection)
        FV_EMU_NAME(cudaErrorInsufficientDriver)
        FV_EMU_NAME(cudaErrorNoDevice)
        FV_EMU_NAME(cudaErrorInvalidDevice)
        FV_EMU_NAME(cudaErrorInvalidResourceHandle)
        FV_EMU_NAME(cudaErrorNotReady)
        FV_EMU_NAME(cudaErrorIllegalAddress)
        FV_EMU_NAME(cudaErrorLaunchOutOfResources)
        FV_EMU_NAME(cudaErrorLaunchTimeout)
        FV_EMU_NAME(cudaErrorLaunchFailure)
        FV_EMU_NAME(cudaErrorNotSupported)
        FV_EMU_NAME(cudaErrorUnknown)
#undef FV_EMU_NAME
    }
    return "cudaErrorUnknown";
}

// The real runtime's wording for the codes it shares with us.
extern "C" const char *cudaGetErrorString(cudaError_t e)
{
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInitializationError: return "initialization error";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidPitchValue: return "invalid pitch argument";
    case cudaErrorInvalidSymbol: return "invalid device symbol";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorLaunchTimeout: return "the launch timed out and was terminated";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorNotSupported: return "operation not supported";
    case cudaErrorUnknown: return "unknown error";
    }
    return "unrecognized error code";
}

// ---------- memory ----------

extern "C" cudaError_t cudaMalloc(void **ptr, size_t size)
{
    if (!ptr) return fv_emu_error(cudaErrorInvalidValue, "cudaMalloc: NULL pointer to the result");
    *ptr = NULL;
    if (size == 0) return cudaSuccess; // as the real runtime: success and a NULL pointer
    std::lock_guard<std::mutex> g(mem_lock);
    if (size > kTotalMem - allocated) {
        last_error = cudaErrorMemoryAllocation; // an expected answer (callers size by it): no message
        return cudaErrorMemoryAllocation;
    }
    const size_t rounded = (size + kAlign - 1) / kAlign * kAlign;
    void *p = aligned_alloc(kAlign, rounded);
    if (!p) {
        last_error = cudaErrorMemoryAllocation;
        return cudaErrorMemoryAllocation;
    }
    memset(p, kPoison, rounded);
    allocs[(uintptr_t)p] = size;
    allocated += size;
    *ptr = p;
    return cudaSuccess;
}

extern "C" cudaError_t cudaFree(void *ptr)
{
    if (!ptr) return cudaSuccess;
    std::lock_guard<std::mutex> g(mem_lock);
    auto it = allocs.find((uintptr_t)ptr);
    if (it == allocs.end())
        return fv_emu_error(cudaErrorInvalidValue, "cudaFree(%p): not the start of a live cudaMalloc allocation%s", ptr,
                            touches_device(ptr, 0) ? " (it points inside one)" : " (freed already, or never allocated)");
    memset(ptr, kPoison, it->second);
    allocated -= it->second;
    allocs.erase(it);
    free(ptr);
    return cudaSuccess;
}

extern "C" cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes)
{
    if (!free_bytes || !total_bytes) return fv_emu_error(cudaErrorInvalidValue, "cudaMemGetInfo: NULL argument");
    std::lock_guard<std::mutex> g(mem_lock);
    *total_bytes = kTotalMem;
    *free_bytes = kTotalMem - allocated;
    return cudaSuccess;
}

extern "C" cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
    return copy("cudaMemcpy", dst, src, count, kind);
}

extern "C" cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                                       cudaStream_t stream)
{
    cudaError_t e = check_stream("cudaMemcpyAsync", stream);
    return e != cudaSuccess ? e : copy("cudaMemcpyAsync", dst, src, count, kind);
}

extern "C" cudaError_t cudaMemset(void *ptr, int value, size_t count) { return fill("cudaMemset", ptr, value, count); }

extern "C" cudaError_t cudaMemsetAsync(void *ptr, int value, size_t count, cudaStream_t stream)
{
    cudaError_t e = check_stream("cudaMemsetAsync", stream);
    return e != cudaSuccess ? e : fill("cudaMemsetAsync", ptr, value, count);
}

// ---------- streams ----------

struct CUstream_st {
    int unused;
};

extern "C" cudaError_t cudaStreamCreate(cudaStream_t *stream)
{
    if (!stream) return fv_emu_error(cudaErrorInvalidValue, "cudaStreamCreate: NULL stream");
    cudaStream_t s = new CUstream_st();
    std::lock_guard<std::mutex> g(mem_lock);
    streams.insert(s);
    *stream = s;
    return cudaSuccess;
}

extern "C" cudaError_t cudaStreamDestroy(cudaStream_t stream)
{
    if (!stream) return fv_emu_error(cudaErrorInvalidResourceHandle, "cudaStreamDestroy: the default stream");
    std::lock_guard<std::mutex> g(mem_lock);
    if (!streams.erase(stream))
        return fv_emu_error(cudaErrorInvalidResourceHandle, "cudaStreamDestroy(%p): no such stream", (void *)stream);
    delete stream;
    return cudaSuccess;
}

extern "C" cudaError_t cudaStreamSynchronize(cudaStream_t stream)
{
    return check_stream("cudaStreamSynchronize", stream);
}
