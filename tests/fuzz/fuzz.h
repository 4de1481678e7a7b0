/* Shared parts of the fuzz targets (tests/fuzz/fuzz_*.c): the input as a file for parsers that take a path
 * (a memfd reached through /proc/self/fd, rewritten for every input: no disk, no leftovers), the real BVLC
 * GoogLeNet for the parsers that check text against a network, and a check that aborts, so libFuzzer and the
 * regression driver (driver.c) both count a broken invariant as a crash. */
#ifndef FV_FUZZ_H
#define FV_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "featvis/featvis.h"

/* libFuzzer's entry points (driver.c calls them the same way). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Slot 0..3 of a per-process in-memory file holding data[0..size); returns its path (valid until the next
 * call with the same slot). Aborts if the file cannot be made (that is the harness failing, not the parser). */
const char *fuzz_file(int slot, const uint8_t *data, size_t size);

/* data[0..size) as a NUL-terminated string (malloc'd; free()). Embedded NULs stay: the parser sees the text up to
 * the first one, as it would read it from a C string. */
char *fuzz_text(const uint8_t *data, size_t size);

/* The real BVLC GoogLeNet (FEATVIS_WEIGHTS, else FV_SHARED_DIR/models/bvlc_googlenet/..., else
 * ../shared/...), loaded once; aborts with a message if it cannot be. */
const fv_model *fuzz_model(void);

/* Build what a model loader accepted into the InceptionV1 graph and size it at two input sizes, as
 * fv_model_load does with a user's file (fuzz_caffe.c, fuzz_graphdef.c). */
struct fv_modelfile;
void fuzz_build_net(const struct fv_modelfile *mf, fv_model_kind kind);
/* An image reader's result (st, *img) checked: an accepted image is not empty and its pixels lie in [0, 1], a
 * refused one left empty; then freed. */
void fuzz_check_image(fv_status st, fv_image *img);
/* A built network (any loader's) checked, sized at two input sizes, and freed. */
struct fv_net;
void fuzz_size_net(struct fv_net *net, int nclasses);

/* A broken invariant: print what and abort (a crash to libFuzzer and to the driver). */
#define FUZZ_CHECK(cond, ...)                                                                                      \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "fuzz check failed (%s:%d): %s: ", __FILE__, __LINE__, #cond);                       \
            fprintf(stderr, __VA_ARGS__);                                                                          \
            fputc('\n', stderr);                                                                                   \
            abort();                                                                                               \
        }                                                                                                          \
    } while (0)

#endif
