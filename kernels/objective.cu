// Objective terms on the GPU (channel, neuron, deepdream, direction): the twin of the term half of
// host/cpu/objective.c. The forward reduces one term per block in double, as the CPU accumulates in
// double, and copies the values back to the host; the backward accumulates each term's gradient into dact.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "reduce.cuh"
#include "cuda/launch.h"

// A term as the kernels see it (the host struct minus its weight, which stays on the host side).
struct fv_term_arg {
    int kind, image, channel, y, x;
    const float *dir;
};

// Terms travel by value in the kernel arguments, FV_OBJ_LAUNCH per launch (32 B each: 2 KiB), and
// their values land in the context's scratch buffer, FV_OBJ_GROUP doubles, copied back once per group:
// nothing is allocated per call. More terms than a group take several round trips.
#define FV_OBJ_LAUNCH 64
#define FV_OBJ_GROUP 1024
struct fv_terms_arg {
    fv_term_arg t[FV_OBJ_LAUNCH];
};
static_assert(FV_OBJ_GROUP * sizeof(double) <= FV_CUDA_SCRATCH_BYTES, "term values must fit the scratch buffer");

#define FV_OBJ_THREADS 512

// One block per term: the unweighted value, summed in double (the CPU's sequential double sum and
// this tree differ by ~1e-16 relative, invisible after the final rounding to float in all but rare
// ties). _rn intrinsics keep the squares out of FMAs, as on the CPU.
__global__ void objective_fwd_kernel1(fv_terms_arg terms, int c, int h, int w, const float *act, long bstride,
                                      double *vals)
{
    const fv_term_arg t = terms.t[blockIdx.x];
    const long hw = (long)h * w;
    const float *img = act + (long)t.image * bstride;
    double s = 0.0;
    switch (t.kind) {
    case FV_OBJ_CHANNEL:
        for (long k = threadIdx.x; k < hw; k += blockDim.x) s += (double)img[t.channel * hw + k];
        break;
    case FV_OBJ_NEURON:
        if (threadIdx.x == 0) s = (double)img[t.channel * hw + (long)t.y * w + t.x];
        break;
    case FV_OBJ_DEEPDREAM:
        for (long k = threadIdx.x; k < (long)c * hw; k += blockDim.x) {
            double x = (double)img[k];
            s = __dadd_rn(s, __dmul_rn(x, x));
        }
        break;
    case FV_OBJ_DIRECTION:
        // sum_c dir[c] * (sum_k act[c, k]), per thread over its share of each channel
        for (int ch = 0; ch < c; ch++) {
            double sc = 0.0;
            for (long k = threadIdx.x; k < hw; k += blockDim.x) sc += (double)img[ch * hw + k];
            s = __dadd_rn(s, __dmul_rn(sc, (double)t.dir[ch]));
        }
        break;
    }
    s = fv_block_sum(s);
    if (threadIdx.x == 0) {
        if (t.kind == FV_OBJ_CHANNEL || t.kind == FV_OBJ_DIRECTION) s /= (double)hw;
        if (t.kind == FV_OBJ_DEEPDREAM) s /= (double)((long)c * hw);
        vals[blockIdx.x] = s;
    }
}

// One term's gradient over its region, accumulated into dact (launches for successive terms are
// stream-ordered, so overlapping terms add in the CPU's order: bit-identical). g is the CPU's float
// factor, computed on the host: weight/hw (channel), weight (neuron), 2 weight/(c hw) (deepdream),
// the weight itself for direction (the per-channel factor weight*dir[c]/hw is formed here).
__global__ void objective_bwd_kernel1(fv_term_arg t, float g, int c, int w, long hw, const float *act, long as,
                                      float *dact, long ds, long total)
{
    const float *img = act + (long)t.image * as;
    float *d = dact + (long)t.image * ds;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        switch (t.kind) {
        case FV_OBJ_CHANNEL: d[t.channel * hw + i] += g; break;
        case FV_OBJ_NEURON: d[t.channel * hw + (long)t.y * w + t.x] += g; break;
        case FV_OBJ_DEEPDREAM: d[i] = __fadd_rn(d[i], __fmul_rn(g, img[i])); break;
        case FV_OBJ_DIRECTION: {
            long ch = i / hw;
            d[i] += __fdiv_rn(__fmul_rn(g, t.dir[ch]), (float)hw);
            break;
        }
        }
    }
}

static fv_term_arg term_arg(const fv_obj_term *t)
{
    fv_term_arg a;
    a.kind = (int)t->kind, a.image = t->image, a.channel = t->channel, a.y = t->y, a.x = t->x, a.dir = t->dir;
    return a;
}

extern "C" fv_status fv_objective_fwd_cuda(fv_cuda_ctx *ctx, const fv_obj_term *terms, int nterms, fv_tensor act,
                                           float *values)
{
    FV_TRY(fv_check_objective("objective forward (cuda)", terms, nterms, act, values));
    if (!nterms) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    double *vals = (double *)ctx->scratch;
    double host[FV_OBJ_GROUP];
    for (int g0 = 0; g0 < nterms; g0 += FV_OBJ_GROUP) {
        int ng = nterms - g0 < FV_OBJ_GROUP ? nterms - g0 : FV_OBJ_GROUP;
        for (int l0 = 0; l0 < ng; l0 += FV_OBJ_LAUNCH) {
            int nl = ng - l0 < FV_OBJ_LAUNCH ? ng - l0 : FV_OBJ_LAUNCH;
            fv_terms_arg a;
            for (int i = 0; i < FV_OBJ_LAUNCH; i++) a.t[i] = term_arg(&terms[g0 + l0 + (i < nl ? i : 0)]);
            FV_LAUNCH(objective_fwd_kernel1, nl, FV_OBJ_THREADS, 0, ctx->stream, a, act.c, act.h, act.w, act.data, act.bstride, vals + l0);
            FV_CUDA_LAUNCHED();
        }
        FV_CUDA_CHECK(cudaMemcpyAsync(host, vals, sizeof(double) * ng, cudaMemcpyDeviceToHost, ctx->stream));
        FV_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
        // As the CPU: weight (float, promoted) times the double value, rounded once.
        for (int i = 0; i < ng; i++) values[g0 + i] = (float)(terms[g0 + i].weight * host[i]);
    }
    return FV_OK;
}

extern "C" fv_status fv_objective_bwd_cuda(fv_cuda_ctx *ctx, const fv_obj_term *terms, int nterms, fv_tensor act,
                                           fv_tensor dact)
{
    FV_TRY(fv_check_objective("objective backward (cuda)", terms, nterms, act, dact.data));
    FV_TRY(fv_check_grad_like("objective backward (cuda)", act, dact));
    if (!nterms) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    const long hw = (long)act.h * act.w;
    for (int i = 0; i < nterms; i++) {
        const fv_obj_term *t = &terms[i];
        float g = t->weight;
        long total = 1;
        switch (t->kind) {
        case FV_OBJ_CHANNEL: g = t->weight / (float)hw, total = hw; break;
        case FV_OBJ_NEURON: break;
        case FV_OBJ_DEEPDREAM: g = 2.0f * t->weight / (float)(act.c * hw), total = act.c * hw; break;
        case FV_OBJ_DIRECTION: total = act.c * hw; break;
        }
        long nb = (total + 255) / 256;
        if (nb > 65535L * 16) nb = 65535L * 16; // grid-stride loop covers the rest
        FV_LAUNCH(objective_bwd_kernel1, (unsigned)nb, 256, 0, ctx->stream, term_arg(t), g, act.c, act.w, hw, act.data, act.bstride, dact.data, dact.bstride, total);
        FV_CUDA_LAUNCHED();
    }
    return FV_OK;
}
