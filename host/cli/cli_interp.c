/* `featvis-cuda interpolate OBJ_A OBJ_B`: the article's interpolation between two objectives
 * (fv_render_interpolation), one PNG per frame with render's tEXt keys (host/provenance.h) plus the frame and
 * the alignment settings, and one summary line per frame. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "app/provenance.h"

/* File-name form of an objective pair: letters, digits, '.', '-', '+' kept, the rest as single '_'. */
static void slug(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++) {
        const char ch = *in;
        if (isalnum((unsigned char)ch) || ch == '.' || ch == '-' || ch == '+') out[k++] = ch;
        else if (k && out[k - 1] != '_') out[k++] = '_';
    }
    while (k && out[k - 1] == '_') k--;
    out[k] = 0;
}

int cli_alignment(const cli *c, fv_alignment *al, char *buf, size_t n)
{
    fv_alignment_default(al);
    al->weight = c->alignment;
    if (c->align_decay > 0) al->decay = c->align_decay;
    if (!c->align_layers) return 0;
    snprintf(buf, n, "%s", c->align_layers);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        if (al->nlayers == 8) return usage_error("--alignment-layers '%s': at most 8 layers", c->align_layers);
        al->layers[al->nlayers++] = t;
    }
    if (!al->nlayers) return usage_error("--alignment-layers '%s': expected layer names separated by commas", c->align_layers);
    return 0;
}

int cmd_interpolate(cli *c)
{
    if (c->npos != 2) return usage_error("interpolate needs two objectives, e.g. %s", "mixed4a:476 mixed4a:460");
    const int frames = c->frames ? c->frames : 6;
    const char *out = c->output ? c->output : ".";
    fv_model *m;
    int rc = load_model(c, &m);
    if (rc) return rc;
    for (int i = 0; i < 2; i++)
        if (fv_objective_check(m, c->pos[i], c->cfg.size) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            fv_model_free(m);
            return 2;
        }
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "featvis-cuda: cannot create output folder %s: %s\n", out, strerror(errno));
        fv_model_free(m);
        return 1;
    }
    fprintf(stderr, "interpolating %s -> %s: %d frames, %dx%d px, %d steps, seed %llu, alignment %g\n", c->pos[0],
            c->pos[1], frames, c->cfg.size, c->cfg.size, c->cfg.steps, (unsigned long long)c->cfg.seed, c->alignment);
    fv_render_result *res;
    int nres;
    fv_alignment al;
    char layers[1024];
    if (cli_alignment(c, &al, layers, sizeof layers)) {
        fv_model_free(m);
        return 2;
    }
    if (fv_render_interpolation(m, &c->cfg, c->pos[0], c->pos[1], frames, &al, &res, &nres, NULL, NULL) != FV_OK) {
        fprintf(stderr, "featvis-cuda: interpolate failed: %s\n", fv_last_error());
        fv_model_free(m);
        return 1;
    }
    char name[300];
    slug(res[0].objective, name, sizeof name);
    for (int i = 0; i < nres && !rc; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s_frame%d.png", out, name, i);
        const fv_provenance prov = {.model = m, .cfg = &c->cfg, .init_path = c->init_path,
                                    .objective = res[i].objective, .frame = i, .frames = nres, .align = &al};
        if (fv_provenance_write_png(path, &res[i].image, &prov) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            rc = 1;
            break;
        }
        printf("%-28s frame %d/%d (w %.3f)  objective %9.4g -> %9.4g  %7.1f s  %s\n", res[i].objective, i, nres,
               (double)i / (nres - 1), res[i].obj_first, res[i].obj_last, res[i].seconds, path);
    }
    fv_render_results_free(res, nres);
    fv_model_free(m);
    return rc;
}
