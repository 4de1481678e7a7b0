/* The one output module of rendered images (output.h): provenance tEXt keys, file names, the PNG write,
 * render's summary and --json lines, interpolate's frame lines and the batch journal line. */
#define _POSIX_C_SOURCE 200809L
#include "output.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/status.h"
#include "core/text.h"
#include "io/jsonw.h"

/* ---------- provenance ---------- */

void fv_provenance_settings(const fv_render_config *cfg, const char *init_path, char *buf, size_t n)
{
    snprintf(buf, n,
             "param=%s decorrelate=%d lr=%g redirect_steps=%d tv=%g l1=%g l2=%g blur=%g diversity_weight=%g "
             "init=%.1000s",
             cfg->param_pixel ? "pixel" : "fft", cfg->decorrelate, cfg->lr, cfg->redirect_steps, cfg->tv_weight,
             cfg->l1_weight, cfg->l2_weight, cfg->blur_weight, cfg->diversity_weight,
             cfg->init && init_path ? init_path : "none");
}

void fv_provenance_describe(const fv_render_config *cfg, const char *init_path, char *buf, size_t n)
{
    char settings[FV_PROVENANCE_SETTINGS_MAX];
    fv_provenance_settings(cfg, init_path, settings, sizeof settings);
    snprintf(buf, n, "size=%d steps=%d seed=%llu preset=%s %s", cfg->size, cfg->steps,
             (unsigned long long)cfg->seed, fv_preset_name(cfg->preset), settings);
}

void fv_provenance_alignment(const fv_provenance *p, char *buf, size_t n)
{
    fv_alignment def;
    fv_alignment_default(&def);
    const fv_alignment *a = p->align ? p->align : &def;
    char layers[600] = "default";
    size_t k = 0;
    for (int i = 0; i < a->nlayers && k < sizeof layers; i++)
        k += snprintf(layers + k, sizeof layers - k, "%s%.200s", i ? "," : "", a->layers[i]);
    snprintf(buf, n, "weight=%g decay=%g layers=%s frames=%d", a->weight, a->decay, layers, p->frames);
}

/* The model's input convention, as the PNG's featvis:preprocess and the --json "preprocess" give it. */
#define FV_PROVENANCE_PREPROCESS_MAX 256
static void fv_provenance_preprocess(const fv_model *m, char *buf, size_t n)
{
    fv_preprocess p;
    if (fv_model_preprocess(m, &p) == FV_OK) fv_preprocess_describe(&p, buf, n);
    else snprintf(buf, n, "unknown");
}

fv_status fv_provenance_write_png(const char *path, const fv_image *img, const fv_provenance *p)
{
    if (!p || !p->model || !p->cfg || !p->objective)
        return fv_fail(FV_ERR_ARG, "%s: provenance needs the model, the render config and the objective",
                       path ? path : "(null)");
    const fv_render_config *cfg = p->cfg;
    char size[16], steps[16], seed[32], settings[FV_PROVENANCE_SETTINGS_MAX], frame[32], align[800];
    snprintf(size, sizeof size, "%d", cfg->size);
    snprintf(steps, sizeof steps, "%d", cfg->steps);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)cfg->seed);
    fv_provenance_settings(cfg, p->init_path, settings, sizeof settings);
    const char *keys[16] = {"Software", "featvis:objective", "featvis:model", "featvis:size", "featvis:steps",
                            "featvis:seed", "featvis:preset", "featvis:version", "featvis:settings"};
    const char *vals[16] = {"featvis-cuda " FV_VERSION, p->objective, fv_model_name(p->model), size, steps, seed,
                            fv_preset_name(cfg->preset), FV_VERSION, settings};
    int n = 9;
    if (p->job_key) keys[n] = "featvis:key", vals[n++] = p->job_key;
    if (p->frames > 0) {
        if (p->frame >= 0) {
            snprintf(frame, sizeof frame, "%d/%d", p->frame, p->frames);
            keys[n] = "featvis:frame", vals[n++] = frame;
        }
        fv_provenance_alignment(p, align, sizeof align);
        keys[n] = "featvis:alignment", vals[n++] = align;
    }
    if (p->figure) keys[n] = "featvis:figure", vals[n++] = p->figure;
    if (p->cells) keys[n] = "featvis:cells", vals[n++] = p->cells;
    char pre[FV_PROVENANCE_PREPROCESS_MAX];
    if (!fv_model_preprocess_implied(p->model)) {
        fv_provenance_preprocess(p->model, pre, sizeof pre);
        keys[n] = "featvis:preprocess", vals[n++] = pre;
    }
    return fv_image_write_png(path, img, keys, vals, n);
}

/* ---------- file names ---------- */

/* An objective as a file name: 299 bytes at most, as always. */
#define NAME_MAX_BYTES 300

void fv_output_render_path(const char *out, int single_file, const fv_render_result *r, char *buf, size_t n)
{
    if (single_file) {
        snprintf(buf, n, "%s", out);
        return;
    }
    char name[NAME_MAX_BYTES];
    fv_text_slug(r->objective, ".-+", " ", name, sizeof name);
    if (r->count > 1) snprintf(buf, n, "%s/%s_div%d.png", out, name, r->index);
    else snprintf(buf, n, "%s/%s.png", out, name);
}

void fv_output_frame_path(const char *dir, const char *objective, int frame, char *buf, size_t n)
{
    char name[NAME_MAX_BYTES];
    fv_text_slug(objective, ".-+", NULL, name, sizeof name);
    snprintf(buf, n, "%s/%s_frame%d.png", dir, name, frame);
}

void fv_output_job_file(const fv_job *job, int index, char *buf, size_t n)
{
    if (job->diversity > 1) snprintf(buf, n, "%s_div%d.png", job->stem, index);
    else snprintf(buf, n, "%s.png", job->stem);
}

/* ---------- lines ---------- */

/* The JSON members both the --json lines and the journal carry. */
static void json_values(FILE *f, const fv_render_result *r)
{
    fprintf(f, ", \"objective_first\": %.6g, \"objective_last\": %.6g, \"seconds\": %.3f", r->obj_first, r->obj_last,
            r->seconds);
}

static void json_diversity(FILE *f, const fv_render_result *r)
{
    if (r->count > 1) fprintf(f, ", \"diversity_first\": %.6g, \"diversity_last\": %.6g", r->div_first, r->div_last);
}

static void json_line(FILE *f, const fv_output_run *run, const fv_render_result *r, const char *path)
{
    const fv_render_config *cfg = run->cfg;
    char settings[FV_PROVENANCE_SETTINGS_MAX], pre[FV_PROVENANCE_PREPROCESS_MAX];
    fv_provenance_settings(cfg, run->init_path, settings, sizeof settings);
    fv_provenance_preprocess(run->model, pre, sizeof pre);
    fputs("{\"objective\": ", f);
    fv_json_write_str(f, r->objective);
    fprintf(f, ", \"index\": %d, \"file\": ", r->index);
    fv_json_write_str(f, path);
    json_values(f, r);
    fprintf(f, ", \"size\": %d, \"steps\": %d, \"seed\": %llu, \"preset\": \"%s\", \"model\": \"%s\", "
               "\"backend\": \"%s\", \"settings\": ",
            cfg->size, cfg->steps, (unsigned long long)cfg->seed, fv_preset_name(cfg->preset),
            fv_model_name(run->model), fv_backend_name(run->backend));
    fv_json_write_str(f, settings);
    fputs(", \"preprocess\": ", f);
    fv_json_write_str(f, pre);
    json_diversity(f, r);
    fputs("}\n", f);
}

static void summary_line(FILE *f, const fv_render_result *r, const char *path)
{
    if (r->count > 1)
        fprintf(f, "%-28s objective %9.4g -> %9.4g  diversity %7.4g -> %7.4g  %7.1f s  %s\n", r->objective,
                r->obj_first, r->obj_last, r->div_first, r->div_last, r->seconds, path);
    else
        fprintf(f, "%-28s objective %9.4g -> %9.4g  %7.1f s  %s\n", r->objective, r->obj_first, r->obj_last,
                r->seconds, path);
}

fv_status fv_output_render(const fv_output_run *run, const char *out, int single_file, int json,
                           const fv_render_result *res, int n, FILE *f)
{
    for (int i = 0; i < n; i++) {
        char path[2048];
        fv_output_render_path(out, single_file, &res[i], path, sizeof path);
        const fv_provenance prov = {.model = run->model, .cfg = run->cfg, .init_path = run->init_path,
                                    .objective = res[i].objective};
        FV_TRY(fv_provenance_write_png(path, &res[i].image, &prov));
        if (json) json_line(f, run, &res[i], path);
        else summary_line(f, &res[i], path);
    }
    return FV_OK;
}

fv_status fv_output_frames(const fv_output_run *run, const char *dir, const fv_alignment *al,
                           const fv_render_result *res, int n, FILE *f)
{
    for (int i = 0; i < n; i++) {
        char path[2048];
        fv_output_frame_path(dir, res[0].objective, i, path, sizeof path);
        const fv_provenance prov = {.model = run->model, .cfg = run->cfg, .init_path = run->init_path,
                                    .objective = res[i].objective, .frame = i, .frames = n, .align = al};
        FV_TRY(fv_provenance_write_png(path, &res[i].image, &prov));
        fprintf(f, "%-28s frame %d/%d (w %.3f)  objective %9.4g -> %9.4g  %7.1f s  %s\n", res[i].objective, i, n,
                (double)i / (n - 1), res[i].obj_first, res[i].obj_last, res[i].seconds, path);
    }
    return FV_OK;
}

fv_status fv_output_job_image(const char *out_dir, const fv_model *m, const fv_job *job, const fv_render_config *cfg,
                              const char *init_path, int index, const fv_render_result *r, char *rel, size_t nrel)
{
    char path[4096], dir[4096];
    fv_output_job_file(job, index, rel, nrel);
    snprintf(path, sizeof path, "%s/%s", out_dir, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = 0;
    FV_TRY(fv_mkdirs(dir));
    const fv_provenance prov = {.model = m, .cfg = cfg, .init_path = init_path, .objective = job->objective,
                                .job_key = job->key};
    /* A run killed between creating its temporary file and the rename left it behind; the image was never
     * journalled, so it is rendered again and lands here. Shards never share an image path, so no other
     * live process owns those files. */
    fv_atomic_clear_leftovers(path);
    FV_TRY(fv_provenance_write_png(path, &r->image, &prov));
    fv_fsync_parent(path);
    return FV_OK;
}

fv_status fv_output_journal_line(FILE *f, const char *journal_path, const fv_model *m, const fv_job *job,
                                 const fv_render_config *cfg, const char *init_path, int index, const char *file,
                                 const fv_render_result *r, const char *error)
{
    char layer[512], ts[32], settings[FV_PROVENANCE_SETTINGS_MAX];
    fv_provenance_settings(cfg, init_path, settings, sizeof settings);
    snprintf(layer, sizeof layer, "%s", job->stem);
    char *slash = strchr(layer, '/');
    if (slash) *slash = 0;
    time_t now = time(NULL);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fputs("{\"key\": ", f);
    fv_json_write_str(f, job->key);
    fprintf(f, ", \"index\": %d, \"count\": %d, \"objective\": ", index, job->diversity > 1 ? job->diversity : 1);
    fv_json_write_str(f, job->objective);
    fputs(", \"layer\": ", f);
    fv_json_write_str(f, layer);
    if (error) {
        fputs(", \"status\": \"failed\", \"error\": ", f);
        fv_json_write_str(f, error);
    } else {
        fputs(", \"file\": ", f);
        fv_json_write_str(f, file);
        fputs(", \"status\": \"ok\"", f);
    }
    fprintf(f, ", \"seed\": %llu, \"size\": %d, \"steps\": %d, \"preset\": \"%s\", \"settings\": ",
            (unsigned long long)job->seed, job->size, job->steps, fv_preset_name(job->preset));
    fv_json_write_str(f, settings);
    if (r) json_values(f, r);
    if (r) json_diversity(f, r);
    fprintf(f, ", \"model\": \"%s\", \"time\": \"%s\"}\n", fv_model_name(m), ts);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        return fv_fail(FV_ERR_IO, "%s: cannot write the journal: %s", journal_path, strerror(errno));
    return FV_OK;
}
