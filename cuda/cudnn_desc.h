// cuDNN descriptors as scoped objects (the early returns of the check macros leak nothing) and the one
// way an fv_tensor view becomes a cuDNN tensor descriptor: images bstride floats apart, channels and
// rows packed inside an image. Shared by cuda/conv.cu, lrn.cu and softmax.cu.
#ifndef FV_CUDNN_DESC_H
#define FV_CUDNN_DESC_H

#include <climits>

#include "core/tensor.h"
#include "context.h"

template <typename T, cudnnStatus_t (*Destroy)(T)> struct CudnnDesc {
    T d = nullptr;
    CudnnDesc() = default;
    CudnnDesc(const CudnnDesc &) = delete;
    CudnnDesc &operator=(const CudnnDesc &) = delete;
    ~CudnnDesc()
    {
        if (d) Destroy(d);
    }
};

typedef CudnnDesc<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor> TensorDesc;
typedef CudnnDesc<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor> FilterDesc;
typedef CudnnDesc<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor> ConvDesc;
typedef CudnnDesc<cudnnLRNDescriptor_t, cudnnDestroyLRNDescriptor> LrnDesc;

// (n, c, h, w) with images nstride floats apart. One image: the image stride addresses nothing, so the
// packed one is stated (cuDNN then sees a packed tensor).
static inline fv_status fv_cudnn_set_tensor(TensorDesc &t, int n, int c, int h, int w, long nstride, const char *op)
{
    if (nstride > INT_MAX) return fv_fail(FV_ERR_SHAPE, "%s (cuda): image stride %ld exceeds cuDNN's int", op, nstride);
    if (n == 1) nstride = (long)c * h * w;
    if (!t.d) FV_CUDNN_CHECK(cudnnCreateTensorDescriptor(&t.d));
    FV_CUDNN_CHECK(cudnnSetTensor4dDescriptorEx(t.d, CUDNN_DATA_FLOAT, n, c, h, w, (int)nstride, h * w, w, 1));
    return FV_OK;
}

static inline fv_status fv_cudnn_set_view(TensorDesc &t, fv_tensor v, const char *op)
{
    return fv_cudnn_set_tensor(t, v.n, v.c, v.h, v.w, v.bstride, op);
}

#endif
