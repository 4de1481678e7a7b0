/* Labelled contact sheets (the article's figures as one PNG): a title, then a grid of images, each
 * with a caption under it, drawn with cairo. */
#ifndef FV_CONTACT_H
#define FV_CONTACT_H

#include "core/status.h"

typedef struct fv_sheet_cell {
    const fv_image *img; /* NULL: an empty cell */
    const char *label;   /* caption (may be NULL) */
} fv_sheet_cell;

/* The sheet as an image: cols columns, each cell cell_px wide (images scaled to it, bilinear). *out is
 * newly allocated (fv_image_free); its values are multiples of 1/255, written back exactly as PNG. */
fv_status fv_contact_sheet_render(const char *title, int cols, const fv_sheet_cell *cells, int n, int cell_px,
                                  fv_image *out);

/* fv_contact_sheet_render written atomically to path (no tEXt keys; the CLI adds provenance). */
fv_status fv_contact_sheet_write(const char *path, const char *title, int cols, const fv_sheet_cell *cells, int n,
                                 int cell_px);

#endif
