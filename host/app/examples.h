/* Dataset examples (the Distill article's "dataset examples" beside each visualization): run a folder of
 * PNG/JPEG images through the model to one layer and keep, per channel, the images with the highest and
 * lowest spatial-max activation, cropped to the strongest neuron's receptive field, plus an activation
 * spectrum (the images at the 0/25/50/75/100th percentile). */
#ifndef FV_EXAMPLES_H
#define FV_EXAMPLES_H

#include <stdio.h>

#include "net/net.h"
#include "net/receptive.h" /* fv_net_receptive_field: the crops' size */

#include "example_types.h"

/* The whole command: read, rank, crop, and write OUT/examples/<layer>/c<NNNN>.png (one strip per
 * channel: top K by descending max activation, bottom K by ascending, then the 5 spectrum images, each
 * thumb x thumb, white where there are fewer images; (2K+5)*thumb x thumb in all) and index.jsonl (one
 * JSON object per channel). Corrupt files are reported (log and rep->bad) and skipped; FV_ERR_ARG when
 * no image could be read. rep may be NULL; else release it with fv_examples_report_free. */
fv_status fv_examples_run(fv_model *m, const fv_examples_opts *o, fv_examples_report *rep);
void fv_examples_report_free(fv_examples_report *rep);

#endif
