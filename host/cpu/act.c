/* CPU reference pointwise activations of the ONNX models (fv_act_kind: LeakyRelu, Clip / ReLU6, Sigmoid,
 * HardSigmoid, HardSwish): forward, and the input gradient accumulated into dx. */
#include <math.h>

#include "backend/checks.h"

static float act_one(const fv_act_desc *d, float x)
{
    switch (d->kind) {
    case FV_ACT_LEAKY: return x >= 0.0f ? x : d->a * x;
    case FV_ACT_CLIP: return x < d->a ? d->a : (x > d->b ? d->b : x);
    case FV_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case FV_ACT_HARDSIGMOID: {
        float v = d->a * x + d->b;
        return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
    case FV_ACT_HARDSWISH: {
        float v = x / 6.0f + 0.5f;
        return v < 0.0f ? 0.0f : (v > 1.0f ? x : x * v);
    }
    }
    return 0.0f;
}

/* d act / dx at x, on the branch the forward's comparisons pick. */
static float act_grad(const fv_act_desc *d, float x)
{
    switch (d->kind) {
    case FV_ACT_LEAKY: return x >= 0.0f ? 1.0f : d->a;
    case FV_ACT_CLIP: return (x < d->a || x > d->b) ? 0.0f : 1.0f;
    case FV_ACT_SIGMOID: {
        float s = 1.0f / (1.0f + expf(-x));
        return s * (1.0f - s);
    }
    case FV_ACT_HARDSIGMOID: {
        float v = d->a * x + d->b;
        return (v < 0.0f || v > 1.0f) ? 0.0f : d->a;
    }
    case FV_ACT_HARDSWISH: {
        float v = x / 6.0f + 0.5f;
        return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : x / 3.0f + 0.5f);
    }
    }
    return 0.0f;
}

fv_status fv_act_fwd_cpu(const fv_act_desc *d, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_act_fwd("act forward", d, x, y));
    const long chw = fv_tensor_chw(x);
#pragma omp parallel for schedule(static)
    for (int b = 0; b < x.n; b++) {
        const float *xb = fv_tensor_img(x, b);
        float *yb = fv_tensor_img(y, b);
        for (long i = 0; i < chw; i++) yb[i] = act_one(d, xb[i]);
    }
    return FV_OK;
}

fv_status fv_act_bwd_cpu(const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_act_bwd("act backward", d, x, dy, dx));
    const long chw = fv_tensor_chw(x);
#pragma omp parallel for schedule(static)
    for (int b = 0; b < x.n; b++) {
        const float *xb = fv_tensor_img(x, b), *gb = fv_tensor_img(dy, b);
        float *db = fv_tensor_img(dx, b);
        for (long i = 0; i < chw; i++) db[i] += act_grad(d, xb[i]) * gb[i];
    }
    return FV_OK;
}
