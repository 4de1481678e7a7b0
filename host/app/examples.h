/* Dataset examples (the Distill article's "dataset examples" beside each visualization): run a folder of
 * PNG/JPEG images through the model to one layer and keep, per channel, the images with the highest and
 * lowest spatial-max activation, cropped to the strongest neuron's receptive field, plus an activation
 * spectrum (the images at the 0/25/50/75/100th percentile). */
#ifndef FV_EXAMPLES_H
#define FV_EXAMPLES_H

#include <stdio.h>

#include "net/net.h"
#include "net/receptive.h" /* fv_net_receptive_field: the crops' size */

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

/* The whole command: read, rank, crop, and write OUT/examples/<layer>/c<NNNN>.png (one strip per
 * channel: top K by descending max activation, bottom K by ascending, then the 5 spectrum images, each
 * thumb x thumb, white where there are fewer images; (2K+5)*thumb x thumb in all) and index.jsonl (one
 * JSON object per channel). Corrupt files are reported (log and rep->bad) and skipped; FV_ERR_ARG when
 * no image could be read. rep may be NULL; else release it with fv_examples_report_free. */
fv_status fv_examples_run(fv_model *m, const fv_examples_opts *o, fv_examples_report *rep);
void fv_examples_report_free(fv_examples_report *rep);

#endif
