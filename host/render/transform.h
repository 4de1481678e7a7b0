/* The stochastic transform chain of the render loop (RECIPE.md "Transforms"), composed into one
 * affine resampling per image and step: pad (constant), jitter, scale, rotate, jitter, crop back to the
 * original size. The chain's random draws come from the image's RNG key and the step number. */
#ifndef FV_TRANSFORM_H
#define FV_TRANSFORM_H

#include <stdint.h>

#include "featvis/featvis.h"
#include "backend/ops.h"

typedef struct fv_transform_params {
    float pad_value;   /* value read outside the image (Lucid pads with constant 0.5) */
    int pad;           /* padding in pixels (documents the preset; constant padding extends forever) */
    int jitter1;       /* first jitter: integer offset in [0, jitter1] per axis, centred */
    int nscales;
    float scales[16];  /* scale factors drawn uniformly */
    int nangles;
    float angles[40];  /* rotation angles in degrees drawn uniformly */
    int jitter2;       /* second jitter */
    int grow;          /* 1: Lucid's chain (fv_tfchain): the canvas grows and is never cropped back */
    float fill;        /* grow: value where the rotation reads outside its canvas (Lucid: 0) */
} fv_transform_params;

void fv_transform_preset(fv_preset p, fv_transform_params *out);
/* The presets by name ("article", "lucid", "none"), as job files, the command line and every output line
 * write them; parse returns 0 for any other name. */
const char *fv_preset_name(fv_preset p);
int fv_preset_parse(const char *name, fv_preset *p);
/* Affine map (output pixel -> source pixel) for an h x w image, image key and step. For output point
 * q = (x, y), c = ((w-1)/2, (h-1)/2): source = c + Rot(-angle) * ((q - c + t2) / scale) + t1, with t1, t2
 * the two jitters (offset - jitter/2). */
fv_affine fv_transform_draw(const fv_transform_params *tp, int h, int w, uint64_t key, int step);

/* Lucid's chain (tp->grow) for an image of side `size` at `step`: the scale is drawn from scale_key, so
 * every image drawn with the same scale_key at a step shares the canvas (a batch must), the two crops
 * and the angle from the image's own key. The rotation's coefficients are computed in float32 as
 * Lucid and TensorFlow compute them: angle = 3.14 * deg / 180 (Lucid's 3.14), the canvas centre from
 * angles_to_projective_transforms. */
fv_tfchain fv_transform_lucid_draw(const fv_transform_params *tp, int size, uint64_t scale_key, uint64_t key, int step);
/* The chain for given draws: scale index, angle in degrees, the two crops' offsets. */
fv_tfchain fv_transform_lucid_chain(const fv_transform_params *tp, int size, int scale_index, float deg, int ox1, int oy1,
                                    int ox2, int oy2);
/* The side of the network input the chain gives with scale index i: int(scale * c1) - jitter2, c1 =
 * size + 2 pad - jitter1 (the scale and c1 multiplied in float32 and truncated, as TensorFlow does). */
int fv_transform_lucid_side(const fv_transform_params *tp, int size, int scale_index);
/* Smallest and largest network input side a preset gives for an image of side `size` (size itself for
 * the presets that crop back). */
void fv_transform_sides(const fv_transform_params *tp, int size, int *min_side, int *max_side);

#endif
