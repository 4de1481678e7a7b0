/* Fuzz target: a NumPy .npy file (fv_npy_read: the header dict, versions 1.0 and 2.0, '<f4' and '<f8'), as
 * direction objectives read it; what it accepts is written back and must read back to the same array. */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    float *a = NULL, *b = NULL;
    int64_t shape[FV_NPY_MAX_DIMS], shape2[FV_NPY_MAX_DIMS];
    int nd = -1, nd2 = -1;
    if (fv_npy_read(fuzz_file(0, data, size), &a, shape, &nd, FV_NPY_MAX_DIMS) != FV_OK) {
        FUZZ_CHECK(!a, "a failed read returned data");
        return 0;
    }
    size_t count = 1;
    for (int i = 0; i < nd; i++) count *= (size_t)shape[i];
    FUZZ_CHECK(count * 4 <= size, "%zu values from a file of %zu bytes", count, size);
    /* The writer renames a synced temporary file over its target, so the copy needs a real directory: /dev/shm
     * (memory, cheap syncs) where there is one; one file per process, overwritten every input. */
    char path[64];
    snprintf(path, sizeof path, "%s/fv_fuzz_npy_%d.npy", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (int)getpid());
    FUZZ_CHECK(fv_npy_write(path, a, shape, nd) == FV_OK, "%s", fv_last_error());
    FUZZ_CHECK(fv_npy_read(path, &b, shape2, &nd2, FV_NPY_MAX_DIMS) == FV_OK, "%s", fv_last_error());
    FUZZ_CHECK(nd2 == nd && !memcmp(shape, shape2, sizeof shape[0] * (size_t)nd), "shape changed on a round trip");
    FUZZ_CHECK(!memcmp(a, b, count * sizeof *a), "values changed on a round trip");
    free(a);
    free(b);
    return 0;
}
