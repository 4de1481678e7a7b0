/* Network input from RGB in [0,1] on the CPU: channel reorder (RGB -> BGR for Caffe), range scale, mean
 * subtraction and division by the channel's std (ImageNet statistics for torchvision models; 1 for the
 * InceptionV1 graphs, where dividing by it changes no bit), and its transpose. */
#include "backend/checks.h"

fv_status fv_preprocess_fwd_cpu(int n, int hw, const int perm[3], float scale, const float mean[3],
                                const float std[3], const float *rgb, float *out)
{
    FV_TRY(fv_check_preprocess_fwd("preprocess_fwd", n, hw, perm, mean, std, rgb, out));
    for (int b = 0; b < n; b++)
        for (int c = 0; c < 3; c++) {
            const float *s = rgb + ((size_t)b * 3 + perm[c]) * hw;
            float *d = out + ((size_t)b * 3 + c) * hw;
            const float m = mean[c], sd = std[c];
            for (int i = 0; i < hw; i++) d[i] = (s[i] * scale - m) / sd;
        }
    return FV_OK;
}

fv_status fv_preprocess_bwd_cpu(int n, int hw, const int perm[3], float scale, const float std[3],
                                const float *dout, float *drgb)
{
    FV_TRY(fv_check_preprocess_bwd("preprocess_bwd", n, hw, perm, std, dout, drgb));
    /* perm is a permutation, so every drgb plane is written exactly once: overwrite, no zeroing. */
    for (int b = 0; b < n; b++)
        for (int c = 0; c < 3; c++) {
            const float *s = dout + ((size_t)b * 3 + c) * hw;
            float *d = drgb + ((size_t)b * 3 + perm[c]) * hw;
            const float sd = std[c];
            for (int i = 0; i < hw; i++) d[i] = s[i] * scale / sd;
        }
    return FV_OK;
}
