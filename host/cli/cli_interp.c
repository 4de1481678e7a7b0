/* `featvis-cuda interpolate OBJ_A OBJ_B`: the article's interpolation between two objectives
 * (fv_render_interpolation); the frames are written and described by the output module (app/output.h:
 * render's tEXt keys plus the frame and the alignment settings, one summary line per frame). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/output.h"
#include "cli.h"

typedef struct interp_opts {
    int frames;               /* --frames (0 = 6) */
    float alignment;          /* --alignment (default 0.1) */
    float align_decay;        /* --alignment-decay (0 = the default, 5) */
    const char *align_layers; /* --alignment-layers L1,L2 (NULL = the model's default) */
} interp_opts;

enum { P_FRAMES, P_ALIGN, P_DECAY, P_LAYERS };

static int apply_interp(void *dest, int id, const char *arg)
{
    interp_opts *o = dest;
    long v;
    switch (id) {
    case P_FRAMES:
        if (!cli_int("--frames", arg, 2, 64, &v)) return 2;
        o->frames = (int)v;
        return 0;
    case P_ALIGN: return cli_float("--alignment", arg, 0, 0, 1e30f, "a number >= 0", &o->alignment) ? 0 : 2;
    case P_DECAY: return cli_float("--alignment-decay", arg, 0, 1, 1e30f, "a number > 0", &o->align_decay) ? 0 : 2;
    default: o->align_layers = arg; return 0;
    }
}

static const struct option INTERP_OPTIONS[] = {{"frames", required_argument, 0, P_FRAMES},
                                               {"alignment", required_argument, 0, P_ALIGN},
                                               {"alignment-decay", required_argument, 0, P_DECAY},
                                               {"alignment-layers", required_argument, 0, P_LAYERS},
                                               {0, 0, 0, 0}};
const cli_group CLI_INTERP = {INTERP_OPTIONS, apply_interp, sizeof(interp_opts)};

/* The alignment settings of --alignment, --alignment-decay, --alignment-layers (layer names point into
 * buf); 0, or 2 after a usage error line. */
static int alignment(const interp_opts *o, fv_alignment *al, char *buf, size_t n)
{
    fv_alignment_default(al);
    al->weight = o->alignment;
    if (o->align_decay > 0) al->decay = o->align_decay;
    if (!o->align_layers) return 0;
    snprintf(buf, n, "%s", o->align_layers);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        if (al->nlayers == 8) return usage_error("--alignment-layers '%s': at most 8 layers", o->align_layers);
        al->layers[al->nlayers++] = t;
    }
    if (!al->nlayers)
        return usage_error("--alignment-layers '%s': expected layer names separated by commas", o->align_layers);
    return 0;
}

/* Check, render and write the frames. */
static int interpolate(fv_model *m, const cli_common *c, const cli_render *r, const interp_opts *o, const char **pos)
{
    const int frames = o->frames ? o->frames : 6;
    const char *out = c->output ? c->output : ".";
    const fv_render_config cfg = cli_render_config(c, r);
    for (int i = 0; i < 2; i++)
        if (fv_objective_check(m, pos[i], cfg.size) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            return 2;
        }
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "featvis-cuda: cannot create output folder %s: %s\n", out, strerror(errno));
        return 1;
    }
    fprintf(stderr, "interpolating %s -> %s: %d frames, %dx%d px, %d steps, seed %llu, alignment %g\n", pos[0],
            pos[1], frames, cfg.size, cfg.size, cfg.steps, (unsigned long long)cfg.seed, o->alignment);
    fv_render_result *res;
    int nres;
    fv_alignment al;
    char layers[1024];
    if (alignment(o, &al, layers, sizeof layers)) return 2;
    if (fv_render_interpolation(m, &cfg, pos[0], pos[1], frames, &al, &res, &nres, NULL, NULL) != FV_OK) {
        fprintf(stderr, "featvis-cuda: interpolate failed: %s\n", fv_last_error());
        return 1;
    }
    const fv_output_run run = {m, &cfg, r->init_path, c->backend};
    int rc = 0;
    if (fv_output_frames(&run, out, &al, res, nres, stdout) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        rc = 1;
    }
    fv_render_results_free(res, nres);
    return rc;
}

int cmd_interpolate(const cli_argv *a)
{
    cli_common c = {0};
    cli_render r;
    interp_opts o = {.alignment = 1e-1f}; /* the notebook's weight */
    cli_render_defaults(&r);
    const cli_use use[] = {{&CLI_COMMON, &c}, {&CLI_RENDER, &r}, {&CLI_INTERP, &o}};
    const char **pos;
    fv_model *m = NULL;
    int npos, rc = cli_parse(a, use, 3, &pos, &npos);
    if (!rc && npos != 2) rc = usage_error("interpolate needs two objectives, e.g. %s", "mixed4a:476 mixed4a:460");
    if (!rc && !(rc = load_model(&c, &m))) rc = interpolate(m, &c, &r, &o, pos);
    fv_model_free(m);
    free(pos);
    return rc;
}
