// The diversity term on the GPU: the twin of host/cpu/diversity.c. Grams and the
// input gradient are cuBLAS sgemms (batched over the group); norms, the value and dV/dG are kernels
// that reduce in double, in a fixed order (per-block partials, then one in-order pass): deterministic.
#include <stdint.h>

#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "reduce.cuh"
#include "cuda/launch.h"

// Blocks per reduction (per image where the reduction is per image). Fixed, so the partial-sum
// layout in the workspace and the summation order do not depend on the device.
#define FV_DIV_PARTS 64
#define FV_DIV_THREADS 256

// Workspace layout, in floats then (8-byte aligned) doubles:
//   G      count * c*c   the Grams, overwritten by dV/dG in the backward (as on the CPU)
//   S      c*c           sum over the group of the normalised Grams
//   norms  count         Frobenius norms, sqrt(max(ss, 1e-10)) rounded to float (as the CPU)
//   value  1             the forward's value
//   [pad to 8 bytes: at most one float]
//   ss_part  count*P, tot_part P, self_part P, dot_part count*P, dot count   (doubles)
typedef struct div_ws {
    float *G, *S, *norms, *value;
    double *ss_part, *tot_part, *self_part, *dot_part, *dot;
} div_ws;

static size_t div_doubles(int count) { return (size_t)(2 * count + 2) * FV_DIV_PARTS + (size_t)count; }

extern "C" size_t fv_diversity_workspace_cuda(fv_cuda_ctx *ctx, int c, int count)
{
    (void)ctx; // the layout depends on the shape only
    if (c < 1 || count < 1) return 0;
    return (size_t)(count + 1) * c * c + (size_t)count + 1 + 1 + 2 * div_doubles(count);
}

static div_ws div_layout(float *work, int c, int count)
{
    const size_t cc = (size_t)c * c;
    div_ws s;
    s.G = work;
    s.S = s.G + (size_t)count * cc;
    s.norms = s.S + cc;
    s.value = s.norms + count;
    uintptr_t d = ((uintptr_t)(s.value + 1) + 7) & ~(uintptr_t)7;
    s.ss_part = (double *)d;
    s.tot_part = s.ss_part + (size_t)count * FV_DIV_PARTS;
    s.self_part = s.tot_part + FV_DIV_PARTS;
    s.dot_part = s.self_part + FV_DIV_PARTS;
    s.dot = s.dot_part + (size_t)count * FV_DIV_PARTS;
    return s;
}

// Partial sums of squares of each Gram: grid (P, count), block (p, i) -> ss_part[i*P + p].
// The _rn intrinsics keep nvcc from fusing into FMAs (the CPU, C11, never fuses).
__global__ void gram_sumsq_kernel1(const float *G, size_t cc, double *ss_part)
{
    const float *g = G + blockIdx.y * cc;
    double s = 0.0;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < cc; k += (size_t)gridDim.x * blockDim.x) {
        double v = (double)g[k];
        s = __dadd_rn(s, __dmul_rn(v, v));
    }
    s = fv_block_sum(s);
    if (threadIdx.x == 0) ss_part[blockIdx.y * (size_t)gridDim.x + blockIdx.x] = s;
}

// One thread per image: its partials in order, then the CPU's eps clamp and rounding.
__global__ void gram_norm_kernel1(int count, const double *ss_part, float *norms)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    double ss = 0.0;
    for (int p = 0; p < FV_DIV_PARTS; p++) ss += ss_part[(size_t)i * FV_DIV_PARTS + p];
    norms[i] = (float)sqrt(fmax(ss, 1e-10));
}

// Per element k of the c x c Grams: Ghat_i[k] = G_i[k] / n_i (a float quotient, as the CPU), s = sum_i,
// S[k] = (float)s, and partials of tot = sum_k s^2 and self = sum_{k,i} Ghat_i[k]^2. Grid: P blocks.
__global__ void gram_value_kernel1(const float *G, const float *norms, int count, size_t cc, float *S,
                                   double *tot_part, double *self_part)
{
    double tot = 0.0, self = 0.0;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < cc; k += (size_t)gridDim.x * blockDim.x) {
        double s = 0.0;
        for (int i = 0; i < count; i++) {
            const double g = (double)__fdiv_rn(G[i * cc + k], norms[i]);
            s = __dadd_rn(s, g);
            self = __dadd_rn(self, __dmul_rn(g, g));
        }
        S[k] = (float)s;
        tot = __dadd_rn(tot, __dmul_rn(s, s));
    }
    tot = fv_block_sum(tot);
    self = fv_block_sum(self);
    if (threadIdx.x == 0) tot_part[blockIdx.x] = tot, self_part[blockIdx.x] = self;
}

// value = (tot - self) / count, partials summed in order (one thread).
__global__ void gram_final_kernel1(const double *tot_part, const double *self_part, int count, float *value)
{
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    double tot = 0.0, self = 0.0;
    for (int p = 0; p < FV_DIV_PARTS; p++) tot += tot_part[p], self += self_part[p];
    *value = (float)((tot - self) / count);
}

// Backward, the CPU's per-element factors: gh = (double)(G[k] / n) and a = 2 (S[k] - gh) / count.
static __device__ __forceinline__ double dv_a(float sk, double gh, int count)
{
    return __ddiv_rn(__dmul_rn(2.0, __dsub_rn((double)sk, gh)), (double)count);
}

// Partials of dot_i = <a, Ghat_i>: grid (P, count) -> dot_part[i*P + p].
__global__ void gram_dot_kernel1(const float *G, const float *S, const float *norms, int count, size_t cc,
                                 double *dot_part)
{
    const size_t i = blockIdx.y;
    const float *g = G + i * cc;
    const float n = norms[i];
    double dot = 0.0;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < cc; k += (size_t)gridDim.x * blockDim.x) {
        const double gh = (double)__fdiv_rn(g[k], n);
        dot = __dadd_rn(dot, __dmul_rn(dv_a(S[k], gh, count), gh));
    }
    dot = fv_block_sum(dot);
    if (threadIdx.x == 0) dot_part[i * gridDim.x + blockIdx.x] = dot;
}

__global__ void gram_dotsum_kernel1(int count, const double *dot_part, double *dot)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    double s = 0.0;
    for (int p = 0; p < FV_DIV_PARTS; p++) s += dot_part[(size_t)i * FV_DIV_PARTS + p];
    dot[i] = s;
}

// dV/dG_i = (a - dot_i Ghat_i) / n_i, in place over the Grams (every element reads only itself).
__global__ void gram_dg_kernel1(float *G, const float *S, const float *norms, const double *dot, int count, size_t cc)
{
    const size_t total = (size_t)count * cc;
    for (size_t j = blockIdx.x * (size_t)blockDim.x + threadIdx.x; j < total; j += (size_t)gridDim.x * blockDim.x) {
        const size_t i = j / cc, k = j - i * cc;
        const float n = norms[i];
        const double gh = (double)__fdiv_rn(G[j], n);
        const double a = dv_a(S[k], gh, count);
        G[j] = (float)__ddiv_rn(__dsub_rn(a, __dmul_rn(dot[i], gh)), (double)n);
    }
}

// The shared checks, then this twin's limit: one grid row per image (gridDim.y).
static fv_status check_group(const char *op, fv_tensor act, int b0, int count, const float *work, const void *out)
{
    FV_TRY(fv_check_diversity(op, act, b0, count, work, out));
    if (count > 65535) return fv_fail(FV_ERR_ARG, "%s: group of %d images (gridDim.y limit)", op, count);
    return FV_OK;
}

// G_i = A_i A_i^T for the group, one batched sgemm. A_i is image b0+i as a row-major (c x hw) matrix,
// ld hw. cuBLAS is column-major: the same memory is X_i = A_i^T, an (hw x c) matrix with ld = hw, and
// G_i = X_i^T X_i, i.e. op(A) = X^T (CUBLAS_OP_T, stored hw x c, lda = hw), op(B) = X (CUBLAS_OP_N,
// ldb = hw), m = n = c, k = hw. G_i lands column-major (c x c, ldc = c): its memory is G_i^T, equal to
// G_i up to the rounding of individual dot products, and everything downstream is elementwise or (the
// backward gemm) takes that memory as the CPU takes its row-major dG, so the orientation is immaterial.
static fv_status grams_and_norms(fv_cuda_ctx *ctx, fv_tensor act, int b0, int count, const div_ws *s)
{
    const int c = act.c, hw = act.h * act.w;
    const size_t cc = (size_t)c * c;
    const float one = 1.0f, zero = 0.0f;
    FV_CUBLAS_CHECK(cublasSgemmStridedBatched(ctx->cublas, CUBLAS_OP_T, CUBLAS_OP_N, c, c, hw, &one,
                                              fv_tensor_img(act, b0), hw, (long long)act.bstride,
                                              fv_tensor_img(act, b0), hw, (long long)act.bstride, &zero, s->G, c,
                                              (long long)cc, count));
    FV_LAUNCH(gram_sumsq_kernel1, dim3(FV_DIV_PARTS, count), FV_DIV_THREADS, 0, ctx->stream, s->G, cc, s->ss_part);
    FV_CUDA_LAUNCHED();
    FV_LAUNCH(gram_norm_kernel1, (count + 127) / 128, 128, 0, ctx->stream, count, s->ss_part, s->norms);
    FV_CUDA_LAUNCHED();
    // S and the value's partials (the backward needs S; the partials cost one extra pass there).
    FV_LAUNCH(gram_value_kernel1, FV_DIV_PARTS, FV_DIV_THREADS, 0, ctx->stream, s->G, s->norms, count, cc, s->S, s->tot_part, s->self_part);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_diversity_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor act, int b0, int count, float *value,
                                           float *work)
{
    FV_TRY(check_group("diversity forward (cuda)", act, b0, count, work, value));
    FV_TRY(fv_cuda_enter(ctx));
    div_ws s = div_layout(work, act.c, count);
    FV_TRY(grams_and_norms(ctx, act, b0, count, &s));
    FV_LAUNCH(gram_final_kernel1, 1, 32, 0, ctx->stream, s.tot_part, s.self_part, count, s.value);
    FV_CUDA_LAUNCHED();
    float v;
    FV_CUDA_CHECK(cudaMemcpyAsync(&v, s.value, sizeof(float), cudaMemcpyDeviceToHost, ctx->stream));
    FV_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    *value = v;
    return FV_OK;
}

extern "C" fv_status fv_diversity_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor act, int b0, int count, float weight,
                                           fv_tensor dact, float *work)
{
    FV_TRY(check_group("diversity backward (cuda)", act, b0, count, work, dact.data));
    FV_TRY(fv_check_grad_like("diversity backward (cuda)", act, dact));
    FV_TRY(fv_cuda_enter(ctx));
    const int c = act.c, hw = act.h * act.w;
    const size_t cc = (size_t)c * c;
    div_ws s = div_layout(work, c, count);
    FV_TRY(grams_and_norms(ctx, act, b0, count, &s));
    // dV/dGhat_i = 2 (S - Ghat_i) / count; through Ghat = G / n: dV/dG = (a - <a, Ghat> Ghat) / n.
    FV_LAUNCH(gram_dot_kernel1, dim3(FV_DIV_PARTS, count), FV_DIV_THREADS, 0, ctx->stream, s.G, s.S, s.norms, count, cc, s.dot_part);
    FV_CUDA_LAUNCHED();
    FV_LAUNCH(gram_dotsum_kernel1, (count + 127) / 128, 128, 0, ctx->stream, count, s.dot_part, s.dot);
    FV_CUDA_LAUNCHED();
    size_t nb = ((size_t)count * cc + 255) / 256;
    if (nb > 65535u * 16) nb = 65535u * 16; // grid-stride loop covers the rest
    FV_LAUNCH(gram_dg_kernel1, (unsigned)nb, 256, 0, ctx->stream, s.G, s.S, s.norms, s.dot, count, cc);
    FV_CUDA_LAUNCHED();
    // dA_i += 2 weight dG_i A_i (G = A A^T gives dA = (dG + dG^T) A = 2 dG A for the symmetric dG; the
    // CPU uses dG as stored, and so do we). Row-major dA = dG A is, column-major, dA^T = A^T dG^T, and
    // the memories are exactly those: A_i as (hw x c, ld hw), dG_i's row-major memory as the column-major
    // dG^T (c x c, ld c), dA_i as (hw x c, ld hw). So op = N, N; m = hw, n = c, k = c; beta = 1 accumulates.
    const float alpha = 2.0f * weight, one = 1.0f;
    FV_CUBLAS_CHECK(cublasSgemmStridedBatched(ctx->cublas, CUBLAS_OP_N, CUBLAS_OP_N, hw, c, c, &alpha,
                                              fv_tensor_img(act, b0), hw, (long long)act.bstride, s.G, c,
                                              (long long)cc, &one, fv_tensor_img(dact, b0), hw,
                                              (long long)dact.bstride, count));
    return FV_OK;
}
