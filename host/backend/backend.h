/* The backend contract: an op table (fv_backend_i) that each backend fills (host/cpu/backend_cpu.c,
 * cuda/backend_cuda.c), an instance (struct fv_backend) that carries that table and its own context (ggml's
 * pattern: iface, device, context), and one inline call per op, fv_<op>(be, ...), through which the network
 * walker and the render loop reach whichever backend an instance runs. What each op computes and where its twins
 * live: ops.h (the table at its top) and objective_ops.h; the argument checks both twins share: checks.h.
 * Instances are opened and closed by the registry (host/device, fv_backend_open in featvis.h). Pointers passed
 * to ops are backend memory (host memory for the CPU), except the small host arrays the op comments name. */
#ifndef FV_BACKEND_H
#define FV_BACKEND_H

#include "objective_ops.h"
#include "ops.h"

/* The cuDNN algorithm counts the options are checked against (cuDNN 8 and 9: 8 forward, 6 backward-data
 * algorithms; cuda/context.cu asserts that they match the headers it is built with). */
#define FV_CUDNN_FWD_ALGOS 8
#define FV_CUDNN_BWD_DATA_ALGOS 6

/* Every op takes the instance's context first: the CPU table's thin adapters drop it, the CUDA twins take it
 * as their fv_cuda_ctx. */
typedef struct fv_backend_i {
    const char *name;
    int host_memory; /* 1 if backend pointers are host pointers (weights can be used in place) */
    void (*close)(void *ctx); /* releases the context (streams, handles, caches); ctx may be NULL */

    fv_status (*alloc)(void *ctx, void **p, size_t bytes); /* zero-filled */
    void (*free)(void *ctx, void *p);
    fv_status (*upload)(void *ctx, void *dst, const void *src, size_t bytes);
    fv_status (*download)(void *ctx, void *dst, const void *src, size_t bytes);
    fv_status (*zero)(void *ctx, void *dst, size_t bytes);
    fv_status (*mem_info)(void *ctx, size_t *free_bytes, size_t *total_bytes);

    size_t (*conv2d_workspace)(void *ctx, const fv_conv_desc *d, int n, int h, int w);
    fv_status (*conv2d_fwd)(void *ctx, const fv_conv_desc *d, fv_tensor x, const float *wt, const float *bias,
                            fv_tensor y, float *work);
    fv_status (*conv2d_bwd_data)(void *ctx, const fv_conv_desc *d, fv_tensor dy, const float *wt, fv_tensor dx,
                                 float *work);
    fv_status (*relu_fwd)(void *ctx, fv_tensor x, fv_tensor y);
    fv_status (*relu_bwd)(void *ctx, fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect);
    fv_status (*pool_fwd)(void *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y);
    fv_status (*pool_bwd)(void *ctx, const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx);
    fv_status (*lrn_fwd)(void *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y);
    fv_status (*lrn_bwd)(void *ctx, const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx);
    fv_status (*fc_fwd)(void *ctx, fv_tensor x, const float *wt, const float *bias, int nout, fv_tensor y);
    fv_status (*fc_bwd)(void *ctx, fv_tensor dy, const float *wt, fv_tensor dx);
    fv_status (*softmax_fwd)(void *ctx, fv_tensor x, fv_tensor y);
    fv_status (*softmax_bwd)(void *ctx, fv_tensor y, fv_tensor dy, fv_tensor dx);
    fv_status (*act_fwd)(void *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor y);
    fv_status (*act_bwd)(void *ctx, const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx);
    fv_status (*binary_fwd)(void *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y);
    fv_status (*binary_bwd)(void *ctx, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy, fv_tensor da,
                            fv_tensor db);
    fv_status (*affine_fwd)(void *ctx, fv_tensor x, const float *scale, const float *shift, fv_tensor y);
    fv_status (*affine_bwd)(void *ctx, fv_tensor dy, const float *scale, fv_tensor dx);
    fv_status (*pad_fwd)(void *ctx, const fv_window *pads, float value, fv_tensor x, fv_tensor y);
    fv_status (*pad_bwd)(void *ctx, const fv_window *pads, fv_tensor dy, fv_tensor dx);
    fv_status (*copy_fwd)(void *ctx, fv_tensor x, fv_tensor y);
    fv_status (*copy_bwd)(void *ctx, fv_tensor dy, fv_tensor dx);

    fv_status (*fft_plan_create)(void *ctx, int n, int h, int w, void **plan);
    void (*fft_plan_free)(void *ctx, void *plan);
    fv_status (*spectrum_to_image)(void *ctx, void *plan, const float *spec, const float *scale, float *img);
    fv_status (*spectrum_to_image_bwd)(void *ctx, void *plan, const float *dimg, const float *scale, float *dspec);
    fv_status (*image_to_spectrum)(void *ctx, void *plan, const float *img, const float *scale, float *spec);
    fv_status (*colour_fwd)(void *ctx, int n, int hw, int decorrelate, const float *t, float *rgb);
    fv_status (*colour_bwd)(void *ctx, int n, int hw, int decorrelate, const float *rgb, const float *drgb, float *dt);
    fv_status (*resample_fwd)(void *ctx, int n, int c, int h, int w, const float *src, const fv_affine *maps,
                              float pad, int oh, int ow, float *dst);
    fv_status (*resample_bwd)(void *ctx, int n, int c, int h, int w, const fv_affine *maps, int oh, int ow,
                              const float *ddst, float *dsrc);
    fv_status (*tfchain_fwd)(void *ctx, int nimg, int c, const fv_tfchain *chains, const float *src, float *dst);
    fv_status (*tfchain_bwd)(void *ctx, int nimg, int c, const fv_tfchain *chains, const float *ddst, float *dsrc);
    fv_status (*preprocess_fwd)(void *ctx, int n, int hw, const int perm[3], float scale, const float mean[3],
                                const float std[3], const float *rgb, float *out);
    fv_status (*preprocess_bwd)(void *ctx, int n, int hw, const int perm[3], float scale, const float std[3],
                                const float *dout, float *drgb);
    fv_status (*adam)(void *ctx, size_t count, float *p, const float *g, float *m, float *v, int t, float lr,
                      float b1, float b2, float eps);
    fv_status (*penalty_fwd)(void *ctx, int n, int h, int w, const float *rgb, float tv, float l1, float l2,
                             float blur, float *values);
    fv_status (*penalty_bwd)(void *ctx, int n, int h, int w, const float *rgb, float tv, float l1, float l2,
                             float blur, float *drgb);
    fv_status (*lowres_fwd)(void *ctx, int nb, int c, int h, int w, const float *src, int n, int oh, int ow,
                            float *dst);
    fv_status (*lowres_bwd)(void *ctx, int nb, int c, int h, int w, int n, int oh, int ow, const float *ddst,
                            float *dsrc);

    fv_status (*objective_fwd)(void *ctx, const fv_obj_term *terms, int nterms, fv_tensor act, float *values);
    fv_status (*objective_bwd)(void *ctx, const fv_obj_term *terms, int nterms, fv_tensor act, fv_tensor dact);
    size_t (*diversity_workspace)(void *ctx, int c, int count);
    fv_status (*diversity_fwd)(void *ctx, fv_tensor act, int b0, int count, float *value, float *work);
    fv_status (*diversity_bwd)(void *ctx, fv_tensor act, int b0, int count, float weight, fv_tensor dact,
                               float *work);
    fv_status (*alignment_fwd)(void *ctx, fv_tensor act, int b0, int count, float decay, float *value);
    fv_status (*alignment_bwd)(void *ctx, fv_tensor act, int b0, int count, float decay, float weight,
                               fv_tensor dact);
} fv_backend_i;

/* An open backend (typedef'd in featvis.h). The registry allocates it; the backend's init fills iface,
 * device and context; fv_backend_close hands the context back to iface->close. */
struct fv_backend {
    const fv_backend_i *iface;
    fv_backend_kind kind;
    int device;                 /* the CUDA device ordinal; 0 on the CPU */
    fv_backend_options options; /* as opened (checked) */
    void *context;              /* the backend's own state (CUDA: fv_cuda_ctx); NULL on the CPU */
    /* What a layer above keeps per instance for as long as it is open (net/plan.c: the device copy of a
     * network's weights, uploaded once per run and shared by every pass); released by fv_backend_close. */
    void *keep;
    void (*keep_free)(struct fv_backend *be, void *keep);
};

/* ---------- calls through an instance: memory ---------- */

static inline fv_status fv_backend_alloc(fv_backend *be, void **p, size_t bytes)
{
    return be->iface->alloc(be->context, p, bytes);
}
static inline void fv_backend_free(fv_backend *be, void *p) { be->iface->free(be->context, p); }
static inline fv_status fv_backend_upload(fv_backend *be, void *dst, const void *src, size_t bytes)
{
    return be->iface->upload(be->context, dst, src, bytes);
}
static inline fv_status fv_backend_download(fv_backend *be, void *dst, const void *src, size_t bytes)
{
    return be->iface->download(be->context, dst, src, bytes);
}
static inline fv_status fv_backend_zero(fv_backend *be, void *dst, size_t bytes)
{
    return be->iface->zero(be->context, dst, bytes);
}
static inline fv_status fv_backend_mem_info(fv_backend *be, size_t *free_bytes, size_t *total_bytes)
{
    return be->iface->mem_info(be->context, free_bytes, total_bytes);
}

/* ---------- calls through an instance: the ops (ops.h, objective_ops.h say what each computes) ---------- */

static inline size_t fv_conv2d_workspace(fv_backend *be, const fv_conv_desc *d, int n, int h, int w)
{
    return be->iface->conv2d_workspace(be->context, d, n, h, w);
}
static inline fv_status fv_conv2d_fwd(fv_backend *be, const fv_conv_desc *d, fv_tensor x, const float *wt,
                                      const float *bias, fv_tensor y, float *work)
{
    return be->iface->conv2d_fwd(be->context, d, x, wt, bias, y, work);
}
static inline fv_status fv_conv2d_bwd_data(fv_backend *be, const fv_conv_desc *d, fv_tensor dy, const float *wt,
                                           fv_tensor dx, float *work)
{
    return be->iface->conv2d_bwd_data(be->context, d, dy, wt, dx, work);
}
static inline fv_status fv_relu_fwd(fv_backend *be, fv_tensor x, fv_tensor y)
{
    return be->iface->relu_fwd(be->context, x, y);
}
static inline fv_status fv_relu_bwd(fv_backend *be, fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect)
{
    return be->iface->relu_bwd(be->context, x, dy, dx, redirect);
}
static inline fv_status fv_pool_fwd(fv_backend *be, const fv_pool_desc *d, fv_tensor x, fv_tensor y)
{
    return be->iface->pool_fwd(be->context, d, x, y);
}
static inline fv_status fv_pool_bwd(fv_backend *be, const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                                    fv_tensor dx)
{
    return be->iface->pool_bwd(be->context, d, x, y, dy, dx);
}
static inline fv_status fv_lrn_fwd(fv_backend *be, const fv_lrn_desc *d, fv_tensor x, fv_tensor y)
{
    return be->iface->lrn_fwd(be->context, d, x, y);
}
static inline fv_status fv_lrn_bwd(fv_backend *be, const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                                   fv_tensor dx)
{
    return be->iface->lrn_bwd(be->context, d, x, y, dy, dx);
}
static inline fv_status fv_fc_fwd(fv_backend *be, fv_tensor x, const float *wt, const float *bias, int nout,
                                  fv_tensor y)
{
    return be->iface->fc_fwd(be->context, x, wt, bias, nout, y);
}
static inline fv_status fv_fc_bwd(fv_backend *be, fv_tensor dy, const float *wt, fv_tensor dx)
{
    return be->iface->fc_bwd(be->context, dy, wt, dx);
}
static inline fv_status fv_softmax_fwd(fv_backend *be, fv_tensor x, fv_tensor y)
{
    return be->iface->softmax_fwd(be->context, x, y);
}
static inline fv_status fv_softmax_bwd(fv_backend *be, fv_tensor y, fv_tensor dy, fv_tensor dx)
{
    return be->iface->softmax_bwd(be->context, y, dy, dx);
}
static inline fv_status fv_act_fwd(fv_backend *be, const fv_act_desc *d, fv_tensor x, fv_tensor y)
{
    return be->iface->act_fwd(be->context, d, x, y);
}
static inline fv_status fv_act_bwd(fv_backend *be, const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx)
{
    return be->iface->act_bwd(be->context, d, x, dy, dx);
}
static inline fv_status fv_binary_fwd(fv_backend *be, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y)
{
    return be->iface->binary_fwd(be->context, k, a, b, y);
}
static inline fv_status fv_binary_bwd(fv_backend *be, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy,
                                      fv_tensor da, fv_tensor db)
{
    return be->iface->binary_bwd(be->context, k, a, b, dy, da, db);
}
static inline fv_status fv_affine_fwd(fv_backend *be, fv_tensor x, const float *scale, const float *shift,
                                      fv_tensor y)
{
    return be->iface->affine_fwd(be->context, x, scale, shift, y);
}
static inline fv_status fv_affine_bwd(fv_backend *be, fv_tensor dy, const float *scale, fv_tensor dx)
{
    return be->iface->affine_bwd(be->context, dy, scale, dx);
}
static inline fv_status fv_pad_fwd(fv_backend *be, const fv_window *pads, float value, fv_tensor x, fv_tensor y)
{
    return be->iface->pad_fwd(be->context, pads, value, x, y);
}
static inline fv_status fv_pad_bwd(fv_backend *be, const fv_window *pads, fv_tensor dy, fv_tensor dx)
{
    return be->iface->pad_bwd(be->context, pads, dy, dx);
}
static inline fv_status fv_copy_fwd(fv_backend *be, fv_tensor x, fv_tensor y)
{
    return be->iface->copy_fwd(be->context, x, y);
}
static inline fv_status fv_copy_bwd(fv_backend *be, fv_tensor dy, fv_tensor dx)
{
    return be->iface->copy_bwd(be->context, dy, dx);
}
static inline fv_status fv_fft_plan_create(fv_backend *be, int n, int h, int w, void **plan)
{
    return be->iface->fft_plan_create(be->context, n, h, w, plan);
}
static inline void fv_fft_plan_free(fv_backend *be, void *plan) { be->iface->fft_plan_free(be->context, plan); }
static inline fv_status fv_spectrum_to_image(fv_backend *be, void *plan, const float *spec, const float *scale,
                                             float *img)
{
    return be->iface->spectrum_to_image(be->context, plan, spec, scale, img);
}
static inline fv_status fv_spectrum_to_image_bwd(fv_backend *be, void *plan, const float *dimg, const float *scale,
                                                 float *dspec)
{
    return be->iface->spectrum_to_image_bwd(be->context, plan, dimg, scale, dspec);
}
static inline fv_status fv_image_to_spectrum(fv_backend *be, void *plan, const float *img, const float *scale,
                                             float *spec)
{
    return be->iface->image_to_spectrum(be->context, plan, img, scale, spec);
}
static inline fv_status fv_colour_fwd(fv_backend *be, int n, int hw, int decorrelate, const float *t, float *rgb)
{
    return be->iface->colour_fwd(be->context, n, hw, decorrelate, t, rgb);
}
static inline fv_status fv_colour_bwd(fv_backend *be, int n, int hw, int decorrelate, const float *rgb,
                                      const float *drgb, float *dt)
{
    return be->iface->colour_bwd(be->context, n, hw, decorrelate, rgb, drgb, dt);
}
static inline fv_status fv_resample_fwd(fv_backend *be, int n, int c, int h, int w, const float *src,
                                        const fv_affine *maps, float pad, int oh, int ow, float *dst)
{
    return be->iface->resample_fwd(be->context, n, c, h, w, src, maps, pad, oh, ow, dst);
}
static inline fv_status fv_resample_bwd(fv_backend *be, int n, int c, int h, int w, const fv_affine *maps, int oh,
                                        int ow, const float *ddst, float *dsrc)
{
    return be->iface->resample_bwd(be->context, n, c, h, w, maps, oh, ow, ddst, dsrc);
}
static inline fv_status fv_tfchain_fwd(fv_backend *be, int nimg, int c, const fv_tfchain *chains, const float *src,
                                       float *dst)
{
    return be->iface->tfchain_fwd(be->context, nimg, c, chains, src, dst);
}
static inline fv_status fv_tfchain_bwd(fv_backend *be, int nimg, int c, const fv_tfchain *chains, const float *ddst,
                                       float *dsrc)
{
    return be->iface->tfchain_bwd(be->context, nimg, c, chains, ddst, dsrc);
}
static inline fv_status fv_preprocess_fwd(fv_backend *be, int n, int hw, const int perm[3], float scale,
                                          const float mean[3], const float std[3], const float *rgb, float *out)
{
    return be->iface->preprocess_fwd(be->context, n, hw, perm, scale, mean, std, rgb, out);
}
static inline fv_status fv_preprocess_bwd(fv_backend *be, int n, int hw, const int perm[3], float scale,
                                          const float std[3], const float *dout, float *drgb)
{
    return be->iface->preprocess_bwd(be->context, n, hw, perm, scale, std, dout, drgb);
}
static inline fv_status fv_adam(fv_backend *be, size_t count, float *p, const float *g, float *m, float *v, int t,
                                float lr, float b1, float b2, float eps)
{
    return be->iface->adam(be->context, count, p, g, m, v, t, lr, b1, b2, eps);
}
static inline fv_status fv_penalty_fwd(fv_backend *be, int n, int h, int w, const float *rgb, float tv, float l1,
                                       float l2, float blur, float *values)
{
    return be->iface->penalty_fwd(be->context, n, h, w, rgb, tv, l1, l2, blur, values);
}
static inline fv_status fv_penalty_bwd(fv_backend *be, int n, int h, int w, const float *rgb, float tv, float l1,
                                       float l2, float blur, float *drgb)
{
    return be->iface->penalty_bwd(be->context, n, h, w, rgb, tv, l1, l2, blur, drgb);
}
static inline fv_status fv_lowres_fwd(fv_backend *be, int nb, int c, int h, int w, const float *src, int n, int oh,
                                      int ow, float *dst)
{
    return be->iface->lowres_fwd(be->context, nb, c, h, w, src, n, oh, ow, dst);
}
static inline fv_status fv_lowres_bwd(fv_backend *be, int nb, int c, int h, int w, int n, int oh, int ow,
                                      const float *ddst, float *dsrc)
{
    return be->iface->lowres_bwd(be->context, nb, c, h, w, n, oh, ow, ddst, dsrc);
}
static inline fv_status fv_objective_fwd(fv_backend *be, const fv_obj_term *terms, int nterms, fv_tensor act,
                                         float *values)
{
    return be->iface->objective_fwd(be->context, terms, nterms, act, values);
}
static inline fv_status fv_objective_bwd(fv_backend *be, const fv_obj_term *terms, int nterms, fv_tensor act,
                                         fv_tensor dact)
{
    return be->iface->objective_bwd(be->context, terms, nterms, act, dact);
}
static inline size_t fv_diversity_workspace(fv_backend *be, int c, int count)
{
    return be->iface->diversity_workspace(be->context, c, count);
}
static inline fv_status fv_diversity_fwd(fv_backend *be, fv_tensor act, int b0, int count, float *value, float *work)
{
    return be->iface->diversity_fwd(be->context, act, b0, count, value, work);
}
static inline fv_status fv_diversity_bwd(fv_backend *be, fv_tensor act, int b0, int count, float weight, fv_tensor dact,
                                         float *work)
{
    return be->iface->diversity_bwd(be->context, act, b0, count, weight, dact, work);
}
static inline fv_status fv_alignment_fwd(fv_backend *be, fv_tensor act, int b0, int count, float decay, float *value)
{
    return be->iface->alignment_fwd(be->context, act, b0, count, decay, value);
}
static inline fv_status fv_alignment_bwd(fv_backend *be, fv_tensor act, int b0, int count, float decay, float weight,
                                         fv_tensor dact)
{
    return be->iface->alignment_bwd(be->context, act, b0, count, decay, weight, dact);
}

#endif
