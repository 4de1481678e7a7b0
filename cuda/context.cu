// A CUDA backend instance's context (cuda/context.h): made from fv_backend_options when an instance opens,
// released when it closes. Nothing here reads the environment or keeps process-wide state.
#include <cstdio>
#include <cstdlib>

#include "backend/backend.h"
#include "backend/cuda_probe.h"
#include "context.h"

static_assert(FV_CUDNN_FWD_ALGOS == CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
              "backend.h's forward algorithm count must match this cuDNN");
static_assert(FV_CUDNN_BWD_DATA_ALGOS == CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
              "backend.h's backward-data algorithm count must match this cuDNN");

// A GPU to run on, or one clear line saying why there is none (the probe's words: no driver, a driver too old
// for this build, no device).
static fv_status find_device(int device)
{
    char why[256];
    const int count = fv_cuda_probe(why, sizeof why);
    if (count <= 0) return fv_fail(FV_ERR_UNSUPPORTED, "CUDA backend: %s", why);
    if (device >= count)
        return fv_fail(FV_ERR_UNSUPPORTED, "CUDA backend: device %d asked for, this machine has %d", device, count);
    return FV_OK;
}

static void log_context(const fv_cuda_ctx *c, const cudaDeviceProp *prop)
{
    fprintf(stderr,
            "cuda: device %d %s (compute %d.%d), cuDNN %zu, cuBLAS %d; %s; cudnn workspace cap %zu MiB, fwd algo %d, "
            "bwd-data algo %d, find %d\n",
            c->device, prop->name, prop->major, prop->minor, cudnnGetVersion(), CUBLAS_VERSION,
            c->tf32 ? "TF32 tensor cores" : "FP32 (FMA)", c->ws_cap >> 20, c->force_fwd_algo, c->force_bwd_algo,
            c->use_find);
}

// TF32 where the options and the device allow it: AUTO takes it on compute capability 8.0 and newer.
static fv_status resolve_precision(const fv_backend_options *o, const cudaDeviceProp *prop, int *tf32)
{
    const int has = prop->major >= 8;
    if (o->precision == FV_PRECISION_TF32 && !has)
        return fv_fail(FV_ERR_UNSUPPORTED, "CUDA backend: --precision tf32 needs compute capability 8.0 or newer, "
                                           "device %d (%s) is %d.%d", o->device, prop->name, prop->major, prop->minor);
    *tf32 = o->precision == FV_PRECISION_TF32 || (o->precision == FV_PRECISION_AUTO && has);
    return FV_OK;
}

// Creation proper; on failure the caller destroys whatever was made.
static fv_status create(const fv_backend_options *o, fv_cuda_ctx *c)
{
    FV_TRY(find_device(o->device));
    c->device = o->device;
    c->verbose = o->verbose;
    c->ws_cap = (size_t)o->cudnn_workspace_mib << 20;
    c->force_fwd_algo = o->cudnn_fwd_algo;
    c->force_bwd_algo = o->cudnn_bwd_data_algo;
    c->use_find = o->cudnn_find;
    FV_CUDA_CHECK(cudaSetDevice(c->device));
    cudaDeviceProp prop;
    FV_CUDA_CHECK(cudaGetDeviceProperties(&prop, c->device));
    FV_TRY(resolve_precision(o, &prop, &c->tf32));
    // A blocking stream of our own: instances never queue on each other's streams, and anything that still
    // runs on the legacy default stream (a plain cudaMemcpy in a test) stays ordered with it.
    FV_CUDA_CHECK(cudaStreamCreate(&c->stream));
    FV_CUDNN_CHECK(cudnnCreate(&c->cudnn));
    FV_CUDNN_CHECK(cudnnSetStream(c->cudnn, c->stream));
    FV_CUBLAS_CHECK(cublasCreate(&c->cublas));
    FV_CUBLAS_CHECK(cublasSetStream(c->cublas, c->stream));
    // FP32: CUBLAS_DEFAULT_MATH never uses TF32 for SGEMM, so results stay comparable with the CPU reference;
    // TF32: CUBLAS_TF32_TENSOR_OP_MATH. cuDNN convolutions set theirs on their descriptors (cuda/conv.cu).
    FV_CUBLAS_CHECK(cublasSetMathMode(c->cublas, c->tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    // Host pointers for alpha/beta (the cuBLAS default, stated so a later change elsewhere cannot surprise).
    FV_CUBLAS_CHECK(cublasSetPointerMode(c->cublas, CUBLAS_POINTER_MODE_HOST));
    FV_CUDA_CHECK(cudaMalloc(&c->scratch, FV_CUDA_SCRATCH_BYTES));
    if (c->verbose) log_context(c, &prop);
    return FV_OK;
}

extern "C" fv_status fv_cuda_ctx_create(const fv_backend_options *options, fv_cuda_ctx **out)
{
    if (!out) return fv_fail(FV_ERR_ARG, "fv_cuda_ctx_create: NULL output pointer");
    *out = NULL;
    FV_TRY(fv_backend_options_check(options));
    fv_cuda_ctx *c = (fv_cuda_ctx *)calloc(1, sizeof *c);
    if (!c) return fv_fail(FV_ERR_NOMEM, "CUDA backend: out of memory for a context");
    fv_status s = create(options, c);
    if (s != FV_OK) {
        fv_cuda_ctx_destroy(c); // keeps the message: teardown records no error
        return s;
    }
    *out = c;
    return FV_OK;
}

// Teardown errors have nowhere to go; everything is released regardless.
extern "C" void fv_cuda_ctx_destroy(fv_cuda_ctx *c)
{
    if (!c) return;
    if (c->stream || c->cudnn || c->cublas || c->scratch) {
        cudaSetDevice(c->device);
        if (c->stream) cudaStreamSynchronize(c->stream);
    }
    fv_cuda_conv_cache_free(c);
    if (c->scratch) cudaFree(c->scratch);
    if (c->cublas) cublasDestroy(c->cublas);
    if (c->cudnn) cudnnDestroy(c->cudnn);
    if (c->stream) cudaStreamDestroy(c->stream);
    free(c);
}

extern "C" fv_status fv_cuda_enter(fv_cuda_ctx *c)
{
    if (!c) return fv_fail(FV_ERR_ARG, "CUDA backend: no context (open the instance with fv_backend_open)");
    int cur = -1;
    FV_CUDA_CHECK(cudaGetDevice(&cur));
    if (cur != c->device) FV_CUDA_CHECK(cudaSetDevice(c->device));
    return FV_OK;
}

extern "C" fv_status fv_cuda_sync(fv_cuda_ctx *c)
{
    FV_TRY(fv_cuda_enter(c));
    FV_CUDA_CHECK(cudaStreamSynchronize(c->stream));
    return FV_OK;
}
