/* Finite-difference gradient checking for tests: compares an op's backward against central differences
 * of L(x) = sum_i r_i * y_i(x), with r seeded random, and reports the worst element. Test-only code
 * (allocates, may print). */
#ifndef FV_GRADCHECK_H
#define FV_GRADCHECK_H

#include <stddef.h>
#include <stdint.h>

/* y = f(x): x has nx floats, y has ny floats (the closure builds whatever views it needs). */
typedef void (*fv_gc_fwd_fn)(void *ctx, const float *x, float *y);
/* dx (+)= (df/dx)^T dy at x. The checker prepares dx (see fv_gc_opts.accumulate). */
typedef void (*fv_gc_bwd_fn)(void *ctx, const float *x, const float *dy, float *dx);

typedef struct fv_gc_opts {
    double eps;  /* central-difference step on each x_i */
    double atol; /* pass when |analytic - numeric| <= atol + rtol * |numeric| */
    double rtol;
    uint64_t seed;  /* for r */
    int accumulate; /* nonzero: dx is pre-filled with a known value that backward must add to */
} fv_gc_opts;

typedef struct fv_gc_report {
    int ok;
    size_t worst;                       /* element with the largest error relative to its tolerance */
    double analytic, numeric, err, tol; /* at `worst` */
    size_t failures;                    /* elements outside tolerance */
} fv_gc_report;

/* x is perturbed in place and restored. */
fv_gc_report fv_gradcheck(fv_gc_fwd_fn fwd, fv_gc_bwd_fn bwd, void *ctx, float *x, size_t nx, size_t ny,
                          const fv_gc_opts *o);
/* One line describing a report (for assertion messages). */
void fv_gc_describe(const fv_gc_report *r, char *buf, size_t len);

/* Seeded fills: uniform in [lo, hi); and uniform magnitude in [lo, hi) with random sign (never near 0
 * when lo > 0, so kinks at 0 stay out of reach of the step). */
void fv_gc_fill_uniform(uint64_t seed, float *out, size_t n, float lo, float hi);
void fv_gc_fill_signed(uint64_t seed, float *out, size_t n, float lo, float hi);
/* Distinct values: a seeded shuffle of {(i - n/2) * gap}, for max-style ops that must not tie. */
void fv_gc_fill_distinct(uint64_t seed, float *out, size_t n, float gap);

#endif
