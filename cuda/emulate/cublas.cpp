// Emulated cuBLAS (cuda/emulate/include/cublas_v2.h) for the host build of the CUDA backend: handles with
// their stream, pointer mode and math mode, and column-major SGEMM / strided-batched SGEMM through OpenBLAS.
// Arguments are checked as cuBLAS documents them (cuBLAS Library, cublas<t>gemm: m, n, k >= 0, a valid
// operation, lda >= max(1, rows of op(A) stored), ldb likewise, ldc >= max(1, m), alpha and beta non-NULL ->
// else CUBLAS_STATUS_INVALID_VALUE; a handle that is not live -> CUBLAS_STATUS_NOT_INITIALIZED). What a GPU
// would only notice while running (a matrix outside any device allocation, a misaligned float, a scalar in
// the wrong memory for the pointer mode, an output overlapping an input) is refused here with
// CUBLAS_STATUS_EXECUTION_FAILED (the scalar case: INVALID_VALUE) and one line saying why (emu_libs.h).
// The math mode is recorded for the tests (fv_emu_cublas_math); CUBLAS_TF32_TENSOR_OP_MATH rounds A and B to
// TF32 (lib_common.h), all else is FP32.
#include <cblas.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <mutex>
#include <new>
#include <unordered_set>

#include <cublas_v2.h>

#include "lib_common.h"

// ---------- handles ----------

struct cublasContext {
    cudaStream_t stream;
    cublasPointerMode_t pointer_mode;
    int math;
};

static std::mutex g_mu;
static std::unordered_set<const void *> g_live;
static std::atomic<int> g_last_gemm_math{-1};

static bool live(const void *h)
{
    std::lock_guard<std::mutex> lock(g_mu);
    return h && g_live.count(h);
}

extern "C" int fv_emu_cublas_math(const void *handle)
{
    return live(handle) ? ((const cublasContext *)handle)->math : -1;
}

extern "C" int fv_emu_last_gemm_math(void) { return g_last_gemm_math.load(); }

extern "C" cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)
{
    if (!handle) return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, "cublasCreate", "handle is NULL");
    cublasContext *c = new (std::nothrow) cublasContext{nullptr, CUBLAS_POINTER_MODE_HOST, CUBLAS_DEFAULT_MATH};
    if (!c) return CUBLAS_STATUS_ALLOC_FAILED;
    std::lock_guard<std::mutex> lock(g_mu);
    g_live.insert(c);
    *handle = c;
    return CUBLAS_STATUS_SUCCESS;
}

extern "C" cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)
{
    {
        std::lock_guard<std::mutex> lock(g_mu);
        if (!handle || !g_live.erase(handle))
            return fv_emu_refuse(CUBLAS_STATUS_NOT_INITIALIZED, "cublasDestroy", "%p is not a live handle",
                                 (void *)handle);
    }
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

#define FV_LIVE_OR_REFUSE(h, what)                                                                                 \
    do {                                                                                                           \
        if (!live(h))                                                                                              \
            return fv_emu_refuse(CUBLAS_STATUS_NOT_INITIALIZED, what, "%p is not a live handle", (void *)(h));      \
    } while (0)

extern "C" cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)
{
    FV_LIVE_OR_REFUSE(handle, "cublasSetStream");
    handle->stream = streamId;
    return CUBLAS_STATUS_SUCCESS;
}

extern "C" cublasStatus_t cublasGetStream_v2(cublasHandle_t handle, cudaStream_t *streamId)
{
    FV_LIVE_OR_REFUSE(handle, "cublasGetStream");
    if (!streamId) return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, "cublasGetStream", "streamId is NULL");
    *streamId = handle->stream;
    return CUBLAS_STATUS_SUCCESS;
}

extern "C" cublasStatus_t cublasSetPointerMode_v2(cublasHandle_t handle, cublasPointerMode_t mode)
{
    FV_LIVE_OR_REFUSE(handle, "cublasSetPointerMode");
    if (mode != CUBLAS_POINTER_MODE_HOST && mode != CUBLAS_POINTER_MODE_DEVICE)
        return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, "cublasSetPointerMode", "mode %d", (int)mode);
    handle->pointer_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

extern "C" cublasStatus_t cublasGetPointerMode_v2(cublasHandle_t handle, cublasPointerMode_t *mode)
{
    FV_LIVE_OR_REFUSE(handle, "cublasGetPointerMode");
    if (!mode) return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, "cublasGetPointerMode", "mode is NULL");
    *mode = handle->pointer_mode;
    return CUBLAS_STATUS_SUCCESS;
}

// A mode is one of the base modes, optionally with the "no reduced-precision reduction" flag.
extern "C" cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
{
    FV_LIVE_OR_REFUSE(handle, "cublasSetMathMode");
    int base = (int)mode & ~(int)CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
    if (base != CUBLAS_DEFAULT_MATH && base != CUBLAS_TENSOR_OP_MATH && base != CUBLAS_PEDANTIC_MATH &&
        base != CUBLAS_TF32_TENSOR_OP_MATH && base != CUBLAS_FP32_EMULATED_BF16X9_MATH &&
        base != CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH)
        return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, "cublasSetMathMode", "mode %d", (int)mode);
    handle->math = (int)mode;
    return CUBLAS_STATUS_SUCCESS;
}

extern "C" cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t *mode)
{
    FV_LIVE_OR_REFUSE(handle, "cublasGetMathMode");
    if (!mode) return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, "cublasGetMathMode", "mode is NULL");
    *mode = (cublasMath_t)handle->math;
    return CUBLAS_STATUS_SUCCESS;
}

struct StatusText {
    cublasStatus_t s;
    const char *name, *text;
};
static const StatusText k_status[] = {
    {CUBLAS_STATUS_SUCCESS, "CUBLAS_STATUS_SUCCESS", "success"},
    {CUBLAS_STATUS_NOT_INITIALIZED, "CUBLAS_STATUS_NOT_INITIALIZED", "the library was not initialized"},
    {CUBLAS_STATUS_ALLOC_FAILED, "CUBLAS_STATUS_ALLOC_FAILED", "the resource allocation failed"},
    {CUBLAS_STATUS_INVALID_VALUE, "CUBLAS_STATUS_INVALID_VALUE", "an invalid value was used as an argument"},
    {CUBLAS_STATUS_ARCH_MISMATCH, "CUBLAS_STATUS_ARCH_MISMATCH", "an absent device architectural feature is required"},
    {CUBLAS_STATUS_MAPPING_ERROR, "CUBLAS_STATUS_MAPPING_ERROR", "an access to GPU memory space failed"},
    {CUBLAS_STATUS_EXECUTION_FAILED, "CUBLAS_STATUS_EXECUTION_FAILED", "the GPU program failed to execute"},
    {CUBLAS_STATUS_INTERNAL_ERROR, "CUBLAS_STATUS_INTERNAL_ERROR", "an internal operation failed"},
    {CUBLAS_STATUS_NOT_SUPPORTED, "CUBLAS_STATUS_NOT_SUPPORTED", "the functionality requested is not supported"},
    {CUBLAS_STATUS_LICENSE_ERROR, "CUBLAS_STATUS_LICENSE_ERROR", "the functionality requested requires a license"},
};

extern "C" const char *cublasGetStatusName(cublasStatus_t status)
{
    for (const StatusText &t : k_status)
        if (t.s == status) return t.name;
    return "CUBLAS_STATUS_UNKNOWN";
}

extern "C" const char *cublasGetStatusString(cublasStatus_t status)
{
    for (const StatusText &t : k_status)
        if (t.s == status) return t.text;
    return "unknown error";
}

// ---------- GEMM ----------

// Elements spanned by a column-major rows x cols matrix with leading dimension ld (0 when empty).
static size_t span(int rows, int cols, int ld)
{
    return rows <= 0 || cols <= 0 ? 0 : (size_t)ld * (size_t)(cols - 1) + (size_t)rows;
}

static bool valid_op(cublasOperation_t op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; }

// The checks cuBLAS documents for every gemm, then the scalars' memory for the pointer mode.
static cublasStatus_t check_gemm_args(const char *what, cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                                      int m, int n, int k, const float *alpha, int lda, int ldb, const float *beta,
                                      int ldc)
{
    FV_LIVE_OR_REFUSE(h, what);
    if (!valid_op(ta) || !valid_op(tb))
        return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, what, "operation %d / %d", (int)ta, (int)tb);
    if (m < 0 || n < 0 || k < 0)
        return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, what, "m %d n %d k %d", m, n, k);
    int arows = ta == CUBLAS_OP_N ? m : k, brows = tb == CUBLAS_OP_N ? k : n;
    if (lda < (arows > 1 ? arows : 1))
        return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, what, "lda %d < max(1, %s = %d)", lda,
                             ta == CUBLAS_OP_N ? "m" : "k", arows);
    if (ldb < (brows > 1 ? brows : 1))
        return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, what, "ldb %d < max(1, %s = %d)", ldb,
                             tb == CUBLAS_OP_N ? "k" : "n", brows);
    if (ldc < (m > 1 ? m : 1)) return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, what, "ldc %d < max(1, m = %d)", ldc, m);
    if (!alpha || !beta) return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, what, "alpha or beta is NULL");
    bool dev = h->pointer_mode == CUBLAS_POINTER_MODE_DEVICE;
    if (dev && (fv_emu_outside(alpha, sizeof(float)) || fv_emu_outside(beta, sizeof(float))))
        return fv_emu_refuse(CUBLAS_STATUS_EXECUTION_FAILED, what,
                             "alpha or beta is not device memory in CUBLAS_POINTER_MODE_DEVICE");
    if (!dev && (!fv_emu_outside(alpha, sizeof(float)) || !fv_emu_outside(beta, sizeof(float))))
        return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, what,
                             "alpha or beta is device memory in CUBLAS_POINTER_MODE_HOST (a GPU build reads it on "
                             "the host)");
    return CUBLAS_STATUS_SUCCESS;
}

// One matrix operand: inside one live allocation and float-aligned.
static cublasStatus_t check_matrix(const char *what, const char *name, const float *p, size_t elems)
{
    if (!elems) return CUBLAS_STATUS_SUCCESS;
    if (!p) return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, what, "%s is NULL", name);
    if (fv_emu_outside(p, elems * sizeof(float)))
        return fv_emu_refuse(CUBLAS_STATUS_EXECUTION_FAILED, what,
                             "%s [%p, +%zu floats) is not inside one live device allocation", name, (const void *)p,
                             elems);
    if (!fv_emu_aligned(p, sizeof(float)))
        return fv_emu_refuse(CUBLAS_STATUS_EXECUTION_FAILED, what, "%s %p is not 4-byte aligned", name,
                             (const void *)p);
    return CUBLAS_STATUS_SUCCESS;
}

// CUBLAS_TF32_TENSOR_OP_MATH lets SGEMM take TF32 operands (lib_common.h models the rounding).
static int tf32_mode(const cublasContext *h) { return (h->math & 0xf) == CUBLAS_TF32_TENSOR_OP_MATH ? fv_emu_tf32_mode() : 0; }

// C = alpha op(A) op(B) + beta C for one problem whose operands were checked; beta = 0 never reads C.
static void gemm_one(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (beta == 0.0f)
        for (int j = 0; j < n; j++) memset(C + (size_t)j * ldc, 0, sizeof(float) * (size_t)m);
    if (alpha == 0.0f || k == 0) {
        if (beta != 0.0f && beta != 1.0f)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++) C[(size_t)j * ldc + i] *= beta;
        return;
    }
    cblas_sgemm(CblasColMajor, ta == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, tb == CUBLAS_OP_N ? CblasNoTrans : CblasTrans,
                m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

extern "C" cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa,
                                                    cublasOperation_t transb, int m, int n, int k, const float *alpha,
                                                    const float *A, int lda, long long int strideA, const float *B,
                                                    int ldb, long long int strideB, const float *beta, float *C,
                                                    int ldc, long long int strideC, int batchCount)
{
    const char *what = "cublasSgemmStridedBatched";
    cublasStatus_t s = check_gemm_args(what, handle, transa, transb, m, n, k, alpha, lda, ldb, beta, ldc);
    if (s != CUBLAS_STATUS_SUCCESS) return s;
    if (batchCount < 0) return fv_emu_refuse(CUBLAS_STATUS_INVALID_VALUE, what, "batchCount %d", batchCount);
    g_last_gemm_math.store(handle->math);
    if (m == 0 || n == 0 || batchCount == 0) return CUBLAS_STATUS_SUCCESS;
    const float a = *alpha, b = *beta;
    const bool reads_ab = a != 0.0f && k > 0;
    const size_t na = reads_ab ? span(transa == CUBLAS_OP_N ? m : k, transa == CUBLAS_OP_N ? k : m, lda) : 0;
    const size_t nb = reads_ab ? span(transb == CUBLAS_OP_N ? k : n, transb == CUBLAS_OP_N ? n : k, ldb) : 0;
    const size_t nc = span(m, n, ldc);
    if (batchCount > 1 && (strideC < 0 ? -strideC : strideC) < (long long)nc)
        return fv_emu_refuse(CUBLAS_STATUS_EXECUTION_FAILED, what,
                             "strideC %lld < %zu: the batches' C overlap (undefined on a GPU)", strideC, nc);
    for (int i = 0; i < batchCount; i++) {
        const float *Ai = A + i * strideA, *Bi = B + i * strideB;
        float *Ci = C + i * strideC;
        if ((s = check_matrix(what, "A", Ai, na)) != CUBLAS_STATUS_SUCCESS ||
            (s = check_matrix(what, "B", Bi, nb)) != CUBLAS_STATUS_SUCCESS ||
            (s = check_matrix(what, "C", Ci, nc)) != CUBLAS_STATUS_SUCCESS)
            return s;
        if (fv_emu_overlap(Ci, nc * 4, Ai, na * 4) || fv_emu_overlap(Ci, nc * 4, Bi, nb * 4))
            return fv_emu_refuse(CUBLAS_STATUS_EXECUTION_FAILED, what,
                                 "C overlaps A or B in batch %d (undefined on a GPU)", i);
    }
    const int tf32 = tf32_mode(handle);
    for (int i = 0; i < batchCount; i++) {
        std::vector<float> ar = fv_emu_tf32_copy(reads_ab ? A + i * strideA : nullptr, na, tf32);
        std::vector<float> br = fv_emu_tf32_copy(reads_ab ? B + i * strideB : nullptr, nb, tf32);
        gemm_one(transa, transb, m, n, k, a, ar.empty() ? A + i * strideA : ar.data(), lda,
                 br.empty() ? B + i * strideB : br.data(), ldb, b, C + i * strideC, ldc);
    }
    return CUBLAS_STATUS_SUCCESS;
}

extern "C" cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const float *alpha, const float *A, int lda,
                                         const float *B, int ldb, const float *beta, float *C, int ldc)
{
    const char *what = "cublasSgemm";
    cublasStatus_t s = check_gemm_args(what, handle, transa, transb, m, n, k, alpha, lda, ldb, beta, ldc);
    if (s != CUBLAS_STATUS_SUCCESS) return s;
    g_last_gemm_math.store(handle->math);
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    const bool reads_ab = *alpha != 0.0f && k > 0;
    const size_t na = reads_ab ? span(transa == CUBLAS_OP_N ? m : k, transa == CUBLAS_OP_N ? k : m, lda) : 0;
    const size_t nb = reads_ab ? span(transb == CUBLAS_OP_N ? k : n, transb == CUBLAS_OP_N ? n : k, ldb) : 0;
    const size_t nc = span(m, n, ldc);
    if ((s = check_matrix(what, "A", A, na)) != CUBLAS_STATUS_SUCCESS ||
        (s = check_matrix(what, "B", B, nb)) != CUBLAS_STATUS_SUCCESS ||
        (s = check_matrix(what, "C", C, nc)) != CUBLAS_STATUS_SUCCESS)
        return s;
    if (fv_emu_overlap(C, nc * 4, A, na * 4) || fv_emu_overlap(C, nc * 4, B, nb * 4))
        return fv_emu_refuse(CUBLAS_STATUS_EXECUTION_FAILED, what, "C overlaps A or B (undefined on a GPU)");
    const int tf32 = tf32_mode(handle);
    std::vector<float> ar = fv_emu_tf32_copy(reads_ab ? A : nullptr, na, tf32);
    std::vector<float> br = fv_emu_tf32_copy(reads_ab ? B : nullptr, nb, tf32);
    gemm_one(transa, transb, m, n, k, *alpha, ar.empty() ? A : ar.data(), lda, br.empty() ? B : br.data(), ldb, *beta,
             C, ldc);
    return CUBLAS_STATUS_SUCCESS;
}
