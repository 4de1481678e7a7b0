/* Finite-difference gradient checker used by the op tests (see gradcheck.h). The forward runs in float,
 * the objective L = sum r*y is summed in double, and the step actually taken ((float)(x+eps) minus
 * (float)(x-eps)) divides the difference, so rounding of x itself adds no error. */
#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double unit(uint64_t *s) { return (double)(splitmix(s) >> 11) * (1.0 / 9007199254740992.0); }

void fv_gc_fill_uniform(uint64_t seed, float *out, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) out[i] = (float)(lo + (hi - lo) * unit(&seed));
}

void fv_gc_fill_signed(uint64_t seed, float *out, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) {
        float m = (float)(lo + (hi - lo) * unit(&seed));
        out[i] = (splitmix(&seed) & 1) ? m : -m;
    }
}

void fv_gc_fill_distinct(uint64_t seed, float *out, size_t n, float gap)
{
    for (size_t i = 0; i < n; i++) out[i] = (float)(((double)i - (double)(n / 2)) * gap);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(splitmix(&seed) % i);
        float t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
}

static double objective(fv_gc_fwd_fn fwd, void *ctx, const float *x, float *y, const float *r, size_t ny)
{
    fwd(ctx, x, y);
    double l = 0.0;
    for (size_t i = 0; i < ny; i++) l += (double)r[i] * (double)y[i];
    return l;
}

fv_gc_report fv_gradcheck(fv_gc_fwd_fn fwd, fv_gc_bwd_fn bwd, void *ctx, float *x, size_t nx, size_t ny,
                          const fv_gc_opts *o)
{
    fv_gc_report rep = {1, 0, 0.0, 0.0, 0.0, 0.0, 0};
    float *r = malloc(sizeof(float) * ny), *y = malloc(sizeof(float) * ny), *dx = malloc(sizeof(float) * nx);
    if (!r || !y || !dx) {
        fprintf(stderr, "gradcheck: out of memory\n");
        abort();
    }
    fv_gc_fill_uniform(o->seed, r, ny, -1.0f, 1.0f);
    /* An op that overwrote instead of accumulating would leave this offset out and fail. */
    const float pre = o->accumulate ? 0.375f : 0.0f;
    for (size_t i = 0; i < nx; i++) dx[i] = pre;
    bwd(ctx, x, r, dx);
    double worst_ratio = -1.0;
    for (size_t i = 0; i < nx; i++) {
        float x0 = x[i];
        float xp = (float)(x0 + o->eps), xm = (float)(x0 - o->eps);
        x[i] = xp;
        double lp = objective(fwd, ctx, x, y, r, ny);
        x[i] = xm;
        double lm = objective(fwd, ctx, x, y, r, ny);
        x[i] = x0;
        double num = (lp - lm) / ((double)xp - (double)xm);
        double ana = (double)dx[i] - (double)pre;
        double err = fabs(ana - num), tol = o->atol + o->rtol * fabs(num);
        if (!(err <= tol)) {
            rep.ok = 0;
            rep.failures++;
        }
        double ratio = isnan(err) ? INFINITY : err / tol;
        if (ratio > worst_ratio) {
            worst_ratio = ratio;
            rep.worst = i;
            rep.analytic = ana;
            rep.numeric = num;
            rep.err = err;
            rep.tol = tol;
        }
    }
    free(r);
    free(y);
    free(dx);
    return rep;
}

void fv_gc_describe(const fv_gc_report *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s: %zu bad; worst x[%zu]: analytic %.7g numeric %.7g |diff| %.3g (tol %.3g)",
             r->ok ? "ok" : "FAILED", r->failures, r->worst, r->analytic, r->numeric, r->err, r->tol);
}
