/* Each op's argument checks, written once (backend/checks.h): both twins of an op call the same function
 * before they touch memory, so a bad view, descriptor or pointer fails alike on every backend. */
#include <math.h>

#include "checks.h"

int fv_view_ok(fv_tensor t)
{
    return t.data && t.n >= 1 && t.c >= 1 && t.h >= 1 && t.w >= 1 && t.bstride >= fv_tensor_chw(t);
}

int fv_same_shape(fv_tensor a, fv_tensor b) { return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w; }

/* ---------- network ops ---------- */

static int window_ok(const fv_window *w)
{
    return w->kh >= 1 && w->kw >= 1 && w->sh >= 1 && w->sw >= 1 && w->pad_t >= 0 && w->pad_l >= 0 && w->pad_b >= 0 &&
           w->pad_r >= 0;
}

/* The padded input holds at least one window. */
static fv_status window_fits(const char *op, const fv_window *w, fv_tensor in, const char *what)
{
    if (in.h + w->pad_t + w->pad_b < w->kh || in.w + w->pad_l + w->pad_r < w->kw)
        return fv_fail(FV_ERR_SHAPE, "%s: %s %dx%d larger than padded input %dx%d", op, what, w->kh, w->kw, in.h,
                       in.w);
    return FV_OK;
}

fv_status fv_check_conv_desc(const char *op, const fv_conv_desc *d)
{
    if (!d) return fv_fail(FV_ERR_ARG, "%s: no descriptor", op);
    const fv_window *w = &d->win;
    if (d->cin < 1 || d->cout < 1 || !window_ok(w))
        return fv_fail(FV_ERR_SHAPE, "%s: bad descriptor (cin %d cout %d k %dx%d s %dx%d pads %d/%d/%d/%d)", op, d->cin,
                       d->cout, w->kh, w->kw, w->sh, w->sw, w->pad_t, w->pad_l, w->pad_b, w->pad_r);
    const int g = fv_conv_groups(d);
    if (d->groups < 0 || d->dil_h < 0 || d->dil_w < 0 || d->cin % g || d->cout % g)
        return fv_fail(FV_ERR_SHAPE, "%s: bad descriptor (cin %d cout %d groups %d dilations %dx%d)", op, d->cin,
                       d->cout, d->groups, d->dil_h, d->dil_w);
    return FV_OK;
}

fv_status fv_check_conv2d(const char *op, const fv_conv_desc *d, fv_tensor in, fv_tensor out, const float *wt)
{
    FV_TRY(fv_check_conv_desc(op, d));
    if (!fv_view_ok(in) || !fv_view_ok(out)) return fv_fail(FV_ERR_SHAPE, "%s: empty or inconsistent view", op);
    fv_window w[1] = {d->win}; /* the dilated kernel's extent */
    w->kh = fv_conv_ext_h(d);
    w->kw = fv_conv_ext_w(d);
    FV_TRY(window_fits(op, w, in, "kernel"));
    int oh = fv_window_out(in.h, w->kh, w->sh, w->pad_t, w->pad_b);
    int ow = fv_window_out(in.w, w->kw, w->sw, w->pad_l, w->pad_r);
    if (in.c != d->cin || out.c != d->cout || out.n != in.n || out.h != oh || out.w != ow)
        return fv_fail(FV_ERR_SHAPE,
                       "%s: input (%d,%d,%d,%d) and output (%d,%d,%d,%d) do not fit cin %d cout %d "
                       "(expected output %dx%d)",
                       op, in.n, in.c, in.h, in.w, out.n, out.c, out.h, out.w, d->cin, d->cout, oh, ow);
    if (!wt) return fv_fail(FV_ERR_ARG, "%s: no weights", op);
    return FV_OK;
}

/* x and y: one shape, both non-empty (relu, lrn and softmax forward). */
static fv_status alike2(const char *op, fv_tensor x, fv_tensor y)
{
    if (!fv_view_ok(x) || !fv_view_ok(y) || !fv_same_shape(x, y))
        return fv_fail(FV_ERR_SHAPE, "%s: x (%d,%d,%d,%d) and y (%d,%d,%d,%d) differ or are empty", op, x.n, x.c, x.h,
                       x.w, y.n, y.c, y.h, y.w);
    return FV_OK;
}

fv_status fv_check_relu_fwd(const char *op, fv_tensor x, fv_tensor y) { return alike2(op, x, y); }

fv_status fv_check_relu_bwd(const char *op, fv_tensor x, fv_tensor dy, fv_tensor dx)
{
    if (!fv_view_ok(x) || !fv_view_ok(dy) || !fv_view_ok(dx) || !fv_same_shape(x, dy) || !fv_same_shape(x, dx))
        return fv_fail(FV_ERR_SHAPE, "%s: x (%d,%d,%d,%d), dy (%d,%d,%d,%d), dx (%d,%d,%d,%d) differ or are empty",
                       op, x.n, x.c, x.h, x.w, dy.n, dy.c, dy.h, dy.w, dx.n, dx.c, dx.h, dx.w);
    return FV_OK;
}

fv_status fv_check_pool_fwd(const char *op, const fv_pool_desc *d, fv_tensor x, fv_tensor y)
{
    if (!d) return fv_fail(FV_ERR_ARG, "%s: no descriptor", op);
    const fv_window *k = &d->win;
    if (!window_ok(k) || (d->kind != FV_POOL_MAX && d->kind != FV_POOL_AVG) || d->over_b < 0 || d->over_r < 0 ||
        d->over_b > k->pad_b || d->over_r > k->pad_r)
        return fv_fail(FV_ERR_SHAPE, "%s: bad descriptor (k %dx%d s %dx%d pads %d/%d/%d/%d over %d/%d kind %d)", op,
                       k->kh, k->kw, k->sh, k->sw, k->pad_t, k->pad_l, k->pad_b, k->pad_r, d->over_b, d->over_r,
                       (int)d->kind);
    if (!fv_view_ok(x) || !fv_view_ok(y)) return fv_fail(FV_ERR_SHAPE, "%s: empty or inconsistent view", op);
    FV_TRY(window_fits(op, k, x, "window"));
    int oh = fv_window_out(x.h, k->kh, k->sh, k->pad_t, k->pad_b);
    int ow = fv_window_out(x.w, k->kw, k->sw, k->pad_l, k->pad_r);
    if (y.n != x.n || y.c != x.c || y.h != oh || y.w != ow)
        return fv_fail(FV_ERR_SHAPE, "%s: input (%d,%d,%d,%d) gives output (%d,%d,%d,%d), not (%d,%d,%d,%d)", op, x.n,
                       x.c, x.h, x.w, x.n, x.c, oh, ow, y.n, y.c, y.h, y.w);
    return FV_OK;
}

fv_status fv_check_pool_bwd(const char *op, const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                            fv_tensor dx)
{
    FV_TRY(fv_check_pool_fwd(op, d, x, y));
    if (!fv_view_ok(dy) || !fv_view_ok(dx) || !fv_same_shape(dy, y) || !fv_same_shape(dx, x))
        return fv_fail(FV_ERR_SHAPE, "%s: dy (%d,%d,%d,%d) / dx (%d,%d,%d,%d) do not match y / x", op, dy.n, dy.c,
                       dy.h, dy.w, dx.n, dx.c, dx.h, dx.w);
    return FV_OK;
}

static fv_status lrn_desc(const char *op, const fv_lrn_desc *d)
{
    if (!d) return fv_fail(FV_ERR_ARG, "%s: no descriptor", op);
    if (d->size < 1 || d->size % 2 == 0 || !(d->k > 0.0f) || !(d->alpha >= 0.0f) || !isfinite(d->beta))
        return fv_fail(FV_ERR_SHAPE, "%s: bad descriptor (size %d alpha %g beta %g k %g)", op, d->size,
                       (double)d->alpha, (double)d->beta, (double)d->k);
    return FV_OK;
}

fv_status fv_check_lrn_fwd(const char *op, const fv_lrn_desc *d, fv_tensor x, fv_tensor y)
{
    FV_TRY(lrn_desc(op, d));
    FV_TRY(alike2(op, x, y));
    if (x.data == y.data) return fv_fail(FV_ERR_ARG, "%s: x and y must not alias", op);
    return FV_OK;
}

fv_status fv_check_lrn_bwd(const char *op, const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                           fv_tensor dx)
{
    FV_TRY(lrn_desc(op, d));
    if (!fv_view_ok(x) || !fv_view_ok(y) || !fv_view_ok(dy) || !fv_view_ok(dx) || !fv_same_shape(x, y) ||
        !fv_same_shape(x, dy) || !fv_same_shape(x, dx))
        return fv_fail(FV_ERR_SHAPE, "%s: x (%d,%d,%d,%d), y, dy, dx must all share one shape", op, x.n, x.c, x.h,
                       x.w);
    return FV_OK;
}

fv_status fv_check_fc_fwd(const char *op, fv_tensor x, const float *wt, int nout, fv_tensor y)
{
    if (!fv_view_ok(x) || !fv_view_ok(y) || nout < 1 || y.n != x.n || y.c != nout || y.h != 1 || y.w != 1)
        return fv_fail(FV_ERR_SHAPE, "%s: x (%d,%d,%d,%d) -> y (%d,%d,%d,%d) does not fit nout %d", op, x.n, x.c, x.h,
                       x.w, y.n, y.c, y.h, y.w, nout);
    if (!wt) return fv_fail(FV_ERR_ARG, "%s: no weights", op);
    return FV_OK;
}

fv_status fv_check_fc_bwd(const char *op, fv_tensor dy, const float *wt, fv_tensor dx)
{
    if (!fv_view_ok(dy) || !fv_view_ok(dx) || dy.n != dx.n || dy.h != 1 || dy.w != 1)
        return fv_fail(FV_ERR_SHAPE, "%s: dy (%d,%d,%d,%d) is not (%d, nout, 1, 1) for dx (%d,%d,%d,%d)", op, dy.n,
                       dy.c, dy.h, dy.w, dx.n, dx.n, dx.c, dx.h, dx.w);
    if (!wt) return fv_fail(FV_ERR_ARG, "%s: no weights", op);
    return FV_OK;
}

fv_status fv_check_softmax_fwd(const char *op, fv_tensor x, fv_tensor y) { return alike2(op, x, y); }

fv_status fv_check_softmax_bwd(const char *op, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    if (!fv_view_ok(y) || !fv_view_ok(dy) || !fv_view_ok(dx) || !fv_same_shape(y, dy) || !fv_same_shape(y, dx))
        return fv_fail(FV_ERR_SHAPE, "%s: y (%d,%d,%d,%d), dy, dx must share one shape", op, y.n, y.c, y.h, y.w);
    /* cuDNN refuses y and dy of different strides (cudnnSoftmaxBackward, BAD_PARAM); both twins refuse alike */
    if (y.bstride != dy.bstride)
        return fv_fail(FV_ERR_SHAPE, "%s: y and dy must share one layout (image strides %ld and %ld)", op, y.bstride,
                       dy.bstride);
    return FV_OK;
}

/* ---------- the ONNX operators ---------- */

static fv_status act_desc(const char *op, const fv_act_desc *d)
{
    if (!d) return fv_fail(FV_ERR_ARG, "%s: no descriptor", op);
    if (d->kind < FV_ACT_LEAKY || d->kind > FV_ACT_HARDSWISH || !isfinite(d->a) || !isfinite(d->b) ||
        (d->kind == FV_ACT_CLIP && d->a > d->b))
        return fv_fail(FV_ERR_ARG, "%s: bad descriptor (kind %d a %g b %g)", op, (int)d->kind, (double)d->a,
                       (double)d->b);
    return FV_OK;
}

fv_status fv_check_act_fwd(const char *op, const fv_act_desc *d, fv_tensor x, fv_tensor y)
{
    FV_TRY(act_desc(op, d));
    return alike2(op, x, y);
}

fv_status fv_check_act_bwd(const char *op, const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(act_desc(op, d));
    return fv_check_relu_bwd(op, x, dy, dx);
}

/* b fits a: (n, c or 1, h or 1, w or 1), its spatial extent a's or 1x1. */
static fv_status binary_operands(const char *op, fv_binary_kind k, fv_tensor a, fv_tensor b)
{
    if (k != FV_BINARY_ADD && k != FV_BINARY_MUL) return fv_fail(FV_ERR_ARG, "%s: unknown kind %d", op, (int)k);
    int spatial = (b.h == a.h && b.w == a.w) || (b.h == 1 && b.w == 1);
    if (!fv_view_ok(a) || !fv_view_ok(b) || b.n != a.n || (b.c != a.c && b.c != 1) || !spatial)
        return fv_fail(FV_ERR_SHAPE, "%s: b (%d,%d,%d,%d) cannot be broadcast to a (%d,%d,%d,%d)", op, b.n, b.c, b.h,
                       b.w, a.n, a.c, a.h, a.w);
    return FV_OK;
}

fv_status fv_check_binary_fwd(const char *op, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y)
{
    FV_TRY(binary_operands(op, k, a, b));
    FV_TRY(alike2(op, a, y));
    if (y.data == b.data) return fv_fail(FV_ERR_ARG, "%s: y must not be b's view", op);
    return FV_OK;
}

fv_status fv_check_binary_bwd(const char *op, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy, fv_tensor da,
                              fv_tensor db)
{
    FV_TRY(binary_operands(op, k, a, b));
    if (!fv_view_ok(dy) || !fv_same_shape(dy, a) || (da.data && (!fv_view_ok(da) || !fv_same_shape(da, a))) ||
        (db.data && (!fv_view_ok(db) || !fv_same_shape(db, b))))
        return fv_fail(FV_ERR_SHAPE, "%s: dy (%d,%d,%d,%d), da, db do not match a (%d,%d,%d,%d) and b (%d,%d,%d,%d)",
                       op, dy.n, dy.c, dy.h, dy.w, a.n, a.c, a.h, a.w, b.n, b.c, b.h, b.w);
    return FV_OK;
}

fv_status fv_check_affine_fwd(const char *op, fv_tensor x, const float *scale, fv_tensor y)
{
    FV_TRY(alike2(op, x, y));
    if (!scale) return fv_fail(FV_ERR_ARG, "%s: no scale", op);
    return FV_OK;
}

fv_status fv_check_affine_bwd(const char *op, fv_tensor dy, const float *scale, fv_tensor dx)
{
    return fv_check_affine_fwd(op, dy, scale, dx);
}

fv_status fv_check_pad(const char *op, const fv_window *pads, fv_tensor x, fv_tensor y)
{
    if (!pads) return fv_fail(FV_ERR_ARG, "%s: no pads", op);
    if (pads->pad_t < 0 || pads->pad_l < 0 || pads->pad_b < 0 || pads->pad_r < 0)
        return fv_fail(FV_ERR_ARG, "%s: negative pads %d/%d/%d/%d", op, pads->pad_t, pads->pad_l, pads->pad_b,
                       pads->pad_r);
    if (!fv_view_ok(x) || !fv_view_ok(y) || y.n != x.n || y.c != x.c || y.h != x.h + pads->pad_t + pads->pad_b ||
        y.w != x.w + pads->pad_l + pads->pad_r)
        return fv_fail(FV_ERR_SHAPE, "%s: x (%d,%d,%d,%d) padded by %d/%d/%d/%d is not y (%d,%d,%d,%d)", op, x.n, x.c,
                       x.h, x.w, pads->pad_t, pads->pad_l, pads->pad_b, pads->pad_r, y.n, y.c, y.h, y.w);
    return FV_OK;
}

fv_status fv_check_copy(const char *op, fv_tensor x, fv_tensor y)
{
    if (!fv_view_ok(x) || !fv_view_ok(y) || x.n != y.n || fv_tensor_chw(x) != fv_tensor_chw(y))
        return fv_fail(FV_ERR_SHAPE, "%s: x (%d,%d,%d,%d) and y (%d,%d,%d,%d) hold different counts per image", op,
                       x.n, x.c, x.h, x.w, y.n, y.c, y.h, y.w);
    return FV_OK;
}

/* ---------- parameterisation ops ---------- */

fv_status fv_check_fft_plan(const char *op, int n, int h, int w, const void *out)
{
    if (!out) return fv_fail(FV_ERR_ARG, "%s: NULL output pointer", op);
    if (n <= 0 || h <= 0 || w <= 0) return fv_fail(FV_ERR_ARG, "%s: bad shape n=%d h=%d w=%d", op, n, h, w);
    return FV_OK;
}

fv_status fv_check_fft_call(const char *op, const void *plan, const void *a, const void *scale, const void *b)
{
    if (!plan || !a || !scale || !b) return fv_fail(FV_ERR_ARG, "%s: NULL argument", op);
    return FV_OK;
}

fv_status fv_check_colour(const char *op, int n, int hw, const void *a, const void *b, const void *c)
{
    if (n < 0 || hw < 0 || !a || !b || !c) return fv_fail(FV_ERR_ARG, "%s: bad arguments", op);
    return FV_OK;
}

fv_status fv_check_resample(const char *op, int n, int c, int h, int w, int oh, int ow, const void *a,
                            const void *b, const fv_affine *maps)
{
    if (n < 0 || c < 0 || h <= 0 || w <= 0 || oh < 0 || ow < 0 || !a || !b || !maps)
        return fv_fail(FV_ERR_ARG, "%s: bad arguments (n=%d c=%d %dx%d -> %dx%d)", op, n, c, h, w, oh, ow);
    return FV_OK;
}

fv_status fv_check_tfchain(const char *op, int nimg, int c, const fv_tfchain *ch, const void *a, const void *b)
{
    if (nimg < 0 || c < 0 || !a || !b || (nimg && !ch))
        return fv_fail(FV_ERR_ARG, "%s: bad arguments (n=%d c=%d)", op, nimg, c);
    for (int i = 0; i < nimg; i++) {
        const fv_tfchain *k = &ch[i];
        if (k->size < 1 || k->pad < 0 || k->c1 < 1 || k->m < 1 || k->n < 1 || k->ox1 < 0 || k->oy1 < 0 ||
            k->ox1 + k->c1 > k->size + 2 * k->pad || k->oy1 + k->c1 > k->size + 2 * k->pad || k->ox2 < 0 ||
            k->oy2 < 0 || k->ox2 + k->n > k->m || k->oy2 + k->n > k->m)
            return fv_fail(FV_ERR_ARG,
                           "%s: image %d: inconsistent chain (S=%d pad=%d crop %d at %d,%d, canvas %d, out %d at "
                           "%d,%d)",
                           op, i, k->size, k->pad, k->c1, k->ox1, k->oy1, k->m, k->n, k->ox2, k->oy2);
        if (k->size != ch[0].size || k->m != ch[0].m || k->n != ch[0].n)
            return fv_fail(FV_ERR_ARG, "%s: image %d has another size than image 0 (a batch shares its canvas)", op, i);
    }
    return FV_OK;
}

static int perm_ok(const int perm[3])
{
    if (!perm) return 0;
    int seen = 0;
    for (int c = 0; c < 3; c++) {
        if (perm[c] < 0 || perm[c] > 2) return 0;
        seen |= 1 << perm[c];
    }
    return seen == 7;
}

/* The preprocessing's divisors: finite and > 0 (a zero would make every input infinite). */
static fv_status preprocess_std(const char *op, const float *std)
{
    if (!std) return fv_fail(FV_ERR_ARG, "%s: no std", op);
    for (int c = 0; c < 3; c++)
        if (!(std[c] > 0) || !isfinite(std[c]))
            return fv_fail(FV_ERR_ARG, "%s: std[%d] = %g: expected a finite number > 0", op, c, (double)std[c]);
    return FV_OK;
}

fv_status fv_check_preprocess_fwd(const char *op, int n, int hw, const int perm[3], const float *mean,
                                  const float *std, const float *rgb, const float *out)
{
    if (n < 0 || hw < 0 || !mean || !rgb || !out || !perm_ok(perm)) return fv_fail(FV_ERR_ARG, "%s: bad arguments", op);
    return preprocess_std(op, std);
}

fv_status fv_check_preprocess_bwd(const char *op, int n, int hw, const int perm[3], const float *std,
                                  const float *dout, const float *drgb)
{
    if (n < 0 || hw < 0 || !dout || !drgb || !perm_ok(perm)) return fv_fail(FV_ERR_ARG, "%s: bad arguments", op);
    return preprocess_std(op, std);
}

fv_status fv_check_adam(const char *op, size_t count, const float *p, const float *g, const float *m,
                        const float *v, int t)
{
    if ((count && (!p || !g || !m || !v)) || t < 1)
        return fv_fail(FV_ERR_ARG, "%s: bad arguments (t=%d counts from 1)", op, t);
    return FV_OK;
}

fv_status fv_check_penalty(const char *op, int n, int h, int w, const float *rgb, const void *out)
{
    if (n < 0 || h < 1 || w < 1 || (n && (!rgb || !out))) return fv_fail(FV_ERR_ARG, "%s: bad arguments", op);
    return FV_OK;
}

fv_status fv_check_lowres(const char *op, int nb, int c, int h, int w, int n, int oh, int ow, const void *a,
                          const void *b)
{
    if (nb < 1 || c < 1 || h < 1 || w < 1 || n < 1 || oh < 1 || ow < 1 || !a || !b)
        return fv_fail(FV_ERR_ARG, "%s: bad shapes (%d,%d,%d,%d) -> (%d,%d,%d,%d)", op, nb, c, h, w, n, c, oh, ow);
    return FV_OK;
}

/* ---------- objective-side ops ---------- */

static fv_status check_term(const char *op, int i, const fv_obj_term *t, fv_tensor act)
{
    if (t->kind < FV_OBJ_CHANNEL || t->kind > FV_OBJ_DIRECTION)
        return fv_fail(FV_ERR_ARG, "%s: term %d is of unknown kind %d", op, i, (int)t->kind);
    if (t->image < 0 || t->image >= act.n)
        return fv_fail(FV_ERR_ARG, "%s: term %d reads image %d of a batch of %d", op, i, t->image, act.n);
    if ((t->kind == FV_OBJ_CHANNEL || t->kind == FV_OBJ_NEURON) && (t->channel < 0 || t->channel >= act.c))
        return fv_fail(FV_ERR_ARG, "%s: term %d reads channel %d of a layer with %d", op, i, t->channel, act.c);
    if (t->kind == FV_OBJ_NEURON && (t->y < 0 || t->y >= act.h || t->x < 0 || t->x >= act.w))
        return fv_fail(FV_ERR_ARG, "%s: term %d: neuron (%d,%d) outside the %dx%d layer", op, i, t->x, t->y, act.w,
                       act.h);
    if (t->kind == FV_OBJ_DIRECTION && !t->dir)
        return fv_fail(FV_ERR_ARG, "%s: term %d: direction without a vector", op, i);
    return FV_OK;
}

fv_status fv_check_objective(const char *op, const fv_obj_term *terms, int nterms, fv_tensor act, const void *out)
{
    if (nterms < 0 || (nterms && (!terms || !act.data || !out)) || act.n < 1 || act.c < 1 || act.h < 1 ||
        act.w < 1 || act.bstride < fv_tensor_chw(act))
        return fv_fail(FV_ERR_ARG, "%s: bad arguments (%d terms)", op, nterms);
    for (int i = 0; i < nterms; i++) FV_TRY(check_term(op, i, &terms[i], act));
    return FV_OK;
}

fv_status fv_check_grad_like(const char *op, fv_tensor act, fv_tensor dact)
{
    if (!dact.data || !fv_same_shape(dact, act) || dact.bstride < fv_tensor_chw(dact))
        return fv_fail(FV_ERR_SHAPE, "%s: dact (%d,%d,%d,%d) does not match act (%d,%d,%d,%d)", op, dact.n, dact.c,
                       dact.h, dact.w, act.n, act.c, act.h, act.w);
    return FV_OK;
}

fv_status fv_check_diversity(const char *op, fv_tensor act, int b0, int count, const float *work, const void *out)
{
    if (!fv_view_ok(act) || !work || !out) return fv_fail(FV_ERR_ARG, "%s: bad arguments", op);
    if (b0 < 0 || count < 1 || b0 + count > act.n)
        return fv_fail(FV_ERR_ARG, "%s: group [%d, %d) out of a batch of %d", op, b0, b0 + count, act.n);
    return FV_OK;
}

fv_status fv_check_alignment(const char *op, fv_tensor act, int b0, int count, float decay, const void *out)
{
    if (!fv_view_ok(act) || !out || b0 < 0 || count < 1 || b0 + count > act.n || !(decay > 0))
        return fv_fail(FV_ERR_ARG, "%s: images [%d, %d) of a batch of %d, decay %g", op, b0, b0 + count, act.n,
                       (double)decay);
    return FV_OK;
}
