/* The batch runner: resume from journals, group jobs into passes, render, write each image atomically
 * (app/output.h: temp file, fsync, rename, fsync of the folder), then append and fsync one journal line. A NaN/Inf
 * image is retried once alone with a derived seed, then recorded as failed; the rest goes on. */
#define _POSIX_C_SOURCE 200809L
#include "batch.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/fsutil.h"
#include "journal.h"
#include "models/model.h"
#include "output.h"

void fv_batch_journal_path(const char *out_dir, int shard_k, int shard_n, char *buf, size_t n)
{
    if (shard_n > 0) snprintf(buf, n, "%s/journal-shard%dof%d.jsonl", out_dir, shard_k, shard_n);
    else snprintf(buf, n, "%s/journal.jsonl", out_dir);
}

/* ---------- writing ---------- */

/* The render settings of one job: the run's, with the job's size, steps, seed and preset. */
static fv_render_config job_config(const fv_batch_opts *o, const fv_job *job)
{
    fv_render_config cfg = o->render;
    cfg.size = job->size, cfg.steps = job->steps, cfg.seed = job->seed, cfg.preset = job->preset;
    return cfg;
}

typedef struct journal {
    FILE *f;
    char path[4096];
} journal;

/* Appending only: fv_done_read has already moved a torn last line aside, so every line starts clean. */
static fv_status journal_open(journal *j, const fv_batch_opts *o)
{
    fv_batch_journal_path(o->out_dir, o->shard_k, o->shard_n, j->path, sizeof j->path);
    j->f = fopen(j->path, "a");
    if (!j->f) return fv_fail(FV_ERR_IO, "%s: cannot open journal: %s", j->path, strerror(errno));
    return FV_OK;
}

static fv_status journal_line(journal *j, const fv_batch_opts *o, const fv_model *m, const fv_job *job, int index,
                              const char *file, const fv_render_result *r, const char *error)
{
    const fv_render_config cfg = job_config(o, job);
    return fv_output_journal_line(j->f, j->path, m, job, &cfg, o->init_path, index, file, r, error);
}

/* ---------- passes ---------- */

/* Jobs of one pass must share the render settings; within those, sorting by layer keeps one layer's
 * channels together (one network depth per pass). */
static int same_settings(const fv_job *a, const fv_job *b)
{
    return a->size == b->size && a->steps == b->steps && a->seed == b->seed && a->preset == b->preset;
}

static const fv_job *g_jobs; /* qsort has no context argument in C11 */

static int cmp_jobs(const void *pa, const void *pb)
{
    const fv_job *a = &g_jobs[*(const int *)pa], *b = &g_jobs[*(const int *)pb];
    if (a->size != b->size) return a->size - b->size;
    if (a->steps != b->steps) return a->steps - b->steps;
    if (a->seed != b->seed) return a->seed < b->seed ? -1 : 1;
    if (a->preset != b->preset) return (int)a->preset - (int)b->preset;
    int c = strncmp(a->stem, b->stem, strcspn(a->stem, "/") + 1);
    if (c) return c;
    return *(const int *)pa - *(const int *)pb;
}

typedef struct progress {
    double t0, last;
    int done0;
} progress;

typedef struct pass_ctx {
    const fv_batch_opts *o;
    fv_batch_stats *stats;
    progress *pg;
    int pass_images;
    const char *layer;
} pass_ctx;

static void report(const pass_ctx *c, double frac_of_pass, int final)
{
    const fv_batch_opts *o = c->o;
    if (o->tick) o->tick(o->tick_ctx, c->stats, frac_of_pass, c->pass_images);
    if (!o->progress) return;
    double t = fv_clock_now();
    if (!final && t - c->pg->last < (o->progress_tty ? 0.5 : 10.0)) return;
    c->pg->last = t;
    const fv_batch_stats *s = c->stats;
    double done = s->images_done + s->images_failed + frac_of_pass * c->pass_images;
    double todo = s->images_total - s->images_skipped;
    double rate = (done - c->pg->done0) / (t - c->pg->t0 + 1e-9);
    double eta = rate > 0 ? (todo - done) / rate : 0;
    fprintf(o->progress, "%simages %d/%d (%d already done, %d failed)  %.3f images/s  ETA %dh%02dm%02ds  layer %s%s",
            o->progress_tty ? "\r" : "", s->images_done + s->images_failed + s->images_skipped, s->images_total,
            s->images_skipped, s->images_failed, rate, (int)eta / 3600, (int)eta / 60 % 60, (int)eta % 60,
            c->layer ? c->layer : "-", o->progress_tty && !final ? "   " : "\n");
    fflush(o->progress);
}

static void on_step(void *ctx, int step, int steps, const float *obj, int n)
{
    (void)obj, (void)n;
    report(ctx, (double)step / steps, 0);
}

static fv_status write_image(const fv_batch_opts *o, journal *jr, const fv_model *m, const fv_job *job, int index,
                             const fv_render_result *r)
{
    char rel[1100];
    const fv_render_config cfg = job_config(o, job);
    FV_TRY(fv_output_job_image(o->out_dir, m, job, &cfg, o->init_path, index, r, rel, sizeof rel));
    return journal_line(jr, o, m, job, index, rel, r, NULL);
}

static int finite_image(const fv_image *img)
{
    for (long i = 0; i < 3L * img->w * img->h; i++)
        if (!isfinite(img->rgb[i])) return 0;
    return 1;
}

/* Render jobs idx[0..n) as one pass; write the images not yet done. On a non-finite result the jobs
 * are rendered one by one, a failing one once more with a derived seed, then recorded as failed. */
static fv_status run_pass(fv_model *m, const fv_joblist *jl, const int *idx, int n, const fv_batch_opts *o,
                          journal *jr, const fv_done_set *done, pass_ctx *pc, int alone)
{
    const fv_job *j0 = &jl->jobs[idx[0]];
    fv_render_config cfg = job_config(o, j0);
    cfg.cancel = o->stop;
    fv_render_item *items = calloc(n, sizeof *items);
    if (!items) return fv_fail(FV_ERR_NOMEM, "batch: out of memory");
    int imgs = 0;
    for (int i = 0; i < n; i++) {
        const fv_job *j = &jl->jobs[idx[i]];
        items[i] = (fv_render_item){j->objective, j->diversity > 1 ? j->diversity : 1};
        imgs += items[i].count;
    }
    cfg.batch_size = imgs; /* the caller sized the pass */
    pc->pass_images = imgs;
    fv_render_result *r = NULL;
    int nr = 0;
    fv_status st = fv_render(m, &cfg, items, n, &r, &nr, on_step, pc);
    free(items);
    int bad = st == FV_ERR_NUMERIC;
    for (int i = 0; st == FV_OK && i < nr; i++) bad |= !finite_image(&r[i].image);
    if (st != FV_OK && !bad) return st;
    if (bad && (n > 1 || !alone)) {
        fv_render_results_free(r, nr);
        if (n > 1) {
            for (int i = 0; i < n; i++) FV_TRY(run_pass(m, jl, idx + i, 1, o, jr, done, pc, 0));
            return FV_OK;
        }
        /* one job, first failure: once more with a seed derived from its own */
        fv_job retry = jl->jobs[idx[0]];
        retry.seed = retry.seed * 6364136223846793005ull + 1442695040888963407ull;
        fv_joblist one = {1, 1, &retry};
        int zero = 0;
        fv_status s2 = run_pass(m, &one, &zero, 1, o, jr, done, pc, 1);
        return s2;
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        const fv_job *j = &jl->jobs[idx[i]];
        const int cnt = j->diversity > 1 ? j->diversity : 1;
        for (int c = 0; c < cnt; c++, k++) {
            if (fv_done_has(done, j->key, c)) continue; /* written by an earlier run */
            if (bad) {
                FV_TRY(journal_line(jr, o, m, j, c, NULL, NULL, "non-finite values, also with a derived seed"));
                pc->stats->images_failed++;
                continue;
            }
            if ((st = write_image(o, jr, m, j, c, &r[k])) != FV_OK) {
                fv_render_results_free(r, nr);
                return st;
            }
            pc->stats->images_done++;
        }
    }
    fv_render_results_free(r, nr);
    pc->stats->passes++;
    return FV_OK;
}

/* The run under its lock: what the journals say is done, then the passes. */
static fv_status run_locked(fv_model *m, const fv_joblist *jobs, const fv_batch_opts *o, fv_batch_stats *stats)
{
    char own[4200];
    fv_batch_journal_path(o->out_dir, o->shard_k, o->shard_n, own, sizeof own);
    fv_done_set *done;
    FV_TRY(fv_done_read(o->out_dir, own, o->progress ? o->progress : stderr, &done));
    int *todo = malloc(sizeof(int) * (jobs->n ? jobs->n : 1));
    if (!todo) {
        fv_done_free(done);
        return fv_fail(FV_ERR_NOMEM, "batch: out of memory");
    }
    int ntodo = 0;
    for (int i = 0; i < jobs->n; i++) {
        const fv_job *j = &jobs->jobs[i];
        const int cnt = j->diversity > 1 ? j->diversity : 1;
        int missing = 0;
        for (int c = 0; c < cnt; c++) missing += !fv_done_has(done, j->key, c);
        stats->images_total += cnt;
        stats->images_skipped += cnt - missing;
        if (missing) todo[ntodo++] = i;
    }
    g_jobs = jobs->jobs;
    qsort(todo, ntodo, sizeof *todo, cmp_jobs);
    journal jr = {NULL, ""};
    fv_status st = ntodo ? journal_open(&jr, o) : FV_OK;
    progress pg = {fv_clock_now(), 0, 0};
    pass_ctx pc = {o, stats, &pg, 0, NULL};
    char layer[512] = "";
    for (int i = 0; st == FV_OK && i < ntodo;) {
        if (o->stop && *o->stop) {
            st = fv_fail(FV_ERR_INTERRUPTED, "stopped by a signal; rerun the same command to continue");
            break;
        }
        /* A pass: consecutive jobs with the same settings and layer, up to the capacity in images. */
        const fv_job *j0 = &jobs->jobs[todo[i]];
        size_t ll = strcspn(j0->stem, "/");
        snprintf(layer, sizeof layer, "%.*s", (int)ll, j0->stem);
        pc.layer = layer;
        fv_render_config cfg = o->render;
        cfg.size = j0->size, cfg.steps = j0->steps;
        fv_render_item it = {j0->objective, j0->diversity > 1 ? j0->diversity : 1};
        int cap = fv_render_batch_capacity(m, &cfg, &it, 1);
        int k = i, imgs = 0;
        while (k < ntodo) {
            const fv_job *j = &jobs->jobs[todo[k]];
            int cnt = j->diversity > 1 ? j->diversity : 1;
            if (k > i && (!same_settings(j, j0) || strncmp(j->stem, j0->stem, ll + 1) || imgs + cnt > cap)) break;
            imgs += cnt;
            k++;
        }
        report(&pc, 0, 0);
        /* (fv_render itself halves a pass that runs out of device memory) */
        st = run_pass(m, jobs, todo + i, k - i, o, &jr, done, &pc, 0);
        i = k;
    }
    if (st == FV_OK || st == FV_ERR_INTERRUPTED) report(&pc, 0, 1);
    if (jr.f) fclose(jr.f);
    fv_done_free(done);
    free(todo);
    return st;
}

fv_status fv_batch_run(fv_model *m, const fv_joblist *jobs, const fv_batch_opts *o, fv_batch_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    FV_TRY(fv_mkdirs(o->out_dir));
    fv_run_lock *lock = NULL;
    if (!o->locked) FV_TRY(fv_run_lock_take(o->out_dir, o->shard_k, o->shard_n, &lock));
    fv_status st = run_locked(m, jobs, o, stats);
    fv_run_lock_release(lock);
    return st;
}
