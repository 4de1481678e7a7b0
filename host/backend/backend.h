/* The op-level backend interface: a table of function pointers filled by the CPU backend
 * (host/cpu/backend_cpu.c) and, later, the CUDA backend. The network walker and render loop are
 * written once, above this table. Pointers passed to ops are backend memory (host memory for CPU). */
#ifndef FV_BACKEND_H
#define FV_BACKEND_H

#include "objective_ops.h"
#include "ops.h"

typedef struct fv_backend_i {
    const char *name;
    int host_memory; /* 1 if backend pointers are host pointers (weights can be used in place) */

    fv_status (*alloc)(void **p, size_t bytes); /* zero-filled */
    void (*free)(void *p);
    fv_status (*upload)(void *dst, const void *src, size_t bytes);
    fv_status (*download)(void *dst, const void *src, size_t bytes);
    fv_status (*zero)(void *dst, size_t bytes);
    fv_status (*mem_info)(size_t *free_bytes, size_t *total_bytes);

    size_t (*conv2d_workspace)(const fv_conv_desc *d, int n, int h, int w);
    fv_status (*conv2d_fwd)(const fv_conv_desc *d, fv_tensor x, const float *wt, const float *bias, fv_tensor y,
                            float *work);
    fv_status (*conv2d_bwd_data)(const fv_conv_desc *d, fv_tensor dy, const float *wt, fv_tensor dx, float *work);
    fv_status (*relu_fwd)(fv_tensor x, fv_tensor y);
    fv_status (*relu_bwd)(fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect);
    fv_status (*pool_fwd)(const fv_pool_desc *d, fv_tensor x, fv_tensor y);
    fv_status (*pool_bwd)(const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx);
    fv_status (*lrn_fwd)(const fv_lrn_desc *d, fv_tensor x, fv_tensor y);
    fv_status (*lrn_bwd)(const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx);
    fv_status (*fc_fwd)(fv_tensor x, const float *wt, const float *bias, int nout, fv_tensor y);
    fv_status (*fc_bwd)(fv_tensor dy, const float *wt, fv_tensor dx);
    fv_status (*softmax_fwd)(fv_tensor x, fv_tensor y);
    fv_status (*softmax_bwd)(fv_tensor y, fv_tensor dy, fv_tensor dx);

    fv_status (*fft_plan_create)(int n, int h, int w, void **plan);
    void (*fft_plan_free)(void *plan);
    fv_status (*spectrum_to_image)(void *plan, const float *spec, const float *scale, float *img);
    fv_status (*spectrum_to_image_bwd)(void *plan, const float *dimg, const float *scale, float *dspec);
    fv_status (*image_to_spectrum)(void *plan, const float *img, const float *scale, float *spec);
    fv_status (*colour_fwd)(int n, int hw, int decorrelate, const float *t, float *rgb);
    fv_status (*colour_bwd)(int n, int hw, int decorrelate, const float *rgb, const float *drgb, float *dt);
    fv_status (*resample_fwd)(int n, int c, int h, int w, const float *src, const fv_affine *maps, float pad, int oh,
                              int ow, float *dst);
    fv_status (*resample_bwd)(int n, int c, int h, int w, const fv_affine *maps, int oh, int ow, const float *ddst,
                              float *dsrc);
    fv_status (*tfchain_fwd)(int nimg, int c, const fv_tfchain *chains, const float *src, float *dst);
    fv_status (*tfchain_bwd)(int nimg, int c, const fv_tfchain *chains, const float *ddst, float *dsrc);
    fv_status (*preprocess_fwd)(int n, int hw, const int perm[3], float scale, const float mean[3], const float *rgb,
                                float *out);
    fv_status (*preprocess_bwd)(int n, int hw, const int perm[3], float scale, const float *dout, float *drgb);
    fv_status (*adam)(size_t count, float *p, const float *g, float *m, float *v, int t, float lr, float b1, float b2,
                      float eps);

    fv_status (*objective_fwd)(const fv_obj_term *terms, int nterms, fv_tensor act, float *values);
    fv_status (*objective_bwd)(const fv_obj_term *terms, int nterms, fv_tensor act, fv_tensor dact);
    fv_status (*diversity_fwd)(fv_tensor act, int b0, int count, float *value, float *work);
    fv_status (*diversity_bwd)(fv_tensor act, int b0, int count, float weight, fv_tensor dact, float *work);
    size_t (*diversity_workspace)(int c, int count);

    /* Image penalties (host/ops.h, fv_penalty_fwd_cpu): values is a host array of n floats; the
     * backward accumulates into drgb. */
    fv_status (*penalty_fwd)(int n, int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                             float *values);
    fv_status (*penalty_bwd)(int n, int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                             float *drgb);

    /* Interpolation (host/render_interp.c): the alignment term (objective_ops.h, value a host float) and
     * the lowres_tensor resize (ops.h: forward accumulates, backward overwrites). */
    fv_status (*alignment_fwd)(fv_tensor act, int b0, int count, float decay, float *value);
    fv_status (*alignment_bwd)(fv_tensor act, int b0, int count, float decay, float weight, fv_tensor dact);
    fv_status (*lowres_fwd)(int nb, int c, int h, int w, const float *src, int n, int oh, int ow, float *dst);
    fv_status (*lowres_bwd)(int nb, int c, int h, int w, int n, int oh, int ow, const float *ddst, float *dsrc);
} fv_backend_i;


#endif
