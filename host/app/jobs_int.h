/* What the job files of host/app share behind jobs.h: the list, default settings, keys and stems, the
 * hash that names clashing stems. (jobs.c: job files; job_names.c: keys and stems; appendix.c; shard.c) */
#ifndef FV_JOBS_INT_H
#define FV_JOBS_INT_H

#include <stdint.h>

#include "jobs.h"
#include "render/objective.h"

/* Append a copy of j. */
fv_status fv_jobs_push(fv_joblist *jl, const fv_job *j);
/* A job with def's settings (NULL or unset fields: the renderer's defaults) and nothing else. */
void fv_job_defaults_apply(const fv_job_defaults *def, fv_job *j);
/* The objective's canonical text, the job's key and its stem (job_names.c). */
void fv_job_name(fv_job *j, const fv_net *net, const fv_objective *o);
/* Give every job of the list its own stem (job_names.c); `what` names the list in the error. */
fv_status fv_jobs_unique_stems(fv_joblist *jl, const char *what);
/* FNV-1a of a string: names clashing stems, hashes keys. */
uint64_t fv_jobs_hash(const char *s);

#endif
