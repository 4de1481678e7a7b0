/* CPU reference of the objective terms (channel, neuron, deepdream, direction) and of the diversity
 * term, forward and gradient. Gradients are of the objective (ascent) and accumulate into dact. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "backend/objective_ops.h"

static fv_status check_term(const fv_obj_term *t, fv_tensor act)
{
    if (t->image < 0 || t->image >= act.n)
        return fv_fail(FV_ERR_ARG, "objective term reads image %d of a batch of %d", t->image, act.n);
    if ((t->kind == FV_OBJ_CHANNEL || t->kind == FV_OBJ_NEURON) && (t->channel < 0 || t->channel >= act.c))
        return fv_fail(FV_ERR_ARG, "objective term reads channel %d of a layer with %d", t->channel, act.c);
    if (t->kind == FV_OBJ_NEURON && (t->y < 0 || t->y >= act.h || t->x < 0 || t->x >= act.w))
        return fv_fail(FV_ERR_ARG, "neuron (%d,%d) outside the %dx%d layer", t->x, t->y, act.w, act.h);
    if (t->kind == FV_OBJ_DIRECTION && !t->dir) return fv_fail(FV_ERR_ARG, "direction term without a vector");
    return FV_OK;
}

fv_status fv_objective_fwd_cpu(const fv_obj_term *terms, int nterms, fv_tensor act, float *values)
{
    const long hw = (long)act.h * act.w;
    for (int i = 0; i < nterms; i++) {
        const fv_obj_term *t = &terms[i];
        FV_TRY(check_term(t, act));
        const float *img = fv_tensor_img(act, t->image);
        double v = 0;
        switch (t->kind) {
        case FV_OBJ_CHANNEL:
            for (long k = 0; k < hw; k++) v += img[t->channel * hw + k];
            v /= (double)hw;
            break;
        case FV_OBJ_NEURON: v = img[t->channel * hw + (long)t->y * act.w + t->x]; break;
        case FV_OBJ_DEEPDREAM:
            for (long k = 0; k < act.c * hw; k++) v += (double)img[k] * img[k];
            v /= (double)(act.c * hw);
            break;
        case FV_OBJ_DIRECTION:
            for (int c = 0; c < act.c; c++) {
                double s = 0;
                for (long k = 0; k < hw; k++) s += img[c * hw + k];
                v += s * t->dir[c];
            }
            v /= (double)hw;
            break;
        }
        values[i] = (float)(t->weight * v);
    }
    return FV_OK;
}

fv_status fv_objective_bwd_cpu(const fv_obj_term *terms, int nterms, fv_tensor act, fv_tensor dact)
{
    const long hw = (long)act.h * act.w;
    for (int i = 0; i < nterms; i++) {
        const fv_obj_term *t = &terms[i];
        FV_TRY(check_term(t, act));
        const float *img = fv_tensor_img(act, t->image);
        float *d = fv_tensor_img(dact, t->image);
        switch (t->kind) {
        case FV_OBJ_CHANNEL: {
            const float g = t->weight / (float)hw;
            for (long k = 0; k < hw; k++) d[t->channel * hw + k] += g;
            break;
        }
        case FV_OBJ_NEURON: d[t->channel * hw + (long)t->y * act.w + t->x] += t->weight; break;
        case FV_OBJ_DEEPDREAM: {
            const float g = 2.0f * t->weight / (float)(act.c * hw);
            for (long k = 0; k < act.c * hw; k++) d[k] += g * img[k];
            break;
        }
        case FV_OBJ_DIRECTION:
            for (int c = 0; c < act.c; c++) {
                const float g = t->weight * t->dir[c] / (float)hw;
                for (long k = 0; k < hw; k++) d[c * hw + k] += g;
            }
            break;
        }
    }
    return FV_OK;
}

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
    if (b0 < 0 || count < 1 || b0 + count > act.n) return fv_fail(FV_ERR_ARG, "diversity group out of batch");
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
    if (b0 < 0 || count < 1 || b0 + count > act.n) return fv_fail(FV_ERR_ARG, "diversity group out of batch");
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
