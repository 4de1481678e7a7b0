/* `featvis-cuda render OBJECTIVE...`: every objective in one batch (fv_render), each image written and
 * described by the output module (app/output.h); `render --batch JOBS` runs a job file (cli_batch.c).
 * Progress (steps/s, images/s, ETA) goes to stderr. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/jobs.h"
#include "app/output.h"
#include "cli.h"
#include "core/clock.h"
#include "core/text.h"
#include "render/transform.h"

typedef struct render_args {
    cli_common common;
    cli_render render;
    cli_batch batch;
    int json;
} render_args;

static int apply_own(void *dest, int id, const char *arg)
{
    (void)id, (void)arg;
    *(int *)dest = 1; /* --json */
    return 0;
}

static const struct option OWN_OPTIONS[] = {{"json", no_argument, 0, 0}, {0, 0, 0, 0}};
const cli_group CLI_RENDER_OWN = {OWN_OPTIONS, apply_own, sizeof(int)};

typedef struct progress_ctx {
    double t0, last;
    int tty;
} progress_ctx;

static void on_progress(void *vctx, int step, int steps, const float *obj, int n)
{
    progress_ctx *p = vctx;
    double t = fv_clock_now();
    if (step < steps && t - p->last < (p->tty ? 0.5 : 10.0)) return;
    p->last = t;
    double rate = step / (t - p->t0), mean = 0;
    for (int i = 0; i < n; i++) mean += obj[i];
    mean /= n;
    int eta = (int)((steps - step) / rate);
    fprintf(stderr, "%sstep %d/%d  %.2f steps/s  %.2f images/s  ETA %dm%02ds  mean objective %.4g%s",
            p->tty ? "\r" : "", step, steps, rate, rate * n / steps, eta / 60, eta % 60, mean,
            p->tty && step < steps ? "   " : "\n");
    fflush(stderr);
}

/* The objectives checked, the backend resolved (its notice printed), the output folder made: 0, or the
 * exit code after the error line. */
static int prepare(const fv_model *m, const render_args *r, const char **pos, int npos, const char *out,
                   int single_file, fv_backend_kind *be)
{
    for (int i = 0; i < npos; i++)
        if (fv_objective_check(m, pos[i], r->render.cfg.size) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            return 2;
        }
    const char *notice;
    if (fv_backend_resolve(r->common.backend, be, &notice) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    if (notice) fprintf(stderr, "%s\n", notice);
    if (!single_file && mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "featvis-cuda: cannot create output folder %s: %s\n", out, strerror(errno));
        return 1;
    }
    return 0;
}

/* Render the objectives into out and write/describe every image. */
static int render(fv_model *m, const render_args *r, const char **pos, int npos, const char *out, int single_file)
{
    fv_backend_kind be;
    int rc = prepare(m, r, pos, npos, out, single_file, &be);
    if (rc) return rc;
    const fv_render_config cfg = cli_render_config(&r->common, &r->render);
    const int count = r->render.diversity > 0 ? r->render.diversity : 1, total = npos * count;
    fprintf(stderr, "rendering %d image%s: %s, %dx%d px, %d steps, seed %llu, preset %s, backend %s\n", total,
            total > 1 ? "s" : "", fv_model_name(m), cfg.size, cfg.size, cfg.steps, (unsigned long long)cfg.seed,
            fv_preset_name(cfg.preset), fv_backend_name(be));
    fv_render_item *items = calloc(npos, sizeof *items);
    if (!items) return 1;
    for (int i = 0; i < npos; i++) items[i] = (fv_render_item){pos[i], count};
    progress_ctx pc = {fv_clock_now(), fv_clock_now(), isatty(2)};
    fv_render_result *res;
    int nres;
    fv_status st = fv_render(m, &cfg, items, npos, &res, &nres, on_progress, &pc);
    free(items);
    if (st != FV_OK) {
        fprintf(stderr, "featvis-cuda: render failed: %s\n", fv_last_error());
        return 1;
    }
    const fv_output_run run = {m, &cfg, r->render.init_path, be};
    if (fv_output_render(&run, out, single_file, r->json, res, nres, stdout) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        rc = 1;
    }
    fv_render_results_free(res, nres);
    return rc;
}

int cmd_render(const cli_argv *a)
{
    render_args r = {.json = 0};
    cli_render_defaults(&r.render);
    const cli_use use[] = {{&CLI_COMMON, &r.common}, {&CLI_RENDER, &r.render}, {&CLI_BATCH, &r.batch},
                           {&CLI_RENDER_OWN, &r.json}};
    const char **pos;
    int npos, rc = cli_parse(a, use, 4, &pos, &npos);
    if (!rc && r.batch.jobs) rc = cli_run_batch(&r.common, &r.render, &r.batch, pos, npos);
    else if (!rc && npos < 1) rc = usage_error("render needs at least one objective, e.g. %s", "mixed4a:97");
    else if (!rc) {
        const int total = npos * (r.render.diversity > 0 ? r.render.diversity : 1);
        const char *out = r.common.output ? r.common.output : ".";
        const int single_file = fv_text_ends_with(out, ".png");
        fv_model *m = NULL;
        if (single_file && total > 1)
            rc = usage_error("-o %s names one file, but this renders several images; give a folder", out);
        else if (!(rc = load_model(&r.common, &m))) rc = render(m, &r, pos, npos, out, single_file);
        fv_model_free(m);
    }
    free(pos);
    return rc;
}
