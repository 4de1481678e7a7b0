/* The static HTML gallery of a batch run's output folder (like the appendix of Distill's "Feature
 * Visualization"): an index page, one page per layer with a row per channel (neuron, channel, negative,
 * diversity) whose thumbnails come from a few PNG sprite sheets, built from the folder's journals. */
#ifndef FV_GALLERY_H
#define FV_GALLERY_H

#include <stdio.h>

#include "featvis/featvis.h"

/* Read every out_dir/journal*.jsonl (lines that do not parse are counted and skipped; for a repeated
 * key+index the last "ok" line wins) and write out_dir/gallery/: index.html, <layer>.html per layer and
 * sprites/<layer>_<k>.png (one sheet per 64 channels, `thumb` px cells; 0 means 96). m may be NULL;
 * given, it supplies each layer's channel count and groups channels under their inception branch.
 * Every file is written beside its target and renamed over it, sheets before the pages that use them,
 * so a rerun replaces the gallery without a reader ever seeing a half-written file. Progress lines go
 * to `log` (may be NULL). */
fv_status fv_gallery_build(const char *out_dir, const fv_model *m, int thumb, FILE *log);

#endif
