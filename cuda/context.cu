// The process's CUDA context (cuda/context.h): device 0, the stream every op queues on, the cuDNN and
// cuBLAS handles bound to it, and the settings read once from the environment (FV_VERBOSE,
// FV_CUDNN_WS_MB, FV_CUDNN_FWD_ALGO, FV_CUDNN_BWD_DATA_ALGO, FV_CUDNN_FIND).
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "context.h"

// The context is created once and lives until the process exits (the driver tears it down then):
// destroying handles from an atexit hook can run after the CUDA runtime has unloaded.
static fv_cuda_ctx fv_ctx;
static int fv_ctx_ready;
static int fv_verbose_forced = -1; // fv_cuda_set_verbose before creation: -1 = not set

/* An integer environment variable: *out keeps its default when the variable is absent or empty. */
static fv_status env_int(const char *name, long lo, long hi, long *out)
{
    const char *s = getenv(name);
    if (!s || !*s) return FV_OK;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return fv_fail(FV_ERR_ARG, "environment %s='%s' is not an integer in [%ld, %ld]", name, s, lo, hi);
    *out = v;
    return FV_OK;
}

static fv_status read_settings(fv_cuda_ctx *c)
{
    long verbose = 0, ws_mb = 1024, fwd = -1, bwd = -1, find = 0;
    FV_TRY(env_int("FV_VERBOSE", 0, INT_MAX, &verbose));
    FV_TRY(env_int("FV_CUDNN_WS_MB", 0, 1L << 20, &ws_mb));
    FV_TRY(env_int("FV_CUDNN_FWD_ALGO", -1, CUDNN_CONVOLUTION_FWD_ALGO_COUNT - 1, &fwd));
    FV_TRY(env_int("FV_CUDNN_BWD_DATA_ALGO", -1, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT - 1, &bwd));
    FV_TRY(env_int("FV_CUDNN_FIND", 0, 1, &find));
    c->verbose = fv_verbose_forced >= 0 ? fv_verbose_forced : verbose != 0;
    c->ws_cap = (size_t)ws_mb << 20;
    c->force_fwd_algo = (int)fwd;
    c->force_bwd_algo = (int)bwd;
    c->use_find = (int)find;
    return FV_OK;
}

/* Creation proper; on failure the caller releases whatever was made. */
static fv_status create(fv_cuda_ctx *c)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorInsufficientDriver) {
        int drv = 0, rt = 0;
        cudaDriverGetVersion(&drv);
        cudaRuntimeGetVersion(&rt);
        if (drv == 0) // the runtime reports a missing driver (a machine without a GPU) this way too
            return fv_fail(FV_ERR_UNSUPPORTED, "CUDA backend: no NVIDIA driver found (no GPU on this machine?)");
        return fv_fail(FV_ERR_UNSUPPORTED,
                       "CUDA backend: the NVIDIA driver is too old (supports CUDA %d.%d, this build needs %d.%d)",
                       drv / 1000, drv % 1000 / 10, rt / 1000, rt % 1000 / 10);
    }
    if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0))
        return fv_fail(FV_ERR_UNSUPPORTED, "CUDA backend: no CUDA device found");
    if (e != cudaSuccess)
        return fv_fail(FV_ERR_UNSUPPORTED, "CUDA backend: cannot query CUDA devices: %s", cudaGetErrorString(e));

    FV_TRY(read_settings(c));
    c->device = 0;
    FV_CUDA_CHECK(cudaSetDevice(c->device));
    // The legacy default stream (0): the kernels in kernels/ and the libraries then serialise with each
    // other and with plain cudaMemcpy/cudaMemset without any events, which is all one render thread needs.
    c->stream = 0;
    FV_CUDNN_CHECK(cudnnCreate(&c->cudnn));
    FV_CUDNN_CHECK(cudnnSetStream(c->cudnn, c->stream));
    FV_CUBLAS_CHECK(cublasCreate(&c->cublas));
    FV_CUBLAS_CHECK(cublasSetStream(c->cublas, c->stream));
    // Pinned FP32 numerics: CUBLAS_DEFAULT_MATH never uses TF32 for SGEMM (only CUBLAS_TF32_TENSOR_OP_MATH
    // would), so results stay comparable with the CPU reference. cuDNN convolutions pin CUDNN_FMA_MATH on
    // their own descriptors (cuda/conv.cu).
    FV_CUBLAS_CHECK(cublasSetMathMode(c->cublas, CUBLAS_DEFAULT_MATH));
    // Host pointers for alpha/beta (the cuBLAS default, stated so a later change elsewhere cannot surprise).
    FV_CUBLAS_CHECK(cublasSetPointerMode(c->cublas, CUBLAS_POINTER_MODE_HOST));

    if (c->verbose) {
        cudaDeviceProp prop;
        FV_CUDA_CHECK(cudaGetDeviceProperties(&prop, c->device));
        fprintf(stderr,
                "cuda: device 0 %s (compute %d.%d), cuDNN %zu, cuBLAS %d; cudnn workspace cap %zu MiB, fwd algo %d, "
                "bwd-data algo %d, find %d\n",
                prop.name, prop.major, prop.minor, cudnnGetVersion(), CUBLAS_VERSION, c->ws_cap >> 20,
                c->force_fwd_algo, c->force_bwd_algo, c->use_find);
    }
    return FV_OK;
}

extern "C" fv_status fv_cuda_ctx_get(fv_cuda_ctx **out)
{
    if (!out) return fv_fail(FV_ERR_ARG, "fv_cuda_ctx_get: NULL output pointer");
    *out = NULL;
    if (!fv_ctx_ready) {
        fv_cuda_ctx c = {};
        fv_status s = create(&c);
        if (s != FV_OK) {
            // Not remembered: a later call tries again (and fails again, cheaply, with the same message).
            if (c.cublas) cublasDestroy(c.cublas);
            if (c.cudnn) cudnnDestroy(c.cudnn);
            return s;
        }
        fv_ctx = c;
        fv_ctx_ready = 1;
    }
    *out = &fv_ctx;
    return FV_OK;
}

extern "C" void fv_cuda_set_verbose(int on)
{
    fv_verbose_forced = on != 0;
    if (fv_ctx_ready) fv_ctx.verbose = on != 0;
}

extern "C" fv_status fv_cuda_sync(void)
{
    fv_cuda_ctx *c;
    FV_TRY(fv_cuda_ctx_get(&c));
    FV_CUDA_CHECK(cudaStreamSynchronize(c->stream));
    return FV_OK;
}
