/* The CUDA twins of the CPU ops (backend/ops.h, backend/objective_ops.h): the same parameters after the context
 * they run in (cuda/context.h), the same semantics (network backward ops accumulate into dx; parameterisation
 * backward ops overwrite), device pointers, work queued on ctx->stream. Host-side arrays (affine maps, chains,
 * objective terms and values) stay host pointers, as on the CPU. Each twin calls its op's checks
 * (backend/checks.h) before it touches the device. Where each twin lives: the table in backend/ops.h. */
#ifndef FV_OPS_CUDA_H
#define FV_OPS_CUDA_H

#include "backend/objective_ops.h"
#include "backend/ops.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cuda/conv.cu (cuDNN; asymmetric padding through an explicitly padded copy; groups and dilations in cuDNN's
 * descriptors; algorithms cached per context) */
size_t fv_conv2d_workspace_cuda(fv_cuda_ctx *ctx, const fv_conv_desc *d, int n, int h, int w);
fv_status fv_conv2d_fwd_cuda(fv_cuda_ctx *ctx, const fv_conv_desc *d, fv_tensor x, const float *wt, const float *bias,
                             fv_tensor y, float *work);
fv_status fv_conv2d_bwd_data_cuda(fv_cuda_ctx *ctx, const fv_conv_desc *d, fv_tensor dy, const float *wt, fv_tensor dx,
                                  float *work);

/* kernels/relu.cu */
fv_status fv_relu_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, fv_tensor y);
fv_status fv_relu_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect);

/* kernels/pool.cu (own kernels: cuDNN pooling cannot express asymmetric padding, nor count_pad's limit) */
fv_status fv_pool_fwd_cuda(fv_cuda_ctx *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_pool_bwd_cuda(fv_cuda_ctx *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                           fv_tensor dx);

/* cuda/lrn.cu (cuDNN) */
fv_status fv_lrn_fwd_cuda(fv_cuda_ctx *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_lrn_bwd_cuda(fv_cuda_ctx *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                          fv_tensor dx);

/* cuda/fc.cu (cuBLAS) */
fv_status fv_fc_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, const float *wt, const float *bias, int nout, fv_tensor y);
fv_status fv_fc_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor dy, const float *wt, fv_tensor dx);

/* cuda/softmax.cu (cuDNN) */
fv_status fv_softmax_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, fv_tensor y);
fv_status fv_softmax_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor y, fv_tensor dy, fv_tensor dx);

/* kernels/act.cu, binary.cu, affine.cu, pad.cu, copy.cu (the ONNX operators; scale and shift are device arrays) */
fv_status fv_act_fwd_cuda(fv_cuda_ctx *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_act_bwd_cuda(fv_cuda_ctx *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx);
fv_status fv_binary_fwd_cuda(fv_cuda_ctx *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y);
fv_status fv_binary_bwd_cuda(fv_cuda_ctx *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy, fv_tensor da,
                             fv_tensor db);
fv_status fv_affine_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, const float *scale, const float *shift, fv_tensor y);
fv_status fv_affine_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor dy, const float *scale, fv_tensor dx);
fv_status fv_pad_fwd_cuda(fv_cuda_ctx *ctx, const fv_window *pads, float value, fv_tensor x, fv_tensor y);
fv_status fv_pad_bwd_cuda(fv_cuda_ctx *ctx, const fv_window *pads, fv_tensor dy, fv_tensor dx);
fv_status fv_copy_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor x, fv_tensor y);
fv_status fv_copy_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor dy, fv_tensor dx);

/* cuda/fft.cu (cuFFT + kernels for scaling, symmetrising and the adjoint's weights). A plan runs on the stream
 * of the context it was made with. */
typedef struct fv_fft_plan_cuda fv_fft_plan_cuda;
fv_status fv_fft_plan_create_cuda(fv_cuda_ctx *ctx, int n, int h, int w, fv_fft_plan_cuda **out);
void fv_fft_plan_free_cuda(fv_cuda_ctx *ctx, fv_fft_plan_cuda *p);
fv_status fv_spectrum_to_image_cuda(fv_cuda_ctx *ctx, fv_fft_plan_cuda *p, const float *spec, const float *scale,
                                    float *img);
fv_status fv_spectrum_to_image_bwd_cuda(fv_cuda_ctx *ctx, fv_fft_plan_cuda *p, const float *dimg, const float *scale,
                                        float *dspec);
fv_status fv_image_to_spectrum_cuda(fv_cuda_ctx *ctx, fv_fft_plan_cuda *p, const float *img, const float *scale,
                                    float *spec);

/* kernels/colour.cu */
fv_status fv_colour_fwd_cuda(fv_cuda_ctx *ctx, int n, int hw, int decorrelate, const float *t, float *rgb);
fv_status fv_colour_bwd_cuda(fv_cuda_ctx *ctx, int n, int hw, int decorrelate, const float *rgb, const float *drgb,
                             float *dt);

/* kernels/resample.cu (maps: host array of n affines) */
fv_status fv_resample_fwd_cuda(fv_cuda_ctx *ctx, int n, int c, int h, int w, const float *src, const fv_affine *maps,
                               float pad, int oh, int ow, float *dst);
fv_status fv_resample_bwd_cuda(fv_cuda_ctx *ctx, int n, int c, int h, int w, const fv_affine *maps, int oh, int ow,
                               const float *ddst, float *dsrc);

/* kernels/tfchain.cu (chains: host array of nimg) */
fv_status fv_tfchain_fwd_cuda(fv_cuda_ctx *ctx, int nimg, int c, const fv_tfchain *chains, const float *src,
                              float *dst);
fv_status fv_tfchain_bwd_cuda(fv_cuda_ctx *ctx, int nimg, int c, const fv_tfchain *chains, const float *ddst,
                              float *dsrc);

/* kernels/preprocess.cu */
fv_status fv_preprocess_fwd_cuda(fv_cuda_ctx *ctx, int n, int hw, const int perm[3], float scale, const float mean[3],
                                 const float std[3], const float *rgb, float *out);
fv_status fv_preprocess_bwd_cuda(fv_cuda_ctx *ctx, int n, int hw, const int perm[3], float scale, const float std[3],
                                 const float *dout, float *drgb);

/* kernels/adam.cu */
fv_status fv_adam_cuda(fv_cuda_ctx *ctx, size_t count, float *p, const float *g, float *m, float *v, int t, float lr,
                       float b1, float b2, float eps);

/* kernels/penalty.cu (values: host array of n floats, written after a synchronising copy; the backward
 * accumulates into drgb) */
fv_status fv_penalty_fwd_cuda(fv_cuda_ctx *ctx, int n, int h, int w, const float *rgb, float tv, float l1, float l2,
                              float blur, float *values);
fv_status fv_penalty_bwd_cuda(fv_cuda_ctx *ctx, int n, int h, int w, const float *rgb, float tv, float l1, float l2,
                              float blur, float *drgb);

/* kernels/lowres.cu (forward accumulates into dst; backward overwrites dsrc, gathering: deterministic) */
fv_status fv_lowres_fwd_cuda(fv_cuda_ctx *ctx, int nb, int c, int h, int w, const float *src, int n, int oh, int ow,
                             float *dst);
fv_status fv_lowres_bwd_cuda(fv_cuda_ctx *ctx, int nb, int c, int h, int w, int n, int oh, int ow, const float *ddst,
                             float *dsrc);

/* kernels/objective.cu (terms: host array; values: host array, written after a synchronising copy) */
fv_status fv_objective_fwd_cuda(fv_cuda_ctx *ctx, const fv_obj_term *terms, int nterms, fv_tensor act,
                                float *values);
fv_status fv_objective_bwd_cuda(fv_cuda_ctx *ctx, const fv_obj_term *terms, int nterms, fv_tensor act,
                                fv_tensor dact);

/* kernels/diversity.cu (cuBLAS Grams + normalisation kernels; value: host float) */
size_t fv_diversity_workspace_cuda(fv_cuda_ctx *ctx, int c, int count);
fv_status fv_diversity_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor act, int b0, int count, float *value, float *work);
fv_status fv_diversity_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor act, int b0, int count, float weight, fv_tensor dact,
                                float *work);

/* kernels/alignment.cu (value: host float, written after a synchronising copy; the backward accumulates) */
fv_status fv_alignment_fwd_cuda(fv_cuda_ctx *ctx, fv_tensor act, int b0, int count, float decay, float *value);
fv_status fv_alignment_bwd_cuda(fv_cuda_ctx *ctx, fv_tensor act, int b0, int count, float decay, float weight,
                                fv_tensor dact);

#ifdef __cplusplus
}
#endif
#endif
