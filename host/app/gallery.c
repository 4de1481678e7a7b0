/* The gallery build: read and merge the journals of a batch output folder (gallery_journal.c), sort each
 * finished image into a layer page cell (neuron / channel / negative / diversity) or the index's "other"
 * list, then write the sheets and pages (gallery_page.c) and the index page. */
#define _POSIX_C_SOURCE 200809L

#include "gallery.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "core/status.h"
#include "core/text.h"
#include "gallery_int.h"
#include "models/model.h"

/* ---------- classification ---------- */

enum { COL_NEURON = 0, COL_CHANNEL = 1, COL_NEGATIVE = 2 };

/* "neuron:L:c", "-L:c" or "L:c" into layer, channel and column; -1 for anything else. */
static int parse_objective(const char *s, char *layer, size_t n, int *ch)
{
    int col = COL_CHANNEL;
    if (!strncmp(s, "neuron:", 7)) {
        col = COL_NEURON;
        s += 7;
    } else if (s[0] == '-') {
        col = COL_NEGATIVE;
        s++;
    }
    size_t len = 0;
    while (s[len] && s[len] != ':') {
        char c = s[len];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '/' ||
              c == '.'))
            return -1;
        len++;
    }
    if (len == 0 || len >= n || s[len] != ':') return -1;
    const char *d = s + len + 1;
    long v = 0;
    int nd = 0;
    for (; *d >= '0' && *d <= '9' && nd < 9; d++, nd++) v = v * 10 + (*d - '0');
    if (nd == 0 || *d) return -1;
    memcpy(layer, s, len);
    layer[len] = '\0';
    /* Class and whole-layer objectives share the NAME:N shape but are not channels of a layer. */
    static const char *const not_layers[] = {"logit", "prob", "deepdream", "direction", "neuron"};
    for (size_t i = 0; i < sizeof not_layers / sizeof *not_layers; i++)
        if (!strcmp(layer, not_layers[i])) return -1;
    *ch = (int)v;
    return col;
}

static int find_layer(gl_gallery *g, const char *name)
{
    for (int i = 0; i < g->nlayers; i++)
        if (!strcmp(g->layers[i].name, name)) return i;
    if (g->nlayers == g->caplayers) {
        int nc = g->caplayers ? 2 * g->caplayers : 16;
        gl_layer *nl = realloc(g->layers, sizeof *nl * (size_t)nc);
        if (!nl) return -1;
        g->layers = nl;
        g->caplayers = nc;
    }
    gl_layer *L = &g->layers[g->nlayers];
    memset(L, 0, sizeof *L);
    snprintf(L->name, sizeof L->name, "%s", name);
    fv_text_safe_name(L->name, L->slug, sizeof L->slug); /* as `examples` names its folders */
    L->ndiv = 4;
    return g->nlayers++;
}

/* Channel count and inception branches of a layer from the model: the slices of the layer's tensor. */
static fv_status layer_from_model(gl_layer *L, const fv_model *m)
{
    int t = fv_net_find(&m->net, L->name);
    L->nch = m->net.tensors[t].c;
    for (int s = 0; s < m->net.ntensors; s++)
        if (m->net.tensors[s].parent == t) L->nbranch++;
    if (!L->nbranch) return FV_OK;
    if (!(L->branch = calloc((size_t)L->nbranch, sizeof *L->branch))) return fv_fail(FV_ERR_NOMEM, "out of memory");
    int k = 0;
    for (int s = 0; s < m->net.ntensors; s++) {
        const fv_net_tensor *ts = &m->net.tensors[s];
        if (ts->parent != t) continue;
        gl_branch b = {.c0 = ts->c0, .c = ts->c};
        snprintf(b.name, sizeof b.name, "%s", ts->name);
        int j = k++;
        for (; j > 0 && L->branch[j - 1].c0 > b.c0; j--) L->branch[j] = L->branch[j - 1];
        L->branch[j] = b;
    }
    return FV_OK;
}

/* Network order with a model, by name without (close to network order for the aliases). */
static int cmp_layer(const void *a, const void *b)
{
    const gl_layer *x = a, *y = b;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    return strcmp(x->name, y->name);
}

static fv_status classify(gl_gallery *g, const fv_model *m)
{
    fv_status st = FV_OK;
    int *lay = malloc(sizeof(int) * (size_t)(g->nrecs + 1)), *row = malloc(sizeof(int) * (size_t)(g->nrecs + 1));
    int *col = malloc(sizeof(int) * (size_t)(g->nrecs + 1));
    g->other = malloc(sizeof(int) * (size_t)(g->nrecs + 1));
    if (!lay || !row || !col || !g->other) {
        st = fv_fail(FV_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < g->nrecs; i++) {
        const gl_rec *r = &g->recs[i];
        char name[96];
        int ch, order = 0, c = parse_objective(r->objective, name, sizeof name, &ch);
        lay[i] = -1;
        if (c == COL_CHANNEL && r->count > 1) {
            c = (r->index >= 0 && r->index < r->count && r->count <= GL_MAX_DIV) ? GL_FIXED + r->index : -1;
        } else if (c >= 0 && r->count > 1) c = -1; /* diversity of a neuron or negative: no column for it */
        if (c >= 0 && m) {
            int t = fv_net_find(&m->net, name);
            if (t < 0 || t == m->net.logits || t == m->net.probs || ch >= m->net.tensors[t].c) c = -1;
            else snprintf(name, sizeof name, "%s", fv_net_display_name(&m->net, t));
            order = t;
        }
        if (c < 0) {
            g->other[g->nother++] = i;
            continue;
        }
        if ((lay[i] = find_layer(g, name)) < 0) {
            st = fv_fail(FV_ERR_NOMEM, "out of memory");
            goto done;
        }
        row[i] = ch;
        col[i] = c;
        gl_layer *L = &g->layers[lay[i]];
        L->order = order;
        if (!m && ch >= L->nch) L->nch = ch + 1;
        if (c >= GL_FIXED && r->count > L->ndiv) L->ndiv = r->count;
    }
    if (g->nlayers > 1) {
        /* Sorting moves the layers under the records' ids: remap them by name afterwards. */
        int *now = malloc(sizeof(int) * (size_t)g->nlayers);
        if (!now) {
            st = fv_fail(FV_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int l = 0; l < g->nlayers; l++) g->layers[l].was = l;
        qsort(g->layers, (size_t)g->nlayers, sizeof *g->layers, cmp_layer);
        for (int l = 0; l < g->nlayers; l++) now[g->layers[l].was] = l;
        for (int i = 0; i < g->nrecs; i++)
            if (lay[i] >= 0) lay[i] = now[lay[i]];
        free(now);
    }
    for (int l = 0; l < g->nlayers && st == FV_OK; l++) {
        gl_layer *L = &g->layers[l];
        if (m) st = layer_from_model(L, m);
        size_t ncell = (size_t)L->nch * (size_t)gl_cols(L);
        L->cell = malloc(sizeof(int) * (ncell ? ncell : 1));
        L->thumb_ok = calloc(ncell ? ncell : 1, 1);
        if (!L->cell || !L->thumb_ok) st = fv_fail(FV_ERR_NOMEM, "out of memory");
        for (size_t k = 0; st == FV_OK && k < ncell; k++) L->cell[k] = -1;
    }
    for (int i = 0; i < g->nrecs && st == FV_OK; i++) {
        if (lay[i] < 0) continue;
        gl_layer *L = &g->layers[lay[i]];
        int *cell = &L->cell[(size_t)row[i] * (size_t)gl_cols(L) + (size_t)col[i]];
        /* Two keys for one cell (other size, seed, steps): an image beats a failure, then the later line. */
        if (*cell < 0 || g->recs[i].ok > g->recs[*cell].ok ||
            (g->recs[i].ok == g->recs[*cell].ok && g->recs[i].seq > g->recs[*cell].seq))
            *cell = i;
    }
done:
    free(lay);
    free(row);
    free(col);
    return st;
}

/* ---------- index page ---------- */

static void write_other(gl_gallery *g, FILE *f)
{
    fprintf(f, "<h2 id=\"other\">Other objectives</h2>\n");
    if (!g->nother) {
        fputs("<p>None.</p>\n", f);
        return;
    }
    fputs("<table class=\"list\"><tr><th>image</th><th>objective</th><th>of group</th><th>status</th><th>key</th></tr>\n",
          f);
    for (int k = 0; k < g->nother; k++) {
        const gl_rec *r = &g->recs[g->other[k]];
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", g->out_dir, r->file ? r->file : "");
        struct stat sb;
        int have = r->ok && gl_safe_path(r->file) && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
        fputs("<tr><td>", f);
        if (have) {
            fputs("<a href=\"../", f);
            gl_url(f, r->file);
            fprintf(f, "\"><img src=\"../");
            gl_url(f, r->file);
            fprintf(f, "\" width=\"%d\" height=\"%d\" alt=\"\"></a>", g->thumb, g->thumb);
        } else {
            fprintf(f, "<span class=\"ph%s\"></span>", r->ok ? "" : " f");
        }
        fputs("</td><td>", f);
        gl_html(f, r->objective);
        fputs("</td><td>", f);
        if (r->count > 1) fprintf(f, "%d of %d", r->index + 1, r->count);
        fputs("</td><td>", f);
        if (r->ok) fputs(have ? "ok" : "file missing", f);
        else {
            fputs("failed: ", f);
            gl_html(f, r->error ? r->error : "(no error text)");
        }
        fputs("</td><td class=\"key\">", f);
        gl_html(f, r->key);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static fv_status write_index(gl_gallery *g)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/index.html", g->gdir);
    fv_atomic_file af;
    FV_TRY(fv_atomic_open(&af, path, "w"));
    FILE *f = af.f;
    gl_head(f, "Feature visualization gallery", g->thumb);
    fputs("</style></head><body>\n<h1>Feature visualization gallery</h1>\n<p>", f);
    if (g->model_name) {
        fputs("Model ", f);
        gl_html(f, g->model_name);
        fputs(". ", f);
    }
    fprintf(f,
            "%d journal(s): %d images or failures (%d repeated line(s) superseded), %d line(s) skipped as "
            "unparsable.</p>\n",
            g->njournals, g->nrecs, g->replaced, g->bad_lines);
    fputs("<table class=\"list\"><tr><th>layer</th><th>channels</th><th>images</th><th>of</th><th>failed</th>"
          "<th>unreadable</th></tr>\n",
          f);
    for (int l = 0; l < g->nlayers; l++) {
        const gl_layer *L = &g->layers[l];
        fprintf(f, "<tr><td><a href=\"%s.html\">", L->slug);
        gl_html(f, L->name);
        fprintf(f, "</a></td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td></tr>\n", L->nch, L->done,
                L->nch * gl_cols(L), L->failed, L->unreadable);
    }
    if (!g->nlayers) fputs("<tr><td colspan=\"6\">No layer images yet.</td></tr>\n", f);
    fputs("</table>\n", f);
    write_other(g, f);
    gl_selfcheck(f);
    fputs("</body></html>\n", f);
    return fv_atomic_commit(&af);
}

/* ---------- build ---------- */

static void free_gallery(gl_gallery *g)
{
    for (int i = 0; i < g->nrecs; i++) gl_free_rec(&g->recs[i]);
    free(g->recs);
    for (int l = 0; l < g->nlayers; l++) {
        free(g->layers[l].cell);
        free(g->layers[l].thumb_ok);
        free(g->layers[l].branch);
    }
    free(g->layers);
    free(g->other);
    free(g->gdir);
}

fv_status fv_gallery_build(const char *out_dir, const fv_model *m, int thumb, FILE *log)
{
    if (!out_dir || !*out_dir) return fv_fail(FV_ERR_ARG, "gallery: no output folder given");
    if (thumb == 0) thumb = 96;
    if (thumb < 8 || thumb > 512) return fv_fail(FV_ERR_ARG, "gallery: thumbnail size %d out of range (8..512)", thumb);
    gl_gallery g = {.out_dir = out_dir, .thumb = thumb, .log = log, .model_name = m ? fv_model_name(m) : NULL};
    size_t len = strlen(out_dir) + 32;
    fv_status st = FV_OK;
    if (!(g.gdir = malloc(len))) return fv_fail(FV_ERR_NOMEM, "out of memory");
    snprintf(g.gdir, len, "%s/gallery", out_dir);
    char *sp = malloc(len);
    if (!sp) st = fv_fail(FV_ERR_NOMEM, "out of memory");
    else snprintf(sp, len, "%s/gallery/sprites", out_dir);
    if (st == FV_OK) st = gl_read_journals(&g);
    if (st == FV_OK) st = fv_mkdirs(sp);
    free(sp);
    if (st == FV_OK) {
        gl_dedup(&g);
        st = classify(&g, m);
    }
    for (int l = 0; l < g.nlayers && st == FV_OK; l++) st = gl_write_layer(&g, &g.layers[l]);
    if (st == FV_OK) st = write_index(&g);
    if (st == FV_OK) {
        int done = 0, failed = 0;
        for (int l = 0; l < g.nlayers; l++) done += g.layers[l].done, failed += g.layers[l].failed;
        gl_log(&g, "%s/index.html: %d layer page(s), %d images, %d failed, %d other", g.gdir, g.nlayers, done, failed,
               g.nother);
    }
    free_gallery(&g);
    if (st != FV_OK) return fv_fail_ctx(st, "gallery of %s", out_dir);
    return st;
}
