/* What the CPU-vs-CUDA suites (tests/test_cuda_parity.c, test_cuda_edges.c, test_cuda_onnx.c) share: the CUDA
 * instance of the running test, opened in FP32 (TF32, the default on GPUs that have it, rounds every convolution
 * operand to a 10-bit mantissa and would not track the CPU), device copies followed by guard sentinels, the
 * comparison that checks the guard, refuses NaN/Inf and reports the worst element, and host/device tensor pairs.
 * Include once per test file, after criterion.h, inside #ifdef FV_HAVE_CUDA. */
#ifndef FV_TESTS_CUDA_PAIRS_H
#define FV_TESTS_CUDA_PAIRS_H

#include <math.h>
#include <stdlib.h>

#include "backend/backend.h"
#include "testutil.h"

static fv_backend *G; /* the CUDA instance of the running test */

#define GUARD 64
static const float SENTINEL = -12345.0f;

/* Skips without a GPU; else opens G with these options, which must ask for FP32. */
static void open_gpu(const fv_backend_options *o)
{
    char desc[256];
    if (fv_backend_probe(FV_BACKEND_CUDA, desc, sizeof desc) <= 0) cr_skip_test("no GPU: %s", desc);
    cr_assert_eq(o->precision, FV_PRECISION_FP32, "parity tests run in FP32");
    cr_assert_eq(fv_backend_open(FV_BACKEND_CUDA, o, &G), FV_OK, "%s", fv_last_error());
}

static void require_gpu(void)
{
    fv_backend_options o;
    fv_backend_options_default(&o);
    o.precision = FV_PRECISION_FP32;
    open_gpu(&o);
}

static void close_gpu(void)
{
    fv_backend_close(G);
    G = NULL;
}

static float *rnd(size_t n, uint64_t seed, float lo, float hi)
{
    float *x = malloc(n * sizeof(float));
    fv_test_fill(x, n, seed, lo, hi);
    return x;
}

/* Device copy of n host floats (uninitialised when host is NULL), followed by GUARD sentinels. */
static float *dev(const float *host, size_t n)
{
    float *d;
    cr_assert_eq(fv_backend_alloc(G, (void **)&d, (n + GUARD) * sizeof(float)), FV_OK, "%s", fv_last_error());
    float s[GUARD];
    for (int i = 0; i < GUARD; i++) s[i] = SENTINEL;
    if (host) cr_assert_eq(fv_backend_upload(G, d, host, n * sizeof(float)), FV_OK);
    cr_assert_eq(fv_backend_upload(G, d + n, s, sizeof s), FV_OK);
    return d;
}

/* n device floats (guard checked) against the CPU's; frees the device buffer. NaN/Inf fail first. */
static void expect_close(const char *what, float *d, const float *ref, size_t n, double atol, double rtol)
{
    float *h = malloc((n + GUARD) * sizeof(float));
    cr_assert_eq(fv_backend_download(G, h, d, (n + GUARD) * sizeof(float)), FV_OK, "%s: %s", what, fv_last_error());
    for (int i = 0; i < GUARD; i++) cr_assert_eq(h[n + i], SENTINEL, "%s: write past the end (guard %d)", what, i);
    size_t worst = 0;
    double excess = -1;
    for (size_t i = 0; i < n; i++) {
        cr_assert(isfinite(h[i]), "%s: non-finite GPU value at %zu", what, i);
        double e = fabs((double)h[i] - ref[i]) - (atol + rtol * fabs(ref[i]));
        if (e > excess) excess = e, worst = i;
    }
    cr_assert(excess <= 0, "%s: element %zu: gpu %.8g cpu %.8g (atol %g rtol %g)", what, worst, h[worst], ref[worst],
              atol, rtol);
    free(h);
    fv_backend_free(G, d);
}

/* A tensor pair: host data and a device copy with the same view geometry (the suites comparing ops). */
typedef struct pair {
    float *h, *d;
    size_t n;
    fv_tensor th, td;
} pair;

static inline pair pair_mk(int n, int c, int h, int w, uint64_t seed, float lo, float hi)
{
    pair p;
    p.n = (size_t)n * c * h * w;
    p.h = rnd(p.n, seed, lo, hi);
    p.d = dev(p.h, p.n);
    p.th = fv_tensor_make(p.h, n, c, h, w);
    p.td = fv_tensor_make(p.d, n, c, h, w);
    return p;
}

/* The device data against the host's (expect_close, which frees the device copy); frees the host copy. */
static inline void pair_check(const char *what, pair *p, double atol, double rtol)
{
    expect_close(what, p->d, p->h, p->n, atol, rtol);
    free(p->h);
}

static inline void pair_drop(pair *p)
{
    fv_backend_free(G, p->d);
    free(p->h);
}

#endif
