/* The stochastic transform chain of the render loop (RECIPE.md "Transforms"), composed into one
 * affine resampling per image and step: pad (constant), jitter, scale, rotate, jitter, crop back to the
 * original size. The chain's random draws come from the image's RNG key and the step number. */
#ifndef FV_TRANSFORM_H
#define FV_TRANSFORM_H

#include <stdint.h>

#include "featvis/featvis.h"
#include "ops.h"

typedef struct fv_transform_params {
    float pad_value;   /* value read outside the image (Lucid pads with constant 0.5) */
    int pad;           /* padding in pixels (documents the preset; constant padding extends forever) */
    int jitter1;       /* first jitter: integer offset in [0, jitter1] per axis, centred */
    int nscales;
    float scales[16];  /* scale factors drawn uniformly */
    int nangles;
    float angles[40];  /* rotation angles in degrees drawn uniformly */
    int jitter2;       /* second jitter */
} fv_transform_params;

void fv_transform_preset(fv_preset p, fv_transform_params *out);
/* Affine map (output pixel -> source pixel) for an h x w image, image key and step. For output point
 * q = (x, y), c = ((w-1)/2, (h-1)/2): source = c + Rot(-angle) * ((q - c + t2) / scale) + t1, with t1, t2
 * the two jitters (offset - jitter/2). */
fv_affine fv_transform_draw(const fv_transform_params *tp, int h, int w, uint64_t key, int step);

#endif
