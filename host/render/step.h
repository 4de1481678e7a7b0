/* One optimisation step of a render batch (RECIPE.md "The render loop"), in named pieces that tests and
 * tests/reference/dump_recipe.c can run one at a time, and the loop of steps shared by every kind of
 * render. The pieces, in order: parameters -> image (fv_param_forward); transforms + preprocessing into
 * the network input; network forward; objective values; their gradient seeded into the plan; network
 * backward; back through preprocessing, transforms and penalties to the image's gradient; back to the
 * parameters (fv_param_backward); the Adam update (fv_param_update). */
#ifndef FV_RENDER_STEP_H
#define FV_RENDER_STEP_H

#include "state.h"

/* Draws step t's transforms (Lucid's chain resizes the plan to its canvas), applies them to the image and
 * preprocesses into the network's input; neurons at a layer's centre follow the layer's size. */
fv_status fv_render_transform_forward(render_state *s, const fv_model *m, int t);
/* Each image's objective into s->obj (its own terms, minus penalties); with want_div the diversity
 * terms' values into s->batch_value. */
fv_status fv_render_objectives_forward(render_state *s, const fv_render_config *cfg, int want_div);
/* Zeroes the plan's gradients, then seeds the gradient of the whole batch's objective: every term (with
 * its group share) and every batch term (diversity, alignment). */
fv_status fv_render_objectives_backward(render_state *s);
/* From the network input's gradient to the image's (s->param.drgb): preprocessing, the transforms (the
 * input buffer is reused for its gradient), then the penalties'. */
fv_status fv_render_input_backward(render_state *s, const fv_model *m, const fv_render_config *cfg);
/* The whole step t; s->obj gets each image's objective. */
fv_status fv_render_step(render_state *s, const fv_model *m, const fv_render_config *cfg, int t, int want_div);
/* cfg->steps steps (stopping early on cfg->cancel), values of the first and last step and the final images
 * (without transforms) into res (one per image). */
fv_status fv_render_optimise(render_state *s, const fv_model *m, const fv_render_config *cfg, fv_render_result *res,
                             fv_progress_fn progress, void *ctx);

#endif
