/* Tests of the CPU network ops (host/cpu/): forward against naive direct implementations and hand
 * computed cases, backward against finite differences (tests/gradcheck.c), accumulate semantics,
 * channel-slice views (bstride > c*h*w) and Lucid's redirected ReLU. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ops.h"
#include "crutil.h"

static const float GUARD = -12345.0f;

static size_t numel(fv_tensor t) { return (size_t)t.n * t.c * t.h * t.w; }

static float *at(fv_tensor t, int b, int c, int y, int x)
{
    return t.data + (long)b * t.bstride + ((long)c * t.h + y) * t.w + x;
}

/* Worst element of |got - want| against atol + rtol*|want|, over two views of one shape. */
static void assert_views_close(fv_tensor got, fv_tensor want, double atol, double rtol, const char *what)
{
    cr_assert(got.n == want.n && got.c == want.c && got.h == want.h && got.w == want.w, "%s: shapes differ", what);
    double worst = -1.0, wg = 0.0, ww = 0.0;
    int wb = 0, wc = 0, wy = 0, wx = 0, bad = 0;
    for (int b = 0; b < got.n; b++)
        for (int c = 0; c < got.c; c++)
            for (int y = 0; y < got.h; y++)
                for (int x = 0; x < got.w; x++) {
                    double g = *at(got, b, c, y, x), w = *at(want, b, c, y, x);
                    double err = fabs(g - w), tol = atol + rtol * fabs(w);
                    double ratio = isnan(err) ? INFINITY : err / tol;
                    if (!(err <= tol)) bad++;
                    if (ratio > worst) worst = ratio, wg = g, ww = w, wb = b, wc = c, wy = y, wx = x;
                }
    cr_assert(bad == 0, "%s: %d elements off; worst at (b %d, c %d, y %d, x %d): got %.8g want %.8g", what, bad, wb, wc,
              wy, wx, wg, ww);
}

static void assert_close(const float *got, const float *want, size_t n, double atol, double rtol, const char *what)
{
    fv_tensor g = fv_tensor_make((float *)got, 1, 1, 1, (int)n), w = fv_tensor_make((float *)want, 1, 1, 1, (int)n);
    assert_views_close(g, w, atol, rtol, what);
}

/* A view of channels [pre, pre+c) inside a buffer of pre+c+post channels filled with GUARD, so an op
 * writing or reading past its slice is caught. */
typedef struct sliced {
    float *buf;
    size_t total;
    fv_tensor v;
} sliced;

static sliced slice_new(int n, int c, int h, int w, int pre, int post, const float *contig)
{
    sliced s;
    fv_tensor full = fv_tensor_make(NULL, n, pre + c + post, h, w);
    s.total = numel(full);
    s.buf = falloc(s.total);
    for (size_t i = 0; i < s.total; i++) s.buf[i] = GUARD;
    full.data = s.buf;
    s.v = fv_tensor_slice(full, pre, c);
    if (contig) {
        fv_tensor src = fv_tensor_make((float *)contig, n, c, h, w);
        for (int b = 0; b < n; b++) memcpy(fv_tensor_img(s.v, b), fv_tensor_img(src, b), sizeof(float) * c * h * w);
    }
    return s;
}

static void slice_check_guards(const sliced *s, const char *what)
{
    for (size_t i = 0; i < s->total; i++) {
        long off = (long)i, b = off / s->v.bstride, r = off % s->v.bstride;
        long lo = s->v.data - s->buf, chw = fv_tensor_chw(s->v);
        int inside = b < s->v.n && r >= lo && r < lo + chw;
        if (!inside) cr_assert(s->buf[i] == GUARD, "%s: guard at flat index %zu overwritten (%g)", what, i, s->buf[i]);
    }
}

static fv_window mkwin(int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr)
{
    fv_window k = {kh, kw, sh, sw, pt, pl, pb, pr};
    return k;
}

/* ---------------- naive references (double accumulation, direct loops) ---------------- */

static void naive_conv(const fv_conv_desc *d, fv_tensor x, const float *wt, const float *bias, fv_tensor y)
{
    const fv_window *k = &d->win;
    for (int b = 0; b < y.n; b++)
        for (int o = 0; o < y.c; o++)
            for (int oy = 0; oy < y.h; oy++)
                for (int ox = 0; ox < y.w; ox++) {
                    double s = bias ? bias[o] : 0.0;
                    for (int c = 0; c < d->cin; c++)
                        for (int i = 0; i < k->kh; i++)
                            for (int j = 0; j < k->kw; j++) {
                                int iy = oy * k->sh - k->pad_t + i, ix = ox * k->sw - k->pad_l + j;
                                if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                                s += (double)wt[((o * d->cin + c) * k->kh + i) * k->kw + j] * *at(x, b, c, iy, ix);
                            }
                    *at(y, b, o, oy, ox) = (float)s;
                }
}

static void naive_pool(const fv_pool_desc *d, fv_tensor x, fv_tensor y)
{
    const fv_window *k = &d->win;
    for (int b = 0; b < y.n; b++)
        for (int c = 0; c < y.c; c++)
            for (int oy = 0; oy < y.h; oy++)
                for (int ox = 0; ox < y.w; ox++) {
                    double s = 0.0, m = -INFINITY;
                    int cnt = 0;
                    for (int i = 0; i < k->kh; i++)
                        for (int j = 0; j < k->kw; j++) {
                            int iy = oy * k->sh - k->pad_t + i, ix = ox * k->sw - k->pad_l + j;
                            if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                            double v = *at(x, b, c, iy, ix);
                            s += v;
                            m = v > m ? v : m;
                            cnt++;
                        }
                    *at(y, b, c, oy, ox) = (float)(d->kind == FV_POOL_MAX ? m : s / cnt);
                }
}

static void naive_lrn(const fv_lrn_desc *d, fv_tensor x, fv_tensor y)
{
    int half = (d->size - 1) / 2;
    for (int b = 0; b < x.n; b++)
        for (int c = 0; c < x.c; c++)
            for (int yy = 0; yy < x.h; yy++)
                for (int xx = 0; xx < x.w; xx++) {
                    double s = 0.0;
                    for (int j = c - half; j <= c + half; j++)
                        if (j >= 0 && j < x.c) s += (double)*at(x, b, j, yy, xx) * *at(x, b, j, yy, xx);
                    s = d->k + d->alpha * s;
                    *at(y, b, c, yy, xx) = (float)(*at(x, b, c, yy, xx) * pow(s, -d->beta));
                }
}

static void naive_softmax(fv_tensor x, fv_tensor y)
{
    for (int b = 0; b < x.n; b++)
        for (int yy = 0; yy < x.h; yy++)
            for (int xx = 0; xx < x.w; xx++) {
                double m = -INFINITY, s = 0.0;
                for (int c = 0; c < x.c; c++) m = fmax(m, *at(x, b, c, yy, xx));
                for (int c = 0; c < x.c; c++) s += exp(*at(x, b, c, yy, xx) - m);
                for (int c = 0; c < x.c; c++) *at(y, b, c, yy, xx) = (float)(exp(*at(x, b, c, yy, xx) - m) / s);
            }
}

/* ---------------- convolution ---------------- */

typedef struct conv_case {
    const char *name;
    int n, cin, cout, h, w;
    fv_window k;
    int bias;
} conv_case;

static const conv_case conv_cases[] = {
    {"7x7 s2 pads 2/3", 2, 3, 4, 13, 12, {7, 7, 2, 2, 2, 2, 3, 3}, 1},
    {"3x3 s1 pad 1", 2, 5, 6, 9, 8, {3, 3, 1, 1, 1, 1, 1, 1}, 1},
    {"1x1", 2, 7, 5, 6, 5, {1, 1, 1, 1, 0, 0, 0, 0}, 1},
    {"1x1 no bias", 1, 4, 3, 3, 4, {1, 1, 1, 1, 0, 0, 0, 0}, 0},
    {"5x5 pad 2", 2, 3, 4, 8, 9, {5, 5, 1, 1, 2, 2, 2, 2}, 0},
    {"3x1 s1x2 pads t0 l1 b1 r0", 2, 3, 2, 7, 9, {3, 1, 1, 2, 0, 1, 1, 0}, 1},
    {"1x1 s2 (im2col path)", 1, 3, 2, 7, 7, {1, 1, 2, 2, 0, 0, 0, 0}, 1},
    {"3x3 s2 no pad, dropped edge", 1, 2, 3, 8, 8, {3, 3, 2, 2, 0, 0, 0, 0}, 1},
};
#define NCONV ((int)(sizeof conv_cases / sizeof conv_cases[0]))

typedef struct conv_setup {
    const conv_case *cc;
    fv_conv_desc d;
    int oh, ow;
    size_t nx, ny, ws;
    float *x, *wt, *bias, *work;
} conv_setup;

static conv_setup conv_setup_make(const conv_case *cc, uint64_t seed)
{
    conv_setup s;
    memset(&s, 0, sizeof s); /* groups and dilations 0: 1 */
    s.cc = cc;
    s.d.win = cc->k;
    s.d.cin = cc->cin;
    s.d.cout = cc->cout;
    s.oh = fv_window_out(cc->h, cc->k.kh, cc->k.sh, cc->k.pad_t, cc->k.pad_b);
    s.ow = fv_window_out(cc->w, cc->k.kw, cc->k.sw, cc->k.pad_l, cc->k.pad_r);
    s.nx = (size_t)cc->n * cc->cin * cc->h * cc->w;
    s.ny = (size_t)cc->n * cc->cout * s.oh * s.ow;
    size_t nw = (size_t)cc->cout * cc->cin * cc->k.kh * cc->k.kw;
    s.x = falloc(s.nx);
    s.wt = falloc(nw);
    s.bias = cc->bias ? falloc(cc->cout) : NULL;
    fv_gc_fill_signed(seed, s.x, s.nx, 0.1f, 1.0f);
    fv_gc_fill_uniform(seed + 1, s.wt, nw, -0.5f, 0.5f);
    if (s.bias) fv_gc_fill_uniform(seed + 2, s.bias, cc->cout, -1.0f, 1.0f);
    s.ws = fv_conv2d_workspace_cpu(&s.d, 1, cc->h, cc->w);
    s.work = falloc(s.ws + 16);
    for (size_t i = s.ws; i < s.ws + 16; i++) s.work[i] = GUARD;
    return s;
}

static void conv_setup_free(conv_setup *s)
{
    for (size_t i = s->ws; i < s->ws + 16; i++)
        cr_assert(s->work[i] == GUARD, "%s: workspace overrun at %zu", s->cc->name, i);
    free(s->x);
    free(s->wt);
    free(s->bias);
    free(s->work);
}

static fv_tensor conv_xview(const conv_setup *s, float *p)
{
    return fv_tensor_make(p, s->cc->n, s->cc->cin, s->cc->h, s->cc->w);
}

static fv_tensor conv_yview(const conv_setup *s, float *p)
{
    return fv_tensor_make(p, s->cc->n, s->cc->cout, s->oh, s->ow);
}

static void conv_gc_fwd(void *ctx, const float *x, float *y)
{
    conv_setup *s = ctx;
    fv_status st = fv_conv2d_fwd_cpu(&s->d, conv_xview(s, (float *)x), s->wt, s->bias, conv_yview(s, y), s->work);
    cr_assert_eq(st, FV_OK, "%s: %s", s->cc->name, fv_last_error());
}

static void conv_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    conv_setup *s = ctx;
    (void)x;
    fv_status st = fv_conv2d_bwd_data_cpu(&s->d, conv_yview(s, (float *)dy), s->wt, conv_xview(s, dx), s->work);
    cr_assert_eq(st, FV_OK, "%s: %s", s->cc->name, fv_last_error());
}

Test(conv, workspace_size)
{
    fv_conv_desc d = {mkwin(1, 1, 1, 1, 0, 0, 0, 0), 8, 4, 1, 1, 1};
    cr_assert_eq(fv_conv2d_workspace_cpu(&d, 1, 10, 7), 0);
    d.win = mkwin(7, 7, 2, 2, 2, 2, 3, 3); /* 13x12 -> 6x6 */
    d.cin = 3;
    cr_assert_eq(fv_conv2d_workspace_cpu(&d, 1, 13, 12), (size_t)3 * 49 * 6 * 6);
    d.win = mkwin(1, 1, 2, 2, 0, 0, 0, 0); /* strided 1x1 still gathers: 7x7 -> 4x4 */
    cr_assert_eq(fv_conv2d_workspace_cpu(&d, 1, 7, 7), (size_t)3 * 16);
}

Test(conv, forward_matches_direct)
{
    for (int i = 0; i < NCONV; i++) {
        conv_setup s = conv_setup_make(&conv_cases[i], 100 + i);
        float *y = falloc(s.ny), *want = falloc(s.ny);
        conv_gc_fwd(&s, s.x, y);
        naive_conv(&s.d, conv_xview(&s, s.x), s.wt, s.bias, conv_yview(&s, want));
        assert_close(y, want, s.ny, 1e-5, 1e-5, conv_cases[i].name);
        free(y);
        free(want);
        conv_setup_free(&s);
    }
}

Test(conv, hand_computed_asymmetric_padding)
{
    /* 3x3 input 1..9, 2x2 all-ones kernel, stride 2, pads t0 l1 b1 r0: output 2x2 sums of the windows
     * starting at rows {0, 2} and columns {-1, 1}. */
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, wt[4] = {1, 1, 1, 1}, y[4], bias = 0.5f;
    fv_conv_desc d = {mkwin(2, 2, 2, 2, 0, 1, 1, 0), 1, 1, 1, 1, 1};
    float work[64];
    cr_assert_eq(fv_conv2d_workspace_cpu(&d, 1, 3, 3), 16);
    cr_assert_eq(fv_conv2d_fwd_cpu(&d, fv_tensor_make(x, 1, 1, 3, 3), wt, &bias, fv_tensor_make(y, 1, 1, 2, 2), work),
                 FV_OK);
    const float want[4] = {1 + 4 + 0.5f, 2 + 3 + 5 + 6 + 0.5f, 7 + 0.5f, 8 + 9 + 0.5f};
    assert_close(y, want, 4, 0, 0, "2x2 s2 asym");
}

Test(conv, gradient_finite_difference)
{
    for (int i = 0; i < NCONV; i++) {
        conv_setup s = conv_setup_make(&conv_cases[i], 200 + i);
        assert_gradcheck(conv_gc_fwd, conv_gc_bwd, &s, s.x, s.nx, s.ny, 300 + i, conv_cases[i].name);
        conv_setup_free(&s);
    }
}

Test(conv, slices_in_and_out)
{
    /* Input read from channels [2, 2+cin) of a concat buffer, output written to channels [3, 3+cout) of
     * another, and backward likewise: must equal the contiguous run and leave other channels alone. */
    for (int i = 0; i < NCONV; i++) {
        conv_setup s = conv_setup_make(&conv_cases[i], 400 + i);
        const conv_case *cc = s.cc;
        float *y = falloc(s.ny), *dy = falloc(s.ny), *dx = falloc(s.nx);
        fv_gc_fill_uniform(500 + i, dy, s.ny, -1, 1);
        fv_gc_fill_uniform(600 + i, dx, s.nx, -1, 1);
        sliced xs = slice_new(cc->n, cc->cin, cc->h, cc->w, 2, 1, s.x);
        sliced ys = slice_new(cc->n, cc->cout, s.oh, s.ow, 3, 2, NULL);
        sliced dys = slice_new(cc->n, cc->cout, s.oh, s.ow, 1, 4, dy);
        sliced dxs = slice_new(cc->n, cc->cin, cc->h, cc->w, 2, 3, dx);
        conv_gc_fwd(&s, s.x, y);
        cr_assert_eq(fv_conv2d_fwd_cpu(&s.d, xs.v, s.wt, s.bias, ys.v, s.work), FV_OK);
        assert_views_close(ys.v, conv_yview(&s, y), 1e-6, 1e-6, cc->name);
        slice_check_guards(&ys, cc->name);
        slice_check_guards(&xs, cc->name);
        conv_gc_bwd(&s, s.x, dy, dx);
        cr_assert_eq(fv_conv2d_bwd_data_cpu(&s.d, dys.v, s.wt, dxs.v, s.work), FV_OK);
        assert_views_close(dxs.v, conv_xview(&s, dx), 1e-6, 1e-6, cc->name);
        slice_check_guards(&dxs, cc->name);
        free(xs.buf), free(ys.buf), free(dys.buf), free(dxs.buf), free(y), free(dy), free(dx);
        conv_setup_free(&s);
    }
}

Test(conv, shape_errors)
{
    float buf[4096] = {0}, w[1024] = {0}, work[4096];
    fv_conv_desc d = {mkwin(3, 3, 1, 1, 1, 1, 1, 1), 3, 4, 1, 1, 1};
    fv_tensor x = fv_tensor_make(buf, 1, 3, 5, 5), y = fv_tensor_make(buf + 1024, 1, 4, 5, 5);
    cr_assert_eq(fv_conv2d_fwd_cpu(&d, x, w, NULL, y, work), FV_OK);
    fv_tensor bad = fv_tensor_make(buf, 1, 2, 5, 5); /* cin 2 != 3 */
    cr_assert_eq(fv_conv2d_fwd_cpu(&d, bad, w, NULL, y, work), FV_ERR_SHAPE);
    bad = fv_tensor_make(buf + 1024, 1, 4, 4, 5); /* wrong output height */
    cr_assert_eq(fv_conv2d_fwd_cpu(&d, x, w, NULL, bad, work), FV_ERR_SHAPE);
    cr_assert_eq(fv_conv2d_bwd_data_cpu(&d, bad, w, x, work), FV_ERR_SHAPE);
    bad = fv_tensor_make(buf + 1024, 2, 4, 5, 5); /* batch mismatch */
    cr_assert_eq(fv_conv2d_fwd_cpu(&d, x, w, NULL, bad, work), FV_ERR_SHAPE);
    bad = fv_tensor_make(buf + 1024, 1, 5, 5, 5); /* cout mismatch */
    cr_assert_eq(fv_conv2d_bwd_data_cpu(&d, bad, w, x, work), FV_ERR_SHAPE);
    cr_assert(strstr(fv_last_error(), "conv") != NULL, "message: %s", fv_last_error());
}

/* ---------------- ReLU ---------------- */

typedef struct relu_ctx {
    int n, c, h, w;
} relu_ctx;

static void relu_gc_fwd(void *ctx, const float *x, float *y)
{
    relu_ctx *r = ctx;
    cr_assert_eq(
        fv_relu_fwd_cpu(fv_tensor_make((float *)x, r->n, r->c, r->h, r->w), fv_tensor_make(y, r->n, r->c, r->h, r->w)),
        FV_OK);
}

static void relu_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    relu_ctx *r = ctx;
    cr_assert_eq(fv_relu_bwd_cpu(fv_tensor_make((float *)x, r->n, r->c, r->h, r->w),
                                 fv_tensor_make((float *)dy, r->n, r->c, r->h, r->w),
                                 fv_tensor_make(dx, r->n, r->c, r->h, r->w), 0),
                 FV_OK);
}

Test(relu, forward_and_in_place)
{
    float x[6] = {-2, -0.0f, 0, 0.5f, 3, -1e-30f}, y[6];
    const float want[6] = {0, 0, 0, 0.5f, 3, 0};
    cr_assert_eq(fv_relu_fwd_cpu(fv_tensor_make(x, 1, 2, 1, 3), fv_tensor_make(y, 1, 2, 1, 3)), FV_OK);
    assert_close(y, want, 6, 0, 0, "relu");
    cr_assert_eq(fv_relu_fwd_cpu(fv_tensor_make(x, 1, 2, 1, 3), fv_tensor_make(x, 1, 2, 1, 3)), FV_OK);
    assert_close(x, want, 6, 0, 0, "relu in place");
}

Test(relu, gradient_finite_difference)
{
    relu_ctx r = {2, 3, 5, 4};
    size_t n = 2 * 3 * 5 * 4;
    float *x = falloc(n);
    fv_gc_fill_signed(7, x, n, 0.1f, 1.0f); /* |x| >= 0.1 > eps: no sample straddles the kink */
    assert_gradcheck(relu_gc_fwd, relu_gc_bwd, &r, x, n, n, 8, "relu");
    free(x);
}

Test(relu, backward_at_zero_and_accumulate)
{
    float x[4] = {-1, 0, 2, 0}, dy[4] = {5, 6, 7, -8}, dx[4] = {1, 1, 1, 1};
    fv_tensor tx = fv_tensor_make(x, 1, 1, 1, 4), tdy = fv_tensor_make(dy, 1, 1, 1, 4),
              tdx = fv_tensor_make(dx, 1, 1, 1, 4);
    cr_assert_eq(fv_relu_bwd_cpu(tx, tdy, tdx, 0), FV_OK);
    const float want[4] = {1, 1, 8, 1}; /* ordinary: x == 0 blocks */
    assert_close(dx, want, 4, 0, 0, "relu bwd");
    /* Redirect mode with a live gradient is Lucid's ordinary branch, which passes at x == 0. */
    for (int i = 0; i < 4; i++) dx[i] = 1;
    cr_assert_eq(fv_relu_bwd_cpu(tx, tdy, tdx, 1), FV_OK);
    const float want_r[4] = {1, 7, 8, -7};
    assert_close(dx, want_r, 4, 0, 0, "redirected relu, live image");
}

Test(relu, redirect)
{
    /* Image 0: all inputs negative, so the ordinary gradient vanishes: dy passes where it is positive
     * (pulls x up) and is blocked where negative. Image 1: one positive input with nonzero dy, so it is
     * the ordinary ReLU gradient. Image 2: x >= 0 only where dy == 0: ordinary gradient is zero, redirect. */
    enum { N = 3, C = 2, HW = 3 };
    float x[N][C * HW] = {{-1, -2, -0.5f, -3, -0.1f, -4}, {-1, -2, 0.5f, -3, -0.1f, -4}, {-1, 2, -0.5f, -3, -0.1f, -4}};
    float dy[N][C * HW] = {{1, -2, 3, -4, 5, -6}, {1, -2, 3, -4, 5, -6}, {1, 0, 3, -4, 5, -6}};
    float dx[N][C * HW];
    for (int b = 0; b < N; b++)
        for (int i = 0; i < C * HW; i++) dx[b][i] = 0.25f;
    fv_tensor tx = fv_tensor_make(&x[0][0], N, C, 1, HW), tdy = fv_tensor_make(&dy[0][0], N, C, 1, HW),
              tdx = fv_tensor_make(&dx[0][0], N, C, 1, HW);
    cr_assert_eq(fv_relu_bwd_cpu(tx, tdy, tdx, 1), FV_OK);
    const float want[N][C * HW] = {{1.25f, 0.25f, 3.25f, 0.25f, 5.25f, 0.25f},
                                   {0.25f, 0.25f, 3.25f, 0.25f, 0.25f, 0.25f},
                                   {1.25f, 0.25f, 3.25f, 0.25f, 5.25f, 0.25f}};
    assert_close(&dx[0][0], &want[0][0], N * C * HW, 0, 0, "redirected relu");
    /* Without redirect the dead images get nothing. */
    for (int b = 0; b < N; b++)
        for (int i = 0; i < C * HW; i++) dx[b][i] = 0;
    cr_assert_eq(fv_relu_bwd_cpu(tx, tdy, tdx, 0), FV_OK);
    for (int i = 0; i < C * HW; i++) cr_assert(dx[0][i] == 0 && dx[2][i] == 0, "plain relu leaked at %d", i);
    cr_assert(dx[1][2] == 3, "plain relu live unit: %g", dx[1][2]);
}

Test(relu, slices_and_shape_errors)
{
    enum { N = 2, C = 3, H = 4, W = 5, NE = N * C * H * W };
    float x[NE], dy[NE], y[NE], dx[NE];
    fv_gc_fill_signed(11, x, NE, 0.1f, 1.0f);
    fv_gc_fill_uniform(12, dy, NE, -1, 1);
    fv_gc_fill_uniform(13, dx, NE, -1, 1);
    sliced xs = slice_new(N, C, H, W, 1, 2, x), ys = slice_new(N, C, H, W, 4, 0, NULL);
    sliced dys = slice_new(N, C, H, W, 0, 3, dy), dxs = slice_new(N, C, H, W, 2, 2, dx);
    fv_tensor tx = fv_tensor_make(x, N, C, H, W), ty = fv_tensor_make(y, N, C, H, W);
    fv_tensor tdy = fv_tensor_make(dy, N, C, H, W), tdx = fv_tensor_make(dx, N, C, H, W);
    cr_assert_eq(fv_relu_fwd_cpu(tx, ty), FV_OK);
    cr_assert_eq(fv_relu_fwd_cpu(xs.v, ys.v), FV_OK);
    assert_views_close(ys.v, ty, 0, 0, "relu slice fwd");
    slice_check_guards(&ys, "relu slice fwd");
    for (int redirect = 0; redirect < 2; redirect++) {
        cr_assert_eq(fv_relu_bwd_cpu(tx, tdy, tdx, redirect), FV_OK);
        cr_assert_eq(fv_relu_bwd_cpu(xs.v, dys.v, dxs.v, redirect), FV_OK);
        assert_views_close(dxs.v, tdx, 0, 0, "relu slice bwd");
        slice_check_guards(&dxs, "relu slice bwd");
    }
    cr_assert_eq(fv_relu_fwd_cpu(tx, fv_tensor_make(y, N, C, H, W - 1)), FV_ERR_SHAPE);
    cr_assert_eq(fv_relu_bwd_cpu(tx, tdy, fv_tensor_make(dx, N, C + 1, H, W - 1), 0), FV_ERR_SHAPE);
    free(xs.buf), free(ys.buf), free(dys.buf), free(dxs.buf);
}

/* ---------------- pooling ---------------- */

typedef struct pool_case {
    const char *name;
    int n, c, h, w;
    fv_pool_desc d;
} pool_case;

static const pool_case pool_cases[] = {
    /* Caffe rounds up: 3x3 s2 on 14 gives ceil(11/2)+1 = 7 outputs = extra bottom/right pad of 1. */
    {"caffe ceil max 3x3 s2", 2, 3, 14, 14, {{3, 3, 2, 2, 0, 0, 1, 1}, FV_POOL_MAX, 0, 0, 0}},
    {"caffe ceil avg 3x3 s2", 2, 3, 14, 14, {{3, 3, 2, 2, 0, 0, 1, 1}, FV_POOL_AVG, 0, 0, 0}},
    /* TF SAME 3x3 s2 on 7: 4 outputs, total pad 2 -> 1/1; on 8: total pad 1 -> 0 top, 1 bottom. */
    {"tf same max 3x3 s2 on 7x8", 1, 2, 7, 8, {{3, 3, 2, 2, 1, 0, 1, 1}, FV_POOL_MAX, 0, 0, 0}},
    {"tf same avg 3x3 s2 on 7x8", 1, 2, 7, 8, {{3, 3, 2, 2, 1, 0, 1, 1}, FV_POOL_AVG, 0, 0, 0}},
    {"tf same max 3x3 s1", 2, 2, 6, 5, {{3, 3, 1, 1, 1, 1, 1, 1}, FV_POOL_MAX, 0, 0, 0}},
    {"tf same avg 3x3 s1", 2, 2, 6, 5, {{3, 3, 1, 1, 1, 1, 1, 1}, FV_POOL_AVG, 0, 0, 0}},
    {"avg 7x7 global", 2, 4, 7, 7, {{7, 7, 1, 1, 0, 0, 0, 0}, FV_POOL_AVG, 0, 0, 0}},
    {"max 2x3 s(2,1) asym", 1, 3, 6, 7, {{2, 3, 2, 1, 1, 0, 0, 2}, FV_POOL_MAX, 0, 0, 0}},
};
#define NPOOL ((int)(sizeof pool_cases / sizeof pool_cases[0]))

typedef struct pool_ctx {
    const pool_case *pc;
    int oh, ow;
    float *y; /* scratch for backward's y argument */
} pool_ctx;

static pool_ctx pool_ctx_make(const pool_case *pc)
{
    pool_ctx p = {pc, fv_window_out(pc->h, pc->d.win.kh, pc->d.win.sh, pc->d.win.pad_t, pc->d.win.pad_b),
                  fv_window_out(pc->w, pc->d.win.kw, pc->d.win.sw, pc->d.win.pad_l, pc->d.win.pad_r), NULL};
    p.y = falloc((size_t)pc->n * pc->c * p.oh * p.ow);
    return p;
}

static fv_tensor pool_xview(const pool_ctx *p, const float *d)
{
    return fv_tensor_make((float *)d, p->pc->n, p->pc->c, p->pc->h, p->pc->w);
}
static fv_tensor pool_yview(const pool_ctx *p, const float *d)
{
    return fv_tensor_make((float *)d, p->pc->n, p->pc->c, p->oh, p->ow);
}

static void pool_gc_fwd(void *ctx, const float *x, float *y)
{
    pool_ctx *p = ctx;
    cr_assert_eq(fv_pool_fwd_cpu(&p->pc->d, pool_xview(p, x), pool_yview(p, y)), FV_OK, "%s", fv_last_error());
}

static void pool_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    pool_ctx *p = ctx;
    pool_gc_fwd(ctx, x, p->y);
    cr_assert_eq(
        fv_pool_bwd_cpu(&p->pc->d, pool_xview(p, x), pool_yview(p, p->y), pool_yview(p, dy), pool_xview(p, dx)), FV_OK,
        "%s", fv_last_error());
}

Test(pool, hand_computed_4x4)
{
    float x[16] = {1, 5, 2, 0, 3, 4, 8, 1, 9, 2, 0, 7, 1, 1, 6, 3}, y[4];
    fv_pool_desc d = {mkwin(2, 2, 2, 2, 0, 0, 0, 0), FV_POOL_MAX, 0, 0, 0};
    fv_tensor tx = fv_tensor_make(x, 1, 1, 4, 4), ty = fv_tensor_make(y, 1, 1, 2, 2);
    cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_OK);
    const float want_max[4] = {5, 8, 9, 7};
    assert_close(y, want_max, 4, 0, 0, "max 2x2");
    d.kind = FV_POOL_AVG;
    cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_OK);
    const float want_avg[4] = {13 / 4.0f, 11 / 4.0f, 13 / 4.0f, 16 / 4.0f};
    assert_close(y, want_avg, 4, 0, 1e-7, "avg 2x2");

    /* 3x3 s2 pad 1 on 1..16: averages exclude the padding (4, 6, 6 and 9 in-image cells). */
    for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
    d.win = mkwin(3, 3, 2, 2, 1, 1, 1, 1);
    cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_OK);
    const float want_pad[4] = {14 / 4.0f, 30 / 6.0f, 57 / 6.0f, 99 / 9.0f};
    assert_close(y, want_pad, 4, 0, 1e-6, "avg 3x3 s2 pad 1");
    /* All-negative input: the zero padding must never win a max. */
    for (int i = 0; i < 16; i++) x[i] = -(float)(i + 1);
    d.kind = FV_POOL_MAX;
    cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_OK);
    const float want_neg[4] = {-1, -2, -5, -6};
    assert_close(y, want_neg, 4, 0, 0, "max 3x3 s2 pad 1, negative");
}

Test(pool, max_backward_routes_to_first_maximum)
{
    /* 3x3 of equal values, 2x2 s1 windows: each window's first (top-left) cell takes its gradient. */
    float x[9], y[4], dy[4] = {1, 10, 100, 1000}, dx[9];
    for (int i = 0; i < 9; i++) x[i] = 2, dx[i] = 0.5f;
    fv_pool_desc d = {mkwin(2, 2, 1, 1, 0, 0, 0, 0), FV_POOL_MAX, 0, 0, 0};
    fv_tensor tx = fv_tensor_make(x, 1, 1, 3, 3), ty = fv_tensor_make(y, 1, 1, 2, 2);
    cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_OK);
    cr_assert_eq(fv_pool_bwd_cpu(&d, tx, ty, fv_tensor_make(dy, 1, 1, 2, 2), fv_tensor_make(dx, 1, 1, 3, 3)), FV_OK);
    const float want[9] = {1.5f, 10.5f, 0.5f, 100.5f, 1000.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    assert_close(dx, want, 9, 0, 0, "max ties");
    /* Partial ties: in each window the first 3 in row-major order wins, not the later ones. */
    float x2[9] = {0, 3, 3, 0, 3, 0, 0, 0, 0};
    for (int i = 0; i < 9; i++) dx[i] = 0;
    cr_assert_eq(fv_pool_bwd_cpu(&d, fv_tensor_make(x2, 1, 1, 3, 3), ty, fv_tensor_make(dy, 1, 1, 2, 2),
                                 fv_tensor_make(dx, 1, 1, 3, 3)),
                 FV_OK);
    const float want2[9] = {0, 1 + 10, 0, 0, 100 + 1000, 0, 0, 0, 0};
    assert_close(dx, want2, 9, 0, 0, "max ties 2");
}

Test(pool, window_entirely_in_padding)
{
    /* 1x1 windows with pad 1 on a 2x2 image: the border outputs see only padding and are 0 (max and
     * avg alike) and pass no gradient; the centre ones copy the input. */
    float x[4] = {-1, -2, -3, -4}, y[16], dy[16], dx[4] = {0, 0, 0, 0};
    for (int i = 0; i < 16; i++) dy[i] = 1.0f + (float)i;
    for (int kind = 0; kind < 2; kind++) {
        fv_pool_desc d = {mkwin(1, 1, 1, 1, 1, 1, 1, 1), kind ? FV_POOL_AVG : FV_POOL_MAX, 0, 0, 0};
        fv_tensor tx = fv_tensor_make(x, 1, 1, 2, 2), ty = fv_tensor_make(y, 1, 1, 4, 4);
        cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_OK);
        const float want[16] = {0, 0, 0, 0, 0, -1, -2, 0, 0, -3, -4, 0, 0, 0, 0, 0};
        assert_close(y, want, 16, 0, 0, kind ? "avg all-padding windows" : "max all-padding windows");
        cr_assert_eq(fv_pool_bwd_cpu(&d, tx, ty, fv_tensor_make(dy, 1, 1, 4, 4), fv_tensor_make(dx, 1, 1, 2, 2)),
                     FV_OK);
    }
    const float want_dx[4] = {2 * 6, 2 * 7, 2 * 10, 2 * 11};
    assert_close(dx, want_dx, 4, 0, 0, "all-padding windows backward");
}

Test(pool, forward_matches_direct)
{
    for (int i = 0; i < NPOOL; i++) {
        pool_ctx p = pool_ctx_make(&pool_cases[i]);
        size_t nx = (size_t)p.pc->n * p.pc->c * p.pc->h * p.pc->w, ny = (size_t)p.pc->n * p.pc->c * p.oh * p.ow;
        float *x = falloc(nx), *y = falloc(ny), *want = falloc(ny);
        fv_gc_fill_uniform(20 + i, x, nx, -3, 1); /* mostly negative: padding treated as 0 would show */
        pool_gc_fwd(&p, x, y);
        naive_pool(&p.pc->d, pool_xview(&p, x), pool_yview(&p, want));
        assert_close(y, want, ny, 1e-6, 1e-6, p.pc->name);
        free(x), free(y), free(want), free(p.y);
    }
}

Test(pool, gradient_finite_difference)
{
    for (int i = 0; i < NPOOL; i++) {
        pool_ctx p = pool_ctx_make(&pool_cases[i]);
        size_t nx = (size_t)p.pc->n * p.pc->c * p.pc->h * p.pc->w, ny = (size_t)p.pc->n * p.pc->c * p.oh * p.ow;
        float *x = falloc(nx);
        /* Distinct values 0.05 apart: a step of eps = 0.01 can never change which cell is the maximum. */
        fv_gc_fill_distinct(30 + i, x, nx, 0.05f);
        assert_gradcheck(pool_gc_fwd, pool_gc_bwd, &p, x, nx, ny, 40 + i, p.pc->name);
        free(x), free(p.y);
    }
}

Test(pool, slices)
{
    for (int i = 0; i < NPOOL; i++) {
        pool_ctx p = pool_ctx_make(&pool_cases[i]);
        const pool_case *pc = p.pc;
        size_t nx = (size_t)pc->n * pc->c * pc->h * pc->w, ny = (size_t)pc->n * pc->c * p.oh * p.ow;
        float *x = falloc(nx), *y = falloc(ny), *dy = falloc(ny), *dx = falloc(nx);
        fv_gc_fill_uniform(50 + i, x, nx, -1, 1);
        fv_gc_fill_uniform(60 + i, dy, ny, -1, 1);
        fv_gc_fill_uniform(70 + i, dx, nx, -1, 1);
        sliced xs = slice_new(pc->n, pc->c, pc->h, pc->w, 2, 1, x),
               ys = slice_new(pc->n, pc->c, p.oh, p.ow, 1, 3, NULL);
        sliced dys = slice_new(pc->n, pc->c, p.oh, p.ow, 3, 0, dy),
               dxs = slice_new(pc->n, pc->c, pc->h, pc->w, 1, 1, dx);
        pool_gc_fwd(&p, x, y);
        cr_assert_eq(fv_pool_fwd_cpu(&pc->d, xs.v, ys.v), FV_OK);
        assert_views_close(ys.v, pool_yview(&p, y), 0, 0, pc->name);
        slice_check_guards(&ys, pc->name);
        cr_assert_eq(
            fv_pool_bwd_cpu(&pc->d, pool_xview(&p, x), pool_yview(&p, y), pool_yview(&p, dy), pool_xview(&p, dx)),
            FV_OK);
        cr_assert_eq(fv_pool_bwd_cpu(&pc->d, xs.v, ys.v, dys.v, dxs.v), FV_OK);
        assert_views_close(dxs.v, pool_xview(&p, dx), 0, 0, pc->name);
        slice_check_guards(&dxs, pc->name);
        free(xs.buf), free(ys.buf), free(dys.buf), free(dxs.buf), free(x), free(y), free(dy), free(dx), free(p.y);
    }
}

Test(pool, shape_errors)
{
    float buf[1024] = {0};
    fv_pool_desc d = {mkwin(3, 3, 2, 2, 0, 0, 1, 1), FV_POOL_MAX, 0, 0, 0};
    fv_tensor x = fv_tensor_make(buf, 1, 2, 14, 14);
    cr_assert_eq(fv_pool_fwd_cpu(&d, x, fv_tensor_make(buf + 512, 1, 2, 7, 7)), FV_OK);
    cr_assert_eq(fv_pool_fwd_cpu(&d, x, fv_tensor_make(buf + 512, 1, 2, 6, 7)), FV_ERR_SHAPE);
    cr_assert_eq(fv_pool_fwd_cpu(&d, x, fv_tensor_make(buf + 512, 1, 3, 7, 7)), FV_ERR_SHAPE);
    fv_tensor y = fv_tensor_make(buf + 512, 1, 2, 7, 7);
    cr_assert_eq(fv_pool_bwd_cpu(&d, x, y, fv_tensor_make(buf + 700, 1, 2, 7, 6), x), FV_ERR_SHAPE);
}

/* ---------------- LRN ---------------- */

typedef struct lrn_ctx {
    fv_lrn_desc d;
    int n, c, h, w;
    float *y;
} lrn_ctx;

static fv_tensor lrn_view(const lrn_ctx *l, const float *p)
{
    return fv_tensor_make((float *)p, l->n, l->c, l->h, l->w);
}

static void lrn_gc_fwd(void *ctx, const float *x, float *y)
{
    lrn_ctx *l = ctx;
    cr_assert_eq(fv_lrn_fwd_cpu(&l->d, lrn_view(l, x), lrn_view(l, y)), FV_OK, "%s", fv_last_error());
}

static void lrn_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    lrn_ctx *l = ctx;
    lrn_gc_fwd(ctx, x, l->y);
    cr_assert_eq(fv_lrn_bwd_cpu(&l->d, lrn_view(l, x), lrn_view(l, l->y), lrn_view(l, dy), lrn_view(l, dx)), FV_OK);
}

/* 70 pixels per plane crosses the implementation's 64-pixel runs; 7 channels clip size-5 windows. */
static const lrn_ctx lrn_cases[] = {
    {{5, 0.5f, 0.75f, 2.0f}, 2, 7, 7, 10, NULL},
    {{5, 1e-4f, 0.75f, 1.0f}, 1, 7, 7, 10, NULL}, /* Caffe's GoogLeNet values */
    {{3, 0.3f, 0.5f, 1.0f}, 2, 4, 3, 3, NULL},
    {{1, 0.8f, 0.75f, 1.0f}, 1, 3, 2, 2, NULL},
    {{9, 0.2f, 0.75f, 1.0f}, 1, 4, 2, 3, NULL}, /* window wider than the channel count */
};
#define NLRN ((int)(sizeof lrn_cases / sizeof lrn_cases[0]))

Test(lrn, forward_matches_direct)
{
    for (int i = 0; i < NLRN; i++) {
        lrn_ctx l = lrn_cases[i];
        size_t n = (size_t)l.n * l.c * l.h * l.w;
        float *x = falloc(n), *y = falloc(n), *want = falloc(n);
        fv_gc_fill_signed(80 + i, x, n, 0.1f, 2.0f);
        lrn_gc_fwd(&l, x, y);
        naive_lrn(&l.d, lrn_view(&l, x), lrn_view(&l, want));
        char what[64];
        snprintf(what, sizeof what, "lrn case %d", i);
        assert_close(y, want, n, 1e-6, 1e-5, what);
        free(x), free(y), free(want);
    }
}

Test(lrn, hand_computed)
{
    /* 3 channels at one pixel, size 3, alpha 1, beta 0.5, k 1: s = 1 + (sum of squares of neighbours). */
    float x[3] = {1, 2, 3}, y[3];
    fv_lrn_desc d = {3, 1.0f, 0.5f, 1.0f};
    cr_assert_eq(fv_lrn_fwd_cpu(&d, fv_tensor_make(x, 1, 3, 1, 1), fv_tensor_make(y, 1, 3, 1, 1)), FV_OK);
    const float want[3] = {(float)(1 / sqrt(6.0)), (float)(2 / sqrt(15.0)), (float)(3 / sqrt(14.0))};
    assert_close(y, want, 3, 0, 1e-6, "lrn 3 channels");
}

Test(lrn, gradient_finite_difference)
{
    for (int i = 0; i < NLRN; i++) {
        lrn_ctx l = lrn_cases[i];
        size_t n = (size_t)l.n * l.c * l.h * l.w;
        float *x = falloc(n);
        l.y = falloc(n);
        fv_gc_fill_signed(90 + i, x, n, 0.1f, 2.0f);
        char what[64];
        snprintf(what, sizeof what, "lrn case %d", i);
        assert_gradcheck(lrn_gc_fwd, lrn_gc_bwd, &l, x, n, n, 95 + i, what);
        free(x), free(l.y);
    }
}

Test(lrn, slices_and_shape_errors)
{
    lrn_ctx l = lrn_cases[0];
    size_t n = (size_t)l.n * l.c * l.h * l.w;
    float *x = falloc(n), *y = falloc(n), *dy = falloc(n), *dx = falloc(n);
    fv_gc_fill_signed(101, x, n, 0.1f, 2.0f);
    fv_gc_fill_uniform(102, dy, n, -1, 1);
    fv_gc_fill_uniform(103, dx, n, -1, 1);
    sliced xs = slice_new(l.n, l.c, l.h, l.w, 3, 2, x), ys = slice_new(l.n, l.c, l.h, l.w, 0, 1, NULL);
    sliced dys = slice_new(l.n, l.c, l.h, l.w, 2, 2, dy), dxs = slice_new(l.n, l.c, l.h, l.w, 1, 0, dx);
    lrn_gc_fwd(&l, x, y);
    cr_assert_eq(fv_lrn_fwd_cpu(&l.d, xs.v, ys.v), FV_OK);
    assert_views_close(ys.v, lrn_view(&l, y), 0, 0, "lrn slice fwd");
    slice_check_guards(&ys, "lrn slice fwd");
    cr_assert_eq(fv_lrn_bwd_cpu(&l.d, lrn_view(&l, x), lrn_view(&l, y), lrn_view(&l, dy), lrn_view(&l, dx)), FV_OK);
    cr_assert_eq(fv_lrn_bwd_cpu(&l.d, xs.v, ys.v, dys.v, dxs.v), FV_OK);
    assert_views_close(dxs.v, lrn_view(&l, dx), 0, 0, "lrn slice bwd");
    slice_check_guards(&dxs, "lrn slice bwd");
    fv_tensor tx = lrn_view(&l, x);
    cr_assert_eq(fv_lrn_fwd_cpu(&l.d, tx, fv_tensor_make(y, l.n, l.c - 1, l.h, l.w)), FV_ERR_SHAPE);
    fv_lrn_desc even = {4, 0.1f, 0.75f, 1.0f};
    cr_assert_eq(fv_lrn_fwd_cpu(&even, tx, lrn_view(&l, y)), FV_ERR_SHAPE);
    cr_assert_eq(
        fv_lrn_bwd_cpu(&l.d, tx, lrn_view(&l, y), lrn_view(&l, dy), fv_tensor_make(dx, l.n, l.c, l.h, l.w - 1)),
        FV_ERR_SHAPE);
    free(xs.buf), free(ys.buf), free(dys.buf), free(dxs.buf), free(x), free(y), free(dy), free(dx);
}

/* ---------------- fully connected ---------------- */

typedef struct fc_ctx {
    int n, c, h, w, nout;
    const float *wt, *bias;
} fc_ctx;

static void fc_gc_fwd(void *ctx, const float *x, float *y)
{
    fc_ctx *f = ctx;
    cr_assert_eq(fv_fc_fwd_cpu(fv_tensor_make((float *)x, f->n, f->c, f->h, f->w), f->wt, f->bias, f->nout,
                               fv_tensor_make(y, f->n, f->nout, 1, 1)),
                 FV_OK, "%s", fv_last_error());
}

static void fc_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    fc_ctx *f = ctx;
    (void)x;
    cr_assert_eq(fv_fc_bwd_cpu(fv_tensor_make((float *)dy, f->n, f->nout, 1, 1), f->wt,
                               fv_tensor_make(dx, f->n, f->c, f->h, f->w)),
                 FV_OK, "%s", fv_last_error());
}

Test(fc, forward_backward_and_slices)
{
    enum { N = 3, C = 4, H = 2, W = 3, NIN = C * H * W, NOUT = 5 };
    float x[N * NIN], wt[NOUT * NIN], bias[NOUT], y[N * NOUT], want[N * NOUT];
    fv_gc_fill_signed(110, x, N * NIN, 0.1f, 1.0f);
    fv_gc_fill_uniform(111, wt, NOUT * NIN, -0.5f, 0.5f);
    fv_gc_fill_uniform(112, bias, NOUT, -1, 1);
    fc_ctx f = {N, C, H, W, NOUT, wt, bias};
    fc_gc_fwd(&f, x, y);
    for (int b = 0; b < N; b++)
        for (int o = 0; o < NOUT; o++) {
            double s = bias[o];
            for (int i = 0; i < NIN; i++) s += (double)wt[o * NIN + i] * x[b * NIN + i];
            want[b * NOUT + o] = (float)s;
        }
    assert_close(y, want, N * NOUT, 1e-6, 1e-6, "fc forward");
    assert_gradcheck(fc_gc_fwd, fc_gc_bwd, &f, x, N * NIN, N * NOUT, 113, "fc");
    f.bias = NULL;
    assert_gradcheck(fc_gc_fwd, fc_gc_bwd, &f, x, N * NIN, N * NOUT, 114, "fc no bias");
    f.bias = bias;

    /* x a channel slice of a concat buffer, y a slice of a wider output: bstride is the leading dim. */
    float dy[N * NOUT], dx[N * NIN];
    fv_gc_fill_uniform(115, dy, N * NOUT, -1, 1);
    fv_gc_fill_uniform(116, dx, N * NIN, -1, 1);
    sliced xs = slice_new(N, C, H, W, 1, 2, x), ys = slice_new(N, NOUT, 1, 1, 2, 3, NULL);
    sliced dys = slice_new(N, NOUT, 1, 1, 0, 2, dy), dxs = slice_new(N, C, H, W, 3, 1, dx);
    cr_assert_eq(fv_fc_fwd_cpu(xs.v, wt, bias, NOUT, ys.v), FV_OK);
    assert_views_close(ys.v, fv_tensor_make(y, N, NOUT, 1, 1), 1e-6, 1e-6, "fc slice fwd");
    slice_check_guards(&ys, "fc slice fwd");
    fc_gc_bwd(&f, x, dy, dx);
    cr_assert_eq(fv_fc_bwd_cpu(dys.v, wt, dxs.v), FV_OK);
    assert_views_close(dxs.v, fv_tensor_make(dx, N, C, H, W), 1e-6, 1e-6, "fc slice bwd");
    slice_check_guards(&dxs, "fc slice bwd");
    free(xs.buf), free(ys.buf), free(dys.buf), free(dxs.buf);

    cr_assert_eq(fv_fc_fwd_cpu(fv_tensor_make(x, N, C, H, W), wt, bias, NOUT, fv_tensor_make(y, N, NOUT - 1, 1, 1)),
                 FV_ERR_SHAPE);
    cr_assert_eq(fv_fc_fwd_cpu(fv_tensor_make(x, N, C, H, W), wt, bias, NOUT, fv_tensor_make(y, N - 1, NOUT, 1, 1)),
                 FV_ERR_SHAPE);
    cr_assert_eq(fv_fc_bwd_cpu(fv_tensor_make(dy, N, NOUT, 1, 1), wt, fv_tensor_make(dx, N - 1, C, H, W)),
                 FV_ERR_SHAPE);
}

/* ---------------- softmax ---------------- */

typedef struct sm_ctx {
    int n, c, h, w;
    float *y;
} sm_ctx;

static fv_tensor sm_view(const sm_ctx *s, const float *p) { return fv_tensor_make((float *)p, s->n, s->c, s->h, s->w); }

static void sm_gc_fwd(void *ctx, const float *x, float *y)
{
    sm_ctx *s = ctx;
    cr_assert_eq(fv_softmax_fwd_cpu(sm_view(s, x), sm_view(s, y)), FV_OK);
}

static void sm_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    sm_ctx *s = ctx;
    sm_gc_fwd(ctx, x, s->y);
    cr_assert_eq(fv_softmax_bwd_cpu(sm_view(s, s->y), sm_view(s, dy), sm_view(s, dx)), FV_OK);
}

Test(softmax, forward_matches_direct_and_is_stable)
{
    sm_ctx s = {2, 5, 7, 10, NULL}; /* 70 pixels: crosses a 64-pixel run */
    size_t n = (size_t)s.n * s.c * s.h * s.w;
    float *x = falloc(n), *y = falloc(n), *want = falloc(n);
    fv_gc_fill_uniform(120, x, n, -3, 3);
    sm_gc_fwd(&s, x, y);
    naive_softmax(sm_view(&s, x), sm_view(&s, want));
    assert_close(y, want, n, 1e-7, 1e-5, "softmax");
    /* Logits near 1000, 30 apart per channel: expf overflows unless the per-pixel maximum (not, say,
     * channel 0) is subtracted first. */
    for (size_t i = 0; i < n; i++) x[i] += 1000.0f + 30.0f * (float)((i / (size_t)(s.h * s.w)) % (size_t)s.c);
    sm_gc_fwd(&s, x, y);
    naive_softmax(sm_view(&s, x), sm_view(&s, want));
    assert_close(y, want, n, 1e-6, 1e-4, "softmax large logits");
    /* In place. */
    sm_gc_fwd(&s, x, x);
    assert_close(x, want, n, 1e-6, 1e-4, "softmax in place");
    free(x), free(y), free(want);

    float two[2] = {0, (float)log(3.0)}, out[2];
    cr_assert_eq(fv_softmax_fwd_cpu(fv_tensor_make(two, 1, 2, 1, 1), fv_tensor_make(out, 1, 2, 1, 1)), FV_OK);
    const float hand[2] = {0.25f, 0.75f};
    assert_close(out, hand, 2, 0, 1e-6, "softmax hand");
}

Test(softmax, gradient_finite_difference)
{
    sm_ctx s = {2, 5, 3, 4, NULL};
    size_t n = (size_t)s.n * s.c * s.h * s.w;
    float *x = falloc(n);
    s.y = falloc(n);
    fv_gc_fill_uniform(130, x, n, -2, 2);
    assert_gradcheck(sm_gc_fwd, sm_gc_bwd, &s, x, n, n, 131, "softmax");
    free(x), free(s.y);
}

Test(softmax, slices_and_shape_errors)
{
    sm_ctx s = {2, 5, 7, 10, NULL};
    size_t n = (size_t)s.n * s.c * s.h * s.w;
    float *x = falloc(n), *y = falloc(n), *dy = falloc(n), *dx = falloc(n);
    fv_gc_fill_uniform(140, x, n, -3, 3);
    fv_gc_fill_uniform(141, dy, n, -1, 1);
    fv_gc_fill_uniform(142, dx, n, -1, 1);
    sliced xs = slice_new(s.n, s.c, s.h, s.w, 1, 1, x), ys = slice_new(s.n, s.c, s.h, s.w, 2, 0, NULL);
    sliced dys = slice_new(s.n, s.c, s.h, s.w, 0, 2, dy), dxs = slice_new(s.n, s.c, s.h, s.w, 3, 3, dx);
    sm_gc_fwd(&s, x, y);
    cr_assert_eq(fv_softmax_fwd_cpu(xs.v, ys.v), FV_OK);
    assert_views_close(ys.v, sm_view(&s, y), 0, 0, "softmax slice fwd");
    slice_check_guards(&ys, "softmax slice fwd");
    cr_assert_eq(fv_softmax_bwd_cpu(sm_view(&s, y), sm_view(&s, dy), sm_view(&s, dx)), FV_OK);
    cr_assert_eq(fv_softmax_bwd_cpu(ys.v, dys.v, dxs.v), FV_OK);
    assert_views_close(dxs.v, sm_view(&s, dx), 0, 0, "softmax slice bwd");
    slice_check_guards(&dxs, "softmax slice bwd");
    cr_assert_eq(fv_softmax_fwd_cpu(sm_view(&s, x), fv_tensor_make(y, s.n, s.c, s.h + 1, s.w)), FV_ERR_SHAPE);
    cr_assert_eq(fv_softmax_bwd_cpu(sm_view(&s, y), fv_tensor_make(dy, s.n, s.c - 1, s.h, s.w), sm_view(&s, dx)),
                 FV_ERR_SHAPE);
    free(xs.buf), free(ys.buf), free(dys.buf), free(dxs.buf), free(x), free(y), free(dy), free(dx);
}

/* ---------------- accumulate semantics, all backward ops ---------------- */

Test(backward, accumulates_into_dx)
{
    /* Each backward run once into zeros and once into dx pre-filled with a ramp: the difference must be
     * exactly the ramp (an op that overwrote, or zeroed first, would lose it). */
    enum { N = 2, C = 4, H = 6, W = 5, NE = N * C * H * W };
    float x[NE], dy[NE], y[NE], d0[NE], d1[NE], ramp[NE];
    fv_gc_fill_signed(150, x, NE, 0.1f, 1.0f);
    fv_gc_fill_uniform(151, dy, NE, -1, 1);
    for (int i = 0; i < NE; i++) ramp[i] = 0.5f + (float)i / 64.0f;
    fv_tensor tx = fv_tensor_make(x, N, C, H, W), tdy = fv_tensor_make(dy, N, C, H, W),
              ty = fv_tensor_make(y, N, C, H, W);
    fv_tensor t0 = fv_tensor_make(d0, N, C, H, W), t1 = fv_tensor_make(d1, N, C, H, W);
    float wt[C * C * 9], wfc[8 * C * H * W], work[4096];
    fv_gc_fill_uniform(153, wfc, 8 * C * H * W, -0.5f, 0.5f);
    fv_gc_fill_uniform(152, wt, C * C * 9, -0.5f, 0.5f);
    fv_conv_desc c3 = {mkwin(3, 3, 1, 1, 1, 1, 1, 1), C, C, 1, 1, 1}, c1 = {mkwin(1, 1, 1, 1, 0, 0, 0, 0), C, C, 1, 1, 1};
    fv_pool_desc pm = {mkwin(3, 3, 1, 1, 1, 1, 1, 1), FV_POOL_MAX, 0, 0, 0}, pa = {mkwin(3, 3, 1, 1, 1, 1, 1, 1), FV_POOL_AVG, 0, 0, 0};
    fv_lrn_desc ld = {3, 0.5f, 0.75f, 2.0f};
    const char *names[] = {"conv 3x3", "conv 1x1", "relu", "relu redirect", "max pool",
                           "avg pool", "lrn",      "fc",   "softmax"};
    for (int op = 0; op < 9; op++) {
        for (int pass = 0; pass < 2; pass++) {
            float *d = pass ? d1 : d0;
            fv_tensor td = pass ? t1 : t0;
            for (int i = 0; i < NE; i++) d[i] = pass ? ramp[i] : 0.0f;
            fv_status st = FV_ERR_ARG;
            switch (op) {
            case 0: st = fv_conv2d_bwd_data_cpu(&c3, tdy, wt, td, work); break;
            case 1: st = fv_conv2d_bwd_data_cpu(&c1, tdy, wt, td, NULL); break;
            case 2: st = fv_relu_bwd_cpu(tx, tdy, td, 0); break;
            case 3: st = fv_relu_bwd_cpu(tx, tdy, td, 1); break;
            case 4:
            case 5:
                cr_assert_eq(fv_pool_fwd_cpu(op == 4 ? &pm : &pa, tx, ty), FV_OK);
                st = fv_pool_bwd_cpu(op == 4 ? &pm : &pa, tx, ty, tdy, td);
                break;
            case 6:
                cr_assert_eq(fv_lrn_fwd_cpu(&ld, tx, ty), FV_OK);
                st = fv_lrn_bwd_cpu(&ld, tx, ty, tdy, td);
                break;
            case 7: st = fv_fc_bwd_cpu(fv_tensor_make(dy, N, 8, 1, 1), wfc, td); break; /* (N, CHW) <- (N, 8) */
            case 8:
                cr_assert_eq(fv_softmax_fwd_cpu(tx, ty), FV_OK);
                st = fv_softmax_bwd_cpu(ty, tdy, td);
                break;
            }
            cr_assert_eq(st, FV_OK, "%s: %s", names[op], fv_last_error());
        }
        int nonzero = 0;
        for (int i = 0; i < NE; i++) {
            nonzero |= d0[i] != 0.0f;
            cr_assert(fabsf(d1[i] - ramp[i] - d0[i]) <= 1e-6f * (1 + fabsf(d0[i])),
                      "%s: dx[%d] = %g with pre-fill %g, %g from zero", names[op], i, d1[i], ramp[i], d0[i]);
        }
        cr_assert(nonzero, "%s: gradient is all zero, test would be vacuous", names[op]);
    }
}
