/* Sharding a job list over machines (jobs.h): shard K of N keeps jobs i with i % N == K, K from the
 * command line or from the scheduler (JOB_COMPLETION_INDEX of a Kubernetes Indexed Job,
 * SLURM_ARRAY_TASK_ID of a Slurm array). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "jobs.h"

void fv_jobs_shard(fv_joblist *jl, int k, int n)
{
    if (n < 1 || k < 0 || k >= n) return; /* fv_shard_parse never gives these */
    int w = 0;
    for (int i = 0; i < jl->n; i++)
        if (i % n == k) jl->jobs[w++] = jl->jobs[i];
    jl->n = w;
}

/* A whole number 0..limit from text; 0 if it is not one. */
static int whole(const char *s, const char *end, long limit, long *v)
{
    if (s == end || end - s > 9) return 0;
    long x = 0;
    for (const char *p = s; p < end; p++) {
        if (!isdigit((unsigned char)*p)) return 0;
        x = x * 10 + (*p - '0');
    }
    *v = x;
    return x <= limit;
}

static fv_status env_index(const char *text, long *k)
{
    const char *name = "JOB_COMPLETION_INDEX", *v = getenv(name);
    if (!v || !*v) v = getenv(name = "SLURM_ARRAY_TASK_ID");
    if (!v || !*v)
        return fv_fail(FV_ERR_ARG, "--shard %s: neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set", text);
    if (!whole(v, v + strlen(v), 1000000000L, k))
        return fv_fail(FV_ERR_ARG, "--shard %s: %s='%s' is not a whole number", text, name, v);
    if (name[0] == 'S') {
        const char *mv = getenv("SLURM_ARRAY_TASK_MIN");
        long mn;
        if (mv && *mv) {
            if (!whole(mv, mv + strlen(mv), 1000000000L, &mn))
                return fv_fail(FV_ERR_ARG, "--shard %s: SLURM_ARRAY_TASK_MIN='%s' is not a whole number", text, mv);
            if (mn > *k)
                return fv_fail(FV_ERR_ARG, "--shard %s: SLURM_ARRAY_TASK_ID=%s is below SLURM_ARRAY_TASK_MIN=%s",
                               text, v, mv);
            *k -= mn;
        }
    }
    return FV_OK;
}

fv_status fv_shard_parse(const char *text, int *k, int *n)
{
    if (!text) return fv_fail(FV_ERR_ARG, "--shard: expected K/N (0 <= K < N), auto/N or /N");
    const char *slash = strchr(text, '/'), *end = text + strlen(text);
    long kv = 0, nv = 0;
    if (!slash || !whole(slash + 1, end, 1000000L, &nv) || nv < 1)
        return fv_fail(FV_ERR_ARG, "--shard %s: expected K/N with 0 <= K < N and N from 1 to 1000000, or auto/N "
                                   "or /N (K from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)", text);
    size_t klen = (size_t)(slash - text);
    if (klen == 0 || (klen == 4 && !strncmp(text, "auto", 4))) {
        FV_TRY(env_index(text, &kv));
        if (kv >= nv)
            return fv_fail(FV_ERR_ARG, "--shard %s: the index from the environment, %ld, must be below N=%ld", text,
                           kv, nv);
    } else {
        if (!whole(text, slash, 1000000000L, &kv))
            return fv_fail(FV_ERR_ARG, "--shard %s: K must be a whole number (or 'auto')", text);
        if (kv >= nv) return fv_fail(FV_ERR_ARG, "--shard %s: K must be below N", text);
    }
    *k = (int)kv;
    *n = (int)nv;
    return FV_OK;
}
