/* The batch commands of the CLI: `--batch JOBS` (= `render --batch JOBS`: resumable, sharded), `appendix`
 * (the article's appendix as jobs: render them or write the job file) and `gallery` (HTML pages from a
 * run's folder).
 * Exit codes: 0 done, 1 failed, 2 bad usage or bad job lines, 3 some images failed (NaN), 4 interrupted,
 * 5 another run holds the output folder and shard (nothing was done). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/batch.h"
#include "app/gallery.h"
#include "app/journal.h"
#include "cli.h"
#include "core/fsutil.h"

/* ---------- the options ---------- */

enum { B_JOBS, B_SHARD, B_SKIPINV };

static int apply_batch(void *dest, int id, const char *arg)
{
    cli_batch *b = dest;
    if (id == B_JOBS) b->jobs = arg;
    else if (id == B_SHARD) b->shard = arg;
    else b->skip_invalid = 1;
    return 0;
}

static const struct option BATCH_OPTIONS[] = {{"batch", required_argument, 0, B_JOBS},
                                              {"shard", required_argument, 0, B_SHARD},
                                              {"skip-invalid", no_argument, 0, B_SKIPINV},
                                              {0, 0, 0, 0}};
const cli_group CLI_BATCH = {BATCH_OPTIONS, apply_batch, sizeof(cli_batch)};

typedef struct appendix_opts {
    const char *layers, *write_jobs;
    int channels, post_relu;
} appendix_opts;

enum { A_LAYERS, A_POSTRELU, A_CHANNELS, A_WRITEJOBS };

static int apply_appendix(void *dest, int id, const char *arg)
{
    appendix_opts *o = dest;
    long v;
    switch (id) {
    case A_LAYERS: o->layers = arg; break;
    case A_POSTRELU: o->post_relu = 1; break;
    case A_WRITEJOBS: o->write_jobs = arg; break;
    case A_CHANNELS:
        if (!cli_int("--channels", arg, 1, 100000, &v)) return 2;
        o->channels = (int)v;
        break;
    }
    return 0;
}

static const struct option APPENDIX_OPTIONS[] = {{"layers", required_argument, 0, A_LAYERS},
                                                 {"post-relu", no_argument, 0, A_POSTRELU},
                                                 {"channels", required_argument, 0, A_CHANNELS},
                                                 {"write-jobs", required_argument, 0, A_WRITEJOBS},
                                                 {0, 0, 0, 0}};
const cli_group CLI_APPENDIX = {APPENDIX_OPTIONS, apply_appendix, sizeof(appendix_opts)};

static int apply_thumb(void *dest, int id, const char *arg)
{
    long v;
    (void)id;
    if (!cli_int("--thumb", arg, 16, 1024, &v)) return 2;
    *(int *)dest = (int)v;
    return 0;
}

static const struct option GALLERY_OPTIONS[] = {{"thumb", required_argument, 0, 0}, {0, 0, 0, 0}};
const cli_group CLI_GALLERY = {GALLERY_OPTIONS, apply_thumb, sizeof(int)};

/* ---------- running jobs ---------- */

static volatile int g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* Installed before the model loads, so a signal that arrives early still ends in a clean stop. */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static fv_job_defaults job_defaults(const cli_render *r)
{
    fv_job_defaults d = {r->cfg.size, r->cfg.steps, r->diversity_given ? r->diversity : 1, r->cfg.seed, r->cfg.preset};
    return d;
}

/* The run's shard and its lock on the output folder, taken before any work (the model is not even loaded):
 * a second run into the same folder and shard stops at once with exit 5 and one line naming the holder. */
typedef struct run_slot {
    int k, n;
    fv_run_lock *lock;
} run_slot;

static int take_slot(const cli_common *c, const cli_batch *b, run_slot *s)
{
    s->k = s->n = 0;
    s->lock = NULL;
    if (b->shard && fv_shard_parse(b->shard, &s->k, &s->n) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 2;
    }
    const char *out = c->output ? c->output : "out";
    fv_status st = fv_mkdirs(out);
    if (st == FV_OK) st = fv_run_lock_take(out, s->k, s->n, &s->lock);
    if (st == FV_OK) return 0;
    fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
    return st == FV_ERR_BUSY ? 5 : 1;
}

/* Shard, progress, then the run; exit 0 done, 3 some images failed, 4 interrupted, 1 error. */
static int run_jobs(const cli_common *c, const cli_render *r, const cli_batch *b, const run_slot *slot, fv_model *m,
                    fv_joblist *jl)
{
    const int k = slot->k, n = slot->n;
    if (n > 0) fv_jobs_shard(jl, k, n);
    const char *out = c->output ? c->output : "out";
    fv_backend_kind be;
    const char *notice;
    if (fv_backend_resolve(c->backend, &be, &notice) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    if (notice) fprintf(stderr, "%s\n", notice);
    fv_batch_opts o = {out, k, n, cli_render_config(c, r), &g_stop, stderr, isatty(2), r->init_path, 1, NULL, NULL};
    int rc = cli_open_backend(c, &o.render.backend_instance); /* one instance for every pass */
    if (rc) return rc;
    char jpath[4200];
    fv_batch_journal_path(out, k, n, jpath, sizeof jpath);
    fprintf(stderr, "batch: %d jobs%s%s into %s (journal %s), %s, backend %s\n", jl->n, b->shard ? ", shard " : "",
            b->shard ? b->shard : "", out, jpath, fv_model_name(m), fv_backend_name(be));
    fv_batch_stats st;
    fv_status s = fv_batch_run(m, jl, &o, &st);
    fv_backend_close(o.render.backend_instance);
    fprintf(stderr, "batch: %d images: %d rendered now, %d already done, %d failed, in %d passes\n", st.images_total,
            st.images_done, st.images_skipped, st.images_failed, st.passes);
    if (s == FV_ERR_INTERRUPTED) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 4;
    }
    if (s != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    return st.images_failed ? 3 : 0;
}

int cli_run_batch(const cli_common *c, const cli_render *r, const cli_batch *b, const char **pos, int npos)
{
    if (npos)
        return usage_error("--batch takes no objectives on the command line (got '%s'); they go in the job file",
                           pos[0]);
    catch_signals();
    run_slot slot;
    int rc = take_slot(c, b, &slot);
    if (rc) return rc;
    fv_model *m;
    if ((rc = load_model(c, &m))) {
        fv_run_lock_release(slot.lock);
        return rc;
    }
    fv_job_defaults d = job_defaults(r);
    fv_joblist jl = {0, 0, NULL};
    fv_status ps = fv_jobs_parse_file(b->jobs, m, &d, b->skip_invalid, stderr, &jl);
    if (ps != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s; nothing rendered\n", fv_last_error());
        rc = ps == FV_ERR_ARG ? 2 : 1;
    } else {
        rc = run_jobs(c, r, b, &slot, m, &jl);
    }
    fv_jobs_free(&jl);
    fv_model_free(m);
    fv_run_lock_release(slot.lock);
    return rc;
}

/* ---------- appendix ---------- */

/* The appendix's jobs written to --write-jobs, or rendered. */
static int appendix(const cli_common *c, const cli_render *r, const cli_batch *b, const appendix_opts *o,
                    const run_slot *slot, fv_model *m)
{
    char buf[1024];
    const char *layers[64];
    int nl = 0, rc = 0;
    if (o->layers) {
        snprintf(buf, sizeof buf, "%s", o->layers);
        for (char *t = strtok(buf, ","); t && nl < 64; t = strtok(NULL, ",")) layers[nl++] = t;
    }
    fv_job_defaults d = job_defaults(r);
    fv_joblist jl = {0, 0, NULL};
    if (fv_jobs_appendix(m, layers, nl, o->post_relu, &d, &jl) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 2;
    }
    if (o->channels > 0) fv_jobs_first_channels(&jl, o->channels);
    int images = 0;
    for (int i = 0; i < jl.n; i++) images += jl.jobs[i].diversity > 1 ? jl.jobs[i].diversity : 1;
    if (!o->write_jobs) rc = run_jobs(c, r, b, slot, m, &jl);
    else if (fv_jobs_write(o->write_jobs, &jl) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        rc = 1;
    } else {
        printf("%d jobs, %d images -> %s\n", jl.n, images, o->write_jobs);
    }
    fv_jobs_free(&jl);
    return rc;
}

int cmd_appendix(const cli_argv *a)
{
    cli_common c = {0};
    cli_render r;
    cli_batch b = {0};
    appendix_opts o = {0};
    cli_render_defaults(&r);
    const cli_use use[] = {{&CLI_COMMON, &c}, {&CLI_RENDER, &r}, {&CLI_BATCH, &b}, {&CLI_APPENDIX, &o}};
    const char **pos;
    int npos, rc = cli_parse(a, use, 4, &pos, &npos);
    free(pos);
    if (rc) return rc;
    run_slot slot = {0, 0, NULL};
    if (!o.write_jobs) {
        catch_signals();
        if ((rc = take_slot(&c, &b, &slot))) return rc;
    }
    fv_model *m;
    if ((rc = load_model(&c, &m)) == 0) {
        rc = appendix(&c, &r, &b, &o, &slot, m);
        fv_model_free(m);
    }
    fv_run_lock_release(slot.lock);
    return rc;
}

/* ---------- gallery ---------- */

int cmd_gallery(const cli_argv *a)
{
    cli_common c = {0};
    int thumb = 0;
    const cli_use use[] = {{&CLI_COMMON, &c}, {&CLI_GALLERY, &thumb}};
    const char **pos;
    int npos, rc = cli_parse(a, use, 2, &pos, &npos);
    if (!rc && npos != 1) rc = usage_error("gallery takes the output folder of a batch run%s", "");
    if (rc) return free(pos), rc;
    fv_model *m = NULL;
    char buf[1024];
    const char *path = c.weights ? c.weights : default_weights(buf, sizeof buf);
    if (path && access(path, R_OK) == 0 && fv_model_load(path, c.model, &m) != FV_OK) m = NULL;
    if (!m) fprintf(stderr, "note: no model loaded; channels are not grouped by inception branch\n");
    fv_status s = fv_gallery_build(pos[0], m, thumb, stderr);
    if (s != FV_OK) fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
    fv_model_free(m);
    free(pos);
    return s == FV_OK ? 0 : 1;
}
