// Colour decorrelation + sigmoid on the GPU, forward and backward: the twin of host/cpu/colour.c with
// identical parameters (device pointers). One thread per pixel; the 3x3 matrix lives in constant
// memory, uploaded once per process.
#include "cuda/context.h"
#include "cuda/ops_cuda.h"

__constant__ float fv_colour_mn[3][3];

__global__ void colour_fwd_kernel1(int n, int hw, int decorrelate, const float *t, float *rgb)
{
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= (long)n * hw) return;
    long b = i / hw, p = i % hw;
    const float *ti = t + b * 3 * hw + p;
    float *o = rgb + b * 3 * hw + p;
    float x[3] = {ti[0], ti[hw], ti[2 * hw]};
    for (int c = 0; c < 3; c++) {
        float v = decorrelate ? fv_colour_mn[c][0] * x[0] + fv_colour_mn[c][1] * x[1] + fv_colour_mn[c][2] * x[2] : x[c];
        o[c * hw] = 1.0f / (1.0f + expf(-v));
    }
}

__global__ void colour_bwd_kernel1(int n, int hw, int decorrelate, const float *rgb, const float *drgb, float *dt)
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
            decorrelate ? fv_colour_mn[0][k] * g[0] + fv_colour_mn[1][k] * g[1] + fv_colour_mn[2][k] * g[2] : g[k];
}

// The matrix never changes, so it is uploaded on the first call only (cudaMemcpyToSymbol is a
// synchronous copy: doing it per call would stall the stream every step). The flag is set only after a
// successful copy, so a failure is retried next time.
static fv_status upload_matrix(void)
{
    static int uploaded = 0;
    if (uploaded) return FV_OK;
    FV_CUDA_CHECK(cudaMemcpyToSymbol(fv_colour_mn, fv_colour_matrix, sizeof(float) * 9));
    uploaded = 1;
    return FV_OK;
}

static unsigned blocks_for(long total)
{
    long nb = (total + 255) / 256;
    return (unsigned)(nb > 0x7fffffffL ? 0x7fffffffL : nb);
}

extern "C" fv_status fv_colour_fwd_cuda(int n, int hw, int decorrelate, const float *t, float *rgb)
{
    if (n < 0 || hw < 0 || !t || !rgb) return fv_fail(FV_ERR_ARG, "colour_fwd (cuda): bad arguments");
    long total = (long)n * hw;
    if (total == 0) return FV_OK; // a zero-block launch is an error; the CPU does nothing
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    FV_TRY(upload_matrix());
    colour_fwd_kernel1<<<blocks_for(total), 256, 0, ctx->stream>>>(n, hw, decorrelate, t, rgb);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_colour_bwd_cuda(int n, int hw, int decorrelate, const float *rgb, const float *drgb, float *dt)
{
    if (n < 0 || hw < 0 || !rgb || !drgb || !dt) return fv_fail(FV_ERR_ARG, "colour_bwd (cuda): bad arguments");
    long total = (long)n * hw;
    if (total == 0) return FV_OK;
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    FV_TRY(upload_matrix());
    colour_bwd_kernel1<<<blocks_for(total), 256, 0, ctx->stream>>>(n, hw, decorrelate, rgb, drgb, dt);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
