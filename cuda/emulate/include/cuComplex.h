/* The emulated CUDA build's cuComplex.h (cuda/emulate/): single and double complex numbers as float2/double2,
 * the layout of NVIDIA's header (cuFFT's cufftComplex is cuComplex). Constructors and parts only. C and C++. */
#ifndef FV_EMU_CUCOMPLEX_H
#define FV_EMU_CUCOMPLEX_H

#include "vector_types.h"

typedef float2 cuFloatComplex;
typedef double2 cuDoubleComplex;
typedef cuFloatComplex cuComplex;

static inline cuFloatComplex make_cuFloatComplex(float r, float i) { return make_float2(r, i); }
static inline cuDoubleComplex make_cuDoubleComplex(double r, double i) { return make_double2(r, i); }
static inline cuComplex make_cuComplex(float r, float i) { return make_float2(r, i); }
static inline float cuCrealf(cuFloatComplex z) { return z.x; }
static inline float cuCimagf(cuFloatComplex z) { return z.y; }
static inline double cuCreal(cuDoubleComplex z) { return z.x; }
static inline double cuCimag(cuDoubleComplex z) { return z.y; }

#endif
