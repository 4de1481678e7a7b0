/* What the two halves of dataset examples share (examples.c: the folder and the pass through the model;
 * examples_strip.c: ranking, crops, strips and the index). */
#ifndef FV_EXAMPLES_INT_H
#define FV_EXAMPLES_INT_H

#include "examples.h"

/* What the pass through the model kept of each image. */
typedef struct ex_scan {
    int n, C, h, w;   /* images kept, channels, layer height and width */
    char **names;     /* per image (pointers into the folder listing) */
    float *maxv;      /* n * C spatial max */
    int *pos;         /* n * C: y * w + x of the first position holding it */
} ex_scan;

/* "examples: " + fmt (with a and b) as one line on log (may be NULL). */
void fv_examples_note(FILE *log, const char *fmt, const char *a, const char *b);

/* Rank every channel, write its strip OUT/examples/<layer>/c<NNNN>.png and, last, index.jsonl into
 * rep->dir (which exists); rep->nchannels counts the strips. */
fv_status fv_examples_write(const fv_examples_opts *o, const ex_scan *s, const char *layer, fv_examples_report *rep);

#endif
