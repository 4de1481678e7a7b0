// Constant padding (ONNX Pad, mode constant) with four pads on the GPU: the twin of host/cpu/pad.c. The
// forward is one thread per output element (x or the value), the backward one per dx element (adding the
// matching dy element): plain copies and single adds, bit-identical.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

__global__ void pad_fwd_kernel1(int c, int h, int w, int pt, int pl, float value, const float *x, long xs, int oh,
                                int ow, float *y, long ys, long total)
{
    const long ohw = (long)oh * ow;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long pl_ = i / ohw, r = i - pl_ * ohw, n = pl_ / c, ch = pl_ - n * c;
        int oy = (int)(r / ow), ox = (int)(r - (long)oy * ow), iy = oy - pt, ix = ox - pl;
        float v = value;
        if (iy >= 0 && iy < h && ix >= 0 && ix < w) v = x[n * xs + (ch * h + iy) * (long)w + ix];
        y[n * ys + ch * ohw + r] = v;
    }
}

__global__ void pad_bwd_kernel1(int c, int h, int w, int pt, int pl, const float *g, long gs, int oh, int ow,
                                float *dx, long ds, long total)
{
    const long hw = (long)h * w;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long pl_ = i / hw, r = i - pl_ * hw, n = pl_ / c, ch = pl_ - n * c;
        int iy = (int)(r / w), ix = (int)(r - (long)iy * w);
        float *d = dx + n * ds + ch * hw + r;
        *d = __fadd_rn(*d, g[n * gs + (ch * oh + iy + pt) * (long)ow + ix + pl]);
    }
}

extern "C" fv_status fv_pad_fwd_cuda(fv_cuda_ctx *ctx, const fv_window *pads, float value, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_pad("pad forward (cuda)", pads, x, y));
    FV_TRY(fv_cuda_enter(ctx));
    long total = (long)y.n * y.c * y.h * y.w;
    FV_LAUNCH(pad_fwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, x.c, x.h, x.w, pads->pad_t, pads->pad_l, value, x.data, x.bstride, y.h, y.w, y.data, y.bstride, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_pad_bwd_cuda(fv_cuda_ctx *ctx, const fv_window *pads, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_pad("pad backward (cuda)", pads, dx, dy));
    FV_TRY(fv_cuda_enter(ctx));
    long total = (long)dx.n * dx.c * dx.h * dx.w;
    FV_LAUNCH(pad_bwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, dx.c, dx.h, dx.w, pads->pad_t, pads->pad_l, dy.data, dy.bstride, dy.h, dy.w, dx.data, dx.bstride, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
