/* Labelled contact sheets (the article's figures as one PNG): a title, then a grid of images, each
 * with a caption under it. Text and PNG output through cairo. */
#ifndef FV_CONTACT_H
#define FV_CONTACT_H

#include "status.h"

typedef struct fv_sheet_cell {
    const fv_image *img; /* NULL: an empty cell */
    const char *label;   /* caption (may be NULL) */
} fv_sheet_cell;

/* cols columns, each cell cell_px wide (images scaled to it, bilinear); written atomically to path. */
fv_status fv_contact_sheet_write(const char *path, const char *title, int cols, const fv_sheet_cell *cells, int n,
                                 int cell_px);

#endif
