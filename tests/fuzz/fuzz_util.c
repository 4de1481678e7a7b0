/* The fuzz targets' shared harness (fuzz.h): in-memory files, the real model, loaded once. */
#define _GNU_SOURCE

#include "fuzz.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "models/inception_v1.h"
#include "net/graph.h"

#define FUZZ_SLOTS 4

const char *fuzz_file(int slot, const uint8_t *data, size_t size)
{
    static int fd[FUZZ_SLOTS] = {-1, -1, -1, -1};
    static char path[FUZZ_SLOTS][64];
    if (slot < 0 || slot >= FUZZ_SLOTS) abort();
    if (fd[slot] < 0) {
        fd[slot] = memfd_create("fuzz-input", 0);
        if (fd[slot] < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
    }
    if (ftruncate(fd[slot], 0) != 0) abort();
    size_t off = 0;
    while (off < size) {
        ssize_t n = pwrite(fd[slot], data + off, size - off, (off_t)off);
        if (n <= 0) abort();
        off += (size_t)n;
    }
    return path[slot];
}

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = 0;
    return s;
}

const fv_model *fuzz_model(void)
{
    static fv_model *m;
    if (m) return m;
    char path[4096];
    const char *env = getenv("FEATVIS_WEIGHTS"), *dir = getenv("FV_SHARED_DIR");
    if (env && *env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "%s/models/bvlc_googlenet/bvlc_googlenet.caffemodel", dir && *dir ? dir : "../shared");
    if (fv_model_load(path, FV_MODEL_AUTO, &m) != FV_OK) {
        fprintf(stderr, "fuzz: cannot load the model (set FEATVIS_WEIGHTS or FV_SHARED_DIR): %s\n", fv_last_error());
        abort();
    }
    return m;
}

void fuzz_build_net(const fv_modelfile *mf, fv_model_kind kind)
{
    fv_net net;
    int nclasses = 0;
    if (fv_inception_build(mf, kind, &net, &nclasses) != FV_OK) return;
    fuzz_size_net(&net, nclasses);
}

void fuzz_size_net(fv_net *net, int nclasses)
{
    FUZZ_CHECK(net->ntensors > 0 && nclasses >= 0, "built a net with %d tensors, %d classes", net->ntensors, nclasses);
    int *hs = malloc(sizeof(int) * (size_t)net->ntensors), *ws = malloc(sizeof(int) * (size_t)net->ntensors);
    FUZZ_CHECK(hs && ws, "out of memory");
    static const int sizes[2] = {224, 17};
    for (int i = 0; i < 2; i++) fv_net_shapes(net, sizes[i], sizes[i], hs, ws);
    free(hs);
    free(ws);
    fv_net_free(net);
}

void fuzz_check_image(fv_status st, fv_image *img)
{
    if (st == FV_OK) {
        FUZZ_CHECK(img->w > 0 && img->h > 0 && img->rgb, "accepted an image of %dx%d", img->w, img->h);
        size_t n = (size_t)3 * img->w * img->h;
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(img->rgb[i] >= 0.0f && img->rgb[i] <= 1.0f, "pixel value %g outside [0, 1]", img->rgb[i]);
    } else {
        FUZZ_CHECK(!img->rgb && !img->w && !img->h, "a failed read returned an image");
    }
    fv_image_free(img);
}
