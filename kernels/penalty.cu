// Image penalties on the GPU (total variation, L1, L2, blur): the twin of host/cpu/penalty.c with
// identical parameters (device rgb/drgb, host values). One block per image: the forward reduces the four
// sums in double, the backward first reduces L2's norm and then accumulates every pixel's gradient.
#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "reduce.cuh"
#include "cuda/launch.h"

#define FV_PEN_THREADS 512
// Values land in the context's scratch buffer, FV_PEN_GROUP images per round trip: nothing allocated per call.
#define FV_PEN_GROUP 1024
static_assert(FV_PEN_GROUP * sizeof(double) <= FV_CUDA_SCRATCH_BYTES, "penalty values must fit the scratch buffer");

// Lucid's _tf_blur at (y, x): weights 1 (centre) and 0.5 (ring), over the taps inside the image.
static __device__ float pen_blur_at(const float *p, int h, int w, int y, int x)
{
    float s = 0.0f, k = 0.0f;
    for (int dy = -1; dy <= 1; dy++) {
        const int yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (int dx = -1; dx <= 1; dx++) {
            const int xx = x + dx;
            if (xx < 0 || xx >= w) continue;
            const float kw = (dx == 0 && dy == 0) ? 1.0f : 0.5f;
            s += kw * p[yy * w + xx];
            k += kw;
        }
    }
    return s / k;
}

// sign with sign(0) = 0, as on the CPU
static __device__ float pen_sgn(float d) { return (float)((d > 0.0f) - (d < 0.0f)); }

__global__ void penalty_fwd_kernel1(int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                                    double *vals)
{
    const long hw = (long)h * w;
    const float *img = rgb + (long)blockIdx.x * 3 * hw;
    double s_tv = 0.0, s_l1 = 0.0, s_l2 = 0.0, s_bl = 0.0;
    for (long i = threadIdx.x; i < 3 * hw; i += blockDim.x) {
        const long c = i / hw, q = i % hw;
        const int y = (int)(q / w), x = (int)(q % w);
        const float *p = img + c * hw;
        const float v = p[q];
        if (tv != 0.0f) {
            if (x + 1 < w) s_tv += fabsf(p[q + 1] - v);
            if (y + 1 < h) s_tv += fabsf(p[q + w] - v);
        }
        s_l1 += fabsf(v - 0.5f);
        s_l2 += (double)(v - 0.5f) * (v - 0.5f);
        if (blur != 0.0f) {
            const double d = v - pen_blur_at(p, h, w, y, x);
            s_bl += d * d;
        }
    }
    s_tv = fv_block_sum(s_tv);
    s_l1 = fv_block_sum(s_l1);
    s_l2 = fv_block_sum(s_l2);
    s_bl = fv_block_sum(s_bl);
    if (threadIdx.x == 0) vals[blockIdx.x] = tv * s_tv + l1 * s_l1 + l2 * sqrt(1e-6 + s_l2) + blur * 0.5 * s_bl;
}

__global__ void penalty_bwd_kernel1(int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                                    float *drgb)
{
    __shared__ float inv_norm;
    const long hw = (long)h * w;
    const float *img = rgb + (long)blockIdx.x * 3 * hw;
    float *dimg = drgb + (long)blockIdx.x * 3 * hw;
    if (l2 != 0.0f) { // uniform across the block, so the barriers inside are safe
        double s = 0.0;
        for (long i = threadIdx.x; i < 3 * hw; i += blockDim.x) {
            const float d = img[i] - 0.5f;
            s += (double)d * d;
        }
        s = fv_block_sum(s);
        if (threadIdx.x == 0) inv_norm = (float)(1.0 / sqrt(1e-6 + s));
        __syncthreads();
    }
    for (long i = threadIdx.x; i < 3 * hw; i += blockDim.x) {
        const long c = i / hw, q = i % hw;
        const int y = (int)(q / w), x = (int)(q % w);
        const float *p = img + c * hw;
        const float v = p[q];
        float d = 0.0f;
        if (tv != 0.0f) {
            float t = 0.0f;
            if (x + 1 < w) t -= pen_sgn(p[q + 1] - v);
            if (y + 1 < h) t -= pen_sgn(p[q + w] - v);
            if (x > 0) t += pen_sgn(v - p[q - 1]);
            if (y > 0) t += pen_sgn(v - p[q - w]);
            d += tv * t;
        }
        if (l1 != 0.0f) d += l1 * pen_sgn(v - 0.5f);
        if (l2 != 0.0f) d += l2 * (v - 0.5f) * inv_norm;
        if (blur != 0.0f) d += blur * (v - pen_blur_at(p, h, w, y, x));
        dimg[i] += d;
    }
}

extern "C" fv_status fv_penalty_fwd_cuda(fv_cuda_ctx *ctx, int n, int h, int w, const float *rgb, float tv, float l1,
                                         float l2, float blur, float *values)
{
    FV_TRY(fv_check_penalty("penalty_fwd (cuda)", n, h, w, rgb, values));
    if (!n) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    double *vals = (double *)ctx->scratch;
    double host[FV_PEN_GROUP];
    const long hw = (long)h * w;
    for (int b0 = 0; b0 < n; b0 += FV_PEN_GROUP) {
        const int nb = n - b0 < FV_PEN_GROUP ? n - b0 : FV_PEN_GROUP;
        FV_LAUNCH(penalty_fwd_kernel1, nb, FV_PEN_THREADS, 0, ctx->stream, h, w, rgb + (long)b0 * 3 * hw, tv, l1, l2, blur, vals);
        FV_CUDA_LAUNCHED();
        FV_CUDA_CHECK(cudaMemcpyAsync(host, vals, sizeof(double) * nb, cudaMemcpyDeviceToHost, ctx->stream));
        FV_CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
        for (int i = 0; i < nb; i++) values[b0 + i] = (float)host[i];
    }
    return FV_OK;
}

extern "C" fv_status fv_penalty_bwd_cuda(fv_cuda_ctx *ctx, int n, int h, int w, const float *rgb, float tv, float l1,
                                         float l2, float blur, float *drgb)
{
    FV_TRY(fv_check_penalty("penalty_bwd (cuda)", n, h, w, rgb, drgb));
    if (!n || (tv == 0.0f && l1 == 0.0f && l2 == 0.0f && blur == 0.0f)) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    FV_LAUNCH(penalty_bwd_kernel1, n, FV_PEN_THREADS, 0, ctx->stream, h, w, rgb, tv, l1, l2, blur, drgb);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
