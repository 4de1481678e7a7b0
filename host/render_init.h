/* Starting a render from a picture (--init, fv_render_config.init): the parameters whose forward
 * (FFT or pixel, colour, sigmoid) reproduces the picture. Internal to the library; exposed for tests.
 * Implemented in render.c. */
#ifndef FV_RENDER_INIT_H
#define FV_RENDER_INIT_H

#include <stddef.h>

#include "featvis/featvis.h"

/* Parameter floats of one image: 3*size*size (pixel) or the spectrum's 3*size*(size/2+1)*2 (FFT). */
size_t fv_render_param_floats(int size, int param_pixel);

/* Parameters of one image (fv_render_param_floats floats, host memory) from `pic`: resized to size x
 * size (bilinear), clamped to [1e-3, 1-1e-3], inverse sigmoid, inverse colour matrix (decorrelate),
 * then for the FFT parameterisation spectrum = r2c(t) * 4 / scale, which the forward inverts exactly
 * (r2c of a real image is Hermitian). */
fv_status fv_render_init_params(const fv_image *pic, int size, int decorrelate, int param_pixel, float *out);

#endif
