/* The CUDA twins of the CPU ops (host/ops.h, host/objective_ops.h): identical parameters and semantics
 * (network backward ops accumulate into dx; parameterisation backward ops overwrite), device pointers,
 * work queued on the context's stream (cuda/context.h). Host-side arrays (affine maps, objective terms)
 * stay host pointers, as on the CPU. Implemented in the .cu files of cuda/ (cuDNN, cuBLAS, cuFFT) and
 * kernels/. */
#ifndef FV_OPS_CUDA_H
#define FV_OPS_CUDA_H

#include "backend/objective_ops.h"
#include "backend/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cuda/conv.cu (cuDNN; asymmetric padding through an explicitly padded copy) */
size_t fv_conv2d_workspace_cuda(const fv_conv_desc *d, int n, int h, int w);
fv_status fv_conv2d_fwd_cuda(const fv_conv_desc *d, fv_tensor x, const float *wt, const float *bias, fv_tensor y,
                             float *work);
fv_status fv_conv2d_bwd_data_cuda(const fv_conv_desc *d, fv_tensor dy, const float *wt, fv_tensor dx, float *work);

/* kernels/relu.cu */
fv_status fv_relu_fwd_cuda(fv_tensor x, fv_tensor y);
fv_status fv_relu_bwd_cuda(fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect);

/* kernels/pool.cu (own kernels: cuDNN pooling cannot express asymmetric padding) */
fv_status fv_pool_fwd_cuda(const fv_pool_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_pool_bwd_cuda(const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx);

/* cuda/lrn.cu (cuDNN) */
fv_status fv_lrn_fwd_cuda(const fv_lrn_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_lrn_bwd_cuda(const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx);

/* cuda/fc.cu (cuBLAS) */
fv_status fv_fc_fwd_cuda(fv_tensor x, const float *wt, const float *bias, int nout, fv_tensor y);
fv_status fv_fc_bwd_cuda(fv_tensor dy, const float *wt, fv_tensor dx);

/* cuda/softmax.cu (cuDNN) */
fv_status fv_softmax_fwd_cuda(fv_tensor x, fv_tensor y);
fv_status fv_softmax_bwd_cuda(fv_tensor y, fv_tensor dy, fv_tensor dx);

/* cuda/fft.cu (cuFFT + kernels for scaling, symmetrising and the adjoint's weights) */
typedef struct fv_fft_plan_cuda fv_fft_plan_cuda;
fv_status fv_fft_plan_create_cuda(int n, int h, int w, fv_fft_plan_cuda **out);
void fv_fft_plan_free_cuda(fv_fft_plan_cuda *p);
fv_status fv_spectrum_to_image_cuda(fv_fft_plan_cuda *p, const float *spec, const float *scale, float *img);
fv_status fv_spectrum_to_image_bwd_cuda(fv_fft_plan_cuda *p, const float *dimg, const float *scale, float *dspec);
fv_status fv_image_to_spectrum_cuda(fv_fft_plan_cuda *p, const float *img, const float *scale, float *spec);

/* kernels/colour.cu */
fv_status fv_colour_fwd_cuda(int n, int hw, int decorrelate, const float *t, float *rgb);
fv_status fv_colour_bwd_cuda(int n, int hw, int decorrelate, const float *rgb, const float *drgb, float *dt);

/* kernels/resample.cu (maps: host array of n affines) */
fv_status fv_resample_fwd_cuda(int n, int c, int h, int w, const float *src, const fv_affine *maps, float pad, int oh,
                               int ow, float *dst);
fv_status fv_resample_bwd_cuda(int n, int c, int h, int w, const fv_affine *maps, int oh, int ow, const float *ddst,
                               float *dsrc);

/* kernels/tfchain.cu (chains: host array of nimg) */
fv_status fv_tfchain_fwd_cuda(int nimg, int c, const fv_tfchain *chains, const float *src, float *dst);
fv_status fv_tfchain_bwd_cuda(int nimg, int c, const fv_tfchain *chains, const float *ddst, float *dsrc);

/* kernels/preprocess.cu */
fv_status fv_preprocess_fwd_cuda(int n, int hw, const int perm[3], float scale, const float mean[3], const float *rgb,
                                 float *out);
fv_status fv_preprocess_bwd_cuda(int n, int hw, const int perm[3], float scale, const float *dout, float *drgb);

/* kernels/adam.cu */
fv_status fv_adam_cuda(size_t count, float *p, const float *g, float *m, float *v, int t, float lr, float b1, float b2,
                       float eps);

/* kernels/objective.cu (terms: host array; values: host array, written after a synchronising copy) */
fv_status fv_objective_fwd_cuda(const fv_obj_term *terms, int nterms, fv_tensor act, float *values);
fv_status fv_objective_bwd_cuda(const fv_obj_term *terms, int nterms, fv_tensor act, fv_tensor dact);
/* kernels/gram.cu (cuBLAS Grams + normalisation kernels; value: host float) */
size_t fv_diversity_workspace_cuda(int c, int count);
fv_status fv_diversity_fwd_cuda(fv_tensor act, int b0, int count, float *value, float *work);
fv_status fv_diversity_bwd_cuda(fv_tensor act, int b0, int count, float weight, fv_tensor dact, float *work);

/* kernels/penalty.cu (values: host array of n floats, written after a synchronising copy; the
 * backward accumulates into drgb) */
fv_status fv_penalty_fwd_cuda(int n, int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                              float *values);
fv_status fv_penalty_bwd_cuda(int n, int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                              float *drgb);

/* kernels/alignment.cu (value: host float, written after a synchronising copy; the backward accumulates) */
fv_status fv_alignment_fwd_cuda(fv_tensor act, int b0, int count, float decay, float *value);
fv_status fv_alignment_bwd_cuda(fv_tensor act, int b0, int count, float decay, float weight, fv_tensor dact);
/* kernels/lowres.cu (forward accumulates into dst; backward overwrites dsrc, gathering: deterministic) */
fv_status fv_lowres_fwd_cuda(int nb, int c, int h, int w, const float *src, int n, int oh, int ow, float *dst);
fv_status fv_lowres_bwd_cuda(int nb, int c, int h, int w, int n, int oh, int ow, const float *ddst, float *dsrc);

#ifdef __cplusplus
}
#endif
#endif
