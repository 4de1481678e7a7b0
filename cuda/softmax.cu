// Softmax over channels at every (image, position) on the GPU with cuDNN, forward and input gradient:
// the twin of host/cpu/softmax.c. CUDNN_SOFTMAX_ACCURATE subtracts the channel maximum first, as the CPU
// does, so large logits cannot overflow.
#include <climits>

#include "context.h"
#include "ops_cuda.h"

struct TensorDesc {
    cudnnTensorDescriptor_t d = nullptr;
    TensorDesc() = default;
    TensorDesc(const TensorDesc &) = delete;
    TensorDesc &operator=(const TensorDesc &) = delete;
    ~TensorDesc()
    {
        if (d) cudnnDestroyTensorDescriptor(d);
    }
};

// A view as cuDNN sees it: images bstride floats apart, channels and rows packed inside an image.
static fv_status set_view(TensorDesc &t, fv_tensor v)
{
    if (v.bstride > INT_MAX)
        return fv_fail(FV_ERR_SHAPE, "softmax (cuda): image stride %ld exceeds cuDNN's int", v.bstride);
    // One image: the image stride addresses nothing, so state the packed one (cuDNN then sees a packed tensor).
    long nstride = v.n == 1 ? fv_tensor_chw(v) : v.bstride;
    FV_CUDNN_CHECK(cudnnCreateTensorDescriptor(&t.d));
    FV_CUDNN_CHECK(
        cudnnSetTensor4dDescriptorEx(t.d, CUDNN_DATA_FLOAT, v.n, v.c, v.h, v.w, (int)nstride, v.h * v.w, v.w, 1));
    return FV_OK;
}

static int bad_view(fv_tensor t)
{
    return !t.data || t.n < 1 || t.c < 1 || t.h < 1 || t.w < 1 || t.bstride < fv_tensor_chw(t);
}

static int same_shape(fv_tensor a, fv_tensor b) { return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w; }

// x and y may be the same view, as on the CPU: this relies on cuDNN's softmax allowing in-place operation
// (elementwise-style cuDNN routines document it; not checked on hardware here).
extern "C" fv_status fv_softmax_fwd_cuda(fv_tensor x, fv_tensor y)
{
    if (bad_view(x) || bad_view(y) || !same_shape(x, y))
        return fv_fail(FV_ERR_SHAPE, "softmax forward (cuda): x (%d,%d,%d,%d) and y (%d,%d,%d,%d) differ or are empty",
                       x.n, x.c, x.h, x.w, y.n, y.c, y.h, y.w);
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    TensorDesc xd, yd;
    FV_TRY(set_view(xd, x));
    FV_TRY(set_view(yd, y));
    const float one = 1.0f, zero = 0.0f;
    FV_CUDNN_CHECK(cudnnSoftmaxForward(ctx->cudnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, xd.d,
                                       x.data, &zero, yd.d, y.data));
    return FV_OK;
}

// dx += y * (dy - sum_c y dy): cuDNN's beta = 1 accumulates, as the network backward ops must.
extern "C" fv_status fv_softmax_bwd_cuda(fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    if (bad_view(y) || bad_view(dy) || bad_view(dx) || !same_shape(y, dy) || !same_shape(y, dx))
        return fv_fail(FV_ERR_SHAPE, "softmax backward (cuda): y (%d,%d,%d,%d), dy, dx must share one shape", y.n,
                       y.c, y.h, y.w);
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    TensorDesc yd, dyd, dxd;
    FV_TRY(set_view(yd, y));
    FV_TRY(set_view(dyd, dy));
    FV_TRY(set_view(dxd, dx));
    const float one = 1.0f;
    FV_CUDNN_CHECK(cudnnSoftmaxBackward(ctx->cudnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, yd.d,
                                        y.data, dyd.d, dy.data, &one, dxd.d, dx.data));
    return FV_OK;
}
