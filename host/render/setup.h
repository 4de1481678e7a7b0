/* The two ways a batch's state (state.h) is built, ready for its first step: an ordinary render of items
 * (render.c) and an interpolation (interp.c). Internal; tests use them to look inside a step (step.h). */
#ifndef FV_RENDER_SETUP_H
#define FV_RENDER_SETUP_H

#include "state.h"

/* Objectives parsed, terms, diversity groups, buffers, initial parameters; res (one per image) gets each
 * image's objective, index and group size. On failure nothing is left allocated. */
fv_status fv_render_setup(const fv_model *m, const fv_render_config *cfg, fv_backend *be,
                          const fv_render_item *items, int nitems, render_state *s, fv_render_result *res);
/* The same for an interpolation of `frames` frames from obj_a to obj_b; align NULL: the defaults. */
fv_status fv_render_interp_setup(const fv_model *m, const fv_render_config *cfg, fv_backend *be,
                                 const char *obj_a, const char *obj_b, int frames, const fv_alignment *align,
                                 render_state *s, fv_render_result *res);

/* The instance a render runs on: the caller's (cfg->backend_instance), else one opened from cfg->backend and
 * cfg->backend_options; fv_render_backend_release closes it again unless it was the caller's. */
fv_status fv_render_backend_acquire(const fv_render_config *cfg, fv_backend **be);
void fv_render_backend_release(const fv_render_config *cfg, fv_backend *be);

#endif
