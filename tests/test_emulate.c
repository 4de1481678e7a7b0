/* The emulated libraries themselves (cuda/emulate/cublas.cpp, cufft.cpp, cudnn.cpp; built only with
 * FV_CUDA_EMULATE): that they refuse what the real cuBLAS, cuFFT and cuDNN refuse, with the real status codes
 * (bad leading dimensions, pointers outside any allocation, misaligned pointers for vectorising algorithms,
 * too-small workspaces, unsupported FFT plans and convolution algorithms), and that they compute the documented
 * results against direct references written here (GEMM with transposes, R2C / C2R, convolutions with pads,
 * strides, dilation and strided descriptors, LRN by cuDNN's documented formula, softmax). The emulated device's
 * memory is host memory, so the tests fill and read it directly. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <cufft.h>

#include "cuda/emulate/emu_libs.h"

#define PI 3.14159265358979323846

/* Refusals print one line each to stderr unless FV_EMU_QUIET is set; these tests refuse on purpose. */
static void quiet(void) { setenv("FV_EMU_QUIET", "1", 1); }

static uint32_t g_seed = 12345;
static float urand(void) /* in [-1, 1) */
{
    g_seed = g_seed * 1664525u + 1013904223u;
    return (float)(g_seed >> 8) / 8388608.0f - 1.0f;
}

static float *dnew(size_t n)
{
    void *p = NULL;
    cr_assert_eq(cudaMalloc(&p, n * sizeof(float) + 64), cudaSuccess);
    return (float *)p;
}

static float *drand(size_t n)
{
    float *p = dnew(n);
    for (size_t i = 0; i < n; i++) p[i] = urand();
    return p;
}

static void assert_close(const float *got, const double *want, size_t n, double tol, const char *what)
{
    for (size_t i = 0; i < n; i++)
        cr_assert(fabs(got[i] - want[i]) <= tol * (1.0 + fabs(want[i])), "%s[%zu]: got %.7g, want %.7g", what, i,
                  (double)got[i], want[i]);
}

/* ================================ cuBLAS ================================ */

TestSuite(emu_cublas, .init = quiet);

static double ref_op(const float *M, int ld, int trans, int i, int j) /* op(M)[i][j], column-major */
{
    return trans ? M[(size_t)i * ld + j] : M[(size_t)j * ld + i];
}

Test(emu_cublas, sgemm_matches_the_column_major_reference_for_every_transposition)
{
    cublasHandle_t h;
    cr_assert_eq(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
    const int m = 5, n = 4, k = 3, ld = 9; /* leading dimensions larger than needed */
    float *A = drand(ld * 9), *B = drand(ld * 9), *C = dnew(ld * n), *C0 = dnew(ld * n);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int pass = 0; pass < 2; pass++) {
                const float alpha = 0.5f, beta = pass ? 0.0f : 2.0f;
                for (int i = 0; i < ld * n; i++) C[i] = C0[i] = pass ? NAN : urand();
                cr_assert_eq(cublasSgemm(h, ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k,
                                         &alpha, A, ld, B, ld, &beta, C, ld),
                             CUBLAS_STATUS_SUCCESS, "%s", fv_emu_last_refusal());
                for (int j = 0; j < n; j++)
                    for (int i = 0; i < m; i++) {
                        double s = 0;
                        for (int l = 0; l < k; l++) s += ref_op(A, ld, ta, i, l) * ref_op(B, ld, tb, l, j);
                        double want = alpha * s + (pass ? 0.0 : beta * C0[j * ld + i]);
                        cr_assert(fabs(C[j * ld + i] - want) < 1e-5, "ta %d tb %d beta %g C[%d,%d] %g vs %g", ta, tb,
                                  (double)beta, i, j, (double)C[j * ld + i], want);
                    }
                for (int j = 0; j < n; j++) /* rows m..ld-1 of C are not part of the matrix */
                    for (int i = m; i < ld; i++)
                        cr_assert(pass ? isnan(C[j * ld + i]) : C[j * ld + i] == C0[j * ld + i]);
            }
    /* beta = 0 never reads C, also where no product is formed (k = 0, alpha = 0) */
    const float zero = 0.0f, alpha = 1.0f;
    for (int i = 0; i < ld * n; i++) C[i] = NAN;
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, 0, &alpha, A, ld, B, ld, &zero, C, ld),
                 CUBLAS_STATUS_SUCCESS);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) cr_assert_eq(C[j * ld + i], 0.0f);
    for (int i = 0; i < ld * n; i++) C[i] = NAN;
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &zero, A, ld, B, ld, &zero, C, ld),
                 CUBLAS_STATUS_SUCCESS);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) cr_assert_eq(C[j * ld + i], 0.0f);
    cudaFree(A), cudaFree(B), cudaFree(C), cudaFree(C0);
    cublasDestroy(h);
}

Test(emu_cublas, sgemm_refuses_what_cublas_refuses)
{
    cublasHandle_t h;
    cublasCreate(&h);
    const float one = 1.0f;
    float *A = dnew(64), *B = dnew(64), *C = dnew(64);
    /* m 4, n 3, k 2: lda >= m for op N, >= k for op T; ldb >= k for N, >= n for T; ldc >= m */
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, A, 3, B, 2, &one, C, 4),
                 CUBLAS_STATUS_INVALID_VALUE);
    cr_assert(strstr(fv_emu_last_refusal(), "lda 3"), "%s", fv_emu_last_refusal());
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, 4, 3, 2, &one, A, 2, B, 2, &one, C, 4), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, 4, 3, 2, &one, A, 1, B, 2, &one, C, 4),
                 CUBLAS_STATUS_INVALID_VALUE);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, A, 4, B, 1, &one, C, 4),
                 CUBLAS_STATUS_INVALID_VALUE);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_T, 4, 3, 2, &one, A, 4, B, 2, &one, C, 4),
                 CUBLAS_STATUS_INVALID_VALUE);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, A, 4, B, 2, &one, C, 3),
                 CUBLAS_STATUS_INVALID_VALUE);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, -1, 3, 2, &one, A, 4, B, 2, &one, C, 4),
                 CUBLAS_STATUS_INVALID_VALUE);
    cr_assert_eq(cublasSgemm(h, (cublasOperation_t)7, CUBLAS_OP_N, 4, 3, 2, &one, A, 4, B, 2, &one, C, 4),
                 CUBLAS_STATUS_INVALID_VALUE);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, NULL, A, 4, B, 2, &one, C, 4),
                 CUBLAS_STATUS_INVALID_VALUE);
    /* memory a GPU kernel would fault on: host memory, past the end of an allocation, freed, misaligned */
    float host[64];
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, host, 4, B, 2, &one, C, 4),
                 CUBLAS_STATUS_EXECUTION_FAILED);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, A, 100, B, 2, &one, C, 4),
                 CUBLAS_STATUS_EXECUTION_FAILED, "lda 100 runs past the 64 (+16) floats of A");
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, A, 4, B, 2, &one, (float *)((char *)C + 2), 4),
                 CUBLAS_STATUS_EXECUTION_FAILED);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, A, 4, A + 2, 2, &one, A + 1, 4),
                 CUBLAS_STATUS_EXECUTION_FAILED, "C overlapping A");
    float *gone = dnew(64);
    cudaFree(gone);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, A, 4, gone, 2, &one, C, 4),
                 CUBLAS_STATUS_EXECUTION_FAILED);
    /* scalars: host memory in POINTER_MODE_HOST, device memory in POINTER_MODE_DEVICE */
    float *done = dnew(1);
    *done = 1.0f;
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, done, A, 4, B, 2, &one, C, 4),
                 CUBLAS_STATUS_INVALID_VALUE);
    cr_assert_eq(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_DEVICE), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, A, 4, B, 2, done, C, 4),
                 CUBLAS_STATUS_EXECUTION_FAILED);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, done, A, 4, B, 2, done, C, 4), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(cublasSetPointerMode(h, (cublasPointerMode_t)5), CUBLAS_STATUS_INVALID_VALUE);
    cudaFree(A), cudaFree(B), cudaFree(C), cudaFree(done);
    cublasDestroy(h);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 3, 2, &one, A, 4, B, 2, &one, C, 4),
                 CUBLAS_STATUS_NOT_INITIALIZED, "a destroyed handle");
    cr_assert_eq(cublasDestroy(h), CUBLAS_STATUS_NOT_INITIALIZED);
}

Test(emu_cublas, math_mode_is_recorded_and_checked)
{
    cublasHandle_t h;
    cublasCreate(&h);
    cr_assert_eq(fv_emu_cublas_math(h), CUBLAS_DEFAULT_MATH);
    cr_assert_eq(cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(fv_emu_cublas_math(h), CUBLAS_TF32_TENSOR_OP_MATH);
    const float one = 1.0f, zero = 0.0f;
    float *A = drand(16), *C = dnew(16);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, A, 2, A, 2, &zero, C, 2), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(fv_emu_last_gemm_math(), CUBLAS_TF32_TENSOR_OP_MATH);
    cr_assert_eq(cublasSetMathMode(h, (cublasMath_t)(CUBLAS_PEDANTIC_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)),
                 CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(cublasSetMathMode(h, (cublasMath_t)6), CUBLAS_STATUS_INVALID_VALUE);
    cublasMath_t got;
    cr_assert_eq(cublasGetMathMode(h, &got), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq((int)got, CUBLAS_PEDANTIC_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
    cr_assert_eq(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, A, 2, A, 2, &zero, C, 2), CUBLAS_STATUS_SUCCESS);
    cr_assert_eq(fv_emu_last_gemm_math(), CUBLAS_DEFAULT_MATH);
    cr_assert_str_eq(cublasGetStatusName(CUBLAS_STATUS_INVALID_VALUE), "CUBLAS_STATUS_INVALID_VALUE");
    cr_assert(strlen(cublasGetStatusString(CUBLAS_STATUS_EXECUTION_FAILED)) > 0);
    cudaFree(A), cudaFree(C);
    cublasDestroy(h);
    cr_assert_eq(fv_emu_cublas_math(h), -1);
}

Test(emu_cublas, strided_batched_sgemm_runs_every_batch_and_refuses_overlapping_outputs)
{
    cublasHandle_t h;
    cublasCreate(&h);
    const int m = 3, n = 2, k = 4, batches = 3, sa = 20, sb = 10, sc = 7;
    const float alpha = 1.0f, beta = 0.0f;
    float *A = drand(sa * batches), *B = drand(sb * batches), *C = dnew(sc * batches);
    cr_assert_eq(cublasSgemmStridedBatched(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, A, k, sa, B, k, sb, &beta, C, m,
                                           sc, batches),
                 CUBLAS_STATUS_SUCCESS, "%s", fv_emu_last_refusal());
    for (int b = 0; b < batches; b++)
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int l = 0; l < k; l++) s += (double)A[b * sa + i * k + l] * B[b * sb + j * k + l];
                cr_assert(fabs(C[b * sc + j * m + i] - s) < 1e-5);
            }
    cr_assert_eq(cublasSgemmStridedBatched(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, A, k, sa, B, k, sb, &beta, C, m,
                                           4, batches),
                 CUBLAS_STATUS_EXECUTION_FAILED, "C batches 4 floats apart overlap (each spans 6)");
    cr_assert_eq(cublasSgemmStridedBatched(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, A, k, sa, B, k, sb, &beta, C, m,
                                           sc, -1),
                 CUBLAS_STATUS_INVALID_VALUE);
    cudaFree(A), cudaFree(B), cudaFree(C);
    cublasDestroy(h);
}

/* ================================ cuFFT ================================ */

TestSuite(emu_cufft, .init = quiet);

/* Direct 2-D DFT of one real h x w plane: bin (ky, kx) for kx <= w / 2, e^-i as cuFFT's forward transform. */
static void ref_dft(const float *x, int h, int w, int ky, int kx, double *re, double *im)
{
    *re = *im = 0;
    for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++) {
            double a = -2 * PI * ((double)ky * y / h + (double)kx * xx / w);
            *re += x[y * w + xx] * cos(a);
            *im += x[y * w + xx] * sin(a);
        }
}

static void fft_round_trip(int n, int h, int w)
{
    const int wf = w / 2 + 1;
    int dims[2] = {h, w};
    cufftHandle r2c, c2r;
    /* NULL embeds: cuFFT ignores strides and distances, so nonsense ones must not matter */
    cr_assert_eq(cufftPlanMany(&r2c, 2, dims, NULL, 7, 12345, NULL, 3, 999, CUFFT_R2C, n), CUFFT_SUCCESS);
    cr_assert_eq(cufftPlanMany(&c2r, 2, dims, NULL, 1, h * wf, NULL, 1, h * w, CUFFT_C2R, n), CUFFT_SUCCESS);
    cr_assert_eq(cufftSetStream(r2c, NULL), CUFFT_SUCCESS);
    float *x = drand((size_t)n * h * w), *back = dnew((size_t)n * h * w);
    cufftComplex *spec;
    cr_assert_eq(cudaMalloc((void **)&spec, sizeof(cufftComplex) * n * h * wf), cudaSuccess);
    cr_assert_eq(cufftExecR2C(r2c, x, spec), CUFFT_SUCCESS, "%s", fv_emu_last_refusal());
    for (int b = 0; b < n; b++)
        for (int ky = 0; ky < h; ky++)
            for (int kx = 0; kx < wf; kx++) {
                double re, im;
                ref_dft(x + (size_t)b * h * w, h, w, ky, kx, &re, &im);
                const cufftComplex v = spec[((size_t)b * h + ky) * wf + kx];
                cr_assert(fabs(v.x - re) < 1e-4 && fabs(v.y - im) < 1e-4, "bin %d,%d,%d: (%g, %g) vs (%g, %g)", b, ky,
                          kx, (double)v.x, (double)v.y, re, im);
            }
    cr_assert_eq(cufftExecC2R(c2r, spec, back), CUFFT_SUCCESS, "%s", fv_emu_last_refusal());
    for (size_t i = 0; i < (size_t)n * h * w; i++) /* unnormalised: h * w times the input */
        cr_assert(fabs(back[i] - (double)h * w * x[i]) < 1e-3, "%zu: %g vs %g", i, (double)back[i],
                  (double)h * w * x[i]);
    cr_assert(isnan(spec[0].x) && isnan(spec[n * h * wf - 1].y), "C2R overwrites its input, as cuFFT may");
    cr_assert_eq(cufftDestroy(r2c), CUFFT_SUCCESS);
    cr_assert_eq(cufftDestroy(c2r), CUFFT_SUCCESS);
    cr_assert_eq(cufftExecR2C(r2c, x, spec), CUFFT_INVALID_PLAN, "a destroyed plan");
    cudaFree(x), cudaFree(back), cudaFree(spec);
}

Test(emu_cufft, r2c_matches_the_dft_and_c2r_inverts_it_unnormalised)
{
    fft_round_trip(2, 6, 5);
    fft_round_trip(3, 4, 8);
}

Test(emu_cufft, plans_refuse_what_cufft_refuses)
{
    int dims[2] = {8, 8}, bad[2] = {8, 0};
    cufftHandle p;
    cr_assert_eq(cufftPlanMany(&p, 2, bad, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, 1), CUFFT_INVALID_SIZE);
    cr_assert_eq(cufftPlanMany(&p, 2, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, 0), CUFFT_INVALID_SIZE);
    cr_assert_eq(cufftPlanMany(&p, 0, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, 1), CUFFT_INVALID_SIZE);
    cr_assert_eq(cufftPlanMany(&p, 4, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, 1), CUFFT_INVALID_SIZE);
    cr_assert_eq(cufftPlanMany(&p, 2, dims, NULL, 1, 0, NULL, 1, 0, (cufftType)0x99, 1), CUFFT_INVALID_TYPE);
    cr_assert_eq(cufftPlanMany(NULL, 2, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, 1), CUFFT_INVALID_VALUE);
    /* valid in cuFFT, not emulated: said so, never silently computed wrong */
    cr_assert_eq(cufftPlanMany(&p, 2, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_C2C, 1), CUFFT_NOT_IMPLEMENTED);
    cr_assert_eq(cufftPlanMany(&p, 1, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, 1), CUFFT_NOT_IMPLEMENTED);
    cr_assert_eq(cufftPlanMany(&p, 2, dims, dims, 1, 64, dims, 1, 40, CUFFT_R2C, 1), CUFFT_NOT_IMPLEMENTED);
    cr_assert_eq(cufftSetStream(4242, NULL), CUFFT_INVALID_PLAN);
    cr_assert_eq(cufftDestroy(4242), CUFFT_INVALID_PLAN);
}

Test(emu_cufft, exec_refuses_bad_data)
{
    int dims[2] = {4, 6};
    cufftHandle r2c;
    cr_assert_eq(cufftPlanMany(&r2c, 2, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, 2), CUFFT_SUCCESS);
    float *x = drand(2 * 4 * 6), *small = dnew(4);
    cufftComplex *spec;
    cudaMalloc((void **)&spec, sizeof(cufftComplex) * 2 * 4 * 4 + 64);
    cr_assert_eq(cufftExecR2C(r2c, x, spec), CUFFT_SUCCESS);
    cr_assert_eq(cufftExecC2R(r2c, spec, x), CUFFT_INVALID_VALUE, "C2R on an R2C plan");
    cr_assert_eq(cufftExecR2C(r2c, small, spec), CUFFT_EXEC_FAILED, "input smaller than the plan");
    cr_assert_eq(cufftExecR2C(r2c, x, (cufftComplex *)((char *)spec + 4)), CUFFT_EXEC_FAILED, "misaligned complex");
    cr_assert_eq(cufftExecR2C(r2c, x, NULL), CUFFT_INVALID_VALUE);
    cufftDestroy(r2c);
    cudaFree(x), cudaFree(small), cudaFree(spec);
}

/* ================================ cuDNN ================================ */

TestSuite(emu_cudnn, .init = quiet);

Test(emu_cudnn, statuses_are_cudnn9_categories_with_subcodes)
{
    cr_assert_eq(cudnnGetVersion(), (size_t)91900);
    cr_assert_eq(CUDNN_STATUS_NOT_SUPPORTED, 3000);
    cr_assert_eq(CUDNN_STATUS_NOT_SUPPORTED_SHAPE, 3002);
    cr_assert_eq(CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE, 3014);
    cr_assert_eq(CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER, 2003);
    cr_assert_eq(CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE, 2012);
    cr_assert_eq(CUDNN_STATUS_CATEGORY(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT), CUDNN_STATUS_NOT_SUPPORTED);
    cr_assert_eq(CUDNN_STATUS_SPECIFIC_ERROR(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT), 4);
    cr_assert_eq(CUDNN_STATUS_FULL_ERROR_CODE(CUDNN_STATUS_BAD_PARAM, 3), CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER);
    cr_assert_str_eq(cudnnGetErrorString(CUDNN_STATUS_NOT_SUPPORTED_PADDING), "CUDNN_STATUS_NOT_SUPPORTED_PADDING");
    cr_assert_str_eq(cudnnGetErrorString(CUDNN_STATUS_SUCCESS), "CUDNN_STATUS_SUCCESS");
}

/* ---- convolution fixtures ---- */

typedef struct {
    int n, c, h, w, k, kh, kw, ph, pw, sh, sw, dh, dw, flip;
    int xs[4], ys[4]; /* tensor strides (0: packed) */
} ConvCase;

/* The group count of the case being checked (cudnnSetConvolutionGroupCount): output k reads the c / groups input
 * channels of its group k / (k_total / groups); the filter is (k, c / groups, kh, kw). 1 but in one test. */
static int case_groups = 1;

/* Whether output k reads input channel c. */
static int in_group(const ConvCase *p, int k, int c)
{
    return k / (p->k / case_groups) == c / (p->c / case_groups);
}

static int cc_oh(const ConvCase *p) { return (p->h + 2 * p->ph - ((p->kh - 1) * p->dh + 1)) / p->sh + 1; }
static int cc_ow(const ConvCase *p) { return (p->w + 2 * p->pw - ((p->kw - 1) * p->dw + 1)) / p->sw + 1; }

static void packed_strides(int *s, int c, int h, int w)
{
    if (s[3]) return;
    s[3] = 1, s[2] = w, s[1] = h * w, s[0] = c * h * w;
}

static size_t span4(const int *d, const int *s)
{
    return 1 + (size_t)(d[0] - 1) * s[0] + (size_t)(d[1] - 1) * s[1] + (size_t)(d[2] - 1) * s[2] + (size_t)(d[3] - 1) * s[3];
}

typedef struct {
    cudnnHandle_t h;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t f;
    cudnnConvolutionDescriptor_t cv;
    int xd[4], yd[4];
    size_t xn, yn, wn;
} Conv;

static void conv_open(ConvCase *p, Conv *c)
{
    packed_strides(p->xs, p->c, p->h, p->w);
    packed_strides(p->ys, p->k, cc_oh(p), cc_ow(p));
    int xd[4] = {p->n, p->c, p->h, p->w}, yd[4] = {p->n, p->k, cc_oh(p), cc_ow(p)};
    memcpy(c->xd, xd, sizeof xd), memcpy(c->yd, yd, sizeof yd);
    c->xn = span4(xd, p->xs), c->yn = span4(yd, p->ys), c->wn = (size_t)p->k * (p->c / case_groups) * p->kh * p->kw;
    cr_assert_eq(cudnnCreate(&c->h), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnCreateTensorDescriptor(&c->x), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnCreateTensorDescriptor(&c->y), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnCreateFilterDescriptor(&c->f), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnCreateConvolutionDescriptor(&c->cv), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnSetTensor4dDescriptorEx(c->x, CUDNN_DATA_FLOAT, xd[0], xd[1], xd[2], xd[3], p->xs[0], p->xs[1],
                                              p->xs[2], p->xs[3]),
                 CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnSetTensor4dDescriptorEx(c->y, CUDNN_DATA_FLOAT, yd[0], yd[1], yd[2], yd[3], p->ys[0], p->ys[1],
                                              p->ys[2], p->ys[3]),
                 CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnSetFilter4dDescriptor(c->f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, p->k, p->c / case_groups, p->kh,
                                            p->kw),
                 CUDNN_STATUS_SUCCESS);
    if (case_groups > 1) cr_assert_eq(cudnnSetConvolutionGroupCount(c->cv, case_groups), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnSetConvolution2dDescriptor(c->cv, p->ph, p->pw, p->sh, p->sw, p->dh, p->dw,
                                                 p->flip ? CUDNN_CONVOLUTION : CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                 CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnSetConvolutionMathType(c->cv, CUDNN_FMA_MATH), CUDNN_STATUS_SUCCESS);
}

static void conv_close(Conv *c)
{
    cudnnDestroyTensorDescriptor(c->x), cudnnDestroyTensorDescriptor(c->y);
    cudnnDestroyFilterDescriptor(c->f), cudnnDestroyConvolutionDescriptor(c->cv);
    cudnnDestroy(c->h);
}

static float wat(const ConvCase *p, const float *w, int k, int c, int r, int q)
{
    if (p->flip) r = p->kh - 1 - r, q = p->kw - 1 - q;
    const int cg = p->c / case_groups;
    return w[(((size_t)k * cg + c % cg) * p->kh + r) * p->kw + q];
}

/* y (packed n, k, oh, ow) = conv(x) in double, straight from the definition. */
static double *ref_fwd(const ConvCase *p, const float *x, const float *w)
{
    const int oh = cc_oh(p), ow = cc_ow(p);
    double *y = calloc((size_t)p->n * p->k * oh * ow, sizeof *y);
    for (int n = 0; n < p->n; n++)
        for (int k = 0; k < p->k; k++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double s = 0;
                    for (int c = 0; c < p->c; c++)
                        for (int r = 0; r < p->kh; r++)
                            for (int q = 0; q < p->kw; q++) {
                                int iy = oy * p->sh - p->ph + r * p->dh, ix = ox * p->sw - p->pw + q * p->dw;
                                if (iy < 0 || iy >= p->h || ix < 0 || ix >= p->w || !in_group(p, k, c)) continue;
                                s += (double)wat(p, w, k, c, r, q) *
                                     x[n * p->xs[0] + c * p->xs[1] + iy * p->xs[2] + ix * p->xs[3]];
                            }
                    y[(((size_t)n * p->k + k) * oh + oy) * ow + ox] = s;
                }
    return y;
}

/* dx (packed n, c, h, w) = the transpose of the same map applied to dy. */
static double *ref_bwd(const ConvCase *p, const float *dy, const float *w)
{
    const int oh = cc_oh(p), ow = cc_ow(p);
    double *dx = calloc((size_t)p->n * p->c * p->h * p->w, sizeof *dx);
    for (int n = 0; n < p->n; n++)
        for (int k = 0; k < p->k; k++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int c = 0; c < p->c; c++)
                        for (int r = 0; r < p->kh; r++)
                            for (int q = 0; q < p->kw; q++) {
                                int iy = oy * p->sh - p->ph + r * p->dh, ix = ox * p->sw - p->pw + q * p->dw;
                                if (iy < 0 || iy >= p->h || ix < 0 || ix >= p->w || !in_group(p, k, c)) continue;
                                dx[(((size_t)n * p->c + c) * p->h + iy) * p->w + ix] +=
                                    (double)wat(p, w, k, c, r, q) *
                                    dy[n * p->ys[0] + k * p->ys[1] + oy * p->ys[2] + ox * p->ys[3]];
                            }
    return dx;
}

/* The values of a strided tensor in packed order. */
static void gather(const float *t, const int *d, const int *s, float *out)
{
    size_t i = 0;
    for (int n = 0; n < d[0]; n++)
        for (int c = 0; c < d[1]; c++)
            for (int h = 0; h < d[2]; h++)
                for (int w = 0; w < d[3]; w++) out[i++] = t[n * s[0] + c * s[1] + h * s[2] + w * s[3]];
}

/* Every algorithm the heuristics call runnable computes y = alpha conv + beta y (beta 0: NaN in y ignored), and
 * the gaps of a strided y are never written; likewise dx for backward data. */
static void check_conv_case(ConvCase p)
{
    Conv c;
    conv_open(&p, &c);
    float *x = drand(c.xn), *w = drand(c.wn), *y = dnew(c.yn), *dy = drand(c.yn), *dx = dnew(c.xn);
    double *yref = ref_fwd(&p, x, w), *dxref = ref_bwd(&p, dy, w);
    const size_t ny = (size_t)c.yd[0] * c.yd[1] * c.yd[2] * c.yd[3], nx = (size_t)c.xd[0] * c.xd[1] * c.xd[2] * c.xd[3];
    float *got = malloc(sizeof(float) * (nx > ny ? nx : ny)), *old = malloc(sizeof(float) * (nx > ny ? nx : ny));
    double *want = malloc(sizeof(double) * (nx > ny ? nx : ny));
    cudnnConvolutionFwdAlgoPerf_t fp[8];
    cudnnConvolutionBwdDataAlgoPerf_t bp[6];
    int nf = 0, nb = 0, ran = 0;
    cr_assert_eq(cudnnGetConvolutionForwardAlgorithm_v7(c.h, c.x, c.f, c.cv, c.y, 8, &nf, fp), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnGetConvolutionBackwardDataAlgorithm_v7(c.h, c.f, c.y, c.cv, c.x, 6, &nb, bp), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(nf, 8);
    cr_assert_eq(nb, 6);
    for (int i = 0; i < nf + nb; i++) {
        const int bwd = i >= nf, algo = bwd ? (int)bp[i - nf].algo : (int)fp[i].algo;
        const cudnnStatus_t st = bwd ? bp[i - nf].status : fp[i].status;
        if (st != CUDNN_STATUS_SUCCESS) continue;
        size_t ws = bwd ? bp[i - nf].memory : fp[i].memory;
        void *wsp = NULL;
        if (ws) cr_assert_eq(cudaMalloc(&wsp, ws), cudaSuccess);
        float *out = bwd ? dx : y;
        const size_t nout = bwd ? c.xn : c.yn;
        for (int pass = 0; pass < 2; pass++) {
            const float alpha = 1.5f, beta = pass ? 0.5f : 0.0f;
            for (size_t j = 0; j < nout; j++) out[j] = pass ? urand() : NAN;
            const float *outs = out;
            int *od = bwd ? c.xd : c.yd, *os = bwd ? p.xs : p.ys;
            gather(outs, od, os, old);
            const cudnnStatus_t run =
                bwd ? cudnnConvolutionBackwardData(c.h, &alpha, c.f, w, c.y, dy, c.cv, (cudnnConvolutionBwdDataAlgo_t)algo,
                                                   wsp, ws, &beta, c.x, dx)
                    : cudnnConvolutionForward(c.h, &alpha, c.x, x, c.f, w, c.cv, (cudnnConvolutionFwdAlgo_t)algo, wsp, ws,
                                              &beta, c.y, y);
            cr_assert_eq(run, CUDNN_STATUS_SUCCESS, "%s algo %d: %s", bwd ? "bwd" : "fwd", algo, fv_emu_last_refusal());
            cr_assert_eq(fv_emu_last_conv_algo(bwd), algo);
            const double *ref = bwd ? dxref : yref;
            const size_t nn = bwd ? nx : ny;
            for (size_t j = 0; j < nn; j++) want[j] = alpha * ref[j] + (pass ? beta * old[j] : 0.0);
            gather(out, od, os, got);
            assert_close(got, want, nn, 1e-5, bwd ? "dx" : "y");
            ran++;
        }
        cudaFree(wsp);
    }
    cr_assert(ran >= 4, "at least two algorithms per direction ran");
    free(got), free(old), free(want), free(yref), free(dxref);
    cudaFree(x), cudaFree(w), cudaFree(y), cudaFree(dy), cudaFree(dx);
    conv_close(&c);
}

Test(emu_cudnn, convolutions_match_the_definition_with_pads_strides_dilation_and_strided_tensors)
{
    /* cross-correlation, strides 2x1, dilation 2x1, asymmetric kernel, x with padded rows and image gaps */
    ConvCase a = {2, 3, 9, 8, 4, 3, 2, 1, 2, 2, 1, 2, 1, 0, {3 * 9 * 11 + 5, 9 * 11, 11, 1}, {0}};
    check_conv_case(a);
    /* true convolution (flipped filter), y a channel slice of a larger buffer */
    ConvCase b = {2, 2, 6, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, {0}, {4 * 6 * 7, 6 * 7, 7, 1}};
    check_conv_case(b);
    /* horizontal stride 2 and dilation 2, vertical pad 0 */
    ConvCase e = {2, 3, 7, 9, 2, 2, 3, 0, 1, 1, 2, 1, 2, 0, {0}, {0}};
    check_conv_case(e);
    /* packed 3x3 stride 1: every algorithm but DIRECT runs */
    ConvCase d = {1, 4, 8, 8, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0, {0}, {0}};
    check_conv_case(d);
}

/* Grouped convolutions (cudnnSetConvolutionGroupCount): two groups with dilation, and depthwise with a channel
 * multiplier of 2 and stride 2, against the definition restricted to each output's group. */
Test(emu_cudnn, grouped_convolutions_match_the_definition)
{
    ConvCase a = {2, 4, 9, 8, 6, 3, 3, 2, 1, 1, 1, 2, 1, 0, {0}, {0}};
    case_groups = 2;
    check_conv_case(a);
    ConvCase b = {1, 3, 10, 9, 6, 3, 3, 1, 1, 2, 2, 1, 1, 0, {0}, {0}};
    case_groups = 3;
    check_conv_case(b);
    case_groups = 1;
}

/* One shape's listings: every algorithm once, the runnable first, refusals as NOT_SUPPORTED sub-codes, each
 * runnable one's memory equal to the workspace query's answer. */
static void check_listing(ConvCase p, const int *want_status_fwd)
{
    Conv c;
    conv_open(&p, &c);
    cudnnConvolutionFwdAlgoPerf_t fp[8];
    int n = 0, seen[8] = {0};
    cr_assert_eq(cudnnGetConvolutionForwardAlgorithm_v7(c.h, c.x, c.f, c.cv, c.y, 8, &n, fp), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(n, 8);
    for (int i = 0; i < n; i++) {
        const int a = fp[i].algo;
        seen[a]++;
        if (i > 0 && fp[i - 1].status != CUDNN_STATUS_SUCCESS)
            cr_assert_neq(fp[i].status, CUDNN_STATUS_SUCCESS, "runnable algorithms come first");
        cr_assert_eq(fp[i].status, want_status_fwd[a], "algo %d: status %d, want %d", a, fp[i].status,
                     want_status_fwd[a]);
        cr_assert_eq(fp[i].mathType, CUDNN_FMA_MATH);
        size_t ws = 12345;
        cudnnStatus_t q = cudnnGetConvolutionForwardWorkspaceSize(c.h, c.x, c.f, c.cv, c.y, (cudnnConvolutionFwdAlgo_t)a, &ws);
        cr_assert_eq(q, fp[i].status, "the workspace query agrees with the listing on algo %d", a);
        if (q == CUDNN_STATUS_SUCCESS) cr_assert_eq(ws, fp[i].memory, "algo %d", a);
    }
    for (int a = 0; a < 8; a++) cr_assert_eq(seen[a], 1, "algo %d listed once", a);
    /* Find lists the same algorithms with the same verdicts, in its own order */
    cudnnConvolutionFwdAlgoPerf_t ff[8];
    cr_assert_eq(cudnnFindConvolutionForwardAlgorithm(c.h, c.x, c.f, c.cv, c.y, 8, &n, ff), CUDNN_STATUS_SUCCESS);
    for (int i = 0; i < n; i++) cr_assert_eq(ff[i].status, want_status_fwd[ff[i].algo]);
    cr_assert_eq(cudnnGetConvolutionForwardAlgorithm_v7(c.h, c.x, c.f, c.cv, c.y, 0, &n, fp), CUDNN_STATUS_BAD_PARAM);
    conv_close(&c);
}

Test(emu_cudnn, listings_report_every_algorithm_with_sub_codes_and_consistent_workspaces)
{
    enum { OK = CUDNN_STATUS_SUCCESS, NS = CUDNN_STATUS_NOT_SUPPORTED, SHAPE = CUDNN_STATUS_NOT_SUPPORTED_SHAPE,
           LAYOUT = CUDNN_STATUS_NOT_SUPPORTED_LAYOUT, PAD = CUDNN_STATUS_NOT_SUPPORTED_PADDING };
    /* IMPLICIT_GEMM, PRECOMP, GEMM, DIRECT, FFT, FFT_TILING, WINOGRAD, WINOGRAD_NONFUSED */
    const int s1_3x3[8] = {OK, OK, OK, NS, OK, OK, OK, OK};
    ConvCase a = {2, 3, 10, 10, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, {0}, {0}};
    check_listing(a, s1_3x3);
    const int s2[8] = {OK, OK, OK, NS, SHAPE, SHAPE, SHAPE, SHAPE};
    ConvCase b = {2, 3, 10, 10, 4, 3, 3, 1, 1, 2, 2, 1, 1, 0, {0}, {0}};
    check_listing(b, s2);
    const int big[8] = {OK, OK, OK, NS, OK, SHAPE, SHAPE, SHAPE}; /* a 33x33 filter: no tiling, no Winograd */
    ConvCase d = {1, 1, 40, 40, 2, 33, 33, 0, 0, 1, 1, 1, 1, 0, {0}, {0}};
    check_listing(d, big);
    const int strided[8] = {OK, OK, OK, NS, LAYOUT, LAYOUT, OK, LAYOUT}; /* a channel slice: images apart */
    ConvCase e = {2, 3, 10, 10, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, {4 * 100, 100, 10, 1}, {0}};
    check_listing(e, strided);
    const int padded[8] = {OK, OK, OK, NS, PAD, PAD, SHAPE, SHAPE}; /* pad 2 on a 1x1 filter */
    ConvCase f = {1, 3, 6, 6, 2, 1, 1, 2, 2, 1, 1, 1, 1, 0, {0}, {0}};
    check_listing(f, padded);
    for (int i = 0; i < 8; i++)
        if (s2[i] != OK) cr_assert_eq(CUDNN_STATUS_CATEGORY(s2[i]), CUDNN_STATUS_NOT_SUPPORTED);
}

/* A 3x3 stride-1 convolution (WINOGRAD runs it, vectorised) on the usual fixtures. */
typedef struct {
    ConvCase p;
    Conv c;
    float *x, *w, *y;
    char *ws;
} Small;

static void small_open(Small *s)
{
    ConvCase p = {1, 4, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, {0}, {0}};
    s->p = p;
    conv_open(&s->p, &s->c);
    s->x = drand(s->c.xn + 8), s->w = drand(s->c.wn + 8), s->y = dnew(s->c.yn + 8);
    cr_assert_eq(cudaMalloc((void **)&s->ws, 1 << 16), cudaSuccess);
}

static void small_close(Small *s)
{
    cudaFree(s->x), cudaFree(s->w), cudaFree(s->y), cudaFree(s->ws);
    conv_close(&s->c);
}

static cudnnStatus_t small_fwd(Small *s, int algo, const float *x, void *ws, size_t wsb, float *y)
{
    const float one = 1.0f, zero = 0.0f;
    return cudnnConvolutionForward(s->c.h, &one, s->c.x, x, s->c.f, s->w, s->c.cv, (cudnnConvolutionFwdAlgo_t)algo, ws,
                                   wsb, &zero, s->c.y, y);
}

Test(emu_cudnn, misaligned_data_is_refused_by_the_vectorising_algorithms)
{
    Small s;
    small_open(&s);
    const float *x4 = s.x + 1; /* 4-byte aligned, not 16 */
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, s.x, NULL, 0, s.y), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, x4, NULL, 0, s.y),
                 CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER);
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, s.x, NULL, 0, s.y + 2),
                 CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER);
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, x4, NULL, 0, s.y + 2), CUDNN_STATUS_SUCCESS,
                 "IMPLICIT_GEMM does not vectorise");
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, (const float *)((const char *)s.x + 2), NULL, 0,
                           s.y),
                 CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER, "no algorithm takes a misaligned float");
    size_t need = 0;
    cudnnGetConvolutionForwardWorkspaceSize(s.c.h, s.c.x, s.c.f, s.c.cv, s.c.y, CUDNN_CONVOLUTION_FWD_ALGO_GEMM, &need);
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_GEMM, s.x, s.ws + 4, need, s.y),
                 CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER, "a misaligned workspace");
    small_close(&s);
}

Test(emu_cudnn, workspace_and_memory_are_checked)
{
    Small s;
    small_open(&s);
    const int gemm = CUDNN_CONVOLUTION_FWD_ALGO_GEMM;
    size_t need = 0;
    cr_assert_eq(cudnnGetConvolutionForwardWorkspaceSize(s.c.h, s.c.x, s.c.f, s.c.cv, s.c.y, gemm, &need),
                 CUDNN_STATUS_SUCCESS);
    cr_assert(need > 0 && need <= (1 << 16));
    cr_assert_eq(small_fwd(&s, gemm, s.x, s.ws, need, s.y), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(small_fwd(&s, gemm, s.x, s.ws, need - 4, s.y), CUDNN_STATUS_BAD_PARAM, "a workspace too small");
    cr_assert_eq(small_fwd(&s, gemm, s.x, NULL, 0, s.y), CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(small_fwd(&s, gemm, s.x, NULL, need, s.y), CUDNN_STATUS_BAD_PARAM_NULL_POINTER);
    cr_assert_eq(small_fwd(&s, gemm, s.x, s.ws + (1 << 16) - 256, need, s.y), CUDNN_STATUS_EXECUTION_FAILED,
                 "a workspace running past its allocation");
    float host[1024];
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, host, NULL, 0, s.y),
                 CUDNN_STATUS_EXECUTION_FAILED, "x in host memory");
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, s.x, NULL, 0, s.x + 4), CUDNN_STATUS_BAD_PARAM,
                 "y overlapping x");
    /* a workspace laid over the filter (undefined on a GPU: the algorithm writes its workspace) */
    float *big = dnew(need / 4 + 1024);
    memcpy(big, s.w, sizeof(float) * s.c.wn);
    const float one = 1.0f, zero = 0.0f;
    cr_assert_eq(cudnnConvolutionForward(s.c.h, &one, s.c.x, s.x, s.c.f, big, s.c.cv, gemm, big + 16, need, &zero, s.c.y,
                                         s.y),
                 CUDNN_STATUS_BAD_PARAM, "the workspace over w");
    cr_assert_eq(cudnnConvolutionForward(s.c.h, &one, s.c.x, s.x, s.c.f, big, s.c.cv, gemm, big + 256, need, &zero,
                                         s.c.y, s.y),
                 CUDNN_STATUS_SUCCESS, "%s", fv_emu_last_refusal());
    cudaFree(big);
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, s.x, NULL, 0, s.y), CUDNN_STATUS_NOT_SUPPORTED);
    small_close(&s);
}

Test(emu_cudnn, unsupported_algorithms_are_refused_at_run_time_too)
{
    ConvCase p = {1, 2, 9, 9, 2, 3, 3, 1, 1, 2, 2, 1, 1, 0, {0}, {0}};
    Conv c;
    conv_open(&p, &c);
    float *x = drand(c.xn), *w = drand(c.wn), *y = dnew(c.yn);
    const float one = 1.0f, zero = 0.0f;
    cr_assert_eq(cudnnConvolutionForward(c.h, &one, c.x, x, c.f, w, c.cv, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, NULL, 0,
                                         &zero, c.y, y),
                 CUDNN_STATUS_NOT_SUPPORTED_SHAPE, "Winograd on stride 2");
    cr_assert_eq(cudnnConvolutionBackwardData(c.h, &one, c.f, w, c.y, y, c.cv, CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT, NULL,
                                              0, &zero, c.x, x),
                 CUDNN_STATUS_NOT_SUPPORTED_SHAPE);
    /* the test hook: an algorithm the listing still calls runnable, rejected when it runs */
    fv_emu_cudnn_reject_at_run(0, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_STATUS_NOT_SUPPORTED_LAYOUT);
    cr_assert_eq(cudnnConvolutionForward(c.h, &one, c.x, x, c.f, w, c.cv, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, NULL,
                                         0, &zero, c.y, y),
                 CUDNN_STATUS_NOT_SUPPORTED_LAYOUT);
    fv_emu_cudnn_reject_at_run(0, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, 0);
    cr_assert_eq(cudnnConvolutionForward(c.h, &one, c.x, x, c.f, w, c.cv, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, NULL,
                                         0, &zero, c.y, y),
                 CUDNN_STATUS_SUCCESS);
    cudaFree(x), cudaFree(w), cudaFree(y);
    conv_close(&c);
}

Test(emu_cudnn, descriptors_refuse_what_cudnn_refuses)
{
    cudnnTensorDescriptor_t t, u;
    cudnnFilterDescriptor_t f;
    cudnnConvolutionDescriptor_t cv;
    cudnnLRNDescriptor_t l;
    cudnnCreateTensorDescriptor(&t), cudnnCreateTensorDescriptor(&u), cudnnCreateFilterDescriptor(&f);
    cudnnCreateConvolutionDescriptor(&cv), cudnnCreateLRNDescriptor(&l);
    cr_assert_eq(cudnnSetTensor4dDescriptorEx(t, CUDNN_DATA_FLOAT, 1, 0, 4, 4, 16, 16, 4, 1), CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSetTensor4dDescriptorEx(t, CUDNN_DATA_FLOAT, 1, 2, 4, 4, 32, -16, 4, 1), CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSetTensor4dDescriptorEx(t, (cudnnDataType_t)99, 1, 2, 4, 4, 32, 16, 4, 1), CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSetConvolution2dDescriptor(cv, -1, 0, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                 CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSetConvolution2dDescriptor(cv, 0, 0, 0, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                 CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSetConvolution2dDescriptor(cv, 0, 0, 1, 1, 0, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                 CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSetConvolutionMathType(cv, (cudnnMathType_t)7), CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSetLRNDescriptor(l, 17, 1e-4, 0.75, 2.0), CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSetLRNDescriptor(l, 5, 1e-4, 0.005, 2.0), CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSetLRNDescriptor(l, 5, 1e-4, 0.75, 1e-6), CUDNN_STATUS_BAD_PARAM);
    /* shapes that disagree */
    int n, c, h, w;
    cr_assert_eq(cudnnSetTensor4dDescriptorEx(t, CUDNN_DATA_FLOAT, 2, 3, 8, 8, 192, 64, 8, 1), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnSetConvolution2dDescriptor(cv, 1, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                 CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnGetConvolution2dForwardOutputDim(cv, t, f, &n, &c, &h, &w), CUDNN_STATUS_BAD_PARAM, "filter unset");
    cr_assert_eq(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 5, 4, 3, 3), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnGetConvolution2dForwardOutputDim(cv, t, f, &n, &c, &h, &w), CUDNN_STATUS_BAD_PARAM, "3 vs 4 channels");
    cr_assert_eq(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 5, 3, 3, 3), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnGetConvolution2dForwardOutputDim(cv, t, f, &n, &c, &h, &w), CUDNN_STATUS_SUCCESS);
    cr_assert(n == 2 && c == 5 && h == 8 && w == 8);
    cr_assert_eq(cudnnSetConvolution2dDescriptor(cv, 1, 1, 2, 3, 2, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                 CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnGetConvolution2dForwardOutputDim(cv, t, f, &n, &c, &h, &w), CUDNN_STATUS_SUCCESS);
    cr_assert(h == 3 && w == 3, "1 + (8 + 2 - 5) / 2 = 3 rows, 1 + (8 + 2 - 3) / 3 = 3 columns: %d %d", h, w);
    cudnnHandle_t hd;
    cudnnCreate(&hd);
    cudnnConvolutionFwdAlgoPerf_t fp[8];
    int got;
    cr_assert_eq(cudnnSetTensor4dDescriptorEx(u, CUDNN_DATA_FLOAT, 2, 5, 4, 3, 60, 12, 3, 1), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnGetConvolutionForwardAlgorithm_v7(hd, t, f, cv, u, 8, &got, fp), CUDNN_STATUS_NOT_SUPPORTED_SHAPE,
                 "y 4x3, the convolution gives 3x3");
    cr_assert_eq(cudnnSetTensor4dDescriptorEx(u, CUDNN_DATA_FLOAT, 2, 6, 3, 3, 54, 9, 3, 1), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(cudnnGetConvolutionForwardAlgorithm_v7(hd, t, f, cv, u, 8, &got, fp), CUDNN_STATUS_BAD_PARAM,
                 "y has 6 channels for 5 filters");
    cudnnDestroyTensorDescriptor(u);
    cr_assert_eq(cudnnGetConvolutionForwardAlgorithm_v7(hd, t, f, cv, u, 8, &got, fp), CUDNN_STATUS_BAD_PARAM,
                 "a destroyed descriptor");
    cr_assert_eq(cudnnDestroyTensorDescriptor(u), CUDNN_STATUS_BAD_PARAM, "destroyed twice");
    cr_assert_eq(cudnnDestroyTensorDescriptor(NULL), CUDNN_STATUS_SUCCESS);
    cudnnDestroy(hd);
    cr_assert_eq(cudnnSetStream(hd, NULL), CUDNN_STATUS_BAD_PARAM, "a destroyed handle");
    cudnnDestroyTensorDescriptor(t), cudnnDestroyFilterDescriptor(f), cudnnDestroyConvolutionDescriptor(cv);
    cudnnDestroyLRNDescriptor(l);
}

Test(emu_cudnn, the_math_type_of_each_convolution_is_recorded)
{
    Small s;
    small_open(&s);
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, s.x, NULL, 0, s.y), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(fv_emu_last_conv_math(), CUDNN_FMA_MATH);
    cr_assert_eq(cudnnSetConvolutionMathType(s.c.cv, CUDNN_TENSOR_OP_MATH), CUDNN_STATUS_SUCCESS);
    cudnnConvolutionFwdAlgoPerf_t fp[8];
    int n;
    cr_assert_eq(cudnnGetConvolutionForwardAlgorithm_v7(s.c.h, s.c.x, s.c.f, s.c.cv, s.c.y, 8, &n, fp),
                 CUDNN_STATUS_SUCCESS);
    cr_assert_eq(fp[0].mathType, CUDNN_TENSOR_OP_MATH);
    long before = fv_emu_conv_calls();
    cr_assert_eq(small_fwd(&s, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, s.x, NULL, 0, s.y), CUDNN_STATUS_SUCCESS);
    cr_assert_eq(fv_emu_last_conv_math(), CUDNN_TENSOR_OP_MATH);
    cr_assert_eq(fv_emu_last_conv_math_dir(0), CUDNN_TENSOR_OP_MATH);
    cr_assert_eq(fv_emu_conv_calls(), before + 1);
    small_close(&s);
}

/* ---- bias, LRN, softmax ---- */

typedef struct {
    cudnnHandle_t h;
    cudnnTensorDescriptor_t t[4];
} Tens;

static void tens_open(Tens *T)
{
    cr_assert_eq(cudnnCreate(&T->h), CUDNN_STATUS_SUCCESS);
    for (int i = 0; i < 4; i++) cudnnCreateTensorDescriptor(&T->t[i]);
}

static void tens_close(Tens *T)
{
    for (int i = 0; i < 4; i++) cudnnDestroyTensorDescriptor(T->t[i]);
    cudnnDestroy(T->h);
}

Test(emu_cudnn, add_tensor_broadcasts_the_bias)
{
    Tens T;
    tens_open(&T);
    const int N = 2, C = 3, H = 2, W = 3, ns = C * H * W + 4; /* C: images 4 floats apart */
    cudnnSetTensor4dDescriptorEx(T.t[0], CUDNN_DATA_FLOAT, 1, C, 1, 1, C, 1, 1, 1);
    cudnnSetTensor4dDescriptorEx(T.t[1], CUDNN_DATA_FLOAT, N, C, H, W, ns, H * W, W, 1);
    float *b = drand(C), *y = drand((size_t)N * ns), *y0 = malloc(sizeof(float) * N * ns);
    memcpy(y0, y, sizeof(float) * N * ns);
    const float alpha = 2.0f, beta = 1.0f;
    cr_assert_eq(cudnnAddTensor(T.h, &alpha, T.t[0], b, &beta, T.t[1], y), CUDNN_STATUS_SUCCESS, "%s",
                 fv_emu_last_refusal());
    for (int n = 0; n < N; n++)
        for (int i = 0; i < ns; i++) {
            const int c = i / (H * W);
            const float want = i < C * H * W ? y0[n * ns + i] + 2.0f * b[c] : y0[n * ns + i];
            cr_assert(fabsf(y[n * ns + i] - want) < 1e-6f, "%d %d", n, i);
        }
    cudnnSetTensor4dDescriptorEx(T.t[0], CUDNN_DATA_FLOAT, 1, 2, 1, 1, 2, 1, 1, 1);
    cr_assert_eq(cudnnAddTensor(T.h, &alpha, T.t[0], b, &beta, T.t[1], y), CUDNN_STATUS_BAD_PARAM, "2 channels onto 3");
    cudaFree(b), cudaFree(y), free(y0);
    tens_close(&T);
}

/* cuDNN's documented LRN (cudnnSetLRNDescriptor): window [c - floor((N-1)/2), c + N - 1 - floor((N-1)/2)],
 * y = x / (k + alpha / N * sum x^2)^beta. In double. */
static double lrn_ref(const double *x, int C, int c, int N, double alpha, double beta, double k)
{
    const int behind = (N - 1) / 2, ahead = N - 1 - behind;
    double s = 0;
    for (int j = c - behind; j <= c + ahead; j++)
        if (j >= 0 && j < C) s += x[j] * x[j];
    return x[c] / pow(k + alpha / N * s, beta);
}

static void lrn_case(int N)
{
    Tens T;
    tens_open(&T);
    const int B = 2, C = 7, H = 2, W = 2, xs = C * H * W + 8;
    const double alpha = 0.5, beta = 0.75, k = 1.5; /* alpha large enough that dividing by N or not shows */
    cudnnLRNDescriptor_t l;
    cudnnCreateLRNDescriptor(&l);
    cr_assert_eq(cudnnSetLRNDescriptor(l, (unsigned)N, alpha, beta, k), CUDNN_STATUS_SUCCESS);
    cudnnSetTensor4dDescriptorEx(T.t[0], CUDNN_DATA_FLOAT, B, C, H, W, xs, H * W, W, 1);
    cudnnSetTensor4dDescriptorEx(T.t[1], CUDNN_DATA_FLOAT, B, C, H, W, C * H * W, H * W, W, 1);
    float *x = drand((size_t)B * xs), *y = dnew((size_t)B * C * H * W), *dy = drand((size_t)B * C * H * W),
          *dx = dnew((size_t)B * xs);
    const float one = 1.0f, zero = 0.0f;
    for (int i = 0; i < B * C * H * W; i++) y[i] = NAN;
    cr_assert_eq(cudnnLRNCrossChannelForward(T.h, l, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, T.t[0], x, &zero, T.t[1], y),
                 CUDNN_STATUS_SUCCESS, "%s", fv_emu_last_refusal());
    for (int b = 0; b < B; b++)
        for (int p = 0; p < H * W; p++) {
            double col[16];
            for (int c = 0; c < C; c++) col[c] = x[b * xs + c * H * W + p];
            for (int c = 0; c < C; c++) {
                const double want = lrn_ref(col, C, c, N, alpha, beta, k);
                const float got = y[(b * C + c) * H * W + p];
                cr_assert(fabs(got - want) < 1e-5, "N %d b %d c %d: %g vs %g", N, b, c, (double)got, want);
            }
        }
    /* backward: the gradient of sum dy * y against central differences of the documented formula */
    for (int i = 0; i < B * xs; i++) dx[i] = 0.25f;
    cr_assert_eq(cudnnLRNCrossChannelBackward(T.h, l, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, T.t[1], y, T.t[1], dy, T.t[0],
                                              x, &one, T.t[0], dx),
                 CUDNN_STATUS_SUCCESS, "%s", fv_emu_last_refusal());
    cr_assert_eq(cudnnLRNCrossChannelBackward(T.h, l, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, T.t[1], y, T.t[1], dy, T.t[0],
                                              x, &one, T.t[0], dx),
                 CUDNN_STATUS_SUCCESS);
    for (int b = 0; b < B; b++)
        for (int p = 0; p < H * W; p++) {
            double col[16];
            for (int c = 0; c < C; c++) col[c] = x[b * xs + c * H * W + p];
            for (int i = 0; i < C; i++) {
                double g = 0;
                const double eps = 1e-5, keep = col[i];
                for (int sgn = -1; sgn <= 1; sgn += 2) {
                    col[i] = keep + sgn * eps;
                    for (int c = 0; c < C; c++) g += sgn * dy[(b * C + c) * H * W + p] * lrn_ref(col, C, c, N, alpha, beta, k);
                }
                col[i] = keep;
                g /= 2 * eps;
                const double want = 0.25 + 2 * g; /* beta = 1 twice onto 0.25 */
                const float got = dx[b * xs + i * H * W + p];
                cr_assert(fabs(got - want) < 1e-3, "N %d dx b %d c %d: %g vs %g", N, b, i, (double)got, want);
            }
        }
    for (int b = 0; b < B; b++) /* the gaps between dx's images untouched */
        for (int i = C * H * W; i < xs; i++) cr_assert_eq(dx[b * xs + i], 0.25f);
    cudaFree(x), cudaFree(y), cudaFree(dy), cudaFree(dx);
    cudnnDestroyLRNDescriptor(l);
    tens_close(&T);
}

Test(emu_cudnn, lrn_follows_the_documented_formula_odd_and_even_windows)
{
    lrn_case(5);
    lrn_case(4);
    lrn_case(1);
}

Test(emu_cudnn, lrn_refuses_mismatched_tensors)
{
    Tens T;
    tens_open(&T);
    cudnnLRNDescriptor_t l;
    cudnnCreateLRNDescriptor(&l);
    cudnnSetTensor4dDescriptorEx(T.t[0], CUDNN_DATA_FLOAT, 1, 4, 2, 2, 16, 4, 2, 1);
    cudnnSetTensor4dDescriptorEx(T.t[1], CUDNN_DATA_FLOAT, 1, 5, 2, 2, 20, 4, 2, 1);
    float *x = drand(32), *y = dnew(32);
    const float one = 1.0f, zero = 0.0f;
    cr_assert_eq(cudnnLRNCrossChannelForward(T.h, l, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, T.t[0], x, &zero, T.t[1], y),
                 CUDNN_STATUS_NOT_SUPPORTED_SHAPE);
    cr_assert_eq(cudnnLRNCrossChannelForward(T.h, l, (cudnnLRNMode_t)1, &one, T.t[0], x, &zero, T.t[0], y),
                 CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnLRNCrossChannelForward(T.h, l, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, T.t[0], x, &zero, T.t[0], NULL),
                 CUDNN_STATUS_BAD_PARAM_NULL_POINTER);
    cudaFree(x), cudaFree(y);
    cudnnDestroyLRNDescriptor(l);
    tens_close(&T);
}

static void softmax_ref(const float *x, int n, double *y, int logsm)
{
    double m = -INFINITY, s = 0;
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int i = 0; i < n; i++) s += exp(x[i] - m);
    for (int i = 0; i < n; i++) y[i] = logsm ? x[i] - m - log(s) : exp(x[i] - m) / s;
}

Test(emu_cudnn, softmax_channel_and_instance_forward_and_backward)
{
    Tens T;
    tens_open(&T);
    const int N = 2, C = 5, H = 1, W = 3, hw = H * W;
    cudnnSetTensor4dDescriptorEx(T.t[0], CUDNN_DATA_FLOAT, N, C, H, W, C * hw, hw, W, 1);
    float *x = drand(N * C * hw), *y = dnew(N * C * hw), *dy = drand(N * C * hw), *dx = dnew(N * C * hw);
    for (int i = 0; i < N * C * hw; i++) x[i] = 200.0f * x[i]; /* FAST would overflow; ACCURATE must not */
    const float one = 1.0f, zero = 0.0f;
    double want[64], tmp[64];
    float col[64];
    for (int mode = 0; mode < 2; mode++)
        for (int algo = 1; algo <= 2; algo++) {
            cr_assert_eq(cudnnSoftmaxForward(T.h, (cudnnSoftmaxAlgorithm_t)algo, (cudnnSoftmaxMode_t)mode, &one, T.t[0], x,
                                             &zero, T.t[0], y),
                         CUDNN_STATUS_SUCCESS);
            const int groups = mode == CUDNN_SOFTMAX_MODE_CHANNEL ? N * hw : N, len = mode ? C : C * hw;
            for (int g = 0; g < groups; g++) {
                const int b = mode ? g / hw : g, p = mode ? g % hw : 0;
                for (int i = 0; i < len; i++) col[i] = x[b * C * hw + (mode ? i * hw + p : i)];
                softmax_ref(col, len, tmp, algo == CUDNN_SOFTMAX_LOG);
                for (int i = 0; i < len; i++) want[i] = tmp[i];
                for (int i = 0; i < len; i++) col[i] = y[b * C * hw + (mode ? i * hw + p : i)];
                assert_close(col, want, len, 1e-5, mode ? "channel softmax" : "instance softmax");
            }
        }
    /* backward, channel mode: dx = beta dx + y (dy - sum y dy) */
    cudnnSoftmaxForward(T.h, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, T.t[0], x, &zero, T.t[0], y);
    for (int i = 0; i < N * C * hw; i++) dx[i] = 1.0f;
    cr_assert_eq(cudnnSoftmaxBackward(T.h, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, T.t[0], y, T.t[0], dy,
                                      &one, T.t[0], dx),
                 CUDNN_STATUS_SUCCESS);
    for (int b = 0; b < N; b++)
        for (int p = 0; p < hw; p++) {
            double s = 0;
            for (int c = 0; c < C; c++) s += (double)y[b * C * hw + c * hw + p] * dy[b * C * hw + c * hw + p];
            for (int c = 0; c < C; c++) {
                const int i = b * C * hw + c * hw + p;
                cr_assert(fabs(dx[i] - (1.0 + y[i] * (dy[i] - s))) < 1e-5);
            }
        }
    /* in place, as cuda/softmax.cu relies on */
    for (int i = 0; i < N * C * hw; i++) y[i] = x[i];
    cr_assert_eq(cudnnSoftmaxForward(T.h, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, T.t[0], y, &zero,
                                     T.t[0], y),
                 CUDNN_STATUS_SUCCESS);
    for (int p = 0; p < hw; p++) {
        double sum = 0;
        for (int c = 0; c < C; c++) sum += y[c * hw + p];
        cr_assert(fabs(sum - 1.0) < 1e-5);
    }
    /* refusals: y and dy of different strides (backward), sizes that differ, bad enumerants */
    cudnnSetTensor4dDescriptorEx(T.t[1], CUDNN_DATA_FLOAT, N, C, H, W, C * hw + 1, hw, W, 1);
    float *dy2 = dnew(N * (C * hw + 1));
    cr_assert_eq(cudnnSoftmaxBackward(T.h, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, T.t[0], y, T.t[1],
                                      dy2, &one, T.t[0], dx),
                 CUDNN_STATUS_BAD_PARAM);
    cudnnSetTensor4dDescriptorEx(T.t[2], CUDNN_DATA_FLOAT, N, C - 1, H, W, C * hw, hw, W, 1);
    cr_assert_eq(cudnnSoftmaxForward(T.h, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, T.t[0], x, &zero,
                                     T.t[2], y),
                 CUDNN_STATUS_BAD_PARAM);
    cr_assert_eq(cudnnSoftmaxForward(T.h, (cudnnSoftmaxAlgorithm_t)3, CUDNN_SOFTMAX_MODE_CHANNEL, &one, T.t[0], x, &zero,
                                     T.t[0], y),
                 CUDNN_STATUS_BAD_PARAM);
    cudaFree(x), cudaFree(y), cudaFree(dy), cudaFree(dx), cudaFree(dy2);
    tens_close(&T);
}
