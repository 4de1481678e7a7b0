/* The parameterisation of one batch (RECIPE.md): what the optimiser changes (each image's 1/f-scaled
 * spectrum, or its pixels with --param pixel; plus, for an interpolation, low-resolution tensors shared
 * by all images), their Adam moments, and the picture they make (pre-colour image t, then rgb). It owns
 * these buffers and their sizes: fv_param_floats_per_image is the one size table that allocation and
 * the memory estimate of a batch both read. */
#ifndef FV_RENDER_PARAM_H
#define FV_RENDER_PARAM_H

#include <stdint.h>

#include "backend/backend.h"
#include "featvis/featvis.h"

#define FV_PARAM_MAX_LOWRES 8

/* One shared low-resolution tensor (Lucid's lowres_tensor): (nb, 3, side, side), resized to the batch. */
typedef struct fv_lowres {
    int nb, side;
    size_t off; /* offset in the lowres buffers */
} fv_lowres;

typedef struct fv_param {
    fv_backend *be;
    int B, S, wf;
    int pixel;                 /* 1: the parameters are the pre-colour pixels (no FFT) */
    size_t nparam;             /* parameter floats of the batch: spectra (B,3,S,wf,2) or pixels (B,3,S,S) */
    size_t nimg;               /* B * 3 * S * S */
    float *spec, *dspec, *m, *v; /* parameters, their gradient (of the objective), Adam moments */
    float *scale;              /* (S, wf) the 1/f spectrum scale */
    float *timg, *dtimg;       /* (B,3,S,S) pre-colour image and its gradient (FFT only) */
    float *rgb, *drgb;         /* (B,3,S,S) the image and its gradient */
    void *fft;                 /* the backend's FFT plan (FFT only) */
    int nlow;                  /* shared low-resolution tensors (0 unless an interpolation) */
    fv_lowres low[FV_PARAM_MAX_LOWRES];
    size_t nlowf;              /* their floats, all in one buffer */
    float *lw, *dlw, *lm, *lv; /* values, gradients, Adam moments */
} fv_param;

/* The size table: backend floats one image of side S needs for its parameterisation (parameters, their
 * gradient and two moments; t and dt when FFT; rgb and drgb). */
size_t fv_param_floats_per_image(int S, int pixel);

/* Buffers for B images of side S; the FFT plan and its scale unless pixel. */
fv_status fv_param_create(fv_param *p, fv_backend *be, int B, int S, int pixel);
/* A low-resolution tensor shared across the batch, (nb, 3, side, side); call before fv_param_alloc_lowres. */
fv_status fv_param_add_lowres(fv_param *p, int nb, int side);
fv_status fv_param_alloc_lowres(fv_param *p);
void fv_param_free(fv_param *p);

/* Starting values: every image's parameters ~ N(0, 0.01^2) from its own stream keys[b]; the lowres
 * tensors N(0, 0.01^2) from one stream (lowres_tensor's default sd). */
fv_status fv_param_init_random(fv_param *p, const uint64_t *keys);
fv_status fv_param_init_lowres_random(fv_param *p, uint64_t key);
/* Every image starts from `pic` (fv_param_picture_t, then for the FFT the backend's image_to_spectrum). */
fv_status fv_param_init_picture(fv_param *p, const fv_image *pic, int decorrelate);
/* The pre-colour image t (3 x size x size floats, host memory) whose colour + sigmoid give `pic`:
 * resized to size x size (bilinear), clamped to [1e-3, 1-1e-3], inverse sigmoid, inverse colour matrix. */
fv_status fv_param_picture_t(const fv_image *pic, int size, int decorrelate, float *t);

/* parameters -> t (+ the lowres tensors) -> rgb */
fv_status fv_param_forward(fv_param *p, int decorrelate);
/* drgb -> the parameters' gradients (dspec; dlw) */
fv_status fv_param_backward(fv_param *p, int decorrelate);
/* One Adam step (TensorFlow's form, ascending) on every parameter; t counts updates from 0. */
fv_status fv_param_update(fv_param *p, float lr, int t);

#endif
