/* Atomic file writes, mkdir -p and folder syncs (fsutil.h). */
#define _POSIX_C_SOURCE 200809L
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

fv_status fv_atomic_open(fv_atomic_file *a, const char *path, const char *mode)
{
    memset(a, 0, sizeof *a);
    a->path = path;
    const size_t n = strlen(path) + 32;
    if (!(a->tmp = malloc(n))) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
    snprintf(a->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    if (!(a->f = fopen(a->tmp, mode))) {
        fv_status st = fv_fail(FV_ERR_IO, "%s: cannot create %s: %s", path, a->tmp, strerror(errno));
        free(a->tmp);
        a->tmp = NULL;
        return st;
    }
    return FV_OK;
}

fv_status fv_atomic_commit(fv_atomic_file *a)
{
    errno = 0;
    int bad = fflush(a->f) != 0 || fsync(fileno(a->f)) != 0;
    int err = errno;
    if (!bad && ferror(a->f)) bad = 1, err = 0; /* an earlier write failed */
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    a->f = NULL;
    fv_status st = FV_OK;
    if (bad) st = fv_fail(FV_ERR_IO, "%s: cannot write: %s", a->path, strerror(err ? err : EIO));
    else if (rename(a->tmp, a->path) != 0)
        st = fv_fail(FV_ERR_IO, "%s: cannot rename %s into place: %s", a->path, a->tmp, strerror(errno));
    if (st != FV_OK) remove(a->tmp);
    free(a->tmp);
    a->tmp = NULL;
    return st;
}

void fv_atomic_abort(fv_atomic_file *a)
{
    if (a->f) fclose(a->f);
    if (a->tmp) remove(a->tmp);
    free(a->tmp);
    memset(a, 0, sizeof *a);
}

void fv_atomic_clear_leftovers(const char *path)
{
    char pat[4200];
    snprintf(pat, sizeof pat, "%s.tmp.*", path);
    glob_t g;
    if (glob(pat, GLOB_NOSORT, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
    globfree(&g);
}

static fv_status make_one(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) return FV_OK;
    return fv_fail(FV_ERR_IO, "%s: cannot create folder: %s", dir, strerror(errno));
}

fv_status fv_mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            FV_TRY(make_one(buf));
            *p = '/';
        }
    return make_one(buf);
}

void fv_fsync_parent(const char *file)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    int fd = open(slash ? dir : ".", O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}
