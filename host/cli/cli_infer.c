/* The inference commands of the CLI: classify (top classes, names from a labels file found beside the
 * weights), activations (a layer as .npy) and layers (names and shapes); and the options they share with
 * examples (--top, --labels, --layer). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/labels.h"
#include "cli.h"
#include "core/text.h"
#include "io/image.h"
#include "io/npy.h"

enum { I_TOP, I_LABELS, I_LAYER };

static int apply_infer(void *dest, int id, const char *arg)
{
    cli_infer *o = dest;
    long v;
    if (id == I_LABELS) o->labels = arg;
    else if (id == I_LAYER) o->layer = arg;
    else if (!cli_int("--top", arg, 1, 100000, &v)) return 2;
    else o->top = (int)v;
    return 0;
}

static const struct option INFER_OPTIONS[] = {{"top", required_argument, 0, I_TOP},
                                              {"labels", required_argument, 0, I_LABELS},
                                              {"layer", required_argument, 0, I_LAYER},
                                              {0, 0, 0, 0}};
const cli_group CLI_INFER = {INFER_OPTIONS, apply_infer, sizeof(cli_infer)};

/* An inference command's image and model: 0, or the exit code after the error line. */
static int open_inputs(const char *image, const cli_common *c, fv_image *img, fv_model **m)
{
    if (fv_image_read(image, img) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    return load_model(c, m);
}

/* The top classes of p (n of them), with names when a labels file is found. */
static void print_top(const float *p, int n, const cli_common *c, const cli_infer *o)
{
    char buf[1024];
    char **names;
    if (fv_labels_read(o->labels, c->weights ? c->weights : default_weights(buf, sizeof buf), n, &names) != FV_OK)
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
    int top = o->top ? o->top : 5;
    if (top > n) top = n;
    char *used = calloc(n, 1);
    for (int r = 0; r < top; r++) {
        int best = -1;
        for (int k = 0; k < n; k++)
            if (!used[k] && (best < 0 || p[k] > p[best])) best = k;
        used[best] = 1;
        printf("%d\t%d\t%.4f\t%s\n", r + 1, best, p[best], names && names[best] ? names[best] : "");
    }
    free(used);
    fv_labels_free(names, n);
}

static int classify(fv_model *m, const fv_image *img, const char *image, const cli_common *c, const cli_infer *o)
{
    const int n = fv_model_num_classes(m);
    float *p = malloc(sizeof(float) * (n > 0 ? n : 1));
    if (img->w != 224 || img->h != 224)
        fprintf(stderr, "note: %s is %dx%d; resized to 224x224 for the classifier\n", image, img->w, img->h);
    fv_backend *be;
    int rc = cli_open_backend(c, &be);
    if (rc) {
        free(p);
        return rc;
    }
    if (fv_classify(m, be, img, p) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        rc = 1;
    } else {
        print_top(p, n, c, o);
    }
    fv_backend_close(be);
    free(p);
    return rc;
}

static int classify_usage(const cli_common *c, const cli_infer *o, int npos)
{
    (void)c, (void)o;
    return npos != 1 ? usage_error("classify takes one image, e.g. %s", "featvis-cuda classify cat.png") : 0;
}

/* The layer's activations of the image into the .npy file -o names. */
static int activations(fv_model *m, const fv_image *img, const char *image, const cli_common *c, const cli_infer *o)
{
    float *act;
    int ch, h, w;
    fv_backend *be;
    int rc = cli_open_backend(c, &be);
    if (rc) return rc;
    fv_status s = fv_activations(m, be, img, o->layer, &act, &ch, &h, &w);
    fv_backend_close(be);
    if (s != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    int64_t shape[4] = {1, ch, h, w};
    if (fv_npy_write(c->output, act, shape, 4) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        rc = 1;
    } else {
        fprintf(stderr, "%s: %s activations 1x%dx%dx%d -> %s\n", image, o->layer, ch, h, w, c->output);
    }
    free(act);
    return rc;
}

static int activations_usage(const cli_common *c, const cli_infer *o, int npos)
{
    if (npos != 1) return usage_error("activations takes one image%s", "");
    if (!o->layer) return usage_error("activations needs --layer, e.g. %s", "--layer mixed4a");
    if (!c->output || !fv_text_ends_with(c->output, ".npy")) return usage_error("activations needs -o FILE.npy%s", "");
    return 0;
}

/* An inference command: its options, their check (0 or the exit code after the usage line), then the
 * image (the one positional word) and the model, and the work. */
static int run_on_image(const cli_argv *a, int (*usage)(const cli_common *, const cli_infer *, int),
                        int (*work)(fv_model *, const fv_image *, const char *, const cli_common *, const cli_infer *))
{
    cli_common c = {0};
    cli_infer o = {0};
    const cli_use use[] = {{&CLI_COMMON, &c}, {&CLI_INFER, &o}};
    const char **pos;
    fv_image img = {0, 0, NULL};
    fv_model *m = NULL;
    int npos, rc = cli_parse(a, use, 2, &pos, &npos);
    if (!rc) rc = usage(&c, &o, npos);
    if (!rc) rc = open_inputs(pos[0], &c, &img, &m);
    if (!rc) rc = work(m, &img, pos[0], &c, &o);
    fv_image_free(&img);
    fv_model_free(m);
    free(pos);
    return rc;
}

int cmd_classify(const cli_argv *a) { return run_on_image(a, classify_usage, classify); }

int cmd_activations(const cli_argv *a) { return run_on_image(a, activations_usage, activations); }

int cmd_layers(const cli_argv *a)
{
    cli_common c = {0};
    cli_render r; /* --size: the shapes' input size */
    cli_render_defaults(&r);
    const cli_use use[] = {{&CLI_COMMON, &c}, {&CLI_RENDER, &r}};
    const char **pos;
    fv_model *m;
    int npos, rc = cli_parse(a, use, 2, &pos, &npos);
    free(pos);
    if (rc || (rc = load_model(&c, &m))) return rc;
    printf("# %s, shapes at %d px: name channels height width [aliases]\n", fv_model_name(m), r.cfg.size);
    for (int i = 0; i < fv_model_num_layers(m); i++) {
        int ch, h, w;
        const char *name = fv_model_layer_name(m, i), *a0 = fv_model_layer_alias(m, i, 0);
        const char *a1 = fv_model_layer_alias(m, i, 1);
        if (fv_model_layer_shape(m, name, r.cfg.size, &ch, &h, &w) != FV_OK) continue;
        printf("%s\t%d\t%d\t%d", name, ch, h, w);
        if (*a0 || *a1) printf("\t%s%s%s", a0, *a0 && *a1 ? "," : "", a1); /* other names that pick the layer */
        printf("\n");
    }
    fv_model_free(m);
    return 0;
}
