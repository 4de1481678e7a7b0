// Colour decorrelation + sigmoid on the GPU, forward and backward: the twin of host/cpu/colour.c with
// identical parameters (device pointers). One thread per pixel; the 3x3 matrix (backend/constants.c) travels
// by value in the kernel arguments, so no device state depends on which context ran first.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

struct fv_colour_arg {
    float m[3][3];
};

__global__ void colour_fwd_kernel1(fv_colour_arg mn, int n, int hw, int decorrelate, const float *t, float *rgb)
{
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= (long)n * hw) return;
    long b = i / hw, p = i % hw;
    const float *ti = t + b * 3 * hw + p;
    float *o = rgb + b * 3 * hw + p;
    float x[3] = {ti[0], ti[hw], ti[2 * hw]};
    for (int c = 0; c < 3; c++) {
        float v = decorrelate ? mn.m[c][0] * x[0] + mn.m[c][1] * x[1] + mn.m[c][2] * x[2] : x[c];
        o[c * hw] = 1.0f / (1.0f + expf(-v));
    }
}

__global__ void colour_bwd_kernel1(fv_colour_arg mn, int n, int hw, int decorrelate, const float *rgb,
                                   const float *drgb, float *dt)
{
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= (long)n * hw) return;
    long b = i / hw, p = i % hw;
    float g[3];
    for (int c = 0; c < 3; c++) {
        float y = rgb[b * 3 * hw + c * hw + p];
        g[c] = drgb[b * 3 * hw + c * hw + p] * y * (1.0f - y);
    }
    for (int k = 0; k < 3; k++)
        dt[b * 3 * hw + k * hw + p] =
            decorrelate ? mn.m[0][k] * g[0] + mn.m[1][k] * g[1] + mn.m[2][k] * g[2] : g[k];
}

static fv_colour_arg matrix(void)
{
    fv_colour_arg a;
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) a.m[r][c] = fv_colour_matrix[r][c];
    return a;
}

extern "C" fv_status fv_colour_fwd_cuda(fv_cuda_ctx *ctx, int n, int hw, int decorrelate, const float *t, float *rgb)
{
    FV_TRY(fv_check_colour("colour_fwd (cuda)", n, hw, t, rgb, rgb));
    long total = (long)n * hw;
    if (total == 0) return FV_OK; // a zero-block launch is an error; the CPU does nothing
    FV_TRY(fv_cuda_enter(ctx));
    FV_LAUNCH(colour_fwd_kernel1, fv_blocks_for(total, 0x7fffffffL), 256, 0, ctx->stream, matrix(), n, hw, decorrelate, t, rgb);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_colour_bwd_cuda(fv_cuda_ctx *ctx, int n, int hw, int decorrelate, const float *rgb,
                                        const float *drgb, float *dt)
{
    FV_TRY(fv_check_colour("colour_bwd (cuda)", n, hw, rgb, drgb, dt));
    long total = (long)n * hw;
    if (total == 0) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    FV_LAUNCH(colour_bwd_kernel1, fv_blocks_for(total, 0x7fffffffL), 256, 0, ctx->stream, matrix(), n, hw, decorrelate, rgb, drgb, dt);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
