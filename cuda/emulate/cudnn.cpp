// Emulated cuDNN (cuda/emulate/include/cudnn.h) for the host build of the CUDA backend: the legacy descriptor
// API that cuda/conv.cu, lrn.cu and softmax.cu call, computed with straightforward host loops in FP32; a
// convolution whose math type is not FMA takes TF32-rounded operands (lib_common.h), and the math type is
// recorded for the tests (emu_libs.h).
//
// What is refused, and with which cuDNN 9 status (from the cuDNN API reference's "Returns" lists of each
// function; a category plus a sub-code where cuDNN 9 has one):
//  - NULL arguments -> CUDNN_STATUS_BAD_PARAM_NULL_POINTER; a handle or descriptor that is not live, or a
//    descriptor used before it was set -> CUDNN_STATUS_BAD_PARAM; out-of-range settings (negative or zero
//    sizes, negative strides, pads < 0, strides or dilations < 1, LRN outside its CUDNN_LRN_* limits, bad
//    enumerants) -> CUDNN_STATUS_BAD_PARAM; more than 2^31 elements -> CUDNN_STATUS_NOT_SUPPORTED.
//  - descriptors that disagree (channels of x and w, batch, output channels, a filter larger than the padded
//    input, softmax / LRN tensors of different sizes, softmax y and dy of different strides) -> BAD_PARAM as
//    documented, or NOT_SUPPORTED where documented (y's spatial size, LRN size mismatch, non-float data ->
//    CUDNN_STATUS_NOT_SUPPORTED_SHAPE / _DATA_TYPE).
//  - an algorithm that cannot run the shape -> a NOT_SUPPORTED sub-code (see the support table below), from
//    the listings, the workspace query and the call alike; a workspace smaller than the query's answer ->
//    CUDNN_STATUS_BAD_PARAM (what cuDNN returns for it); data not 16-byte aligned for an algorithm that
//    vectorises (not 4-byte aligned for any) -> CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER.
//  - what a GPU would only notice while running: data outside one live device allocation ->
//    CUDNN_STATUS_EXECUTION_FAILED; an output overlapping an input or the workspace, or the workspace an
//    input (undefined on a GPU) -> CUDNN_STATUS_BAD_PARAM; alpha / beta in device memory -> BAD_PARAM.
// Each refusal also leaves one line saying why (fv_emu_last_refusal, stderr).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include <cudnn.h>

#include "lib_common.h"

#define FV_TRY_ST(expr)                                                                                            \
    do {                                                                                                           \
        cudnnStatus_t fv_st_ = (expr);                                                                             \
        if (fv_st_ != CUDNN_STATUS_SUCCESS) return fv_st_;                                                         \
    } while (0)

// ---------- objects and the registry of live ones ----------

struct cudnnContext {
    cudaStream_t stream = nullptr;
};
struct cudnnTensorStruct {
    bool set = false;
    cudnnDataType_t dt = CUDNN_DATA_FLOAT;
    int d[4] = {0, 0, 0, 0}; // n, c, h, w
    int s[4] = {0, 0, 0, 0}; // their strides in elements
};
struct cudnnFilterStruct {
    bool set = false;
    cudnnDataType_t dt = CUDNN_DATA_FLOAT;
    cudnnTensorFormat_t format = CUDNN_TENSOR_NCHW;
    int k = 0, c = 0, h = 0, w = 0;
};
struct cudnnConvolutionStruct {
    bool set = false;
    int ph = 0, pw = 0, sh = 1, sw = 1, dh = 1, dw = 1, groups = 1;
    cudnnConvolutionMode_t mode = CUDNN_CONVOLUTION;
    cudnnDataType_t compute = CUDNN_DATA_FLOAT;
    cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};
struct cudnnLRNStruct { // cuDNN's defaults (Krizhevsky et al. 2012)
    unsigned n = 5;
    double alpha = 1e-4, beta = 0.75, k = 2.0;
};

namespace {

enum Kind { K_HANDLE = 1, K_TENSOR, K_FILTER, K_CONV, K_LRN };
std::mutex g_mu;
std::unordered_map<const void *, int> g_live;

bool is_live(const void *p, Kind kind)
{
    std::lock_guard<std::mutex> lock(g_mu);
    auto it = g_live.find(p);
    return p && it != g_live.end() && it->second == kind;
}

template <typename T> cudnnStatus_t create_obj(T **out, Kind kind, const char *what)
{
    if (!out) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, what, "output pointer is NULL");
    T *p = new (std::nothrow) T();
    if (!p) return CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
    std::lock_guard<std::mutex> lock(g_mu);
    g_live[p] = kind;
    *out = p;
    return CUDNN_STATUS_SUCCESS;
}

// Destroying NULL is a no-op, as in cuDNN.
template <typename T> cudnnStatus_t destroy_obj(T *p, Kind kind, const char *what)
{
    if (!p) return CUDNN_STATUS_SUCCESS;
    {
        std::lock_guard<std::mutex> lock(g_mu);
        auto it = g_live.find(p);
        if (it == g_live.end() || it->second != kind)
            return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "%p is not a live object of this kind", (void *)p);
        g_live.erase(it);
    }
    delete p;
    return CUDNN_STATUS_SUCCESS;
}

std::atomic<int> g_last_math[2] = {{-1}, {-1}}, g_last_algo[2] = {{-1}, {-1}}, g_last_math_any{-1};
std::atomic<long> g_conv_calls{0};
std::atomic<int> g_reject_status[2][8] = {};

} // namespace

extern "C" int fv_emu_last_conv_math(void) { return g_last_math_any.load(); }
extern "C" int fv_emu_last_conv_math_dir(int backward) { return g_last_math[backward ? 1 : 0].load(); }
extern "C" int fv_emu_last_conv_algo(int backward) { return g_last_algo[backward ? 1 : 0].load(); }
extern "C" long fv_emu_conv_calls(void) { return g_conv_calls.load(); }
extern "C" void fv_emu_cudnn_reject_at_run(int backward, int algo, int status)
{
    if (algo >= 0 && algo < 8) g_reject_status[backward ? 1 : 0][algo].store(status);
}

// ---------- the library ----------

extern "C" size_t cudnnGetVersion(void) { return CUDNN_VERSION; }

namespace {
struct StatusName {
    cudnnStatus_t s;
    const char *name;
};
#define FV_NAME(x) {x, #x}
const StatusName k_names[] = {
    FV_NAME(CUDNN_STATUS_SUCCESS),
    FV_NAME(CUDNN_STATUS_NOT_INITIALIZED),
    FV_NAME(CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH),
    FV_NAME(CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH),
    FV_NAME(CUDNN_STATUS_DEPRECATED),
    FV_NAME(CUDNN_STATUS_LICENSE_ERROR),
    FV_NAME(CUDNN_STATUS_RUNTIME_IN_PROGRESS),
    FV_NAME(CUDNN_STATUS_RUNTIME_FP_OVERFLOW),
    FV_NAME(CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED),
    FV_NAME(CUDNN_STATUS_BAD_PARAM),
    FV_NAME(CUDNN_STATUS_INVALID_VALUE),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_NULL_POINTER),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH),
    FV_NAME(CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_SHAPE),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_PADDING),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API),
    FV_NAME(CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE),
    FV_NAME(CUDNN_STATUS_INTERNAL_ERROR),
    FV_NAME(CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED),
    FV_NAME(CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE),
    FV_NAME(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED),
    FV_NAME(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED),
    FV_NAME(CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM),
    FV_NAME(CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED),
    FV_NAME(CUDNN_STATUS_EXECUTION_FAILED),
    FV_NAME(CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER),
    FV_NAME(CUDNN_STATUS_EXECUTION_FAILED_CUBLAS),
    FV_NAME(CUDNN_STATUS_EXECUTION_FAILED_CUDART),
    FV_NAME(CUDNN_STATUS_EXECUTION_FAILED_CURAND),
};
#undef FV_NAME
} // namespace

extern "C" const char *cudnnGetErrorString(cudnnStatus_t status)
{
    for (const StatusName &n : k_names)
        if (n.s == status) return n.name;
    return "CUDNN_STATUS_UNKNOWN";
}

extern "C" cudnnStatus_t cudnnCreate(cudnnHandle_t *handle) { return create_obj(handle, K_HANDLE, "cudnnCreate"); }
extern "C" cudnnStatus_t cudnnDestroy(cudnnHandle_t handle)
{
    if (!handle) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnDestroy", "handle is NULL");
    return destroy_obj(handle, K_HANDLE, "cudnnDestroy");
}

namespace {
cudnnStatus_t want_handle(cudnnHandle_t h, const char *what)
{
    if (!h) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, what, "handle is NULL");
    if (!is_live(h, K_HANDLE)) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "%p is not a live handle", (void *)h);
    return CUDNN_STATUS_SUCCESS;
}
} // namespace

extern "C" cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t streamId)
{
    FV_TRY_ST(want_handle(handle, "cudnnSetStream"));
    handle->stream = streamId;
    return CUDNN_STATUS_SUCCESS;
}

extern "C" cudnnStatus_t cudnnGetStream(cudnnHandle_t handle, cudaStream_t *streamId)
{
    FV_TRY_ST(want_handle(handle, "cudnnGetStream"));
    if (!streamId) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnGetStream", "streamId is NULL");
    *streamId = handle->stream;
    return CUDNN_STATUS_SUCCESS;
}

// ---------- tensors and filters ----------

namespace {

bool valid_dtype(cudnnDataType_t t)
{
    return t == CUDNN_DATA_FLOAT || t == CUDNN_DATA_DOUBLE || t == CUDNN_DATA_HALF || t == CUDNN_DATA_INT8 ||
           t == CUDNN_DATA_INT32 || t == CUDNN_DATA_UINT8 || t == CUDNN_DATA_BFLOAT16 || t == CUDNN_DATA_INT64;
}

// Elements from the first to the last one the descriptor addresses, plus one.
size_t tensor_span(const cudnnTensorStruct *t)
{
    size_t e = 1;
    for (int i = 0; i < 4; i++) e += (size_t)(t->d[i] - 1) * (size_t)t->s[i];
    return e;
}

// Fully packed NCHW (every stride the product of the sizes after it).
bool packed(const cudnnTensorStruct *t)
{
    return t->s[3] == 1 && t->s[2] == t->d[3] && t->s[1] == t->d[2] * t->d[3] && t->s[0] == t->d[1] * t->s[1];
}

// Channels and rows packed inside each image, images at least an image apart (a channel slice of a larger
// buffer, as cuda/cudnn_desc.h describes views).
bool chw_packed(const cudnnTensorStruct *t)
{
    return t->s[3] == 1 && t->s[2] == t->d[3] && t->s[1] == t->d[2] * t->d[3] && t->s[0] >= t->d[1] * t->s[1];
}

cudnnStatus_t want_tensor(const cudnnTensorStruct *t, const char *what, const char *name)
{
    if (!t) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, what, "%s descriptor is NULL", name);
    if (!is_live(t, K_TENSOR))
        return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "%s descriptor %p is not live", name, (const void *)t);
    if (!t->set) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "%s descriptor was never set", name);
    return CUDNN_STATUS_SUCCESS;
}

bool same_dims(const cudnnTensorStruct *a, const cudnnTensorStruct *b)
{
    return std::equal(a->d, a->d + 4, b->d);
}

// Host scalars (alpha, beta): present, and not device memory (cuDNN reads them on the host).
cudnnStatus_t want_scalars(const void *alpha, const void *beta, const char *what)
{
    if (!alpha || !beta) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, what, "alpha or beta is NULL");
    if (fv_emu_device_range(alpha, sizeof(float)) || fv_emu_device_range(beta, sizeof(float)))
        return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "alpha or beta points to device memory (host scalars)");
    return CUDNN_STATUS_SUCCESS;
}

// A tensor's data: present, inside one live allocation, aligned to `align` bytes.
cudnnStatus_t want_data(const void *p, size_t elems, size_t align, const char *what, const char *name)
{
    if (!p) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, what, "%s is NULL", name);
    if (fv_emu_outside(p, elems * sizeof(float)))
        return fv_emu_refuse(CUDNN_STATUS_EXECUTION_FAILED, what,
                             "%s [%p, +%zu floats) is not inside one live device allocation", name, p, elems);
    if (!fv_emu_aligned(p, align))
        return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER, what,
                             "%s %p is %zu-byte aligned, this call needs %zu", name, p, fv_emu_alignment(p), align);
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t want_float(const cudnnTensorStruct *t, const char *what, const char *name)
{
    if (t->dt != CUDNN_DATA_FLOAT)
        return fv_emu_refuse(CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE, what, "%s is of data type %d (emulated: float only)",
                             name, (int)t->dt);
    return CUDNN_STATUS_SUCCESS;
}

ptrdiff_t off(const cudnnTensorStruct *t, int n, int c, int h, int w)
{
    return (ptrdiff_t)n * t->s[0] + (ptrdiff_t)c * t->s[1] + (ptrdiff_t)h * t->s[2] + (ptrdiff_t)w * t->s[3];
}

} // namespace

extern "C" cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *tensorDesc)
{
    return create_obj(tensorDesc, K_TENSOR, "cudnnCreateTensorDescriptor");
}

extern "C" cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t tensorDesc)
{
    return destroy_obj(tensorDesc, K_TENSOR, "cudnnDestroyTensorDescriptor");
}

extern "C" cudnnStatus_t cudnnSetTensor4dDescriptorEx(cudnnTensorDescriptor_t t, cudnnDataType_t dataType, int n,
                                                      int c, int h, int w, int nStride, int cStride, int hStride,
                                                      int wStride)
{
    const char *what = "cudnnSetTensor4dDescriptorEx";
    if (!t) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, what, "descriptor is NULL");
    if (!is_live(t, K_TENSOR)) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "descriptor is not live");
    if (!valid_dtype(dataType)) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "data type %d", (int)dataType);
    if (n < 1 || c < 1 || h < 1 || w < 1)
        return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "sizes (%d, %d, %d, %d)", n, c, h, w);
    if (nStride < 0 || cStride < 0 || hStride < 0 || wStride < 0)
        return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "strides (%d, %d, %d, %d)", nStride, cStride, hStride,
                             wStride);
    if ((double)n * c * h * w > 2147483647.0)
        return fv_emu_refuse(CUDNN_STATUS_NOT_SUPPORTED, what, "more than 2^31 elements");
    t->dt = dataType;
    t->d[0] = n, t->d[1] = c, t->d[2] = h, t->d[3] = w;
    t->s[0] = nStride, t->s[1] = cStride, t->s[2] = hStride, t->s[3] = wStride;
    t->set = true;
    return CUDNN_STATUS_SUCCESS;
}

extern "C" cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t t, cudnnTensorFormat_t format,
                                                    cudnnDataType_t dataType, int n, int c, int h, int w)
{
    if (format == CUDNN_TENSOR_NCHW)
        return cudnnSetTensor4dDescriptorEx(t, dataType, n, c, h, w, c * h * w, h * w, w, 1);
    if (format == CUDNN_TENSOR_NHWC)
        return cudnnSetTensor4dDescriptorEx(t, dataType, n, c, h, w, c * h * w, 1, w * c, c);
    return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, "cudnnSetTensor4dDescriptor", "format %d", (int)format);
}

extern "C" cudnnStatus_t cudnnGetTensor4dDescriptor(const cudnnTensorDescriptor_t t, cudnnDataType_t *dataType, int *n,
                                                    int *c, int *h, int *w, int *nStride, int *cStride, int *hStride,
                                                    int *wStride)
{
    FV_TRY_ST(want_tensor(t, "cudnnGetTensor4dDescriptor", "tensor"));
    if (!dataType || !n || !c || !h || !w || !nStride || !cStride || !hStride || !wStride)
        return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnGetTensor4dDescriptor", "an output is NULL");
    *dataType = t->dt;
    *n = t->d[0], *c = t->d[1], *h = t->d[2], *w = t->d[3];
    *nStride = t->s[0], *cStride = t->s[1], *hStride = t->s[2], *wStride = t->s[3];
    return CUDNN_STATUS_SUCCESS;
}

extern "C" cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *filterDesc)
{
    return create_obj(filterDesc, K_FILTER, "cudnnCreateFilterDescriptor");
}

extern "C" cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t filterDesc)
{
    return destroy_obj(filterDesc, K_FILTER, "cudnnDestroyFilterDescriptor");
}

extern "C" cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t f, cudnnDataType_t dataType,
                                                    cudnnTensorFormat_t format, int k, int c, int h, int w)
{
    const char *what = "cudnnSetFilter4dDescriptor";
    if (!f) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, what, "descriptor is NULL");
    if (!is_live(f, K_FILTER)) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "descriptor is not live");
    if (!valid_dtype(dataType)) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "data type %d", (int)dataType);
    if (format != CUDNN_TENSOR_NCHW && format != CUDNN_TENSOR_NHWC && format != CUDNN_TENSOR_NCHW_VECT_C)
        return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "format %d", (int)format);
    if (k < 1 || c < 1 || h < 1 || w < 1)
        return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "sizes (%d, %d, %d, %d)", k, c, h, w);
    f->dt = dataType, f->format = format, f->k = k, f->c = c, f->h = h, f->w = w;
    f->set = true;
    return CUDNN_STATUS_SUCCESS;
}

// C = alpha * A + beta * C, each dimension of A equal to C's or 1 (broadcast).
extern "C" cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, const void *alpha, const cudnnTensorDescriptor_t aDesc,
                                        const void *A, const void *beta, const cudnnTensorDescriptor_t cDesc, void *C)
{
    const char *what = "cudnnAddTensor";
    FV_TRY_ST(want_handle(handle, what));
    FV_TRY_ST(want_tensor(aDesc, what, "A"));
    FV_TRY_ST(want_tensor(cDesc, what, "C"));
    FV_TRY_ST(want_scalars(alpha, beta, what));
    if (aDesc->dt != cDesc->dt) return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "A and C data types differ");
    for (int i = 0; i < 4; i++)
        if (aDesc->d[i] != cDesc->d[i] && aDesc->d[i] != 1)
            return fv_emu_refuse(CUDNN_STATUS_BAD_PARAM, what, "A's dimension %d is %d, C's %d (must match or be 1)", i,
                                 aDesc->d[i], cDesc->d[i]);
    FV_TRY_ST(want_float(cDesc, what, "C"));
    FV_TRY_ST(want_data(A, tensor_span(aDesc), sizeof(float), what, "A"));
    FV_TRY_ST(want_data(C, tensor_span(cDesc), sizeof(float), what, "C"));
    const float a = *(const float *)alpha, b = *(const float *)beta;
    const float *pa = (const float *)A;
    float *pc = (float *)C;
    const int *cd = cDesc->d;
    for (int n = 0; n < cd[0]; n++)
        for (int c = 0; c < cd[1]; c++)
            for (int h = 0; h < cd[2]; h++)
                for (int w = 0; w < cd[3]; w++) {
                    float v = a * pa[off(aDesc, aDesc->d[0] > 1 ? n : 0, aDesc->d[1] > 1 ? c : 0,
                                         aDesc->d[2] > 1 ? h : 0, aDesc->d[3] > 1 ? w : 0)];
                    float &dst = pc[off(cDesc, n, c, h, w)];
                    dst = b == 0.0f ? v : v + b * dst;
                }
    return CUDNN_STATUS_SUCCESS;
}

#include "cudnn_conv.inc"
#include "cudnn_norm.inc"
