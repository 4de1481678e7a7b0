// Softmax over channels at every (image, position) on the GPU with cuDNN, forward and input gradient:
// the twin of host/cpu/softmax.c. CUDNN_SOFTMAX_ACCURATE subtracts the channel maximum first, as the CPU
// does, so large logits cannot overflow.
#include <climits>

#include "backend/checks.h"
#include "cudnn_desc.h"
#include "ops_cuda.h"

// x and y may be the same view, as on the CPU: this relies on cuDNN's softmax allowing in-place operation
// (elementwise-style cuDNN routines document it; not checked on hardware here).
extern "C" fv_status fv_softmax_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_softmax_fwd("softmax forward (cuda)", x, y));
    FV_TRY(fv_cuda_enter(ctx));
    TensorDesc xd, yd;
    FV_TRY(fv_cudnn_set_view(xd, x, "softmax"));
    FV_TRY(fv_cudnn_set_view(yd, y, "softmax"));
    const float one = 1.0f, zero = 0.0f;
    FV_CUDNN_CHECK(cudnnSoftmaxForward(ctx->cudnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, xd.d,
                                       x.data, &zero, yd.d, y.data));
    return FV_OK;
}

// dx += y * (dy - sum_c y dy): cuDNN's beta = 1 accumulates, as the network backward ops must.
extern "C" fv_status fv_softmax_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    FV_TRY(fv_check_softmax_bwd("softmax backward (cuda)", y, dy, dx));
    FV_TRY(fv_cuda_enter(ctx));
    TensorDesc yd, dyd, dxd;
    FV_TRY(fv_cudnn_set_view(yd, y, "softmax"));
    FV_TRY(fv_cudnn_set_view(dyd, dy, "softmax"));
    FV_TRY(fv_cudnn_set_view(dxd, dx, "softmax"));
    const float one = 1.0f;
    FV_CUDNN_CHECK(cudnnSoftmaxBackward(ctx->cudnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, yd.d,
                                        y.data, dyd.d, dy.data, &one, dxd.d, dx.data));
    return FV_OK;
}
