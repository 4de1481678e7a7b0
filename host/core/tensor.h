/* A 4-D float32 NCHW view into memory owned elsewhere (a plan's arena).
 * Element (b, c, y, x) lives at data[b*bstride + (c*h + y)*w + x]. bstride >= c*h*w lets a view be a
 * channel slice of a larger concat buffer (branch outputs land in place), so every op honours it. */
#ifndef FV_TENSOR_H
#define FV_TENSOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fv_tensor {
    float *data;
    int n, c, h, w;
    long bstride; /* elements between consecutive images; c*h*w when contiguous */
} fv_tensor;

static inline fv_tensor fv_tensor_make(float *data, int n, int c, int h, int w)
{
    fv_tensor t = {data, n, c, h, w, (long)c * h * w};
    return t;
}

/* Channels [c0, c0+nc) of t, as a view. */
static inline fv_tensor fv_tensor_slice(fv_tensor t, int c0, int nc)
{
    fv_tensor s = t;
    s.data = t.data + (long)c0 * t.h * t.w;
    s.c = nc;
    return s;
}

static inline float *fv_tensor_img(fv_tensor t, int b) { return t.data + (long)b * t.bstride; }
static inline long fv_tensor_chw(fv_tensor t) { return (long)t.c * t.h * t.w; }

#ifdef __cplusplus
}
#endif
#endif
