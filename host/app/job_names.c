/* Keys and stems of jobs (jobs.h). A job's key is
 * "<canonical objective>|size=S|steps=N|seed=R|preset=P|div=D" (all that changes its pixels). Its stem
 * (output path without ".png"; diversity groups write "<stem>_div<i>.png", app/output.h) is
 * "<layer>/<slug>": layer = display name of the first term's tensor ('/' -> '_'), slug = the canonical
 * objective with spaces dropped, a leading '-' written "neg_", [A-Za-z0-9._+-] kept and other runs '_'
 * (over 150 characters: cut, plus a hash of the objective). A list's stems are made unique over the whole
 * list before it is sharded (so every shard names a job alike): jobs whose stems match (ignoring case) get
 * "_s<size>", "_n<steps>", "_r<seed>", "_<preset>" for each setting that differs among them, and
 * "_d<diversity>" when they differ in diversity and the job's diversity is above 1; any still matching get
 * "_k<hash of the key>". */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "core/text.h"
#include "jobs_int.h"
#include "models/model.h"

#define SLUG_MAX 150

uint64_t fv_jobs_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Stems compare without case: two jobs must not share a file on case-insensitive file systems either. */
static int stem_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = tolower((unsigned char)*a), y = tolower((unsigned char)*b);
        if (x != y || !x) return x - y;
    }
}

/* The file-safe form of a canonical objective (format comment above). */
static void slug(const char *canon, char *out, size_t n)
{
    char buf[1024];
    size_t k = 0;
    const char *s = canon;
    while (*s == ' ') s++;
    if (*s == '-') {
        k = (size_t)snprintf(buf, sizeof buf, "neg_");
        s++;
    }
    fv_text_slug(s, "._-+", " ", buf + k, sizeof buf - k);
    k += strlen(buf + k);
    while (k && buf[k - 1] == '_') k--; /* "neg_" with nothing after it */
    buf[k] = 0;
    if (k > SLUG_MAX) snprintf(buf + SLUG_MAX - 18, 19, "_h%016llx", (unsigned long long)fv_jobs_hash(canon));
    /* a name starting with '.' would be hidden (or be "." / ".."); objectives never do, but be sure */
    size_t off = buf[0] == '.' || !buf[0], len = strlen(buf);
    if (off + len + 1 > n) len = n - off - 1;
    out[0] = '_';
    memcpy(out + off, buf, len);
    out[off + len] = 0;
}

void fv_job_name(fv_job *j, const fv_net *net, const fv_objective *o)
{
    snprintf(j->objective, sizeof j->objective, "%s", o->canon);
    snprintf(j->key, sizeof j->key, "%s|size=%d|steps=%d|seed=%llu|preset=%s|div=%d", j->objective, j->size,
             j->steps, (unsigned long long)j->seed, fv_preset_name(j->preset), j->diversity);
    char layer[FV_NAME_MAX + 2] = "other", name[SLUG_MAX + 8];
    if (o->nterms > 0) {
        const char *d = fv_net_display_name(net, o->terms[0].tensor);
        size_t k = 0;
        if (d[0] == '.') layer[k++] = '_';
        for (; *d && k + 1 < sizeof layer; d++) layer[k++] = *d == '/' ? '_' : *d;
        layer[k] = 0;
    }
    slug(j->objective, name, sizeof name);
    snprintf(j->stem, sizeof j->stem, "%s/%s", layer, name);
}

void fv_job_finish(fv_job *j, const fv_model *m)
{
    fv_objective o;
    if (fv_objective_parse(&m->net, j->objective, j->size, j->size, &o) == FV_OK) {
        fv_job_name(j, &m->net, &o);
        fv_objective_free(&o);
        return;
    }
    /* not valid for this model: keep the text, and still give a key and a stem */
    memset(&o, 0, sizeof o);
    snprintf(o.canon, sizeof o.canon, "%s", j->objective);
    fv_job_name(j, &m->net, &o);
}

/* ---------- unique stems ---------- */

/* Ties keep list order (pointers into one array compare by position), so suffixing is deterministic. */
static int by_stem(const void *a, const void *b)
{
    const fv_job *x = *(const fv_job *const *)a, *y = *(const fv_job *const *)b;
    int c = stem_cmp(x->stem, y->stem);
    return c ? c : (x > y) - (x < y);
}

static void append(char *stem, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *stem, size_t n, const char *fmt, ...)
{
    size_t len = strlen(stem);
    va_list ap;
    va_start(ap, fmt);
    if (len < n) vsnprintf(stem + len, n - len, fmt, ap);
    va_end(ap);
}

/* Suffix every group of jobs sharing a stem: pass 0 with the settings that differ within the group,
 * pass 1 with a hash of the key, pass 2 only counts. Returns the number of jobs that were in such groups. */
static int suffix_pass(fv_joblist *jl, fv_job **idx, int pass)
{
    for (int i = 0; i < jl->n; i++) idx[i] = &jl->jobs[i];
    qsort(idx, (size_t)jl->n, sizeof *idx, by_stem);
    int touched = 0;
    for (int a = 0, b; a < jl->n; a = b) {
        for (b = a + 1; b < jl->n && !stem_cmp(idx[a]->stem, idx[b]->stem); b++) {
        }
        if (b - a < 2) continue;
        touched += b - a;
        const fv_job *f = idx[a];
        int dsize = 0, dsteps = 0, dseed = 0, dpreset = 0, ddiv = 0;
        for (int i = a + 1; i < b; i++) {
            const fv_job *j = idx[i];
            dsize |= j->size != f->size;
            dsteps |= j->steps != f->steps;
            dseed |= j->seed != f->seed;
            dpreset |= j->preset != f->preset;
            ddiv |= j->diversity != f->diversity;
        }
        for (int i = a; i < b; i++) {
            fv_job *j = idx[i];
            const size_t n = sizeof j->stem;
            if (pass == 2) continue;
            if (pass == 1) {
                append(j->stem, n, "_k%016llx", (unsigned long long)fv_jobs_hash(j->key));
                continue;
            }
            if (dsize) append(j->stem, n, "_s%d", j->size);
            if (dsteps) append(j->stem, n, "_n%d", j->steps);
            if (dseed) append(j->stem, n, "_r%llu", (unsigned long long)j->seed);
            if (dpreset) append(j->stem, n, "_%s", fv_preset_name(j->preset));
            if (ddiv && j->diversity > 1) append(j->stem, n, "_d%d", j->diversity);
        }
    }
    return touched;
}

fv_status fv_jobs_unique_stems(fv_joblist *jl, const char *what)
{
    if (jl->n < 2) return FV_OK;
    fv_job **idx = malloc(sizeof *idx * (size_t)jl->n);
    if (!idx) return fv_fail(FV_ERR_NOMEM, "job list: out of memory");
    int left = suffix_pass(jl, idx, 0);
    if (left) left = suffix_pass(jl, idx, 1);
    if (left) left = suffix_pass(jl, idx, 2);
    free(idx);
    /* the hash pass leaves a clash only for equal keys, which the callers have already refused */
    if (left) return fv_fail(FV_ERR_ARG, "%s: could not give %d jobs distinct output names", what, left);
    return FV_OK;
}
