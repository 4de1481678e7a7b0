/* The op contract: descriptors, what each op computes, and its CPU twin (the reference). Every op X exists as
 *   fv_X(be, ...)        the call through a backend instance (backend/backend.h), what the net and render use;
 *   fv_check_X(op, ...)  its argument checks, written once (backend/checks.c), called first by both twins;
 *   fv_X_cpu(...)        the CPU twin, in host/cpu/<file>.c (declared here and in objective_ops.h);
 *   fv_X_cuda(ctx, ...)  the CUDA twin, the same parameters after its context (cuda/ops_cuda.h).
 * Where the twins live (<file> is the same name on both sides):
 *   op                                   CPU (host/cpu/)  CUDA
 *   conv2d_fwd, conv2d_bwd_data          conv.c           cuda/conv.cu (cuDNN)
 *   relu_fwd, relu_bwd                   relu.c           kernels/relu.cu
 *   pool_fwd, pool_bwd                   pool.c           kernels/pool.cu
 *   lrn_fwd, lrn_bwd                     lrn.c            cuda/lrn.cu (cuDNN)
 *   fc_fwd, fc_bwd                       fc.c             cuda/fc.cu (cuBLAS)
 *   softmax_fwd, softmax_bwd             softmax.c        cuda/softmax.cu (cuDNN)
 *   act_fwd, act_bwd                     act.c            kernels/act.cu
 *   binary_fwd, binary_bwd               binary.c         kernels/binary.cu
 *   affine_fwd, affine_bwd               affine.c         kernels/affine.cu
 *   pad_fwd, pad_bwd                     pad.c            kernels/pad.cu
 *   copy_fwd, copy_bwd                   copy.c           kernels/copy.cu
 *   fft_plan_*, spectrum_*, image_to_spectrum  fft.c      cuda/fft.cu (cuFFT)
 *   colour_fwd, colour_bwd               colour.c         kernels/colour.cu
 *   resample_fwd, resample_bwd           resample.c       kernels/resample.cu
 *   tfchain_fwd, tfchain_bwd             tfchain.c        kernels/tfchain.cu
 *   preprocess_fwd, preprocess_bwd       preprocess.c     kernels/preprocess.cu
 *   adam                                 adam.c           kernels/adam.cu
 *   penalty_fwd, penalty_bwd             penalty.c        kernels/penalty.cu
 *   lowres_fwd, lowres_bwd               lowres.c         kernels/lowres.cu
 *   objective_fwd, objective_bwd         objective.c      kernels/objective.cu
 *   diversity_fwd, diversity_bwd         diversity.c      kernels/diversity.cu (cuBLAS Grams)
 *   alignment_fwd, alignment_bwd         alignment.c      kernels/alignment.cu
 * The constants both share (Lucid's colour matrix, the spectrum scale) are in backend/constants.c. Adding an
 * op: its contract and CPU twin here, its check in checks.c, the CPU file, the CUDA file and its line in
 * cuda/ops_cuda.h, one table entry and one fv_X call in backend.h, one adapter in each backend_*.c table.
 * Conventions, for every op:
 *   - tensors are fv_tensor views (NCHW float32, honouring bstride);
 *   - network backward ops ACCUMULATE into dx (dx += ...), so fan-out and in-place concat need no copies;
 *   - parameterisation backward ops (spectrum, colour, resample, preprocess) OVERWRITE their output;
 *   - gradients are of the objective being maximised (ascent), not of a loss. */
#ifndef FV_OPS_H
#define FV_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------- descriptors ---------- */

/* A sliding window with explicit, possibly asymmetric padding: TensorFlow SAME puts the odd pixel at
 * the bottom/right; Caffe's rounded-up pooling is expressed as extra bottom/right padding. */
typedef struct fv_window {
    int kh, kw, sh, sw;
    int pad_t, pad_l, pad_b, pad_r;
} fv_window;

/* Output extent along one axis: (in + lo + hi - k) / s + 1. */
static inline int fv_window_out(int in, int k, int s, int lo, int hi) { return (in + lo + hi - k) / s + 1; }

/* groups: cin and cout are multiples of it; the weights are (cout, cin/groups, kh, kw) and output channel o
 * reads input channels [g*cin/groups, (g+1)*cin/groups) of its group g = o / (cout/groups) (groups = cin =
 * cout: depthwise). dil_h, dil_w: tap (r, q) reads input row y*sh - pad_t + r*dil_h (and columns alike), the
 * effective window is (kh-1)*dil_h+1 high. 0 in any of the three means 1 (older callers leave them unset). */
typedef struct fv_conv_desc {
    fv_window win;
    int cin, cout;
    int groups, dil_h, dil_w;
} fv_conv_desc;

/* The descriptor's groups and dilations with 0 read as 1, and the dilated kernel's extent (what the window's
 * output size, fv_window_out, takes as k). */
static inline int fv_conv_groups(const fv_conv_desc *d) { return d->groups > 0 ? d->groups : 1; }
static inline int fv_conv_dh(const fv_conv_desc *d) { return d->dil_h > 0 ? d->dil_h : 1; }
static inline int fv_conv_dw(const fv_conv_desc *d) { return d->dil_w > 0 ? d->dil_w : 1; }
static inline int fv_conv_ext_h(const fv_conv_desc *d) { return (d->win.kh - 1) * fv_conv_dh(d) + 1; }
static inline int fv_conv_ext_w(const fv_conv_desc *d) { return (d->win.kw - 1) * fv_conv_dw(d) + 1; }

typedef enum fv_pool_kind { FV_POOL_MAX = 0, FV_POOL_AVG = 1 } fv_pool_kind;

/* Padded positions never win a max. An average divides by the number of in-image positions, or with
 * count_pad != 0 (ONNX count_include_pad=1) by the number of positions inside the input plus its explicit
 * padding (as onnxruntime counts it: what lies beyond that, from ceil-mode rounding, is not counted). The
 * window's pad_b and pad_r hold both; over_b and over_r say how much of them ceil-mode rounding added (0
 * otherwise), so the counted region is [-pad_t, h + pad_b - over_b) x [-pad_l, w + pad_r - over_r). */
typedef struct fv_pool_desc {
    fv_window win;
    fv_pool_kind kind;
    int count_pad;
    int over_b, over_r;
} fv_pool_desc;

/* Pointwise activations (ONNX): LEAKY y = x >= 0 ? x : a*x; CLIP y = min(max(x, a), b) (ReLU6: a=0, b=6);
 * SIGMOID y = 1/(1+e^-x); HARDSIGMOID y = max(0, min(1, a*x + b)) (ONNX defaults a=0.2, b=0.5);
 * HARDSWISH y = x * max(0, min(1, x/6 + 1/2)). At a kink the derivative is the one-sided one of the branch
 * the forward's comparison picks (CLIP: 1 for a <= x <= b, else 0; the others alike). */
typedef enum fv_act_kind {
    FV_ACT_LEAKY = 1,
    FV_ACT_CLIP,
    FV_ACT_SIGMOID,
    FV_ACT_HARDSIGMOID,
    FV_ACT_HARDSWISH,
} fv_act_kind;

typedef struct fv_act_desc {
    fv_act_kind kind;
    float a, b;
} fv_act_desc;

/* Elementwise binary ops with broadcasting: a is (n, c, h, w); b is (n, c or 1, h or 1, w or 1) with h and w
 * both a's or both 1: the same shape, (n, c, 1, 1), (n, 1, 1, 1) or (n, 1, h, w) (b broadcast over what it
 * lacks: residual additions, squeeze-excitation scales, spatial attention maps). */
typedef enum fv_binary_kind { FV_BINARY_ADD = 1, FV_BINARY_MUL } fv_binary_kind;

/* Across-channel LRN: y_c = x_c * (k + alpha * sum_{c' in window(c)} x_c'^2) ^ -beta, window of `size`
 * channels centred on c (size odd). Caffe's alpha is divided by size before it gets here; TensorFlow's
 * depth_radius r gives size 2r+1 and its alpha is used as is. */
typedef struct fv_lrn_desc {
    int size;
    float alpha, beta, k;
} fv_lrn_desc;

/* ---------- network ops (host/cpu/) ---------- */

/* Floats of scratch one conv call on n images of h x w needs (CPU: im2col of one image; 0 for
 * 1x1/stride-1/no-pad convs). */
size_t fv_conv2d_workspace_cpu(const fv_conv_desc *d, int n, int h, int w);
/* y = conv(x, wt) + bias. wt: (cout, cin, kh, kw) OIHW; bias: (cout) or NULL. */
fv_status fv_conv2d_fwd_cpu(const fv_conv_desc *d, fv_tensor x, const float *wt, const float *bias,
                            fv_tensor y, float *work);
/* dx += conv_transpose(dy, wt). */
fv_status fv_conv2d_bwd_data_cpu(const fv_conv_desc *d, fv_tensor dy, const float *wt, fv_tensor dx,
                                 float *work);

/* y = max(x, 0). x and y may be the same view. */
fv_status fv_relu_fwd_cpu(fv_tensor x, fv_tensor y);
/* dx += relu'(x) * dy. With redirect != 0 (Lucid's redirected ReLU, first steps of a render): for each
 * image b whose ordinary gradient (dy where x >= 0) is entirely zero, pass dy through instead, except
 * where x < 0 and dy < 0 (the ascent would push x further down). x is the ReLU input. */
fv_status fv_relu_bwd_cpu(fv_tensor x, fv_tensor dy, fv_tensor dx, int redirect);

fv_status fv_pool_fwd_cpu(const fv_pool_desc *d, fv_tensor x, fv_tensor y);
/* dx += pool'(x) dy; max routes to the first maximum of each window (recomputed from x). */
fv_status fv_pool_bwd_cpu(const fv_pool_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx);

fv_status fv_lrn_fwd_cpu(const fv_lrn_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_lrn_bwd_cpu(const fv_lrn_desc *d, fv_tensor x, fv_tensor y, fv_tensor dy, fv_tensor dx);

/* Fully connected: x viewed as (n, c*h*w) (must be contiguous per image), y (n, nout, 1, 1).
 * wt: (nout, nin) row-major; bias (nout) or NULL. */
fv_status fv_fc_fwd_cpu(fv_tensor x, const float *wt, const float *bias, int nout, fv_tensor y);
fv_status fv_fc_bwd_cpu(fv_tensor dy, const float *wt, fv_tensor dx);

/* Softmax over channels (per image and position). */
fv_status fv_softmax_fwd_cpu(fv_tensor x, fv_tensor y);
fv_status fv_softmax_bwd_cpu(fv_tensor y, fv_tensor dy, fv_tensor dx);

/* y = act(x) (fv_act_desc); x and y may be the same view. dx += act'(x) * dy. */
fv_status fv_act_fwd_cpu(const fv_act_desc *d, fv_tensor x, fv_tensor y);
fv_status fv_act_bwd_cpu(const fv_act_desc *d, fv_tensor x, fv_tensor dy, fv_tensor dx);

/* y = a + b or a * b (fv_binary_kind; b may be broadcast, see there). y may be a's view, never b's.
 * Backward: da += d/da, db += the sum over what b was broadcast over; either of da, db may have data NULL
 * (that input needs no gradient: a constant or the network input). */
fv_status fv_binary_fwd_cpu(fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y);
fv_status fv_binary_bwd_cpu(fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy, fv_tensor da, fv_tensor db);

/* Per-channel affine y = x * scale[c] + shift[c] (an unfolded BatchNormalization, or Mul/Add/Sub/Div by a
 * constant); shift may be NULL. dx += dy * scale[c]. */
fv_status fv_affine_fwd_cpu(fv_tensor x, const float *scale, const float *shift, fv_tensor y);
fv_status fv_affine_bwd_cpu(fv_tensor dy, const float *scale, fv_tensor dx);

/* Constant padding (ONNX Pad, mode constant): y (n, c, h + pad_t + pad_b, w + pad_l + pad_r) holds x at
 * (pad_t, pad_l) and `value` elsewhere; only the window's pad fields are read (>= 0). dx += the crop of dy. */
fv_status fv_pad_fwd_cpu(const fv_window *pads, float value, fv_tensor x, fv_tensor y);
fv_status fv_pad_bwd_cpu(const fv_window *pads, fv_tensor dy, fv_tensor dx);

/* Copy with a reshape: y has x's floats per image in x's memory order (Flatten and Reshape to (n, k), k =
 * c*h*w; Identity; Dropout at inference; a tensor written into a concatenation's slice). dx += dy, alike. */
fv_status fv_copy_fwd_cpu(fv_tensor x, fv_tensor y);
fv_status fv_copy_bwd_cpu(fv_tensor dy, fv_tensor dx);

/* ---------- parameterisation ops (host/cpu/) ---------- */

/* FFT image parameterisation. A spectrum holds n planes (n = images * 3) of h x wf complex numbers,
 * wf = w/2 + 1, stored interleaved (re, im) as floats: (n, h, wf, 2).
 * Forward: img = Re( sum_{ky,kx} c_kx * scale[ky,kx] * spec[ky,kx] * e^{+2 pi i (ky y/h + kx x/w)} )
 *                / (h * w) / 4,
 * with c_kx = 1 for kx = 0 and (w even) kx = w/2, else 2: an inverse real FFT that is defined for every
 * spectrum, Hermitian or not, so that its adjoint is exact. */
typedef struct fv_fft_plan_cpu fv_fft_plan_cpu;
fv_status fv_fft_plan_create_cpu(int n, int h, int w, fv_fft_plan_cpu **out);
void fv_fft_plan_free_cpu(fv_fft_plan_cpu *p);
/* scale[ky,kx] = sqrt(w*h) / max(freq, 1/max(w,h))^decay_power, (h, wf). Same on every backend. */
void fv_spectrum_scale(int h, int w, float decay_power, float *scale);
fv_status fv_spectrum_to_image_cpu(fv_fft_plan_cpu *p, const float *spec, const float *scale, float *img);
/* The forward's inverse for real images (starting from a picture): spec = r2c(img) * 4 / scale. */
fv_status fv_image_to_spectrum_cpu(fv_fft_plan_cpu *p, const float *img, const float *scale, float *spec);
/* dspec = adjoint of the forward applied to dimg (overwrites dspec). */
fv_status fv_spectrum_to_image_bwd_cpu(fv_fft_plan_cpu *p, const float *dimg, const float *scale,
                                       float *dspec);

/* Colour decorrelation (Lucid's matrix, normalised) then sigmoid, per pixel:
 * rgb[c] = sigmoid(sum_k Mn[c][k] t[k]) (decorrelate != 0) or sigmoid(t[c]). t, rgb: (n, 3, hw). */
extern const float fv_colour_matrix[3][3];
fv_status fv_colour_fwd_cpu(int n, int hw, int decorrelate, const float *t, float *rgb);
/* dt from rgb (the forward's output) and drgb; overwrites dt. */
fv_status fv_colour_bwd_cpu(int n, int hw, int decorrelate, const float *rgb, const float *drgb, float *dt);

/* Affine bilinear resampling, one map per image. For output pixel (y, x), the source point is
 * sx = a[0]*x + a[1]*y + a[2], sy = a[3]*x + a[4]*y + a[5] (pixel centres at integers). Each of the
 * four bilinear taps outside the source image reads `pad` (constant padding). */
typedef struct fv_affine {
    float a[6];
} fv_affine;
/* src (n, c, h, w) -> dst (n, c, oh, ow). */
fv_status fv_resample_fwd_cpu(int n, int c, int h, int w, const float *src, const fv_affine *maps, float pad,
                              int oh, int ow, float *dst);
/* dsrc = exact transpose of the forward (w.r.t. src) applied to ddst; overwrites dsrc. */
fv_status fv_resample_bwd_cpu(int n, int c, int h, int w, const fv_affine *maps, int oh, int ow,
                              const float *ddst, float *dsrc);

/* Lucid's standard_transforms for one image (transform.py), with their random draws fixed: the S x S
 * image padded by `pad` pixels of pad_value; a crop of c1 x c1 at (ox1, oy1) (jitter); resized to m x m by
 * tf.image.resize_bilinear's legacy sampling (align_corners=False, no half-pixel centres: output i reads
 * i * c1/m, taps floor and min(ceil, c1-1)); rotated by tf.contrib.image.rotate (nearest neighbour:
 * output (x, y) reads input (round(cosa x - sina y + xoff), round(sina x + cosa y + yoff)), `fill` where
 * that is outside the m x m canvas); and a crop of n x n at (ox2, oy2). Unlike the article's chain
 * (fv_affine), the canvas is not cropped back: the network sees n x n, n = m - jitter2 > S. The rotation's
 * coefficients are float32, computed as TensorFlow does (fv_transform_lucid_draw). */
typedef struct fv_tfchain {
    int size, pad;        /* S, padding each side */
    int ox1, oy1, c1;     /* first crop: offset in the padded canvas, side */
    int m;                /* side after the resize = the rotation's canvas */
    float cosa, sina, xoff, yoff;
    int ox2, oy2, n;      /* second crop: offset in the rotated canvas, side (the output) */
    float pad_value, fill;
} fv_tfchain;
/* src (nimg, c, S, S) -> dst (nimg, c, n, n), one chain per image; all chains share size, m and n. */
fv_status fv_tfchain_fwd_cpu(int nimg, int c, const fv_tfchain *chains, const float *src, float *dst);
/* dsrc = exact transpose of the forward (w.r.t. src) applied to ddst; overwrites dsrc. TensorFlow 1.x's
 * own gradient of the rotation applies the inverse rotation to the gradient instead (an approximation). */
fv_status fv_tfchain_bwd_cpu(int nimg, int c, const fv_tfchain *chains, const float *ddst, float *dsrc);

/* Network input from RGB in [0,1]: out[b][c] = (rgb[b][perm[c]] * scale - mean[c]) / std[c]. (n, 3, hw).
 * std[c] finite and > 0; std 1 gives exactly rgb * scale - mean. */
fv_status fv_preprocess_fwd_cpu(int n, int hw, const int perm[3], float scale, const float mean[3],
                                const float std[3], const float *rgb, float *out);
/* drgb[b][perm[c]] = dout[b][c] * scale / std[c]; overwrites drgb. */
fv_status fv_preprocess_bwd_cpu(int n, int hw, const int perm[3], float scale, const float std[3],
                                const float *dout, float *drgb);

/* Adam (TensorFlow's form) ascending the objective: g is d(objective)/d(p).
 * lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p += lr_t * m / (sqrt(v) + eps). t counts from 1. */
fv_status fv_adam_cpu(size_t count, float *p, const float *g, float *m, float *v, int t, float lr, float b1,
                      float b2, float eps);

/* Image penalties (the article's "spectrum of regularization", Lucid's objectives), per image b of
 * rgb (n, 3, h, w), values in [0,1]:
 *   values[b] = tv * TV + l1 * L1 + l2 * L2 + blur * BLUR, with
 *   TV   = sum_c,y,x |x[y][x+1] - x[y][x]| + |x[y+1][x] - x[y][x]|  (tf.image.total_variation)
 *   L1   = sum |x - 0.5|,  L2 = sqrt(1e-6 + sum (x - 0.5)^2)          (Lucid's L1/L2, constant 0.5)
 *   BLUR = 0.5 * sum (x - stopgrad(blur(x)))^2                         (blur_input_each_step)
 * where blur is Lucid's _tf_blur: per channel, 3x3 weights 1 at the centre and 0.5 around, zero
 * padding, divided by the sum of the weights inside the image. values: host array of n floats.
 * These are penalties (positive); the render loop subtracts them from the objective. */
fv_status fv_penalty_fwd_cpu(int n, int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                             float *values);
/* drgb += d(values[b]) / d(rgb) (ACCUMULATES, unlike the other parameterisation ops). |.| has
 * gradient sign(.) with sign(0) = 0 (ties pull neither way); blur(x) is held constant. The values are
 * linear in the weights, so negated weights give the gradient of the objective's -penalty. */
fv_status fv_penalty_bwd_cpu(int n, int h, int w, const float *rgb, float tv, float l1, float l2, float blur,
                             float *drgb);

/* Lucid's lowres_tensor resize (resize_bilinear_nd): a low-resolution tensor src (nb, c, h, w) resized to
 * (n, c, oh, ow) along the batch, height and width axes, each by tf.image.resize_bilinear's legacy
 * sampling (align_corners=False, no half-pixel centres): output index j reads source point j * in/out
 * (float), taps floor(.) and min(floor(.) + 1, in - 1). The axes are separable, so this is the product
 * of the three 1-D interpolations. The forward ACCUMULATES (dst += R src: the lowres terms are summed
 * onto the per-image FFT image); the backward OVERWRITES dsrc = R^T ddst (the exact adjoint). */
fv_status fv_lowres_fwd_cpu(int nb, int c, int h, int w, const float *src, int n, int oh, int ow, float *dst);
fv_status fv_lowres_bwd_cpu(int nb, int c, int h, int w, int n, int oh, int ow, const float *ddst, float *dsrc);

#ifdef __cplusplus
}
#endif
#endif
