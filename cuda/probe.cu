// fv_cuda_probe: asks the CUDA runtime for devices, so `auto` and `--version` can say what is there
// and a missing GPU or a too-old driver gives one clear line instead of a crash later.
#include <cstdio>

#include "backend/cuda_probe.h"

extern "C" int fv_cuda_probe(char *desc, size_t n)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorInsufficientDriver) {
        int drv = 0, rt = 0;
        cudaDriverGetVersion(&drv);
        cudaRuntimeGetVersion(&rt);
        if (drv == 0) {
            snprintf(desc, n, "no NVIDIA driver found (no GPU on this machine?)");
            return 0;
        }
        snprintf(desc, n, "the NVIDIA driver is too old (supports CUDA %d.%d, this build needs %d.%d)", drv / 1000,
                 drv % 1000 / 10, rt / 1000, rt % 1000 / 10);
        return 0;
    }
    if (e != cudaSuccess || count == 0) {
        snprintf(desc, n, "no CUDA device (%s)", e != cudaSuccess ? cudaGetErrorString(e) : "device count is 0");
        return 0;
    }
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
        snprintf(desc, n, "%d CUDA device(s), properties unreadable", count);
        return count;
    }
    snprintf(desc, n, "%d CUDA device(s); device 0: %s, compute %d.%d, %.1f GiB", count, prop.name, prop.major,
             prop.minor, prop.totalGlobalMem / 1073741824.0);
    return count;
}
