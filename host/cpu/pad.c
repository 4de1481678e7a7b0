/* CPU reference constant padding (ONNX Pad, mode constant) with four pads: forward, and the input gradient
 * (the crop of dy) accumulated into dx. */
#include "backend/checks.h"

fv_status fv_pad_fwd_cpu(const fv_window *pads, float value, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_pad("pad forward", pads, x, y));
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < y.n; n++)
        for (int ch = 0; ch < y.c; ch++) {
            const float *xp = fv_tensor_img(x, n) + (long)ch * x.h * x.w;
            float *yp = fv_tensor_img(y, n) + (long)ch * y.h * y.w;
            for (int oy = 0; oy < y.h; oy++)
                for (int ox = 0; ox < y.w; ox++) {
                    int iy = oy - pads->pad_t, ix = ox - pads->pad_l;
                    int in = iy >= 0 && iy < x.h && ix >= 0 && ix < x.w;
                    yp[(long)oy * y.w + ox] = in ? xp[(long)iy * x.w + ix] : value;
                }
        }
    return FV_OK;
}

fv_status fv_pad_bwd_cpu(const fv_window *pads, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_pad("pad backward", pads, dx, dy));
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < dx.n; n++)
        for (int ch = 0; ch < dx.c; ch++) {
            const float *gp = fv_tensor_img(dy, n) + (long)ch * dy.h * dy.w;
            float *dp = fv_tensor_img(dx, n) + (long)ch * dx.h * dx.w;
            for (int iy = 0; iy < dx.h; iy++)
                for (int ix = 0; ix < dx.w; ix++)
                    dp[(long)iy * dx.w + ix] += gp[(long)(iy + pads->pad_t) * dy.w + ix + pads->pad_l];
        }
    return FV_OK;
}
