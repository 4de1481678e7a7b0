/* Test utility: builds TensorFlow GraphDefs in the inception5h style with protobuf-c and writes them to
 * a file, so tests can exercise tf_loader.c (and the InceptionV1 builder) without the real
 * tensorflow_inception_graph.pb. Not part of the library. */
#ifndef FV_TF_WRITER_H
#define FV_TF_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct fv_tfw fv_tfw;

/* An empty graph; NULL if out of memory. Nodes are kept in the order they are added. */
fv_tfw *fv_tfw_new(void);
void fv_tfw_free(fv_tfw *w);

/* Store later float Consts as repeated float_val (1) instead of raw tensor_content bytes (0, the default,
 * as in inception5h). */
void fv_tfw_use_float_val(fv_tfw *w, int on);

/* All adders return 0 on success, -1 on a bad argument or out of memory. Input names are node names
 * ("conv2d0", or "node:0"). */

/* Placeholder `name`, dtype DT_FLOAT. */
int fv_tfw_placeholder(fv_tfw *w, const char *name);

/* DT_FLOAT Const `name` of shape[0..ndim) (ndim <= 4) holding prod(shape) values from `data`. */
int fv_tfw_const(fv_tfw *w, const char *name, const int64_t *shape, int ndim, const float *data);

/* DT_FLOAT Const holding one float_val that TensorFlow broadcasts to the whole shape. */
int fv_tfw_const_fill(fv_tfw *w, const char *name, const int64_t *shape, int ndim, float value);

/* DT_FLOAT Const with arbitrary tensor_content bytes (for testing size checks). */
int fv_tfw_const_raw(fv_tfw *w, const char *name, const int64_t *shape, int ndim, const void *bytes,
                     size_t nbytes);

/* A convolution exactly as inception5h spells it: Consts "<prefix>_w" (kh, kw, cin, cout: HWIO) and
 * "<prefix>_b" (cout), Conv2D "<prefix>_pre_relu/conv" (strides [1,stride,stride,1], padding "SAME" or
 * "VALID"), BiasAdd "<prefix>_pre_relu", Relu "<prefix>". */
int fv_tfw_conv(fv_tfw *w, const char *prefix, const char *input, int kh, int kw, int cin, int cout, int stride,
                const char *padding, const float *w_hwio, const float *b);

/* op "MaxPool" or "AvgPool" `name`: ksize [1,k,k,1], strides [1,stride,stride,1], padding. */
int fv_tfw_pool(fv_tfw *w, const char *name, const char *input, const char *op, int k, int stride,
                const char *padding);

/* LRN `name` with attrs depth_radius, bias, alpha, beta. */
int fv_tfw_lrn(fv_tfw *w, const char *name, const char *input, int depth_radius, float bias, float alpha,
               float beta);

/* Old-style "Concat" `name` as in inception5h: Const "<name>/concat_dim" (DT_INT32 3, channels of NHWC)
 * as input 0, then the n inputs. */
int fv_tfw_concat(fv_tfw *w, const char *name, const char *const *inputs, int n);

/* A classifier as inception5h spells softmax2: Consts "<prefix>_w" (nin, nout) and "<prefix>_b" (nout),
 * MatMul "<prefix>_pre_activation/matmul", BiasAdd "<prefix>_pre_activation", Softmax "<prefix>". */
int fv_tfw_matmul_fc(fv_tfw *w, const char *prefix, const char *input, int nin, int nout, const float *w_in_out,
                     const float *b);

/* Any op without attrs (Identity, Reshape, or an LRN relying on attr defaults). */
int fv_tfw_op(fv_tfw *w, const char *name, const char *op, const char *const *inputs, int n);

/* Drop node `name` (to build graphs with missing tensors); -1 if there is none. */
int fv_tfw_remove(fv_tfw *w, const char *name);

/* Serialise the graph to `path`; 0 on success, -1 on an I/O error. */
int fv_tfw_write(const fv_tfw *w, const char *path);

#endif
