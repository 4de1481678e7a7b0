// The alignment term on the GPU: the twin of host/cpu/alignment.c. The forward reduces one image pair
// per block in double into the context's scratch buffer (nothing allocated per call) and sums on the host
// with the CPU's weights; the backward gives each element its gradient from its up-to-8 partners.
#include <math.h>

#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "reduce.cuh"
#include "cuda/launch.h"

#define FV_ALIGN_MAXD 4
#define FV_ALIGN_PAIRS 256 // 4 distances x at most 64 images
static_assert(FV_ALIGN_PAIRS * sizeof(double) <= FV_CUDA_SCRATCH_BYTES, "pair sums must fit the scratch buffer");

// The shared checks, then this twin's limit: at most 64 images (the interpolation's frames are 2..64).
static fv_status check(const char *op, fv_tensor act, int b0, int count, float decay, const void *out)
{
    FV_TRY(fv_check_alignment(op, act, b0, count, decay, out));
    if (count > FV_ALIGN_PAIRS / FV_ALIGN_MAXD)
        return fv_fail(FV_ERR_ARG, "%s: %d images, at most %d", op, count, FV_ALIGN_PAIRS / FV_ALIGN_MAXD);
    return FV_OK;
}

// The image pairs (i, i + d) in the CPU's order (d outer, i inner), by value in the kernel arguments.
struct fv_align_pairs {
    short i[FV_ALIGN_PAIRS];
    unsigned char d[FV_ALIGN_PAIRS];
};

// Block p: sum of squared differences of pair p.
__global__ void alignment_fwd_kernel(fv_align_pairs pairs, int b0, const float *act, long bstride, long chw,
                                     double *vals)
{
    const int p = blockIdx.x, i = pairs.i[p], d = pairs.d[p];
    const float *a = act + (long)(b0 + i) * bstride, *b = act + (long)(b0 + i + d) * bstride;
    double s = 0.0;
    for (long k = threadIdx.x; k < chw; k += blockDim.x) {
        double e = __dsub_rn((double)a[k], (double)b[k]);
        s = __dadd_rn(s, __dmul_rn(e, e));
    }
    s = fv_block_sum(s);
    if (threadIdx.x == 0) vals[p] = s;
}

extern "C" fv_status fv_alignment_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor act, int b0, int count, float decay,
                                           float *value)
{
    FV_TRY(check("alignment forward (cuda)", act, b0, count, decay, value));
    fv_align_pairs pairs = {};
    int npairs = 0;
    for (int d = 1; d <= FV_ALIGN_MAXD; d++)
        for (int i = 0; i + d < count; i++, npairs++) pairs.i[npairs] = (short)i, pairs.d[npairs] = (unsigned char)d;
    *value = 0.0f;
    if (!npairs) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    double *vals = (double *)ctx->scratch;
    const long chw = fv_tensor_chw(act);
    FV_LAUNCH(alignment_fwd_kernel, npairs, 512, 0, ctx->stream, pairs, b0, act.data, act.bstride, chw, vals);
    FV_CUDA_LAUNCHED();
    double host[FV_ALIGN_PAIRS];
    FV_CUDA_CHECK(cudaMemcpyAsync(host, vals, sizeof(double) * npairs, cudaMemcpyDeviceToHost, ctx->stream));
    FV_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    double acc = 0;
    int p = 0;
    for (int d = 1; d <= FV_ALIGN_MAXD; d++)
        for (int i = 0; i + d < count; i++, p++) acc += host[p] / (double)chw / pow((double)decay, d);
    *value = (float)-acc;
    return FV_OK;
}

struct fv_align_g {
    float g[FV_ALIGN_MAXD + 1];
};

// One thread per element of the group: the CPU's accumulation order (d ascending, forward partner first).
__global__ void alignment_bwd_kernel(fv_align_g g, int b0, int count, const float *act, long as, float *dact, long ds,
                                     long chw)
{
    const long total = (long)count * chw;
    for (long t = blockIdx.x * (long)blockDim.x + threadIdx.x; t < total; t += (long)gridDim.x * blockDim.x) {
        const int i = (int)(t / chw);
        const long k = t % chw;
        const float a = act[(long)(b0 + i) * as + k];
        float d = dact[(long)(b0 + i) * ds + k];
        for (int dd = 1; dd <= FV_ALIGN_MAXD; dd++) {
            if (i + dd < count) d = __fadd_rn(d, __fmul_rn(g.g[dd], __fsub_rn(a, act[(long)(b0 + i + dd) * as + k])));
            if (i - dd >= 0) d = __fadd_rn(d, __fmul_rn(g.g[dd], __fsub_rn(a, act[(long)(b0 + i - dd) * as + k])));
        }
        dact[(long)(b0 + i) * ds + k] = d;
    }
}

extern "C" fv_status fv_alignment_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor act, int b0, int count, float decay,
                                           float weight, fv_tensor dact)
{
    FV_TRY(check("alignment backward (cuda)", act, b0, count, decay, dact.data));
    FV_TRY(fv_check_grad_like("alignment backward (cuda)", act, dact));
    FV_TRY(fv_cuda_enter(ctx));
    const long chw = fv_tensor_chw(act);
    fv_align_g g;
    g.g[0] = 0.0f;
    for (int d = 1; d <= FV_ALIGN_MAXD; d++) g.g[d] = (float)(-2.0 * weight / ((double)chw * pow((double)decay, d)));
    long nb = ((long)count * chw + 255) / 256;
    if (nb > 65535L * 16) nb = 65535L * 16;
    FV_LAUNCH(alignment_bwd_kernel, (unsigned)nb, 256, 0, ctx->stream, g, b0, count, act.data, act.bstride, dact.data, dact.bstride, chw);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
