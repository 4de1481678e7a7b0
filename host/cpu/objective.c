/* CPU reference of the objective terms (channel, neuron, deepdream, direction), forward and gradient
 * (kernels/objective.cu is the CUDA twin). Gradients are of the objective (ascent) and accumulate into dact. */
#include "backend/checks.h"

fv_status fv_objective_fwd_cpu(const fv_obj_term *terms, int nterms, fv_tensor act, float *values)
{
    FV_TRY(fv_check_objective("objective forward", terms, nterms, act, values));
    const long hw = (long)act.h * act.w;
    for (int i = 0; i < nterms; i++) {
        const fv_obj_term *t = &terms[i];
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
    FV_TRY(fv_check_objective("objective backward", terms, nterms, act, dact.data));
    FV_TRY(fv_check_grad_like("objective backward", act, dact));
    const long hw = (long)act.h * act.w;
    for (int i = 0; i < nterms; i++) {
        const fv_obj_term *t = &terms[i];
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
