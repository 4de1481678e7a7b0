/* The journals of a batch output folder (README "Journals"): one JSON line per finished or failed image,
 * appended and synced by the run of one shard; the run's exclusive lock on its folder and shard; what every
 * journal of the folder says is done; a torn last line (a write cut short by a kill or a power loss) moved
 * aside; corrupt lines reported with their line numbers and left where they are. */
#ifndef FV_JOURNAL_H
#define FV_JOURNAL_H

#include <stddef.h>
#include <stdio.h>

#include "core/status.h"

/* What the runner needs of one journal line. */
typedef struct fv_journal_entry {
    char key[1024];  /* the job's key */
    int index;       /* the image within the job (diversity member), >= 0 */
    int ok;          /* 1: "status": "ok" (then file is set), 0: "failed" */
    char file[1024]; /* the image, relative to the output folder */
} fv_journal_entry;

/* One journal line of len bytes (no newline; it may hold any byte) -> FV_OK, or FV_ERR_FORMAT with one line
 * saying what is wrong with it (not JSON, not an object, a field missing or of the wrong type, a key or file
 * too long, an index out of range, an unknown status). */
fv_status fv_journal_parse_line(const char *line, size_t len, fv_journal_entry *e);

/* The images recorded as done (ok with their file present and non-empty, or failed), as key#index. */
typedef struct fv_done_set fv_done_set;
/* Reads every journal*.jsonl of out_dir. own_journal (the path this run appends to, under its lock): a torn
 * last line is moved to <own_journal>.torn (appended there; the journal ends at its last complete line) with a
 * warning, so its image is rendered again. Other journals' incomplete last lines are another run's write in
 * progress and are skipped quietly. A corrupt complete line anywhere: one warning naming path:line and what is
 * wrong; the file is left as it is and that record does not count. Warnings go to `warn` (NULL: none). */
fv_status fv_done_read(const char *out_dir, const char *own_journal, FILE *warn, fv_done_set **out);
int fv_done_has(const fv_done_set *d, const char *key, int index);
fv_status fv_done_add(fv_done_set *d, const char *key, int index);
void fv_done_free(fv_done_set *d);

/* The exclusive lock of one output folder and shard (flock on <journal>.lock, released by the kernel when the
 * process ends however it ends, so a killed run never blocks the next). FV_ERR_BUSY when another run holds it:
 * the message names the folder, the shard and the holder (pid, host, since when). */
typedef struct fv_run_lock fv_run_lock;
fv_status fv_run_lock_take(const char *out_dir, int shard_k, int shard_n, fv_run_lock **out);
void fv_run_lock_release(fv_run_lock *l); /* NULL is fine */

#endif
