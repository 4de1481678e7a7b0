/* Helpers shared by the tests: where the real BVLC weights and test data are (FEATVIS_WEIGHTS or the
 * shared folder; tests that need them fail, not skip, when they are missing), a CPU backend instance, and a
 * seeded filler. */
#ifndef FV_TESTUTIL_H
#define FV_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/rng.h"
#include "featvis/featvis.h"

/* The shared folder is found at run time, never baked into a binary (the same test binaries run on a device
 * machine from another directory): FV_SHARED_DIR from the environment (ctest sets it for every test), else
 * ../shared beside the working directory, which is the repository root for a developer running a test by hand.
 * Paths come from a small ring of buffers so that one expression may use several. */
static inline const char *fv_test_shared(const char *rel)
{
    static char ring[8][4096];
    static unsigned next;
    const char *dir = getenv("FV_SHARED_DIR");
    if (!dir || !*dir) dir = "../shared";
    char *buf = ring[next++ % 8];
    snprintf(buf, sizeof ring[0], "%s/%s", dir, rel);
    return buf;
}

static inline const char *fv_test_weights(void)
{
    const char *env = getenv("FEATVIS_WEIGHTS");
    if (env && *env) return env;
    return fv_test_shared("models/bvlc_googlenet/bvlc_googlenet.caffemodel");
}

#define FV_TEST_CAT fv_test_shared("models/bvlc_googlenet/testdata/cat_224.png")

/* A scratch file name of this test process (/tmp/fv_<pid>_<name>): two test runs on one machine never meet. */
static inline const char *fv_test_tmp(const char *name)
{
    static char ring[8][512];
    static unsigned next;
    char *buf = ring[next++ % 8];
    snprintf(buf, sizeof ring[0], "/tmp/fv_%ld_%s", (long)getpid(), name);
    return buf;
}

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

/* This process's virtual memory high-water mark (VmPeak, kB), or -1 where /proc does not say. */
static inline long fv_test_vm_peak_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmPeak: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

#ifdef FV_BINARY
/* featvis-cuda (FV_BINARY) with the environment assignments env (shell words, may be "") and args (shell words):
 * stdout and stderr into out (n bytes); returns its exit code, or -1 when it did not run or exit. */
static inline int fv_test_cli(const char *env, const char *args, char *out, size_t n)
{
    char cmd[8192];
    out[0] = 0;
    int len = snprintf(cmd, sizeof cmd, "%s %s %s 2>&1", env, FV_BINARY, args);
    if (len < 0 || (size_t)len >= sizeof cmd) return -1; /* a command line that long is a test's mistake */
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t k = fread(out, 1, n - 1, p);
    out[k] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
#endif

#endif
