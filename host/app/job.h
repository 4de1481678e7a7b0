/* A job of a batch run (one objective and the settings that change its pixels; diversity > 1: a group of that
 * many images), a list of jobs, and the settings a job line does not give: the types jobs.h works on. */
#ifndef FV_APP_JOB_H
#define FV_APP_JOB_H

#include <stdint.h>

#include "featvis/featvis.h"

typedef struct fv_job {
    char objective[512]; /* canonical text (as the renderer prints it) */
    int size, steps, diversity;
    uint64_t seed;
    fv_preset preset;
    int line;            /* line in the job file, 0 for generated jobs */
    char key[768];       /* identity: objective and every setting that changes the pixels */
    char stem[512];      /* output path without ".png", relative to the output folder: "<layer>/<slug>" */
} fv_job;

typedef struct fv_joblist {
    int n, cap;
    fv_job *jobs;
} fv_joblist;

/* Settings a job line does not give. */
typedef struct fv_job_defaults {
    int size, steps, diversity;
    uint64_t seed;
    fv_preset preset;
} fv_job_defaults;

#endif
