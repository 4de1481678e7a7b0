/* What the command line's files share: the parsed arguments and a few helpers (host/main.c), and the
 * batch commands (host/cli_batch.c: render --batch, appendix, gallery) and dataset examples
 * (host/cli_examples.c). */
#ifndef FV_CLI_H
#define FV_CLI_H

#include <stddef.h>

#include "featvis/featvis.h"

typedef struct cli {
    const char *command, *output, *weights, *labels, *layer;
    const char *jobs, *shard, *layers, *write_jobs, *which, *init_path;
    int skip_invalid, channels, thumb, diversity_given;
    fv_model_kind model;
    fv_render_config cfg;
    int json, top, diversity, verbose;
    const char *images; /* examples: --images DIR */
    int crop;           /* examples: --crop PX, side of each crop in the strips (0 = 96) */
    int size_given;     /* --size was on the command line (examples defaults to 224, not render's 128) */
    int frames;         /* interpolate: --frames (0 = 6) */
    float alignment;    /* interpolate: --alignment (default 0.1, set in main) */
    float align_decay;  /* interpolate: --alignment-decay (0 = the default, 5) */
    const char *align_layers; /* interpolate: --alignment-layers L1,L2 (NULL = the model's default) */
    int post_relu;      /* appendix: --post-relu (optimise the post-ReLU tensors instead of _pre_relu) */
    const char **pos;
    int npos;
    char **av, **marks; /* argv copy for getopt, with negative objectives hidden behind marks */
    const char **hidden;
    int argc;
} cli;

/* "featvis-cuda: <message> (see featvis-cuda --help)" on stderr; returns 2. */
int usage_error(const char *fmt, const char *arg);
/* $FEATVIS_WEIGHTS, else the cache path (written into buf); NULL if neither can be formed. */
const char *default_weights(char *buf, size_t n);
/* Load --weights or the default; 0 on success, else the exit code (an error line was printed). */
int load_model(cli *c, fv_model **m);

/* 1 if s ends with suf. */
int ends_with(const char *s, const char *suf);

int cmd_classify(cli *c);
int cmd_activations(cli *c);
int cmd_layers(cli *c);
int cmd_batch(cli *c);
int cmd_appendix(cli *c);
int cmd_gallery(cli *c);
int cmd_figures(cli *c);
/* examples --images DIR --layer L [-o OUT] [--top K] [--size S] [--crop PX] (host/cli_examples.c) */
int cmd_examples(cli *c);
/* interpolate OBJ_A OBJ_B [--frames N] [--alignment W] [-o DIR] (host/cli_interp.c) */
int cmd_interpolate(cli *c);
/* The alignment settings of --alignment, --alignment-decay, --alignment-layers (layer names point into
 * buf); 0, or 2 after a usage error line. */
int cli_alignment(const cli *c, fv_alignment *al, char *buf, size_t n);

#endif
