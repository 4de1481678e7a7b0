// Across-channel local response normalisation on the GPU with cuDNN, forward and input gradient: the
// twin of host/cpu/lrn.c. Our alpha is per element (ops.h); cuDNN divides its lrnAlpha by the window
// size, so it gets alpha * size.
#include <climits>

#include "backend/checks.h"
#include "cudnn_desc.h"
#include "ops_cuda.h"

// cuDNN's limits (window 1..16, k >= 1e-5, beta >= 0.01), after the shared checks.
static fv_status make_lrn(const fv_lrn_desc *d, const char *what, LrnDesc &ld)
{
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

extern "C" fv_status fv_lrn_fwd_cuda(fv_cuda_ctx *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y)
{
    FV_TRY(fv_check_lrn_fwd("lrn forward (cuda)", d, x, y));
    FV_TRY(fv_cuda_enter(ctx));
    LrnDesc ld;
    FV_TRY(make_lrn(d, "forward", ld));
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
extern "C" fv_status fv_lrn_bwd_cuda(fv_cuda_ctx *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                                     fv_tensor dx)
{
    FV_TRY(fv_check_lrn_bwd("lrn backward (cuda)", d, x, y, dy, dx));
    FV_TRY(fv_cuda_enter(ctx));
    LrnDesc ld;
    FV_TRY(make_lrn(d, "backward", ld));
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
