/* Option parsing shared by every command (args.h): the marker trick for negative objectives, getopt_long
 * over a command's groups plus every other known group, the common and render option groups, number
 * parsing with the one-line errors, and loading the model the common options name. */
#define _GNU_SOURCE
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/jobs.h"
#include "cli.h"
#include "io/image.h"
#include "render/transform.h"

/* Every option group of the program, for checking and ignoring the options of other commands. */
static const cli_group *const KNOWN[] = {&CLI_COMMON, &CLI_RENDER, &CLI_RENDER_OWN, &CLI_BATCH, &CLI_APPENDIX,
                                         &CLI_GALLERY, &CLI_INFER, &CLI_EXAMPLES, &CLI_INTERP, &CLI_FIGURES};
#define NKNOWN ((int)(sizeof KNOWN / sizeof *KNOWN))
#define GROUP_ID(g, k) (256 + (g) * 64 + (k)) /* getopt's value for option k (< 64) of known group g */

/* ---------- the words ---------- */

/* A negative objective ("-mixed4a:97") looks like an option to getopt: hide those behind a marker. */
static int is_negative_objective(const char *a) { return a[0] == '-' && isalpha((unsigned char)a[1]) && strchr(a, ':'); }

int cli_argv_init(cli_argv *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->argc = argc;
    a->av = calloc(argc + 1, sizeof *a->av);
    a->hidden = calloc(argc + 1, sizeof *a->hidden);
    a->marks = calloc(argc + 1, sizeof *a->marks);
    if (!a->av || !a->hidden || !a->marks) return fprintf(stderr, "featvis-cuda: out of memory\n"), 1;
    for (int i = 0; i < argc; i++) {
        a->av[i] = argv[i];
        if (i > 0 && is_negative_objective(argv[i]) && strcmp(argv[i - 1], "--weights") && strcmp(argv[i - 1], "-o")) {
            char *mark = a->marks[a->nmarks++] = malloc(16);
            if (!mark) return 1;
            snprintf(mark, 16, "\x01%d", i);
            a->hidden[i] = argv[i];
            a->av[i] = mark;
        }
    }
    return 0;
}

void cli_argv_free(cli_argv *a)
{
    for (int i = 0; a->marks && i < a->nmarks; i++) free(a->marks[i]);
    free(a->marks);
    free(a->av);
    free(a->hidden);
}

const char *cli_word(const cli_argv *a, const char *w) { return w[0] == '\x01' ? a->hidden[atoi(w + 1)] : w; }

/* ---------- getopt over the groups ---------- */

/* getopt_long's table of every known group; GROUP_ID(g, k) tells the group and the option apart. */
static struct option *all_options(void)
{
    int n = 0;
    for (int g = 0; g < NKNOWN; g++)
        for (const struct option *o = KNOWN[g]->options; o->name; o++) n++;
    struct option *t = calloc(n + 1, sizeof *t);
    if (!t) return NULL;
    n = 0;
    for (int g = 0; g < NKNOWN; g++)
        for (int k = 0; KNOWN[g]->options[k].name; k++) {
            t[n] = KNOWN[g]->options[k];
            t[n].flag = NULL;
            t[n++].val = GROUP_ID(g, k);
        }
    return t;
}

/* The table entry of a short option ('o' is --output, 'v' --verbose, 'h' --help). */
static int short_option(const struct option *t, int ch)
{
    const char *name = ch == 'o' ? "output" : ch == 'v' ? "verbose" : "help";
    for (int i = 0; t[i].name; i++)
        if (!strcmp(t[i].name, name)) return t[i].val;
    return -1;
}

/* One option into its group: the command's struct for a group it uses, else a scratch struct. */
static int apply(const cli_use *use, int nuse, void **scratch, int id, const char *arg)
{
    const int g = (id - 256) / 64, k = (id - 256) % 64;
    const cli_group *grp = KNOWN[g];
    void *dest = NULL;
    for (int u = 0; u < nuse; u++)
        if (use[u].group == grp) dest = use[u].dest;
    if (!dest) { /* an option of another command: checked, then dropped */
        if (!scratch[g] && !(scratch[g] = calloc(1, grp->size)))
            return fprintf(stderr, "featvis-cuda: out of memory\n"), 1;
        dest = scratch[g];
    }
    return grp->apply(dest, grp->options[k].val, arg);
}

int cli_parse(const cli_argv *a, const cli_use *use, int nuse, const char ***pos, int *npos)
{
    struct option *t = all_options();
    char **av = calloc(a->argc + 1, sizeof *av);
    void *scratch[NKNOWN] = {0};
    *pos = calloc(a->argc + 1, sizeof **pos);
    *npos = 0;
    int rc = t && av && *pos ? 0 : (fprintf(stderr, "featvis-cuda: out of memory\n"), 1);
    if (!rc) memcpy(av, a->av, sizeof *av * a->argc);
    opterr = 0;
    optind = 0; /* a fresh scan: main's search for the command word ran one before */
    int ch;
    while (!rc && (ch = getopt_long(a->argc, av, ":o:vh", t, NULL)) != -1) {
        const int id = ch >= 256 ? ch : ch == '?' || ch == ':' ? -1 : short_option(t, ch);
        if (ch == ':') rc = usage_error("option '%s' needs a value", av[optind - 1]);
        else if (id < 0) rc = usage_error("unknown option '%s'", av[optind - 1]);
        else rc = apply(use, nuse, scratch, id, optarg);
    }
    for (int i = optind; !rc && i < a->argc; i++) (*pos)[(*npos)++] = cli_word(a, av[i]);
    for (int g = 0; g < NKNOWN; g++) free(scratch[g]);
    free(av);
    free(t);
    return rc;
}

int cli_find_command(const cli_argv *a, int *batch)
{
    struct option *t = all_options();
    char **av = calloc(a->argc + 1, sizeof *av);
    int at = 0, li = -1, ch;
    *batch = 0;
    if (t && av) {
        memcpy(av, a->av, sizeof *av * a->argc);
        opterr = 0;
        optind = 0;
        while ((ch = getopt_long(a->argc, av, ":o:vh", t, &li)) != -1) {
            if (ch >= 256 && !strcmp(t[li].name, "batch")) *batch = 1;
            li = -1;
        }
        for (int i = 1; optind < a->argc && i < a->argc; i++) /* av is permuted: find the word's place */
            if (a->av[i] == av[optind]) at = i;
    }
    free(av);
    free(t);
    return at;
}

/* ---------- numbers ---------- */

int cli_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "featvis-cuda: %s '%s': expected a whole number from %ld to %ld\n", opt, s, lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_float(const char *opt, const char *s, float lo, int strict, float hi, const char *what, float *out)
{
    char *end, msg[96];
    float v = strtof(s, &end);
    if (*end || end == s || !(strict ? v > lo : v >= lo) || v > hi) {
        snprintf(msg, sizeof msg, "%s '%%s': expected %s", opt, what);
        usage_error(msg, s);
        return 0;
    }
    *out = v;
    return 1;
}

/* ---------- the common options ---------- */

enum { C_OUTPUT, C_WEIGHTS, C_MODEL, C_BACKEND, C_VERBOSE, C_FWDALGO, C_BWDALGO, C_FIND, C_WSMIB, C_PRECISION, C_HELP,
       C_VERSION, C_PREPROCESS, C_ORDER, C_RANGE, C_MEAN, C_STD };

static int version(void)
{
    char dev[256];
    int n = fv_backend_probe(FV_BACKEND_CUDA, dev, sizeof dev);
#ifdef FV_HAVE_CUDA
    const char *cuda = "; cuda (cuDNN, cuBLAS, cuFFT)";
#else
    const char *cuda = "";
#endif
    printf("featvis-cuda %s\nbackends: cpu (OpenBLAS, FFTW)%s\nCUDA: %s\n", FV_VERSION, cuda, dev);
    (void)n;
    return -1;
}

/* The options struct, set to the defaults when the first backend flag arrives (a command's cli_common
 * starts zeroed, and zero would force cuDNN algorithm 0). */
static fv_backend_options *options_of(cli_common *c)
{
    if (!c->backend_options_set) fv_backend_options_default(&c->backend_options);
    c->backend_options_set = 1;
    return &c->backend_options;
}

fv_backend_options cli_backend_options(const cli_common *c)
{
    fv_backend_options o;
    if (c->backend_options_set) return c->backend_options;
    fv_backend_options_default(&o);
    return o;
}

int cli_open_backend(const cli_common *c, fv_backend **be)
{
    const fv_backend_options o = cli_backend_options(c);
    if (fv_backend_open(c->backend, &o, be) == FV_OK) return 0;
    fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
    return 1;
}

/* The CUDA flags: cuDNN's algorithm numbers (featvis.h), a workspace cap, Find instead of heuristics. */
static int apply_cuda(cli_common *c, int id, const char *arg)
{
    long v;
    fv_backend_options *o = options_of(c);
    switch (id) {
    case C_FWDALGO:
        if (!cli_int("--cudnn-fwd-algo", arg, 0, 7, &v)) return 2;
        o->cudnn_fwd_algo = (int)v;
        break;
    case C_BWDALGO:
        if (!cli_int("--cudnn-bwd-algo", arg, 0, 5, &v)) return 2;
        o->cudnn_bwd_data_algo = (int)v;
        break;
    case C_WSMIB:
        if (!cli_int("--cudnn-workspace-mib", arg, 0, 1L << 20, &v)) return 2;
        o->cudnn_workspace_mib = (int)v;
        break;
    case C_PRECISION:
        if (!strcmp(arg, "auto")) o->precision = FV_PRECISION_AUTO;
        else if (!strcmp(arg, "fp32")) o->precision = FV_PRECISION_FP32;
        else if (!strcmp(arg, "tf32")) o->precision = FV_PRECISION_TF32;
        else return usage_error("--precision '%s': expected auto, fp32 or tf32", arg);
        break;
    default: o->cudnn_find = 1; break;
    }
    return 0;
}

static int apply_common(void *dest, int id, const char *arg)
{
    cli_common *c = dest;
    switch (id) {
    case C_OUTPUT: c->output = arg; break;
    case C_WEIGHTS: c->weights = arg; break;
    case C_MODEL:
        if (!strcmp(arg, "auto")) c->model = FV_MODEL_AUTO;
        else if (!strcmp(arg, "caffe") || !strcmp(arg, "InceptionV1_caffe")) c->model = FV_MODEL_INCEPTION_CAFFE;
        else if (!strcmp(arg, "inception5h") || !strcmp(arg, "InceptionV1")) c->model = FV_MODEL_INCEPTION_TF;
        else if (!strcmp(arg, "onnx")) c->model = FV_MODEL_ONNX;
        else return usage_error("--model '%s': expected auto, caffe, inception5h or onnx", arg);
        break;
    case C_BACKEND:
        if (!strcmp(arg, "auto")) c->backend = FV_BACKEND_AUTO;
        else if (!strcmp(arg, "cpu")) c->backend = FV_BACKEND_CPU;
        else if (!strcmp(arg, "cuda")) c->backend = FV_BACKEND_CUDA;
        else return usage_error("--backend '%s': expected auto, cpu or cuda", arg);
        break;
    case C_VERBOSE:
        c->verbose = 1;
        options_of(c)->verbose = 1;
        break;
    case C_FWDALGO:
    case C_BWDALGO:
    case C_FIND:
    case C_WSMIB:
    case C_PRECISION: return apply_cuda(c, id, arg);
    case C_HELP: cli_usage(stdout); return -1;
    case C_VERSION: return version();
    default: /* --preprocess, --order, --range, --mean, --std */
        c->pre_given = 1;
        return cli_apply_preprocess(&c->pre, id - C_PREPROCESS, arg);
    }
    return 0;
}

static const struct option COMMON_OPTIONS[] = {
    {"output", required_argument, 0, C_OUTPUT},           {"weights", required_argument, 0, C_WEIGHTS},
    {"model", required_argument, 0, C_MODEL},             {"backend", required_argument, 0, C_BACKEND},
    {"verbose", no_argument, 0, C_VERBOSE},               {"cudnn-fwd-algo", required_argument, 0, C_FWDALGO},
    {"cudnn-bwd-algo", required_argument, 0, C_BWDALGO}, {"cudnn-find", no_argument, 0, C_FIND},
    {"cudnn-workspace-mib", required_argument, 0, C_WSMIB}, {"precision", required_argument, 0, C_PRECISION},
    {"help", no_argument, 0, C_HELP},
    {"version", no_argument, 0, C_VERSION},               {"preprocess", required_argument, 0, C_PREPROCESS},
    {"order", required_argument, 0, C_ORDER},             {"range", required_argument, 0, C_RANGE},
    {"mean", required_argument, 0, C_MEAN},               {"std", required_argument, 0, C_STD},
    {0, 0, 0, 0}};
const cli_group CLI_COMMON = {COMMON_OPTIONS, apply_common, sizeof(cli_common)};

/* ---------- the render options ---------- */

enum { R_SIZE, R_STEPS, R_SEED, R_PRESET, R_LR, R_DIVERSITY, R_DIVW, R_BATCH, R_NODECOR, R_REDIRECT, R_PARAM, R_TV,
       R_L1, R_L2, R_BLUR, R_INIT };

void cli_render_defaults(cli_render *r)
{
    memset(r, 0, sizeof *r);
    fv_render_config_default(&r->cfg);
}

fv_render_config cli_render_config(const cli_common *c, const cli_render *r)
{
    fv_render_config cfg = r->cfg;
    cfg.backend = c->backend;
    cfg.backend_options = cli_backend_options(c);
    cfg.verbose = c->verbose;
    return cfg;
}

static int apply_seed(fv_render_config *cfg, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long s = strtoull(arg, &end, 10);
    if (errno || *end || !isdigit((unsigned char)arg[0]))
        return usage_error("--seed '%s': expected a whole number >= 0", arg);
    cfg->seed = s;
    return 0;
}

static int apply_init(cli_render *r, const char *arg)
{
    /* The picture lives as long as the process: the config only points at it. */
    static fv_image init_pic;
    fv_image_free(&init_pic);
    if (fv_image_read(arg, &init_pic) != FV_OK) {
        fprintf(stderr, "featvis-cuda: --init: %s\n", fv_last_error());
        return 1;
    }
    r->cfg.init = &init_pic;
    r->init_path = arg;
    return 0;
}

/* --tv, --l1, --l2, --blur: a penalty weight >= 0. */
static int apply_penalty(fv_render_config *cfg, int id, const char *arg)
{
    static const char *const names[] = {"--tv", "--l1", "--l2", "--blur"};
    float *dst[] = {&cfg->tv_weight, &cfg->l1_weight, &cfg->l2_weight, &cfg->blur_weight};
    return cli_float(names[id - R_TV], arg, 0, 0, 1e30f, "a number >= 0", dst[id - R_TV]) ? 0 : 2;
}

static int apply_render(void *dest, int id, const char *arg)
{
    cli_render *r = dest;
    fv_render_config *cfg = &r->cfg;
    long v;
    switch (id) {
    case R_SIZE:
        if (!cli_int("--size", arg, 16, 4096, &v)) return 2;
        cfg->size = (int)v, r->size_given = 1;
        return 0;
    case R_STEPS:
        if (!cli_int("--steps", arg, 1, 1000000, &v)) return 2;
        cfg->steps = (int)v;
        return 0;
    case R_SEED: return apply_seed(cfg, arg);
    case R_PRESET:
        if (fv_preset_parse(arg, &cfg->preset)) return 0;
        return usage_error("--preset '%s': expected article, lucid or none", arg);
    case R_LR: return cli_float("--lr", arg, 0, 1, INFINITY, "a positive number", &cfg->lr) ? 0 : 2;
    case R_DIVERSITY:
        if (!cli_int("--diversity", arg, 1, 64, &v)) return 2;
        r->diversity = (int)v, r->diversity_given = 1;
        return 0;
    case R_DIVW:
        return cli_float("--diversity-weight", arg, 0, 0, INFINITY, "a number >= 0", &cfg->diversity_weight) ? 0 : 2;
    case R_BATCH:
        if (!cli_int("--batch-size", arg, 1, 1 << 20, &v)) return 2;
        cfg->batch_size = (int)v;
        return 0;
    case R_NODECOR: cfg->decorrelate = 0; return 0;
    case R_REDIRECT:
        if (!cli_int("--redirect-steps", arg, 0, 1000000, &v)) return 2;
        cfg->redirect_steps = (int)v;
        return 0;
    case R_PARAM:
        if (!strcmp(arg, "fft")) cfg->param_pixel = 0;
        else if (!strcmp(arg, "pixel")) cfg->param_pixel = 1;
        else return usage_error("--param '%s': expected fft or pixel", arg);
        return 0;
    case R_INIT: return apply_init(r, arg);
    default: return apply_penalty(cfg, id, arg);
    }
}

static const struct option RENDER_OPTIONS[] = {
    {"size", required_argument, 0, R_SIZE},         {"steps", required_argument, 0, R_STEPS},
    {"seed", required_argument, 0, R_SEED},         {"preset", required_argument, 0, R_PRESET},
    {"lr", required_argument, 0, R_LR},             {"diversity", required_argument, 0, R_DIVERSITY},
    {"diversity-weight", required_argument, 0, R_DIVW}, {"batch-size", required_argument, 0, R_BATCH},
    {"no-decorrelate", no_argument, 0, R_NODECOR},  {"redirect-steps", required_argument, 0, R_REDIRECT},
    {"param", required_argument, 0, R_PARAM},       {"tv", required_argument, 0, R_TV},
    {"l1", required_argument, 0, R_L1},             {"l2", required_argument, 0, R_L2},
    {"blur", required_argument, 0, R_BLUR},         {"init", required_argument, 0, R_INIT},
    {0, 0, 0, 0}};
const cli_group CLI_RENDER = {RENDER_OPTIONS, apply_render, sizeof(cli_render)};

/* ---------- the model ---------- */

const char *default_weights(char *buf, size_t n)
{
    fv_default_weights(buf, n); /* the path even when the file is missing (labels, gallery) */
    return buf[0] ? buf : NULL;
}

int load_model(const cli_common *c, fv_model **m)
{
    char buf[1024];
    const char *path = c->weights;
    if (!path && fv_default_weights(buf, sizeof buf) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 2;
    }
    if (!path) path = buf;
    fv_status st = fv_model_load(path, c->model, m);
    if (st != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    if (c->verbose) fprintf(stderr, "model: %s from %s (sha256 %s)\n", fv_model_name(*m), path, fv_model_sha256(*m));
    int rc = c->pre_given ? cli_preprocess_model(&c->pre, *m) : 0;
    if (rc) {
        fv_model_free(*m);
        *m = NULL;
    } else if (c->verbose) {
        char d[256];
        fv_preprocess p;
        fv_model_preprocess(*m, &p);
        fv_preprocess_describe(&p, d, sizeof d);
        fprintf(stderr, "input: %s\n", d);
    }
    return rc;
}
