// Lucid's lowres_tensor resize on the GPU: the twin of host/cpu/lowres.c. Forward: one thread per output
// element, the CPU's interpolation order. Backward: one thread per source element gathering from the
// outputs whose taps reach it (a short range per axis), so no atomics and a fixed summation order.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

static __device__ __forceinline__ void taps(int j, int in, int out, int *t0, int *t1, float *l)
{
    const float scale = __fdiv_rn((float)in, (float)out), src = __fmul_rn((float)j, scale);
    int top = (int)src;
    if (top > in - 1) top = in - 1;
    *t0 = top;
    *t1 = top + 1 < in ? top + 1 : in - 1;
    *l = __fsub_rn(src, (float)top);
}

// Weight of source index i in output j's interpolation along one axis.
static __device__ __forceinline__ float tap_weight(int j, int i, int in, int out)
{
    int t0, t1;
    float l;
    taps(j, in, out, &t0, &t1, &l);
    return (t0 == i ? 1.0f - l : 0.0f) + (t1 == i ? l : 0.0f);
}

// Outputs whose taps can reach source index i: those with j * in/out in (i - 1, i + 1], plus the clamped
// tail for the last source index; a margin of one on each side covers float rounding.
static __device__ __forceinline__ void reach(int i, int in, int out, int *lo, int *hi)
{
    const float inv = (float)out / (float)in;
    int a = (int)floorf((float)(i - 1) * inv) - 1, b = (int)ceilf((float)(i + 1) * inv) + 1;
    if (i == in - 1) b = out - 1;
    *lo = a < 0 ? 0 : a;
    *hi = b > out - 1 ? out - 1 : b;
}

__global__ void lowres_fwd_kernel(int nb, int c, int h, int w, const float *src, int n, int oh, int ow, float *dst)
{
    const long total = (long)n * c * oh * ow;
    for (long t = blockIdx.x * (long)blockDim.x + threadIdx.x; t < total; t += (long)gridDim.x * blockDim.x) {
        const int x = (int)(t % ow), y = (int)(t / ow % oh), ch = (int)(t / ((long)ow * oh) % c),
                  b = (int)(t / ((long)ow * oh * c));
        int b0, b1, y0, y1, x0, x1;
        float lb, ly, lx;
        taps(b, nb, n, &b0, &b1, &lb);
        taps(y, h, oh, &y0, &y1, &ly);
        taps(x, w, ow, &x0, &x1, &lx);
        float v[2];
        for (int k = 0; k < 2; k++) {
            const float *s = src + ((long)(k ? b1 : b0) * c + ch) * h * w;
            const float r0 = __fadd_rn(s[y0 * w + x0], __fmul_rn(lx, __fsub_rn(s[y0 * w + x1], s[y0 * w + x0])));
            const float r1 = __fadd_rn(s[y1 * w + x0], __fmul_rn(lx, __fsub_rn(s[y1 * w + x1], s[y1 * w + x0])));
            v[k] = __fadd_rn(r0, __fmul_rn(ly, __fsub_rn(r1, r0)));
        }
        dst[t] = __fadd_rn(dst[t], __fadd_rn(v[0], __fmul_rn(lb, __fsub_rn(v[1], v[0]))));
    }
}

__global__ void lowres_bwd_kernel(int nb, int c, int h, int w, int n, int oh, int ow, const float *ddst, float *dsrc)
{
    const long total = (long)nb * c * h * w;
    for (long t = blockIdx.x * (long)blockDim.x + threadIdx.x; t < total; t += (long)gridDim.x * blockDim.x) {
        const int x = (int)(t % w), y = (int)(t / w % h), ch = (int)(t / ((long)w * h) % c),
                  b = (int)(t / ((long)w * h * c));
        int blo, bhi, ylo, yhi, xlo, xhi;
        reach(b, nb, n, &blo, &bhi);
        reach(y, h, oh, &ylo, &yhi);
        reach(x, w, ow, &xlo, &xhi);
        double s = 0.0;
        for (int jb = blo; jb <= bhi; jb++) {
            const float wb = tap_weight(jb, b, nb, n);
            if (wb == 0.0f) continue;
            for (int jy = ylo; jy <= yhi; jy++) {
                const float wy = tap_weight(jy, y, h, oh);
                if (wy == 0.0f) continue;
                const float *g = ddst + ((long)jb * c + ch) * oh * ow + (long)jy * ow;
                for (int jx = xlo; jx <= xhi; jx++) {
                    const float wx = tap_weight(jx, x, w, ow);
                    if (wx != 0.0f) s += (double)wb * wy * wx * g[jx];
                }
            }
        }
        dsrc[t] = (float)s;
    }
}

static unsigned blocks(long total)
{
    long nb = (total + 255) / 256;
    return (unsigned)(nb > 65535L * 16 ? 65535L * 16 : nb);
}

extern "C" fv_status fv_lowres_fwd_cuda(fv_cuda_ctx *ctx, int nb, int c, int h, int w, const float *src, int n,
                                        int oh, int ow, float *dst)
{
    FV_TRY(fv_check_lowres("lowres_fwd (cuda)", nb, c, h, w, n, oh, ow, src, dst));
    FV_TRY(fv_cuda_enter(ctx));
    FV_LAUNCH(lowres_fwd_kernel, blocks((long)n * c * oh * ow), 256, 0, ctx->stream, nb, c, h, w, src, n, oh, ow, dst);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_lowres_bwd_cuda(fv_cuda_ctx *ctx, int nb, int c, int h, int w, int n, int oh, int ow,
                                        const float *ddst, float *dsrc)
{
    FV_TRY(fv_check_lowres("lowres_bwd (cuda)", nb, c, h, w, n, oh, ow, ddst, dsrc));
    FV_TRY(fv_cuda_enter(ctx));
    FV_LAUNCH(lowres_bwd_kernel, blocks((long)nb * c * h * w), 256, 0, ctx->stream, nb, c, h, w, n, oh, ow, ddst, dsrc);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
