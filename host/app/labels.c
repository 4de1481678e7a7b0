/* Class names for classification results (labels.h): the named labels file, or the first known one beside the
 * model file; one name per line, in class order. */
#include "labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* The names of f's first n lines. */
static fv_status read_names(FILE *f, const char *path, int n, char ***names)
{
    char line[1024];
    *names = calloc(n > 0 ? (size_t)n : 1, sizeof **names);
    if (!*names) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
    for (int k = 0; k < n && fgets(line, sizeof line, f); k++) {
        line[strcspn(line, "\r\n")] = 0;
        if (!((*names)[k] = dup_text(line[0] == '-' ? line + 1 : line))) {
            fv_labels_free(*names, n);
            *names = NULL;
            return fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
        }
    }
    return FV_OK;
}

fv_status fv_labels_read(const char *path, const char *weights, int n, char ***names)
{
    *names = NULL;
    if (path) {
        FILE *f = fopen(path, "r");
        if (!f) return fv_fail(FV_ERR_IO, "cannot open labels %s: %s", path, strerror(errno));
        fv_status st = read_names(f, path, n, names);
        fclose(f);
        return st;
    }
    if (!weights) return FV_OK;
    static const char *const beside[] = {"synset_words.txt", "testdata/synset_words.txt",
                                         "imagenet_comp_graph_label_strings.txt"};
    char dir[1024], cand[1200];
    snprintf(dir, sizeof dir, "%s", weights);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else slash[slash == dir] = 0; /* "/model" -> "/" */
    for (int i = 0; i < 3; i++) {
        snprintf(cand, sizeof cand, "%s/%s", dir, beside[i]);
        FILE *f = fopen(cand, "r");
        if (!f) continue;
        fv_status st = read_names(f, cand, n, names);
        fclose(f);
        return st;
    }
    return FV_OK;
}

void fv_labels_free(char **names, int n)
{
    for (int k = 0; names && k < n; k++) free(names[k]);
    free(names);
}
