/* Starting a render from a picture (--init, fv_render_config.init): the parameters whose forward
 * (FFT or pixel, colour, sigmoid) reproduces the picture. Internal to the library; exposed for tests.
 * Implemented in render.c. */
#ifndef FV_RENDER_INIT_H
#define FV_RENDER_INIT_H

#include <stddef.h>

#include "featvis/featvis.h"

/* The pre-colour image t (3 x size x size floats, host memory) whose colour + sigmoid give `pic`: resized
 * to size x size (bilinear), clamped to [1e-3, 1-1e-3], inverse sigmoid, inverse colour matrix
 * (decorrelate). The FFT parameterisation then takes the backend's image_to_spectrum of t. */
fv_status fv_render_init_image(const fv_image *pic, int size, int decorrelate, float *t);

#endif
