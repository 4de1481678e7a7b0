/* Criterion helpers of the tests that load the real BVLC weights and render: the model (the test fails,
 * never skips, when the weights are missing) and a small CPU render configuration. */
#ifndef FV_TESTMODEL_H
#define FV_TESTMODEL_H

#include <criterion/criterion.h>

#include "featvis/featvis.h"
#include "testutil.h"

static inline fv_model *fv_test_load_bvlc(void)
{
    fv_model *m = NULL;
    cr_assert_eq(fv_model_load(fv_test_weights(), FV_MODEL_AUTO, &m), FV_OK, "loading %s: %s", fv_test_weights(),
                 fv_last_error());
    return m;
}

/* The defaults at size x size and `steps` steps, on the CPU. */
static inline fv_render_config fv_test_cfg(int size, int steps)
{
    fv_render_config c;
    fv_render_config_default(&c);
    c.size = size;
    c.steps = steps;
    c.backend = FV_BACKEND_CPU;
    return c;
}

#endif
