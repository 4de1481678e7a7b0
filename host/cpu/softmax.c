/* CPU reference softmax over channels at every (image, position), forward (max-subtracted, so large
 * logits cannot overflow) and input gradient. Pixels are handled in short runs with stack buffers so the
 * channel loops run over contiguous memory. */
#include <math.h>

#include "backend/checks.h"

enum { RUN = 64 };

fv_status fv_softmax_fwd_cpu(fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_softmax_fwd("softmax forward", x, y));
    long hw = (long)x.h * x.w;
    for (int b = 0; b < x.n; b++) {
        const float *xb = fv_tensor_img(x, b);
        float *yb = fv_tensor_img(y, b);
        for (long off = 0; off < hw; off += RUN) {
            int n = hw - off < RUN ? (int)(hw - off) : RUN;
            float m[RUN], sum[RUN];
            for (int p = 0; p < n; p++) m[p] = xb[off + p], sum[p] = 0.0f;
            for (int c = 1; c < x.c; c++)
                for (int p = 0; p < n; p++) m[p] = fmaxf(m[p], xb[c * hw + off + p]);
            /* Each element is read before it is written, so x and y may be the same view. */
            for (int c = 0; c < x.c; c++)
                for (int p = 0; p < n; p++) {
                    float e = expf(xb[c * hw + off + p] - m[p]);
                    yb[c * hw + off + p] = e;
                    sum[p] += e;
                }
            for (int p = 0; p < n; p++) sum[p] = 1.0f / sum[p];
            for (int c = 0; c < x.c; c++)
                for (int p = 0; p < n; p++) yb[c * hw + off + p] *= sum[p];
        }
    }
    return FV_OK;
}

fv_status fv_softmax_bwd_cpu(fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_softmax_bwd("softmax backward", y, dy, dx));
    long hw = (long)y.h * y.w;
    for (int b = 0; b < y.n; b++) {
        const float *yb = fv_tensor_img(y, b), *gb = fv_tensor_img(dy, b);
        float *db = fv_tensor_img(dx, b);
        for (long off = 0; off < hw; off += RUN) {
            int n = hw - off < RUN ? (int)(hw - off) : RUN;
            float dot[RUN];
            for (int p = 0; p < n; p++) dot[p] = 0.0f;
            for (int c = 0; c < y.c; c++)
                for (int p = 0; p < n; p++) dot[p] += yb[c * hw + off + p] * gb[c * hw + off + p];
            for (int c = 0; c < y.c; c++)
                for (int p = 0; p < n; p++) {
                    long i = c * hw + off + p;
                    db[i] += yb[i] * (gb[i] - dot[p]);
                }
        }
    }
    return FV_OK;
}
