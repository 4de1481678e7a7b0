/* Network input from RGB in [0,1] on the CPU: channel reorder (RGB -> BGR for Caffe), range scale and
 * mean subtraction, and its transpose. */
#include "backend/ops.h"

static int fv_perm_ok(const int perm[3])
{
    if (!perm) return 0;
    int seen = 0;
    for (int c = 0; c < 3; c++) {
        if (perm[c] < 0 || perm[c] > 2) return 0;
        seen |= 1 << perm[c];
    }
    return seen == 7;
}

fv_status fv_preprocess_fwd_cpu(int n, int hw, const int perm[3], float scale, const float mean[3],
                                const float *rgb, float *out)
{
    if (n < 0 || hw < 0 || !mean || !rgb || !out || !fv_perm_ok(perm))
        return fv_fail(FV_ERR_ARG, "preprocess_fwd: bad arguments");
    for (int b = 0; b < n; b++)
        for (int c = 0; c < 3; c++) {
            const float *s = rgb + ((size_t)b * 3 + perm[c]) * hw;
            float *d = out + ((size_t)b * 3 + c) * hw;
            float m = mean[c];
            for (int i = 0; i < hw; i++) d[i] = s[i] * scale - m;
        }
    return FV_OK;
}

fv_status fv_preprocess_bwd_cpu(int n, int hw, const int perm[3], float scale, const float *dout,
                                float *drgb)
{
    if (n < 0 || hw < 0 || !dout || !drgb || !fv_perm_ok(perm))
        return fv_fail(FV_ERR_ARG, "preprocess_bwd: bad arguments");
    /* perm is a permutation, so every drgb plane is written exactly once: overwrite, no zeroing. */
    for (int b = 0; b < n; b++)
        for (int c = 0; c < 3; c++) {
            const float *s = dout + ((size_t)b * 3 + c) * hw;
            float *d = drgb + ((size_t)b * 3 + perm[c]) * hw;
            for (int i = 0; i < hw; i++) d[i] = s[i] * scale;
        }
    return FV_OK;
}
