/* The output of rendering, for every command (render, render --batch, interpolate, figures): where each
 * image goes (its file name), the PNG with its provenance in tEXt chunks, and the lines that describe it
 * (render's summary and --json lines, interpolate's frame lines, the batch journal). Every image records
 * the same common keys, built here from the model, the render config and the objective, plus its
 * command's extras; so a new pixel-changing setting is added in one place (fv_provenance_settings). */
#ifndef FV_OUTPUT_H
#define FV_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "featvis/featvis.h"
#include "jobs.h"

/* ---------- provenance: what one image records ---------- */

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

/* Write img to path (atomically: core/fsutil.h) with the common keys Software, featvis:objective,
 * featvis:model, featvis:size, featvis:steps, featvis:seed, featvis:preset, featvis:version,
 * featvis:settings and the extras p sets. */
fv_status fv_provenance_write_png(const char *path, const fv_image *img, const fv_provenance *p);

/* ---------- file names ---------- */

/* Image r of a render: `out` itself when single_file, else OUT/<slug>.png, a diversity member
 * OUT/<slug>_div<i>.png; slug: the objective with letters, digits, '.', '-' and '+' kept, spaces dropped,
 * other runs '_' ("mixed4a:97" -> "mixed4a_97", "-mixed4a:7" -> "-mixed4a_7"). */
void fv_output_render_path(const char *out, int single_file, const fv_render_result *r, char *buf, size_t n);

/* Frame i of an interpolation whose frames carry `objective`: DIR/<slug>_frame<i>.png (slug as above, but
 * spaces too become '_'). */
void fv_output_frame_path(const char *dir, const char *objective, int frame, char *buf, size_t n);

/* Image `index` of a batch job, relative to the output folder: <stem>.png, or <stem>_div<i>.png in a
 * diversity group (jobs.h: stems). */
void fv_output_job_file(const fv_job *job, int index, char *buf, size_t n);

/* ---------- writing and describing ---------- */

/* What the images of one render or interpolation share. */
typedef struct fv_output_run {
    const fv_model *model;
    const fv_render_config *cfg;
    const char *init_path;       /* the file behind cfg->init (NULL: none) */
    fv_backend_kind backend;     /* the backend that rendered (render's --json) */
} fv_output_run;

/* render: write each result to fv_output_render_path with its provenance and print one line per image
 * to f: with json a JSON object {"objective", "index", "file", "objective_first", "objective_last",
 * "seconds", "size", "steps", "seed", "preset", "model", "backend", "settings"} (diversity groups add
 * "diversity_first", "diversity_last"), else a summary (objective, its first and last value, diversity,
 * seconds, file). Stops at the first image that cannot be written (its status and message). */
fv_status fv_output_render(const fv_output_run *run, const char *out, int single_file, int json,
                           const fv_render_result *res, int n, FILE *f);

/* interpolate: write the frames (fv_output_frame_path, featvis:frame and featvis:alignment from al) and
 * print one line per frame to f (objective, frame n/frames, its weight on B, values, seconds, file). */
fv_status fv_output_frames(const fv_output_run *run, const char *dir, const fv_alignment *al,
                           const fv_render_result *res, int n, FILE *f);

/* render --batch: write image `index` of `job` (rendered with cfg) under out_dir as fv_output_job_file
 * (folders made as needed, leftover temporaries of a killed run cleared, the folder synced after the
 * rename); its relative name goes to rel. */
fv_status fv_output_job_image(const char *out_dir, const fv_model *m, const fv_job *job, const fv_render_config *cfg,
                              const char *init_path, int index, const fv_render_result *r, char *rel, size_t nrel);

/* One journal line (README "Journals") for image `index` of `job`, appended to f and synced: its file
 * and values when done (r), else `error`. journal_path names the file in the error (FV_ERR_IO). */
fv_status fv_output_journal_line(FILE *f, const char *journal_path, const fv_model *m, const fv_job *job,
                                 const fv_render_config *cfg, const char *init_path, int index, const char *file,
                                 const fv_render_result *r, const char *error);

#endif
