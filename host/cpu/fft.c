/* FFT image parameterisation on the CPU (FFTW, single precision): scaled spectrum -> image planes and
 * its exact adjoint. The plan owns aligned FFTW buffers, so planning never touches caller data and the
 * per-step calls allocate nothing; it follows that one plan serves one thread at a time. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "backend/checks.h"

struct fv_fft_plan_cpu {
    int n, h, w, wf;
    fftwf_complex *cbuf; /* n * h * wf */
    float *rbuf;         /* n * h * w */
    fftwf_plan c2r, r2c;
};

static pthread_once_t fv_fftw_once = PTHREAD_ONCE_INIT;
static int fv_fftw_threads_ok;

/* fftwf_init_threads must run exactly once per process; making the planner thread-safe lets
 * several renderers create plans concurrently (FFTW's planner is otherwise not reentrant). */
static void fv_fftw_init(void)
{
    fv_fftw_threads_ok = fftwf_init_threads() != 0;
    fftwf_make_planner_thread_safe();
}

fv_status fv_fft_plan_create_cpu(int n, int h, int w, fv_fft_plan_cpu **out)
{
    if (out) *out = NULL;
    FV_TRY(fv_check_fft_plan("fft plan", n, h, w, out));
    int wf = w / 2 + 1;
    size_t nc = (size_t)n * h * wf, nr = (size_t)n * h * w;

    pthread_once(&fv_fftw_once, fv_fftw_init);

    fv_fft_plan_cpu *p = calloc(1, sizeof *p);
    if (!p) return fv_fail(FV_ERR_NOMEM, "fft plan: out of memory");
    p->n = n, p->h = h, p->w = w, p->wf = wf;
    p->cbuf = fftwf_alloc_complex(nc);
    p->rbuf = fftwf_alloc_real(nr);
    if (!p->cbuf || !p->rbuf) {
        fv_fft_plan_free_cpu(p);
        return fv_fail(FV_ERR_NOMEM, "fft plan: out of memory for %d x %d x %d buffers", n, h, w);
    }

    /* Threads only pay off on large batches; small transforms run faster on one thread. */
    int nthreads = 1;
#ifdef _OPENMP
    if (fv_fftw_threads_ok && nr >= (size_t)1 << 16) nthreads = omp_get_max_threads();
#endif
    if (fv_fftw_threads_ok) fftwf_plan_with_nthreads(nthreads);

    int dims[2] = {h, w};
    /* FFTW_ESTIMATE: deterministic plans, and planning cost stays negligible for one-off renders. */
    p->c2r = fftwf_plan_many_dft_c2r(2, dims, n, p->cbuf, NULL, 1, h * wf, p->rbuf, NULL, 1, h * w,
                                     FFTW_ESTIMATE);
    p->r2c = fftwf_plan_many_dft_r2c(2, dims, n, p->rbuf, NULL, 1, h * w, p->cbuf, NULL, 1, h * wf,
                                     FFTW_ESTIMATE);
    if (!p->c2r || !p->r2c) {
        fv_fft_plan_free_cpu(p);
        return fv_fail(FV_ERR_BACKEND, "fft plan: FFTW could not plan %d x %d x %d", n, h, w);
    }
    *out = p;
    return FV_OK;
}

void fv_fft_plan_free_cpu(fv_fft_plan_cpu *p)
{
    if (!p) return;
    if (p->c2r) fftwf_destroy_plan(p->c2r);
    if (p->r2c) fftwf_destroy_plan(p->r2c);
    fftwf_free(p->cbuf);
    fftwf_free(p->rbuf);
    free(p);
}

/* Columns whose bins are their own conjugate partners: weight 1 instead of 2 in the Re-formula. */
static int fv_self_conj_col(int kx, int w) { return kx == 0 || (w % 2 == 0 && kx == w / 2); }

fv_status fv_spectrum_to_image_cpu(fv_fft_plan_cpu *p, const float *spec, const float *scale, float *img)
{
    FV_TRY(fv_check_fft_call("spectrum_to_image", p, spec, scale, img));
    int n = p->n, h = p->h, w = p->w, wf = p->wf;
    float norm = 1.0f / (4.0f * (float)h * (float)w);
    float *cb = (float *)p->cbuf;
    for (int i = 0; i < n; i++) {
        const float *s = spec + (size_t)i * h * wf * 2;
        float *c = cb + (size_t)i * h * wf * 2;
        for (int j = 0; j < h * wf; j++) {
            float g = scale[j] * norm;
            c[2 * j] = s[2 * j] * g;
            c[2 * j + 1] = s[2 * j + 1] * g;
        }
        /* c2r assumes Hermitian symmetry within the self-conjugate columns. Replacing X[ky] by
         * (X[ky] + conj(X[-ky]))/2 there makes the input Hermitian without changing the real part
         * of the inverse, so c2r then evaluates the Re-formula for any spectrum. */
        for (int kx = 0; kx < wf; kx++) {
            if (!fv_self_conj_col(kx, w)) continue;
            for (int ky = 0; ky <= h / 2; ky++) {
                int ny = (h - ky) % h;
                float *a = c + ((size_t)ky * wf + kx) * 2, *b = c + ((size_t)ny * wf + kx) * 2;
                float re = 0.5f * (a[0] + b[0]), im = 0.5f * (a[1] - b[1]);
                a[0] = re, a[1] = im;
                b[0] = re, b[1] = -im; /* for ny == ky this zeroes im, as it must */
            }
        }
    }
    fftwf_execute(p->c2r);
    memcpy(img, p->rbuf, sizeof(float) * (size_t)n * h * w);
    return FV_OK;
}

fv_status fv_spectrum_to_image_bwd_cpu(fv_fft_plan_cpu *p, const float *dimg, const float *scale,
                                       float *dspec)
{
    FV_TRY(fv_check_fft_call("spectrum_to_image_bwd", p, dimg, scale, dspec));
    int n = p->n, h = p->h, w = p->w, wf = p->wf;
    /* With X = a + ib, img = (1/4hw) sum c s (a cos t - b sin t), so d/da = c s cos t / 4hw and
     * d/db = -c s sin t / 4hw; summed against dimg that is c s / 4hw * sum dimg e^{-it} = r2c(dimg). */
    memcpy(p->rbuf, dimg, sizeof(float) * (size_t)n * h * w);
    fftwf_execute(p->r2c);
    float norm = 1.0f / (4.0f * (float)h * (float)w);
    const float *cb = (const float *)p->cbuf;
    for (int i = 0; i < n; i++) {
        const float *c = cb + (size_t)i * h * wf * 2;
        float *d = dspec + (size_t)i * h * wf * 2;
        for (int ky = 0; ky < h; ky++)
            for (int kx = 0; kx < wf; kx++) {
                size_t j = (size_t)ky * wf + kx;
                float g = scale[j] * norm * (fv_self_conj_col(kx, w) ? 1.0f : 2.0f);
                d[2 * j] = c[2 * j] * g;
                d[2 * j + 1] = c[2 * j + 1] * g;
            }
    }
    return FV_OK;
}

/* spec = r2c(img) * 4 / scale, plane by plane (FFTW's unnormalised forward transform): the exact inverse of
 * the forward for a real image, whose r2c is Hermitian (the forward's symmetrising then changes nothing). */
fv_status fv_image_to_spectrum_cpu(fv_fft_plan_cpu *p, const float *img, const float *scale, float *spec)
{
    FV_TRY(fv_check_fft_call("image_to_spectrum", p, img, scale, spec));
    const int n = p->n, h = p->h, w = p->w, wf = p->wf;
    memcpy(p->rbuf, img, sizeof(float) * (size_t)n * h * w);
    fftwf_execute(p->r2c);
    for (int i = 0; i < n; i++) {
        const fftwf_complex *c = p->cbuf + (size_t)i * h * wf;
        float *o = spec + (size_t)i * h * wf * 2;
        for (int k = 0; k < h * wf; k++) {
            o[2 * k] = c[k][0] * 4.0f / scale[k];
            o[2 * k + 1] = c[k][1] * 4.0f / scale[k];
        }
    }
    return FV_OK;
}
