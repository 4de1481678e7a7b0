// Colour decorrelation + sigmoid on the GPU, forward and backward: the twin of host/cpu/colour.c with
// identical parameters (device pointers). One thread per pixel; the 3x3 matrix lives in registers.
#include "../cuda/check.h"
#include "../cuda/ops_cuda.h"

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

static fv_status upload_matrix(void)
{
    FV_CUDA_CHECK(cudaMemcpyToSymbol(fv_colour_mn, fv_colour_matrix, sizeof(float) * 9));
    return FV_OK;
}

extern "C" fv_status fv_colour_fwd_cuda(int n, int hw, int decorrelate, const float *t, float *rgb)
{
    FV_TRY(upload_matrix());
    long total = (long)n * hw;
    colour_fwd_kernel1<<<(unsigned)((total + 255) / 256), 256>>>(n, hw, decorrelate, t, rgb);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_colour_bwd_cuda(int n, int hw, int decorrelate, const float *rgb, const float *drgb, float *dt)
{
    FV_TRY(upload_matrix());
    long total = (long)n * hw;
    colour_bwd_kernel1<<<(unsigned)((total + 255) / 256), 256>>>(n, hw, decorrelate, rgb, drgb, dt);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
