/* Each op's argument checks, written once (host/backend/checks.c) and called first by both twins, the CPU
 * one (host/cpu/X.c) and the CUDA one (cuda/X.cu, kernels/X.cu), so the two refuse the same arguments with
 * the same status and message. `op` starts the message: "relu forward" on the CPU, "relu forward (cuda)".
 * Shape faults are FV_ERR_SHAPE, missing pointers and out-of-range values FV_ERR_ARG, as the ops document.
 * Limits of one implementation (cuDNN's LRN window, cuBLAS's int sizes) stay in that twin. */
#ifndef FV_BACKEND_CHECKS_H
#define FV_BACKEND_CHECKS_H

#include "objective_ops.h"
#include "ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A non-empty, self-consistent view: data set, every extent >= 1, bstride >= c*h*w. */
int fv_view_ok(fv_tensor t);
int fv_same_shape(fv_tensor a, fv_tensor b);

/* conv2d: in = (n, cin, h, w), out = (n, cout, oh, ow) as the descriptor computes them (x, y forward;
 * dx, dy backward), weights present. fv_check_conv_desc alone serves the workspace queries. */
fv_status fv_check_conv_desc(const char *op, const fv_conv_desc *d);
fv_status fv_check_conv2d(const char *op, const fv_conv_desc *d, fv_tensor in, fv_tensor out, const float *wt);
fv_status fv_check_relu_fwd(const char *op, fv_tensor x, fv_tensor y);
fv_status fv_check_relu_bwd(const char *op, fv_tensor x, fv_tensor dy, fv_tensor dx);
fv_status fv_check_pool_fwd(const char *op, const fv_pool_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_check_pool_bwd(const char *op, const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                            fv_tensor dx);
fv_status fv_check_lrn_fwd(const char *op, const fv_lrn_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_check_lrn_bwd(const char *op, const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy,
                           fv_tensor dx);
fv_status fv_check_fc_fwd(const char *op, fv_tensor x, const float *wt, int nout, fv_tensor y);
fv_status fv_check_fc_bwd(const char *op, fv_tensor dy, const float *wt, fv_tensor dx);
fv_status fv_check_softmax_fwd(const char *op, fv_tensor x, fv_tensor y);
fv_status fv_check_softmax_bwd(const char *op, fv_tensor y, fv_tensor dy, fv_tensor dx);
fv_status fv_check_act_fwd(const char *op, const fv_act_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_check_act_bwd(const char *op, const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx);
/* binary: b broadcastable to a (ops.h), y a's shape and never b's view; da, db of a's and b's shapes where their
 * data is set. */
fv_status fv_check_binary_fwd(const char *op, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y);
fv_status fv_check_binary_bwd(const char *op, fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy, fv_tensor da,
                              fv_tensor db);
fv_status fv_check_affine_fwd(const char *op, fv_tensor x, const float *scale, fv_tensor y);
fv_status fv_check_affine_bwd(const char *op, fv_tensor dy, const float *scale, fv_tensor dx);
/* pad: y is x padded by the window's four pads (forward: x, y; backward: dx, dy). */
fv_status fv_check_pad(const char *op, const fv_window *pads, fv_tensor x, fv_tensor y);
/* copy: as many floats per image on both sides (forward: x, y; backward: dy, dx). */
fv_status fv_check_copy(const char *op, fv_tensor x, fv_tensor y);

/* The parameterisation ops. Pointers named a, b, c are the op's arrays in its parameter order. */
fv_status fv_check_fft_plan(const char *op, int n, int h, int w, const void *out);
fv_status fv_check_fft_call(const char *op, const void *plan, const void *a, const void *scale, const void *b);
fv_status fv_check_colour(const char *op, int n, int hw, const void *a, const void *b, const void *c);
fv_status fv_check_resample(const char *op, int n, int c, int h, int w, int oh, int ow, const void *a,
                            const void *b, const fv_affine *maps);
fv_status fv_check_tfchain(const char *op, int nimg, int c, const fv_tfchain *chains, const void *a, const void *b);
fv_status fv_check_preprocess_fwd(const char *op, int n, int hw, const int perm[3], const float *mean,
                                  const float *std, const float *rgb, const float *out);
fv_status fv_check_preprocess_bwd(const char *op, int n, int hw, const int perm[3], const float *std,
                                  const float *dout, const float *drgb);
fv_status fv_check_adam(const char *op, size_t count, const float *p, const float *g, const float *m,
                        const float *v, int t);
fv_status fv_check_penalty(const char *op, int n, int h, int w, const float *rgb, const void *out);
fv_status fv_check_lowres(const char *op, int nb, int c, int h, int w, int n, int oh, int ow, const void *a,
                          const void *b);

/* The objective-side ops (objective_ops.h). Every term is checked before any work starts. `out` is where the
 * op writes: the forward's host values, the backward's dact.data. */
fv_status fv_check_objective(const char *op, const fv_obj_term *terms, int nterms, fv_tensor act, const void *out);
/* A gradient view of act's shape (objective, diversity and alignment backward). */
fv_status fv_check_grad_like(const char *op, fv_tensor act, fv_tensor dact);
fv_status fv_check_diversity(const char *op, fv_tensor act, int b0, int count, const float *work, const void *out);
fv_status fv_check_alignment(const char *op, fv_tensor act, int b0, int count, float decay, const void *out);

#ifdef __cplusplus
}
#endif
#endif
