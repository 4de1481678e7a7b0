/* CPU reference of the diversity term (RECIPE.md, Lucid's diversity objective): the normalised Gram
 * matrices of a group's images pushed apart, forward and gradient (kernels/diversity.cu is the CUDA twin). */
#include <cblas.h>
#include <math.h>

#include "backend/checks.h"

size_t fv_diversity_workspace_cpu(int c, int count) { return (size_t)(count + 1) * c * c + (size_t)count; }

/* Grams of images b0.. into work: count matrices (c x c), then their norms. G = A A^T, A = act[b] (c x hw). */
static void grams(fv_tensor act, int b0, int count, float *work, float *norms)
{
    const int c = act.c, hw = act.h * act.w;
    for (int i = 0; i < count; i++) {
        float *g = work + (size_t)i * c * c;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c, c, hw, 1.0f, fv_tensor_img(act, b0 + i), hw,
                    fv_tensor_img(act, b0 + i), hw, 0.0f, g, c);
        double ss = 0;
        for (size_t k = 0; k < (size_t)c * c; k++) ss += (double)g[k] * g[k];
        norms[i] = (float)sqrt(fmax(ss, 1e-10));
    }
}

fv_status fv_diversity_fwd_cpu(fv_tensor act, int b0, int count, float *value, float *work)
{
    FV_TRY(fv_check_diversity("diversity forward", act, b0, count, work, value));
    const size_t cc = (size_t)act.c * act.c;
    float *norms = work + (size_t)(count + 1) * cc;
    grams(act, b0, count, work, norms);
    /* sum_{b != b'} <Gb, Gb'> = |sum_b Gb|^2 - sum_b |Gb|^2, with Gb normalised. */
    double tot = 0, self = 0;
    for (size_t k = 0; k < cc; k++) {
        double s = 0;
        for (int i = 0; i < count; i++) {
            const double g = work[i * cc + k] / norms[i];
            s += g;
            self += g * g;
        }
        tot += s * s;
    }
    *value = (float)((tot - self) / count);
    return FV_OK;
}

fv_status fv_diversity_bwd_cpu(fv_tensor act, int b0, int count, float weight, fv_tensor dact, float *work)
{
    FV_TRY(fv_check_diversity("diversity backward", act, b0, count, work, dact.data));
    FV_TRY(fv_check_grad_like("diversity backward", act, dact));
    const int c = act.c, hw = act.h * act.w;
    const size_t cc = (size_t)c * c;
    float *sum = work + (size_t)count * cc, *norms = sum + cc;
    grams(act, b0, count, work, norms);
    for (size_t k = 0; k < cc; k++) {
        double s = 0;
        for (int i = 0; i < count; i++) s += work[i * cc + k] / norms[i];
        sum[k] = (float)s;
    }
    for (int i = 0; i < count; i++) {
        /* dV/dGhat_i = 2 (S - Ghat_i) / count; through Ghat = G / n (n = |G|):
         * dV/dG = (A - <A, Ghat> Ghat) / n with A = dV/dGhat (the l2_normalize Jacobian; the eps clamp
         * only matters for an all-zero Gram, where this still gives a finite answer). */
        float *g = work + i * cc;
        const float n = norms[i];
        double dot = 0;
        for (size_t k = 0; k < cc; k++) {
            const double gh = g[k] / n, a = 2.0 * (sum[k] - gh) / count;
            dot += a * gh;
        }
        for (size_t k = 0; k < cc; k++) {
            const double gh = g[k] / n, a = 2.0 * (sum[k] - gh) / count;
            g[k] = (float)((a - dot * gh) / n);
        }
        /* G = A A^T -> dA = (dG + dG^T) A; dG is symmetric here, so 2 dG A. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c, hw, c, 2.0f * weight, g, c,
                    fv_tensor_img(act, b0 + i), hw, 1.0f, fv_tensor_img(dact, b0 + i), hw);
    }
    return FV_OK;
}
