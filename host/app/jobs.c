/* Job lists for batch runs: the job-file parser (every line validated against the model before anything
 * renders), the article's appendix as jobs, keys and output stems, the job-file writer, and sharding.
 *
 * Job file format (README "Job files"):
 *   - One job per line. Blank lines are ignored. '#' starts a comment when it begins the line or follows
 *     whitespace; the comment runs to the end of the line ('#' inside a word, e.g. in a file name, is kept).
 *   - A job is an OBJECTIVE in the command-line syntax (README "Objectives"; it may contain spaces, as in
 *     `mixed4a:97 + 0.5*mixed4a:143`) followed by optional settings, each one `key=value` token:
 *       size=N       image size in pixels, 16..4096
 *       steps=N      optimisation steps, 1..1000000
 *       seed=N       global seed, a whole number >= 0
 *       diversity=N  images in one diversity group, 1..64 (1: a single image)
 *       preset=P     transform chain: article, lucid or none
 *     The settings are the trailing whitespace-separated tokens that contain '=' with no ':' before it
 *     (every objective term has a ':' first); everything before them is the objective. A setting a line
 *     does not give takes the run's default (the command line's --size, --steps, ...).
 *   - Errors, each reported as "PATH:LINE: reason": unknown key, bad value, a key given twice, an objective
 *     the model rejects (unknown layer, channel out of range, bad syntax, checked at the job's size), a
 *     line over 4096 characters, and a job equal to an earlier one ("duplicate of line N": same key).
 *     The whole file is checked before anything runs.
 *   Example:
 *     # mixed4a, two ways
 *     mixed4a:97                                  # channel 97 with the run's defaults
 *     mixed4a:97 + 0.5*mixed4a:143 size=224 steps=2560 seed=3 preset=lucid diversity=4
 *
 * Keys and stems: a job's key is "<canonical objective>|size=S|steps=N|seed=R|preset=P|div=D" (all that
 * changes its pixels). Its stem (output path without ".png"; diversity groups write "<stem>_div<i>.png")
 * is "<layer>/<slug>": layer = display name of the first term's tensor ('/' -> '_'), slug = the canonical
 * objective with spaces dropped, a leading '-' written "neg_", [A-Za-z0-9._+-] kept and other runs '_'
 * (over 150 characters: cut, plus a hash of the objective). A list's stems are made unique over the whole
 * list before it is sharded (so every shard names a job alike): jobs whose stems match (ignoring case)
 * get "_s<size>", "_n<steps>", "_r<seed>", "_<preset>" for each setting that differs among them, and
 * "_d<diversity>" when they differ in diversity and the job's diversity is above 1; any still matching
 * get "_k<hash of the key>". */
#include "jobs.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "render/objective.h"
#include "core/status.h"

#define LINE_MAX_CHARS 4096
#define SLUG_MAX 150
#define MAX_SETTINGS 32

static const char *preset_name(fv_preset p)
{
    return p == FV_PRESET_LUCID ? "lucid" : p == FV_PRESET_NONE ? "none" : "article";
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Stems compare without case: two jobs must not share a file on case-insensitive file systems either. */
static int stem_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = tolower((unsigned char)*a), y = tolower((unsigned char)*b);
        if (x != y || !x) return x - y;
    }
}

void fv_jobs_free(fv_joblist *jl)
{
    free(jl->jobs);
    memset(jl, 0, sizeof *jl);
}

static fv_status push(fv_joblist *jl, const fv_job *j)
{
    if (jl->n == jl->cap) {
        int cap = jl->cap ? 2 * jl->cap : 64;
        fv_job *p = realloc(jl->jobs, sizeof *p * (size_t)cap);
        if (!p) return fv_fail(FV_ERR_NOMEM, "job list: out of memory");
        jl->jobs = p;
        jl->cap = cap;
    }
    jl->jobs[jl->n++] = *j;
    return FV_OK;
}

/* The file-safe form of a canonical objective (format comment above). */
static void slug(const char *canon, char *out, size_t n)
{
    char buf[1024];
    size_t k = 0;
    const char *s = canon;
    while (*s == ' ') s++;
    if (*s == '-') {
        k = (size_t)snprintf(buf, sizeof buf, "neg_");
        s++;
    }
    for (; *s && k + 1 < sizeof buf; s++) {
        char ch = *s;
        if (isalnum((unsigned char)ch) || ch == '.' || ch == '_' || ch == '-' || ch == '+') buf[k++] = ch;
        else if (ch != ' ' && k && buf[k - 1] != '_') buf[k++] = '_';
    }
    while (k && buf[k - 1] == '_') k--;
    buf[k] = 0;
    if (k > SLUG_MAX) snprintf(buf + SLUG_MAX - 18, 19, "_h%016llx", (unsigned long long)fnv1a(canon));
    /* a name starting with '.' would be hidden (or be "." / ".."); objectives never do, but be sure */
    size_t off = buf[0] == '.' || !buf[0], len = strlen(buf);
    if (off + len + 1 > n) len = n - off - 1;
    out[0] = '_';
    memcpy(out + off, buf, len);
    out[off + len] = 0;
}

static void finish_with(fv_job *j, const fv_net *net, const fv_objective *o)
{
    snprintf(j->objective, sizeof j->objective, "%s", o->canon);
    snprintf(j->key, sizeof j->key, "%s|size=%d|steps=%d|seed=%llu|preset=%s|div=%d", j->objective, j->size,
             j->steps, (unsigned long long)j->seed, preset_name(j->preset), j->diversity);
    char layer[FV_NAME_MAX + 2] = "other", name[SLUG_MAX + 8];
    if (o->nterms > 0) {
        const char *d = fv_net_display_name(net, o->terms[0].tensor);
        size_t k = 0;
        if (d[0] == '.') layer[k++] = '_';
        for (; *d && k + 1 < sizeof layer; d++) layer[k++] = *d == '/' ? '_' : *d;
        layer[k] = 0;
    }
    slug(j->objective, name, sizeof name);
    snprintf(j->stem, sizeof j->stem, "%s/%s", layer, name);
}

void fv_job_finish(fv_job *j, const fv_model *m)
{
    fv_objective o;
    if (fv_objective_parse(&m->net, j->objective, j->size, j->size, &o) == FV_OK) {
        finish_with(j, &m->net, &o);
        fv_objective_free(&o);
        return;
    }
    /* not valid for this model: keep the text, and still give a key and a stem */
    memset(&o, 0, sizeof o);
    snprintf(o.canon, sizeof o.canon, "%s", j->objective);
    finish_with(j, &m->net, &o);
}

/* ---------- unique stems ---------- */

/* Ties keep list order (pointers into one array compare by position), so suffixing is deterministic. */
static int by_stem(const void *a, const void *b)
{
    const fv_job *x = *(const fv_job *const *)a, *y = *(const fv_job *const *)b;
    int c = stem_cmp(x->stem, y->stem);
    return c ? c : (x > y) - (x < y);
}

static void append(char *stem, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *stem, size_t n, const char *fmt, ...)
{
    size_t len = strlen(stem);
    va_list ap;
    va_start(ap, fmt);
    if (len < n) vsnprintf(stem + len, n - len, fmt, ap);
    va_end(ap);
}

/* Suffix every group of jobs sharing a stem: pass 0 with the settings that differ within the group,
 * pass 1 with a hash of the key, pass 2 only counts. Returns the number of jobs that were in such groups. */
static int suffix_pass(fv_joblist *jl, fv_job **idx, int pass)
{
    for (int i = 0; i < jl->n; i++) idx[i] = &jl->jobs[i];
    qsort(idx, (size_t)jl->n, sizeof *idx, by_stem);
    int touched = 0;
    for (int a = 0, b; a < jl->n; a = b) {
        for (b = a + 1; b < jl->n && !stem_cmp(idx[a]->stem, idx[b]->stem); b++) {
        }
        if (b - a < 2) continue;
        touched += b - a;
        const fv_job *f = idx[a];
        int dsize = 0, dsteps = 0, dseed = 0, dpreset = 0, ddiv = 0;
        for (int i = a + 1; i < b; i++) {
            const fv_job *j = idx[i];
            dsize |= j->size != f->size;
            dsteps |= j->steps != f->steps;
            dseed |= j->seed != f->seed;
            dpreset |= j->preset != f->preset;
            ddiv |= j->diversity != f->diversity;
        }
        for (int i = a; i < b; i++) {
            fv_job *j = idx[i];
            const size_t n = sizeof j->stem;
            if (pass == 2) continue;
            if (pass == 1) {
                append(j->stem, n, "_k%016llx", (unsigned long long)fnv1a(j->key));
                continue;
            }
            if (dsize) append(j->stem, n, "_s%d", j->size);
            if (dsteps) append(j->stem, n, "_n%d", j->steps);
            if (dseed) append(j->stem, n, "_r%llu", (unsigned long long)j->seed);
            if (dpreset) append(j->stem, n, "_%s", preset_name(j->preset));
            if (ddiv && j->diversity > 1) append(j->stem, n, "_d%d", j->diversity);
        }
    }
    return touched;
}

static fv_status unique_stems(fv_joblist *jl, const char *what)
{
    if (jl->n < 2) return FV_OK;
    fv_job **idx = malloc(sizeof *idx * (size_t)jl->n);
    if (!idx) return fv_fail(FV_ERR_NOMEM, "job list: out of memory");
    int left = suffix_pass(jl, idx, 0);
    if (left) left = suffix_pass(jl, idx, 1);
    if (left) left = suffix_pass(jl, idx, 2);
    free(idx);
    /* the hash pass leaves a clash only for equal keys, which the callers have already refused */
    if (left) return fv_fail(FV_ERR_ARG, "%s: could not give %d jobs distinct output names", what, left);
    return FV_OK;
}

/* ---------- duplicate keys: an open-addressing set of job indices ---------- */

typedef struct keyset {
    int *slot; /* job index + 1, 0 = empty */
    size_t cap;
} keyset;

/* Index of the job with this key, or -1 after recording job `self` under it. */
static int keyset_add(keyset *ks, const fv_joblist *jl, int self)
{
    if ((size_t)self * 2 + 2 > ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 256;
        int *s = calloc(cap, sizeof *s);
        if (!s) return -2;
        for (size_t i = 0; i < ks->cap; i++)
            if (ks->slot[i]) {
                size_t h = (size_t)fnv1a(jl->jobs[ks->slot[i] - 1].key) & (cap - 1);
                while (s[h]) h = (h + 1) & (cap - 1);
                s[h] = ks->slot[i];
            }
        free(ks->slot);
        ks->slot = s;
        ks->cap = cap;
    }
    size_t h = (size_t)fnv1a(jl->jobs[self].key) & (ks->cap - 1);
    for (; ks->slot[h]; h = (h + 1) & (ks->cap - 1))
        if (!strcmp(jl->jobs[ks->slot[h] - 1].key, jl->jobs[self].key)) return ks->slot[h] - 1;
    ks->slot[h] = self + 1;
    return -1;
}

/* ---------- the job file ---------- */

static void default_settings(const fv_job_defaults *def, fv_job *j)
{
    /* no defaults (or unset fields): the renderer's own */
    fv_render_config c;
    fv_render_config_default(&c);
    memset(j, 0, sizeof *j);
    j->size = def && def->size > 0 ? def->size : c.size;
    j->steps = def && def->steps > 0 ? def->steps : c.steps;
    j->seed = def ? def->seed : c.seed;
    j->preset = def ? def->preset : c.preset;
    j->diversity = def && def->diversity > 0 ? def->diversity : 1;
}

static int all_digits(const char *s) /* non-empty, no sign, no spaces */
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

static int parse_range(const char *v, long lo, long hi, int *out)
{
    if (!all_digits(v) || strlen(v) > 9) return 0;
    long x = strtol(v, NULL, 10);
    if (x < lo || x > hi) return 0;
    *out = (int)x;
    return 1;
}

/* One `key=value` token into the job; a reason on failure. `seen` holds the keys given so far. */
static int apply_setting(char *tok, fv_job *j, unsigned *seen, char *why, size_t nwhy)
{
    static const char *const keys[] = {"size", "steps", "seed", "diversity", "preset"};
    char *eq = strchr(tok, '=');
    if (eq == tok) {
        snprintf(why, nwhy, "setting '%s' has no name (known: size, steps, seed, diversity, preset)", tok);
        return 0;
    }
    *eq = 0;
    const char *k = tok, *v = eq + 1;
    int which = -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(k, keys[i])) which = i;
    if (which < 0) {
        snprintf(why, nwhy, "unknown setting '%s' (known: size, steps, seed, diversity, preset)", k);
        return 0;
    }
    if (*seen & (1u << which)) {
        snprintf(why, nwhy, "setting '%s' given twice", k);
        return 0;
    }
    *seen |= 1u << which;
    int ok = 1;
    const char *expect = "";
    switch (which) {
    case 0: ok = parse_range(v, 16, 4096, &j->size), expect = "a whole number from 16 to 4096"; break;
    case 1: ok = parse_range(v, 1, 1000000, &j->steps), expect = "a whole number from 1 to 1000000"; break;
    case 2: {
        expect = "a whole number >= 0";
        errno = 0;
        unsigned long long s = all_digits(v) ? strtoull(v, NULL, 10) : 0;
        ok = all_digits(v) && !errno;
        j->seed = s;
        break;
    }
    case 3: ok = parse_range(v, 1, 64, &j->diversity), expect = "a whole number from 1 to 64"; break;
    default:
        expect = "article, lucid or none";
        if (!strcmp(v, "article")) j->preset = FV_PRESET_ARTICLE;
        else if (!strcmp(v, "lucid")) j->preset = FV_PRESET_LUCID;
        else if (!strcmp(v, "none")) j->preset = FV_PRESET_NONE;
        else ok = 0;
    }
    if (!ok) snprintf(why, nwhy, "%s='%s': expected %s", k, v, expect);
    return ok;
}

static int is_setting(const char *tok, const char *end)
{
    for (const char *p = tok; p < end; p++) {
        if (*p == ':') return 0;
        if (*p == '=') return 1;
    }
    return 0;
}

/* Parse one line (comment already cut, not empty) into *j; 0 and a reason if it is bad. */
static int parse_line(char *s, const fv_model *m, fv_job *j, char *why, size_t nwhy)
{
    char *set[MAX_SETTINGS];
    int nset = 0;
    char *end = s + strlen(s);
    for (;;) { /* peel settings off the end */
        while (end > s && isspace((unsigned char)end[-1])) end--;
        char *t = end;
        while (t > s && !isspace((unsigned char)t[-1])) t--;
        if (t == end || !is_setting(t, end)) break;
        if (nset == MAX_SETTINGS) {
            snprintf(why, nwhy, "more than %d settings", MAX_SETTINGS);
            return 0;
        }
        set[nset++] = t;
        *end = 0;
        end = t;
    }
    *end = 0;
    if (end == s) {
        snprintf(why, nwhy, "no objective before the settings");
        return 0;
    }
    unsigned seen = 0;
    for (int i = nset - 1; i >= 0; i--) /* left to right, so the first bad setting is the one named */
        if (!apply_setting(set[i], j, &seen, why, nwhy)) return 0;
    fv_objective o;
    if (fv_objective_parse(&m->net, s, j->size, j->size, &o) != FV_OK) {
        snprintf(why, nwhy, "%s", fv_last_error());
        return 0;
    }
    int ok = strlen(o.canon) + 1 < sizeof o.canon;
    if (ok) finish_with(j, &m->net, &o);
    else snprintf(why, nwhy, "objective too long (over %d characters in canonical form)", (int)sizeof o.canon - 2);
    fv_objective_free(&o);
    return ok;
}

/* Cut a comment: '#' at the start of the line or after whitespace. */
static void cut_comment(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
            *p = 0;
            return;
        }
}

fv_status fv_jobs_parse_file(const char *path, const fv_model *m, const fv_job_defaults *def, int skip_invalid,
                             FILE *report, fv_joblist *out)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "r");
    if (!fp) return fv_fail(FV_ERR_IO, "%s: cannot open job file: %s", path, strerror(errno));
    char buf[LINE_MAX_CHARS + 4], why[1024 + 512];
    keyset ks = {NULL, 0};
    int *lines = NULL; /* line of each kept job, for "duplicate of line N" */
    int lineno = 0, bad = 0;
    fv_status st = FV_OK;
    while (st == FV_OK && fgets(buf, sizeof buf, fp)) {
        lineno++;
        size_t len = strlen(buf);
        int too_long = 0;
        if (len && buf[len - 1] != '\n' && !feof(fp)) { /* longer than the buffer: skip the rest */
            int ch;
            while ((ch = fgetc(fp)) != EOF && ch != '\n') {
            }
            too_long = 1;
        }
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = 0;
        fv_job j;
        default_settings(def, &j);
        j.line = lineno;
        int ok = 1;
        if (too_long || len > LINE_MAX_CHARS) {
            snprintf(why, sizeof why, "line longer than %d characters", LINE_MAX_CHARS);
            ok = 0;
        } else {
            cut_comment(buf);
            char *s = buf;
            while (isspace((unsigned char)*s)) s++;
            if (!*s) continue;
            ok = parse_line(s, m, &j, why, sizeof why);
        }
        if (ok) {
            if ((st = push(out, &j)) != FV_OK) break;
            int *nl = realloc(lines, sizeof *lines * (size_t)out->cap);
            if (!nl) {
                st = fv_fail(FV_ERR_NOMEM, "job list: out of memory");
                break;
            }
            lines = nl;
            lines[out->n - 1] = lineno;
            int dup = keyset_add(&ks, out, out->n - 1);
            if (dup == -2) {
                st = fv_fail(FV_ERR_NOMEM, "job list: out of memory");
                break;
            }
            if (dup >= 0) {
                out->n--;
                snprintf(why, sizeof why, "duplicate of line %d (%s)", lines[dup], j.key);
                ok = 0;
            }
        }
        if (!ok) {
            bad++;
            if (report) fprintf(report, "%s:%d: %s\n", path, lineno, why);
        }
    }
    if (st == FV_OK && ferror(fp)) st = fv_fail(FV_ERR_IO, "%s: read error", path);
    fclose(fp);
    free(ks.slot);
    free(lines);
    if (st == FV_OK && bad && !skip_invalid)
        st = fv_fail(FV_ERR_ARG, "%s: %d bad line%s (each reported above)", path, bad, bad == 1 ? "" : "s");
    if (st == FV_OK && out->n == 0)
        st = fv_fail(FV_ERR_ARG, "%s: no jobs in the file%s", path, bad ? " (every line was bad)" : "");
    if (st == FV_OK) st = unique_stems(out, path);
    if (st != FV_OK) fv_jobs_free(out);
    return st;
}

/* ---------- the appendix ---------- */

static const char *const default_layers[] = {"mixed3a", "mixed3b", "mixed4a", "mixed4b", "mixed4c",
                                             "mixed4d", "mixed4e", "mixed5a", "mixed5b"};

static fv_status add_generated(fv_joblist *jl, const fv_model *m, const fv_job *proto, const char *text)
{
    fv_objective o;
    fv_status st = fv_objective_parse(&m->net, text, proto->size, proto->size, &o);
    if (st != FV_OK) return fv_fail_ctx(st, "appendix");
    fv_job j = *proto;
    finish_with(&j, &m->net, &o);
    fv_objective_free(&o);
    return push(jl, &j);
}

/* The pre-ReLU twin of t (the tensor whose ReLU gives t), or -1. */
static int pre_relu_of(const fv_net *net, int t)
{
    for (int p = 0; p < net->ntensors; p++)
        if (p != t && fv_net_post_relu(net, p) == t) return p;
    return -1;
}

fv_status fv_jobs_appendix(const fv_model *m, const char *const *layers, int nlayers, int post_relu,
                           const fv_job_defaults *def, fv_joblist *out)
{
    memset(out, 0, sizeof *out);
    if (nlayers <= 0) {
        layers = default_layers;
        nlayers = (int)(sizeof default_layers / sizeof *default_layers);
    }
    int *tensors = malloc(sizeof *tensors * (size_t)nlayers);
    if (!tensors) return fv_fail(FV_ERR_NOMEM, "appendix: out of memory");
    fv_status st = FV_OK;
    for (int i = 0; i < nlayers && st == FV_OK; i++) {
        tensors[i] = fv_net_find(&m->net, layers[i]);
        if (tensors[i] < 0 || tensors[i] == m->net.input)
            st = fv_fail(FV_ERR_ARG, "appendix: unknown layer '%s' in %s (featvis-cuda layers lists them)",
                         layers[i], m->name);
        /* Either name picks the layer; the appendix optimises its pre-ReLU tensor (Lucid's notebooks:
         * negatives and dead channels have gradients there), or with post_relu its post-ReLU one. */
        if (st == FV_OK) {
            const int twin = post_relu ? fv_net_post_relu(&m->net, tensors[i]) : pre_relu_of(&m->net, tensors[i]);
            if (twin >= 0) tensors[i] = twin;
        }
        for (int k = 0; k < i && st == FV_OK; k++)
            if (tensors[k] == tensors[i]) /* same jobs twice: refuse rather than render them twice */
                st = fv_fail(FV_ERR_ARG, "appendix: layer '%s' is given twice ('%s' and '%s')",
                             fv_net_display_name(&m->net, tensors[i]), layers[k], layers[i]);
    }
    fv_job proto;
    default_settings(def, &proto);
    proto.diversity = 1;
    for (int i = 0; i < nlayers && st == FV_OK; i++) {
        const char *name = fv_net_display_name(&m->net, tensors[i]);
        for (int c = 0; c < m->net.tensors[tensors[i]].c && st == FV_OK; c++) {
            char text[FV_NAME_MAX + 32];
            fv_job div = proto;
            div.diversity = 4;
            snprintf(text, sizeof text, "neuron:%s:%d", name, c);
            st = add_generated(out, m, &proto, text);
            snprintf(text, sizeof text, "%s:%d", name, c);
            if (st == FV_OK) st = add_generated(out, m, &proto, text);
            snprintf(text, sizeof text, "-%s:%d", name, c);
            if (st == FV_OK) st = add_generated(out, m, &proto, text);
            snprintf(text, sizeof text, "%s:%d", name, c);
            if (st == FV_OK) st = add_generated(out, m, &div, text);
        }
    }
    free(tensors);
    if (st == FV_OK) st = unique_stems(out, "appendix");
    if (st != FV_OK) fv_jobs_free(out);
    return st;
}

/* ---------- writing, sharding ---------- */

fv_status fv_jobs_write(const char *path, const fv_joblist *jl)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return fv_fail(FV_ERR_IO, "%s: cannot create job file: %s", path, strerror(errno));
    fprintf(fp, "# featvis-cuda job file: %d job%s, one a line: OBJECTIVE size=N steps=N seed=N preset=P "
                "diversity=N\n", jl->n, jl->n == 1 ? "" : "s");
    for (int i = 0; i < jl->n; i++) {
        const fv_job *j = &jl->jobs[i];
        /* every setting is written, so reading back does not depend on the reader's defaults */
        fprintf(fp, "%s size=%d steps=%d seed=%llu preset=%s diversity=%d\n", j->objective, j->size, j->steps,
                (unsigned long long)j->seed, preset_name(j->preset), j->diversity);
    }
    int bad = ferror(fp);
    if (fclose(fp) != 0 || bad) return fv_fail(FV_ERR_IO, "%s: write failed", path);
    return FV_OK;
}

void fv_jobs_shard(fv_joblist *jl, int k, int n)
{
    if (n < 1 || k < 0 || k >= n) return; /* fv_shard_parse never gives these */
    int w = 0;
    for (int i = 0; i < jl->n; i++)
        if (i % n == k) jl->jobs[w++] = jl->jobs[i];
    jl->n = w;
}

/* A whole number 0..limit from text; 0 if it is not one. */
static int whole(const char *s, const char *end, long limit, long *v)
{
    if (s == end || end - s > 9) return 0;
    long x = 0;
    for (const char *p = s; p < end; p++) {
        if (!isdigit((unsigned char)*p)) return 0;
        x = x * 10 + (*p - '0');
    }
    *v = x;
    return x <= limit;
}

static fv_status env_index(const char *text, long *k)
{
    const char *name = "JOB_COMPLETION_INDEX", *v = getenv(name);
    if (!v || !*v) v = getenv(name = "SLURM_ARRAY_TASK_ID");
    if (!v || !*v)
        return fv_fail(FV_ERR_ARG, "--shard %s: neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set", text);
    if (!whole(v, v + strlen(v), 1000000000L, k))
        return fv_fail(FV_ERR_ARG, "--shard %s: %s='%s' is not a whole number", text, name, v);
    if (name[0] == 'S') {
        const char *mv = getenv("SLURM_ARRAY_TASK_MIN");
        long mn;
        if (mv && *mv) {
            if (!whole(mv, mv + strlen(mv), 1000000000L, &mn))
                return fv_fail(FV_ERR_ARG, "--shard %s: SLURM_ARRAY_TASK_MIN='%s' is not a whole number", text, mv);
            if (mn > *k)
                return fv_fail(FV_ERR_ARG, "--shard %s: SLURM_ARRAY_TASK_ID=%s is below SLURM_ARRAY_TASK_MIN=%s",
                               text, v, mv);
            *k -= mn;
        }
    }
    return FV_OK;
}

fv_status fv_shard_parse(const char *text, int *k, int *n)
{
    if (!text) return fv_fail(FV_ERR_ARG, "--shard: expected K/N (0 <= K < N), auto/N or /N");
    const char *slash = strchr(text, '/'), *end = text + strlen(text);
    long kv = 0, nv = 0;
    if (!slash || !whole(slash + 1, end, 1000000L, &nv) || nv < 1)
        return fv_fail(FV_ERR_ARG, "--shard %s: expected K/N with 0 <= K < N and N from 1 to 1000000, or auto/N "
                                   "or /N (K from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)", text);
    size_t klen = (size_t)(slash - text);
    if (klen == 0 || (klen == 4 && !strncmp(text, "auto", 4))) {
        FV_TRY(env_index(text, &kv));
        if (kv >= nv)
            return fv_fail(FV_ERR_ARG, "--shard %s: the index from the environment, %ld, must be below N=%ld", text,
                           kv, nv);
    } else {
        if (!whole(text, slash, 1000000000L, &kv))
            return fv_fail(FV_ERR_ARG, "--shard %s: K must be a whole number (or 'auto')", text);
        if (kv >= nv) return fv_fail(FV_ERR_ARG, "--shard %s: K must be below N", text);
    }
    *k = (int)kv;
    *n = (int)nv;
    return FV_OK;
}
