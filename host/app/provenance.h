/* Provenance: the tEXt chunks of every PNG the command line writes (render, render --batch, interpolate,
 * figures) and the settings string its --json lines and batch journals carry. Every image records the
 * same common keys, built here from the model, the render config and the objective, plus its command's
 * extras; so a new pixel-changing setting is added in one place (see fv_provenance_settings). */
#ifndef FV_PROVENANCE_H
#define FV_PROVENANCE_H

#include <stddef.h>

#include "featvis/featvis.h"

/* What one image (or contact sheet) records. model, cfg and objective are required; the rest is written
 * only when set. */
typedef struct fv_provenance {
    const fv_model *model;
    const fv_render_config *cfg; /* size, steps, seed, preset and every other pixel-changing setting */
    const char *init_path;       /* the file behind cfg->init (NULL: none) */
    const char *objective;       /* canonical objective; a contact sheet: the objectives shown, one a line */
    /* render --batch */
    const char *job_key;         /* featvis:key, the job's identity in journals */
    /* interpolate (frames > 0): featvis:frame "n/frames" (frame < 0: a sheet of all frames, no key)
     * and featvis:alignment */
    int frame, frames;
    const fv_alignment *align;   /* the alignment term's settings (NULL: fv_alignment_default) */
    /* figures */
    const char *figure;          /* featvis:figure, the sheet's name */
    const char *cells;           /* featvis:cells, one line per cell (fv_provenance_describe) */
} fv_provenance;

/* Room for the settings string (an --init path longer than 1000 bytes is cut there). */
#define FV_PROVENANCE_SETTINGS_MAX 1400

/* Every pixel-changing setting of cfg beyond size, steps, seed and preset (which have keys of their
 * own), as space-separated key=value: "param=fft decorrelate=1 lr=0.05 redirect_steps=17 tv=0 l1=0 l2=0
 * blur=0 diversity_weight=100 init=none". The featvis:settings key, render's --json "settings" and the
 * journal's "settings" are this string. A new setting of fv_render_config that changes pixels goes
 * here, and only here. */
void fv_provenance_settings(const fv_render_config *cfg, const char *init_path, char *buf, size_t n);

/* "size=S steps=N seed=X preset=P " followed by fv_provenance_settings: everything that made an image
 * from its objective (the figures' per-cell lines). */
void fv_provenance_describe(const fv_render_config *cfg, const char *init_path, char *buf, size_t n);

/* Interpolation's own pixel-changing settings (featvis:alignment): "weight=W decay=D layers=L1,L2 frames=N"
 * (layers=default: the model's default layers). A new setting of fv_alignment goes here. */
void fv_provenance_alignment(const fv_provenance *p, char *buf, size_t n);

/* Write img to path (fv_image_write_png: atomically) with the common keys Software, featvis:objective,
 * featvis:model, featvis:size, featvis:steps, featvis:seed, featvis:preset, featvis:version,
 * featvis:settings and the extras p sets. */
fv_status fv_provenance_write_png(const char *path, const fv_image *img, const fv_provenance *p);

#endif
