// Pointwise activations of the ONNX models on the GPU: the twin of host/cpu/act.c (forward; backward
// accumulating into dx). The same comparisons and float expressions, with the _rn intrinsics where the CPU
// rounds each product, so everything but the sigmoid's expf (CUDA's against libm's, a few ulp) is bit-identical.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

static __device__ __forceinline__ float act_one(fv_act_desc d, float x)
{
    switch (d.kind) {
    case FV_ACT_LEAKY: return x >= 0.0f ? x : __fmul_rn(d.a, x);
    case FV_ACT_CLIP: return x < d.a ? d.a : (x > d.b ? d.b : x);
    case FV_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case FV_ACT_HARDSIGMOID: {
        float v = __fadd_rn(__fmul_rn(d.a, x), d.b);
        return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
    case FV_ACT_HARDSWISH: {
        float v = __fadd_rn(__fdiv_rn(x, 6.0f), 0.5f);
        return v < 0.0f ? 0.0f : (v > 1.0f ? x : __fmul_rn(x, v));
    }
    }
    return 0.0f;
}

static __device__ __forceinline__ float act_grad(fv_act_desc d, float x)
{
    switch (d.kind) {
    case FV_ACT_LEAKY: return x >= 0.0f ? 1.0f : d.a;
    case FV_ACT_CLIP: return (x < d.a || x > d.b) ? 0.0f : 1.0f;
    case FV_ACT_SIGMOID: {
        float s = 1.0f / (1.0f + expf(-x));
        return __fmul_rn(s, 1.0f - s);
    }
    case FV_ACT_HARDSIGMOID: {
        float v = __fadd_rn(__fmul_rn(d.a, x), d.b);
        return (v < 0.0f || v > 1.0f) ? 0.0f : d.a;
    }
    case FV_ACT_HARDSWISH: {
        float v = __fadd_rn(__fdiv_rn(x, 6.0f), 0.5f);
        return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : __fadd_rn(__fdiv_rn(x, 3.0f), 0.5f));
    }
    }
    return 0.0f;
}

// One thread per element of a (b, i) pair: blockIdx.y walks images, x a grid-stride loop over chw.
__global__ void act_fwd_kernel1(fv_act_desc d, int n, long chw, const float *x, long xs, float *y, long ys)
{
    for (long b = blockIdx.y; b < n; b += gridDim.y)
        for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < chw; i += (long)gridDim.x * blockDim.x)
            y[b * ys + i] = act_one(d, x[b * xs + i]);
}

__global__ void act_bwd_kernel1(fv_act_desc d, int n, long chw, const float *x, long xs, const float *g, long gs,
                                float *dx, long ds)
{
    for (long b = blockIdx.y; b < n; b += gridDim.y)
        for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < chw; i += (long)gridDim.x * blockDim.x)
            dx[b * ds + i] = __fadd_rn(dx[b * ds + i], __fmul_rn(act_grad(d, x[b * xs + i]), g[b * gs + i]));
}

static dim3 grid_for(long chw, long n)
{
    long bx = (chw + 255) / 256;
    if (bx > 65535L * 16) bx = 65535L * 16;
    return dim3((unsigned)bx, (unsigned)(n < 65535 ? n : 65535));
}

extern "C" fv_status fv_act_fwd_cuda(fv_cuda_ctx *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_act_fwd("act forward (cuda)", d, x, y));
    FV_TRY(fv_cuda_enter(ctx));
    long chw = fv_tensor_chw(x);
    FV_LAUNCH(act_fwd_kernel1, grid_for(chw, x.n), 256, 0, ctx->stream, *d, x.n, chw, x.data, x.bstride, y.data, y.bstride);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_act_bwd_cuda(fv_cuda_ctx *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_act_bwd("act backward (cuda)", d, x, dy, dx));
    FV_TRY(fv_cuda_enter(ctx));
    long chw = fv_tensor_chw(x);
    FV_LAUNCH(act_bwd_kernel1, grid_for(chw, x.n), 256, 0, ctx->stream, *d, x.n, chw, x.data, x.bstride, dy.data, dy.bstride, dx.data, dx.bstride);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
