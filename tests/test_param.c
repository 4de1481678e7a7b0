/* Tests of the CPU image-parameterisation ops (FFT image, colour, resampling, preprocessing, Adam),
 * the counter-based RNG and the transform chain: forward values against naive or hand-computed
 * references, backward passes against adjoint identities and finite differences. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ops.h"
#include "core/rng.h"
#include "render/transform.h"

#define PI 3.14159265358979323846

/* ---------- helpers ---------- */

/* Test data from the RNG under test would hide RNG bugs behind every test; use a private xorshift. */
static uint64_t tst_state = 88172645463325252ull;
static double tst_unif(void)
{
    tst_state ^= tst_state << 13;
    tst_state ^= tst_state >> 7;
    tst_state ^= tst_state << 17;
    return (double)(tst_state >> 11) * 0x1.0p-53;
}
static float tst_sym(double a) { return (float)((2.0 * tst_unif() - 1.0) * a); }
static void tst_fill(float *x, size_t n, double a)
{
    for (size_t i = 0; i < n; i++) x[i] = tst_sym(a);
}
static double tst_dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}
static void *tst_alloc(size_t nfloat)
{
    void *p = calloc(nfloat ? nfloat : 1, sizeof(float));
    cr_assert_not_null(p);
    return p;
}

/* Naive O(N^4) evaluation of the documented Re-formula, in double. */
static void naive_spec_to_img(int n, int h, int w, const float *spec, const float *scale, double *img)
{
    int wf = w / 2 + 1;
    for (int i = 0; i < n; i++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double acc = 0;
                for (int ky = 0; ky < h; ky++)
                    for (int kx = 0; kx < wf; kx++) {
                        double c = (kx == 0 || (w % 2 == 0 && kx == w / 2)) ? 1.0 : 2.0;
                        size_t j = (size_t)ky * wf + kx;
                        const float *s = spec + ((size_t)i * h * wf + j) * 2;
                        double th = 2 * PI * ((double)ky * y / h + (double)kx * x / w);
                        acc += c * scale[j] * (s[0] * cos(th) - s[1] * sin(th));
                    }
                img[((size_t)i * h + y) * w + x] = acc / (h * w) / 4.0;
            }
}

/* ---------- (1) spectrum -> image against the naive formula ---------- */

static void check_fwd_naive(int n, int h, int w)
{
    int wf = w / 2 + 1;
    size_t ns = (size_t)n * h * wf * 2, ni = (size_t)n * h * w;
    float *spec = tst_alloc(ns), *scale = tst_alloc((size_t)h * wf), *img = tst_alloc(ni);
    double *ref = calloc(ni, sizeof(double));
    tst_fill(spec, ns, 1.0); /* deliberately not Hermitian in the self-conjugate columns */
    fv_spectrum_scale(h, w, 1.0f, scale);
    fv_fft_plan_cpu *p;
    cr_assert_eq(fv_fft_plan_create_cpu(n, h, w, &p), FV_OK);
    cr_assert_eq(fv_spectrum_to_image_cpu(p, spec, scale, img), FV_OK);
    naive_spec_to_img(n, h, w, spec, scale, ref);
    double emax = 0, rmax = 0;
    for (size_t i = 0; i < ni; i++) {
        emax = fmax(emax, fabs(img[i] - ref[i]));
        rmax = fmax(rmax, fabs(ref[i]));
    }
    cr_assert(rmax > 0.1, "degenerate reference");
    cr_assert(emax / rmax < 1e-5, "h=%d w=%d: rel err %g", h, w, emax / rmax);
    fv_fft_plan_free_cpu(p);
    free(spec), free(scale), free(img), free(ref);
}

Test(spectrum, forward_matches_naive_even) { check_fwd_naive(2, 6, 8); }
Test(spectrum, forward_matches_naive_odd) { check_fwd_naive(2, 5, 7); }
Test(spectrum, forward_matches_naive_mixed) { check_fwd_naive(3, 4, 5); }

Test(spectrum, plan_rejects_bad_shape)
{
    fv_fft_plan_cpu *p = (fv_fft_plan_cpu *)1;
    cr_assert_eq(fv_fft_plan_create_cpu(0, 4, 4, &p), FV_ERR_ARG);
    cr_assert_null(p);
}

/* ---------- (2) adjoint identity and finite differences of the spectrum op ---------- */

static void check_adjoint(int n, int h, int w)
{
    int wf = w / 2 + 1;
    size_t ns = (size_t)n * h * wf * 2, ni = (size_t)n * h * w;
    float *x = tst_alloc(ns), *fx = tst_alloc(ni), *y = tst_alloc(ni), *fty = tst_alloc(ns);
    float *scale = tst_alloc((size_t)h * wf);
    tst_fill(x, ns, 1.0);
    tst_fill(y, ni, 1.0);
    fv_spectrum_scale(h, w, 1.0f, scale);
    fv_fft_plan_cpu *p;
    cr_assert_eq(fv_fft_plan_create_cpu(n, h, w, &p), FV_OK);
    cr_assert_eq(fv_spectrum_to_image_cpu(p, x, scale, fx), FV_OK);
    cr_assert_eq(fv_spectrum_to_image_bwd_cpu(p, y, scale, fty), FV_OK);
    double a = tst_dot(fx, y, ni), b = tst_dot(x, fty, ns);
    cr_assert(fabs(a - b) <= 1e-5 * fmax(fabs(a), 1e-3), "h=%d w=%d: <Fx,y>=%.9g <x,FTy>=%.9g", h, w, a, b);

    /* The op is linear, so a central difference with a unit step is exact up to float rounding:
     * it checks each listed entry, including the kx=0 and Nyquist columns. */
    int nyq = w % 2 == 0 ? w / 2 : wf - 1;
    int probes[][3] = {{0, 0, 0}, {0, 1, 0}, {h - 1, 0, 0}, {1, 0, 1}, {h - 1, 0, 1}, {0, nyq, 0},
                       {1, nyq, 0}, {1, nyq, 1}, {h - 1, nyq, 1}, {2, 1, 0}, {2, 1, 1}, {h / 2, 0, 0}};
    double gnorm = 0;
    for (size_t i = 0; i < ns; i++) gnorm = fmax(gnorm, fabs(fty[i]));
    float *xp = tst_alloc(ns), *img = tst_alloc(ni);
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        size_t idx = (((size_t)(n - 1) * h + probes[k][0]) * wf + probes[k][1]) * 2 + probes[k][2];
        memcpy(xp, x, ns * sizeof(float));
        xp[idx] = x[idx] + 1.0f;
        fv_spectrum_to_image_cpu(p, xp, scale, img);
        double lp = tst_dot(img, y, ni);
        xp[idx] = x[idx] - 1.0f;
        fv_spectrum_to_image_cpu(p, xp, scale, img);
        double lm = tst_dot(img, y, ni);
        double fd = (lp - lm) / 2.0;
        cr_assert(fabs(fd - fty[idx]) <= 1e-5 * gnorm, "h=%d w=%d bin (%d,%d,%s): fd %g analytic %g", h, w,
                  probes[k][0], probes[k][1], probes[k][2] ? "im" : "re", fd, fty[idx]);
    }

    /* Im parts of self-conjugate bins do not reach the image: zero gradient, and no effect. */
    int sc[4][2] = {{0, 0}, {h / 2, 0}, {0, nyq}, {h / 2, nyq}};
    for (int k = 0; k < 4; k++) {
        if (sc[k][0] != 0 && h % 2) continue;
        if (sc[k][1] != 0 && w % 2) continue;
        size_t idx = ((size_t)sc[k][0] * wf + sc[k][1]) * 2 + 1;
        cr_assert(fabs(fty[idx]) <= 1e-6 * gnorm, "bin (%d,%d) im grad %g", sc[k][0], sc[k][1], fty[idx]);
        memcpy(xp, x, ns * sizeof(float));
        xp[idx] += 5.0f;
        fv_spectrum_to_image_cpu(p, xp, scale, img);
        for (size_t i = 0; i < (size_t)h * w; i++) cr_assert(fabs(img[i] - fx[i]) < 1e-6f);
    }
    fv_fft_plan_free_cpu(p);
    free(x), free(fx), free(y), free(fty), free(scale), free(xp), free(img);
}

Test(spectrum, adjoint_even) { check_adjoint(2, 6, 8); }
Test(spectrum, adjoint_odd) { check_adjoint(2, 5, 7); }
Test(spectrum, adjoint_large) { check_adjoint(6, 64, 64); }

/* ---------- (3) 1/f scale ---------- */

Test(spectrum, scale_values)
{
    float s[4 * 3];
    fv_spectrum_scale(4, 4, 1.0f, s); /* wf = 3 */
    cr_assert_float_eq(s[0 * 3 + 0], 16.0f, 1e-5);                    /* 4 / (1/4): the floor */
    cr_assert_float_eq(s[1 * 3 + 1], (float)(4.0 / sqrt(0.125)), 1e-4); /* fx = fy = 1/4 */
    cr_assert_float_eq(s[0 * 3 + 1], 16.0f, 1e-5);                    /* fx = 1/4 */
    cr_assert_float_eq(s[2 * 3 + 2], (float)(4.0 / sqrt(0.5)), 1e-4);   /* fy = -1/2, fx = 1/2 */
    cr_assert_float_eq(s[3 * 3 + 0], 16.0f, 1e-5);                    /* fy = -1/4 */
    float s2[4 * 3];
    fv_spectrum_scale(4, 4, 2.0f, s2);
    cr_assert_float_eq(s2[1 * 3 + 1], 32.0f, 1e-4); /* 4 / (1/8) */
    cr_assert_float_eq(s2[0], 64.0f, 1e-4);
    float s3[5 * 2];
    fv_spectrum_scale(5, 3, 1.0f, s3); /* odd both ways: wf = 2, fftfreq(5) = 0 .2 .4 -.4 -.2 */
    cr_assert_float_eq(s3[0 * 2 + 1], (float)(sqrt(15.0) * 3.0), 1e-4);
    cr_assert_float_eq(s3[3 * 2 + 0], (float)(sqrt(15.0) / 0.4), 1e-4);
    cr_assert_float_eq(s3[2 * 2 + 1], (float)(sqrt(15.0) / sqrt(0.16 + 1.0 / 9)), 1e-4);
    cr_assert_float_eq(s3[0], (float)(sqrt(15.0) * 5.0), 1e-4); /* floor 1/max(w,h) = 1/5 */
}

/* ---------- (4) colour ---------- */

Test(colour, matrix_and_forward)
{
    static const double recipe[3][3] = {
        {0.562829, 0.194825, 0.043295}, {0.584476, 0.0, -0.108236}, {0.584476, -0.194825, 0.064942}};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) cr_assert(fabs(fv_colour_matrix[i][j] - recipe[i][j]) < 1e-6);
    /* Two pixels; the second holds (0.3, -0.2, 0.5). Unnormalised products by hand: 0.07, 0.056, 0.114. */
    float t[6] = {0, 0.3f, 0, -0.2f, 0, 0.5f}, rgb[6];
    cr_assert_eq(fv_colour_fwd_cpu(1, 2, 1, t, rgb), FV_OK);
    double pre[3] = {0.07 / 0.46195238, 0.056 / 0.46195238, 0.114 / 0.46195238};
    for (int c = 0; c < 3; c++) {
        cr_assert_float_eq(rgb[c * 2], 0.5f, 1e-7);
        cr_assert_float_eq(rgb[c * 2 + 1], (float)(1 / (1 + exp(-pre[c]))), 1e-6);
    }
    cr_assert_eq(fv_colour_fwd_cpu(1, 2, 0, t, rgb), FV_OK);
    cr_assert_float_eq(rgb[1], (float)(1 / (1 + exp(-0.3))), 1e-6);
    cr_assert_float_eq(rgb[3], (float)(1 / (1 + exp(0.2))), 1e-6);
    cr_assert_float_eq(rgb[5], (float)(1 / (1 + exp(-0.5))), 1e-6);
}

static void check_colour_grad(int decorrelate)
{
    int n = 2, hw = 5;
    size_t N = (size_t)n * 3 * hw;
    float *t = tst_alloc(N), *rgb = tst_alloc(N), *r = tst_alloc(N), *dt = tst_alloc(N);
    tst_fill(t, N, 2.0);
    tst_fill(r, N, 1.0);
    fv_colour_fwd_cpu(n, hw, decorrelate, t, rgb);
    cr_assert_eq(fv_colour_bwd_cpu(n, hw, decorrelate, rgb, r, dt), FV_OK);
    for (size_t i = 0; i < N; i++) {
        float s = t[i], e = 1e-2f;
        t[i] = s + e;
        fv_colour_fwd_cpu(n, hw, decorrelate, t, rgb);
        double lp = tst_dot(rgb, r, N);
        t[i] = s - e;
        fv_colour_fwd_cpu(n, hw, decorrelate, t, rgb);
        double lm = tst_dot(rgb, r, N);
        t[i] = s;
        double fd = (lp - lm) / (2.0 * e);
        cr_assert(fabs(fd - dt[i]) < 2e-4 + 2e-3 * fabs(dt[i]), "decor=%d i=%zu fd %g an %g", decorrelate, i, fd,
                  dt[i]);
    }
    free(t), free(rgb), free(r), free(dt);
}

Test(colour, gradient_decorrelated) { check_colour_grad(1); }
Test(colour, gradient_plain) { check_colour_grad(0); }

/* ---------- (5) resampling ---------- */

Test(resample, identity_is_exact)
{
    int h = 5, w = 7;
    float src[2 * 5 * 7], dst[2 * 5 * 7];
    tst_fill(src, 70, 1.0);
    fv_affine id = {{1, 0, 0, 0, 1, 0}};
    fv_affine maps[2] = {id, id};
    cr_assert_eq(fv_resample_fwd_cpu(1, 2, h, w, src, maps, 0.5f, h, w, dst), FV_OK);
    cr_assert_eq(memcmp(src, dst, sizeof src), 0);
}

Test(resample, integer_shift_pads_border)
{
    int h = 4, w = 5;
    float src[20], dst[20];
    tst_fill(src, 20, 1.0);
    fv_affine m = {{1, 0, -1, 0, 1, 0}}; /* source x = x - 1: the content moves right by one pixel */
    cr_assert_eq(fv_resample_fwd_cpu(1, 1, h, w, src, &m, 0.25f, h, w, dst), FV_OK);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) cr_assert_eq(dst[y * w + x], x == 0 ? 0.25f : src[y * w + x - 1]);
    fv_affine m2 = {{1, 0, 0, 0, 1, 1}}; /* source y = y + 1: moves up, the last row is padding */
    fv_resample_fwd_cpu(1, 1, h, w, src, &m2, -3.0f, h, w, dst);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) cr_assert_eq(dst[y * w + x], y == h - 1 ? -3.0f : src[(y + 1) * w + x]);
}

Test(resample, rotation_90_about_centre)
{
    /* source = c + Rot(-90)(q - c), c = (1.5, 1.5): sx = y, sy = 3 - x. */
    float src[16], dst[16];
    for (int i = 0; i < 16; i++) src[i] = (float)i;
    fv_affine m = {{0, 1, 0, -1, 0, 3}};
    cr_assert_eq(fv_resample_fwd_cpu(1, 1, 4, 4, src, &m, 0.5f, 4, 4, dst), FV_OK);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) cr_assert_eq(dst[y * 4 + x], src[(3 - x) * 4 + y], "(%d,%d)", y, x);
    /* The top-left corner of the output shows the source's bottom-left corner. */
    cr_assert_eq(dst[0], 12.0f);
}

static fv_affine random_affine(int h, int w, double deg, double s, double tx, double ty)
{
    double th = deg * PI / 180, c = cos(th) / s, sn = sin(th) / s, cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    fv_affine a = {{(float)c, (float)sn, (float)(cx + tx - c * cx - sn * cy), (float)-sn, (float)c,
                    (float)(cy + ty + sn * cx - c * cy)}};
    return a;
}

Test(resample, transpose_fd_and_adjoint)
{
    int n = 2, c = 2, h = 9, w = 11, oh = 10, ow = 8;
    size_t ns = (size_t)n * c * h * w, nd = (size_t)n * c * oh * ow;
    fv_affine maps[2] = {random_affine(h, w, 17, 1.13, 0.37, -0.61), random_affine(h, w, -8, 0.91, -1.3, 0.45)};
    float *x = tst_alloc(ns), *rx = tst_alloc(nd), *y = tst_alloc(nd), *rty = tst_alloc(ns);
    tst_fill(x, ns, 1.0);
    tst_fill(y, nd, 1.0);
    /* pad 0 makes the op linear, so the adjoint identity holds exactly */
    cr_assert_eq(fv_resample_fwd_cpu(n, c, h, w, x, maps, 0.0f, oh, ow, rx), FV_OK);
    cr_assert_eq(fv_resample_bwd_cpu(n, c, h, w, maps, oh, ow, y, rty), FV_OK);
    double a = tst_dot(rx, y, nd), b = tst_dot(x, rty, ns);
    cr_assert(fabs(a - b) <= 1e-5 * fabs(a), "<Rx,y>=%.9g <x,RTy>=%.9g", a, b);
    /* Finite differences with the non-zero pad of real use, at every source pixel. */
    float *xp = tst_alloc(ns);
    memcpy(xp, x, ns * sizeof(float));
    for (size_t i = 0; i < ns; i++) {
        xp[i] = x[i] + 0.5f;
        fv_resample_fwd_cpu(n, c, h, w, xp, maps, 0.5f, oh, ow, rx);
        double lp = tst_dot(rx, y, nd);
        xp[i] = x[i] - 0.5f;
        fv_resample_fwd_cpu(n, c, h, w, xp, maps, 0.5f, oh, ow, rx);
        double lm = tst_dot(rx, y, nd);
        xp[i] = x[i];
        cr_assert(fabs((lp - lm) - rty[i]) < 1e-5, "i=%zu fd %g an %g", i, lp - lm, rty[i]);
    }
    /* Backward overwrites: stale content in dsrc must not survive. */
    float *again = tst_alloc(ns);
    for (size_t i = 0; i < ns; i++) again[i] = 1e3f;
    fv_resample_bwd_cpu(n, c, h, w, maps, oh, ow, y, again);
    cr_assert_eq(memcmp(again, rty, ns * sizeof(float)), 0);
    free(x), free(rx), free(y), free(rty), free(xp), free(again);
}

/* ---------- (6) preprocessing ---------- */

Test(preprocess, caffe_values_and_adjoint)
{
    const int perm[3] = {2, 1, 0};
    const float mean[3] = {104, 117, 123}, one[3] = {1, 1, 1};
    float rgb[6] = {0.1f, 1.0f, 0.2f, 0.0f, 0.3f, 0.5f}, out[6]; /* two pixels, planar */
    cr_assert_eq(fv_preprocess_fwd_cpu(1, 2, perm, 255.0f, mean, one, rgb, out), FV_OK);
    cr_assert_float_eq(out[0], -27.5f, 1e-4); /* B = 0.3 * 255 - 104 */
    cr_assert_float_eq(out[2], -66.0f, 1e-4); /* G = 0.2 * 255 - 117 */
    cr_assert_float_eq(out[4], -97.5f, 1e-4); /* R = 0.1 * 255 - 123 */
    cr_assert_float_eq(out[1], 23.5f, 1e-4);
    cr_assert_float_eq(out[3], -117.0f, 1e-4);
    cr_assert_float_eq(out[5], 132.0f, 1e-4);
    float dout[6] = {1, 0, 2, 0, 3, 1}, drgb[6];
    cr_assert_eq(fv_preprocess_bwd_cpu(1, 2, perm, 255.0f, one, dout, drgb), FV_OK);
    cr_assert_float_eq(drgb[0], 765.0f, 1e-3);
    cr_assert_float_eq(drgb[2], 510.0f, 1e-3);
    cr_assert_float_eq(drgb[4], 255.0f, 1e-3);
    cr_assert_float_eq(drgb[5], 0.0f, 1e-3);
    cr_assert_float_eq(drgb[1], 255.0f, 1e-3);
    /* Adjoint of the linear part on random data. */
    int n = 2, hw = 7;
    size_t N = (size_t)n * 3 * hw;
    float *x = tst_alloc(N), *px = tst_alloc(N), *y = tst_alloc(N), *pty = tst_alloc(N);
    tst_fill(x, N, 1.0);
    tst_fill(y, N, 1.0);
    fv_preprocess_fwd_cpu(n, hw, perm, 255.0f, mean, one, x, px);
    for (int b = 0; b < n; b++)
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < hw; i++) px[(b * 3 + c) * hw + i] += mean[c];
    fv_preprocess_bwd_cpu(n, hw, perm, 255.0f, one, y, pty);
    double a = tst_dot(px, y, N), bb = tst_dot(x, pty, N);
    cr_assert(fabs(a - bb) <= 1e-5 * fabs(a), "%g vs %g", a, bb);
    const int bad[3] = {0, 0, 1};
    cr_assert_eq(fv_preprocess_fwd_cpu(1, 2, bad, 255.0f, mean, one, rgb, out), FV_ERR_ARG);
    free(x), free(px), free(y), free(pty);
}

/* torchvision's convention: RGB in [0,1], minus the ImageNet mean, divided by the ImageNet std. Expected
 * values worked by hand: (0.5 - 0.485) / 0.229 = 0.0655022, (0.25 - 0.456) / 0.224 = -0.9196429,
 * (1 - 0.406) / 0.225 = 2.64; the backward divides the same way: 1/0.229 = 4.366812, 2/0.224 = 8.928571. */
Test(preprocess, divides_by_std_both_ways)
{
    const int perm[3] = {0, 1, 2};
    const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    float rgb[3] = {0.5f, 0.25f, 1.0f}, out[3];
    cr_assert_eq(fv_preprocess_fwd_cpu(1, 1, perm, 1.0f, mean, sd, rgb, out), FV_OK);
    cr_assert_float_eq(out[0], 0.0655022f, 1e-5);
    cr_assert_float_eq(out[1], -0.9196429f, 1e-5);
    cr_assert_float_eq(out[2], 2.64f, 1e-5);
    float dout[3] = {1, 2, -1}, drgb[3];
    cr_assert_eq(fv_preprocess_bwd_cpu(1, 1, perm, 1.0f, sd, dout, drgb), FV_OK);
    cr_assert_float_eq(drgb[0], 4.366812f, 1e-4);
    cr_assert_float_eq(drgb[1], 8.928571f, 1e-4);
    cr_assert_float_eq(drgb[2], -4.444444f, 1e-4);
    /* A std of 0 or NaN is refused, with the channel named. */
    const float zero[3] = {1, 0, 1}, nan3[3] = {NAN, 1, 1};
    cr_assert_eq(fv_preprocess_fwd_cpu(1, 1, perm, 1.0f, mean, zero, rgb, out), FV_ERR_ARG);
    cr_assert(strstr(fv_last_error(), "std[1]"), "%s", fv_last_error());
    cr_assert_eq(fv_preprocess_bwd_cpu(1, 1, perm, 1.0f, nan3, dout, drgb), FV_ERR_ARG);
    cr_assert(strstr(fv_last_error(), "std[0]"), "%s", fv_last_error());
}

/* ---------- (7) Adam ---------- */

Test(adam, two_steps_by_hand)
{
    float p[2] = {1.0f, -2.0f}, m[2] = {0, 0}, v[2] = {0, 0};
    float g1[2] = {0.5f, -3.0f}, g2[2] = {-0.2f, 1.5f};
    cr_assert_eq(fv_adam_cpu(2, p, g1, m, v, 1, 0.05f, 0.9f, 0.999f, 1e-8f), FV_OK);
    /* Step 1: m = 0.1 g, v = 0.001 g^2, lr_t = 0.05 sqrt(0.001) / 0.1, so p moves by ~ lr * sign(g). */
    cr_assert_float_eq(m[0], 0.05f, 1e-7);
    cr_assert_float_eq(v[1], 0.009f, 1e-6); /* 1 - 0.999f is off by 1e-5 relative in float */
    cr_assert_float_eq(p[0], 1.0499999683772434f, 1e-6);
    cr_assert_float_eq(p[1], -2.049999994729538f, 1e-6);
    cr_assert_eq(fv_adam_cpu(2, p, g2, m, v, 2, 0.05f, 0.9f, 0.999f, 1e-8f), FV_OK);
    /* Step 2: m = (0.025, -0.12), v = (0.00028975, 0.011241), lr_t = 0.05 sqrt(0.001999) / 0.19. */
    cr_assert_float_eq(m[0], 0.025f, 1e-7);
    cr_assert_float_eq(m[1], -0.12f, 1e-7);
    cr_assert_float_eq(v[0], 0.00028975f, 1e-8);
    cr_assert_float_eq(v[1], 0.011241f, 1e-6);
    cr_assert_float_eq(p[0], 1.0672802506211652f, 1e-6);
    cr_assert_float_eq(p[1], -2.063316845456531f, 1e-6);
    cr_assert_eq(fv_adam_cpu(2, p, g2, m, v, 0, 0.05f, 0.9f, 0.999f, 1e-8f), FV_ERR_ARG);
}

/* ---------- (8) RNG ---------- */

Test(rng, deterministic_and_keyed)
{
    uint64_t k1 = fv_rng_key(42, "mixed4a:97#2"), k2 = fv_rng_key(42, "mixed4a:97#3");
    uint64_t k3 = fv_rng_key(43, "mixed4a:97#2");
    cr_assert_eq(k1, fv_rng_key(42, "mixed4a:97#2"));
    cr_assert_neq(k1, k2);
    cr_assert_neq(k1, k3);
    cr_assert_neq(fv_rng_key(0, ""), fv_rng_key(0, "a"));
    cr_assert_eq(fv_rng_u64(k1, 12345), fv_rng_u64(k1, 12345));
    cr_assert_neq(fv_rng_u64(k1, 12345), fv_rng_u64(k1, 12346));
    cr_assert_neq(fv_rng_u64(k1, 12345), fv_rng_u64(k2, 12345));
    cr_assert_eq(fv_rng_normal(k1, 7), fv_rng_normal(k1, 7));
    cr_assert_eq(fv_rng_int(k1, 9, 1000), fv_rng_int(k1, 9, 1000));
    /* Neighbouring counters should differ in about half of their bits. */
    int bits = 0;
    for (int i = 0; i < 1000; i++) bits += __builtin_popcountll(fv_rng_u64(k1, i) ^ fv_rng_u64(k1, i + 1));
    cr_assert(bits > 30000 && bits < 34000, "mean bit difference %g", bits / 1000.0);
}

Test(rng, distributions)
{
    uint64_t k = fv_rng_key(7, "dist");
    const int N = 100000;
    double su = 0, sn = 0, sn2 = 0, umin = 1, umax = 0;
    int within1 = 0; /* mean and sd alone would pass many non-normal shapes */
    for (int i = 0; i < N; i++) {
        double u = fv_rng_uniform(k, FV_RNG_STREAM_INIT + i);
        cr_assert(u >= 0.0 && u < 1.0);
        su += u, umin = fmin(umin, u), umax = fmax(umax, u);
        double z = fv_rng_normal(k, FV_RNG_STREAM_INIT + i);
        cr_assert(isfinite(z));
        sn += z, sn2 += z * z, within1 += fabs(z) < 1.0;
    }
    cr_assert(fabs(su / N - 0.5) < 0.005, "uniform mean %g", su / N);
    cr_assert(umin < 1e-3 && umax > 1 - 1e-3);
    double mu = sn / N, sd = sqrt(sn2 / N - mu * mu);
    cr_assert(fabs(mu) < 0.02, "normal mean %g", mu);
    cr_assert(fabs(sd - 1.0) < 0.02, "normal sd %g", sd);
    cr_assert(fabs(within1 / (double)N - 0.682689) < 0.01, "P(|z| < 1) = %g", within1 / (double)N);
    /* Integers: in range, every value hit, roughly uniform. */
    int count[7] = {0};
    for (int i = 0; i < 70000; i++) {
        int r = fv_rng_int(k, i, 7);
        cr_assert(r >= 0 && r < 7);
        count[r]++;
    }
    for (int j = 0; j < 7; j++) cr_assert(abs(count[j] - 10000) < 500, "value %d: %d", j, count[j]);
    for (int i = 0; i < 1000; i++) {
        int r = fv_rng_int(k, i, 2147483647);
        cr_assert(r >= 0 && r < 2147483647);
    }
    cr_assert_eq(fv_rng_int(k, 3, 1), 0);
}

/* ---------- (9) transforms ---------- */

Test(transform, none_is_identity)
{
    fv_transform_params tp;
    fv_transform_preset(FV_PRESET_NONE, &tp);
    for (int step = 0; step < 5; step++) {
        fv_affine a = fv_transform_draw(&tp, 32, 48, fv_rng_key(1, "x"), step);
        float id[6] = {1, 0, 0, 0, 1, 0};
        for (int i = 0; i < 6; i++) cr_assert(fabsf(a.a[i] - id[i]) < 1e-6f, "a[%d] = %g", i, a.a[i]);
    }
}

Test(transform, presets)
{
    fv_transform_params tp;
    fv_transform_preset(FV_PRESET_LUCID, &tp);
    cr_assert_eq(tp.pad, 12);
    cr_assert_eq(tp.jitter1, 8);
    cr_assert_eq(tp.jitter2, 4);
    cr_assert_eq(tp.nscales, 11);
    cr_assert_float_eq(tp.scales[0], 0.90f, 1e-6);
    cr_assert_float_eq(tp.scales[10], 1.10f, 1e-6);
    cr_assert_eq(tp.nangles, 26);
    int zeros = 0;
    for (int i = 0; i < 26; i++) zeros += tp.angles[i] == 0.0f;
    cr_assert_eq(zeros, 6);
    cr_assert_float_eq(tp.pad_value, 0.5f, 0);
    fv_transform_preset(FV_PRESET_ARTICLE, &tp);
    cr_assert_eq(tp.nscales, 5);
    cr_assert_eq(tp.nangles, 11);
    cr_assert_float_eq(tp.angles[0], -5.0f, 0);
    cr_assert_float_eq(tp.angles[10], 5.0f, 0);
}

Test(transform, draws_deterministic_and_in_range)
{
    fv_transform_params tp;
    fv_transform_preset(FV_PRESET_ARTICLE, &tp);
    int h = 64, w = 80;
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    uint64_t key = fv_rng_key(3, "mixed4a:97");
    int differ = 0, seen_s[5] = {0}, seen_a[11] = {0};
    fv_affine prev = fv_transform_draw(&tp, h, w, key, 0);
    for (int step = 0; step < 400; step++) {
        fv_affine a = fv_transform_draw(&tp, h, w, key, step), b = fv_transform_draw(&tp, h, w, key, step);
        cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
        if (step > 0 && memcmp(&a, &prev, sizeof a) != 0) differ++;
        prev = a;
        /* a = Rot(-angle)/scale: the first column is (cos, -sin)/scale. */
        double s = 1.0 / hypot(a.a[0], a.a[3]), ang = atan2(a.a[1], a.a[0]) * 180 / PI;
        int si = -1, ai = -1;
        for (int i = 0; i < tp.nscales; i++)
            if (fabs(s - tp.scales[i]) < 1e-5) si = i;
        for (int i = 0; i < tp.nangles; i++)
            if (fabs(ang - tp.angles[i]) < 1e-3) ai = i;
        cr_assert(si >= 0, "step %d: scale %g not in the preset", step, s);
        cr_assert(ai >= 0, "step %d: angle %g not in the preset", step, ang);
        seen_s[si] = seen_a[ai] = 1;
        cr_assert(fabs(a.a[4] - a.a[0]) < 1e-6 && fabs(a.a[1] + a.a[3]) < 1e-6, "not a rotation");
        /* The centre maps to c + t1 + Rot(-angle) t2 / scale; t1 in [-8, 8]^2, t2 in [-4, 4]^2,
         * both integers here (even jitters). Recover t2 from the matrix and check both. */
        double mx = a.a[0] * cx + a.a[1] * cy + a.a[2] - cx, my = a.a[3] * cx + a.a[4] * cy + a.a[5] - cy;
        int found = 0;
        for (int t2y = -4; t2y <= 4 && !found; t2y++)
            for (int t2x = -4; t2x <= 4 && !found; t2x++) {
                double t1x = mx - (a.a[0] * t2x + a.a[1] * t2y), t1y = my - (a.a[3] * t2x + a.a[4] * t2y);
                if (fabs(t1x - round(t1x)) < 1e-3 && fabs(t1y - round(t1y)) < 1e-3 && fabs(t1x) <= 8.001 &&
                    fabs(t1y) <= 8.001)
                    found = 1;
            }
        cr_assert(found, "step %d: centre offset (%g, %g) not c + t1 + M t2", step, mx, my);
    }
    cr_assert(differ > 390, "consecutive steps repeat: %d of 399 differ", differ);
    for (int i = 0; i < 5; i++) cr_assert(seen_s[i], "scale %d never drawn", i);
    for (int i = 0; i < 11; i++) cr_assert(seen_a[i], "angle %d never drawn", i);
    fv_affine other = fv_transform_draw(&tp, h, w, fv_rng_key(3, "mixed4a:98"), 5);
    fv_affine same = fv_transform_draw(&tp, h, w, key, 5);
    cr_assert_neq(memcmp(&other, &same, sizeof other), 0);
}

Test(transform, centre_mapping_exact)
{
    /* A one-scale, one-angle preset with odd jitters: t1 and t2 take half-integer values. */
    fv_transform_params tp;
    memset(&tp, 0, sizeof tp);
    tp.jitter1 = 3, tp.jitter2 = 5, tp.nscales = 1, tp.scales[0] = 1.05f, tp.nangles = 1, tp.angles[0] = 5.0f;
    int h = 32, w = 32;
    uint64_t key = fv_rng_key(9, "c");
    for (int step = 0; step < 50; step++) {
        fv_affine a = fv_transform_draw(&tp, h, w, key, step);
        uint64_t base = FV_RNG_STREAM_TRANSFORM + (uint64_t)step * 8;
        double t1x = fv_rng_int(key, base + 0, 4) - 1.5, t1y = fv_rng_int(key, base + 1, 4) - 1.5;
        double t2x = fv_rng_int(key, base + 4, 6) - 2.5, t2y = fv_rng_int(key, base + 5, 6) - 2.5;
        double th = 5.0 * PI / 180, s = 1.05f, c = 15.5;
        double ex = c + t1x + (cos(th) * t2x + sin(th) * t2y) / s;
        double ey = c + t1y + (-sin(th) * t2x + cos(th) * t2y) / s;
        cr_assert(fabs(a.a[0] * c + a.a[1] * c + a.a[2] - ex) < 1e-4);
        cr_assert(fabs(a.a[3] * c + a.a[4] * c + a.a[5] - ey) < 1e-4);
    }
}

/* ---------- (10) the composed chain ---------- */

typedef struct chain {
    int n, h, w, wf;
    fv_fft_plan_cpu *plan;
    float *scale, *img, *rgb, *res, *out, *r;
    fv_affine map;
} chain;

static const int caffe_perm[3] = {2, 1, 0};
static const float caffe_mean[3] = {104, 117, 123}, caffe_std[3] = {1, 1, 1};

static double chain_loss(chain *c, const float *spec)
{
    int hw = c->h * c->w;
    fv_spectrum_to_image_cpu(c->plan, spec, c->scale, c->img);
    fv_colour_fwd_cpu(c->n, hw, 1, c->img, c->rgb);
    fv_resample_fwd_cpu(c->n, 3, c->h, c->w, c->rgb, &c->map, 0.5f, c->h, c->w, c->res);
    fv_preprocess_fwd_cpu(c->n, hw, caffe_perm, 255.0f, caffe_mean, caffe_std, c->res, c->out);
    return tst_dot(c->out, c->r, (size_t)c->n * 3 * hw);
}

Test(chain, end_to_end_finite_differences)
{
    chain c = {.n = 1, .h = 10, .w = 12};
    c.wf = c.w / 2 + 1;
    int hw = c.h * c.w;
    size_t ns = (size_t)3 * c.h * c.wf * 2, ni = (size_t)3 * hw;
    c.scale = tst_alloc((size_t)c.h * c.wf);
    c.img = tst_alloc(ni), c.rgb = tst_alloc(ni), c.res = tst_alloc(ni), c.out = tst_alloc(ni);
    c.r = tst_alloc(ni);
    fv_spectrum_scale(c.h, c.w, 1.0f, c.scale);
    cr_assert_eq(fv_fft_plan_create_cpu(3, c.h, c.w, &c.plan), FV_OK);
    c.map = random_affine(c.h, c.w, 13, 1.07, 0.7, -1.2);
    float *spec = tst_alloc(ns), *dspec = tst_alloc(ns), *g1 = tst_alloc(ni), *g2 = tst_alloc(ni);
    tst_fill(spec, ns, 0.3); /* large enough for visible contrast, so the sigmoid is not linear */
    tst_fill(c.r, ni, 1.0);

    chain_loss(&c, spec);
    cr_assert_eq(fv_preprocess_bwd_cpu(1, hw, caffe_perm, 255.0f, caffe_std, c.r, g1), FV_OK);
    cr_assert_eq(fv_resample_bwd_cpu(1, 3, c.h, c.w, &c.map, c.h, c.w, g1, g2), FV_OK);
    cr_assert_eq(fv_colour_bwd_cpu(1, hw, 1, c.rgb, g2, g1), FV_OK);
    cr_assert_eq(fv_spectrum_to_image_bwd_cpu(c.plan, g1, c.scale, dspec), FV_OK);

    double gmax = 0;
    for (size_t i = 0; i < ns; i++) gmax = fmax(gmax, fabs(dspec[i]));
    /* 20 random entries plus the kx = 0 and Nyquist columns of the middle plane. */
    size_t probes[24];
    for (int k = 0; k < 20; k++) probes[k] = (size_t)(tst_unif() * ns);
    size_t mid = (size_t)c.h * c.wf * 2;
    probes[20] = mid + ((size_t)1 * c.wf + 0) * 2;
    probes[21] = mid + ((size_t)3 * c.wf + 0) * 2 + 1;
    probes[22] = mid + ((size_t)2 * c.wf + c.w / 2) * 2;
    probes[23] = mid + ((size_t)7 * c.wf + c.w / 2) * 2 + 1;
    for (int k = 0; k < 24; k++) {
        size_t i = probes[k];
        float s0 = spec[i], e = 2e-2f;
        spec[i] = s0 + e;
        double lp = chain_loss(&c, spec);
        spec[i] = s0 - e;
        double lm = chain_loss(&c, spec);
        spec[i] = s0;
        double fd = (lp - lm) / (2.0 * e);
        cr_assert(fabs(fd - dspec[i]) <= 1e-3 * gmax + 1e-3 * fabs(dspec[i]), "entry %zu: fd %g analytic %g (max %g)",
                  i, fd, dspec[i], gmax);
    }
    fv_fft_plan_free_cpu(c.plan);
    free(c.scale), free(c.img), free(c.rgb), free(c.res), free(c.out), free(c.r);
    free(spec), free(dspec), free(g1), free(g2);
}

/* ---------- Lucid's transform chain (fv_tfchain) ---------- */

/* The chain built stage by stage as Lucid's graph does, each intermediate canvas materialised in double:
 * pad, crop, resize_bilinear (legacy sampling), nearest rotation with fill, crop. The sampling
 * coordinates are float32, as TensorFlow computes them. */
static void tfchain_reference(const fv_tfchain *k, const float *src, double *out)
{
    const int S = k->size, P = S + 2 * k->pad, c1 = k->c1, m = k->m, n = k->n;
    double *pad = malloc(sizeof(double) * P * P), *crop = malloc(sizeof(double) * c1 * c1);
    double *rs = malloc(sizeof(double) * m * m), *rot = malloc(sizeof(double) * m * m);
    cr_assert(pad && crop && rs && rot);
    for (int y = 0; y < P; y++)
        for (int x = 0; x < P; x++) {
            const int iy = y - k->pad, ix = x - k->pad;
            pad[y * P + x] = iy >= 0 && iy < S && ix >= 0 && ix < S ? src[iy * S + ix] : k->pad_value;
        }
    for (int y = 0; y < c1; y++)
        for (int x = 0; x < c1; x++) crop[y * c1 + x] = pad[(y + k->oy1) * P + x + k->ox1];
    const float sc = (float)c1 / (float)m;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            const float iy = (float)i * sc, jx = (float)j * sc;
            const int y0 = (int)floorf(iy), x0 = (int)floorf(jx);
            const int y1 = (int)ceilf(iy) < c1 - 1 ? (int)ceilf(iy) : c1 - 1;
            const int x1 = (int)ceilf(jx) < c1 - 1 ? (int)ceilf(jx) : c1 - 1;
            const double ly = iy - floorf(iy), lx = jx - floorf(jx);
            const double top = crop[y0 * c1 + x0] * (1 - lx) + crop[y0 * c1 + x1] * lx;
            const double bot = crop[y1 * c1 + x0] * (1 - lx) + crop[y1 * c1 + x1] * lx;
            rs[i * m + j] = top * (1 - ly) + bot * ly;
        }
    for (int y = 0; y < m; y++)
        for (int x = 0; x < m; x++) {
            const float fx = k->cosa * (float)x + -k->sina * (float)y + k->xoff;
            const float fy = k->sina * (float)x + k->cosa * (float)y + k->yoff;
            const long px = lroundf(fx), py = lroundf(fy);
            rot[y * m + x] = px >= 0 && px < m && py >= 0 && py < m ? rs[py * m + px] : k->fill;
        }
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) out[y * n + x] = rot[(y + k->oy2) * m + x + k->ox2];
    free(pad);
    free(crop);
    free(rs);
    free(rot);
}

Test(tfchain, unscaled_unrotated_is_a_padded_shift)
{
    /* S = 6, pad 2, crop 8 at (1, 2), no resize (m = c1), angle 0, crop 7 at (0, 1) */
    const fv_tfchain k = {.size = 6, .pad = 2, .ox1 = 1, .oy1 = 2, .c1 = 8, .m = 8, .cosa = 1, .sina = 0,
                          .xoff = 0, .yoff = 0, .ox2 = 0, .oy2 = 1, .n = 7, .pad_value = 0.5f, .fill = 0};
    float src[36], dst[49];
    for (int i = 0; i < 36; i++) src[i] = (float)i / 36.0f;
    cr_assert_eq(fv_tfchain_fwd_cpu(1, 1, &k, src, dst), FV_OK, "%s", fv_last_error());
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 7; x++) {
            const int iy = y + 1 + 2 - 2, ix = x + 0 + 1 - 2; /* crop2, crop1, pad */
            const float want = iy >= 0 && iy < 6 && ix >= 0 && ix < 6 ? src[iy * 6 + ix] : 0.5f;
            cr_assert_eq(dst[y * 7 + x], want, "(%d,%d): %g vs %g", x, y, dst[y * 7 + x], want);
        }
}

Test(tfchain, draws_and_sides)
{
    fv_transform_params tp;
    fv_transform_preset(FV_PRESET_LUCID, &tp);
    cr_assert_eq(tp.grow, 1);
    cr_assert_eq(tp.fill, 0.0f);
    /* 128 px: pad 12 -> 152, crop 8 -> 144, scale 0.9..1.1 -> 129..158, crop 4 -> 125..154 */
    int lo, hi;
    fv_transform_sides(&tp, 128, &lo, &hi);
    cr_assert_eq(lo, 125);
    cr_assert_eq(hi, 154);
    const int want[11] = {125, 128, 131, 134, 137, 140, 142, 145, 148, 151, 154};
    for (int i = 0; i < 11; i++) cr_expect_eq(fv_transform_lucid_side(&tp, 128, i), want[i], "scale %d", i);
    int seen[11] = {0};
    const uint64_t sk = fv_rng_key(3, "canvas");
    for (int t = 0; t < 400; t++) {
        const fv_tfchain a = fv_transform_lucid_draw(&tp, 128, sk, fv_rng_key(3, "image a"), t);
        const fv_tfchain b = fv_transform_lucid_draw(&tp, 128, sk, fv_rng_key(3, "image b"), t);
        cr_assert_eq(a.n, b.n, "images drawn with one scale key share the canvas");
        cr_assert_eq(a.m, a.n + 4);
        cr_assert_eq(a.c1, 144);
        cr_assert(a.ox1 >= 0 && a.ox1 <= 8 && a.oy1 >= 0 && a.oy1 <= 8 && a.ox2 >= 0 && a.ox2 <= 4 && a.oy2 >= 0 &&
                  a.oy2 <= 4);
        /* the angle is one of -10..10 degrees (Lucid's 3.14 for pi) */
        const double deg = atan2(a.sina, a.cosa) * 180.0 / 3.14;
        cr_assert(fabs(deg - round(deg)) < 1e-4 && fabs(deg) <= 10.0001, "angle %g", deg);
        for (int i = 0; i < 11; i++) seen[i] += a.n == want[i];
    }
    for (int i = 0; i < 11; i++) cr_expect(seen[i] > 0, "canvas %d never drawn", want[i]);
}

Test(tfchain, matches_stagewise_reference_and_adjoint)
{
    fv_transform_params tp;
    fv_transform_preset(FV_PRESET_LUCID, &tp);
    const int S = 20, C = 3, NB = 3;
    float *src = tst_alloc((size_t)NB * C * S * S);
    tst_fill(src, (size_t)NB * C * S * S, 1.0);
    for (int t = 0; t < 12; t++) {
        fv_tfchain k[3];
        for (int b = 0; b < NB; b++) {
            char name[32];
            snprintf(name, sizeof name, "img%d", b);
            k[b] = fv_transform_lucid_draw(&tp, S, fv_rng_key(9, "canvas"), fv_rng_key(9, name), t);
        }
        const int n = k[0].n;
        float *dst = tst_alloc((size_t)NB * C * n * n), *dst0 = tst_alloc((size_t)NB * C * n * n);
        float *zero = tst_alloc((size_t)NB * C * S * S), *g = tst_alloc((size_t)NB * C * n * n);
        float *gs = tst_alloc((size_t)NB * C * S * S);
        double *ref = malloc(sizeof(double) * n * n);
        cr_assert_eq(fv_tfchain_fwd_cpu(NB, C, k, src, dst), FV_OK, "%s", fv_last_error());
        int filled = 0;
        for (int pl = 0; pl < NB * C; pl++) {
            tfchain_reference(&k[pl / C], src + (size_t)pl * S * S, ref);
            for (int i = 0; i < n * n; i++) {
                cr_assert(fabs(dst[(size_t)pl * n * n + i] - ref[i]) < 1e-6, "step %d plane %d pixel %d: %g vs %g", t,
                          pl, i, dst[(size_t)pl * n * n + i], ref[i]);
                filled += ref[i] == 0.0;
            }
        }
        if (fabs(k[0].sina) > 0.1) cr_assert(filled > 0, "a rotated canvas has filled corners");
        /* The backward is the transpose of the linear part: <T x - T 0, g> = <x, T^T g>. */
        cr_assert_eq(fv_tfchain_fwd_cpu(NB, C, k, zero, dst0), FV_OK);
        tst_fill(g, (size_t)NB * C * n * n, 1.0);
        cr_assert_eq(fv_tfchain_bwd_cpu(NB, C, k, g, gs), FV_OK, "%s", fv_last_error());
        double lhs = 0;
        for (size_t i = 0; i < (size_t)NB * C * n * n; i++) lhs += ((double)dst[i] - dst0[i]) * g[i];
        const double rhs = tst_dot(src, gs, (size_t)NB * C * S * S);
        cr_assert(fabs(lhs - rhs) <= 1e-5 * (fabs(lhs) + 1), "step %d: <Tx,g> %.9g vs <x,T'g> %.9g", t, lhs, rhs);
        free(dst);
        free(dst0);
        free(zero);
        free(g);
        free(gs);
        free(ref);
    }
    free(src);
}

Test(tfchain, rejects_inconsistent_chains)
{
    fv_tfchain k[2] = {{.size = 6, .pad = 2, .c1 = 8, .m = 8, .cosa = 1, .n = 7, .pad_value = 0.5f},
                       {.size = 6, .pad = 2, .c1 = 8, .m = 9, .cosa = 1, .n = 8, .pad_value = 0.5f}};
    float src[2 * 36] = {0}, dst[2 * 64];
    cr_assert_eq(fv_tfchain_fwd_cpu(2, 1, k, src, dst), FV_ERR_ARG, "two canvases in one batch");
    k[1] = k[0];
    k[1].ox2 = 2; /* 2 + 7 > 8 */
    cr_assert_eq(fv_tfchain_fwd_cpu(2, 1, k, src, dst), FV_ERR_ARG);
}
