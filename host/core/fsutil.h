/* Files that appear whole or not at all, and the folders they go in: every file the program writes
 * (PNG, .npy, HTML pages, index and job files) is written beside its target, synced and renamed over it,
 * so a reader or a killed run never sees half a file and a failed write leaves the old one intact. */
#ifndef FV_FSUTIL_H
#define FV_FSUTIL_H

#include <stdio.h>

#include "core/status.h"

typedef struct fv_atomic_file {
    FILE *f;          /* write here */
    const char *path; /* the target (the caller keeps it alive until commit or abort) */
    char *tmp;        /* "<path>.tmp.<pid>" */
} fv_atomic_file;

/* Create "<path>.tmp.<pid>" with fopen `mode` ("w", "wb"); FV_ERR_IO "PATH: cannot create TMP: why". */
fv_status fv_atomic_open(fv_atomic_file *a, const char *path, const char *mode);
/* Flush, fsync and close the temporary file, then rename it over path. On any failure the temporary
 * file is removed and the status names the file ("PATH: cannot write: why"); a is released either way. */
fv_status fv_atomic_commit(fv_atomic_file *a);
/* Close and remove the temporary file (after a failed write); a is released. */
void fv_atomic_abort(fv_atomic_file *a);
/* Remove the temporaries "<path>.tmp.*" a writer killed between create and rename left behind. Only for
 * a path no other live process is writing. */
void fv_atomic_clear_leftovers(const char *path);

/* mkdir -p: path and every missing folder above it; FV_ERR_IO "FOLDER: cannot create folder: why". */
fv_status fv_mkdirs(const char *path);
/* fsync of the folder holding `file`, so a rename into it survives a power loss (errors ignored: not
 * every file system can sync a folder). */
void fv_fsync_parent(const char *file);

#endif
