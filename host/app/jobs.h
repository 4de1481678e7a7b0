/* Jobs of a batch run: parsed from a job file (README "Job files"; jobs.c) or expanded from the article's
 * appendix (appendix.c), validated all at once, split deterministically into shards (shard.c). A job
 * renders one objective (diversity > 1: that many images as one group). Its key identifies it in journals
 * across runs, batches and shards (job_names.c). */
#ifndef FV_JOBS_H
#define FV_JOBS_H

#include <stdint.h>
#include <stdio.h>

#include "featvis/featvis.h"
#include "job.h"
#include "render/transform.h" /* fv_preset_name */



void fv_jobs_free(fv_joblist *jl);
/* Fill in key and stem from the other fields (the objective must already be canonical). */
void fv_job_finish(fv_job *j, const fv_model *m);
/* Parse and validate a whole job file. Every bad line is reported to `report` as "PATH:LINE: reason";
 * returns FV_ERR_ARG naming how many lines were bad unless skip_invalid (then bad lines are dropped). */
fv_status fv_jobs_parse_file(const char *path, const fv_model *m, const fv_job_defaults *def, int skip_invalid,
                             FILE *report, fv_joblist *out);
/* The appendix (RECIPE.md): for every channel of each layer, neuron (centre), channel, negative channel
 * and one diversity group of 4: 4 jobs and 7 images per channel. Each layer (either name form) is
 * optimised as its pre-ReLU tensor ("mixed4a" -> "mixed4a_pre_relu:97" jobs; the diversity group's Gram
 * then falls on the post-ReLU tensor, as in Lucid's notebooks), or with post_relu as its post-ReLU one.
 * nlayers 0: mixed3a..mixed5b. */
fv_status fv_jobs_appendix(const fv_model *m, const char *const *layers, int nlayers, int post_relu,
                           const fv_job_defaults *def, fv_joblist *out);
/* Keep the jobs of the first n channels of each layer (appendix --channels). */
void fv_jobs_first_channels(fv_joblist *jl, int n);
/* Write jobs as a job file that fv_jobs_parse_file reads back to the same jobs. */
fv_status fv_jobs_write(const char *path, const fv_joblist *jl);
/* Keep shard k of n (0 <= k < n): job i stays when i % n == k. */
void fv_jobs_shard(fv_joblist *jl, int k, int n);
/* Shard "K/N" from text, or (text NULL) from JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID with n from
 * the text's N; FV_ERR_ARG with a message on anything else. */
fv_status fv_shard_parse(const char *text, int *k, int *n);

#endif
