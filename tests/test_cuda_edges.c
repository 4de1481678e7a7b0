/* CPU vs CUDA parity at the edges of the CUDA twins' launch geometry, beside tests/test_cuda_parity.c (same
 * comparisons, same tolerances and their reasons): batches above every chunk size the twins cut work into
 * (redirected ReLU's 4096 images, 64 objective terms per launch and 1024 per round trip, 1024 penalty images,
 * 128 resample maps, 32 Lucid chains), more images than a grid has rows (65535), the largest alignment group,
 * slice views (bstride > c*h*w, channels on both sides left alone) for every op that takes views, and odd sizes;
 * and the whole network's forward and input gradient through a plan. Each comparison covers the whole buffer a
 * view lives in, so a write outside the view fails it. Skips without a GPU; in the emulated build
 * (FV_CUDA_EMULATE) it runs on every CI run as test_cuda_edges_emulated. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "models/model.h"
#include "net/plan.h"
#include "render/transform.h"
#include "testmodel.h"

#ifdef FV_HAVE_CUDA
#include "cuda_pairs.h"

/* A view of channels [1, 1 + c) of an (n, c + extra, h, w) buffer (extra 0: the whole packed buffer), on the host
 * and on the device, both buffers filled alike. */
typedef struct view {
    float *h, *d;
    size_t len;
    fv_tensor th, td;
} view;

static view mkv(int n, int c, int h, int w, int extra, uint64_t seed, float lo, float hi)
{
    view v;
    v.len = (size_t)n * (c + extra) * h * w;
    v.h = rnd(v.len, seed, lo, hi);
    v.d = dev(v.h, v.len);
    v.th = fv_tensor_slice(fv_tensor_make(v.h, n, c + extra, h, w), extra ? 1 : 0, c);
    v.td = fv_tensor_slice(fv_tensor_make(v.d, n, c + extra, h, w), extra ? 1 : 0, c);
    return v;
}

/* The whole buffer, view and the channels around it, against the CPU's; frees both. */
static void check(const char *what, view *v, double atol, double rtol)
{
    expect_close(what, v->d, v->h, v->len, atol, rtol);
    free(v->h);
}

static void drop(view *v)
{
    fv_backend_free(G, v->d);
    free(v->h);
}

/* ---------- network ops ---------- */

/* Redirected ReLU over more images than its live flags' chunk (4096), every third image all negative (its
 * gradient is redirected), on slice views; plain ReLU over more images than a grid has rows (65535). Same
 * comparisons as the CPU, so bit-identical. */
Test(cuda_edges, relu_past_its_chunk_and_the_grid_rows, .fini = close_gpu)
{
    require_gpu();
    const int n = 4100;
    view x = mkv(n, 2, 1, 3, 2, 1, -1, 1), dy = mkv(n, 2, 1, 3, 1, 2, -1, 1), dx = mkv(n, 2, 1, 3, 3, 3, -1, 1);
    for (int b = 0; b < n; b += 3)
        for (int k = 0; k < 6; k++) fv_tensor_img(x.th, b)[k] = -fabsf(fv_tensor_img(x.th, b)[k]) - 0.01f;
    cr_assert_eq(fv_backend_upload(G, x.d, x.h, x.len * sizeof(float)), FV_OK);
    cr_assert_eq(fv_relu_bwd_cpu(x.th, dy.th, dx.th, 1), FV_OK);
    cr_assert_eq(fv_relu_bwd(G, x.td, dy.td, dx.td, 1), FV_OK, "%s", fv_last_error());
    check("redirected relu backward, 4100 images", &dx, 0, 0);
    drop(&x), drop(&dy);

    const int rows = 65600;
    view a = mkv(rows, 1, 1, 2, 1, 4, -1, 1), y = mkv(rows, 1, 1, 2, 0, 5, -1, 1), g = mkv(rows, 1, 1, 2, 0, 6, -1, 1),
         da = mkv(rows, 1, 1, 2, 2, 7, -1, 1);
    cr_assert_eq(fv_relu_fwd_cpu(a.th, y.th), FV_OK);
    cr_assert_eq(fv_relu_bwd_cpu(a.th, g.th, da.th, 0), FV_OK);
    cr_assert_eq(fv_relu_fwd(G, a.td, y.td), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_relu_bwd(G, a.td, g.td, da.td, 0), FV_OK, "%s", fv_last_error());
    check("relu forward, 65600 images", &y, 0, 0);
    check("relu backward, 65600 images", &da, 0, 0);
    drop(&a), drop(&g);
}

/* Pooling (Caffe's ceil padding, odd sizes), LRN, softmax over channels at every position, and the FC layer,
 * each from one slice view into another; tolerances as in test_cuda_parity.c. */
Test(cuda_edges, pool_lrn_softmax_fc_on_slice_views, .fini = close_gpu)
{
    require_gpu();
    const fv_window win = {3, 3, 2, 2, 0, 0, 1, 1};
    const int oh = fv_window_out(13, 3, 2, 0, 1), ow = fv_window_out(11, 3, 2, 0, 1);
    for (int kind = 0; kind < 2; kind++) {
        fv_pool_desc d = {win, kind ? FV_POOL_AVG : FV_POOL_MAX, 0, 0, 0};
        view x = mkv(3, 5, 13, 11, 2, 20, -1, 1), y = mkv(3, 5, oh, ow, 3, 21, -1, 1), dy = mkv(3, 5, oh, ow, 1, 22, -1, 1),
             dx = mkv(3, 5, 13, 11, 4, 23, -1, 1);
        cr_assert_eq(fv_pool_fwd_cpu(&d, x.th, y.th), FV_OK);
        cr_assert_eq(fv_pool_bwd_cpu(&d, x.th, y.th, dy.th, dx.th), FV_OK);
        cr_assert_eq(fv_pool_fwd(G, &d, x.td, y.td), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_pool_bwd(G, &d, x.td, y.td, dy.td, dx.td), FV_OK, "%s", fv_last_error());
        check("pool forward (slices, 13x11)", &y, 1e-6, 1e-6);
        check("pool backward (slices, 13x11)", &dx, 1e-6, 1e-6);
        drop(&x), drop(&dy);
    }
    const fv_lrn_desc lrn = {5, 1e-4f / 5, 0.75f, 1.0f};
    view x = mkv(2, 12, 5, 7, 3, 30, -40, 40), y = mkv(2, 12, 5, 7, 2, 31, -1, 1), dy = mkv(2, 12, 5, 7, 1, 32, -1, 1),
         dx = mkv(2, 12, 5, 7, 4, 33, -1, 1);
    cr_assert_eq(fv_lrn_fwd_cpu(&lrn, x.th, y.th), FV_OK);
    cr_assert_eq(fv_lrn_bwd_cpu(&lrn, x.th, y.th, dy.th, dx.th), FV_OK);
    cr_assert_eq(fv_lrn_fwd(G, &lrn, x.td, y.td), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_lrn_bwd(G, &lrn, x.td, y.td, dy.td, dx.td), FV_OK, "%s", fv_last_error());
    check("lrn forward (slices)", &y, 1e-5, 1e-5);
    check("lrn backward (slices)", &dx, 1e-5, 1e-5);
    drop(&x), drop(&dy);

    /* cuDNN's softmax backward refuses y and dy with different strides (CUDNN_STATUS_BAD_PARAM), and the twin
     * passes the views through: here they share a layout (the CPU twin would take any two). */
    view s = mkv(3, 10, 3, 5, 3, 40, -5, 5), sy = mkv(3, 10, 3, 5, 2, 41, 0, 1), sdy = mkv(3, 10, 3, 5, 2, 42, -1, 1),
         sdx = mkv(3, 10, 3, 5, 4, 43, -1, 1);
    cr_assert_eq(fv_softmax_fwd_cpu(s.th, sy.th), FV_OK);
    cr_assert_eq(fv_softmax_bwd_cpu(sy.th, sdy.th, sdx.th), FV_OK);
    cr_assert_eq(fv_softmax_fwd(G, s.td, sy.td), FV_OK, "%s", fv_last_error());
    view yb = mkv(3, 10, 3, 5, 2, 41, 0, 1); /* backward from the CPU's y, so only the backward differs */
    cr_assert_eq(fv_backend_upload(G, yb.d, sy.h, sy.len * sizeof(float)), FV_OK);
    cr_assert_eq(fv_softmax_bwd(G, yb.td, sdy.td, sdx.td), FV_OK, "%s", fv_last_error());
    check("softmax forward (slices, 3x5 positions)", &sy, 1e-7, 1e-5);
    check("softmax backward (slices, 3x5 positions)", &sdx, 1e-6, 1e-5);
    drop(&s), drop(&sdy), drop(&yb);

    view fx = mkv(5, 6, 3, 2, 2, 44, 0, 2), fy = mkv(5, 7, 1, 1, 2, 45, -1, 1), fdy = mkv(5, 7, 1, 1, 3, 46, -1, 1),
         fdx = mkv(5, 6, 3, 2, 1, 47, -1, 1);
    float *w = rnd(7 * 36, 48, -0.3f, 0.3f), *b = rnd(7, 49, -1, 1), *gw = dev(w, 7 * 36), *gb = dev(b, 7);
    cr_assert_eq(fv_fc_fwd_cpu(fx.th, w, b, 7, fy.th), FV_OK);
    cr_assert_eq(fv_fc_bwd_cpu(fdy.th, w, fdx.th), FV_OK);
    cr_assert_eq(fv_fc_fwd(G, fx.td, gw, gb, 7, fy.td), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_fc_bwd(G, fdy.td, gw, fdx.td), FV_OK, "%s", fv_last_error());
    check("fc forward (slices)", &fy, 1e-5, 1e-5);
    check("fc backward (slices)", &fdx, 1e-5, 1e-5);
    drop(&fx), drop(&fdy);
    fv_backend_free(G, gw), fv_backend_free(G, gb);
    free(w), free(b);
}

/* Convolutions reading a slice view and accumulating into one (test_cuda_parity.c slices the output only),
 * symmetric padding and the asymmetric padding that takes the explicitly padded path; odd sizes. */
Test(cuda_edges, conv_from_and_into_slice_views, .fini = close_gpu)
{
    require_gpu();
    const fv_conv_desc descs[2] = {{{3, 3, 1, 1, 1, 1, 1, 1}, 6, 5, 1, 1, 1}, {{7, 7, 2, 2, 2, 2, 3, 3}, 3, 4, 1, 1, 1}};
    for (int k = 0; k < 2; k++) {
        const fv_conv_desc *d = &descs[k];
        const int n = 3, h = 15, w = 13, oh = fv_window_out(h, d->win.kh, d->win.sh, d->win.pad_t, d->win.pad_b),
                  ow = fv_window_out(w, d->win.kw, d->win.sw, d->win.pad_l, d->win.pad_r);
        view x = mkv(n, d->cin, h, w, 3, 50, -1, 1), y = mkv(n, d->cout, oh, ow, 2, 51, -1, 1),
             dy = mkv(n, d->cout, oh, ow, 1, 52, -1, 1), dx = mkv(n, d->cin, h, w, 2, 53, -1, 1);
        const size_t nw = (size_t)d->cout * d->cin * d->win.kh * d->win.kw;
        float *wt = rnd(nw, 54, -0.2f, 0.2f), *b = rnd(d->cout, 55, -0.5f, 0.5f), *gw = dev(wt, nw), *gb = dev(b, d->cout);
        float *cw = malloc((fv_conv2d_workspace_cpu(d, n, h, w) + 1) * sizeof(float));
        const size_t wsz = fv_conv2d_workspace(G, d, n, h, w);
        float *gwork = dev(NULL, wsz + 1);
        cr_assert_eq(fv_conv2d_fwd_cpu(d, x.th, wt, b, y.th, cw), FV_OK);
        cr_assert_eq(fv_conv2d_bwd_data_cpu(d, dy.th, wt, dx.th, cw), FV_OK);
        cr_assert_eq(fv_conv2d_fwd(G, d, x.td, gw, gb, y.td, gwork), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_conv2d_bwd_data(G, d, dy.td, gw, dx.td, gwork), FV_OK, "%s", fv_last_error());
        check(k ? "conv 7x7/2 asymmetric forward (slices)" : "conv 3x3 forward (slices)", &y, 1e-5, 1e-5);
        check(k ? "conv 7x7/2 asymmetric backward-data (slices)" : "conv 3x3 backward-data (slices)", &dx, 1e-5, 1e-5);
        drop(&x), drop(&dy);
        fv_backend_free(G, gw), fv_backend_free(G, gb), fv_backend_free(G, gwork);
        free(wt), free(b), free(cw);
    }
}

/* ---------- objectives, penalties, transforms ---------- */

/* 1100 terms of every kind (past 64 per launch and 1024 per round trip) on a slice view, odd sizes. */
Test(cuda_edges, objective_terms_past_every_group, .fini = close_gpu)
{
    require_gpu();
    const int n = 4, c = 9, h = 5, w = 7, nt = 1100;
    view a = mkv(n, c, h, w, 3, 60, -1, 2), da = mkv(n, c, h, w, 2, 61, -1, 1);
    float *dir = rnd(c, 62, -1, 1), *gdir = dev(dir, c);
    fv_obj_term *tc = malloc(sizeof(fv_obj_term) * nt), *tg = malloc(sizeof(fv_obj_term) * nt);
    for (int i = 0; i < nt; i++) {
        const fv_obj_kind kinds[4] = {FV_OBJ_CHANNEL, FV_OBJ_NEURON, FV_OBJ_DEEPDREAM, FV_OBJ_DIRECTION};
        fv_obj_term t = {kinds[i % 4], i % n, i % c, i % h, i / 3 % w, (i % 2 ? 1.0f : -1.0f) * (0.5f + 0.01f * (i % 9)),
                         NULL};
        tc[i] = tg[i] = t;
        if (t.kind == FV_OBJ_DIRECTION) tc[i].dir = dir, tg[i].dir = gdir;
    }
    float *vc = malloc(sizeof(float) * nt), *vg = malloc(sizeof(float) * nt);
    cr_assert_eq(fv_objective_fwd_cpu(tc, nt, a.th, vc), FV_OK);
    cr_assert_eq(fv_objective_bwd_cpu(tc, nt, a.th, da.th), FV_OK);
    cr_assert_eq(fv_objective_fwd(G, tg, nt, a.td, vg), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_objective_bwd(G, tg, nt, a.td, da.td), FV_OK, "%s", fv_last_error());
    for (int i = 0; i < nt; i++)
        cr_assert(fabsf(vc[i] - vg[i]) <= 1e-5f * (1 + fabsf(vc[i])), "term %d: cpu %g gpu %g", i, vc[i], vg[i]);
    check("objective gradients, 1100 terms (slice)", &da, 1e-5, 1e-5); /* ~275 terms add into each image */
    drop(&a);
    fv_backend_free(G, gdir);
    free(dir), free(tc), free(tg), free(vc), free(vg);
}

/* 1030 images (past the 1024 values per round trip), odd 3x5 images, all four penalties. */
Test(cuda_edges, penalties_past_their_group, .fini = close_gpu)
{
    require_gpu();
    const int n = 1030, h = 3, w = 5;
    const size_t np = (size_t)n * 3 * h * w;
    float *rgb = rnd(np, 70, 0.05f, 0.95f), *d = rnd(np, 71, -1, 1), *vc = malloc(sizeof(float) * n),
          *vg = malloc(sizeof(float) * n);
    float *grgb = dev(rgb, np), *gd = dev(d, np);
    cr_assert_eq(fv_penalty_fwd_cpu(n, h, w, rgb, 0.3f, 0.2f, 0.5f, 0.7f, vc), FV_OK);
    cr_assert_eq(fv_penalty_bwd_cpu(n, h, w, rgb, -0.3f, -0.2f, -0.5f, -0.7f, d), FV_OK);
    cr_assert_eq(fv_penalty_fwd(G, n, h, w, grgb, 0.3f, 0.2f, 0.5f, 0.7f, vg), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_penalty_bwd(G, n, h, w, grgb, -0.3f, -0.2f, -0.5f, -0.7f, gd), FV_OK, "%s", fv_last_error());
    for (int i = 0; i < n; i++)
        cr_assert(fabsf(vc[i] - vg[i]) <= 1e-5f * fabsf(vc[i]), "penalty %d: cpu %g gpu %g", i, vc[i], vg[i]);
    expect_close("penalty gradient, 1030 images (accumulated)", gd, d, np, 1e-6, 1e-5);
    fv_backend_free(G, grgb);
    free(rgb), free(d), free(vc), free(vg);
}

/* Resampling over 130 images (past 128 maps per launch) and Lucid's chain over 35 (past 32 chains per launch),
 * with a different transform per image, at odd sizes. */
Test(cuda_edges, resample_and_lucid_chain_past_their_chunks, .fini = close_gpu)
{
    require_gpu();
    {
        const int n = 130, c = 3, h = 7, w = 9;
        const size_t np = (size_t)n * c * h * w;
        fv_affine *maps = malloc(sizeof(fv_affine) * n);
        for (int i = 0; i < n; i++) {
            const double a = 0.05 * (i % 13), s = 1.0 + 0.02 * (i % 5);
            maps[i] = (fv_affine){{(float)(cos(a) / s), (float)(sin(a) / s), 0.3f * (i % 4), (float)(-sin(a) / s),
                                   (float)(cos(a) / s), -0.2f * (i % 3)}};
        }
        float *src = rnd(np, 80, 0, 1), *dst = malloc(np * sizeof(float)), *ddst = rnd(np, 81, -1, 1),
              *dsrc = malloc(np * sizeof(float));
        cr_assert_eq(fv_resample_fwd_cpu(n, c, h, w, src, maps, 0.5f, h, w, dst), FV_OK);
        cr_assert_eq(fv_resample_bwd_cpu(n, c, h, w, maps, h, w, ddst, dsrc), FV_OK);
        float *gsrc = dev(src, np), *gdst = dev(NULL, np), *gddst = dev(ddst, np), *gdsrc = dev(NULL, np);
        cr_assert_eq(fv_resample_fwd(G, n, c, h, w, gsrc, maps, 0.5f, h, w, gdst), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_resample_bwd(G, n, c, h, w, maps, h, w, gddst, gdsrc), FV_OK, "%s", fv_last_error());
        expect_close("resample forward, 130 images", gdst, dst, np, 1e-6, 1e-6);
        expect_close("resample backward, 130 images", gdsrc, dsrc, np, 1e-5, 1e-5);
        fv_backend_free(G, gsrc), fv_backend_free(G, gddst);
        free(maps), free(src), free(dst), free(ddst), free(dsrc);
    }
    fv_transform_params tp;
    fv_transform_preset(FV_PRESET_LUCID, &tp);
    const int n = 35, c = 3, S = 21;
    fv_tfchain ch[35];
    for (int i = 0; i < n; i++)
        ch[i] = fv_transform_lucid_chain(&tp, S, 8, (float)(i % 11) - 5.0f, i % 9, (i / 3) % 9, i % 5, (i / 2) % 5);
    const int N = ch[0].n;
    const size_t ns = (size_t)n * c * S * S, nd = (size_t)n * c * N * N;
    float *src = rnd(ns, 82, 0, 1), *dst = malloc(nd * sizeof(float)), *ddst = rnd(nd, 83, -1, 1),
          *dsrc = malloc(ns * sizeof(float));
    cr_assert_eq(fv_tfchain_fwd_cpu(n, c, ch, src, dst), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_tfchain_bwd_cpu(n, c, ch, ddst, dsrc), FV_OK, "%s", fv_last_error());
    float *gsrc = dev(src, ns), *gdst = dev(NULL, nd), *gddst = dev(ddst, nd), *gdsrc = dev(NULL, ns);
    cr_assert_eq(fv_tfchain_fwd(G, n, c, ch, gsrc, gdst), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_tfchain_bwd(G, n, c, ch, gddst, gdsrc), FV_OK, "%s", fv_last_error());
    expect_close("lucid chain forward, 35 images", gdst, dst, nd, 1e-6, 1e-6);
    expect_close("lucid chain backward, 35 images", gdsrc, dsrc, ns, 1e-5, 1e-5);
    fv_backend_free(G, gsrc), fv_backend_free(G, gddst);
    free(src), free(dst), free(ddst), free(dsrc);
}

/* Diversity of a group inside a larger batch, and alignment over the largest group the twin takes (64 frames),
 * both on slice views at odd sizes. */
Test(cuda_edges, diversity_and_alignment_on_slice_views, .fini = close_gpu)
{
    require_gpu();
    view a = mkv(7, 11, 3, 5, 2, 90, -1, 2), da = mkv(7, 11, 3, 5, 3, 91, -1, 1);
    float *wc = malloc(fv_diversity_workspace_cpu(11, 5) * sizeof(float));
    float *wg = dev(NULL, fv_diversity_workspace(G, 11, 5));
    float dc, dg;
    cr_assert_eq(fv_diversity_fwd_cpu(a.th, 1, 5, &dc, wc), FV_OK);
    cr_assert_eq(fv_diversity_bwd_cpu(a.th, 1, 5, -100.0f, da.th, wc), FV_OK);
    cr_assert_eq(fv_diversity_fwd(G, a.td, 1, 5, &dg, wg), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_diversity_bwd(G, a.td, 1, 5, -100.0f, da.td, wg), FV_OK, "%s", fv_last_error());
    cr_assert(fabsf(dc - dg) <= 1e-5f * fabsf(dc), "diversity cpu %g gpu %g", dc, dg);
    double scale = 0;
    for (size_t i = 0; i < da.len; i++) scale = fmax(scale, fabs(da.h[i]));
    check("diversity gradient (group 1..5 of 7, slices)", &da, 1e-5 * scale, 1e-4);
    drop(&a);
    fv_backend_free(G, wg);
    free(wc);

    view b = mkv(66, 4, 3, 5, 1, 92, -1, 1), db = mkv(66, 4, 3, 5, 2, 93, -1, 1);
    float ac, ag;
    cr_assert_eq(fv_alignment_fwd_cpu(b.th, 1, 64, 2.0f, &ac), FV_OK);
    cr_assert_eq(fv_alignment_bwd_cpu(b.th, 1, 64, 2.0f, 0.1f, db.th), FV_OK);
    cr_assert_eq(fv_alignment_fwd(G, b.td, 1, 64, 2.0f, &ag), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_alignment_bwd(G, b.td, 1, 64, 2.0f, 0.1f, db.td), FV_OK, "%s", fv_last_error());
    cr_assert(fabsf(ac - ag) <= 1e-5f * fabsf(ac), "alignment cpu %g gpu %g", ac, ag);
    check("alignment gradient (64 frames, slices)", &db, 1e-7, 1e-5);
    drop(&b);
}

/* ---------- the whole network ---------- */

/* GoogLeNet forward to the logits and mixed4a and back to the input, on both twins, for two images at odd
 * sizes a Lucid canvas takes (every network op chained through the plan, with the plan's own slice views of
 * the concatenations), ordinary and redirected ReLU gradients. Random inputs at the network's input scale, so
 * no max-pool window holds near-ties (on a near-uniform image a 1e-7 difference can move an argmax, and with
 * it a gradient); bound: 1e-4 of the largest value, as the numpy reference check. */
static void compare(const char *what, const fv_tensor *tc, const fv_tensor *tg)
{
    const size_t n = (size_t)tc->n * tc->bstride;
    float *h = malloc(n * sizeof(float));
    cr_assert_eq(fv_backend_download(G, h, tg->data, n * sizeof(float)), FV_OK);
    double scale = 0, worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(tc->data[i]));
    for (size_t i = 0; i < n; i++) {
        cr_assert(isfinite(h[i]), "%s: non-finite at %zu", what, i);
        if (fabs(h[i] - tc->data[i]) > worst) worst = fabs(h[i] - tc->data[i]), at = i;
    }
    cr_log_info("%s: max |gpu - cpu| / max |cpu| = %.2e", what, worst / scale);
    cr_assert(worst <= 1e-4 * scale, "%s: element %zu: gpu %g cpu %g (scale %g)", what, at, h[at], tc->data[at], scale);
    free(h);
}

Test(cuda_edges, whole_network_gradient_at_odd_sizes, .fini = close_gpu)
{
    require_gpu();
    fv_model *m = fv_test_load_bvlc();
    const int targets[2] = {fv_net_find(&m->net, "logits"), fv_net_find(&m->net, "mixed4a")};
    const fv_obj_term terms[2] = {{FV_OBJ_NEURON, 0, 285, 0, 0, 1.0f, NULL}, {FV_OBJ_CHANNEL, 1, 97, 0, 0, 1.0f, NULL}};
    const int sides[2][2] = {{67, 67}, {101, 93}};
    for (int k = 0; k < 2; k++) {
        const int h = sides[k][0], w = sides[k][1];
        fv_plan *p[2];
        fv_backend *be[2] = {fv_test_cpu(), G};
        const size_t ni = 2 * 3 * (size_t)h * w;
        float *x = rnd(ni, 100 + k, -60, 60);
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(fv_plan_create(&m->net, be[i], 2, h, w, targets, 2, &p[i]), FV_OK, "%s", fv_last_error());
            cr_assert_eq(fv_backend_upload(be[i], p[i]->act[m->net.input].data, x, ni * sizeof(float)), FV_OK);
            cr_assert_eq(fv_plan_forward(p[i]), FV_OK, "%s", fv_last_error());
        }
        compare("logits", &p[0]->act[targets[0]], &p[1]->act[targets[0]]);
        compare("mixed4a", &p[0]->act[targets[1]], &p[1]->act[targets[1]]);
        for (int redirect = 0; redirect < 2; redirect++) {
            for (int i = 0; i < 2; i++) {
                cr_assert_eq(fv_plan_zero_grad(p[i]), FV_OK);
                for (int t = 0; t < 2; t++)
                    cr_assert_eq(fv_objective_bwd(be[i], &terms[t], 1, p[i]->act[targets[t]], p[i]->grad[targets[t]]),
                                 FV_OK, "%s", fv_last_error());
                cr_assert_eq(fv_plan_backward(p[i], redirect), FV_OK, "%s", fv_last_error());
            }
            compare(redirect ? "input gradient (redirected ReLU)" : "input gradient", &p[0]->grad[m->net.input],
                    &p[1]->grad[m->net.input]);
        }
        fv_plan_free(p[0]), fv_plan_free(p[1]);
        free(x);
    }
    fv_model_free(m);
}
#endif

/* Runs everywhere, so the suite always has a test: the probe gives a reason when it finds no GPU. */
Test(cuda_edges, probe_answers)
{
    char desc[256] = "";
    fv_backend_probe(FV_BACKEND_CUDA, desc, sizeof desc);
    cr_assert(desc[0] != 0);
}
