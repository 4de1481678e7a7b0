/* Journals of a batch output folder (app/journal.h): parsing one line, the set of images already done (every
 * journal of the folder), the torn tail of this run's own journal moved aside, and the run's lock. */
#define _GNU_SOURCE
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INDEX_MAX 1000000 /* far above any diversity group */

static fv_status bad(const char *why) { return fv_fail(FV_ERR_FORMAT, "%s", why); }

/* A string field of at most cap - 1 bytes with no NUL inside, copied into dst. */
static fv_status string_field(json_t *o, const char *name, char *dst, size_t cap)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v)) return fv_fail(FV_ERR_FORMAT, "\"%s\" is missing or not a string", name);
    const size_t n = json_string_length(v);
    if (n == 0 || n >= cap) return fv_fail(FV_ERR_FORMAT, "\"%s\" is empty or longer than %zu bytes", name, cap - 1);
    if (memchr(json_string_value(v), 0, n)) return fv_fail(FV_ERR_FORMAT, "\"%s\" holds a NUL byte", name);
    memcpy(dst, json_string_value(v), n + 1);
    return FV_OK;
}

/* An image file named by a journal must stay inside the output folder. */
static int inside(const char *file)
{
    if (file[0] == '/') return 0;
    for (const char *p = file; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') return 0;
        p += n;
        p += *p == '/';
    }
    return 1;
}

fv_status fv_journal_parse_line(const char *line, size_t len, fv_journal_entry *e)
{
    memset(e, 0, sizeof *e);
    json_error_t err;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!o) return fv_fail(FV_ERR_FORMAT, "not JSON (%s at column %d)", err.text, err.column);
    fv_status st = FV_OK;
    json_t *idx = json_object_get(o, "index"), *status = json_object_get(o, "status");
    if (!json_is_object(o)) st = bad("not a JSON object");
    else if ((st = string_field(o, "key", e->key, sizeof e->key)) != FV_OK) {
    } else if (!json_is_integer(idx) || json_integer_value(idx) < 0 || json_integer_value(idx) > INDEX_MAX)
        st = fv_fail(FV_ERR_FORMAT, "\"index\" is missing or not an integer in 0..%d", INDEX_MAX);
    else if (!json_is_string(status) || (strcmp(json_string_value(status), "ok") &&
                                          strcmp(json_string_value(status), "failed")))
        st = bad("\"status\" is missing or neither \"ok\" nor \"failed\"");
    else {
        e->index = (int)json_integer_value(idx);
        e->ok = !strcmp(json_string_value(status), "ok");
        if (e->ok && (st = string_field(o, "file", e->file, sizeof e->file)) == FV_OK && !inside(e->file))
            st = fv_fail(FV_ERR_FORMAT, "\"file\" %s is not inside the output folder", e->file);
    }
    json_decref(o);
    return st;
}

/* ---------- the set of images done: open addressing over "key#index" ---------- */

struct fv_done_set {
    size_t n, cap; /* cap a power of two, at most half full */
    char **slot;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static char **find(const fv_done_set *d, const char *k)
{
    size_t i = hash(k) & (d->cap - 1);
    while (d->slot[i] && strcmp(d->slot[i], k)) i = (i + 1) & (d->cap - 1);
    return &d->slot[i];
}

static fv_status grow(fv_done_set *d)
{
    fv_done_set bigger = {0, d->cap ? 2 * d->cap : 1024, NULL};
    if (!(bigger.slot = calloc(bigger.cap, sizeof *bigger.slot))) return fv_fail(FV_ERR_NOMEM, "journal: out of memory");
    for (size_t i = 0; i < d->cap; i++)
        if (d->slot[i]) *find(&bigger, d->slot[i]) = d->slot[i], bigger.n++;
    free(d->slot);
    *d = bigger;
    return FV_OK;
}

static void done_key(char *buf, size_t n, const char *key, int index) { snprintf(buf, n, "%s#%d", key, index); }

int fv_done_has(const fv_done_set *d, const char *key, int index)
{
    char k[1100];
    done_key(k, sizeof k, key, index);
    return d->cap && *find(d, k) != NULL;
}

fv_status fv_done_add(fv_done_set *d, const char *key, int index)
{
    if (2 * (d->n + 1) > d->cap) FV_TRY(grow(d));
    char k[1100];
    done_key(k, sizeof k, key, index);
    char **s = find(d, k);
    if (*s) return FV_OK;
    if (!(*s = strdup(k))) return fv_fail(FV_ERR_NOMEM, "journal: out of memory");
    d->n++;
    return FV_OK;
}

void fv_done_free(fv_done_set *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->cap; i++) free(d->slot[i]);
    free(d->slot);
    free(d);
}

/* ---------- reading the journals ---------- */

typedef struct reader {
    const char *out_dir;
    FILE *warn;
    fv_done_set *done;
} reader;

/* One complete line: counted when it parses (an ok image only while its file is there and not empty). */
static fv_status take_line(reader *r, const char *path, long lineno, const char *line, size_t len)
{
    if (len == 0) return FV_OK;
    fv_journal_entry e;
    if (fv_journal_parse_line(line, len, &e) != FV_OK) {
        if (r->warn)
            fprintf(r->warn, "warning: %s:%ld: corrupt journal line (%s); left as it is, and its image is rendered "
                             "again unless another line records it\n", path, lineno, fv_last_error());
        return FV_OK;
    }
    if (e.ok) {
        char img[4096];
        struct stat st;
        snprintf(img, sizeof img, "%s/%s", r->out_dir, e.file);
        if (stat(img, &st) != 0 || st.st_size == 0) return FV_OK; /* journalled but gone: render again */
    }
    return fv_done_add(r->done, e.key, e.index);
}

/* The own journal ends in a fragment without its newline at byte `at`: a complete record just loses nothing
 * (its newline is added); anything else is appended to <path>.torn and cut off the journal. */
static fv_status mend_tail(reader *r, const char *path, long lineno, const char *frag, size_t len, off_t at)
{
    fv_journal_entry e;
    if (fv_journal_parse_line(frag, len, &e) == FV_OK) {
        FILE *f = fopen(path, "a");
        if (!f || fputc('\n', f) == EOF || fflush(f) || fsync(fileno(f)) || fclose(f))
            return fv_fail(FV_ERR_IO, "%s: cannot end its last line: %s", path, strerror(errno));
        return take_line(r, path, lineno, frag, len);
    }
    char torn[4300];
    snprintf(torn, sizeof torn, "%s.torn", path);
    FILE *t = fopen(torn, "a");
    if (!t || fwrite(frag, 1, len, t) != len || fputc('\n', t) == EOF || fflush(t) || fsync(fileno(t)) || fclose(t))
        return fv_fail(FV_ERR_IO, "%s: cannot keep the torn last line of %s: %s", torn, path, strerror(errno));
    if (truncate(path, at) != 0) return fv_fail(FV_ERR_IO, "%s: cannot cut its torn last line: %s", path, strerror(errno));
    if (r->warn)
        fprintf(r->warn, "warning: %s:%ld: incomplete last line (a write cut short); moved to %s, and its image is "
                         "rendered again\n", path, lineno, torn);
    return FV_OK;
}

static fv_status read_one(reader *r, const char *path, int own)
{
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? FV_OK : fv_fail(FV_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    off_t at = 0;
    fv_status st = FV_OK;
    while (st == FV_OK && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[len - 1] == '\n') st = take_line(r, path, lineno, line, (size_t)len - 1);
        else if (own) st = mend_tail(r, path, lineno, line, (size_t)len, at);
        /* another run's journal: its last line may be a write in progress */
        at += len;
    }
    free(line);
    fclose(f);
    return st;
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static int is_journal(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return !strncmp(e->d_name, "journal", 7) && n >= 6 && !strcmp(e->d_name + n - 6, ".jsonl");
}

fv_status fv_done_read(const char *out_dir, const char *own_journal, FILE *warn, fv_done_set **out)
{
    fv_done_set *d = calloc(1, sizeof *d);
    if (!d) return fv_fail(FV_ERR_NOMEM, "journal: out of memory");
    reader r = {out_dir, warn, d};
    struct dirent **names = NULL;
    int n = scandir(out_dir, &names, is_journal, by_name);
    const char *own = own_journal ? strrchr(own_journal, '/') : NULL;
    own = own ? own + 1 : own_journal;
    fv_status st = FV_OK;
    for (int i = 0; i < n; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", out_dir, names[i]->d_name);
        if (st == FV_OK) st = read_one(&r, path, own && !strcmp(names[i]->d_name, own));
        free(names[i]);
    }
    free(names);
    if (st != FV_OK) {
        fv_done_free(d);
        return st;
    }
    *out = d;
    return FV_OK;
}

/* ---------- the lock ---------- */

struct fv_run_lock {
    int fd;
};

fv_status fv_run_lock_take(const char *out_dir, int shard_k, int shard_n, fv_run_lock **out)
{
    char path[4200], shard[64] = "";
    if (shard_n > 0) {
        snprintf(path, sizeof path, "%s/journal-shard%dof%d.jsonl.lock", out_dir, shard_k, shard_n);
        snprintf(shard, sizeof shard, ", shard %d/%d", shard_k, shard_n);
    } else {
        snprintf(path, sizeof path, "%s/journal.jsonl.lock", out_dir);
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fv_fail(FV_ERR_IO, "%s: cannot create the run's lock: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int busy = errno == EWOULDBLOCK;
        char holder[256] = "";
        ssize_t got = busy ? pread(fd, holder, sizeof holder - 1, 0) : -1;
        holder[got > 0 ? got : 0] = 0;
        holder[strcspn(holder, "\n")] = 0;
        close(fd);
        if (!busy) return fv_fail(FV_ERR_IO, "%s: cannot lock: %s", path, strerror(errno));
        return fv_fail(FV_ERR_BUSY, "%s%s: another run is rendering here (%s); wait for it, stop it, or use another -o "
                                    "or --shard", out_dir, shard, holder[0] ? holder : "holder unknown");
    }
    char host[256] = "?", ts[32], who[512];
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    int n = snprintf(who, sizeof who, "pid %ld on %s since %s\n", (long)getpid(), host, ts);
    /* the holder note only feeds another run's busy message: not being able to write it is no error */
    if (ftruncate(fd, 0) == 0) (void)!pwrite(fd, who, (size_t)n, 0);
    fv_run_lock *l = malloc(sizeof *l);
    if (!l) {
        close(fd);
        return fv_fail(FV_ERR_NOMEM, "lock: out of memory");
    }
    l->fd = fd;
    *out = l;
    return FV_OK;
}

void fv_run_lock_release(fv_run_lock *l)
{
    if (!l) return;
    close(l->fd); /* closing the descriptor releases the lock */
    free(l);
}
