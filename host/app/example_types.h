/* The options and the report of dataset examples (examples.h): the types both halves use (examples.c: the
 * folder and the pass through the model; examples_strip.c: ranking, crops, strips and the index). */
#ifndef FV_APP_EXAMPLE_TYPES_H
#define FV_APP_EXAMPLE_TYPES_H

#include <stdio.h>

#include "featvis/featvis.h"

#define FV_EXAMPLES_SPECTRUM 5 /* percentiles 0, 25, 50, 75, 100 */

typedef struct fv_examples_opts {
    const char *images; /* the folder of images (PNG and JPEG, by signature; read in name order) */
    const char *layer;  /* any layer name or alias of the model */
    const char *out;    /* output folder (default "examples"); files go to OUT/examples/<layer>/ */
    int top;            /* K images kept at each end per channel (default 8) */
    int size;           /* model input side: every image is resized (bilinear) to size x size (default 224) */
    int thumb;          /* side of each crop in the strips (default 96) */
    int batch;          /* images per forward pass; 0 = as many as fit in about 512 MiB of activations */
    fv_backend_kind backend;
    const fv_backend_options *backend_options; /* how it is opened; NULL: the defaults */
    FILE *log;          /* notes (skipped and corrupt files) and progress; may be NULL */
} fv_examples_opts;

typedef struct fv_examples_report {
    int nimages;   /* images that went through the model */
    int nskipped;  /* files that are not PNG or JPEG (by name and signature) */
    int nbad;      /* PNG/JPEG files that failed to decode; their names are in bad[] */
    char **bad;    /* file names (without the folder), malloc'd */
    int nchannels; /* strips written */
    int rf, jump;  /* receptive field and cumulative stride of the layer, input pixels */
    char dir[4096]; /* the folder written: OUT/examples/<layer> */
} fv_examples_report;

#endif
