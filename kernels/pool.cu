// Max / average pooling with asymmetric padding on the GPU: the twin of host/cpu/pool.c (cuDNN pooling
// cannot express pad_b != pad_t, nor an average counting the explicit padding but not ceil mode's overhang). The forward is one thread per output; the backward gathers, one thread
// per input element, so it needs no atomics and adds in the CPU's order: results are bit-identical.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

// The in-image part [y0, y1) x [x0, x1) of output (oy, ox)'s window (as clip_window in pool.c).
static __device__ __forceinline__ void clip_window(const fv_window &k, int h, int w, int oy, int ox, int *y0,
                                                   int *y1, int *x0, int *x1)
{
    int ys = oy * k.sh - k.pad_t, xs = ox * k.sw - k.pad_l;
    *y0 = ys < 0 ? 0 : ys;
    *x0 = xs < 0 ? 0 : xs;
    *y1 = ys + k.kh > h ? h : ys + k.kh;
    *x1 = xs + k.kw > w ? w : xs + k.kw;
}

// The divisor of output (oy, ox)'s average, as avg_count in pool.c: the in-image part's size, or with count_pad
// the window clipped to [.., ylim) x [.., xlim), the input and its explicit padding (cp = 0: count_pad off).
static __device__ __forceinline__ float avg_count(const fv_window &k, int cp, int ylim, int xlim, int oy, int ox,
                                                  int y0, int y1, int x0, int x1)
{
    if (!cp) return (float)((y1 - y0) * (x1 - x0));
    int ys = oy * k.sh - k.pad_t, xs = ox * k.sw - k.pad_l, ye = ys + k.kh, xe = xs + k.kw;
    if (ye > ylim) ye = ylim;
    if (xe > xlim) xe = xlim;
    return (float)((ye - ys) * (xe - xs));
}

// Index within the plane of the first (row-major) maximum of the clipped window, -1 if it is empty.
// The same strict '>' as the CPU, so ties and NaNs resolve identically.
static __device__ __forceinline__ long first_max(const float *p, int w, int y0, int y1, int x0, int x1)
{
    long best = -1;
    float bv = 0.0f;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) {
            long i = (long)iy * w + ix;
            float v = p[i];
            if (best < 0 || v > bv) best = i, bv = v;
        }
    return best;
}

// One thread per output element; planes are (b, c) pairs, located through each view's bstride.
__global__ void pool_fwd_kernel1(fv_window k, int avg, int cp, int ylim, int xlim, int c, int h, int w, const float *x,
                                 long xs, int oh, int ow, float *y, long ys, long total)
{
    const long ohw = (long)oh * ow;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long pl = i / ohw;
        long r = i - pl * ohw;
        int oy = (int)(r / ow), ox = (int)(r - (long)oy * ow);
        long b = pl / c, ch = pl - b * c;
        const float *xp = x + b * xs + ch * h * (long)w;
        int y0, y1, x0, x1;
        clip_window(k, h, w, oy, ox, &y0, &y1, &x0, &x1);
        float v = 0.0f;
        if (!avg) {
            long m = first_max(xp, w, y0, y1, x0, x1);
            if (m >= 0) v = xp[m];
        } else if (y1 > y0 && x1 > x0) {
            float s = 0.0f; // row-major float sum, as the CPU
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) s += xp[(long)iy * w + ix];
            v = s / avg_count(k, cp, ylim, xlim, oy, ox, y0, y1, x0, x1);
        }
        y[b * ys + ch * ohw + r] = v;
    }
}

// One thread per input element (iy, ix): visits the windows containing it in the CPU's (oy, ox) order,
// adds each window's share into a register seeded with dx, and stores once. Max windows recompute
// their first argmax from x and pass g only if it is this element.
// Window oy covers padded rows [oy*sh, oy*sh + kh); padded row P = iy + pad_t lies in it iff
// (P - kh + 1)/sh <= oy <= P/sh (rounded inwards), clipped to [0, oh).
__global__ void pool_bwd_kernel1(fv_window k, int avg, int cp, int ylim, int xlim, int c, int h, int w, const float *x,
                                 long xs, int oh, int ow, const float *g, long gs, float *dx, long ds, long total)
{
    const long hw = (long)h * w, ohw = (long)oh * ow;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long pl = i / hw;
        long r = i - pl * hw;
        int iy = (int)(r / w), ix = (int)(r - (long)iy * w);
        long b = pl / c, ch = pl - b * c;
        const float *xp = x + b * xs + ch * hw;
        const float *gp = g + b * gs + ch * ohw;
        float *dp = dx + b * ds + ch * hw + r;

        int py = iy + k.pad_t, px = ix + k.pad_l;
        int ly = py - k.kh + 1, lx = px - k.kw + 1;
        int oy0 = ly <= 0 ? 0 : (ly + k.sh - 1) / k.sh, ox0 = lx <= 0 ? 0 : (lx + k.sw - 1) / k.sw;
        int oy1 = py / k.sh, ox1 = px / k.sw;
        if (oy1 > oh - 1) oy1 = oh - 1;
        if (ox1 > ow - 1) ox1 = ow - 1;

        float acc = *dp;
        for (int oy = oy0; oy <= oy1; oy++)
            for (int ox = ox0; ox <= ox1; ox++) {
                int y0, y1, x0, x1;
                clip_window(k, h, w, oy, ox, &y0, &y1, &x0, &x1);
                float gv = gp[(long)oy * ow + ox];
                if (!avg) {
                    if (first_max(xp, w, y0, y1, x0, x1) == r) acc += gv;
                } else {
                    // The window holds (iy, ix), so it is never empty here.
                    acc += gv / avg_count(k, cp, ylim, xlim, oy, ox, y0, y1, x0, x1);
                }
            }
        *dp = acc;
    }
}

extern "C" fv_status fv_pool_fwd_cuda(fv_cuda_ctx *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_pool_fwd("pool forward (cuda)", d, x, y));
    FV_TRY(fv_cuda_enter(ctx));
    long total = (long)y.n * y.c * y.h * y.w;
    FV_LAUNCH(pool_fwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, d->win, d->kind == FV_POOL_AVG, d->count_pad != 0, x.h + d->win.pad_b - d->over_b, x.w + d->win.pad_r - d->over_r, x.c, x.h, x.w, x.data, x.bstride, y.h, y.w, y.data, y.bstride, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_pool_bwd_cuda(fv_cuda_ctx *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                                      fv_tensor dx)
{
    FV_TRY(fv_check_pool_bwd("pool backward (cuda)", d, x, y, dy, dx));
    FV_TRY(fv_cuda_enter(ctx));
    long total = (long)x.n * x.c * x.h * x.w;
    FV_LAUNCH(pool_bwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_WIDE), 256, 0, ctx->stream, d->win, d->kind == FV_POOL_AVG, d->count_pad != 0, x.h + d->win.pad_b - d->over_b, x.w + d->win.pad_r - d->over_r, x.c, x.h, x.w, x.data, x.bstride, y.h, y.w, dy.data, dy.bstride, dx.data, dx.bstride, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
