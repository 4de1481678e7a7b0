/* featvis-cuda: the command line. It parses and validates arguments, prints what it will do, and calls
 * the library (include/featvis/featvis.h); the library does the work. Exit codes: 0 done, 1 failed,
 * 2 bad usage. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "featvis/featvis.h"
#include "backend/cuda_probe.h"
#include "cli.h"
#include "io/image.h"
#include "io/jsonw.h"
#include "app/provenance.h"

static const char *USAGE =
    "usage: featvis-cuda COMMAND [options]\n"
    "       featvis-cuda --batch JOBS.txt [-o OUT] [options]   render a job file (= render --batch JOBS.txt)\n"
    "\n"
    "commands:\n"
    "  render OBJECTIVE...        optimise one image per objective, all in one batch\n"
    "  classify IMAGE             print the top classes of an image (PNG or JPEG)\n"
    "  activations IMAGE          write a layer's activations (float32, 1xCxHxW) as .npy\n"
    "  layers                     list the model's layers (names, aliases, shapes at --size)\n"
    "  interpolate OBJ_A OBJ_B    frames from A to B, aligned, sharing low-resolution parameters\n"
    "  --batch JOBS.txt           render a job file into -o OUT (resumable; README, Job files);\n"
    "                             the same as render --batch JOBS.txt\n"
    "  appendix                   the article's appendix as jobs: render them into -o OUT, or --write-jobs\n"
    "  gallery OUT                build OUT/gallery/ (HTML pages, sprite sheets) from a batch run\n"
    "  examples --images DIR --layer L   dataset examples: top/bottom images and crops per channel\n"
    "                             (PNG, JPEG) into -o OUT/examples/<layer>/ (--top K, --size S, --crop PX)\n"
    "  figures [OBJECTIVE]        the article's figures as labelled contact sheets in -o DIR (default\n"
    "                             figures/; --which objectives,diversity,interaction,interpolation,regularisation)\n"
    "\n"
    "objectives (README, Objectives):\n"
    "  mixed4a:97  inception_4a/output:97  mixed4a:97@7,7 (neuron x,y)  neuron:mixed4a:97 (centre)\n"
    "  logit:285  prob:285  deepdream:mixed4a  direction:mixed4a:v.npy  -mixed4a:97\n"
    "  mixed4a:97+0.5*mixed4a:143   (a leading '-' objective needs no quoting: -mixed4a:97)\n"
    "\n"
    "model options:\n"
    "  --weights FILE             model file (.caffemodel or inception5h .pb); default $FEATVIS_WEIGHTS,\n"
    "                             then $XDG_CACHE_HOME/featvis/bvlc_googlenet.caffemodel\n"
    "  --model auto|caffe|inception5h   which InceptionV1 the file must be (default: from the file)\n"
    "  --backend auto|cpu|cuda    where to run (default auto)\n"
    "render options:\n"
    "  -o, --output PATH          a .png file (one image) or a folder (default: .)\n"
    "  --size S                   image size in pixels (default 128)\n"
    "  --steps N                  optimisation steps (default 512)\n"
    "  --seed X                   global seed (default 0)\n"
    "  --preset article|lucid|none    transform chain (default article)\n"
    "  --lr R                     Adam learning rate (default 0.05)\n"
    "  --diversity N              render N images of each objective with the diversity term\n"
    "  --diversity-weight W       weight of that term (default 100, the article's)\n"
    "  --batch-size N             images per pass (default: as many as fit in memory)\n"
    "  --no-decorrelate           no colour decorrelation\n"
    "  --redirect-steps N         updates with redirected ReLU gradients (default 17, Lucid's)\n"
    "  --param fft|pixel          parameterisation: Fourier spectrum (default) or raw pixels\n"
    "  --tv W, --l1 W, --l2 W, --blur W   penalties on the image, subtracted from the objective with\n"
    "                             weight W (default 0): total variation, L1 and L2 distance from grey,\n"
    "                             blur each step; the printed objective values include them\n"
    "  --init IMAGE.png           start every image from this picture instead of noise\n"
    "  --json                     one JSON object per image instead of a summary line\n"
    "interpolate options (and the render options):\n"
    "  --frames N                 frames from A to B (default 6)    --alignment W   alignment weight (default 0.1)\n"
    "  --alignment-layers L1,L2   layers the alignment compares (default mixed3b,mixed4a, Lucid's notebook)\n"
    "  --alignment-decay R        its decay ratio over frame distance (default 5)\n"
    "  -o DIR                     writes DIR/<slug>_frame<n>.png (default .)\n"
    "batch options (--batch, appendix):\n"
    "  --shard K/N                this run's share of the jobs (K may be 'auto': JOB_COMPLETION_INDEX\n"
    "                             or SLURM_ARRAY_TASK_ID); --size/--steps/--seed/--preset/--diversity\n"
    "                             are the defaults for job lines that do not set them\n"
    "  --skip-invalid             drop bad job lines (reported) instead of stopping\n"
    "  --layers L1,L2,..          appendix layers (default mixed3a..mixed5b), optimised as their _pre_relu\n"
    "                             tensors (either name form is accepted), the diversity Gram post-ReLU\n"
    "  --post-relu                appendix: optimise the post-ReLU tensors instead\n"
    "  --channels N               appendix: only the first N channels of each layer\n"
    "  --write-jobs FILE          appendix: write the job file instead of rendering\n"
    "  --thumb PX                 gallery thumbnail size (default 96)\n"
    "classify / activations options:\n"
    "  --top K                    classes to print (default 5)\n"
    "  --labels FILE              class names, one per line (default: found beside the weights)\n"
    "  --layer L                  layer for activations\n"
    "  -o, --output FILE.npy      where activations go\n"
    "CUDA options:\n"
    "  --cudnn-fwd-algo N, --cudnn-bwd-algo N   force a cuDNN convolution algorithm (tests, debugging)\n"
    "other:\n"
    "  -v, --verbose (also logs cuDNN algorithm choices)   -h, --help   --version\n";

enum { OPT_SIZE = 256, OPT_STEPS, OPT_SEED, OPT_PRESET, OPT_BACKEND, OPT_WEIGHTS, OPT_MODEL, OPT_JSON, OPT_TOP,
       OPT_LABELS, OPT_LAYER, OPT_VERSION, OPT_DIVERSITY, OPT_LR, OPT_NODECOR, OPT_REDIRECT, OPT_DIVW, OPT_BATCH, OPT_FWDALGO, OPT_BWDALGO,
       OPT_IMAGES, OPT_CROP, OPT_WHICH, OPT_JOBS, OPT_SHARD, OPT_SKIPINV, OPT_LAYERS, OPT_CHANNELS, OPT_WRITEJOBS, OPT_THUMB,
       OPT_PARAM, OPT_TV, OPT_L1, OPT_L2, OPT_BLUR, OPT_INIT, OPT_FRAMES, OPT_ALIGN, OPT_ALIGN_DECAY, OPT_ALIGN_LAYERS,
       OPT_POST_RELU };



static void cli_free(cli *c)
{
    for (int i = 0; c->marks && i < c->argc; i++) free(c->marks[i]);
    free(c->marks);
    free(c->av);
    free(c->hidden);
    free(c->pos);
}

int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "featvis-cuda: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see featvis-cuda --help)\n");
    return 2;
}

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out)
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

/* A negative objective ("-mixed4a:97") looks like an option to getopt: hide those behind a marker. */
static int is_negative_objective(const char *a) { return a[0] == '-' && isalpha((unsigned char)a[1]) && strchr(a, ':'); }

static int parse_cli(int argc, char **argv, cli *c)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"size", required_argument, 0, OPT_SIZE},
        {"steps", required_argument, 0, OPT_STEPS}, {"seed", required_argument, 0, OPT_SEED},
        {"preset", required_argument, 0, OPT_PRESET}, {"backend", required_argument, 0, OPT_BACKEND},
        {"weights", required_argument, 0, OPT_WEIGHTS}, {"model", required_argument, 0, OPT_MODEL},
        {"json", no_argument, 0, OPT_JSON}, {"top", required_argument, 0, OPT_TOP},
        {"labels", required_argument, 0, OPT_LABELS}, {"layer", required_argument, 0, OPT_LAYER},
        {"diversity", required_argument, 0, OPT_DIVERSITY}, {"lr", required_argument, 0, OPT_LR},
        {"no-decorrelate", no_argument, 0, OPT_NODECOR}, {"redirect-steps", required_argument, 0, OPT_REDIRECT},
        {"diversity-weight", required_argument, 0, OPT_DIVW}, {"batch-size", required_argument, 0, OPT_BATCH},
        {"which", required_argument, 0, OPT_WHICH}, {"images", required_argument, 0, OPT_IMAGES},
        {"crop", required_argument, 0, OPT_CROP}, {"batch", required_argument, 0, OPT_JOBS}, {"shard", required_argument, 0, OPT_SHARD},
        {"skip-invalid", no_argument, 0, OPT_SKIPINV}, {"layers", required_argument, 0, OPT_LAYERS},
        {"channels", required_argument, 0, OPT_CHANNELS}, {"write-jobs", required_argument, 0, OPT_WRITEJOBS},
        {"thumb", required_argument, 0, OPT_THUMB},
        {"param", required_argument, 0, OPT_PARAM}, {"tv", required_argument, 0, OPT_TV},
        {"l1", required_argument, 0, OPT_L1}, {"l2", required_argument, 0, OPT_L2},
        {"blur", required_argument, 0, OPT_BLUR}, {"init", required_argument, 0, OPT_INIT},
        {"frames", required_argument, 0, OPT_FRAMES}, {"alignment", required_argument, 0, OPT_ALIGN},
        {"alignment-decay", required_argument, 0, OPT_ALIGN_DECAY}, {"alignment-layers", required_argument, 0, OPT_ALIGN_LAYERS},
        {"post-relu", no_argument, 0, OPT_POST_RELU},
        {"cudnn-fwd-algo", required_argument, 0, OPT_FWDALGO}, {"cudnn-bwd-algo", required_argument, 0, OPT_BWDALGO},
        {"verbose", no_argument, 0, 'v'}, {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, OPT_VERSION},
        {0, 0, 0, 0}};
    c->argc = argc;
    char **av = c->av = calloc(argc + 1, sizeof *av);
    const char **hidden = c->hidden = calloc(argc + 1, sizeof *hidden);
    c->marks = calloc(argc + 1, sizeof *c->marks);
    c->pos = calloc(argc + 1, sizeof *c->pos);
    if (!av || !hidden || !c->marks || !c->pos) return fprintf(stderr, "featvis-cuda: out of memory\n"), 1;
    for (int i = 0; i < argc; i++) {
        av[i] = argv[i];
        if (i > 0 && is_negative_objective(argv[i]) && strcmp(argv[i - 1], "--weights") && strcmp(argv[i - 1], "-o")) {
            char *mark = c->marks[i] = malloc(16);
            if (!mark) return 1;
            snprintf(mark, 16, "\x01%d", i);
            hidden[i] = argv[i];
            av[i] = mark;
        }
    }
    opterr = 0;
    int ch;
    long v;
    while ((ch = getopt_long(argc, av, ":o:vh", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': c->output = optarg; break;
        case OPT_SIZE:
            if (!parse_int("--size", optarg, 16, 4096, &v)) return 2;
            c->cfg.size = (int)v;
            c->size_given = 1;
            break;
        case OPT_STEPS:
            if (!parse_int("--steps", optarg, 1, 1000000, &v)) return 2;
            c->cfg.steps = (int)v;
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || *end || !isdigit((unsigned char)optarg[0]))
                return usage_error("--seed '%s': expected a whole number >= 0", optarg);
            c->cfg.seed = s;
            break;
        }
        case OPT_PRESET:
            if (!strcmp(optarg, "article")) c->cfg.preset = FV_PRESET_ARTICLE;
            else if (!strcmp(optarg, "lucid")) c->cfg.preset = FV_PRESET_LUCID;
            else if (!strcmp(optarg, "none")) c->cfg.preset = FV_PRESET_NONE;
            else return usage_error("--preset '%s': expected article, lucid or none", optarg);
            break;
        case OPT_BACKEND:
            if (!strcmp(optarg, "auto")) c->cfg.backend = FV_BACKEND_AUTO;
            else if (!strcmp(optarg, "cpu")) c->cfg.backend = FV_BACKEND_CPU;
            else if (!strcmp(optarg, "cuda")) c->cfg.backend = FV_BACKEND_CUDA;
            else return usage_error("--backend '%s': expected auto, cpu or cuda", optarg);
            break;
        case OPT_WEIGHTS: c->weights = optarg; break;
        case OPT_MODEL:
            if (!strcmp(optarg, "auto")) c->model = FV_MODEL_AUTO;
            else if (!strcmp(optarg, "caffe") || !strcmp(optarg, "InceptionV1_caffe")) c->model = FV_MODEL_INCEPTION_CAFFE;
            else if (!strcmp(optarg, "inception5h") || !strcmp(optarg, "InceptionV1")) c->model = FV_MODEL_INCEPTION_TF;
            else return usage_error("--model '%s': expected auto, caffe or inception5h", optarg);
            break;
        case OPT_JSON: c->json = 1; break;
        case OPT_TOP:
            if (!parse_int("--top", optarg, 1, 100000, &v)) return 2;
            c->top = (int)v;
            break;
        case OPT_LABELS: c->labels = optarg; break;
        case OPT_LAYER: c->layer = optarg; break;
        case OPT_DIVERSITY:
            if (!parse_int("--diversity", optarg, 1, 64, &v)) return 2;
            c->diversity = (int)v;
            c->diversity_given = 1;
            break;
        case OPT_LR: {
            char *end;
            float lr = strtof(optarg, &end);
            if (*end || end == optarg || !(lr > 0)) return usage_error("--lr '%s': expected a positive number", optarg);
            c->cfg.lr = lr;
            break;
        }
        case OPT_NODECOR: c->cfg.decorrelate = 0; break;
        case OPT_JOBS: c->jobs = optarg; break;
        case OPT_WHICH: c->which = optarg; break;
        case OPT_IMAGES: c->images = optarg; break;
        case OPT_CROP:
            if (!parse_int("--crop", optarg, 16, 512, &v)) return 2;
            c->crop = (int)v;
            break;
        case OPT_SHARD: c->shard = optarg; break;
        case OPT_SKIPINV: c->skip_invalid = 1; break;
        case OPT_LAYERS: c->layers = optarg; break;
        case OPT_WRITEJOBS: c->write_jobs = optarg; break;
        case OPT_CHANNELS:
            if (!parse_int("--channels", optarg, 1, 100000, &v)) return 2;
            c->channels = (int)v;
            break;
        case OPT_THUMB:
            if (!parse_int("--thumb", optarg, 16, 1024, &v)) return 2;
            c->thumb = (int)v;
            break;
        case OPT_BATCH:
            if (!parse_int("--batch-size", optarg, 1, 1 << 20, &v)) return 2;
            c->cfg.batch_size = (int)v;
            break;
        case OPT_DIVW: {
            char *end;
            float dw = strtof(optarg, &end);
            if (*end || end == optarg || !(dw >= 0))
                return usage_error("--diversity-weight '%s': expected a number >= 0", optarg);
            c->cfg.diversity_weight = dw;
            break;
        }
        case OPT_PARAM:
            if (!strcmp(optarg, "fft")) c->cfg.param_pixel = 0;
            else if (!strcmp(optarg, "pixel")) c->cfg.param_pixel = 1;
            else return usage_error("--param '%s': expected fft or pixel", optarg);
            break;
        case OPT_TV:
        case OPT_L1:
        case OPT_L2:
        case OPT_BLUR: {
            const char *name = ch == OPT_TV ? "--tv" : ch == OPT_L1 ? "--l1" : ch == OPT_L2 ? "--l2" : "--blur";
            char *end, msg[64];
            float wt = strtof(optarg, &end);
            if (*end || end == optarg || !(wt >= 0) || wt > 1e30f) {
                snprintf(msg, sizeof msg, "%s '%%s': expected a number >= 0", name);
                return usage_error(msg, optarg);
            }
            float *dst = ch == OPT_TV ? &c->cfg.tv_weight : ch == OPT_L1 ? &c->cfg.l1_weight
                       : ch == OPT_L2 ? &c->cfg.l2_weight : &c->cfg.blur_weight;
            *dst = wt;
            break;
        }
        case OPT_INIT: {
            /* The picture lives as long as the process: the config only points at it. */
            static fv_image init_pic;
            fv_image_free(&init_pic);
            if (fv_image_read(optarg, &init_pic) != FV_OK) {
                fprintf(stderr, "featvis-cuda: --init: %s\n", fv_last_error());
                return 1;
            }
            c->cfg.init = &init_pic;
            c->init_path = optarg;
            break;
        }
        case OPT_ALIGN_DECAY: {
            char *end;
            float dr = strtof(optarg, &end);
            if (*end || end == optarg || !(dr > 0) || dr > 1e30f)
                return usage_error("--alignment-decay '%s': expected a number > 0", optarg);
            c->align_decay = dr;
            break;
        }
        case OPT_ALIGN_LAYERS: c->align_layers = optarg; break;
        case OPT_POST_RELU: c->post_relu = 1; break;
        case OPT_FRAMES:
            if (!parse_int("--frames", optarg, 2, 64, &v)) return 2;
            c->frames = (int)v;
            break;
        case OPT_ALIGN: {
            char *end;
            float aw = strtof(optarg, &end);
            if (*end || end == optarg || !(aw >= 0) || aw > 1e30f)
                return usage_error("--alignment '%s': expected a number >= 0", optarg);
            c->alignment = aw;
            break;
        }
        case OPT_REDIRECT:
            if (!parse_int("--redirect-steps", optarg, 0, 1000000, &v)) return 2;
            c->cfg.redirect_steps = (int)v;
            break;
        case 'v':
            c->verbose = 1;
            setenv("FV_VERBOSE", "1", 1); /* read when the CUDA context is created */
            break;
        case OPT_FWDALGO:
        case OPT_BWDALGO:
            if (!parse_int(ch == OPT_FWDALGO ? "--cudnn-fwd-algo" : "--cudnn-bwd-algo", optarg, 0, 7, &v)) return 2;
            setenv(ch == OPT_FWDALGO ? "FV_CUDNN_FWD_ALGO" : "FV_CUDNN_BWD_DATA_ALGO", optarg, 1);
            break;
        case 'h': fputs(USAGE, stdout); return -1;
        case OPT_VERSION: {
            char dev[256];
            int n = fv_cuda_probe(dev, sizeof dev);
#ifdef FV_HAVE_CUDA
            const char *cuda = "; cuda (cuDNN, cuBLAS, cuFFT)";
#else
            const char *cuda = "";
#endif
            printf("featvis-cuda %s\nbackends: cpu (OpenBLAS, FFTW)%s\nCUDA: %s\n", FV_VERSION, cuda, dev);
            (void)n;
            return -1;
        }
        case ':': return usage_error("option '%s' needs a value", av[optind - 1]);
        default: {
            const char *bad = av[optind - 1];
            return usage_error("unknown option '%s'", bad);
        }
        }
    }
    for (int i = optind; i < argc; i++) {
        const char *a = av[i];
        if (a[0] == '\x01') a = hidden[atoi(a + 1)];
        if (!c->command) c->command = a;
        else c->pos[c->npos++] = a;
    }
    return 0;
}

const char *default_weights(char *buf, size_t n)
{
    const char *env = getenv("FEATVIS_WEIGHTS");
    if (env && *env) return env;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(buf, n, "%s/featvis/bvlc_googlenet.caffemodel", xdg);
    else if (home) snprintf(buf, n, "%s/.cache/featvis/bvlc_googlenet.caffemodel", home);
    else return NULL;
    return buf;
}

int load_model(cli *c, fv_model **m)
{
    char buf[1024];
    const char *path = c->weights ? c->weights : default_weights(buf, sizeof buf);
    if (!path) {
        fprintf(stderr, "featvis-cuda: no model file: pass --weights FILE or set FEATVIS_WEIGHTS\n");
        return 2;
    }
    if (!c->weights && access(path, R_OK) != 0) {
        const char *env = getenv("FEATVIS_WEIGHTS");
        if (env && *env) /* the download would not land there */
            fprintf(stderr, "featvis-cuda: no model file at %s (FEATVIS_WEIGHTS): point it at a .caffemodel or .pb, "
                            "or pass --weights FILE\n", path);
        else
            fprintf(stderr, "featvis-cuda: no model file at %s: download it there with models/fetch_weights.sh "
                            "--model bvlc (in the featvis-cuda repository), or pass --weights FILE or set "
                            "FEATVIS_WEIGHTS\n", path);
        return 2;
    }
    fv_status st = fv_model_load(path, c->model, m);
    if (st != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    if (c->verbose) fprintf(stderr, "model: %s from %s\n", fv_model_name(*m), path);
    return 0;
}

/* ---------- render ---------- */

typedef struct progress_ctx {
    double t0, last;
    int tty, verbose;
} progress_ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void on_progress(void *vctx, int step, int steps, const float *obj, int n)
{
    progress_ctx *p = vctx;
    double t = now_s();
    if (step < steps && t - p->last < (p->tty ? 0.5 : 10.0)) return;
    p->last = t;
    double rate = step / (t - p->t0), mean = 0;
    for (int i = 0; i < n; i++) mean += obj[i];
    mean /= n;
    int eta = (int)((steps - step) / rate);
    fprintf(stderr, "%sstep %d/%d  %.2f steps/s  %.2f images/s  ETA %dm%02ds  mean objective %.4g%s",
            p->tty ? "\r" : "", step, steps, rate, rate * n / steps, eta / 60, eta % 60, mean,
            p->tty && step < steps ? "   " : "\n");
    fflush(stderr);
}

static void slug(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++) {
        char ch = *in;
        if (isalnum((unsigned char)ch) || ch == '.' || ch == '-') out[k++] = ch;
        else if (ch == '+') { if (k + 1 < n) out[k++] = '+'; }
        else if (ch != ' ' && k && out[k - 1] != '_') out[k++] = '_';
    }
    while (k && out[k - 1] == '_') k--;
    out[k] = 0;
}

int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int cmd_render(cli *c)
{
    if (c->jobs) return cmd_batch(c);
    if (c->npos < 1) return usage_error("render needs at least one objective, e.g. %s", "mixed4a:97");
    int count = c->diversity > 0 ? c->diversity : 1;
    int total = c->npos * count;
    const char *out = c->output ? c->output : ".";
    int single_file = ends_with(out, ".png");
    if (single_file && total > 1)
        return usage_error("-o %s names one file, but this renders several images; give a folder", out);
    fv_model *m;
    int rc = load_model(c, &m);
    if (rc) return rc;
    for (int i = 0; i < c->npos; i++)
        if (fv_objective_check(m, c->pos[i], c->cfg.size) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            fv_model_free(m);
            return 2;
        }
    fv_backend_kind be;
    const char *notice;
    if (fv_backend_resolve(c->cfg.backend, &be, &notice) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        fv_model_free(m);
        return 1;
    }
    if (notice) fprintf(stderr, "%s\n", notice);
    if (!single_file && mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "featvis-cuda: cannot create output folder %s: %s\n", out, strerror(errno));
        fv_model_free(m);
        return 1;
    }
    fprintf(stderr, "rendering %d image%s: %s, %dx%d px, %d steps, seed %llu, preset %s, backend %s\n", total,
            total > 1 ? "s" : "", fv_model_name(m), c->cfg.size, c->cfg.size, c->cfg.steps,
            (unsigned long long)c->cfg.seed,
            c->cfg.preset == FV_PRESET_ARTICLE ? "article" : c->cfg.preset == FV_PRESET_LUCID ? "lucid" : "none",
            fv_backend_name(be));
    fv_render_item *items = calloc(c->npos, sizeof *items);
    if (!items) {
        fv_model_free(m);
        return 1;
    }
    for (int i = 0; i < c->npos; i++) items[i] = (fv_render_item){c->pos[i], count};
    progress_ctx pc = {now_s(), now_s(), isatty(2), c->verbose};
    fv_render_result *res;
    int nres;
    fv_status st = fv_render(m, &c->cfg, items, c->npos, &res, &nres, on_progress, &pc);
    free(items);
    if (st != FV_OK) {
        fprintf(stderr, "featvis-cuda: render failed: %s\n", fv_last_error());
        fv_model_free(m);
        return 1;
    }
    const char *preset = c->cfg.preset == FV_PRESET_ARTICLE ? "article" : c->cfg.preset == FV_PRESET_LUCID ? "lucid" : "none";
    /* every other setting that changes the pixels: the same string as the PNGs' featvis:settings */
    char settings[FV_PROVENANCE_SETTINGS_MAX];
    fv_provenance_settings(&c->cfg, c->init_path, settings, sizeof settings);
    for (int i = 0; i < nres && rc == 0; i++) {
        char path[2048], name[300];
        if (single_file) snprintf(path, sizeof path, "%s", out);
        else {
            slug(res[i].objective, name, sizeof name);
            if (count > 1) snprintf(path, sizeof path, "%s/%s_div%d.png", out, name, res[i].index);
            else snprintf(path, sizeof path, "%s/%s.png", out, name);
        }
        const fv_provenance prov = {.model = m, .cfg = &c->cfg, .init_path = c->init_path,
                                    .objective = res[i].objective};
        if (fv_provenance_write_png(path, &res[i].image, &prov) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            rc = 1;
            break;
        }
        if (c->json) {
            printf("{\"objective\": ");
            fv_json_write_str(stdout, res[i].objective);
            printf(", \"index\": %d, \"file\": ", res[i].index);
            fv_json_write_str(stdout, path);
            printf(", \"objective_first\": %.6g, \"objective_last\": %.6g, \"seconds\": %.3f, \"size\": %d, "
                   "\"steps\": %d, \"seed\": %llu, \"preset\": \"%s\", \"model\": \"%s\", \"backend\": \"%s\", "
                   "\"settings\": ",
                   res[i].obj_first, res[i].obj_last, res[i].seconds, c->cfg.size, c->cfg.steps,
                   (unsigned long long)c->cfg.seed, preset, fv_model_name(m), fv_backend_name(be));
            fv_json_write_str(stdout, settings);
            if (res[i].count > 1)
                printf(", \"diversity_first\": %.6g, \"diversity_last\": %.6g", res[i].div_first, res[i].div_last);
            printf("}\n");
        } else if (res[i].count > 1) {
            printf("%-28s objective %9.4g -> %9.4g  diversity %7.4g -> %7.4g  %7.1f s  %s\n", res[i].objective,
                   res[i].obj_first, res[i].obj_last, res[i].div_first, res[i].div_last, res[i].seconds, path);
        } else {
            printf("%-28s objective %9.4g -> %9.4g  %7.1f s  %s\n", res[i].objective, res[i].obj_first,
                   res[i].obj_last, res[i].seconds, path);
        }
    }
    fv_render_results_free(res, nres);
    fv_model_free(m);
    return rc;
}

static const struct {
    const char *name;
    int (*run)(cli *c);
} COMMANDS[] = {{"render", cmd_render},   {"interpolate", cmd_interpolate}, {"classify", cmd_classify},
                {"activations", cmd_activations}, {"layers", cmd_layers}, {"appendix", cmd_appendix},
                {"gallery", cmd_gallery}, {"figures", cmd_figures},   {"examples", cmd_examples}};

static int find_command(const char *name)
{
    for (int i = 0; i < (int)(sizeof COMMANDS / sizeof *COMMANDS); i++)
        if (!strcmp(name, COMMANDS[i].name)) return i;
    return -1;
}

/* `featvis-cuda --batch JOBS` is `render --batch JOBS`: with --batch, no command (or a first word that is
 * no command: an objective, which render --batch then refuses) means render. Another command with --batch
 * is bad usage. Returns 0, or the exit code after the error line. */
static int batch_short_form(cli *c)
{
    if (!c->jobs || (c->command && !strcmp(c->command, "render"))) return 0;
    if (c->command && find_command(c->command) >= 0)
        return usage_error("--batch renders a job file (featvis-cuda --batch JOBS.txt, or render --batch); "
                           "it does not go with '%s'", c->command);
    if (c->command) { /* pos has room for argc entries */
        memmove(c->pos + 1, c->pos, sizeof *c->pos * c->npos);
        c->pos[0] = c->command;
        c->npos++;
    }
    c->command = "render";
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    fv_render_config_default(&c.cfg);
    c.alignment = 1e-1f; /* the notebook's weight */
    int rc = parse_cli(argc, argv, &c);
    if (rc < 0) rc = 0;
    else if (rc == 0 && (rc = batch_short_form(&c)) == 0) {
        c.cfg.verbose = c.verbose;
        if (!c.command) {
            fputs(USAGE, stderr);
            rc = 2;
        } else {
            int k = find_command(c.command);
            if (k >= 0) rc = COMMANDS[k].run(&c);
            else rc = usage_error("unknown command '%s' (render, interpolate, classify, activations, layers, appendix, gallery, figures, examples)",
                                  c.command);
        }
    }
    cli_free(&c);
    return rc;
}
