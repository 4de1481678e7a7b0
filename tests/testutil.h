/* Helpers shared by the tests: where the real BVLC weights and test data are (FEATVIS_WEIGHTS or the
 * shared folder; tests that need them fail, not skip, when they are missing), a CPU backend instance, and a
 * seeded filler. */
#ifndef FV_TESTUTIL_H
#define FV_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "featvis/featvis.h"

#ifndef FV_SHARED_DIR
#define FV_SHARED_DIR "../shared"
#endif

static inline const char *fv_test_weights(void)
{
    const char *env = getenv("FEATVIS_WEIGHTS");
    if (env && *env) return env;
    return FV_SHARED_DIR "/models/bvlc_googlenet/bvlc_googlenet.caffemodel";
}

#define FV_TEST_CAT FV_SHARED_DIR "/models/bvlc_googlenet/testdata/cat_224.png"

/* A CPU backend instance for tests that drive a plan or a render state directly: opened on first use, kept for
 * the life of the test process. */
static inline fv_backend *fv_test_cpu(void)
{
    static fv_backend *be;
    if (!be && fv_backend_open(FV_BACKEND_CPU, NULL, &be) != FV_OK) {
        fprintf(stderr, "cannot open a CPU backend: %s\n", fv_last_error());
        abort();
    }
    return be;
}

/* Uniform values in [lo, hi) from a seeded counter stream (never all zeros). */
static inline void fv_test_fill(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)fv_rng_uniform(seed, i);
}

#endif
