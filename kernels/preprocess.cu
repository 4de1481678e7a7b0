// Network-input preprocessing on the GPU: the twin of host/cpu/preprocess.c (channel permutation,
// scale, mean subtraction, division by the channel's std, and its transpose). Elementwise, bit-identical
// to the CPU: the _rn intrinsics keep nvcc from fusing x*scale - mean into an FMA, which the C11 CPU
// build never does, and divide correctly rounded as the CPU does.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

// perm, mean and std are host arrays: they travel by value in the kernel arguments.
struct fv_pre_arg {
    int perm[3];
    float mean[3], std[3];
};

// One thread per output element i = (b*3 + c)*hw + p.
__global__ void preprocess_fwd_kernel1(long hw, fv_pre_arg a, float scale, const float *rgb, float *out, long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long bc = i / hw, p = i - bc * hw;
        long b = bc / 3;
        int c = (int)(bc - b * 3);
        float s = rgb[(b * 3 + a.perm[c]) * hw + p];
        out[i] = __fdiv_rn(__fsub_rn(__fmul_rn(s, scale), a.mean[c]), a.std[c]);
    }
}

// One thread per dout element: drgb[b][perm[c]] = dout[b][c] * scale / std[c] (perm is a permutation, so every
// drgb element is written exactly once: overwrite, no zeroing).
__global__ void preprocess_bwd_kernel1(long hw, fv_pre_arg a, float scale, const float *dout, float *drgb, long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long bc = i / hw, p = i - bc * hw;
        long b = bc / 3;
        int c = (int)(bc - b * 3);
        drgb[(b * 3 + a.perm[c]) * hw + p] = __fdiv_rn(__fmul_rn(dout[i], scale), a.std[c]);
    }
}

extern "C" fv_status fv_preprocess_fwd_cuda(fv_cuda_ctx *ctx, int n, int hw, const int perm[3], float scale,
                                            const float mean[3], const float std[3], const float *rgb, float *out)
{
    FV_TRY(fv_check_preprocess_fwd("preprocess_fwd (cuda)", n, hw, perm, mean, std, rgb, out));
    long total = (long)n * 3 * hw;
    if (total == 0) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    fv_pre_arg a;
    for (int c = 0; c < 3; c++) a.perm[c] = perm[c], a.mean[c] = mean[c], a.std[c] = std[c];
    FV_LAUNCH(preprocess_fwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, hw, a, scale, rgb, out, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_preprocess_bwd_cuda(fv_cuda_ctx *ctx, int n, int hw, const int perm[3], float scale,
                                            const float std[3], const float *dout, float *drgb)
{
    FV_TRY(fv_check_preprocess_bwd("preprocess_bwd (cuda)", n, hw, perm, std, dout, drgb));
    long total = (long)n * 3 * hw;
    if (total == 0) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    fv_pre_arg a;
    for (int c = 0; c < 3; c++) a.perm[c] = perm[c], a.mean[c] = 0.0f, a.std[c] = std[c];
    FV_LAUNCH(preprocess_bwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, hw, a, scale, dout, drgb, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
