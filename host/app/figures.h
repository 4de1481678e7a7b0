/* The article's main figures as labelled contact sheets, each from real renders of one objective:
 * objectives (neuron, channel, layer/DeepDream, logit, probability), diversity, neuron interaction (two
 * channels and their sums), interpolation (channel -> another, aligned frames) and the spectrum of
 * regularisation (pixel vs FFT parameterisation, decorrelation, transforms, penalties). Each sheet carries
 * the common provenance keys (app/output.h), the objectives shown, and one line per cell with everything
 * that made its image (featvis:cells). */
#ifndef FV_FIGURES_H
#define FV_FIGURES_H

#include <stdio.h>

#include "featvis/featvis.h"

typedef struct fv_figures_opts {
    const char *objective;       /* drives every sheet; "LAYER:CHANNEL" gives the layer-wide ones theirs */
    const char *dir;             /* the sheets go to DIR/<sheet>.png; the folder exists */
    const char *which;           /* sheets to make: NULL or "all", else a list naming them ("objectives,diversity") */
    const fv_render_config *cfg; /* the run's settings (the regularisation sheet changes some per cell) */
    const char *init_path;       /* the file behind cfg->init (NULL: none) */
    FILE *log;                   /* "wrote PATH" per sheet (may be NULL) */
} fv_figures_opts;

/* Render and write the chosen sheets: objectives.png, diversity.png, interaction.png, interpolation.png,
 * regularisation.png. Stops at the first failure (its status and message name what failed). */
fv_status fv_figures_render(fv_model *m, const fv_figures_opts *o);

#endif
