/* Internals of the gallery shared by gallery.c (classification, index page, build), gallery_journal.c
 * (reading the journals) and gallery_page.c (sprite sheets, layer pages, HTML/URL escaping). */
#ifndef FV_GALLERY_INT_H
#define FV_GALLERY_INT_H

#include <stdarg.h>
#include <stdio.h>

#include <stdio.h>

#include "featvis/featvis.h"

#define GL_GROUP 64   /* channels per sprite sheet: 7 x 64 cells of 96 px is a 672 x 6144 sheet */
#define GL_MAX_DIV 16 /* diversity columns a layer page shows; larger groups go to "other" */
#define GL_FIXED 3    /* columns before the diversity ones: neuron, channel, negative */

/* One journal line that parsed (after deduplication: one per key+index). */
typedef struct gl_rec {
    char *key, *objective, *file, *error, *preset;
    int index, count, ok, size, steps;
    double first, last, seconds; /* NaN when absent */
    long seq;                    /* order read: later lines win */
} gl_rec;

typedef struct gl_branch {
    char name[96];
    int c0, c;
} gl_branch;

typedef struct gl_layer {
    char name[96];
    char slug[96];   /* file-name-safe form of name */
    int nch, ndiv;   /* channels (rows) and diversity columns */
    int *cell;       /* nch * (GL_FIXED + ndiv) record ids, -1 where none */
    char *thumb_ok;  /* per cell: 1 when its thumbnail is in a sheet */
    int nbranch;
    gl_branch *branch; /* sorted by c0 */
    int done, failed, unreadable;
    int order, was; /* sort key (tensor id with a model), index before sorting */
} gl_layer;

typedef struct gl_gallery {
    const char *out_dir;
    char *gdir; /* out_dir/gallery */
    int thumb;
    FILE *log;
    gl_rec *recs;
    int nrecs, caprecs;
    int njournals, nlines, bad_lines, replaced;
    gl_layer *layers;
    int nlayers, caplayers;
    int *other; /* record ids of images outside every layer page */
    int nother;
    const char *model_name;
    int model_warned;
} gl_gallery;

static inline int gl_cols(const gl_layer *L) { return GL_FIXED + L->ndiv; }

/* The journals of g->out_dir into g->recs (gallery_journal.c); then one record per key+index. */
fv_status gl_read_journals(gl_gallery *g);
void gl_dedup(gl_gallery *g);
void gl_free_rec(gl_rec *r);

/* Log a progress line (log may be NULL). */
__attribute__((format(printf, 2, 3))) static inline void gl_log(const gl_gallery *g, const char *fmt, ...)
{
    if (!g->log) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("gallery: ", g->log);
    vfprintf(g->log, fmt, ap);
    fputc('\n', g->log);
    va_end(ap);
    fflush(g->log);
}

/* Write text with &, <, >, " and ' replaced by entities. */
void gl_html(FILE *f, const char *s);
/* Write a relative path as a URL: bytes outside [A-Za-z0-9/._~-] percent-encoded. */
void gl_url(FILE *f, const char *s);
/* A journal's file path that stays inside the output folder (relative, no ".." segment). */
int gl_safe_path(const char *s);

/* The page's opening up to and inside <style> with the shared CSS (the caller adds its own rules and
 * closes with "</style></head><body>"), and the self-check script with its <pre>. */
void gl_head(FILE *f, const char *title, int thumb);
void gl_selfcheck(FILE *f);

/* Sprite sheets of one layer (gallery/sprites/<slug>_<k>.png), then its page gallery/<slug>.html. */
fv_status gl_write_layer(gl_gallery *g, gl_layer *L);

#endif
