/* Tests of issue 13's ONNX operators on the CPU (host/cpu/act.c, binary.c, affine.c, pad.c, copy.c, conv.c's
 * groups and dilations, pool.c's count_pad): forwards against values worked out by hand in the test and
 * against naive loops written here, every input-backward against finite differences (tests/gradcheck.c),
 * the shared argument checks, the calls through a backend instance, and the plan's dispatch of the new node
 * kinds on small graphs built by hand (a residual block, a squeeze-excitation block). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "crutil.h"
#include "net/plan.h"
#include "net/receptive.h"
#include "testutil.h"
#include "tiny_onnx_net.h"

static void assert_near(const float *got, const float *want, size_t n, double tol, const char *what)
{
    for (size_t i = 0; i < n; i++)
        cr_assert(fabs((double)got[i] - want[i]) <= tol, "%s: element %zu is %.8g, want %.8g", what, i, got[i],
                  want[i]);
}

/* Seeded values in [lo, hi), each moved 0.05 away from any kink closer than 0.03 (finite differences
 * straddling a kink measure neither side). */
static void fill_off_kinks(uint64_t seed, float *x, size_t n, float lo, float hi, const float *kinks, int nk)
{
    fv_gc_fill_uniform(seed, x, n, lo, hi);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < nk; k++)
            if (fabsf(x[i] - kinks[k]) < 0.03f) x[i] = kinks[k] + (x[i] < kinks[k] ? -0.05f : 0.05f);
}

/* ---------- activations ---------- */

static const float act_x[8] = {-4, -1, -0.5f, 0, 0.5f, 1, 4, 7};

Test(act, forward_hand_computed)
{
    /* Worked out by hand (sigmoid from 1/(1+e^-x) to 8 digits). */
    const fv_act_desc d[5] = {{FV_ACT_LEAKY, 0.1f, 0}, {FV_ACT_CLIP, 0, 6}, {FV_ACT_SIGMOID, 0, 0},
                              {FV_ACT_HARDSIGMOID, 0.2f, 0.5f}, {FV_ACT_HARDSWISH, 0, 0}};
    const float want[5][8] = {
        {-0.4f, -0.1f, -0.05f, 0, 0.5f, 1, 4, 7},
        {0, 0, 0, 0, 0.5f, 1, 4, 6},
        {0.01798621f, 0.26894142f, 0.37754067f, 0.5f, 0.62245933f, 0.73105858f, 0.98201379f, 0.99908895f},
        {0, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 1, 1},
        {0, -1.0f / 3, -0.20833333f, 0, 0.29166667f, 2.0f / 3, 4, 7},
    };
    const char *names[5] = {"leaky", "clip", "sigmoid", "hardsigmoid", "hardswish"};
    for (int k = 0; k < 5; k++) {
        float y[8];
        cr_assert_eq(fv_act_fwd_cpu(&d[k], fv_tensor_make((float *)act_x, 1, 2, 2, 2), fv_tensor_make(y, 1, 2, 2, 2)),
                     FV_OK, "%s", fv_last_error());
        assert_near(y, want[k], 8, 1e-6, names[k]);
        /* in place */
        float z[8];
        memcpy(z, act_x, sizeof z);
        cr_assert_eq(fv_act_fwd_cpu(&d[k], fv_tensor_make(z, 1, 2, 2, 2), fv_tensor_make(z, 1, 2, 2, 2)), FV_OK);
        assert_near(z, want[k], 8, 1e-6, names[k]);
    }
}

Test(act, backward_at_kinks_takes_the_forward_branch)
{
    /* ops.h: the derivative of the branch the forward's comparison picks. dy = 1, dx starts at 0. */
    const fv_act_desc clip = {FV_ACT_CLIP, 0, 6}, leaky = {FV_ACT_LEAKY, 0.1f, 0}, hsw = {FV_ACT_HARDSWISH, 0, 0},
                      hsg = {FV_ACT_HARDSIGMOID, 0.2f, 0.5f};
    float x[4] = {0, 6, -3, 3}, dy[4] = {1, 1, 1, 1}, dx[4] = {0};
    fv_tensor tx = fv_tensor_make(x, 1, 1, 1, 4), tg = fv_tensor_make(dy, 1, 1, 1, 4), td = fv_tensor_make(dx, 1, 1, 1, 4);
    cr_assert_eq(fv_act_bwd_cpu(&clip, tx, tg, td), FV_OK);
    assert_near(dx, (float[]){1, 1, 0, 1}, 4, 0, "clip at 0 and 6");
    memset(dx, 0, sizeof dx);
    cr_assert_eq(fv_act_bwd_cpu(&leaky, tx, tg, td), FV_OK);
    assert_near(dx, (float[]){1, 1, 0.1f, 1}, 4, 0, "leaky at 0");
    memset(dx, 0, sizeof dx);
    cr_assert_eq(fv_act_bwd_cpu(&hsw, tx, tg, td), FV_OK); /* x=-3: v = 0 (middle: -1+0.5), x=3: v = 1 (1.5) */
    assert_near(dx, (float[]){0.5f, 1, -0.5f, 1.5f}, 4, 1e-7, "hardswish at -3, 3");
    memset(dx, 0, sizeof dx);
    float xs[2] = {-2.5f, 2.5f};
    cr_assert_eq(fv_act_bwd_cpu(&hsg, fv_tensor_make(xs, 1, 1, 1, 2), fv_tensor_make(dy, 1, 1, 1, 2),
                                fv_tensor_make(dx, 1, 1, 1, 2)),
                 FV_OK);
    assert_near(dx, (float[]){0.2f, 0.2f}, 2, 1e-7, "hardsigmoid at its ends");
}

typedef struct act_ctx {
    fv_act_desc d;
    int n, c, h, w;
} act_ctx;

static void act_gc_fwd(void *ctx, const float *x, float *y)
{
    act_ctx *a = ctx;
    cr_assert_eq(fv_act_fwd_cpu(&a->d, fv_tensor_make((float *)x, a->n, a->c, a->h, a->w),
                                fv_tensor_make(y, a->n, a->c, a->h, a->w)),
                 FV_OK);
}

static void act_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    act_ctx *a = ctx;
    cr_assert_eq(fv_act_bwd_cpu(&a->d, fv_tensor_make((float *)x, a->n, a->c, a->h, a->w),
                                fv_tensor_make((float *)dy, a->n, a->c, a->h, a->w),
                                fv_tensor_make(dx, a->n, a->c, a->h, a->w)),
                 FV_OK);
}

Test(act, gradcheck_every_kind)
{
    const fv_act_desc d[5] = {{FV_ACT_LEAKY, 0.2f, 0}, {FV_ACT_CLIP, -1.0f, 1.5f}, {FV_ACT_SIGMOID, 0, 0},
                              {FV_ACT_HARDSIGMOID, 0.2f, 0.5f}, {FV_ACT_HARDSWISH, 0, 0}};
    const float kinks[5][2] = {{0, 0}, {-1.0f, 1.5f}, {0, 0}, {-2.5f, 2.5f}, {-3, 3}};
    for (int k = 0; k < 5; k++) {
        act_ctx a = {d[k], 2, 3, 4, 5};
        float x[120];
        fill_off_kinks(700 + k, x, 120, -5, 5, kinks[k], 2);
        assert_gradcheck(act_gc_fwd, act_gc_bwd, &a, x, 120, 120, 710 + k, "act");
    }
}

/* ---------- binary ---------- */

Test(binary, forward_hand_computed_every_broadcast)
{
    float a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[8];
    fv_tensor ta = fv_tensor_make(a, 1, 2, 2, 2), ty = fv_tensor_make(y, 1, 2, 2, 2);
    float bc[2] = {10, -1}, bs[1] = {2}, bp[4] = {1, 0, -1, 2}, bf[8] = {8, 7, 6, 5, 4, 3, 2, 1};
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_ADD, ta, fv_tensor_make(bc, 1, 2, 1, 1), ty), FV_OK, "%s", fv_last_error());
    assert_near(y, (float[]){11, 12, 13, 14, 4, 5, 6, 7}, 8, 0, "add per channel");
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_MUL, ta, fv_tensor_make(bc, 1, 2, 1, 1), ty), FV_OK);
    assert_near(y, (float[]){10, 20, 30, 40, -5, -6, -7, -8}, 8, 0, "mul per channel");
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_MUL, ta, fv_tensor_make(bs, 1, 1, 1, 1), ty), FV_OK);
    assert_near(y, (float[]){2, 4, 6, 8, 10, 12, 14, 16}, 8, 0, "mul scalar");
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_ADD, ta, fv_tensor_make(bp, 1, 1, 2, 2), ty), FV_OK);
    assert_near(y, (float[]){2, 2, 2, 6, 6, 6, 6, 10}, 8, 0, "add spatial map");
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_ADD, ta, fv_tensor_make(bf, 1, 2, 2, 2), ty), FV_OK);
    assert_near(y, (float[]){9, 9, 9, 9, 9, 9, 9, 9}, 8, 0, "add same shape");
    /* y in a's place */
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_MUL, ta, fv_tensor_make(bf, 1, 2, 2, 2), ta), FV_OK);
    assert_near(a, (float[]){8, 14, 18, 20, 20, 18, 14, 8}, 8, 0, "mul in place");
}

Test(binary, backward_hand_computed_sums_over_broadcast)
{
    float a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[2] = {10, -1}, dy[8] = {1, 1, 1, 1, 1, 1, 1, 1}, da[8], db[2];
    fv_tensor ta = fv_tensor_make(a, 1, 2, 2, 2), tb = fv_tensor_make(b, 1, 2, 1, 1), tg = fv_tensor_make(dy, 1, 2, 2, 2);
    for (int i = 0; i < 8; i++) da[i] = 0.5f;
    db[0] = db[1] = 100;
    cr_assert_eq(fv_binary_bwd_cpu(FV_BINARY_MUL, ta, tb, tg, fv_tensor_make(da, 1, 2, 2, 2), fv_tensor_make(db, 1, 2, 1, 1)),
                 FV_OK, "%s", fv_last_error());
    assert_near(da, (float[]){10.5f, 10.5f, 10.5f, 10.5f, -0.5f, -0.5f, -0.5f, -0.5f}, 8, 0, "mul da");
    assert_near(db, (float[]){110, 126}, 2, 0, "mul db (sums of a per channel, added)");
    db[0] = db[1] = 0;
    cr_assert_eq(fv_binary_bwd_cpu(FV_BINARY_ADD, ta, tb, tg, fv_tensor_make(NULL, 1, 2, 2, 2),
                                   fv_tensor_make(db, 1, 2, 1, 1)),
                 FV_OK);
    assert_near(db, (float[]){4, 4}, 2, 0, "add db, da not wanted");
}

typedef struct bin_ctx {
    fv_binary_kind k;
    int n, c, h, w, bc, bh, bw;
    int want_a, want_b;
} bin_ctx;

static size_t bin_na(const bin_ctx *c) { return (size_t)c->n * c->c * c->h * c->w; }

static void bin_gc_fwd(void *ctx, const float *x, float *y)
{
    bin_ctx *c = ctx;
    fv_tensor a = fv_tensor_make((float *)x, c->n, c->c, c->h, c->w);
    fv_tensor b = fv_tensor_make((float *)x + bin_na(c), c->n, c->bc, c->bh, c->bw);
    cr_assert_eq(fv_binary_fwd_cpu(c->k, a, b, fv_tensor_make(y, c->n, c->c, c->h, c->w)), FV_OK, "%s", fv_last_error());
}

static void bin_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    bin_ctx *c = ctx;
    fv_tensor a = fv_tensor_make((float *)x, c->n, c->c, c->h, c->w);
    fv_tensor b = fv_tensor_make((float *)x + bin_na(c), c->n, c->bc, c->bh, c->bw);
    fv_tensor da = fv_tensor_make(c->want_a ? dx : NULL, c->n, c->c, c->h, c->w);
    fv_tensor db = fv_tensor_make(c->want_b ? dx + bin_na(c) : NULL, c->n, c->bc, c->bh, c->bw);
    cr_assert_eq(fv_binary_bwd_cpu(c->k, a, b, fv_tensor_make((float *)dy, c->n, c->c, c->h, c->w), da, db), FV_OK,
                 "%s", fv_last_error());
}

Test(binary, gradcheck_both_inputs_every_broadcast)
{
    const int shapes[4][3] = {{3, 4, 5}, {3, 1, 1}, {1, 1, 1}, {1, 4, 5}}; /* b: same, per channel, scalar, map */
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < 4; s++) {
            bin_ctx c = {k ? FV_BINARY_MUL : FV_BINARY_ADD, 2, 3, 4, 5, shapes[s][0], shapes[s][1], shapes[s][2], 1, 1};
            size_t na = bin_na(&c), nb = (size_t)c.n * c.bc * c.bh * c.bw;
            float *x = falloc(na + nb);
            fv_gc_fill_uniform(800 + s, x, na + nb, -2, 2);
            char what[64];
            snprintf(what, sizeof what, "%s with b (%d,%d,%d)", k ? "mul" : "add", c.bc, c.bh, c.bw);
            assert_gradcheck(bin_gc_fwd, bin_gc_bwd, &c, x, na + nb, na, 810 + s, what);
            free(x);
        }
}

/* A gradient that is not wanted (data NULL) is not written; the other input's gradient is still added. */
Test(binary, one_input_only)
{
    bin_ctx c = {FV_BINARY_MUL, 1, 2, 3, 3, 2, 1, 1, 1, 0};
    size_t na = bin_na(&c), nb = 2;
    float x[20], dy[18], dx[20], da_ref[18];
    fv_gc_fill_uniform(830, x, na + nb, 0.5f, 2);
    fv_gc_fill_uniform(831, dy, na, -1, 1);
    for (int i = 0; i < 20; i++) dx[i] = 7;
    bin_gc_bwd(&c, x, dy, dx);
    for (size_t i = 0; i < na; i++) da_ref[i] = 7 + dy[i] * x[na + i / 9];
    assert_near(dx, da_ref, na, 1e-6, "da alone");
    assert_near(dx + na, (float[]){7, 7}, 2, 0, "db untouched");
}

/* ---------- affine, pad, copy ---------- */

Test(affine, forward_backward_hand_computed)
{
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[8], scale[2] = {2, -0.5f}, shift[2] = {1, 3}, dx[8] = {0};
    fv_tensor tx = fv_tensor_make(x, 1, 2, 2, 2), ty = fv_tensor_make(y, 1, 2, 2, 2);
    cr_assert_eq(fv_affine_fwd_cpu(tx, scale, shift, ty), FV_OK, "%s", fv_last_error());
    assert_near(y, (float[]){3, 5, 7, 9, 0.5f, 0, -0.5f, -1}, 8, 0, "affine");
    cr_assert_eq(fv_affine_fwd_cpu(tx, scale, NULL, ty), FV_OK);
    assert_near(y, (float[]){2, 4, 6, 8, -2.5f, -3, -3.5f, -4}, 8, 0, "scale only");
    cr_assert_eq(fv_affine_bwd_cpu(tx, scale, fv_tensor_make(dx, 1, 2, 2, 2)), FV_OK); /* dy = x */
    assert_near(dx, (float[]){2, 4, 6, 8, -2.5f, -3, -3.5f, -4}, 8, 0, "affine backward");
}

typedef struct pad_ctx {
    int kind; /* 0 affine, 1 pad, 2 copy (flatten) */
    fv_window pads;
    float *scale, *shift;
    int n, c, h, w;
} pad_ctx;

static fv_tensor pc_out(const pad_ctx *p, float *y)
{
    if (p->kind == 1)
        return fv_tensor_make(y, p->n, p->c, p->h + p->pads.pad_t + p->pads.pad_b, p->w + p->pads.pad_l + p->pads.pad_r);
    if (p->kind == 2) return fv_tensor_make(y, p->n, p->c * p->h * p->w, 1, 1);
    return fv_tensor_make(y, p->n, p->c, p->h, p->w);
}

static void pc_fwd(void *ctx, const float *x, float *y)
{
    pad_ctx *p = ctx;
    fv_tensor tx = fv_tensor_make((float *)x, p->n, p->c, p->h, p->w), ty = pc_out(p, y);
    fv_status st = p->kind == 0 ? fv_affine_fwd_cpu(tx, p->scale, p->shift, ty)
                   : p->kind == 1 ? fv_pad_fwd_cpu(&p->pads, 0.25f, tx, ty)
                                  : fv_copy_fwd_cpu(tx, ty);
    cr_assert_eq(st, FV_OK, "%s", fv_last_error());
}

static void pc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    pad_ctx *p = ctx;
    (void)x;
    fv_tensor td = fv_tensor_make(dx, p->n, p->c, p->h, p->w), tg = pc_out(p, (float *)dy);
    fv_status st = p->kind == 0 ? fv_affine_bwd_cpu(tg, p->scale, td)
                   : p->kind == 1 ? fv_pad_bwd_cpu(&p->pads, tg, td)
                                  : fv_copy_bwd_cpu(tg, td);
    cr_assert_eq(st, FV_OK, "%s", fv_last_error());
}

Test(pad, forward_hand_computed)
{
    float x[4] = {1, 2, 3, 4}, y[3 * 5];
    fv_window pads = {0};
    pads.pad_t = 1, pads.pad_l = 2, pads.pad_b = 0, pads.pad_r = 1;
    cr_assert_eq(fv_pad_fwd_cpu(&pads, -9, fv_tensor_make(x, 1, 1, 2, 2), fv_tensor_make(y, 1, 1, 3, 5)), FV_OK, "%s",
                 fv_last_error());
    assert_near(y, (float[]){-9, -9, -9, -9, -9, -9, -9, 1, 2, -9, -9, -9, 3, 4, -9}, 15, 0, "pad");
    float dx[4] = {1, 1, 1, 1}, dy[15];
    for (int i = 0; i < 15; i++) dy[i] = (float)i;
    cr_assert_eq(fv_pad_bwd_cpu(&pads, fv_tensor_make(dy, 1, 1, 3, 5), fv_tensor_make(dx, 1, 1, 2, 2)), FV_OK);
    assert_near(dx, (float[]){8, 9, 13, 14}, 4, 0, "pad backward: 1 + the crop");
}

Test(copy, flatten_hand_computed_and_into_a_slice)
{
    float x[2 * 6], y[2 * 6];
    for (int i = 0; i < 12; i++) x[i] = (float)i;
    cr_assert_eq(fv_copy_fwd_cpu(fv_tensor_make(x, 2, 2, 1, 3), fv_tensor_make(y, 2, 6, 1, 1)), FV_OK);
    assert_near(y, x, 12, 0, "flatten");
    /* into channels [1, 3) of a (2, 4, 1, 1) buffer: images 4 floats apart */
    float buf[8] = {-1, -1, -1, -1, -1, -1, -1, -1}, src[4] = {10, 11, 20, 21};
    fv_tensor slice = fv_tensor_slice(fv_tensor_make(buf, 2, 4, 1, 1), 1, 2);
    cr_assert_eq(fv_copy_fwd_cpu(fv_tensor_make(src, 2, 2, 1, 1), slice), FV_OK);
    assert_near(buf, (float[]){-1, 10, 11, -1, -1, 20, 21, -1}, 8, 0, "copy into a slice");
    float dsrc[4] = {1, 1, 1, 1};
    cr_assert_eq(fv_copy_bwd_cpu(slice, fv_tensor_make(dsrc, 2, 2, 1, 1)), FV_OK);
    assert_near(dsrc, (float[]){11, 12, 21, 22}, 4, 0, "copy backward from a slice");
}

Test(affine_pad_copy, gradcheck)
{
    float scale[3] = {1.5f, -0.7f, 0.2f}, shift[3] = {0.1f, 0.2f, -0.3f};
    fv_window pads = {0};
    pads.pad_t = 2, pads.pad_l = 0, pads.pad_b = 1, pads.pad_r = 3;
    const char *names[3] = {"affine", "pad", "copy"};
    for (int k = 0; k < 3; k++) {
        pad_ctx p = {k, pads, scale, shift, 2, 3, 4, 5};
        float x[120];
        fv_gc_fill_uniform(900 + k, x, 120, -2, 2);
        fv_tensor out = pc_out(&p, NULL);
        assert_gradcheck(pc_fwd, pc_bwd, &p, x, 120, (size_t)out.n * out.c * out.h * out.w, 910 + k, names[k]);
    }
}

/* ---------- convolution: groups, depthwise, dilation ---------- */

/* The definition in backend/ops.h, one multiply-add at a time (double sums). */
static void naive_conv(const fv_conv_desc *d, const float *x, int n, int h, int w, const float *wt, const float *bias,
                       float *y, int oh, int ow)
{
    const fv_window *k = &d->win;
    const int G = d->groups > 0 ? d->groups : 1, cig = d->cin / G, cog = d->cout / G;
    const int dh = d->dil_h > 0 ? d->dil_h : 1, dw = d->dil_w > 0 ? d->dil_w : 1;
    for (int b = 0; b < n; b++)
        for (int o = 0; o < d->cout; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double s = bias ? bias[o] : 0;
                    int g = o / cog;
                    for (int ci = 0; ci < cig; ci++)
                        for (int r = 0; r < k->kh; r++)
                            for (int q = 0; q < k->kw; q++) {
                                int iy = oy * k->sh - k->pad_t + r * dh, ix = ox * k->sw - k->pad_l + q * dw;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                s += (double)wt[((o * cig + ci) * k->kh + r) * k->kw + q] *
                                     x[(((long)b * d->cin + g * cig + ci) * h + iy) * w + ix];
                            }
                    y[(((long)b * d->cout + o) * oh + oy) * ow + ox] = (float)s;
                }
}

typedef struct conv_case {
    const char *name;
    fv_conv_desc d;
    int n, h, w;
} conv_case;

static const conv_case conv_cases[] = {
    {"groups 2, 3x3", {{3, 3, 1, 1, 1, 1, 1, 1}, 4, 6, 2, 1, 1}, 2, 7, 6},
    {"depthwise 3x3 s2", {{3, 3, 2, 2, 1, 1, 1, 1}, 5, 5, 5, 1, 1}, 2, 9, 8},
    {"depthwise x2 multiplier", {{3, 3, 1, 1, 0, 1, 2, 1}, 3, 6, 3, 0, 0}, 1, 6, 7},
    {"dilated 3x3 d2", {{3, 3, 1, 1, 2, 2, 2, 2}, 3, 4, 1, 2, 2}, 2, 9, 8},
    {"dilated 2x3 d(3,2) s2 asym", {{2, 3, 2, 2, 1, 0, 2, 1}, 2, 3, 1, 3, 2}, 1, 10, 9},
    {"grouped dilated 1x1", {{1, 1, 1, 1, 0, 0, 0, 0}, 6, 4, 2, 2, 2}, 2, 5, 4},
    {"depthwise dilated", {{3, 3, 1, 1, 2, 2, 2, 2}, 4, 4, 4, 2, 2}, 1, 8, 8},
};
#define NCONV ((int)(sizeof conv_cases / sizeof conv_cases[0]))

static void conv_out(const conv_case *c, int *oh, int *ow)
{
    *oh = fv_window_out(c->h, fv_conv_ext_h(&c->d), c->d.win.sh, c->d.win.pad_t, c->d.win.pad_b);
    *ow = fv_window_out(c->w, fv_conv_ext_w(&c->d), c->d.win.sw, c->d.win.pad_l, c->d.win.pad_r);
}

static size_t conv_nw(const conv_case *c)
{
    int G = c->d.groups > 0 ? c->d.groups : 1;
    return (size_t)c->d.cout * (c->d.cin / G) * c->d.win.kh * c->d.win.kw;
}

Test(conv_groups, forward_matches_naive_loop)
{
    for (int i = 0; i < NCONV; i++) {
        const conv_case *c = &conv_cases[i];
        int oh, ow;
        conv_out(c, &oh, &ow);
        size_t nx = (size_t)c->n * c->d.cin * c->h * c->w, ny = (size_t)c->n * c->d.cout * oh * ow, nw = conv_nw(c);
        float *x = falloc(nx), *wt = falloc(nw), *bias = falloc(c->d.cout), *y = falloc(ny), *ref = falloc(ny);
        float *work = falloc(fv_conv2d_workspace_cpu(&c->d, c->n, c->h, c->w));
        fv_gc_fill_uniform(1000 + i, x, nx, -1, 1);
        fv_gc_fill_uniform(1100 + i, wt, nw, -1, 1);
        fv_gc_fill_uniform(1200 + i, bias, c->d.cout, -1, 1);
        cr_assert_eq(fv_conv2d_fwd_cpu(&c->d, fv_tensor_make(x, c->n, c->d.cin, c->h, c->w), wt, bias,
                                       fv_tensor_make(y, c->n, c->d.cout, oh, ow), work),
                     FV_OK, "%s: %s", c->name, fv_last_error());
        naive_conv(&c->d, x, c->n, c->h, c->w, wt, bias, ref, oh, ow);
        assert_near(y, ref, ny, 1e-5, c->name);
        free(x), free(wt), free(bias), free(y), free(ref), free(work);
    }
}

typedef struct conv_gc {
    const conv_case *c;
    const float *wt;
    float *work;
    int oh, ow;
} conv_gc;

static void conv_gc_fwd(void *ctx, const float *x, float *y)
{
    conv_gc *g = ctx;
    const conv_case *c = g->c;
    cr_assert_eq(fv_conv2d_fwd_cpu(&c->d, fv_tensor_make((float *)x, c->n, c->d.cin, c->h, c->w), g->wt, NULL,
                                   fv_tensor_make(y, c->n, c->d.cout, g->oh, g->ow), g->work),
                 FV_OK);
}

static void conv_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    conv_gc *g = ctx;
    const conv_case *c = g->c;
    (void)x;
    cr_assert_eq(fv_conv2d_bwd_data_cpu(&c->d, fv_tensor_make((float *)dy, c->n, c->d.cout, g->oh, g->ow), g->wt,
                                        fv_tensor_make(dx, c->n, c->d.cin, c->h, c->w), g->work),
                 FV_OK);
}

Test(conv_groups, backward_gradcheck)
{
    for (int i = 0; i < NCONV; i++) {
        const conv_case *c = &conv_cases[i];
        conv_gc g = {c, NULL, NULL, 0, 0};
        conv_out(c, &g.oh, &g.ow);
        size_t nx = (size_t)c->n * c->d.cin * c->h * c->w, ny = (size_t)c->n * c->d.cout * g.oh * g.ow, nw = conv_nw(c);
        float *x = falloc(nx), *wt = falloc(nw);
        g.work = falloc(fv_conv2d_workspace_cpu(&c->d, c->n, c->h, c->w));
        g.wt = wt;
        fv_gc_fill_uniform(1300 + i, x, nx, -1, 1);
        fv_gc_fill_uniform(1400 + i, wt, nw, -1, 1);
        assert_gradcheck(conv_gc_fwd, conv_gc_bwd, &g, x, nx, ny, 1500 + i, c->name);
        free(x), free(wt), free(g.work);
    }
}

/* ---------- average pooling counting padding ---------- */

Test(pool_count_pad, hand_computed)
{
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[4];
    fv_tensor tx = fv_tensor_make(x, 1, 1, 3, 3), ty = fv_tensor_make(y, 1, 1, 2, 2);
    /* 2x2 s2, pads t0 l0 b1 r1: windows rows {0,1},{2,3}, cols alike; row and column 3 are padding. */
    fv_pool_desc d = {{2, 2, 2, 2, 0, 0, 1, 1}, FV_POOL_AVG, 0, 0, 0};
    cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_OK, "%s", fv_last_error());
    assert_near(y, (float[]){3, 4.5f, 7.5f, 9}, 4, 1e-6, "in-image count");
    d.count_pad = 1; /* the bottom/right pad is explicit: every window counts 4 */
    cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_OK);
    assert_near(y, (float[]){3, 2.25f, 3.75f, 2.25f}, 4, 1e-6, "count explicit padding");
    d.over_b = d.over_r = 1; /* the same pads from ceil-mode rounding: not counted */
    cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_OK);
    assert_near(y, (float[]){3, 4.5f, 7.5f, 9}, 4, 1e-6, "ceil overhang not counted");
    /* top/left padding: 2x2 s2 pads t1 l1: (0,0) sees x[0][0] alone over 4 positions */
    fv_pool_desc t = {{2, 2, 2, 2, 1, 1, 0, 0}, FV_POOL_AVG, 1, 0, 0};
    cr_assert_eq(fv_pool_fwd_cpu(&t, tx, ty), FV_OK);
    assert_near(y, (float[]){0.25f, 1.25f, 2.75f, 7}, 4, 1e-6, "count top/left padding");
    float dy[4] = {4, 4, 4, 4}, dx[9] = {0};
    cr_assert_eq(fv_pool_bwd_cpu(&t, tx, ty, fv_tensor_make(dy, 1, 1, 2, 2), fv_tensor_make(dx, 1, 1, 3, 3)), FV_OK);
    assert_near(dx, (float[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, 9, 1e-6, "count_pad backward: dy / 4 everywhere");
    d.over_b = 2; /* more overhang than padding */
    cr_assert_eq(fv_pool_fwd_cpu(&d, tx, ty), FV_ERR_SHAPE);
}

typedef struct pool_gc {
    fv_pool_desc d;
    int n, c, h, w, oh, ow;
    float *y;
} pool_gc;

static void pool_gc_fwd(void *ctx, const float *x, float *y)
{
    pool_gc *p = ctx;
    cr_assert_eq(fv_pool_fwd_cpu(&p->d, fv_tensor_make((float *)x, p->n, p->c, p->h, p->w),
                                 fv_tensor_make(y, p->n, p->c, p->oh, p->ow)),
                 FV_OK);
}

static void pool_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    pool_gc *p = ctx;
    fv_tensor tx = fv_tensor_make((float *)x, p->n, p->c, p->h, p->w), ty = fv_tensor_make(p->y, p->n, p->c, p->oh, p->ow);
    cr_assert_eq(fv_pool_fwd_cpu(&p->d, tx, ty), FV_OK);
    cr_assert_eq(fv_pool_bwd_cpu(&p->d, tx, ty, fv_tensor_make((float *)dy, p->n, p->c, p->oh, p->ow),
                                 fv_tensor_make(dx, p->n, p->c, p->h, p->w)),
                 FV_OK);
}

Test(pool_count_pad, gradcheck)
{
    fv_pool_desc descs[2] = {{{3, 3, 2, 2, 1, 1, 2, 1}, FV_POOL_AVG, 1, 1, 0}, {{3, 3, 1, 1, 1, 0, 1, 2}, FV_POOL_AVG, 1, 0, 0}};
    for (int k = 0; k < 2; k++) {
        pool_gc p = {descs[k], 2, 3, 7, 6, 0, 0, NULL};
        p.oh = fv_window_out(7, 3, p.d.win.sh, p.d.win.pad_t, p.d.win.pad_b);
        p.ow = fv_window_out(6, 3, p.d.win.sw, p.d.win.pad_l, p.d.win.pad_r);
        size_t ny = (size_t)2 * 3 * p.oh * p.ow;
        float x[2 * 3 * 7 * 6];
        p.y = falloc(ny);
        fv_gc_fill_uniform(1600 + k, x, sizeof x / sizeof *x, -1, 1);
        assert_gradcheck(pool_gc_fwd, pool_gc_bwd, &p, x, sizeof x / sizeof *x, ny, 1610 + k, "avg pool count_pad");
        free(p.y);
    }
}

/* ---------- checks ---------- */

Test(checks_onnx, refusals)
{
    float buf[512] = {0};
    fv_tensor a = fv_tensor_make(buf, 2, 3, 4, 4), y = fv_tensor_make(buf + 200, 2, 3, 4, 4);
    fv_tensor b_bad = fv_tensor_make(buf + 100, 2, 2, 1, 1), b_row = fv_tensor_make(buf + 100, 2, 3, 4, 1);
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_ADD, a, b_bad, y), FV_ERR_SHAPE);
    cr_assert(strstr(fv_last_error(), "binary forward: b (2,2,1,1) cannot be broadcast") != NULL, "%s", fv_last_error());
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_ADD, a, b_row, y), FV_ERR_SHAPE); /* h kept, w broadcast: not offered */
    cr_assert_eq(fv_binary_fwd_cpu((fv_binary_kind)7, a, a, y), FV_ERR_ARG);
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_MUL, a, y, y), FV_ERR_ARG); /* y is b's view */
    cr_assert_eq(fv_binary_bwd_cpu(FV_BINARY_MUL, a, b_bad, a, y, y), FV_ERR_SHAPE);
    fv_act_desc bad_clip = {FV_ACT_CLIP, 2, 1}, bad_kind = {(fv_act_kind)9, 0, 0};
    cr_assert_eq(fv_act_fwd_cpu(&bad_clip, a, y), FV_ERR_ARG);
    cr_assert_eq(fv_act_fwd_cpu(&bad_kind, a, y), FV_ERR_ARG);
    cr_assert_eq(fv_act_fwd_cpu(NULL, a, y), FV_ERR_ARG);
    cr_assert_eq(fv_affine_fwd_cpu(a, NULL, NULL, y), FV_ERR_ARG);
    fv_window pads = {0};
    pads.pad_t = 1;
    cr_assert_eq(fv_pad_fwd_cpu(&pads, 0, a, y), FV_ERR_SHAPE);
    pads.pad_t = -1;
    cr_assert_eq(fv_pad_fwd_cpu(&pads, 0, a, y), FV_ERR_ARG);
    cr_assert_eq(fv_copy_fwd_cpu(a, fv_tensor_make(buf + 200, 2, 47, 1, 1)), FV_ERR_SHAPE);
    cr_assert_eq(fv_copy_fwd_cpu(a, fv_tensor_make(buf + 200, 2, 48, 1, 1)), FV_OK);
    float w[1024] = {0}, work[4096];
    fv_conv_desc c = {{3, 3, 1, 1, 1, 1, 1, 1}, 3, 6, 2, 1, 1}; /* 3 input channels in 2 groups */
    cr_assert_eq(fv_conv2d_fwd_cpu(&c, a, w, NULL, fv_tensor_make(buf + 200, 2, 6, 4, 4), work), FV_ERR_SHAPE);
    c.groups = 3;
    c.dil_h = -1;
    cr_assert_eq(fv_conv2d_fwd_cpu(&c, a, w, NULL, fv_tensor_make(buf + 200, 2, 6, 4, 4), work), FV_ERR_SHAPE);
    c.dil_h = 3; /* extent 7 > 4 + 2 */
    cr_assert_eq(fv_conv2d_fwd_cpu(&c, a, w, NULL, fv_tensor_make(buf + 200, 2, 6, 4, 4), work), FV_ERR_SHAPE);
    cr_assert(strstr(fv_last_error(), "kernel 7x3 larger than padded input") != NULL, "%s", fv_last_error());
}

/* ---------- through a backend instance ---------- */

Test(backend_onnx, cpu_instance_calls_the_twins)
{
    fv_backend *be = fv_test_cpu();
    float x[8] = {-2, -1, 0, 1, 2, 3, 4, 5}, y[8], b[2] = {1, 2}, dx[8] = {0}, db[2] = {0};
    fv_tensor tx = fv_tensor_make(x, 1, 2, 2, 2), ty = fv_tensor_make(y, 1, 2, 2, 2), tb = fv_tensor_make(b, 1, 2, 1, 1);
    fv_act_desc relu6 = {FV_ACT_CLIP, 0, 6};
    cr_assert_eq(fv_act_fwd(be, &relu6, tx, ty), FV_OK);
    assert_near(y, (float[]){0, 0, 0, 1, 2, 3, 4, 5}, 8, 0, "act");
    cr_assert_eq(fv_act_bwd(be, &relu6, tx, tx, fv_tensor_make(dx, 1, 2, 2, 2)), FV_OK);
    assert_near(dx, (float[]){0, 0, 0, 1, 2, 3, 4, 5}, 8, 0, "act backward");
    cr_assert_eq(fv_binary_fwd(be, FV_BINARY_MUL, tx, tb, ty), FV_OK);
    assert_near(y, (float[]){-2, -1, 0, 1, 4, 6, 8, 10}, 8, 0, "binary");
    cr_assert_eq(fv_binary_bwd(be, FV_BINARY_ADD, tx, tb, tx, fv_tensor_make(NULL, 1, 2, 2, 2), fv_tensor_make(db, 1, 2, 1, 1)),
                 FV_OK);
    assert_near(db, (float[]){-2, 14}, 2, 0, "binary backward");
    cr_assert_eq(fv_affine_fwd(be, tx, b, b, ty), FV_OK);
    assert_near(y, (float[]){-1, 0, 1, 2, 6, 8, 10, 12}, 8, 0, "affine");
    memset(dx, 0, sizeof dx);
    cr_assert_eq(fv_affine_bwd(be, tx, b, fv_tensor_make(dx, 1, 2, 2, 2)), FV_OK);
    assert_near(dx, (float[]){-2, -1, 0, 1, 4, 6, 8, 10}, 8, 0, "affine backward");
    fv_window pads = {0};
    pads.pad_r = 1;
    float yp[12], dxp[8] = {0};
    cr_assert_eq(fv_pad_fwd(be, &pads, 9, tx, fv_tensor_make(yp, 1, 2, 2, 3)), FV_OK);
    assert_near(yp, (float[]){-2, -1, 9, 0, 1, 9, 2, 3, 9, 4, 5, 9}, 12, 0, "pad");
    cr_assert_eq(fv_pad_bwd(be, &pads, fv_tensor_make(yp, 1, 2, 2, 3), fv_tensor_make(dxp, 1, 2, 2, 2)), FV_OK);
    assert_near(dxp, x, 8, 0, "pad backward");
    cr_assert_eq(fv_copy_fwd(be, tx, fv_tensor_make(y, 1, 8, 1, 1)), FV_OK);
    assert_near(y, x, 8, 0, "copy");
    memset(dx, 0, sizeof dx);
    cr_assert_eq(fv_copy_bwd(be, fv_tensor_make(y, 1, 8, 1, 1), fv_tensor_make(dx, 1, 2, 2, 2)), FV_OK);
    assert_near(dx, x, 8, 0, "copy backward");
}

/* ---------- the plan: the new node kinds in a graph ---------- */

typedef struct plan_gc {
    tiny_net *t;
    fv_plan *p;
} plan_gc;

static void plan_gc_fwd(void *ctx, const float *x, float *y)
{
    plan_gc *g = ctx;
    fv_tensor in = g->p->act[g->t->input], out = g->p->act[g->t->out];
    memcpy(in.data, x, sizeof(float) * in.n * fv_tensor_chw(in));
    cr_assert_eq(fv_plan_forward(g->p), FV_OK, "%s", fv_last_error());
    memcpy(y, out.data, sizeof(float) * out.n * fv_tensor_chw(out));
}

static void plan_gc_bwd(void *ctx, const float *x, const float *dy, float *dx)
{
    plan_gc *g = ctx;
    float *y = falloc((size_t)g->p->n * 90);
    plan_gc_fwd(ctx, x, y);
    free(y);
    cr_assert_eq(fv_plan_zero_grad(g->p), FV_OK);
    fv_tensor gin = g->p->grad[g->t->input], gout = g->p->grad[g->t->out];
    memcpy(gout.data, dy, sizeof(float) * gout.n * fv_tensor_chw(gout));
    cr_assert_eq(fv_plan_backward(g->p, 0), FV_OK, "%s", fv_last_error());
    for (long i = 0; i < gin.n * fv_tensor_chw(gin); i++) dx[i] += gin.data[i];
}

Test(plan_onnx, residual_and_squeeze_excitation_gradcheck)
{
    tiny_net t;
    tiny_build(&t);
    int hs[13], ws[13];
    cr_assert_eq(fv_net_shapes(&t.net, 8, 8, hs, ws), FV_OK, "%s", fv_last_error());
    cr_assert(hs[t.p] == 11 && ws[t.p] == 9, "pad gives %dx%d", ws[t.p], hs[t.p]);
    cr_assert(hs[t.q] == 6 && ws[t.q] == 5 && hs[t.out] == 1 && ws[t.out] == 1, "pool %dx%d", ws[t.q], hs[t.q]);
    fv_plan *p;
    cr_assert_eq(fv_plan_create(&t.net, fv_test_cpu(), 2, 8, 8, &t.out, 1, &p), FV_OK, "%s", fv_last_error());
    for (int i = 0; i < t.net.nnodes; i++) cr_assert(p->needed[i], "node %s not run", t.net.nodes[i].name);
    float x[2 * 3 * 64];
    fv_gc_fill_uniform(2100, x, sizeof x / sizeof *x, -1, 1);
    plan_gc g = {&t, p};
    assert_gradcheck(plan_gc_fwd, plan_gc_bwd, &g, x, sizeof x / sizeof *x, 2 * 90, 2101, "tiny ONNX-style net");
    fv_plan_free(p);
    fv_net_free(&t.net);
}

/* The plan's forward against the same chain of CPU twins called here by hand. */
Test(plan_onnx, forward_is_the_chain_of_ops)
{
    tiny_net t;
    tiny_build(&t);
    fv_plan *p;
    cr_assert_eq(fv_plan_create(&t.net, fv_test_cpu(), 2, 8, 8, &t.out, 1, &p), FV_OK, "%s", fv_last_error());
    float x[384];
    fv_gc_fill_uniform(2200, x, 384, -1, 1);
    memcpy(p->act[t.input].data, x, sizeof x);
    cr_assert_eq(fv_plan_forward(p), FV_OK, "%s", fv_last_error());
    float c1[768], a1[768], c2[384], r[384], s[6], s1[6], s2[6], e[384], f[384], pd[2 * 3 * 99], q[180], work[4096];
    fv_conv_desc d1 = {{3, 3, 1, 1, 1, 1, 1, 1}, 3, 6, 3, 1, 1}, d2 = {{3, 3, 1, 1, 2, 2, 2, 2}, 6, 3, 3, 2, 2};
    fv_conv_desc d3 = {{1, 1, 1, 1, 0, 0, 0, 0}, 3, 3, 1, 1, 1};
    fv_act_desc hsw = {FV_ACT_HARDSWISH, 0, 0}, sig = {FV_ACT_SIGMOID, 0, 0};
    fv_pool_desc gp = {{8, 8, 1, 1, 0, 0, 0, 0}, FV_POOL_AVG, 0, 0, 0};
    fv_pool_desc qp = {{3, 3, 2, 2, 1, 1, 1, 1}, FV_POOL_AVG, 1, 1, 1}; /* both end pads from ceil mode */
    fv_window pads = {0};
    pads.pad_t = 1, pads.pad_b = 2, pads.pad_r = 1;
#define T(ptr, c, h, w) fv_tensor_make(ptr, 2, c, h, w)
    cr_assert_eq(fv_conv2d_fwd_cpu(&d1, T(x, 3, 8, 8), t.w1, t.b1, T(c1, 6, 8, 8), work), FV_OK);
    cr_assert_eq(fv_act_fwd_cpu(&hsw, T(c1, 6, 8, 8), T(a1, 6, 8, 8)), FV_OK);
    cr_assert_eq(fv_conv2d_fwd_cpu(&d2, T(a1, 6, 8, 8), t.w2, t.b2, T(c2, 3, 8, 8), work), FV_OK);
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_ADD, T(c2, 3, 8, 8), T(x, 3, 8, 8), T(r, 3, 8, 8)), FV_OK);
    cr_assert_eq(fv_pool_fwd_cpu(&gp, T(r, 3, 8, 8), T(s, 3, 1, 1)), FV_OK);
    cr_assert_eq(fv_conv2d_fwd_cpu(&d3, T(s, 3, 1, 1), t.ws, t.bs, T(s1, 3, 1, 1), work), FV_OK);
    cr_assert_eq(fv_act_fwd_cpu(&sig, T(s1, 3, 1, 1), T(s2, 3, 1, 1)), FV_OK);
    cr_assert_eq(fv_binary_fwd_cpu(FV_BINARY_MUL, T(r, 3, 8, 8), T(s2, 3, 1, 1), T(e, 3, 8, 8)), FV_OK);
    cr_assert_eq(fv_affine_fwd_cpu(T(e, 3, 8, 8), t.sc, t.sh, T(f, 3, 8, 8)), FV_OK);
    cr_assert_eq(fv_pad_fwd_cpu(&pads, 0.5f, T(f, 3, 8, 8), T(pd, 3, 11, 9)), FV_OK);
    cr_assert_eq(fv_pool_fwd_cpu(&qp, T(pd, 3, 11, 9), T(q, 3, 6, 5)), FV_OK, "%s", fv_last_error());
#undef T
    assert_near(p->act[t.out].data, q, 180, 0, "plan forward vs the ops by hand");
    fv_plan_free(p);
    fv_net_free(&t.net);
}

Test(plan_onnx, shape_errors_name_the_layer)
{
    tiny_net t;
    tiny_build(&t);
    int hs[13], ws[13];
    cr_assert_eq(fv_net_shapes(&t.net, 10, 8, hs, ws), FV_ERR_ARG); /* flatten then gives 3*7*5 = 105, not 90 */
    cr_assert(strstr(fv_last_error(), "layer 'out': flattening 5x7 gives 105 features, not the 90 of 'out'") != NULL,
              "%s", fv_last_error());
    t.net.tensors[t.s2].c = 2; /* a 2-channel scale for a 3-channel tensor */
    cr_assert_eq(fv_net_shapes(&t.net, 8, 8, hs, ws), FV_ERR_SHAPE);
    cr_assert(strstr(fv_last_error(), "layer 'e': 's2' (2, 1x1) cannot be broadcast to 'r' (3, 8x8)") != NULL, "%s",
              fv_last_error());
    fv_net_free(&t.net);
}

/* Geometry of the new kinds: a dilated kernel's extent in the receptive field, a broadcast operand that saw the
 * whole image, flatten; grouped convolutions' multiply-adds. */
Test(plan_onnx, receptive_field_and_macs)
{
    tiny_net t;
    tiny_build(&t);
    int rf, jump;
    cr_assert_eq(fv_net_receptive_field(&t.net, t.c1, &rf, &jump), FV_OK);
    cr_assert_eq(rf, 3);
    cr_assert_eq(fv_net_receptive_field(&t.net, t.c2, &rf, &jump), FV_OK);
    cr_assert_eq(rf, 7, "3 + (5 - 1) for the 3x3 kernel dilated by 2: %d", rf);
    cr_assert_eq(fv_net_receptive_field(&t.net, t.r, &rf, &jump), FV_OK);
    cr_assert_eq(rf, 7, "the residual sum: the larger of 7 and the input's 1: %d", rf);
    cr_assert_eq(fv_net_receptive_field(&t.net, t.e, &rf, &jump), FV_OK);
    cr_assert_eq(rf, -1, "scaled by a global pool's result: the whole image (%d)", rf);
    /* c1: 6 outputs x 1 input channel x 9 taps x 64; c2: 3 x 2 x 9 x 64; s1: 3 x 3 */
    double macs = fv_net_forward_macs(&t.net, 8, 8, &t.out, 1);
    cr_assert(fabs(macs - (3456 + 3456 + 9)) < 0.5, "macs %.0f", macs);
    fv_net_free(&t.net);
}
