/* Job files for batch runs: the parser (every line validated against the model before anything renders),
 * the writer, and the names of the transform presets.
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
 * Keys and output stems: job_names.c; the appendix: appendix.c; shards: shard.c. */
#define _POSIX_C_SOURCE 200809L

#include "jobs.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/status.h"
#include "jobs_int.h"
#include "models/model.h"

#define LINE_MAX_CHARS 4096
#define MAX_SETTINGS 32
/* Job lines one file may hold, counted before any is parsed: each job takes about 2 KiB, and the appendix of
 * every channel is 21,936 jobs. A bigger batch is several files. */
#define MAX_JOBS 250000


void fv_jobs_free(fv_joblist *jl)
{
    free(jl->jobs);
    memset(jl, 0, sizeof *jl);
}

fv_status fv_jobs_push(fv_joblist *jl, const fv_job *j)
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
                size_t h = (size_t)fv_jobs_hash(jl->jobs[ks->slot[i] - 1].key) & (cap - 1);
                while (s[h]) h = (h + 1) & (cap - 1);
                s[h] = ks->slot[i];
            }
        free(ks->slot);
        ks->slot = s;
        ks->cap = cap;
    }
    size_t h = (size_t)fv_jobs_hash(jl->jobs[self].key) & (ks->cap - 1);
    for (; ks->slot[h]; h = (h + 1) & (ks->cap - 1))
        if (!strcmp(jl->jobs[ks->slot[h] - 1].key, jl->jobs[self].key)) return ks->slot[h] - 1;
    ks->slot[h] = self + 1;
    return -1;
}

/* ---------- the job file ---------- */

void fv_job_defaults_apply(const fv_job_defaults *def, fv_job *j)
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
        ok = fv_preset_parse(v, &j->preset);
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
    if (ok) fv_job_name(j, &m->net, &o);
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

/* Lines that hold a job (not blank, not only a comment) in a regular file, counted without storing any; fp is
 * rewound. A stream (a pipe) is counted as its jobs are stored instead (fv_jobs_parse_file). */
static fv_status count_job_lines(const char *path, FILE *fp)
{
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) return FV_OK;
    long n = 0;
    int ch = '\n';
    while (ch != EOF) {
        while ((ch = getc(fp)) == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f') {
        }
        if (ch != EOF && ch != '\n' && ch != '#') n++;
        while (ch != EOF && ch != '\n') ch = getc(fp);
    }
    rewind(fp);
    if (n > MAX_JOBS)
        return fv_fail(FV_ERR_ARG, "%s: %ld job lines; at most %d jobs are read from one file (split it into several)",
                       path, n, MAX_JOBS);
    return FV_OK;
}

static fv_status open_job_file(const char *path, FILE **fp)
{
    if (!(*fp = fopen(path, "r"))) return fv_fail(FV_ERR_IO, "%s: cannot open job file: %s", path, strerror(errno));
    fv_status st = count_job_lines(path, *fp);
    if (st != FV_OK) fclose(*fp);
    return st;
}

fv_status fv_jobs_parse_file(const char *path, const fv_model *m, const fv_job_defaults *def, int skip_invalid,
                             FILE *report, fv_joblist *out)
{
    memset(out, 0, sizeof *out);
    FILE *fp;
    FV_TRY(open_job_file(path, &fp));
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
        fv_job_defaults_apply(def, &j);
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
            if (out->n == MAX_JOBS) {
                st = fv_fail(FV_ERR_ARG, "%s:%d: more than %d jobs; at most %d are read from one file (split it into "
                             "several)", path, lineno, MAX_JOBS, MAX_JOBS);
                break;
            }
            if ((st = fv_jobs_push(out, &j)) != FV_OK) break;
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
    if (st == FV_OK) st = fv_jobs_unique_stems(out, path);
    if (st != FV_OK) fv_jobs_free(out);
    return st;
}

/* ---------- writing ---------- */

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
                (unsigned long long)j->seed, fv_preset_name(j->preset), j->diversity);
    }
    int bad = ferror(fp);
    if (fclose(fp) != 0 || bad) return fv_fail(FV_ERR_IO, "%s: write failed", path);
    return FV_OK;
}
