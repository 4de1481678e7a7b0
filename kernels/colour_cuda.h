/* GPU twins of the colour ops in host/ops.h (fv_colour_fwd_cpu / fv_colour_bwd_cpu): same parameters,
 * device pointers, asynchronous on the default stream. */
#ifndef FV_COLOUR_CUDA_H
#define FV_COLOUR_CUDA_H

#include "../host/ops.h"

fv_status fv_colour_fwd_cuda(int n, int hw, int decorrelate, const float *t, float *rgb);
fv_status fv_colour_bwd_cuda(int n, int hw, int decorrelate, const float *rgb, const float *drgb, float *dt);

#endif
