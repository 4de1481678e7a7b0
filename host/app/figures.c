/* The article's figures as contact sheets (figures.h): each sheet renders its cells with fv_render (or
 * fv_render_interpolation), records what made every cell, and writes one PNG with its provenance. */
#include "figures.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "contact.h"
#include "core/status.h"
#include "output.h"

#define MAX_CELLS 16

/* What the cells of a sheet came from: their canonical objectives and render settings. */
typedef struct cell_src {
    char obj[MAX_CELLS][512];
    fv_render_config cfg[MAX_CELLS];
} cell_src;

/* One run of the command: the model, the options, the objective's layer and channel (and a second
 * channel of that layer for the interaction and interpolation sheets), the cells being built. */
typedef struct figures {
    fv_model *m;
    const fv_figures_opts *o;
    char layer[256];
    int ch, other;
    fv_image imgs[MAX_CELLS];
    const char *lab[MAX_CELLS];
    cell_src src;
} figures;

/* Render items into f->imgs[at..at+nout), recording each image's objective and settings. */
static fv_status render_into(figures *f, const fv_render_config *cfg, const fv_render_item *items, int n, int at,
                             int nout)
{
    fv_render_result *r;
    int nr;
    FV_TRY(fv_render(f->m, cfg, items, n, &r, &nr, NULL, NULL));
    for (int i = 0; i < nr && i < nout; i++) {
        f->imgs[at + i] = r[i].image; /* take ownership of the pixels */
        r[i].image.rgb = NULL;
        snprintf(f->src.obj[at + i], sizeof f->src.obj[at + i], "%s", r[i].objective);
        f->src.cfg[at + i] = *cfg;
    }
    fv_render_results_free(r, nr);
    return FV_OK;
}

/* The featvis:objective (distinct objectives shown, one a line) and featvis:cells ("label = objective;
 * size=.. steps=.. ..." per cell, fv_provenance_describe) of a sheet of n cells. */
static void describe(const figures *f, int n, char *objs, size_t nobjs, char *lines, size_t nlines)
{
    char desc[FV_PROVENANCE_SETTINGS_MAX + 128];
    size_t no = 0, nl = 0;
    objs[0] = lines[0] = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int k = 0; k < i; k++) seen |= !strcmp(f->src.obj[k], f->src.obj[i]);
        if (!seen) no += snprintf(objs + no, nobjs - no, "%s%s", no ? "\n" : "", f->src.obj[i]);
        fv_provenance_describe(&f->src.cfg[i], f->o->init_path, desc, sizeof desc);
        nl += snprintf(lines + nl, nlines - nl, "%s%.400s = %s; %s", i ? "\n" : "", f->lab[i], f->src.obj[i], desc);
    }
}

/* Write DIR/<name>.png from the n cells with their provenance, then free the cells' pixels.
 * interp_frames > 0: the sheet shows the frames of an interpolation with the default alignment. */
static fv_status sheet(figures *f, const char *name, const char *title, int cols, int n, int interp_frames)
{
    fv_sheet_cell cells[MAX_CELLS];
    for (int i = 0; i < n; i++) cells[i] = (fv_sheet_cell){&f->imgs[i], f->lab[i]};
    char path[2048];
    snprintf(path, sizeof path, "%s/%s.png", f->o->dir, name);
    const size_t nobjs = MAX_CELLS * 513, nlines = MAX_CELLS * (512 + 400 + 64 + FV_PROVENANCE_SETTINGS_MAX);
    char *objs = malloc(nobjs), *lines = malloc(nlines);
    fv_status st = FV_OK;
    fv_image img = {0, 0, NULL};
    if (!objs || !lines) st = fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
    if (st == FV_OK) {
        describe(f, n, objs, nobjs, lines, nlines);
        char figure[64];
        snprintf(figure, sizeof figure, "%s", name);
        const fv_provenance prov = {.model = f->m, .cfg = f->o->cfg, .init_path = f->o->init_path,
                                    .objective = objs, .frame = -1, .frames = interp_frames, .figure = figure,
                                    .cells = lines};
        if ((st = fv_contact_sheet_render(title, cols, cells, n, 160, &img)) != FV_OK)
            st = fv_fail_ctx(st, "%s", path);
        else st = fv_provenance_write_png(path, &img, &prov); /* the message names the file */
    }
    fv_image_free(&img);
    free(objs), free(lines);
    for (int i = 0; i < n; i++) fv_image_free(&f->imgs[i]);
    if (st == FV_OK && f->o->log) fprintf(f->o->log, "wrote %s\n", path);
    return st;
}

/* Neuron, channel, DeepDream of the layer, and (with a classifier) class logit and probability. */
static fv_status objectives_sheet(figures *f)
{
    char t[5][300], l[5][340];
    snprintf(t[0], sizeof t[0], "neuron:%s:%d", f->layer, f->ch);
    snprintf(t[1], sizeof t[1], "%s:%d", f->layer, f->ch);
    snprintf(t[2], sizeof t[2], "deepdream:%s", f->layer);
    const char *cls = fv_model_num_classes(f->m) ? "285" : NULL;
    snprintf(t[3], sizeof t[3], "logit:%s", cls ? cls : "0");
    snprintf(t[4], sizeof t[4], "prob:%s", cls ? cls : "0");
    const int n = cls ? 5 : 3;
    fv_render_item it[5];
    for (int i = 0; i < n; i++) it[i] = (fv_render_item){t[i], 1};
    static const char *names[] = {"Neuron", "Channel", "Layer (DeepDream)", "Class logit", "Class probability"};
    for (int i = 0; i < n; i++) snprintf(l[i], sizeof l[i], "%s: %.300s", names[i], t[i]), f->lab[i] = l[i];
    FV_TRY(render_into(f, f->o->cfg, it, n, 0, MAX_CELLS));
    return sheet(f, "objectives", "Objectives", n, n, 0);
}

/* The objective alone, then a diversity group of 4. */
static fv_status diversity_sheet(figures *f)
{
    const fv_render_item it[2] = {{f->o->objective, 1}, {f->o->objective, 4}};
    char l[5][400];
    snprintf(l[0], sizeof l[0], "%.300s (alone)", f->o->objective);
    for (int i = 1; i < 5; i++) snprintf(l[i], sizeof l[i], "diversity %d of 4", i);
    for (int i = 0; i < 5; i++) f->lab[i] = l[i];
    FV_TRY(render_into(f, f->o->cfg, it, 2, 0, MAX_CELLS));
    return sheet(f, "diversity", "Diversity", 5, 5, 0);
}

/* snprintf into a cell's text, cut where a (very long) layer name leaves no room, as it always was. */
static void text(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void text(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

/* Two channels, their sum, difference and a weighted sum. */
static fv_status interaction_sheet(figures *f)
{
    const char *layer = f->layer;
    char t[5][300];
    text(t[0], sizeof t[0], "%s:%d", layer, f->ch);
    text(t[1], sizeof t[1], "%s:%d", layer, f->other);
    text(t[2], sizeof t[2], "%s:%d+%s:%d", layer, f->ch, layer, f->other);
    text(t[3], sizeof t[3], "%s:%d-%s:%d", layer, f->ch, layer, f->other);
    text(t[4], sizeof t[4], "%s:%d+0.5*%s:%d", layer, f->ch, layer, f->other);
    fv_render_item it[5];
    for (int i = 0; i < 5; i++) it[i] = (fv_render_item){t[i], 1}, f->lab[i] = t[i];
    FV_TRY(render_into(f, f->o->cfg, it, 5, 0, MAX_CELLS));
    return sheet(f, "interaction", "Neuron interaction: two channels, their sum, difference, weighted sum", 5, 5, 0);
}

/* The article's interpolation: channel ch -> other in 6 aligned frames sharing low-resolution terms. */
static fv_status interpolation_sheet(figures *f)
{
    char t[2][300], l[6][64];
    snprintf(t[0], sizeof t[0], "%s:%d", f->layer, f->ch);
    snprintf(t[1], sizeof t[1], "%s:%d", f->layer, f->other);
    fv_render_result *r;
    int nr = 0;
    FV_TRY(fv_render_interpolation(f->m, f->o->cfg, t[0], t[1], 6, NULL, &r, &nr, NULL, NULL));
    for (int i = 0; i < nr; i++) {
        f->imgs[i] = r[i].image; /* take ownership of the pixels */
        r[i].image.rgb = NULL;
        snprintf(l[i], sizeof l[i], "frame %d (%.0f%% B)", i, 100.0 * i / (nr - 1));
        f->lab[i] = l[i];
        snprintf(f->src.obj[i], sizeof f->src.obj[i], "%s", r[i].objective);
        f->src.cfg[i] = *f->o->cfg;
    }
    fv_render_results_free(r, nr);
    char title[700];
    snprintf(title, sizeof title, "Interpolation: %.300s -> %.300s", t[0], t[1]);
    return sheet(f, "interpolation", title, nr, nr, nr);
}

/* From the "enemy of feature visualization" to the article's recipe. Penalty weights are per image sums
 * over pixels, so they scale with the image size; these suit --size 128..224. */
static fv_status regularisation_sheet(figures *f)
{
    static const struct {
        const char *label;
        int pixel, decorrelate;
        fv_preset preset;
        float tv, l1, blur;
    } v[8] = {
        {"pixels, no decorrelation, no transforms", 1, 0, FV_PRESET_NONE, 0, 0, 0},
        {"pixels + total variation", 1, 0, FV_PRESET_NONE, 0.05f, 0, 0},
        {"pixels + blur each step", 1, 0, FV_PRESET_NONE, 0, 0, 1.0f},
        {"pixels + L1", 1, 0, FV_PRESET_NONE, 0, 0.01f, 0},
        {"pixels + transforms", 1, 0, FV_PRESET_ARTICLE, 0, 0, 0},
        {"FFT (1/f), no decorrelation, no transforms", 0, 0, FV_PRESET_NONE, 0, 0, 0},
        {"FFT + decorrelation, no transforms", 0, 1, FV_PRESET_NONE, 0, 0, 0},
        {"FFT + decorrelation + transforms (the article)", 0, 1, FV_PRESET_ARTICLE, 0, 0, 0},
    };
    fv_status st = FV_OK;
    int n = 0;
    for (int i = 0; i < 8 && st == FV_OK; i++, n++) {
        fv_render_config cfg = *f->o->cfg;
        cfg.param_pixel = v[i].pixel;
        cfg.decorrelate = v[i].decorrelate;
        cfg.preset = v[i].preset;
        cfg.tv_weight = v[i].tv;
        cfg.l1_weight = v[i].l1;
        cfg.blur_weight = v[i].blur;
        const fv_render_item it = {f->o->objective, 1};
        st = render_into(f, &cfg, &it, 1, i, 1);
        f->lab[i] = v[i].label;
    }
    char title[400];
    snprintf(title, sizeof title, "The spectrum of regularisation: %.300s", f->o->objective);
    if (st == FV_OK) return sheet(f, "regularisation", title, 4, 8, 0);
    for (int i = 0; i < n; i++) fv_image_free(&f->imgs[i]);
    return st;
}

static int wants(const char *which, const char *name) { return !which || !strcmp(which, "all") || strstr(which, name); }

fv_status fv_figures_render(fv_model *m, const fv_figures_opts *o)
{
    figures *f = calloc(1, sizeof *f);
    if (!f) return fv_fail(FV_ERR_NOMEM, "figures: out of memory");
    f->m = m;
    f->o = o;
    /* the layer and channel of the objective, for the layer-wide and interaction figures */
    snprintf(f->layer, sizeof f->layer, "mixed4a");
    f->ch = 97;
    const char *obj = o->objective, *colon = strrchr(obj, ':');
    if (colon && colon != obj) {
        snprintf(f->layer, sizeof f->layer, "%.*s", (int)(colon - obj), obj[0] == '-' ? obj + 1 : obj);
        f->ch = atoi(colon + 1);
    }
    int lc, lh, lw;
    f->other = fv_model_layer_shape(m, f->layer, o->cfg->size, &lc, &lh, &lw) == FV_OK ? (f->ch + lc / 3) % lc : 0;
    fv_status st = FV_OK;
    if (st == FV_OK && wants(o->which, "objectives")) st = objectives_sheet(f);
    if (st == FV_OK && wants(o->which, "diversity")) st = diversity_sheet(f);
    if (st == FV_OK && wants(o->which, "interaction")) st = interaction_sheet(f);
    if (st == FV_OK && wants(o->which, "interpolation")) st = interpolation_sheet(f);
    if (st == FV_OK && wants(o->which, "regularisation")) st = regularisation_sheet(f);
    free(f);
    return st;
}
