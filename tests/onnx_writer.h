/* A small ONNX ModelProto writer for the tests (tests/test_onnx.c): builds the protobuf-c structs of our own
 * schema (models/onnx.proto) and packs them. Everything it allocates lives as long as the test process. */
#ifndef FV_TEST_ONNX_WRITER_H
#define FV_TEST_ONNX_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"

typedef struct ow_model {
    Onnx__ModelProto m;
    Onnx__GraphProto g;
} ow_model;

/* How an initializer's values are stored. */
typedef enum ow_enc { OW_FLOAT_DATA, OW_RAW, OW_FLOAT16, OW_BFLOAT16, OW_FLOAT16_INT32 } ow_enc;

/* A model with one input (1, c, h, w), float32; h or w 0 leaves that dimension symbolic. */
ow_model *ow_new(int opset, const char *input, int c, int h, int w);
/* inputs and outputs: comma-separated names ("x,w,b"; an empty item is an absent optional input). */
Onnx__NodeProto *ow_node(ow_model *m, const char *op, const char *name, const char *inputs, const char *outputs);
void ow_attr_i(Onnx__NodeProto *n, const char *name, int64_t v);
void ow_attr_f(Onnx__NodeProto *n, const char *name, float v);
void ow_attr_ints(Onnx__NodeProto *n, const char *name, int count, const int64_t *v);
void ow_attr_s(Onnx__NodeProto *n, const char *name, const char *v);
Onnx__TensorProto *ow_init(ow_model *m, const char *name, int ndim, const int64_t *dims, const float *data,
                           ow_enc enc);
Onnx__TensorProto *ow_init_i64(ow_model *m, const char *name, int n, const int64_t *v);
void ow_output(ow_model *m, const char *name);
uint8_t *ow_pack(const ow_model *m, size_t *len);
/* Packs and writes the model to path. */
void ow_write(const ow_model *m, const char *path);

#endif
