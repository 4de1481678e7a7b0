// Across-channel local response normalisation on the GPU with cuDNN, forward and input gradient: the
// twin of host/cpu/lrn.c. Our alpha is per element (ops.h); cuDNN divides its lrnAlpha by the window
// size, so it gets alpha * size.
#include <climits>
#include <cmath>

#include "cudnn_desc.h"
#include "ops_cuda.h"

// The CPU's descriptor checks, then cuDNN's limits (window 1..16, k >= 1e-5, beta >= 0.01).
static fv_status make_lrn(const fv_lrn_desc *d, const char *what, LrnDesc &ld)
{
    if (d->size < 1 || d->size % 2 == 0 || !(d->k > 0.0f) || !(d->alpha >= 0.0f) || !std::isfinite(d->beta))
        return fv_fail(FV_ERR_SHAPE, "lrn %s (cuda): bad descriptor (size %d alpha %g beta %g k %g)", what, d->size,
                       (double)d->alpha, (double)d->beta, (double)d->k);
    if (d->size < CUDNN_LRN_MIN_N || d->size > CUDNN_LRN_MAX_N || d->k < CUDNN_LRN_MIN_K ||
        d->beta < CUDNN_LRN_MIN_BETA)
        return fv_fail(FV_ERR_UNSUPPORTED,
                       "lrn %s (cuda): cuDNN needs size in [%d, %d], k >= %g, beta >= %g (got size %d k %g beta %g)",
                       what, CUDNN_LRN_MIN_N, CUDNN_LRN_MAX_N, CUDNN_LRN_MIN_K, CUDNN_LRN_MIN_BETA, d->size,
                       (double)d->k, (double)d->beta);
    FV_CUDNN_CHECK(cudnnCreateLRNDescriptor(&ld.d));
    // cuDNN: y = x / (k + (lrnAlpha / lrnN) * sum x^2)^beta over channels [c - (N-1)/2, c + (N-1)/2] for odd N;
    // ours: y = x * (k + alpha * sum x^2)^-beta over the same window.
    FV_CUDNN_CHECK(cudnnSetLRNDescriptor(ld.d, (unsigned)d->size, (double)d->alpha * d->size, (double)d->beta,
                                         (double)d->k));
    return FV_OK;
}

extern "C" fv_status fv_lrn_fwd_cuda(const fv_lrn_desc *d, fv_tensor x, fv_tensor y)
{
    if (fv_bad_view(x) || fv_bad_view(y) || !fv_same_shape(x, y))
        return fv_fail(FV_ERR_SHAPE, "lrn forward (cuda): x (%d,%d,%d,%d) and y (%d,%d,%d,%d) differ or are empty", x.n,
                       x.c, x.h, x.w, y.n, y.c, y.h, y.w);
    if (x.data == y.data) return fv_fail(FV_ERR_ARG, "lrn forward (cuda): x and y must not alias");
    LrnDesc ld;
    FV_TRY(make_lrn(d, "forward", ld));
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    TensorDesc xd, yd;
    FV_TRY(fv_cudnn_set_view(xd, x, "lrn"));
    FV_TRY(fv_cudnn_set_view(yd, y, "lrn"));
    const float one = 1.0f, zero = 0.0f;
    FV_CUDNN_CHECK(
        cudnnLRNCrossChannelForward(ctx->cudnn, ld.d, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, xd.d, x.data, &zero, yd.d, y.data));
    return FV_OK;
}

// cuDNN's backward takes the forward's output y, dy, the forward's input x, and blends into dx; beta = 1
// makes it accumulate, as the network backward ops must.
extern "C" fv_status fv_lrn_bwd_cuda(const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    if (fv_bad_view(x) || fv_bad_view(y) || fv_bad_view(dy) || fv_bad_view(dx) || !fv_same_shape(x, y) ||
        !fv_same_shape(x, dy) || !fv_same_shape(x, dx))
        return fv_fail(FV_ERR_SHAPE, "lrn backward (cuda): x (%d,%d,%d,%d), y, dy, dx must all share one shape", x.n,
                       x.c, x.h, x.w);
    LrnDesc ld;
    FV_TRY(make_lrn(d, "backward", ld));
    fv_cuda_ctx *ctx;
    FV_TRY(fv_cuda_ctx_get(&ctx));
    TensorDesc xd, yd, dyd, dxd;
    FV_TRY(fv_cudnn_set_view(xd, x, "lrn"));
    FV_TRY(fv_cudnn_set_view(yd, y, "lrn"));
    FV_TRY(fv_cudnn_set_view(dyd, dy, "lrn"));
    FV_TRY(fv_cudnn_set_view(dxd, dx, "lrn"));
    const float one = 1.0f;
    FV_CUDNN_CHECK(cudnnLRNCrossChannelBackward(ctx->cudnn, ld.d, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, yd.d, y.data,
                                                dyd.d, dy.data, xd.d, x.data, &one, dxd.d, dx.data));
    return FV_OK;
}
