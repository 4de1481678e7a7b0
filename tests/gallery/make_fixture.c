/* make_fixture DIR [--no-model]: write the gallery tests' fake batch output folder (fixture.h) into DIR
 * and build DIR/gallery from it, with the BVLC model (FEATVIS_WEIGHTS or the shared folder) unless
 * --no-model; for tests/gallery/check_browser.sh, which opens the pages in a headless browser. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "featvis/featvis.h"
#include "app/gallery.h"
#include "gallery/fixture.h"
#include "testutil.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--no-model"))) {
        fprintf(stderr, "usage: %s DIR [--no-model]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    if (fx_write(dir) != 0) {
        fprintf(stderr, "make_fixture: cannot write the fixture into %s: %s\n", dir, fv_last_error());
        return 1;
    }
    fv_model *m = NULL;
    if (argc == 2 && fv_model_load(fv_test_weights(), FV_MODEL_AUTO, &m) != FV_OK) {
        fprintf(stderr, "make_fixture: %s\n", fv_last_error());
        return 1;
    }
    fv_status st = fv_gallery_build(dir, m, 0, stderr);
    if (st != FV_OK) fprintf(stderr, "make_fixture: %s\n", fv_last_error());
    fv_model_free(m);
    return st == FV_OK ? 0 : 1;
}
