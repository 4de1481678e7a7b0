// FFT image parameterisation on the GPU with cuFFT: scaled spectrum -> image planes and its exact adjoint,
// the twin of host/cpu/fft.c (same formula, ops.h). The plan owns its scratch (a complex and a real
// buffer) and runs on the stream of the context it was made with, so the per-step calls allocate nothing and
// never write their inputs; one plan, one thread.
#include <cstdlib>

#include "backend/checks.h"
#include "context.h"
#include "ops_cuda.h"
#include "cuda/launch.h"

struct fv_fft_plan_cuda {
    int n, h, w, wf;
    cufftHandle c2r, r2c;
    int have_c2r, have_r2c;
    cufftComplex *cbuf; // n * h * wf
    float *rbuf;        // n * h * w
};

// Columns whose bins are their own conjugate partners: weight 1 instead of 2 in the Re-formula.
__device__ __forceinline__ bool self_conj_col(int kx, int w) { return kx == 0 || (w % 2 == 0 && kx == w / 2); }

// c = spec * scale * norm, made Hermitian within the self-conjugate columns: there X'[ky] =
// (X[ky] + conj(X[(h-ky)%h])) / 2, which leaves the real part of the inverse unchanged, so cuFFT's C2R (which
// assumes that symmetry) evaluates the Re-formula for any spectrum. One thread per complex bin; every thread
// reads the input spectrum only, so the partner bins need no ordering.
__global__ void spectrum_fwd_kernel1(const float2 *spec, const float *scale, int h, int w, int wf, float norm,
                                     float2 *c, long total)
{
    const long plane = (long)h * wf;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long p = i / plane, j = i - p * plane;
        int ky = (int)(j / wf), kx = (int)(j - (long)ky * wf);
        float g = scale[j] * norm;
        float2 a = spec[i];
        a.x *= g, a.y *= g;
        if (self_conj_col(kx, w)) {
            int ny = (h - ky) % h;
            long jn = (long)ny * wf + kx;
            float gn = scale[jn] * norm;
            float2 b = spec[p * plane + jn];
            b.x *= gn, b.y *= gn;
            a = make_float2(0.5f * (a.x + b.x), 0.5f * (a.y - b.y)); // ny == ky: the imaginary part cancels
        }
        c[i] = a;
    }
}

// dspec = c_kx * scale * norm * R2C(dimg): the adjoint (see host/cpu/fft.c for the derivation).
__global__ void spectrum_bwd_kernel1(const float2 *r2c, const float *scale, int h, int w, int wf, float norm,
                                     float2 *dspec, long total)
{
    const long plane = (long)h * wf;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long j = i % plane;
        int kx = (int)(j % wf);
        float g = scale[j] * norm * (self_conj_col(kx, w) ? 1.0f : 2.0f);
        float2 v = r2c[i];
        dspec[i] = make_float2(v.x * g, v.y * g);
    }
}

// spec = R2C(img) * 4 / scale: the forward's inverse for a real image (as host/cpu/fft.c).
__global__ void spectrum_inv_kernel1(const float2 *r2c, const float *scale, int h, int wf, float2 *spec, long total)
{
    const long plane = (long)h * wf;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        const float sc = scale[i % plane];
        const float2 v = r2c[i];
        spec[i] = make_float2(__fdiv_rn(__fmul_rn(v.x, 4.0f), sc), __fdiv_rn(__fmul_rn(v.y, 4.0f), sc));
    }
}

extern "C" void fv_fft_plan_free_cuda(fv_cuda_ctx *ctx, fv_fft_plan_cuda *p)
{
    if (!p) return;
    if (ctx) cudaSetDevice(ctx->device);
    // Teardown errors have nowhere to go; the handles and buffers are released regardless.
    if (p->have_c2r) cufftDestroy(p->c2r);
    if (p->have_r2c) cufftDestroy(p->r2c);
    cudaFree(p->cbuf);
    cudaFree(p->rbuf);
    free(p);
}

static fv_status plan_init(fv_cuda_ctx *ctx, fv_fft_plan_cuda *p)
{
    int n = p->n, h = p->h, w = p->w, wf = p->wf;
    FV_CUDA_CHECK(cudaMalloc((void **)&p->cbuf, sizeof(cufftComplex) * (size_t)n * h * wf));
    FV_CUDA_CHECK(cudaMalloc((void **)&p->rbuf, sizeof(float) * (size_t)n * h * w));
    int dims[2] = {h, w};
    // NULL embeds: the basic layout, planes packed one after another (h x wf complex, h x w real), as the
    // CPU plan's FFTW layout.
    FV_CUFFT_CHECK(cufftPlanMany(&p->c2r, 2, dims, NULL, 1, h * wf, NULL, 1, h * w, CUFFT_C2R, n));
    p->have_c2r = 1;
    FV_CUFFT_CHECK(cufftPlanMany(&p->r2c, 2, dims, NULL, 1, h * w, NULL, 1, h * wf, CUFFT_R2C, n));
    p->have_r2c = 1;
    FV_CUFFT_CHECK(cufftSetStream(p->c2r, ctx->stream));
    FV_CUFFT_CHECK(cufftSetStream(p->r2c, ctx->stream));
    return FV_OK;
}

extern "C" fv_status fv_fft_plan_create_cuda(fv_cuda_ctx *ctx, int n, int h, int w, fv_fft_plan_cuda **out)
{
    if (out) *out = NULL;
    FV_TRY(fv_check_fft_plan("fft plan (cuda)", n, h, w, out));
    FV_TRY(fv_cuda_enter(ctx));
    fv_fft_plan_cuda *p = (fv_fft_plan_cuda *)calloc(1, sizeof *p);
    if (!p) return fv_fail(FV_ERR_NOMEM, "fft plan (cuda): out of memory");
    p->n = n, p->h = h, p->w = w, p->wf = w / 2 + 1;
    fv_status s = plan_init(ctx, p);
    if (s != FV_OK) {
        fv_fft_plan_free_cuda(ctx, p);
        return s;
    }
    *out = p;
    return FV_OK;
}

extern "C" fv_status fv_spectrum_to_image_cuda(fv_cuda_ctx *ctx, fv_fft_plan_cuda *p, const float *spec,
                                               const float *scale, float *img)
{
    FV_TRY(fv_check_fft_call("spectrum_to_image (cuda)", p, spec, scale, img));
    FV_TRY(fv_cuda_enter(ctx));
    // The 1/(4hw) of the formula is folded into the scaling, before the (unnormalised) inverse.
    float norm = 1.0f / (4.0f * (float)p->h * (float)p->w);
    long total = (long)p->n * p->h * p->wf;
    FV_LAUNCH(spectrum_fwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_NARROW), 256, 0, ctx->stream, (const float2 *)spec, scale, p->h, p->w, p->wf, norm, (float2 *)p->cbuf, total);
    FV_CUDA_LAUNCHED();
    // C2R may overwrite its input: it reads the plan's scratch, never the caller's spectrum.
    FV_CUFFT_CHECK(cufftExecC2R(p->c2r, p->cbuf, img));
    return FV_OK;
}

extern "C" fv_status fv_spectrum_to_image_bwd_cuda(fv_cuda_ctx *ctx, fv_fft_plan_cuda *p, const float *dimg,
                                                   const float *scale, float *dspec)
{
    FV_TRY(fv_check_fft_call("spectrum_to_image_bwd (cuda)", p, dimg, scale, dspec));
    FV_TRY(fv_cuda_enter(ctx));
    // cufftExecR2C takes a non-const input; a copy keeps the caller's dimg untouched whatever cuFFT does.
    size_t nr = (size_t)p->n * p->h * p->w;
    FV_CUDA_CHECK(cudaMemcpyAsync(p->rbuf, dimg, sizeof(float) * nr, cudaMemcpyDeviceToDevice, ctx->stream));
    FV_CUFFT_CHECK(cufftExecR2C(p->r2c, p->rbuf, p->cbuf));
    float norm = 1.0f / (4.0f * (float)p->h * (float)p->w);
    long total = (long)p->n * p->h * p->wf;
    FV_LAUNCH(spectrum_bwd_kernel1, fv_blocks_for(total, FV_GRID_CAP_NARROW), 256, 0, ctx->stream, (const float2 *)p->cbuf, scale, p->h, p->w, p->wf, norm, (float2 *)dspec, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}

extern "C" fv_status fv_image_to_spectrum_cuda(fv_cuda_ctx *ctx, fv_fft_plan_cuda *p, const float *img,
                                               const float *scale, float *spec)
{
    FV_TRY(fv_check_fft_call("image_to_spectrum (cuda)", p, img, scale, spec));
    FV_TRY(fv_cuda_enter(ctx));
    const size_t nr = (size_t)p->n * p->h * p->w;
    FV_CUDA_CHECK(cudaMemcpyAsync(p->rbuf, img, sizeof(float) * nr, cudaMemcpyDeviceToDevice, ctx->stream));
    FV_CUFFT_CHECK(cufftExecR2C(p->r2c, p->rbuf, p->cbuf));
    const long total = (long)p->n * p->h * p->wf;
    FV_LAUNCH(spectrum_inv_kernel1, fv_blocks_for(total, FV_GRID_CAP_NARROW), 256, 0, ctx->stream, (const float2 *)p->cbuf, scale, p->h, p->wf, (float2 *)spec, total);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
