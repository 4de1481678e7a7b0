/* Batch runs (`featvis-cuda render --batch JOBS`): jobs grouped into GPU-sized passes by image size,
 * settings and layer; every finished image written atomically, then journalled, so a killed run
 * restarted with the same command renders only what is missing. Journal format: README "Journals". */
#ifndef FV_BATCH_H
#define FV_BATCH_H

#include <stdio.h>

#include "jobs.h"

struct fv_batch_stats;

typedef struct fv_batch_opts {
    const char *out_dir;
    int shard_k, shard_n;      /* this run's shard (n = 0: unsharded); names its journal */
    fv_render_config render;   /* backend, lr, batch size, ...; size/steps/seed/preset come from each job */
    const volatile int *stop;  /* set by SIGINT/SIGTERM: the current pass is dropped, nothing half-written */
    FILE *progress;            /* progress lines (NULL: none) */
    int progress_tty;          /* rewrite one line with \r instead of printing a line every 10 s */
    const char *init_path;     /* the file behind render.init, for provenance (NULL: none) */
    int locked;                /* the caller holds fv_run_lock_take's lock of out_dir and this shard; else
                                  fv_batch_run takes it (and fails with FV_ERR_BUSY if another run has it) */
    /* Called after every render step and at every pass's start and the run's end (may be NULL): images
     * finished (done, failed or found done) of images_total, plus how far the pass in progress is (0..1) over
     * pass_images. The caller may set *stop from here (the Python package: progress bars, Ctrl-C). */
    void (*tick)(void *ctx, const struct fv_batch_stats *stats, double pass_fraction, int pass_images);
    void *tick_ctx;
} fv_batch_opts;

typedef struct fv_batch_stats {
    int images_total, images_skipped, images_done, images_failed, passes;
} fv_batch_stats;

/* The journal a run of shard k/n writes ("journal.jsonl" when unsharded). */
void fv_batch_journal_path(const char *out_dir, int shard_k, int shard_n, char *buf, size_t n);

/* Render every image of `jobs` not yet recorded in any journal of out_dir, under the folder and shard's lock
 * (app/journal.h). Returns FV_OK when all images are done or recorded as failed (stats->images_failed says how
 * many failed), FV_ERR_BUSY when another run holds the lock, FV_ERR_INTERRUPTED when stopped, FV_ERR_IO when
 * an image or journal line could not be written (disk full), or the renderer's error. Warnings about the
 * journals (a torn last line moved aside, corrupt lines) go to o->progress, else stderr. */
fv_status fv_batch_run(fv_model *m, const fv_joblist *jobs, const fv_batch_opts *o, fv_batch_stats *stats);

#endif
