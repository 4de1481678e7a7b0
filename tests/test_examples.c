/* Tests of dataset examples (host/app/examples*.c) and the JPEG reader (host/io/jpeg.c): a generated folder of
 * PNGs and JPEGs (solid colours, stripes, checkerboards) plus a corrupt file and a stray text file, run
 * through the real BVLC model; rankings checked against fv_activations image by image. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>
#include <ftw.h>
#include <jansson.h>
#include <jpeglib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/examples.h"
#include "app/gallery.h"
#include "io/image.h"
#include "models/model.h"
#include "testutil.h"

#define NPNG 12
#define NJPG 3
#define SIZE 64
#define K 3
#define THUMB 32

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* Criterion runs each test in its own process, so the pid keeps parallel tests apart. */
static void fresh_dir(char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/fv_test_examples_%ld_%s", (long)getpid(), name);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    cr_assert_eq(mkdir(dir, 0777), 0, "cannot create %s", dir);
}

static void cleanup(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void write_jpeg(const char *path, int w, int h, const unsigned char *rgb, int quality)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr err;
    ci.err = jpeg_std_error(&err);
    jpeg_create_compress(&ci);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    for (int y = 0; y < h; y++) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)y * w * 3);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    fclose(f);
}

/* Pattern i at (x, y) into v[3] in [0,1]: solid colours, stripes at four orientations, checkerboards. */
static void pattern(int i, int x, int y, float v[3])
{
    static const float cols[6][3] = {{1, 0, 0}, {0, 0.8f, 0.2f}, {0.1f, 0.2f, 0.9f}, {1, 1, 1}, {0, 0, 0}, {0.9f, 0.7f, 0.1f}};
    const float *a = cols[i % 6], *b = cols[(i + 3) % 6];
    int on;
    switch (i % 5) {
    case 0: on = 1; break;                          /* solid */
    case 1: on = (x / (2 + i % 4)) % 2; break;      /* vertical stripes */
    case 2: on = (y / (2 + i % 3)) % 2; break;      /* horizontal stripes */
    case 3: on = ((x + y) / (3 + i % 2)) % 2; break; /* diagonal stripes */
    default: on = (x / 6 + y / 6) % 2; break;       /* checkerboard */
    }
    for (int c = 0; c < 3; c++) v[c] = on ? a[c] : b[c];
}

/* img_NN.png (12, sizes 64..100 so nothing is halved before the 64 px resize), jpg_NN.jpg (3), a corrupt
 * broken.png and notes.txt. */
static void make_folder(const char *dir)
{
    char path[1024];
    for (int i = 0; i < NPNG + NJPG; i++) {
        int w = 64 + 3 * i, h = 64 + (i * 7) % 37;
        fv_image im;
        cr_assert_eq(fv_image_alloc(&im, w, h), FV_OK);
        unsigned char *bytes = malloc((size_t)w * h * 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float v[3];
                pattern(i, x, y, v);
                for (int c = 0; c < 3; c++) {
                    im.rgb[((size_t)c * h + y) * w + x] = v[c];
                    bytes[((size_t)y * w + x) * 3 + c] = (unsigned char)lroundf(v[c] * 255);
                }
            }
        if (i < NPNG) {
            snprintf(path, sizeof path, "%s/img_%02d.png", dir, i);
            cr_assert_eq(fv_image_write_png(path, &im, NULL, NULL, 0), FV_OK);
        } else {
            snprintf(path, sizeof path, "%s/jpg_%02d.jpg", dir, i);
            write_jpeg(path, w, h, bytes, 95);
        }
        free(bytes);
        fv_image_free(&im);
    }
    snprintf(path, sizeof path, "%s/broken.png", dir);
    FILE *f = fopen(path, "wb");
    fwrite("\x89PNG\r\n\x1a\nthis is not a PNG at all", 1, 32, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    f = fopen(path, "w");
    fputs("not an image\n", f);
    fclose(f);
}

static void read_index(const char *dir, int *nlines, json_t **lines, int cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/index.jsonl", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no %s", path);
    char *line = NULL;
    size_t n = 0;
    *nlines = 0;
    while (getline(&line, &n, f) > 0) {
        cr_assert_lt(*nlines, cap);
        json_error_t e;
        lines[*nlines] = json_loads(line, 0, &e);
        cr_assert_not_null(lines[*nlines], "line %d of %s: %s", *nlines + 1, path, e.text);
        (*nlines)++;
    }
    free(line);
    fclose(f);
}

static double act_of(json_t *e) { return json_number_value(json_object_get(e, "act")); }
static const char *file_of(json_t *e) { return json_string_value(json_object_get(e, "file")); }

Test(examples, ranks_match_independent_activations, .timeout = 600)
{
    char dir[512], imgs[600], out[600];
    fresh_dir(dir, sizeof dir, "rank");
    snprintf(imgs, sizeof imgs, "%s/images", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    cr_assert_eq(mkdir(imgs, 0777), 0);
    make_folder(imgs);
    fv_model *m;
    cr_assert_eq(fv_model_load(fv_test_weights(), FV_MODEL_AUTO, &m), FV_OK, "%s", fv_last_error());

    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *log = open_memstream(&logbuf, &loglen);
    fv_examples_opts o = {.images = imgs, .layer = "mixed3a", .out = out, .top = K, .size = SIZE, .thumb = THUMB,
                          .batch = 4, .backend = FV_BACKEND_CPU, .log = log};
    fv_examples_report rep;
    fv_status st = fv_examples_run(m, &o, &rep);
    fclose(log);
    cr_assert_eq(st, FV_OK, "%s", fv_last_error());
    cr_assert_eq(rep.nimages, NPNG + NJPG);
    cr_assert_eq(rep.nbad, 1);
    cr_assert_str_eq(rep.bad[0], "broken.png");
    cr_assert_eq(rep.nskipped, 1);
    cr_assert_not_null(strstr(logbuf, "broken.png"), "the corrupt file is not named in the log:\n%s", logbuf);
    cr_assert_not_null(strstr(logbuf, "notes.txt"), "the skipped file is not noted in the log:\n%s", logbuf);
    cr_assert_eq(rep.rf, 59);
    cr_assert_eq(rep.jump, 8);

    /* Independently: every image read, resized to 64 and run alone through fv_activations. */
    const char *names[NPNG + NJPG];
    char namebuf[NPNG + NJPG][32];
    int nn = 0;
    for (int i = NPNG; i < NPNG + NJPG; i++) snprintf(namebuf[nn], 32, "jpg_%02d.jpg", i), names[nn] = namebuf[nn], nn++;
    for (int i = 0; i < NPNG; i++) snprintf(namebuf[nn], 32, "img_%02d.png", i), names[nn] = namebuf[nn], nn++;
    /* The folder's byte order, which the examples follow too. */
    for (int a = 0; a < nn; a++)
        for (int b = a + 1; b < nn; b++)
            if (strcmp(names[a], names[b]) > 0) {
                const char *t = names[a];
                names[a] = names[b];
                names[b] = t;
            }
    int C = 0, H = 0, W = 0;
    float *mx = NULL;
    for (int i = 0; i < nn; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", imgs, names[i]);
        fv_image im;
        cr_assert_eq(fv_image_read(path, &im), FV_OK, "%s", fv_last_error());
        cr_assert_eq(fv_image_resize(&im, SIZE, SIZE, &im), FV_OK);
        float *a;
        cr_assert_eq(fv_activations(m, fv_test_cpu(), &im, "mixed3a", &a, &C, &H, &W), FV_OK, "%s", fv_last_error());
        if (!mx) mx = malloc(sizeof(float) * (size_t)nn * C);
        for (int c = 0; c < C; c++) {
            float best = -INFINITY;
            for (int k = 0; k < H * W; k++) best = fmaxf(best, a[(size_t)c * H * W + k]);
            mx[(size_t)i * C + c] = best;
        }
        free(a);
        fv_image_free(&im);
    }
    cr_assert_eq(C, 256);

    json_t *lines[300];
    int nl;
    read_index(rep.dir, &nl, lines, 300);
    cr_assert_eq(nl, C, "index.jsonl has %d lines for %d channels", nl, C);
    int checked_distinct = 0;
    for (int c = 0; c < C; c++) {
        json_t *L = lines[c];
        cr_assert_eq(json_integer_value(json_object_get(L, "channel")), c);
        json_t *top = json_object_get(L, "top"), *bot = json_object_get(L, "bottom"), *sp = json_object_get(L, "spectrum");
        cr_assert_eq(json_array_size(top), K);
        cr_assert_eq(json_array_size(bot), K);
        cr_assert_eq(json_array_size(sp), FV_EXAMPLES_SPECTRUM);
        /* Top-1 is the argmax of the independent per-image maxima (ties: the earlier name). */
        int best = 0, worst = 0;
        for (int i = 1; i < nn; i++) {
            if (mx[(size_t)i * C + c] > mx[(size_t)best * C + c]) best = i;
            if (mx[(size_t)i * C + c] < mx[(size_t)worst * C + c]) worst = i;
        }
        /* Batched and single-image convolutions may differ in the last bits: a near-tie may swap. */
        double gap = 1e-4 * (1 + fabs(mx[(size_t)best * C + c]));
        int second_close = 0;
        for (int i = 0; i < nn; i++)
            if (i != best && mx[(size_t)best * C + c] - mx[(size_t)i * C + c] < gap) second_close = 1;
        if (!second_close) {
            cr_assert_str_eq(file_of(json_array_get(top, 0)), names[best], "channel %d: top-1 %s, expected %s", c,
                             file_of(json_array_get(top, 0)), names[best]);
            checked_distinct++;
        }
        cr_assert_float_eq(act_of(json_array_get(top, 0)), mx[(size_t)best * C + c], gap, "channel %d", c);
        cr_assert_float_eq(act_of(json_array_get(sp, 4)), mx[(size_t)best * C + c], gap, "channel %d", c);
        cr_assert_float_eq(act_of(json_array_get(sp, 0)), mx[(size_t)worst * C + c], gap, "channel %d", c);
        cr_assert_float_eq(act_of(json_array_get(bot, 0)), mx[(size_t)worst * C + c], gap, "channel %d", c);
        /* Ordered, and disjoint. */
        for (int k = 1; k < K; k++) {
            cr_assert_geq(act_of(json_array_get(top, k - 1)), act_of(json_array_get(top, k)), "channel %d", c);
            cr_assert_leq(act_of(json_array_get(bot, k - 1)), act_of(json_array_get(bot, k)), "channel %d", c);
        }
        for (int k = 1; k < FV_EXAMPLES_SPECTRUM; k++)
            cr_assert_leq(act_of(json_array_get(sp, k - 1)), act_of(json_array_get(sp, k)), "channel %d", c);
        cr_assert_geq(act_of(json_array_get(top, K - 1)), act_of(json_array_get(bot, K - 1)));
        for (int a = 0; a < K; a++)
            for (int b = 0; b < K; b++)
                cr_assert_str_neq(file_of(json_array_get(top, a)), file_of(json_array_get(bot, b)),
                                  "channel %d: %s in both lists", c, file_of(json_array_get(top, a)));
        /* The neuron position lies inside the layer. */
        int y = (int)json_integer_value(json_object_get(json_array_get(top, 0), "y"));
        int x = (int)json_integer_value(json_object_get(json_array_get(top, 0), "x"));
        cr_assert(y >= 0 && y < H && x >= 0 && x < W);
        json_decref(L);
    }
    cr_assert_gt(checked_distinct, C / 2, "only %d channels had a clear top-1", checked_distinct);

    /* The strip: (2K+5) thumbnails of THUMB px in a row. */
    char strip[4200];
    snprintf(strip, sizeof strip, "%s/c%04d.png", rep.dir, 17);
    fv_image s;
    cr_assert_eq(fv_image_read_png(strip, &s), FV_OK, "%s", fv_last_error());
    cr_assert_eq(s.w, (2 * K + FV_EXAMPLES_SPECTRUM) * THUMB);
    cr_assert_eq(s.h, THUMB);
    fv_image_free(&s);
    cr_assert_str_eq(rep.dir + strlen(out), "/examples/mixed3a");

    fv_examples_report_free(&rep);
    free(mx);
    free(logbuf);
    fv_model_free(m);
    cleanup(dir);
}

/* Hand computation, (rf, jump) from the input (1, 1):
 *   conv1/7x7_s2  k7 s2: 1 + 6*1 = 7, jump 2
 *   pool1/3x3_s2  k3 s2: 7 + 2*2 = 11, jump 4     (LRN, 1x1 conv: unchanged)
 *   conv2/3x3     k3 s1: 11 + 2*4 = 19, jump 4
 *   pool2/3x3_s2  k3 s2: 19 + 2*4 = 27, jump 8
 *   mixed3a: 1x1 -> 27; 1x1,3x3 -> 27 + 2*8 = 43; 1x1,5x5 -> 27 + 4*8 = 59; pool 3x3 s1,1x1 -> 43
 *            max over the branches: 59, jump 8. */
Test(examples, receptive_field)
{
    fv_model *m;
    cr_assert_eq(fv_model_load(fv_test_weights(), FV_MODEL_AUTO, &m), FV_OK, "%s", fv_last_error());
    static const struct {
        const char *layer;
        int rf, jump;
    } want[] = {{"conv1/7x7_s2", 7, 2}, {"pool1/3x3_s2", 11, 4}, {"conv2/3x3", 19, 4},
                {"pool2/3x3_s2", 27, 8}, {"inception_3a/5x5", 59, 8}, {"inception_3a/3x3", 43, 8},
                {"mixed3a", 59, 8}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        int t = fv_net_find(&m->net, want[i].layer), rf, jump;
        cr_assert_geq(t, 0, "no layer %s", want[i].layer);
        cr_assert_eq(fv_net_receptive_field(&m->net, t, &rf, &jump), FV_OK);
        cr_assert_eq(rf, want[i].rf, "%s: rf %d, expected %d", want[i].layer, rf, want[i].rf);
        cr_assert_eq(jump, want[i].jump, "%s: jump %d, expected %d", want[i].layer, jump, want[i].jump);
    }
    if (m->net.probs >= 0) {
        int rf, jump;
        cr_assert_eq(fv_net_receptive_field(&m->net, m->net.probs, &rf, &jump), FV_OK);
        cr_assert_eq(rf, -1, "the classifier sees the whole image");
    }
    fv_model_free(m);
}

Test(jpeg, solid_colour_truncated_and_not_an_image)
{
    char dir[512], path[700];
    fresh_dir(dir, sizeof dir, "jpeg");
    const int w = 40, h = 30;
    const unsigned char col[3] = {200, 30, 90};
    unsigned char *bytes = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++) memcpy(bytes + 3 * i, col, 3);
    snprintf(path, sizeof path, "%s/solid.jpg", dir);
    write_jpeg(path, w, h, bytes, 95);
    fv_image im;
    cr_assert_eq(fv_image_read(path, &im), FV_OK, "%s", fv_last_error());
    cr_assert_eq(im.w, w);
    cr_assert_eq(im.h, h);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < w * h; i++)
            cr_assert_float_eq(im.rgb[(size_t)c * w * h + i], col[c] / 255.0f, 3.0f / 255, "channel %d pixel %d: %g", c,
                               i, im.rgb[(size_t)c * w * h + i] * 255);
    fv_image_free(&im);

    /* Cut in half: libjpeg would pad it with grey; we call it corrupt, naming the file. */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    unsigned char *data = malloc((size_t)len);
    cr_assert_eq(fread(data, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    snprintf(path, sizeof path, "%s/cut.jpg", dir);
    f = fopen(path, "wb");
    fwrite(data, 1, (size_t)len / 2, f);
    fclose(f);
    cr_assert_eq(fv_image_read(path, &im), FV_ERR_FORMAT);
    cr_assert_not_null(strstr(fv_last_error(), "cut.jpg"), "%s", fv_last_error());
    cr_assert_null(im.rgb);
    /* Cut in half with its end marker put back: libjpeg meets the marker where data should be (a warning, and
     * grey padding again); likewise a header edited to claim more rows than the data holds. */
    long sos = 0;
    for (long i = 0; i + 1 < len && !sos; i++)
        if (data[i] == 0xFF && data[i + 1] == 0xDA) sos = i;
    cr_assert_gt(sos, 0, "no SOS marker");
    f = fopen(path, "wb");
    fwrite(data, 1, (size_t)(sos + len) / 2, f); /* half of the image data */
    fwrite("\xff\xd9", 1, 2, f);
    fclose(f);
    cr_assert_eq(fv_image_read(path, &im), FV_ERR_FORMAT);
    cr_assert_not_null(strstr(fv_last_error(), "image data ends before the image does"), "%s", fv_last_error());
    for (long i = 0; i + 8 < len; i++)
        if (data[i] == 0xFF && data[i + 1] == 0xC0) data[i + 5] = 0, data[i + 6] = 2 * h; /* SOF0: twice the rows */
    snprintf(path, sizeof path, "%s/taller.jpg", dir);
    f = fopen(path, "wb");
    fwrite(data, 1, (size_t)len, f);
    fclose(f);
    cr_assert_eq(fv_image_read(path, &im), FV_ERR_FORMAT);
    cr_assert_not_null(strstr(fv_last_error(), "taller.jpg"), "%s", fv_last_error());
    /* Garbage after a JPEG signature. */
    snprintf(path, sizeof path, "%s/junk.jpg", dir);
    f = fopen(path, "wb");
    fwrite("\xff\xd8\xff\xe0garbage garbage garbage", 1, 27, f);
    fclose(f);
    cr_assert_eq(fv_image_read(path, &im), FV_ERR_FORMAT);
    cr_assert_not_null(strstr(fv_last_error(), "junk.jpg"), "%s", fv_last_error());
    /* Neither PNG nor JPEG, whatever its name. */
    snprintf(path, sizeof path, "%s/text.png", dir);
    f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    cr_assert_eq(fv_image_read(path, &im), FV_ERR_FORMAT);
    cr_assert_not_null(strstr(fv_last_error(), "not a PNG or JPEG"), "%s", fv_last_error());
    free(bytes);
    free(data);
    cleanup(dir);
}

/* A gallery layer page shows a channel's strip in a row under its images when OUT/examples/<layer>/
 * has one, and no such row for a channel without. */
Test(examples, gallery_row)
{
    char dir[512], path[700];
    fresh_dir(dir, sizeof dir, "gallery");
    fv_image im;
    cr_assert_eq(fv_image_alloc(&im, 64, 64), FV_OK);
    snprintf(path, sizeof path, "%s/a.png", dir);
    cr_assert_eq(fv_image_write_png(path, &im, NULL, NULL, 0), FV_OK);
    fv_image_free(&im);
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"key\":\"k0\",\"objective\":\"mixed3a:0\",\"file\":\"a.png\",\"status\":\"ok\"}\n"
          "{\"key\":\"k1\",\"objective\":\"mixed3a:1\",\"file\":\"a.png\",\"status\":\"ok\"}\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/examples", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/examples/mixed3a", dir);
    mkdir(path, 0777);
    cr_assert_eq(fv_image_alloc(&im, 352, 32), FV_OK);
    snprintf(path, sizeof path, "%s/examples/mixed3a/c0000.png", dir);
    cr_assert_eq(fv_image_write_png(path, &im, NULL, NULL, 0), FV_OK);
    fv_image_free(&im);
    cr_assert_eq(fv_gallery_build(dir, NULL, 0, NULL), FV_OK, "%s", fv_last_error());
    snprintf(path, sizeof path, "%s/gallery/mixed3a.html", dir);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    static char page[1 << 16];
    size_t n = fread(page, 1, sizeof page - 1, f);
    page[n] = '\0';
    fclose(f);
    const char *row = strstr(page, "<tr id=\"x0\"");
    cr_assert_not_null(row, "no examples row for channel 0");
    cr_assert_not_null(strstr(row, "dataset examples: top / bottom / spectrum"));
    cr_assert_not_null(strstr(row, "src=\"../examples/mixed3a/c0000.png\" width=\"352\" height=\"32\""));
    cr_assert(strstr(page, "<tr id=\"c0\"") < row, "the examples row comes after the channel's row");
    cr_assert_null(strstr(page, "<tr id=\"x1\""), "a row for channel 1, which has no strip");
    cleanup(dir);
}
