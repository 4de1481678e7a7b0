/* The inference commands of the CLI: classify (top classes, names from a labels file found beside the
 * weights), activations (a layer as .npy) and layers (names and shapes). */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/image.h"
#include "io/npy.h"

static char **read_labels(const char *explicit_path, const char *weights, int n)
{
    char cand[4][1200];
    int nc = 0;
    if (explicit_path) snprintf(cand[nc++], sizeof cand[0], "%s", explicit_path);
    else if (weights) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", weights);
        const char *dir = dirname(tmp);
        snprintf(cand[nc++], sizeof cand[0], "%s/synset_words.txt", dir);
        snprintf(cand[nc++], sizeof cand[0], "%s/testdata/synset_words.txt", dir);
        snprintf(cand[nc++], sizeof cand[0], "%s/imagenet_comp_graph_label_strings.txt", dir);
    }
    for (int i = 0; i < nc; i++) {
        FILE *f = fopen(cand[i], "r");
        if (!f) {
            if (explicit_path) fprintf(stderr, "featvis-cuda: cannot open labels %s: %s\n", cand[i], strerror(errno));
            continue;
        }
        char **names = calloc(n, sizeof *names), line[1024];
        for (int k = 0; names && k < n && fgets(line, sizeof line, f); k++) {
            line[strcspn(line, "\r\n")] = 0;
            names[k] = strdup(line[0] == '-' ? line + 1 : line);
        }
        fclose(f);
        return names;
    }
    return NULL;
}

static int read_image(const char *path, fv_image *img)
{
    if (fv_image_read(path, img) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        return 1;
    }
    return 0;
}

int cmd_classify(cli *c)
{
    if (c->npos != 1) return usage_error("classify takes one image, e.g. %s", "featvis-cuda classify cat.png");
    fv_image img;
    if (read_image(c->pos[0], &img)) return 1;
    fv_model *m;
    int rc = load_model(c, &m);
    if (rc) return fv_image_free(&img), rc;
    const int n = fv_model_num_classes(m);
    float *p = malloc(sizeof(float) * (n > 0 ? n : 1));
    if (img.w != 224 || img.h != 224)
        fprintf(stderr, "note: %s is %dx%d; resized to 224x224 for the classifier\n", c->pos[0], img.w, img.h);
    if (fv_classify(m, c->cfg.backend, &img, p) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        rc = 1;
    } else {
        char buf[1024];
        char **names = read_labels(c->labels, c->weights ? c->weights : default_weights(buf, sizeof buf), n);
        int top = c->top ? c->top : 5;
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
        if (names)
            for (int k = 0; k < n; k++) free(names[k]);
        free(names);
    }
    free(p);
    fv_image_free(&img);
    fv_model_free(m);
    return rc;
}

int cmd_activations(cli *c)
{
    if (c->npos != 1) return usage_error("activations takes one image%s", "");
    if (!c->layer) return usage_error("activations needs --layer, e.g. %s", "--layer mixed4a");
    if (!c->output || !ends_with(c->output, ".npy")) return usage_error("activations needs -o FILE.npy%s", "");
    fv_image img;
    if (read_image(c->pos[0], &img)) return 1;
    fv_model *m;
    int rc = load_model(c, &m);
    if (rc) return fv_image_free(&img), rc;
    float *a;
    int ch, h, w;
    if (fv_activations(m, c->cfg.backend, &img, c->layer, &a, &ch, &h, &w) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        rc = 1;
    } else {
        int64_t shape[4] = {1, ch, h, w};
        if (fv_npy_write(c->output, a, shape, 4) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            rc = 1;
        } else {
            fprintf(stderr, "%s: %s activations 1x%dx%dx%d -> %s\n", c->pos[0], c->layer, ch, h, w, c->output);
        }
        free(a);
    }
    fv_image_free(&img);
    fv_model_free(m);
    return rc;
}

int cmd_layers(cli *c)
{
    fv_model *m;
    int rc = load_model(c, &m);
    if (rc) return rc;
    printf("# %s, shapes at %d px: name channels height width\n", fv_model_name(m), c->cfg.size);
    for (int i = 0; i < fv_model_num_layers(m); i++) {
        int ch, h, w;
        const char *name = fv_model_layer_name(m, i);
        if (fv_model_layer_shape(m, name, c->cfg.size, &ch, &h, &w) == FV_OK) printf("%s\t%d\t%d\t%d\n", name, ch, h, w);
    }
    fv_model_free(m);
    return 0;
}

