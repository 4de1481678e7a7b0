/* The one writer of image provenance: the common tEXt keys every PNG carries, built from the model, the
 * render config and the objective, plus the extras of the command that wrote it (host/provenance.h). */
#include "provenance.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"

static const char *preset_name(fv_preset p)
{
    return p == FV_PRESET_ARTICLE ? "article" : p == FV_PRESET_LUCID ? "lucid" : "none";
}

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
             (unsigned long long)cfg->seed, preset_name(cfg->preset), settings);
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
                            preset_name(cfg->preset), FV_VERSION, settings};
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
    return fv_image_write_png(path, img, keys, vals, n);
}
