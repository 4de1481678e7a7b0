/* What the Criterion suites share beyond testutil.h (which the non-Criterion fuzz driver includes too): whole
 * files read and written with asserting errors, zeroed float buffers, and the op suites' finite-difference check
 * with its tolerances. Include after criterion.h. */
#ifndef FV_TESTS_CRUTIL_H
#define FV_TESTS_CRUTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"

/* The whole file at path (the caller frees it). */
static inline uint8_t *fv_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    cr_assert(b);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static inline void fv_test_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot create %s", path);
    cr_assert_eq(fwrite(buf, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

/* n zeroed floats (at least one). */
static inline float *falloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    cr_assert(p != NULL, "out of memory");
    return p;
}

/* Finite-difference tolerances of the op suites (test_ops, test_ops_onnx). The forward runs in float, so
 * L = sum r*y carries rounding of order ny * 2^-24 * max|r y| at worst (far less in practice, and entries of y
 * that do not depend on x_i cancel exactly); with ny <= ~2000, |y| <= ~5 and a step of 2*eps = 2e-2 that is
 * <= ~3e-3 and typically ~1e-5, hence ATOL. The truncation error of a central difference is eps^2/6 |f'''|,
 * zero for the linear ops and ~1e-5 relative for LRN / softmax, well inside RTOL. */
#define GC_EPS 1e-2
#define GC_ATOL 2e-3
#define GC_RTOL 1e-2

/* The input-backward b of forward f against central differences at x (tests/gradcheck.c). */
static inline void assert_gradcheck(fv_gc_fwd_fn f, fv_gc_bwd_fn b, void *ctx, float *x, size_t nx, size_t ny,
                                    uint64_t seed, const char *what)
{
    fv_gc_opts o = {GC_EPS, GC_ATOL, GC_RTOL, seed, 1};
    fv_gc_report r = fv_gradcheck(f, b, ctx, x, nx, ny, &o);
    char msg[256];
    fv_gc_describe(&r, msg, sizeof msg);
    cr_assert(r.ok, "gradcheck %s: %s", what, msg);
}

#endif
