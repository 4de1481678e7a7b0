// Softmax over channels at every (image, position) on the GPU with cuDNN, forward and input gradient:
// the twin of host/cpu/softmax.c. CUDNN_SOFTMAX_ACCURATE subtracts the channel maximum first, as the CPU
// does, so large logits cannot overflow.
#include <climits>

#include "cudnn_desc.h"
#include "ops_cuda.h"

// x and y may be the same view, as on the CPU: this relies on cuDNN's softmax allowing in-place operation
// (elementwise-style cuDNN routines document it; not checked on hardware here).
extern "C" fv_status fv_softmax_fwd_cuda(fv_tensor x, fv_tensor y)
{
    if (fv_bad_view(x) || fv_bad_view(y) || !fv_same_shape(x, y))
        return fv_fail(FV_ERR_SHAPE, "softmax forward (cuda): x (%d,%d,%d,%d) and y (%d,%d,%d,%d) differ or are empty",
                       x.n, x.c, x.h, x.w, y.n, y.c, y.h, y.w);
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    TensorDesc xd, yd;
    FV_TRY(fv_cudnn_set_view(xd, x, "softmax"));
    FV_TRY(fv_cudnn_set_view(yd, y, "softmax"));
    const float one = 1.0f, zero = 0.0f;
    FV_CUDNN_CHECK(cudnnSoftmaxForward(ctx->cudnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, xd.d,
                                       x.data, &zero, yd.d, y.data));
    return FV_OK;
}

// dx += y * (dy - sum_c y dy): cuDNN's beta = 1 accumulates, as the network backward ops must.
extern "C" fv_status fv_softmax_bwd_cuda(fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    if (fv_bad_view(y) || fv_bad_view(dy) || fv_bad_view(dx) || !fv_same_shape(y, dy) || !fv_same_shape(y, dx))
        return fv_fail(FV_ERR_SHAPE, "softmax backward (cuda): y (%d,%d,%d,%d), dy, dx must share one shape", y.n,
                       y.c, y.h, y.w);
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    TensorDesc yd, dyd, dxd;
    FV_TRY(fv_cudnn_set_view(yd, y, "softmax"));
    FV_TRY(fv_cudnn_set_view(dyd, dy, "softmax"));
    FV_TRY(fv_cudnn_set_view(dxd, dx, "softmax"));
    const float one = 1.0f;
    FV_CUDNN_CHECK(cudnnSoftmaxBackward(ctx->cudnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, yd.d,
                                        y.data, dyd.d, dy.data, &one, dxd.d, dx.data));
    return FV_OK;
}
