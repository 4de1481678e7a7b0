/* Option parsing shared by every command. A command names the option groups it reads, each with its own
 * struct: the common options (model, weights, backend, -o, -v, help, version) and the render options
 * (size, steps, seed, preset, penalties, ...) are defined here, a command's own options in its file.
 * cli_parse runs getopt_long over them in command-line order. Options of the other commands' groups are
 * still accepted, checked and ignored, as they always were, so one set of options can be handed to
 * several commands (a script's --weights/--backend/--size). */
#ifndef FV_CLI_ARGS_H
#define FV_CLI_ARGS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "featvis/featvis.h"

/* The words after the program name, with negative objectives ("-mixed4a:97") hidden from getopt behind
 * markers; cli_word gives a word back as typed. */
typedef struct cli_argv {
    int argc;
    char **av;           /* av[0] is the program (getopt skips it) */
    const char **hidden; /* by marker number: the word behind it */
    char **marks;
    int nmarks;
} cli_argv;

int cli_argv_init(cli_argv *a, int argc, char **argv);
void cli_argv_free(cli_argv *a);
const char *cli_word(const cli_argv *a, const char *w);

/* A group of options: getopt_long's table (ending in {0}; `val` is the group's own id) and the function
 * that stores one option into the group's struct. apply returns 0, the exit code after its one error
 * line (2 bad usage, 1 unreadable file), or -1 when the program is done (--help, --version). */
typedef struct cli_group {
    const struct option *options;
    int (*apply)(void *dest, int id, const char *arg);
    size_t size; /* of the group's struct: the scratch space other commands' options are checked into */
} cli_group;

/* A group a command reads and the struct its values go to. */
typedef struct cli_use {
    const cli_group *group;
    void *dest;
} cli_use;

/* Parse a's options: those of the groups in `use` into their structs (set to their defaults before),
 * those of every other known group checked and dropped. Positional words (unhidden) go to pos[0..*npos),
 * which the caller frees. Returns 0, -1 (done: --help or --version), or the exit code after the error. */
int cli_parse(const cli_argv *a, const cli_use *use, int nuse, const char ***pos, int *npos);

/* Where the command word is: the index in a->av of the first positional word (0: none), and whether
 * --batch is among the options (a silent scan; cli_parse reports any error). */
int cli_find_command(const cli_argv *a, int *batch);

/* ---------- the common options ---------- */

/* The input convention's options (args_pre.c): a preset, then the values given one by one over it. */
typedef struct cli_preprocess {
    const char *preset; /* --preprocess NAME (NULL: the model's own) */
    int order;          /* --order: 0 not given, 1 rgb, 2 bgr */
    int range_set, mean_set, std_set;
    float range[2], mean[3], std[3]; /* --range LO,HI, --mean A,B,C, --std A,B,C */
} cli_preprocess;

typedef struct cli_common {
    const char *output;      /* -o, --output (NULL: the command's default) */
    const char *weights;     /* --weights (NULL: $FEATVIS_WEIGHTS, then the cache) */
    fv_model_kind model;     /* --model */
    fv_backend_kind backend; /* --backend */
    int verbose;             /* -v */
    fv_backend_options backend_options; /* -v, --cudnn-*: read through cli_backend_options */
    int backend_options_set;            /* backend_options holds the defaults plus the flags given */
    cli_preprocess pre;                 /* --preprocess, --order, --range, --mean, --std */
    int pre_given;                      /* one of them was given */
} cli_common;
extern const cli_group CLI_COMMON;
/* The backend options the flags gave (-v, --cudnn-fwd-algo, --cudnn-bwd-algo, --cudnn-find,
 * --cudnn-workspace-mib), the defaults for the rest. */
fv_backend_options cli_backend_options(const cli_common *c);
/* The backend --backend names, opened with those options: one instance for all of a command's renders.
 * 0, or 1 after the error line. */
int cli_open_backend(const cli_common *c, fv_backend **be);

/* ---------- the render options (render, --batch, appendix, interpolate, figures; examples and layers
 * read --size, examples --batch-size) ---------- */

typedef struct cli_render {
    fv_render_config cfg; /* fv_render_config_default, then the options */
    const char *init_path;
    int diversity, diversity_given;
    int size_given;       /* --size was given (examples defaults to 224, not render's 128) */
} cli_render;
extern const cli_group CLI_RENDER;
void cli_render_defaults(cli_render *r);
/* The render config with the common options that belong in it (backend and its options, verbose). */
fv_render_config cli_render_config(const cli_common *c, const cli_render *r);

/* ---------- helpers for the commands' own options ---------- */

/* "featvis-cuda: <fmt with arg> (see featvis-cuda --help)" on stderr; returns 2. */
int usage_error(const char *fmt, const char *arg);
/* A whole number lo..hi from s into *out; else "featvis-cuda: OPT 'S': expected a whole number from LO to
 * HI" and 0. */
int cli_int(const char *opt, const char *s, long lo, long hi, long *out);
/* A number v from s with v > lo (strict) or v >= lo, and v <= hi, into *out; else the usage error
 * "OPT 'S': expected WHAT" and 0. */
int cli_float(const char *opt, const char *s, float lo, int strict, float hi, const char *what, float *out);

/* $FEATVIS_WEIGHTS, else the cache path (written into buf); NULL if neither can be formed. */
const char *default_weights(char *buf, size_t n);
/* Load --weights or the default, with the input convention the options give; 0 on success, else the exit
 * code (an error line was printed). */
int load_model(const cli_common *c, fv_model **m);
/* One input-convention option (C_PREPROCESS .. C_STD of args.c, as 0..4) into o: 0, or 2 after the usage line. */
int cli_apply_preprocess(cli_preprocess *o, int which, const char *arg);
/* The model's convention with the options over it, set on the model: 0, or 2 after the error line. */
int cli_preprocess_model(const cli_preprocess *o, fv_model *m);

/* The help text (usage.c). */
void cli_usage(FILE *f);

#endif
