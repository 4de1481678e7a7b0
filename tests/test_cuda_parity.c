/* CPU vs CUDA parity, op by op and for whole renders, on seeded random inputs (never zeros). The CUDA twins are
 * called through an opened CUDA instance (fv_backend_open, the calls of backend/backend.h), as the renderer
 * calls them; the CPU twins directly. Every comparison fails first on NaN/Inf, then on |g - r| > atol +
 * rtol*|r|, printing the worst element; guard words after each GPU output catch out-of-bounds writes.
 * Tolerances sit beside each test with their reason. Without a GPU (or a CUDA build) every test skips cleanly.
 * cuDNN runs with FMA math (no TF32), so differences are summation order only. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "models/model.h"
#include "testmodel.h"
#include "render/transform.h"

#ifdef FV_HAVE_CUDA
#include "cuda/context.h"

#include "cuda_pairs.h"

static double maxabs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

/* ---------- convolution ---------- */

typedef struct conv_case {
    int n, cin, h, w, cout, k, s, pt, pl, pb, pr;
} conv_case;

/* Tolerance: float sums of cin*k*k (up to ~1200) products in another order: ~1e-6 relative to the output
 * scale; 1e-5 of the largest |value| leaves a 10x margin. */
/* Returns 0 when cuDNN does not support a forced algorithm for this shape (nothing compared), else 1. */
static int conv_parity(const conv_case *c, int ycap_extra)
{
    fv_conv_desc d = {{c->k, c->k, c->s, c->s, c->pt, c->pl, c->pb, c->pr}, c->cin, c->cout, 1, 1, 1};
    const int oh = fv_window_out(c->h, c->k, c->s, c->pt, c->pb), ow = fv_window_out(c->w, c->k, c->s, c->pl, c->pr);
    const int ycap = c->cout + ycap_extra; /* y as a slice of a wider concat buffer */
    size_t nx = (size_t)c->n * c->cin * c->h * c->w, ny = (size_t)c->n * ycap * oh * ow;
    size_t nw = (size_t)c->cout * c->cin * c->k * c->k;
    float *x = rnd(nx, 1, -1, 1), *wt = rnd(nw, 2, -0.2f, 0.2f), *b = rnd(c->cout, 3, -0.5f, 0.5f);
    float *y = rnd(ny, 4, -1, 1), *dy = rnd(ny, 5, -1, 1), *dx = rnd(nx, 6, -1, 1);
    float *y0 = malloc(ny * sizeof(float)), *dx0 = malloc(nx * sizeof(float));
    memcpy(y0, y, ny * sizeof(float));
    memcpy(dx0, dx, nx * sizeof(float));
    float *cw = malloc((fv_conv2d_workspace_cpu(&d, c->n, c->h, c->w) + 1) * sizeof(float));
    fv_tensor tx = fv_tensor_make(x, c->n, c->cin, c->h, c->w);
    fv_tensor ty = fv_tensor_slice(fv_tensor_make(y, c->n, ycap, oh, ow), ycap_extra, c->cout);
    fv_tensor tdy = fv_tensor_slice(fv_tensor_make(dy, c->n, ycap, oh, ow), ycap_extra, c->cout);
    fv_tensor tdx = fv_tensor_make(dx, c->n, c->cin, c->h, c->w);
    cr_assert_eq(fv_conv2d_fwd_cpu(&d, tx, wt, b, ty, cw), FV_OK);
    cr_assert_eq(fv_conv2d_bwd_data_cpu(&d, tdy, wt, tdx, cw), FV_OK);
    size_t wsz = fv_conv2d_workspace(G, &d, c->n, c->h, c->w);
    float *gx = dev(x, nx), *gw = dev(wt, nw), *gb = dev(b, c->cout), *gy = dev(y0, ny), *gdy = dev(dy, ny),
          *gdx = dev(dx0, nx), *gwork = dev(NULL, wsz + 1);
    fv_tensor Gx = tx, Gy = ty, Gdy = tdy, Gdx = tdx;
    Gx.data = gx;
    Gy.data = gy + (ty.data - y);
    Gdy.data = gdy + (tdy.data - dy);
    Gdx.data = gdx;
    fv_status sf = fv_conv2d_fwd(G, &d, Gx, gw, gb, Gy, gwork);
    fv_status sb = sf == FV_OK ? fv_conv2d_bwd_data(G, &d, Gdy, gw, Gdx, gwork) : sf;
    int ran = sf != FV_ERR_UNSUPPORTED && sb != FV_ERR_UNSUPPORTED;
    if (ran) {
        cr_assert_eq(sf, FV_OK, "conv forward: %s", fv_last_error());
        cr_assert_eq(sb, FV_OK, "conv backward-data: %s", fv_last_error());
        expect_close("conv forward (and untouched channels)", gy, y, ny, 1e-5 * maxabs(y, ny), 0);
        expect_close("conv backward-data (accumulated)", gdx, dx, nx, 1e-5 * maxabs(dx, nx), 0);
    } else {
        cr_log_info("unsupported here: %s", fv_last_error());
        fv_backend_free(G, gy), fv_backend_free(G, gdx);
    }
    fv_backend_free(G, gx), fv_backend_free(G, gw), fv_backend_free(G, gb), fv_backend_free(G, gdy);
    fv_backend_free(G, gwork);
    free(x), free(wt), free(b), free(y), free(dy), free(dx), free(y0), free(dx0), free(cw);
    return ran;
}

Test(cuda_parity, conv_caffe_and_tf_shapes, .fini = close_gpu)
{
    require_gpu();
    const conv_case cases[] = {
        {2, 3, 40, 36, 8, 7, 2, 3, 3, 3, 3},  /* Caffe conv1: symmetric pad 3, stride 2 */
        {2, 3, 40, 36, 8, 7, 2, 2, 2, 3, 3},  /* TF SAME at an even size: asymmetric 2/3 */
        {3, 16, 14, 14, 24, 3, 1, 1, 1, 1, 1}, /* 3x3 pad 1 */
        {3, 16, 14, 14, 12, 1, 1, 0, 0, 0, 0}, /* 1x1 */
        {2, 8, 14, 13, 6, 5, 1, 2, 2, 2, 2},   /* 5x5 pad 2, odd width */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cr_assert(conv_parity(&cases[i], 0), "case %zu: the chosen algorithms failed", i);
        cr_assert(conv_parity(&cases[i], 5), "case %zu (slice view): the chosen algorithms failed", i);
    }
}

/* Every cuDNN forward algorithm (backward-data chosen), then every backward-data algorithm (forward
 * chosen), that supports the shape gives the same answer. */
/* G reopened with one algorithm forced (bwd 0: forward, 1: backward-data); the context must carry it. */
static void reopen_forced(int bwd, int algo)
{
    fv_backend_close(G);
    fv_backend_options o;
    fv_backend_options_default(&o);
    o.precision = FV_PRECISION_FP32;
    if (bwd) o.cudnn_bwd_data_algo = algo;
    else o.cudnn_fwd_algo = algo;
    cr_assert_eq(fv_backend_open(FV_BACKEND_CUDA, &o, &G), FV_OK, "%s", fv_last_error());
    const fv_cuda_ctx *ctx = G->context;
    cr_assert_eq(bwd ? ctx->force_bwd_algo : ctx->force_fwd_algo, algo, "the option did not reach the context");
    cr_assert_eq(bwd ? ctx->force_fwd_algo : ctx->force_bwd_algo, -1);
    cr_assert(!ctx->tf32, "FP32 was asked for");
}

Test(cuda_parity, conv_every_cudnn_algorithm, .fini = close_gpu)
{
    require_gpu();
    const conv_case cases[2] = {{2, 16, 14, 14, 24, 3, 1, 1, 1, 1, 1}, {2, 3, 40, 36, 8, 7, 2, 2, 2, 3, 3}};
    for (int k = 0; k < 2; k++) {
        int ran_f = 0, ran_b = 0;
        for (int a = 0; a < FV_CUDNN_FWD_ALGOS; a++) {
            reopen_forced(0, a);
            int r = conv_parity(&cases[k], 3);
            cr_log_info("case %d: forward algo %d %s", k, a, r ? "agrees" : "unsupported");
            ran_f += r;
        }
        for (int a = 0; a < FV_CUDNN_BWD_DATA_ALGOS; a++) {
            reopen_forced(1, a);
            int r = conv_parity(&cases[k], 3);
            cr_log_info("case %d: backward-data algo %d %s", k, a, r ? "agrees" : "unsupported");
            ran_b += r;
        }
        cr_assert(ran_f >= 2 && ran_b >= 2, "case %d: only %d forward / %d backward algorithms ran", k, ran_f, ran_b);
    }
}

/* ---------- the other network ops ---------- */


/* Elementwise and windowed ops compute the same float expressions: 1e-6 relative covers libm vs CUDA
 * math (expf, powf) and fused multiply-adds. */
Test(cuda_parity, relu_pool_lrn_softmax_fc, .fini = close_gpu)
{
    require_gpu();
    /* ReLU, plain and redirected: image 0 all negative (redirects), image 1 mixed, image 2 negative but for
     * exact zeros (x >= 0 there, so the image is live and does not redirect, though relu'(0) = 0). */
    for (int redirect = 0; redirect < 2; redirect++) {
        pair x = pair_mk(3, 6, 5, 7, 10, -1, 1), y = pair_mk(3, 6, 5, 7, 11, -1, 1), dy = pair_mk(3, 6, 5, 7, 12, -1, 1),
             dx = pair_mk(3, 6, 5, 7, 13, -1, 1);
        const size_t per = x.n / 3;
        for (size_t i = 0; i < per; i++) x.h[i] = -fabsf(x.h[i]) - 0.01f;
        for (size_t i = 2 * per; i < x.n; i++) x.h[i] = i % 7 ? -fabsf(x.h[i]) - 0.01f : 0.0f;
        cr_assert_eq(fv_backend_upload(G, x.d, x.h, x.n * sizeof(float)), FV_OK);
        cr_assert_eq(fv_relu_fwd_cpu(x.th, y.th), FV_OK);
        cr_assert_eq(fv_relu_bwd_cpu(x.th, dy.th, dx.th, redirect), FV_OK);
        cr_assert_eq(fv_relu_fwd(G, x.td, y.td), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_relu_bwd(G, x.td, dy.td, dx.td, redirect), FV_OK, "%s", fv_last_error());
        pair_check("relu forward", &y, 0, 0);
        pair_check("relu backward", &dx, 0, 0);
        pair_drop(&x), pair_drop(&dy);
    }
    /* Pooling: Caffe ceil (extra bottom/right pad) and TF SAME, max and average. */
    const fv_window wins[] = {{3, 3, 2, 2, 0, 0, 1, 1}, {3, 3, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 2, 0, 0, 1, 1},
                              {7, 7, 1, 1, 0, 0, 0, 0}};
    for (int k = 0; k < 4; k++)
        for (int kind = 0; kind < 2; kind++) {
            fv_pool_desc d = {wins[k], kind ? FV_POOL_AVG : FV_POOL_MAX, 0, 0, 0};
            int H = k == 3 ? 7 : 14, oh = fv_window_out(H, d.win.kh, d.win.sh, d.win.pad_t, d.win.pad_b);
            pair x = pair_mk(2, 5, H, H, 20, -1, 1), y = pair_mk(2, 5, oh, oh, 21, -1, 1), dy = pair_mk(2, 5, oh, oh, 22, -1, 1),
                 dx = pair_mk(2, 5, H, H, 23, -1, 1);
            cr_assert_eq(fv_pool_fwd_cpu(&d, x.th, y.th), FV_OK);
            cr_assert_eq(fv_pool_bwd_cpu(&d, x.th, y.th, dy.th, dx.th), FV_OK);
            cr_assert_eq(fv_pool_fwd(G, &d, x.td, y.td), FV_OK, "%s", fv_last_error());
            cr_assert_eq(fv_pool_bwd(G, &d, x.td, y.td, dy.td, dx.td), FV_OK, "%s", fv_last_error());
            pair_check("pool forward", &y, 1e-6, 1e-6);
            pair_check("pool backward", &dx, 1e-6, 1e-6);
            pair_drop(&x), pair_drop(&dy);
        }
    /* LRN: Caffe (5, 1e-4/5, 0.75, 1) and inception5h-like (9, 1e-4, 0.5, 1), inputs at activation scale. */
    const fv_lrn_desc lrns[] = {{5, 1e-4f / 5, 0.75f, 1.0f}, {9, 1e-4f, 0.5f, 1.0f}};
    for (int k = 0; k < 2; k++) {
        pair x = pair_mk(2, 12, 6, 6, 30, -40, 40), y = pair_mk(2, 12, 6, 6, 31, -1, 1), dy = pair_mk(2, 12, 6, 6, 32, -1, 1),
             dx = pair_mk(2, 12, 6, 6, 33, -1, 1);
        cr_assert_eq(fv_lrn_fwd_cpu(&lrns[k], x.th, y.th), FV_OK);
        cr_assert_eq(fv_lrn_bwd_cpu(&lrns[k], x.th, y.th, dy.th, dx.th), FV_OK);
        cr_assert_eq(fv_lrn_fwd(G, &lrns[k], x.td, y.td), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_lrn_bwd(G, &lrns[k], x.td, y.td, dy.td, dx.td), FV_OK, "%s", fv_last_error());
        pair_check("lrn forward", &y, 1e-5, 1e-5);
        pair_check("lrn backward", &dx, 1e-5, 1e-5);
        pair_drop(&x), pair_drop(&dy);
    }
    /* Softmax over 1000 classes and the FC layer (1024 -> 1000, cuBLAS). */
    {
        pair x = pair_mk(3, 1000, 1, 1, 40, -5, 5), y = pair_mk(3, 1000, 1, 1, 41, 0, 1), dy = pair_mk(3, 1000, 1, 1, 42, -1, 1),
             dx = pair_mk(3, 1000, 1, 1, 43, -1, 1);
        cr_assert_eq(fv_softmax_fwd_cpu(x.th, y.th), FV_OK);
        cr_assert_eq(fv_softmax_bwd_cpu(y.th, dy.th, dx.th), FV_OK);
        cr_assert_eq(fv_softmax_fwd(G, x.td, y.td), FV_OK, "%s", fv_last_error());
        pair yb = pair_mk(3, 1000, 1, 1, 41, 0, 1); /* backward from the CPU's y, so only the backward differs */
        cr_assert_eq(fv_backend_upload(G, yb.d, y.h, y.n * sizeof(float)), FV_OK);
        cr_assert_eq(fv_softmax_bwd(G, yb.td, dy.td, dx.td), FV_OK, "%s", fv_last_error());
        pair_check("softmax forward", &y, 1e-7, 1e-5);
        pair_check("softmax backward", &dx, 1e-6, 1e-5);
        pair_drop(&x), pair_drop(&dy), pair_drop(&yb);
        pair fx = pair_mk(3, 1024, 1, 1, 44, 0, 2), fy = pair_mk(3, 1000, 1, 1, 45, -1, 1), fdy = pair_mk(3, 1000, 1, 1, 46, -1, 1),
             fdx = pair_mk(3, 1024, 1, 1, 47, -1, 1);
        float *w = rnd(1000 * 1024, 48, -0.05f, 0.05f), *b = rnd(1000, 49, -1, 1);
        float *gw = dev(w, 1000 * 1024), *gb = dev(b, 1000);
        cr_assert_eq(fv_fc_fwd_cpu(fx.th, w, b, 1000, fy.th), FV_OK);
        cr_assert_eq(fv_fc_bwd_cpu(fdy.th, w, fdx.th), FV_OK);
        cr_assert_eq(fv_fc_fwd(G, fx.td, gw, gb, 1000, fy.td), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_fc_bwd(G, fdy.td, gw, fdx.td), FV_OK, "%s", fv_last_error());
        pair_check("fc forward", &fy, 1e-5, 1e-5); /* sums of 1024 products */
        pair_check("fc backward", &fdx, 1e-5, 1e-5);
        pair_drop(&fx), pair_drop(&fdy);
        fv_backend_free(G, gw), fv_backend_free(G, gb);
        free(w), free(b);
    }
}

/* ---------- parameterisation, objectives, Adam ---------- */

Test(cuda_parity, spectrum_colour_resample_preprocess_adam, .fini = close_gpu)
{
    require_gpu();
    /* FFT parameterisation at an even and an odd size; cuFFT vs FFTW: ~1e-6 of the image scale. */
    const int sizes[2][2] = {{32, 32}, {31, 27}};
    for (int k = 0; k < 2; k++) {
        const int h = sizes[k][0], w = sizes[k][1], wf = w / 2 + 1, n = 6;
        size_t ns = (size_t)n * h * wf * 2, ni = (size_t)n * h * w;
        float *spec = rnd(ns, 50, -1, 1), *scale = malloc(sizeof(float) * h * wf), *img = malloc(ni * sizeof(float));
        float *dimg = rnd(ni, 51, -1, 1), *dspec = malloc(ns * sizeof(float));
        fv_spectrum_scale(h, w, 1.0f, scale);
        fv_fft_plan_cpu *pc;
        void *pg;
        cr_assert_eq(fv_fft_plan_create_cpu(n, h, w, &pc), FV_OK);
        cr_assert_eq(fv_fft_plan_create(G, n, h, w, &pg), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_spectrum_to_image_cpu(pc, spec, scale, img), FV_OK);
        cr_assert_eq(fv_spectrum_to_image_bwd_cpu(pc, dimg, scale, dspec), FV_OK);
        float *gs = dev(spec, ns), *gsc = dev(scale, (size_t)h * wf), *gi = dev(NULL, ni), *gdi = dev(dimg, ni),
              *gds = dev(NULL, ns);
        cr_assert_eq(fv_spectrum_to_image(G, pg, gs, gsc, gi), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_spectrum_to_image_bwd(G, pg, gdi, gsc, gds), FV_OK, "%s", fv_last_error());
        expect_close("spectrum -> image", gi, img, ni, 1e-5 * maxabs(img, ni), 0);
        expect_close("spectrum -> image adjoint", gds, dspec, ns, 1e-5 * maxabs(dspec, ns), 0);
        fv_fft_plan_free_cpu(pc);
        fv_fft_plan_free(G, pg);
        fv_backend_free(G, gs), fv_backend_free(G, gsc), fv_backend_free(G, gdi);
        free(spec), free(scale), free(img), free(dimg), free(dspec);
    }
    /* Resampling with random affines (rotation, scale, sub-pixel shifts); backward uses atomics on the GPU,
     * so sums differ in order: 1e-5. */
    {
        const int n = 3, c = 3, h = 40, w = 40;
        size_t np = (size_t)n * c * h * w;
        float *src = rnd(np, 60, 0, 1), *dst = malloc(np * sizeof(float)), *ddst = rnd(np, 61, -1, 1),
              *dsrc = malloc(np * sizeof(float));
        fv_affine maps[3];
        for (int i = 0; i < n; i++) {
            double a = 0.1 * (i + 1), s = 1.0 + 0.05 * i;
            maps[i] = (fv_affine){{(float)(cos(a) / s), (float)(sin(a) / s), 1.3f + i, (float)(-sin(a) / s),
                                   (float)(cos(a) / s), -0.7f * i}};
        }
        cr_assert_eq(fv_resample_fwd_cpu(n, c, h, w, src, maps, 0.5f, h, w, dst), FV_OK);
        cr_assert_eq(fv_resample_bwd_cpu(n, c, h, w, maps, h, w, ddst, dsrc), FV_OK);
        float *gsrc = dev(src, np), *gdst = dev(NULL, np), *gddst = dev(ddst, np), *gdsrc = dev(NULL, np);
        cr_assert_eq(fv_resample_fwd(G, n, c, h, w, gsrc, maps, 0.5f, h, w, gdst), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_resample_bwd(G, n, c, h, w, maps, h, w, gddst, gdsrc), FV_OK, "%s", fv_last_error());
        expect_close("resample forward", gdst, dst, np, 1e-6, 1e-6);
        expect_close("resample backward", gdsrc, dsrc, np, 1e-5, 1e-5);
        fv_backend_free(G, gsrc), fv_backend_free(G, gddst);
        free(src), free(dst), free(ddst), free(dsrc);
    }
    /* Lucid's transform chain (--preset lucid): the forward gathers in the CPU's float32 order (same rounding
     * decisions, so bit-for-bit up to the last lerp); the backward scatters with atomics: 1e-5. Draws chosen
     * to include float32 rounding ties (S = 64, scale 1.06, 3 and -2 degrees). */
    {
        fv_transform_params tp;
        fv_transform_preset(FV_PRESET_LUCID, &tp);
        const int n = 3, c = 3, S = 64;
        fv_tfchain ch[3] = {fv_transform_lucid_chain(&tp, S, 8, 3.0f, 3, 5, 1, 2),
                            fv_transform_lucid_chain(&tp, S, 8, -2.0f, 0, 8, 4, 0),
                            fv_transform_lucid_chain(&tp, S, 8, 10.0f, 8, 1, 2, 3)};
        const int N = ch[0].n;
        const size_t ns = (size_t)n * c * S * S, nd = (size_t)n * c * N * N;
        float *src = rnd(ns, 62, 0, 1), *dst = malloc(nd * sizeof(float)), *ddst = rnd(nd, 63, -1, 1),
              *dsrc = malloc(ns * sizeof(float));
        cr_assert_eq(fv_tfchain_fwd_cpu(n, c, ch, src, dst), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_tfchain_bwd_cpu(n, c, ch, ddst, dsrc), FV_OK, "%s", fv_last_error());
        float *gsrc = dev(src, ns), *gdst = dev(NULL, nd), *gddst = dev(ddst, nd), *gdsrc = dev(NULL, ns);
        cr_assert_eq(fv_tfchain_fwd(G, n, c, ch, gsrc, gdst), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_tfchain_bwd(G, n, c, ch, gddst, gdsrc), FV_OK, "%s", fv_last_error());
        expect_close("lucid chain forward", gdst, dst, nd, 1e-6, 1e-6);
        expect_close("lucid chain backward", gdsrc, dsrc, ns, 1e-5, 1e-5);
        fv_backend_free(G, gsrc), fv_backend_free(G, gddst);
        free(src), free(dst), free(ddst), free(dsrc);
    }
    /* Preprocess (BGR, a std per channel) and Adam: same float expressions. */
    {
        const int perm[3] = {2, 1, 0}, n = 2, hw = 100;
        const float mean[3] = {104, 117, 123}, sd[3] = {58.4f, 57.1f, 57.4f};
        size_t np = (size_t)n * 3 * hw;
        float *rgb = rnd(np, 70, 0, 1), *out = malloc(np * sizeof(float)), *dout = rnd(np, 71, -1, 1),
              *drgb = malloc(np * sizeof(float));
        cr_assert_eq(fv_preprocess_fwd_cpu(n, hw, perm, 255, mean, sd, rgb, out), FV_OK);
        cr_assert_eq(fv_preprocess_bwd_cpu(n, hw, perm, 255, sd, dout, drgb), FV_OK);
        float *g1 = dev(rgb, np), *g2 = dev(NULL, np), *g3 = dev(dout, np), *g4 = dev(NULL, np);
        cr_assert_eq(fv_preprocess_fwd(G, n, hw, perm, 255, mean, sd, g1, g2), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_preprocess_bwd(G, n, hw, perm, 255, sd, g3, g4), FV_OK, "%s", fv_last_error());
        expect_close("preprocess forward", g2, out, np, 1e-4, 1e-6);
        expect_close("preprocess backward", g4, drgb, np, 1e-5, 1e-6);
        fv_backend_free(G, g1), fv_backend_free(G, g3);
        free(rgb), free(out), free(dout), free(drgb);
        const size_t na = 5000;
        float *p = rnd(na, 72, -1, 1), *g = rnd(na, 73, -1, 1), *m = rnd(na, 74, -0.1f, 0.1f), *v = rnd(na, 75, 0, 0.1f);
        float *gp = dev(p, na), *gg = dev(g, na), *gm = dev(m, na), *gv = dev(v, na);
        cr_assert_eq(fv_adam_cpu(na, p, g, m, v, 3, 0.05f, 0.9f, 0.999f, 1e-8f), FV_OK);
        cr_assert_eq(fv_adam(G, na, gp, gg, gm, gv, 3, 0.05f, 0.9f, 0.999f, 1e-8f), FV_OK, "%s", fv_last_error());
        expect_close("adam p", gp, p, na, 1e-6, 1e-5);
        expect_close("adam m", gm, m, na, 1e-7, 1e-6);
        expect_close("adam v", gv, v, na, 1e-7, 1e-6);
        fv_backend_free(G, gg);
        free(p), free(g), free(m), free(v);
    }
}

/* Objective terms and diversity: reductions in another order, 1e-5 relative. */
Test(cuda_parity, objectives_and_diversity, .fini = close_gpu)
{
    require_gpu();
    pair a = pair_mk(4, 16, 7, 7, 80, -1, 2), da = pair_mk(4, 16, 7, 7, 81, -1, 1);
    float *dir = rnd(16, 82, -1, 1), *gdir = dev(dir, 16);
    fv_obj_term tc[5] = {{FV_OBJ_CHANNEL, 0, 3, 0, 0, 1.0f, NULL}, {FV_OBJ_NEURON, 1, 5, 3, 2, -2.0f, NULL},
                         {FV_OBJ_DEEPDREAM, 2, 0, 0, 0, 1.0f, NULL}, {FV_OBJ_DIRECTION, 3, 0, 0, 0, 0.5f, dir},
                         {FV_OBJ_CHANNEL, 0, 4, 0, 0, 0.5f, NULL}};
    fv_obj_term tg[5];
    memcpy(tg, tc, sizeof tc);
    tg[3].dir = gdir;
    float vc[5], vg[5];
    cr_assert_eq(fv_objective_fwd_cpu(tc, 5, a.th, vc), FV_OK);
    cr_assert_eq(fv_objective_bwd_cpu(tc, 5, a.th, da.th), FV_OK);
    cr_assert_eq(fv_objective_fwd(G, tg, 5, a.td, vg), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_objective_bwd(G, tg, 5, a.td, da.td), FV_OK, "%s", fv_last_error());
    for (int i = 0; i < 5; i++) cr_assert(fabsf(vc[i] - vg[i]) <= 1e-5f * (1 + fabsf(vc[i])), "term %d: cpu %g gpu %g", i, vc[i], vg[i]);
    pair_check("objective gradients", &da, 1e-6, 1e-5);
    float *wc = malloc(fv_diversity_workspace_cpu(16, 4) * sizeof(float));
    float *wg = dev(NULL, fv_diversity_workspace(G, 16, 4));
    pair d2 = pair_mk(4, 16, 7, 7, 83, -1, 1);
    float dc, dg;
    cr_assert_eq(fv_diversity_fwd_cpu(a.th, 0, 4, &dc, wc), FV_OK);
    cr_assert_eq(fv_diversity_bwd_cpu(a.th, 0, 4, -100.0f, d2.th, wc), FV_OK);
    cr_assert_eq(fv_diversity_fwd(G, a.td, 0, 4, &dg, wg), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_diversity_bwd(G, a.td, 0, 4, -100.0f, d2.td, wg), FV_OK, "%s", fv_last_error());
    cr_assert(fabsf(dc - dg) <= 1e-5f * fabsf(dc), "diversity cpu %g gpu %g", dc, dg);
    pair_check("diversity gradient", &d2, 1e-5 * maxabs(d2.h, d2.n), 1e-4);
    pair_drop(&a);
    fv_backend_free(G, gdir), fv_backend_free(G, wg);
    free(dir), free(wc);
}

/* Penalties, alignment and the low-resolution resize (regularisation and interpolation): reductions
 * in another order and atomics-free gathers; 1e-5 relative. */
Test(cuda_parity, penalties_alignment_lowres, .fini = close_gpu)
{
    require_gpu();
    const int n = 3, h = 17, w = 23;
    const size_t np = (size_t)n * 3 * h * w;
    float *rgb = rnd(np, 90, 0.05f, 0.95f), *d = rnd(np, 91, -1, 1), vc[3], vg[3];
    float *grgb = dev(rgb, np), *gd = dev(d, np);
    cr_assert_eq(fv_penalty_fwd_cpu(n, h, w, rgb, 0.3f, 0.2f, 0.5f, 0.7f, vc), FV_OK);
    cr_assert_eq(fv_penalty_bwd_cpu(n, h, w, rgb, -0.3f, -0.2f, -0.5f, -0.7f, d), FV_OK);
    cr_assert_eq(fv_penalty_fwd(G, n, h, w, grgb, 0.3f, 0.2f, 0.5f, 0.7f, vg), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_penalty_bwd(G, n, h, w, grgb, -0.3f, -0.2f, -0.5f, -0.7f, gd), FV_OK, "%s", fv_last_error());
    for (int i = 0; i < n; i++) cr_assert(fabsf(vc[i] - vg[i]) <= 1e-5f * fabsf(vc[i]), "penalty %d: cpu %g gpu %g", i, vc[i], vg[i]);
    expect_close("penalty gradient (accumulated)", gd, d, np, 1e-6, 1e-5);
    fv_backend_free(G, grgb);
    free(rgb), free(d);

    pair a = pair_mk(5, 8, 6, 6, 92, -1, 1), da = pair_mk(5, 8, 6, 6, 93, -1, 1);
    float ac, ag;
    cr_assert_eq(fv_alignment_fwd_cpu(a.th, 0, 5, 2.0f, &ac), FV_OK);
    cr_assert_eq(fv_alignment_bwd_cpu(a.th, 0, 5, 2.0f, 0.1f, da.th), FV_OK);
    cr_assert_eq(fv_alignment_fwd(G, a.td, 0, 5, 2.0f, &ag), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_alignment_bwd(G, a.td, 0, 5, 2.0f, 0.1f, da.td), FV_OK, "%s", fv_last_error());
    cr_assert(fabsf(ac - ag) <= 1e-5f * fabsf(ac), "alignment cpu %g gpu %g", ac, ag);
    pair_check("alignment gradient", &da, 1e-7, 1e-5);
    pair_drop(&a);

    const int nb = 2, c = 3, lh = 5, lw = 4, nf = 6, oh = 32, ow = 32;
    const size_t nl = (size_t)nb * c * lh * lw, no = (size_t)nf * c * oh * ow;
    float *lo = rnd(nl, 94, -1, 1), *hi = rnd(no, 95, -1, 1), *dhi = rnd(no, 96, -1, 1), *dlo = malloc(nl * 4);
    float *glo = dev(lo, nl), *ghi = dev(hi, no), *gdhi = dev(dhi, no), *gdlo = dev(NULL, nl);
    cr_assert_eq(fv_lowres_fwd_cpu(nb, c, lh, lw, lo, nf, oh, ow, hi), FV_OK);
    cr_assert_eq(fv_lowres_bwd_cpu(nb, c, lh, lw, nf, oh, ow, dhi, dlo), FV_OK);
    cr_assert_eq(fv_lowres_fwd(G, nb, c, lh, lw, glo, nf, oh, ow, ghi), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_lowres_bwd(G, nb, c, lh, lw, nf, oh, ow, gdhi, gdlo), FV_OK, "%s", fv_last_error());
    expect_close("lowres forward (accumulated)", ghi, hi, no, 1e-6, 1e-5);
    expect_close("lowres adjoint", gdlo, dlo, nl, 1e-5, 1e-5);
    fv_backend_free(G, glo), fv_backend_free(G, gdhi);
    free(lo), free(hi), free(dhi), free(dlo);
}

/* ---------- whole renders and inference ---------- */

Test(cuda_parity, classify_top5_matches_cpu, .fini = close_gpu)
{
    require_gpu();
    fv_model *m = fv_test_load_bvlc();
    fv_image img;
    cr_assert_eq(fv_image_read_png(FV_TEST_CAT, &img), FV_OK);
    float pc[1000], pg[1000];
    cr_assert_eq(fv_classify(m, fv_test_cpu(), &img, pc), FV_OK);
    cr_assert_eq(fv_classify(m, G, &img, pg), FV_OK, "%s", fv_last_error());
    /* probabilities after ~60 layers in another summation order: 1e-4 absolute */
    for (int k = 0; k < 1000; k++) cr_assert(fabsf(pc[k] - pg[k]) < 1e-4f, "class %d: cpu %g gpu %g", k, pc[k], pg[k]);
    fv_image_free(&img);
    fv_model_free(m);
}

Test(cuda_parity, activations_every_inception_output, .fini = close_gpu)
{
    require_gpu();
    fv_model *m = fv_test_load_bvlc();
    fv_image img;
    cr_assert_eq(fv_image_read_png(FV_TEST_CAT, &img), FV_OK);
    const char *layers[] = {"conv1/7x7_s2", "pool1/norm1", "mixed3a", "mixed3b", "mixed4a", "mixed4c", "mixed4e",
                            "mixed5b_pre_relu", "logits"};
    for (size_t i = 0; i < sizeof layers / sizeof *layers; i++) {
        float *a, *b;
        int c, h, w;
        cr_assert_eq(fv_activations(m, fv_test_cpu(), &img, layers[i], &a, &c, &h, &w), FV_OK);
        cr_assert_eq(fv_activations(m, G, &img, layers[i], &b, &c, &h, &w), FV_OK, "%s",
                     fv_last_error());
        size_t n = (size_t)c * h * w;
        double scale = maxabs(a, n), worst = 0;
        for (size_t k = 0; k < n; k++) worst = fmax(worst, fabs(a[k] - b[k]));
        cr_log_info("%s: max |gpu - cpu| / max |cpu| = %.2e", layers[i], worst / scale);
        /* same bound as the numpy reference check (1e-4 relative to the layer's scale) */
        cr_assert(worst <= 1e-4 * scale, "%s: max diff %g, scale %g", layers[i], worst, scale);
        free(a), free(b);
    }
    fv_image_free(&img);
    fv_model_free(m);
}

/* On the emulated device (FV_CUDA_EMULATE, cuda/emulate/) a render step takes ~10x the CPU twin's time (naive
 * convolutions on one core), so the render passes there use a 48 px canvas and 4 steps. FV_PARITY_RENDER_SIZE /
 * _STEPS override both (to calibrate the bounds below). */
#ifdef FV_CUDA_EMULATE
#define RENDER_SIZE 48
#define RENDER_STEPS 4
#else
#define RENDER_SIZE 96
#define RENDER_STEPS 64
#endif
static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && atoi(v) > 0 ? atoi(v) : dflt;
}

static void render_on(fv_model *m, fv_backend *be, fv_preset preset, int steps, const fv_render_item *it, int n,
                      fv_render_result **r, int *nr)
{
    fv_render_config cfg;
    fv_render_config_default(&cfg);
    cfg.preset = preset;
    cfg.size = env_int("FV_PARITY_RENDER_SIZE", RENDER_SIZE);
    cfg.steps = steps;
    cfg.backend_instance = be;
    cr_assert_eq(fv_render(m, &cfg, it, n, r, nr, NULL, NULL), FV_OK, "%s", fv_last_error());
}

/* Renders on the GPU and the CPU from the same start, 1 step and RENDER_STEPS steps, with the article preset
 * (fixed canvas) and the lucid preset (a canvas that changes size every step). They are held to what holds for
 * the CPU twin against itself, not to float rounding: moving every pixel of the first image by +-1e-6 moves the
 * CPU's own one-step image by up to ~1e-2 (the near-uniform first image puts near-ties in max-pool windows, a
 * 1e-7 difference moves an argmax and its gradient, and Adam's first step normalises every coefficient), and
 * its later objectives by tens of percent. So: the first forward's objectives to float rounding, finite images,
 * a one-step mean difference below 1e-2, and after many steps the GPU's image develops as the CPU's does (its
 * objective gains at least half of the CPU's gain). The network's gradient is compared tightly in
 * test_cuda_edges.c (random inputs, no near-ties). */
Test(cuda_parity, render_tracks_the_cpu, .fini = close_gpu, .timeout = 900)
{
    require_gpu();
    fv_model *m = fv_test_load_bvlc();
    fv_render_item it[3] = {{"mixed4a:97", 1}, {"mixed3b_pre_relu:20", 2}, {"logit:285", 1}};
    for (int pass = 0; pass < 4; pass++) {
        const int steps = pass & 1 ? env_int("FV_PARITY_RENDER_STEPS", RENDER_STEPS) : 1;
        const fv_preset preset = pass < 2 ? FV_PRESET_ARTICLE : FV_PRESET_LUCID;
        fv_render_result *rc, *rg;
        int nc, ng;
        render_on(m, fv_test_cpu(), preset, steps, it, 3, &rc, &nc);
        render_on(m, G, preset, steps, it, 3, &rg, &ng);
        cr_assert_eq(nc, ng);
        for (int i = 0; i < nc; i++) {
            double mean = 0, worst = 0;
            const size_t np = (size_t)3 * rc[i].image.w * rc[i].image.h;
            for (size_t k = 0; k < np; k++) {
                double d = fabs(rc[i].image.rgb[k] - rg[i].image.rgb[k]);
                mean += d / np;
                worst = fmax(worst, d);
            }
            cr_log_info("%d steps, %s #%d: mean |diff| %.2e, max %.2e, objective cpu %g gpu %g", steps,
                        rc[i].objective, rc[i].index, mean, worst, rc[i].obj_last, rg[i].obj_last);
            cr_assert(fabs(rc[i].obj_first - rg[i].obj_first) <= 1e-5 * fabs(rc[i].obj_first) + 1e-5,
                      "%s: first objective cpu %.8g gpu %.8g", rc[i].objective, rc[i].obj_first, rg[i].obj_first);
            cr_assert(isfinite(mean) && isfinite(rg[i].obj_last), "%s: non-finite image or objective", rc[i].objective);
            if (!(pass & 1)) cr_assert(mean < 1e-2, "one step: %s mean difference %g", rc[i].objective, mean);
            const double gain_c = rc[i].obj_last - rc[i].obj_first, gain_g = rg[i].obj_last - rg[i].obj_first;
            if (steps >= 32)
                cr_assert(gain_c > 0 && gain_g >= 0.5 * gain_c, "%d steps: %s gained %g on the CPU, %g on the GPU", steps,
                          rc[i].objective, gain_c, gain_g);
        }
        fv_render_results_free(rc, nc);
        fv_render_results_free(rg, ng);
    }
    fv_model_free(m);
}
#endif

/* Runs everywhere: the registry answers for CUDA with either the backend or a clear reason. */
Test(cuda_parity, backend_resolution_is_clear)
{
    fv_backend_kind got;
    const char *note;
    fv_status st = fv_backend_resolve(FV_BACKEND_AUTO, &got, &note);
    cr_assert_eq(st, FV_OK);
    char desc[256];
    if (fv_backend_probe(FV_BACKEND_CUDA, desc, sizeof desc) <= 0) {
        cr_assert_eq(got, FV_BACKEND_CPU);
        cr_assert_neq(fv_backend_resolve(FV_BACKEND_CUDA, &got, NULL), FV_OK);
        cr_assert(strstr(fv_last_error(), "--backend cuda"), "%s", fv_last_error());
    } else {
        cr_assert_eq(got, FV_BACKEND_CUDA);
    }
}
