/* The batch commands of the CLI: `--batch JOBS` (= `render --batch JOBS`: resumable, sharded), `appendix`
 * (the article's appendix as jobs: render them or write the job file) and `gallery` (HTML pages from a
 * run's folder).
 * Exit codes: 0 done, 1 failed, 2 bad usage or bad job lines, 3 some images failed (NaN), 4 interrupted. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/batch.h"
#include "cli.h"
#include "app/gallery.h"


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

static fv_job_defaults job_defaults(const cli *c)
{
    fv_job_defaults d = {c->cfg.size, c->cfg.steps, c->diversity_given ? c->diversity : 1, c->cfg.seed, c->cfg.preset};
    return d;
}

/* Shard, signals, progress, then the run; exit 0 done, 3 some images failed, 4 interrupted, 1 error. */
static int run_jobs(cli *c, fv_model *m, fv_joblist *jl)
{
    int k = 0, n = 0;
    if (c->shard) {
        if (fv_shard_parse(c->shard, &k, &n) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            return 2;
        }
        fv_jobs_shard(jl, k, n);
    }
    const char *out = c->output ? c->output : "out";
    fv_backend_kind be;
    const char *notice;
    if (fv_backend_resolve(c->cfg.backend, &be, &notice) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    if (notice) fprintf(stderr, "%s\n", notice);
    fv_batch_opts o = {out, k, n, c->cfg, &g_stop, stderr, isatty(2), c->init_path};
    char jpath[4200];
    fv_batch_journal_path(out, k, n, jpath, sizeof jpath);
    fprintf(stderr, "batch: %d jobs%s%s into %s (journal %s), %s, backend %s\n", jl->n, c->shard ? ", shard " : "",
            c->shard ? c->shard : "", out, jpath, fv_model_name(m), fv_backend_name(be));
    fv_batch_stats st;
    fv_status s = fv_batch_run(m, jl, &o, &st);
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

int cmd_batch(cli *c)
{
    if (c->npos)
        return usage_error("--batch takes no objectives on the command line (got '%s'); they go in the job file",
                           c->pos[0]);
    catch_signals();
    fv_model *m;
    int rc = load_model(c, &m);
    if (rc) return rc;
    fv_job_defaults d = job_defaults(c);
    fv_joblist jl = {0, 0, NULL};
    fv_status ps = fv_jobs_parse_file(c->jobs, m, &d, c->skip_invalid, stderr, &jl);
    if (ps != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s; nothing rendered\n", fv_last_error());
        fv_model_free(m);
        return ps == FV_ERR_ARG ? 2 : 1;
    }
    rc = run_jobs(c, m, &jl);
    fv_jobs_free(&jl);
    fv_model_free(m);
    return rc;
}

/* The channel number of an appendix objective: the digits after its last ':'. */
static int objective_channel(const char *obj)
{
    const char *p = strrchr(obj, ':');
    return p ? atoi(p + 1) : -1;
}

int cmd_appendix(cli *c)
{
    if (!c->write_jobs) catch_signals();
    fv_model *m;
    int rc = load_model(c, &m);
    if (rc) return rc;
    char buf[1024];
    const char *layers[64];
    int nl = 0;
    if (c->layers) {
        snprintf(buf, sizeof buf, "%s", c->layers);
        for (char *t = strtok(buf, ","); t && nl < 64; t = strtok(NULL, ",")) layers[nl++] = t;
    }
    fv_job_defaults d = job_defaults(c);
    fv_joblist jl = {0, 0, NULL};
    if (fv_jobs_appendix(m, layers, nl, c->post_relu, &d, &jl) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        fv_model_free(m);
        return 2;
    }
    if (c->channels > 0) { /* keep the first N channels of each layer */
        int w = 0;
        for (int i = 0; i < jl.n; i++)
            if (objective_channel(jl.jobs[i].objective) < c->channels) jl.jobs[w++] = jl.jobs[i];
        jl.n = w;
    }
    int images = 0;
    for (int i = 0; i < jl.n; i++) images += jl.jobs[i].diversity > 1 ? jl.jobs[i].diversity : 1;
    if (c->write_jobs) {
        if (fv_jobs_write(c->write_jobs, &jl) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            rc = 1;
        } else {
            printf("%d jobs, %d images -> %s\n", jl.n, images, c->write_jobs);
        }
    } else {
        rc = run_jobs(c, m, &jl);
    }
    fv_jobs_free(&jl);
    fv_model_free(m);
    return rc;
}

int cmd_gallery(cli *c)
{
    if (c->npos != 1) return usage_error("gallery takes the output folder of a batch run%s", "");
    fv_model *m = NULL;
    char buf[1024];
    const char *path = c->weights ? c->weights : default_weights(buf, sizeof buf);
    if (path && access(path, R_OK) == 0 && fv_model_load(path, c->model, &m) != FV_OK) m = NULL;
    if (!m) fprintf(stderr, "note: no model loaded; channels are not grouped by inception branch\n");
    fv_status s = fv_gallery_build(c->pos[0], m, c->thumb, stderr);
    if (s != FV_OK) fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
    fv_model_free(m);
    return s == FV_OK ? 0 : 1;
}

