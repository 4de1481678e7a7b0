/* The gallery's journals: every journal*.jsonl of a batch output folder read in name order (libjansson,
 * one object per line; lines cut short by a killed writer are counted and skipped), then one record per
 * key and image index: the last "ok" line, else the last line. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "gallery_int.h"

static char *dup_field(json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? strdup(s) : NULL;
}

static double num_field(json_t *o, const char *name, double dflt)
{
    json_t *v = json_object_get(o, name);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

void gl_free_rec(gl_rec *r)
{
    free(r->key);
    free(r->objective);
    free(r->file);
    free(r->error);
    free(r->preset);
}

/* One journal line into a record; 0 if the line is not an object with a key and an objective (a line
 * cut short by a killed writer, or garbage), which the caller counts and skips. */
static int parse_line(gl_gallery *g, const char *line, gl_rec *r)
{
    /* Integers as doubles: a uint64 seed above 2^63 is valid JSON that jansson would otherwise reject. */
    json_t *o = json_loads(line, JSON_DECODE_INT_AS_REAL, NULL);
    int good = json_is_object(o) && json_is_string(json_object_get(o, "key")) &&
               json_is_string(json_object_get(o, "objective"));
    if (good) {
        memset(r, 0, sizeof *r);
        r->key = dup_field(o, "key");
        r->objective = dup_field(o, "objective");
        r->file = dup_field(o, "file");
        r->error = dup_field(o, "error");
        r->preset = dup_field(o, "preset");
        const char *st = json_string_value(json_object_get(o, "status"));
        r->ok = st && !strcmp(st, "ok") && r->file;
        r->index = (int)num_field(o, "index", 0);
        r->count = (int)num_field(o, "count", 1);
        r->size = (int)num_field(o, "size", 0);
        r->steps = (int)num_field(o, "steps", 0);
        r->first = num_field(o, "objective_first", NAN);
        r->last = num_field(o, "objective_last", NAN);
        r->seconds = num_field(o, "seconds", NAN);
        const char *model = json_string_value(json_object_get(o, "model"));
        if (model && g->model_name && strcmp(model, g->model_name) && !g->model_warned++)
            gl_log(g, "note: journal line for %s names model %s, the gallery uses %s", r->key, model, g->model_name);
        if (!r->key || !r->objective) {
            gl_free_rec(r);
            good = 0;
        }
    }
    json_decref(o);
    return good;
}

static fv_status read_journal(gl_gallery *g, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return fv_fail(FV_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int bad = 0, n = 0;
    fv_status st = FV_OK;
    while ((len = getline(&line, &cap, f)) >= 0) {
        size_t i = 0;
        while (i < (size_t)len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) i++;
        if (i == (size_t)len) continue; /* blank line */
        if (g->nrecs == g->caprecs) {
            int nc = g->caprecs ? 2 * g->caprecs : 1024;
            gl_rec *nr = realloc(g->recs, sizeof *nr * (size_t)nc);
            if (!nr) {
                st = fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            g->recs = nr;
            g->caprecs = nc;
        }
        n++;
        gl_rec *r = &g->recs[g->nrecs];
        if (!parse_line(g, line, r)) {
            bad++;
            continue;
        }
        r->seq = g->nlines++;
        g->nrecs++;
    }
    free(line);
    fclose(f);
    g->bad_lines += bad;
    g->njournals++;
    gl_log(g, "%s: %d lines%s", path, n, bad ? "" : ", all parsed");
    if (bad) gl_log(g, "%s: %d line(s) do not parse (a writer killed mid-line?); skipped", path, bad);
    return st;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every journal*.jsonl of the folder, in name order so that reruns merge the same way. */
fv_status gl_read_journals(gl_gallery *g)
{
    DIR *d = opendir(g->out_dir);
    if (!d) return fv_fail(FV_ERR_IO, "%s: cannot open the output folder: %s", g->out_dir, strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0;
    fv_status st = FV_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (fnmatch("journal*.jsonl", e->d_name, 0) != 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **nn = realloc(names, sizeof *nn * (size_t)cap);
            if (!nn) {
                st = fv_fail(FV_ERR_NOMEM, "out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) {
            st = fv_fail(FV_ERR_NOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (st == FV_OK && n > 1) qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n && st == FV_OK; i++) {
        size_t len = strlen(g->out_dir) + strlen(names[i]) + 2;
        char *p = malloc(len);
        if (!p) st = fv_fail(FV_ERR_NOMEM, "out of memory");
        else {
            snprintf(p, len, "%s/%s", g->out_dir, names[i]);
            st = read_journal(g, p);
            free(p);
        }
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    if (st == FV_OK && n == 0) gl_log(g, "%s: no journal*.jsonl; the gallery will be empty", g->out_dir);
    return st;
}

static int cmp_rec(const void *a, const void *b)
{
    const gl_rec *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    if (x->index != y->index) return x->index < y->index ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One record per key+index: the last "ok" line, else the last line (a failure). */
void gl_dedup(gl_gallery *g)
{
    if (g->nrecs > 1) qsort(g->recs, (size_t)g->nrecs, sizeof *g->recs, cmp_rec);
    int out = 0;
    for (int i = 0; i < g->nrecs;) {
        int j = i, win = i;
        while (j < g->nrecs && !strcmp(g->recs[j].key, g->recs[i].key) && g->recs[j].index == g->recs[i].index) {
            if (g->recs[j].ok || !g->recs[win].ok) win = j;
            j++;
        }
        g->replaced += j - i - 1;
        for (int k = i; k < j; k++)
            if (k != win) gl_free_rec(&g->recs[k]);
        g->recs[out++] = g->recs[win];
        i = j;
    }
    g->nrecs = out;
}
