/* The commands of featvis-cuda (main.c's dispatch table) and the option groups of their own, one file
 * per command group: cli_render.c (render), cli_batch.c (render --batch, appendix, gallery), cli_infer.c
 * (classify, activations, layers), cli_interp.c (interpolate), cli_figures.c (figures), cli_examples.c
 * (examples). Each command parses its options from the words after the command (args.h), calls the
 * library, prints, and returns the exit code: 0 done, 1 failed, 2 bad usage (batch runs: 3 some images
 * failed, 4 interrupted). */
#ifndef FV_CLI_H
#define FV_CLI_H

#include "args.h"

int cmd_render(const cli_argv *a);
int cmd_appendix(const cli_argv *a);
int cmd_gallery(const cli_argv *a);
int cmd_classify(const cli_argv *a);
int cmd_activations(const cli_argv *a);
int cmd_layers(const cli_argv *a);
int cmd_interpolate(const cli_argv *a);
int cmd_figures(const cli_argv *a);
int cmd_examples(const cli_argv *a);

/* The commands' own option groups (args.c lists them with the common ones). */
extern const cli_group CLI_RENDER_OWN; /* --json */
extern const cli_group CLI_BATCH;      /* --batch, --shard, --skip-invalid (render --batch, appendix) */
extern const cli_group CLI_APPENDIX;   /* --layers, --post-relu, --channels, --write-jobs */
extern const cli_group CLI_GALLERY;    /* --thumb */
extern const cli_group CLI_INFER;      /* --top, --labels, --layer (classify, activations, examples) */
extern const cli_group CLI_EXAMPLES;   /* --images, --crop */
extern const cli_group CLI_INTERP;     /* --frames, --alignment, --alignment-decay, --alignment-layers */
extern const cli_group CLI_FIGURES;    /* --which */

typedef struct cli_batch {
    const char *jobs;  /* --batch JOBS */
    const char *shard; /* --shard K/N */
    int skip_invalid;
} cli_batch;

typedef struct cli_infer {
    int top;            /* --top K (0: the command's default) */
    const char *labels; /* --labels FILE */
    const char *layer;  /* --layer L */
} cli_infer;

/* render --batch JOBS (cli_batch.c): the job file rendered into -o (default "out"), the render options
 * as the job lines' defaults. */
int cli_run_batch(const cli_common *c, const cli_render *r, const cli_batch *b, const char **pos, int npos);

#endif
