/* CPU vs CUDA parity of issue 13's ONNX operators: act, binary (every broadcast, both gradients), affine, pad,
 * copy, convolution with groups and dilations (cuDNN), average pooling counting padding, and the tiny network
 * of tests/tiny_onnx_net.h run through a plan on each backend. The CUDA twins are reached through an opened
 * CUDA instance (backend/backend.h), the CPU twins directly. The elementwise kernels compute the CPU's float
 * expressions in its order with the _rn intrinsics, so they must match bit for bit (tolerance 0), but for the
 * sigmoid's expf (CUDA's against libm's); convolutions sum in cuDNN's order. Without a GPU (or a CUDA build)
 * every test skips; under -DFV_CUDA_EMULATE=ON they run on the emulated device. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "tiny_onnx_net.h"

#ifdef FV_HAVE_CUDA
#include "cuda_pairs.h"

static double maxabs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

Test(cuda_onnx, act_every_kind, .fini = close_gpu)
{
    require_gpu();
    const fv_act_desc d[5] = {{FV_ACT_LEAKY, 0.1f, 0}, {FV_ACT_CLIP, -0.5f, 0.5f}, {FV_ACT_SIGMOID, 0, 0},
                              {FV_ACT_HARDSIGMOID, 0.2f, 0.5f}, {FV_ACT_HARDSWISH, 0, 0}};
    for (int k = 0; k < 5; k++) {
        pair x = pair_mk(3, 5, 6, 7, 30 + k, -6, 6), y = pair_mk(3, 5, 6, 7, 40, -1, 1), dy = pair_mk(3, 5, 6, 7, 41, -1, 1),
             dx = pair_mk(3, 5, 6, 7, 42, -1, 1);
        cr_assert_eq(fv_act_fwd_cpu(&d[k], x.th, y.th), FV_OK);
        cr_assert_eq(fv_act_bwd_cpu(&d[k], x.th, dy.th, dx.th), FV_OK);
        cr_assert_eq(fv_act_fwd(G, &d[k], x.td, y.td), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_act_bwd(G, &d[k], x.td, dy.td, dx.td), FV_OK, "%s", fv_last_error());
        /* expf: CUDA's is within 2 ulp, glibc's within 1: a few 1e-7 on values in (0, 1) */
        double tol = d[k].kind == FV_ACT_SIGMOID ? 1e-6 : 0;
        char what[64];
        snprintf(what, sizeof what, "act %d forward", (int)d[k].kind);
        pair_check(what, &y, tol, 0);
        snprintf(what, sizeof what, "act %d backward", (int)d[k].kind);
        pair_check(what, &dx, tol, 0);
        pair_drop(&x), pair_drop(&dy);
    }
}

Test(cuda_onnx, binary_every_broadcast_both_gradients, .fini = close_gpu)
{
    require_gpu();
    const int shapes[4][3] = {{4, 5, 6}, {4, 1, 1}, {1, 1, 1}, {1, 5, 6}};
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < 4; s++) {
            fv_binary_kind kind = k ? FV_BINARY_MUL : FV_BINARY_ADD;
            pair a = pair_mk(3, 4, 5, 6, 50, -2, 2), b = pair_mk(3, shapes[s][0], shapes[s][1], shapes[s][2], 51 + s, -2, 2);
            pair y = pair_mk(3, 4, 5, 6, 55, -1, 1), dy = pair_mk(3, 4, 5, 6, 56, -1, 1), da = pair_mk(3, 4, 5, 6, 57, -1, 1);
            pair db = pair_mk(3, shapes[s][0], shapes[s][1], shapes[s][2], 58, -1, 1);
            cr_assert_eq(fv_binary_fwd_cpu(kind, a.th, b.th, y.th), FV_OK);
            cr_assert_eq(fv_binary_bwd_cpu(kind, a.th, b.th, dy.th, da.th, db.th), FV_OK);
            cr_assert_eq(fv_binary_fwd(G, kind, a.td, b.td, y.td), FV_OK, "%s", fv_last_error());
            cr_assert_eq(fv_binary_bwd(G, kind, a.td, b.td, dy.td, da.td, db.td), FV_OK, "%s", fv_last_error());
            char what[96];
            snprintf(what, sizeof what, "binary %s b (%d,%d,%d)", k ? "mul" : "add", shapes[s][0], shapes[s][1],
                     shapes[s][2]);
            pair_check(what, &y, 0, 0);
            pair_check(what, &da, 0, 0);
            pair_check(what, &db, 0, 0);
            pair_drop(&a), pair_drop(&b), pair_drop(&dy);
        }
}

Test(cuda_onnx, affine_pad_copy_on_slices, .fini = close_gpu)
{
    require_gpu();
    /* affine with and without a shift; x and dx as channels [1, 4) of 6-channel buffers */
    pair xb = pair_mk(2, 6, 5, 7, 60, -2, 2), y = pair_mk(2, 3, 5, 7, 61, -1, 1), dy = pair_mk(2, 3, 5, 7, 62, -1, 1),
         dxb = pair_mk(2, 6, 5, 7, 63, -1, 1), sc = pair_mk(1, 3, 1, 1, 64, -2, 2), sh = pair_mk(1, 3, 1, 1, 65, -1, 1);
    fv_tensor xh = fv_tensor_slice(xb.th, 1, 3), xd = fv_tensor_slice(xb.td, 1, 3);
    fv_tensor dxh = fv_tensor_slice(dxb.th, 1, 3), dxd = fv_tensor_slice(dxb.td, 1, 3);
    for (int shift = 0; shift < 2; shift++) {
        cr_assert_eq(fv_affine_fwd_cpu(xh, sc.h, shift ? sh.h : NULL, y.th), FV_OK);
        cr_assert_eq(fv_affine_fwd(G, xd, sc.d, shift ? sh.d : NULL, y.td), FV_OK, "%s", fv_last_error());
        float *got = malloc(y.n * sizeof(float));
        cr_assert_eq(fv_backend_download(G, got, y.d, y.n * sizeof(float)), FV_OK);
        cr_assert(memcmp(got, y.h, y.n * sizeof(float)) == 0, "affine forward (shift %d) differs", shift);
        free(got);
    }
    cr_assert_eq(fv_affine_bwd_cpu(dy.th, sc.h, dxh), FV_OK);
    cr_assert_eq(fv_affine_bwd(G, dy.td, sc.d, dxd), FV_OK, "%s", fv_last_error());
    pair_check("affine forward", &y, 0, 0);
    pair_check("affine backward (and the channels around the slice)", &dxb, 0, 0);
    pair_drop(&dy), pair_drop(&sc), pair_drop(&sh);
    /* pad t2 l0 b1 r3 from a slice, and its backward into a slice */
    fv_window pads = {0};
    pads.pad_t = 2, pads.pad_b = 1, pads.pad_r = 3;
    pair py = pair_mk(2, 3, 8, 10, 66, -1, 1), pdy = pair_mk(2, 3, 8, 10, 67, -1, 1), pdx = pair_mk(2, 6, 5, 7, 68, -1, 1);
    cr_assert_eq(fv_pad_fwd_cpu(&pads, -0.75f, xh, py.th), FV_OK);
    cr_assert_eq(fv_pad_fwd(G, &pads, -0.75f, xd, py.td), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_pad_bwd_cpu(&pads, pdy.th, fv_tensor_slice(pdx.th, 2, 3)), FV_OK);
    cr_assert_eq(fv_pad_bwd(G, &pads, pdy.td, fv_tensor_slice(pdx.td, 2, 3)), FV_OK, "%s", fv_last_error());
    pair_check("pad forward", &py, 0, 0);
    pair_check("pad backward", &pdx, 0, 0);
    pair_drop(&pdy);
    /* copy: flatten a slice, and add back into a slice */
    pair cy = pair_mk(2, 105, 1, 1, 69, -1, 1), cdx = pair_mk(2, 6, 5, 7, 70, -1, 1);
    cr_assert_eq(fv_copy_fwd_cpu(xh, cy.th), FV_OK);
    cr_assert_eq(fv_copy_fwd(G, xd, cy.td), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_copy_bwd_cpu(cy.th, fv_tensor_slice(cdx.th, 3, 3)), FV_OK);
    cr_assert_eq(fv_copy_bwd(G, cy.td, fv_tensor_slice(cdx.td, 3, 3)), FV_OK, "%s", fv_last_error());
    pair_check("copy backward", &cdx, 0, 0);
    pair_check("copy forward", &cy, 0, 0);
    pair_drop(&xb);
}

typedef struct gconv {
    int n, cin, h, w, cout, kh, kw, s, pt, pl, pb, pr, g, dh, dw;
} gconv;

/* Tolerance: float sums of cin/g*kh*kw products in another order; 1e-5 of the largest |value|, as for the
 * ungrouped convolutions of test_cuda_parity.c. */
Test(cuda_onnx, conv_groups_and_dilation, .fini = close_gpu)
{
    require_gpu();
    const gconv cases[] = {
        {2, 8, 9, 11, 6, 3, 3, 1, 1, 1, 1, 1, 2, 1, 1},  /* two groups */
        {2, 16, 12, 12, 16, 3, 3, 2, 1, 1, 1, 1, 16, 1, 1}, /* depthwise, stride 2 */
        {1, 6, 10, 9, 12, 3, 3, 1, 1, 1, 1, 1, 6, 1, 1},  /* depthwise, multiplier 2 */
        {2, 5, 13, 12, 4, 3, 3, 1, 2, 2, 2, 2, 1, 2, 2},  /* dilated 2 */
        {1, 4, 14, 11, 6, 3, 2, 2, 1, 0, 3, 2, 2, 3, 2},  /* grouped, dilated (3, 2), asymmetric pads */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const gconv *c = &cases[i];
        fv_conv_desc d = {{c->kh, c->kw, c->s, c->s, c->pt, c->pl, c->pb, c->pr}, c->cin, c->cout, c->g, c->dh, c->dw};
        const int oh = fv_window_out(c->h, fv_conv_ext_h(&d), c->s, c->pt, c->pb);
        const int ow = fv_window_out(c->w, fv_conv_ext_w(&d), c->s, c->pl, c->pr);
        const size_t nw = (size_t)c->cout * (c->cin / c->g) * c->kh * c->kw;
        pair x = pair_mk(c->n, c->cin, c->h, c->w, 80 + i, -1, 1), y = pair_mk(c->n, c->cout, oh, ow, 81, -1, 1);
        pair dy = pair_mk(c->n, c->cout, oh, ow, 82, -1, 1), dx = pair_mk(c->n, c->cin, c->h, c->w, 83, -1, 1);
        pair wt = pair_mk(1, 1, 1, (int)nw, 84 + i, -1, 1), bias = pair_mk(1, 1, 1, c->cout, 85, -1, 1);
        float *work = malloc(fv_conv2d_workspace_cpu(&d, c->n, c->h, c->w) * sizeof(float) + 4), *dwork = NULL;
        size_t dws = fv_conv2d_workspace(G, &d, c->n, c->h, c->w);
        cr_assert_eq(fv_backend_alloc(G, (void **)&dwork, (dws ? dws : 1) * sizeof(float)), FV_OK);
        cr_assert_eq(fv_conv2d_fwd_cpu(&d, x.th, wt.h, bias.h, y.th, work), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_conv2d_bwd_data_cpu(&d, dy.th, wt.h, dx.th, work), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_conv2d_fwd(G, &d, x.td, wt.d, bias.d, y.td, dwork), FV_OK, "case %zu: %s", i, fv_last_error());
        cr_assert_eq(fv_conv2d_bwd_data(G, &d, dy.td, wt.d, dx.td, dwork), FV_OK, "case %zu: %s", i, fv_last_error());
        char what[64];
        snprintf(what, sizeof what, "conv case %zu forward", i);
        pair_check(what, &y, 1e-5 * maxabs(y.h, y.n), 0);
        snprintf(what, sizeof what, "conv case %zu backward", i);
        pair_check(what, &dx, 1e-5 * maxabs(dx.h, dx.n), 0);
        pair_drop(&x), pair_drop(&dy), pair_drop(&wt), pair_drop(&bias);
        free(work);
        fv_backend_free(G, dwork);
    }
}

Test(cuda_onnx, avg_pool_count_pad, .fini = close_gpu)
{
    require_gpu();
    const fv_pool_desc descs[3] = {{{3, 3, 2, 2, 1, 1, 2, 1}, FV_POOL_AVG, 1, 1, 0},
                                   {{3, 3, 1, 1, 1, 0, 1, 2}, FV_POOL_AVG, 1, 0, 0},
                                   {{2, 2, 2, 2, 0, 0, 1, 1}, FV_POOL_AVG, 1, 1, 1}};
    for (int k = 0; k < 3; k++) {
        const fv_pool_desc *d = &descs[k];
        int oh = fv_window_out(9, d->win.kh, d->win.sh, d->win.pad_t, d->win.pad_b);
        int ow = fv_window_out(8, d->win.kw, d->win.sw, d->win.pad_l, d->win.pad_r);
        pair x = pair_mk(2, 3, 9, 8, 90, -1, 1), y = pair_mk(2, 3, oh, ow, 91, -1, 1), dy = pair_mk(2, 3, oh, ow, 92, -1, 1),
             dx = pair_mk(2, 3, 9, 8, 93, -1, 1);
        cr_assert_eq(fv_pool_fwd_cpu(d, x.th, y.th), FV_OK);
        cr_assert_eq(fv_pool_bwd_cpu(d, x.th, y.th, dy.th, dx.th), FV_OK);
        cr_assert_eq(fv_pool_fwd(G, d, x.td, y.td), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_pool_bwd(G, d, x.td, y.td, dy.td, dx.td), FV_OK, "%s", fv_last_error());
        pair_check("avg pool count_pad forward", &y, 0, 0);
        pair_check("avg pool count_pad backward", &dx, 0, 0);
        pair_drop(&x), pair_drop(&dy);
    }
}

/* Forward and backward of one plan of the tiny net on a backend: out (n*90) and the input gradient (n*192). */
static void run_tiny(tiny_net *t, fv_backend *be, const float *x, const float *dy, float *out, float *gin)
{
    fv_plan *p;
    cr_assert_eq(fv_plan_create(&t->net, be, 2, 8, 8, &t->out, 1, &p), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_backend_upload(be, p->act[t->input].data, x, 384 * sizeof(float)), FV_OK);
    cr_assert_eq(fv_plan_forward(p), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_backend_download(be, out, p->act[t->out].data, 180 * sizeof(float)), FV_OK);
    cr_assert_eq(fv_plan_zero_grad(p), FV_OK);
    cr_assert_eq(fv_backend_upload(be, p->grad[t->out].data, dy, 180 * sizeof(float)), FV_OK);
    cr_assert_eq(fv_plan_backward(p, 0), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_backend_download(be, gin, p->grad[t->input].data, 384 * sizeof(float)), FV_OK);
    fv_plan_free(p);
}

Test(cuda_onnx, tiny_net_plan_matches_cpu, .fini = close_gpu)
{
    require_gpu();
    tiny_net t;
    tiny_build(&t);
    float x[384], dy[180], oc[180], og[180], gc[384], gg[384];
    fv_test_fill(x, 384, 95, -1, 1);
    fv_test_fill(dy, 180, 96, -1, 1);
    run_tiny(&t, fv_test_cpu(), x, dy, oc, gc);
    run_tiny(&t, G, x, dy, og, gg);
    /* convolutions in cuDNN's order and the sigmoid's expf: 1e-5 of the largest value */
    double to = 1e-5 * maxabs(oc, 180), tg = 1e-5 * maxabs(gc, 384);
    for (int i = 0; i < 180; i++) cr_assert(fabs(og[i] - oc[i]) <= to, "out[%d]: gpu %.8g cpu %.8g", i, og[i], oc[i]);
    for (int i = 0; i < 384; i++) cr_assert(fabs(gg[i] - gc[i]) <= tg, "dx[%d]: gpu %.8g cpu %.8g", i, gg[i], gc[i]);
    fv_net_free(&t.net);
}

#else
Test(cuda_onnx, skipped_without_cuda) { cr_skip_test("built without CUDA"); }
#endif
