/* make_fuzz_seeds OUTDIR: writes the seed corpus of every fuzz target into OUTDIR/<target>/ (ctest's fixture
 * fuzz_seeds, and tests/fuzz/run.sh before a campaign): job files, objectives and journal lines as users and
 * the tool write them, .npy files in both versions and dtypes, and the model and image files of seeds_models.c
 * and seeds_images.c. Everything is small and generated, so no binary seed is committed. */
#define _POSIX_C_SOURCE 200809L

#include "seeds.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/npy.h"

const char *seed_path(const char *dir, const char *name)
{
    static char ring[4][4096];
    static unsigned next;
    char *p = ring[next++ % 4];
    snprintf(p, sizeof ring[0], "%s/%s", dir, name);
    return p;
}

void seed_write(const char *dir, const char *name, const void *buf, size_t len)
{
    const char *path = seed_path(dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "make_fuzz_seeds: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void seed_lines(const char *dir, const char *prefix, const char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s%02zu.txt", prefix, i);
        seed_write(dir, name, lines[i], strlen(lines[i]));
    }
}

static void seeds_objective(const char *dir)
{
    static const char *const o[] = {
        "mixed4a:97", "mixed4a:97@7,3", "neuron:mixed4a:97", "inception_4a/output:97", "logit:285", "prob:285",
        "probability:1", "deepdream:mixed4a", "direction:mixed4a:random:7", "dir:mixed3b_pre_relu:random:0",
        "-mixed4a:97", "mixed4a:97+0.5*mixed4a:143-mixed3b:4", " 2 * mixed5b_pre_relu:1 - .25*conv2d0:0@1,2 ",
        "conv2/3x3:5 + inception_3a/5x5:3 + pool5/7x7_s1:9", "direction:mixed4a:/nonexistent/v.npy",
        "mixed4a:97 - -mixed4a:3 + logits:1 + softmax:2", "localresponsenorm1:0 + maxpool4:7@0,0",
    };
    seed_lines(dir, "objective", o, sizeof o / sizeof o[0]);
}

static void seeds_jobs(const char *dir)
{
    static const char *const j[] = {
        "# mixed4a, two ways\nmixed4a:97                                  # channel 97\n"
        "mixed4a:97 + 0.5*mixed4a:143 size=224 steps=2560 seed=3 preset=lucid diversity=4\n",
        "# featvis-cuda job file: 3 jobs, one a line: OBJECTIVE size=N steps=N seed=N preset=P diversity=N\n"
        "mixed4a_pre_relu:97 size=224 steps=512 seed=0 preset=article diversity=1\n"
        "mixed4a_pre_relu:97 size=224 steps=512 seed=0 preset=article diversity=4\n"
        "neuron:mixed3b:4 size=128 steps=64 seed=18446744073709551615 preset=none diversity=1\n",
        "mixed3b:4 size=64\r\n\n  \t# comment\nmixed3b:4 size=64\nlogit:1 preset=none steps=10\nfoo:1\n"
        "mixed4a:9999\nmixed4a:1 size=8\nmixed4a:1 colour=red\nsize=64\nmixed4a:1 size=64 size=65\n"
        "direction:mixed4a:random:3 seed=2 # random direction\nfile#name:1\n",
        "deepdream:mixed4a steps=1\nprob:1 diversity=64 steps=1\nmixed5b:1023@3,3 size=224",
    };
    seed_lines(dir, "jobs", j, sizeof j / sizeof j[0]);
}

static void seeds_journal(const char *dir)
{
    static const char *const l[] = {
        "{\"key\": \"mixed4a:97|size=224|steps=512|seed=0|preset=article|div=1\", \"index\": 0, \"count\": 1, "
        "\"objective\": \"mixed4a:97\", \"layer\": \"mixed4a\", \"file\": \"mixed4a/mixed4a_97.png\", \"status\": \"ok\", "
        "\"seed\": 0, \"size\": 224, \"steps\": 512, \"preset\": \"article\", \"settings\": \"param=fft decorrelate=1 "
        "lr=0.05\", \"objective_first\": 0.0123, \"objective_last\": 2.5, \"seconds\": 1.234, \"model\": "
        "\"InceptionV1_caffe\", \"time\": \"2024-01-01T00:00:00Z\"}",
        "{\"key\": \"mixed4a:97|size=224|steps=512|seed=0|preset=article|div=4\", \"index\": 3, \"count\": 4, "
        "\"objective\": \"mixed4a:97\", \"layer\": \"mixed4a\", \"file\": \"mixed4a/mixed4a_97_div4_3.png\", \"status\": "
        "\"ok\", \"seed\": 0, \"size\": 224, \"steps\": 512, \"preset\": \"article\", \"settings\": \"\", "
        "\"objective_first\": -1e-05, \"objective_last\": 3, \"seconds\": 0.5, \"diversity_first\": 0.9, "
        "\"diversity_last\": 0.1, \"model\": \"InceptionV1_caffe\", \"time\": \"2024-01-01T00:00:00Z\"}",
        "{\"key\": \"logit:1|size=64|steps=1|seed=1|preset=none|div=1\", \"index\": 0, \"count\": 1, \"objective\": "
        "\"logit:1\", \"layer\": \"loss3\", \"status\": \"failed\", \"error\": \"non-finite value \\\"x\\\" \\u00e9\", "
        "\"seed\": 1, \"size\": 64, \"steps\": 1, \"preset\": \"none\", \"settings\": \"a\", \"model\": \"m\", "
        "\"time\": \"t\"}",
        "{\"key\": \"k\", \"index\": 0, \"status\": \"ok\", \"file\": \"a/b.png\"}",
        "{\"key\": \"k\", \"index\": 2, \"status\": \"failed\"}",
    };
    seed_lines(dir, "journal", l, sizeof l / sizeof l[0]);
}

/* A version 2.0 '<f8' file as NumPy writes it for a header over 64 KiB, keys in another order. */
static void npy_v2_f8(const char *dir)
{
    const char hdr[] = "{'shape': (2, 3L), 'fortran_order': False, 'descr': '<f8', }";
    unsigned char buf[256];
    size_t hl = sizeof hdr - 1, total = 12 + hl + 1;
    size_t pad = (64 - total % 64) % 64, len = hl + pad + 1;
    memcpy(buf, "\x93NUMPY\x02\x00", 8);
    for (int i = 0; i < 4; i++) buf[8 + i] = (unsigned char)(len >> (8 * i));
    memcpy(buf + 12, hdr, hl);
    memset(buf + 12 + hl, ' ', pad);
    buf[12 + hl + pad] = '\n';
    size_t off = 12 + len;
    for (int i = 0; i < 6; i++) {
        double d = 0.5 * i - 1;
        uint64_t u;
        memcpy(&u, &d, 8);
        for (int k = 0; k < 8; k++) buf[off++] = (unsigned char)(u >> (8 * k));
    }
    seed_write(dir, "v2_f8.npy", buf, off);
}

static void seeds_npy(const char *dir)
{
    const float v[24] = {0, 1, -1, 0.5f, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21};
    const int64_t s1[1] = {3}, s3[3] = {2, 3, 4}, s0[2] = {0, 5}, s4[4] = {1, 2, 1, 3};
    struct { const char *name; const int64_t *shape; int nd; } f[] = {
        {"scalar.npy", NULL, 0}, {"vec3.npy", s1, 1}, {"cube.npy", s3, 3}, {"empty.npy", s0, 2}, {"nchw.npy", s4, 4},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (fv_npy_write(seed_path(dir, f[i].name), v, f[i].shape, f[i].nd) != FV_OK) {
            fprintf(stderr, "make_fuzz_seeds: %s\n", fv_last_error());
            exit(1);
        }
    npy_v2_f8(dir);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR (writes OUTDIR/<target>/ for every fuzz target)\n", argv[0]);
        return 2;
    }
    static const struct { const char *target; void (*make)(const char *); } all[] = {
        {"caffe", seeds_caffe}, {"graphdef", seeds_graphdef}, {"jobs", seeds_jobs},   {"objective", seeds_objective},
        {"npy", seeds_npy},     {"png", seeds_png},           {"jpeg", seeds_jpeg}, {"journal", seeds_journal},
        {"onnx", seeds_onnx},
    };
    if (mkdir(argv[1], 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_fuzz_seeds: cannot create %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *d = seed_path(argv[1], all[i].target);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", d);
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "make_fuzz_seeds: cannot create %s: %s\n", dir, strerror(errno));
            return 1;
        }
        all[i].make(dir);
    }
    printf("fuzz seeds written to %s/{caffe,graphdef,onnx,jobs,objective,npy,png,jpeg,journal}\n", argv[1]);
    return 0;
}
