/* `featvis-cuda figures`: the article's main figures as labelled contact sheets, each from real renders:
 * objectives (neuron, channel, layer/DeepDream, logit, probability), diversity, neuron interaction
 * (two channels and their sums), interpolation (channel -> another, aligned frames) and the spectrum of regularisation (pixel vs FFT parameterisation,
 * decorrelation, transforms, penalties). One objective (default mixed4a:97) drives them. Each sheet carries
 * the common provenance keys (host/provenance.h), the objectives shown, and one line per cell with
 * everything that made its image (featvis:cells). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "app/contact.h"
#include "app/provenance.h"

typedef struct variant {
    const char *label;
    int pixel, decorrelate;
    fv_preset preset;
    float tv, l1, blur;
} variant;

/* What the cells of a sheet came from: their canonical objectives and render settings. */
typedef struct cell_src {
    char obj[16][512];
    fv_render_config cfg[16];
} cell_src;

/* Render items into out[0..nout), recording each image's objective and settings in src from cell `at`. */
static int render_into(fv_model *m, const fv_render_config *cfg, const fv_render_item *items, int n, fv_image *out,
                       int nout, cell_src *src, int at)
{
    fv_render_result *r;
    int nr;
    if (fv_render(m, cfg, items, n, &r, &nr, NULL, NULL) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    for (int i = 0; i < nr && i < nout; i++) {
        out[i] = r[i].image; /* take ownership of the pixels */
        r[i].image.rgb = NULL;
        snprintf(src->obj[at + i], sizeof src->obj[at + i], "%s", r[i].objective);
        src->cfg[at + i] = *cfg;
    }
    fv_render_results_free(r, nr);
    return 0;
}

/* Write DIR/<name>.png with its provenance: the run's settings, the distinct objectives shown (one a
 * line) and a line per cell, "label = objective; size=.. steps=.. ..." (fv_provenance_describe).
 * interp_frames > 0: the sheet shows the frames of an interpolation with the default alignment. */
static int sheet(const cli *c, const fv_model *m, const char *dir, const char *name, const char *title, int cols,
                 fv_image *imgs, const char **labels, const cell_src *src, int n, int interp_frames)
{
    fv_sheet_cell cells[16];
    for (int i = 0; i < n; i++) cells[i] = (fv_sheet_cell){&imgs[i], labels[i]};
    char path[2048];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    const size_t cap = 16 * (512 + 400 + 64 + FV_PROVENANCE_SETTINGS_MAX);
    char *objs = malloc(16 * 513), *lines = malloc(cap), desc[FV_PROVENANCE_SETTINGS_MAX + 128];
    if (!objs || !lines) {
        free(objs), free(lines);
        fprintf(stderr, "featvis-cuda: %s: out of memory\n", path);
        return 1;
    }
    size_t no = 0, nl = 0;
    objs[0] = lines[0] = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int k = 0; k < i; k++) seen |= !strcmp(src->obj[k], src->obj[i]);
        if (!seen) no += snprintf(objs + no, 16 * 513 - no, "%s%s", no ? "\n" : "", src->obj[i]);
        fv_provenance_describe(&src->cfg[i], c->init_path, desc, sizeof desc);
        nl += snprintf(lines + nl, cap - nl, "%s%.400s = %s; %s", i ? "\n" : "", labels[i], src->obj[i], desc);
    }
    char figure[64];
    snprintf(figure, sizeof figure, "%s", name);
    const fv_provenance prov = {.model = m, .cfg = &c->cfg, .init_path = c->init_path, .objective = objs,
                                .frame = -1, .frames = interp_frames, .align = NULL, .figure = figure,
                                .cells = lines};
    fv_image img;
    int rc = 0;
    if (fv_contact_sheet_render(title, cols, cells, n, 160, &img) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s: %s\n", path, fv_last_error());
        rc = 1;
    } else if (fv_provenance_write_png(path, &img, &prov) != FV_OK) { /* the message names the file */
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        rc = 1;
    }
    fv_image_free(&img);
    free(objs), free(lines);
    if (rc) return 1;
    fprintf(stderr, "wrote %s\n", path);
    return 0;
}

static int wants(const char *which, const char *name) { return !which || !strcmp(which, "all") || strstr(which, name); }

int cmd_figures(cli *c)
{
    const char *obj = c->npos ? c->pos[0] : "mixed4a:97";
    const char *dir = c->output ? c->output : "figures";
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "featvis-cuda: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    fv_model *m;
    int rc = load_model(c, &m);
    if (rc) return rc;
    if (fv_objective_check(m, obj, c->cfg.size) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        fv_model_free(m);
        return 2;
    }
    /* the layer and channel of the objective, for the layer-wide and interaction figures */
    char layer[256] = "mixed4a";
    int ch = 97;
    const char *colon = strrchr(obj, ':');
    if (colon && colon != obj) {
        snprintf(layer, sizeof layer, "%.*s", (int)(colon - obj), obj[0] == '-' ? obj + 1 : obj);
        ch = atoi(colon + 1);
    }
    int lc, lh, lw;
    int other = fv_model_layer_shape(m, layer, c->cfg.size, &lc, &lh, &lw) == FV_OK ? (ch + lc / 3) % lc : 0;
    fv_image imgs[16];
    memset(imgs, 0, sizeof imgs);
    static cell_src src; /* 16 objectives and configs: too big for the stack frame */
    char t[8][300];
    const char *lab[16];
    if (!rc && wants(c->which, "objectives")) {
        snprintf(t[0], sizeof t[0], "neuron:%s:%d", layer, ch);
        snprintf(t[1], sizeof t[1], "%s:%d", layer, ch);
        snprintf(t[2], sizeof t[2], "deepdream:%s", layer);
        const char *cls = fv_model_num_classes(m) ? "285" : NULL;
        snprintf(t[3], sizeof t[3], "logit:%s", cls ? cls : "0");
        snprintf(t[4], sizeof t[4], "prob:%s", cls ? cls : "0");
        int n = cls ? 5 : 3;
        fv_render_item it[5];
        for (int i = 0; i < n; i++) it[i] = (fv_render_item){t[i], 1};
        static const char *names[] = {"Neuron", "Channel", "Layer (DeepDream)", "Class logit", "Class probability"};
        char l[5][340];
        for (int i = 0; i < n; i++) snprintf(l[i], sizeof l[i], "%s: %.300s", names[i], t[i]), lab[i] = l[i];
        rc = render_into(m, &c->cfg, it, n, imgs, 16, &src, 0) ||
             sheet(c, m, dir, "objectives", "Objectives", n, imgs, lab, &src, n, 0);
        for (int i = 0; i < n; i++) fv_image_free(&imgs[i]);
    }
    if (!rc && wants(c->which, "diversity")) {
        fv_render_item it[2] = {{obj, 1}, {obj, 4}};
        char l[5][400];
        snprintf(l[0], sizeof l[0], "%.300s (alone)", obj);
        for (int i = 1; i < 5; i++) snprintf(l[i], sizeof l[i], "diversity %d of 4", i);
        for (int i = 0; i < 5; i++) lab[i] = l[i];
        rc = render_into(m, &c->cfg, it, 2, imgs, 16, &src, 0) ||
             sheet(c, m, dir, "diversity", "Diversity", 5, imgs, lab, &src, 5, 0);
        for (int i = 0; i < 5; i++) fv_image_free(&imgs[i]);
    }
    if (!rc && wants(c->which, "interaction")) {
        snprintf(t[0], sizeof t[0], "%s:%d", layer, ch);
        snprintf(t[1], sizeof t[1], "%s:%d", layer, other);
        snprintf(t[2], sizeof t[2], "%s:%d+%s:%d", layer, ch, layer, other);
        snprintf(t[3], sizeof t[3], "%s:%d-%s:%d", layer, ch, layer, other);
        snprintf(t[4], sizeof t[4], "%s:%d+0.5*%s:%d", layer, ch, layer, other);
        fv_render_item it[5];
        for (int i = 0; i < 5; i++) it[i] = (fv_render_item){t[i], 1}, lab[i] = t[i];
        rc = render_into(m, &c->cfg, it, 5, imgs, 16, &src, 0) ||
             sheet(c, m, dir, "interaction", "Neuron interaction: two channels, their sum, difference, weighted sum",
                   5, imgs, lab, &src, 5, 0);
        for (int i = 0; i < 5; i++) fv_image_free(&imgs[i]);
    }
    if (!rc && wants(c->which, "interpolation")) {
        /* the article's interpolation: channel ch -> other in 6 aligned frames sharing lowres terms */
        snprintf(t[0], sizeof t[0], "%s:%d", layer, ch);
        snprintf(t[1], sizeof t[1], "%s:%d", layer, other);
        fv_render_result *r;
        int nr = 0;
        if (fv_render_interpolation(m, &c->cfg, t[0], t[1], 6, NULL, &r, &nr, NULL, NULL) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            rc = 1;
        } else {
            char l[6][64];
            for (int i = 0; i < nr; i++) {
                imgs[i] = r[i].image; /* take ownership of the pixels */
                r[i].image.rgb = NULL;
                snprintf(l[i], sizeof l[i], "frame %d (%.0f%% B)", i, 100.0 * i / (nr - 1));
                lab[i] = l[i];
                snprintf(src.obj[i], sizeof src.obj[i], "%s", r[i].objective);
                src.cfg[i] = c->cfg;
            }
            fv_render_results_free(r, nr);
            char title[700];
            snprintf(title, sizeof title, "Interpolation: %.300s -> %.300s", t[0], t[1]);
            rc = sheet(c, m, dir, "interpolation", title, nr, imgs, lab, &src, nr, nr);
            for (int i = 0; i < nr; i++) fv_image_free(&imgs[i]);
        }
    }
    if (!rc && wants(c->which, "regularisation")) {
        /* From the "enemy of feature visualization" to the article's recipe. Penalty weights are per image
         * sums over pixels, so they scale with the image size; these suit --size 128..224. */
        static const variant v[8] = {
            {"pixels, no decorrelation, no transforms", 1, 0, FV_PRESET_NONE, 0, 0, 0},
            {"pixels + total variation", 1, 0, FV_PRESET_NONE, 0.05f, 0, 0},
            {"pixels + blur each step", 1, 0, FV_PRESET_NONE, 0, 0, 1.0f},
            {"pixels + L1", 1, 0, FV_PRESET_NONE, 0, 0.01f, 0},
            {"pixels + transforms", 1, 0, FV_PRESET_ARTICLE, 0, 0, 0},
            {"FFT (1/f), no decorrelation, no transforms", 0, 0, FV_PRESET_NONE, 0, 0, 0},
            {"FFT + decorrelation, no transforms", 0, 1, FV_PRESET_NONE, 0, 0, 0},
            {"FFT + decorrelation + transforms (the article)", 0, 1, FV_PRESET_ARTICLE, 0, 0, 0},
        };
        int n = 0;
        for (int i = 0; i < 8 && !rc; i++, n++) {
            fv_render_config cfg = c->cfg;
            cfg.param_pixel = v[i].pixel;
            cfg.decorrelate = v[i].decorrelate;
            cfg.preset = v[i].preset;
            cfg.tv_weight = v[i].tv;
            cfg.l1_weight = v[i].l1;
            cfg.blur_weight = v[i].blur;
            fv_render_item it = {obj, 1};
            rc = render_into(m, &cfg, &it, 1, &imgs[i], 1, &src, i);
            lab[i] = v[i].label;
        }
        char title[400];
        snprintf(title, sizeof title, "The spectrum of regularisation: %.300s", obj);
        if (!rc) rc = sheet(c, m, dir, "regularisation", title, 4, imgs, lab, &src, 8, 0);
        for (int i = 0; i < n; i++) fv_image_free(&imgs[i]);
    }
    fv_model_free(m);
    return rc;
}
