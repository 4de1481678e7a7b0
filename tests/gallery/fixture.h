/* A fake batch output folder for the gallery tests (tests/test_gallery.c, tests/gallery/make_fixture.c):
 * solid-colour PNGs under mixed3a/, mixed4a/ and other/, and two shard journals with a duplicate key,
 * a failed image, a missing diversity image, "other" objectives and a truncated last line. */
#ifndef FV_GALLERY_FIXTURE_H
#define FV_GALLERY_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "featvis/featvis.h"
#include "io/image.h"

/* Channels with images; the shard of channel i in this list is i % 2, as the batch runner splits jobs. */
static const int fx_3a_channels[] = {0, 1, 63, 64, 65, 200};
#define FX_3A_N 6
#define FX_4A_CHANNEL 97

/* The colour of the winning image of a cell (layer 0: mixed3a, 1: mixed4a; col 0 neuron, 1 channel,
 * 2 negative, 3.. diversity): distinct per channel, column and layer, exactly representable in 8 bits. */
static inline void fx_colour(int layer, int ch, int col, float rgb[3])
{
    rgb[0] = (float)((ch * 53) % 200 + 30) / 255.0f;
    rgb[1] = (float)(col * 30 + 20) / 255.0f;
    rgb[2] = (float)(layer * 120 + 40) / 255.0f;
}

static inline int fx_png(const char *dir, const char *file, int w, int h, const float rgb[3])
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    fv_image im;
    if (fv_image_alloc(&im, w, h) != FV_OK) return -1;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < w * h; i++) im.rgb[(size_t)c * w * h + i] = rgb[c];
    fv_status st = fv_image_write_png(path, &im, NULL, NULL, 0);
    fv_image_free(&im);
    return st == FV_OK ? 0 : -1;
}

/* One journal line; file NULL for a failed image (error then says why). */
static inline void fx_line(FILE *j, const char *obj, int div, int index, const char *layer, const char *file,
                           const char *error)
{
    fprintf(j, "{\"key\": \"%s|size=224|steps=2560|seed=0|preset=article|div=%d\", \"index\": %d, \"count\": %d, ",
            obj, div, index, div);
    fprintf(j, "\"objective\": \"%s\", \"layer\": \"%s\", ", obj, layer);
    if (file) fprintf(j, "\"file\": \"%s\", \"status\": \"ok\", ", file);
    else fprintf(j, "\"status\": \"failed\", \"error\": \"%s\", ", error);
    fprintf(j, "\"seed\": 0, \"size\": 224, \"steps\": 2560, \"preset\": \"article\", \"objective_first\": 1.25, "
               "\"objective_last\": 301.5, \"seconds\": 12.5, \"model\": \"InceptionV1_caffe\", "
               "\"time\": \"2026-11-26T07:33:30Z\"}\n");
}

static inline int fx_mkdir(const char *dir, const char *sub)
{
    char p[1024];
    snprintf(p, sizeof p, "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
    return mkdir(p, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* The seven images of one channel (some left out or failed for mixed3a:1, :64 and :200). */
static inline int fx_channel(const char *dir, FILE *j, const char *layer, int li, int ch)
{
    static const char *const kind[3] = {"neuron", "channel", "negative"};
    char obj[128], file[256];
    float rgb[3];
    for (int col = 0; col < 7; col++) {
        if (!strcmp(layer, "mixed3a") && ch == 200 && col != 1) continue; /* only its channel image */
        if (!strcmp(layer, "mixed3a") && ch == 1 && col == 6) continue;   /* diversity 3 never ran */
        if (col == 0) snprintf(obj, sizeof obj, "neuron:%s:%d", layer, ch);
        else if (col == 2) snprintf(obj, sizeof obj, "-%s:%d", layer, ch);
        else snprintf(obj, sizeof obj, "%s:%d", layer, ch);
        int div = col >= 3 ? 4 : 1, index = col >= 3 ? col - 3 : 0;
        if (col < 3) snprintf(file, sizeof file, "%s/%s_%d_%s.png", layer, layer, ch, kind[col]);
        else snprintf(file, sizeof file, "%s/%s_%d_div%d.png", layer, layer, ch, index);
        if (!strcmp(layer, "mixed3a") && ch == 64 && col == 2) {
            fx_line(j, obj, div, index, layer, NULL, "out of memory <cudaMalloc> & \\\"retry\\\"");
            continue;
        }
        if (!strcmp(layer, "mixed3a") && ch == 0 && col == 1) {
            /* A duplicate: an older ok image, then the one that wins, then a failure that must not. */
            float old[3] = {0, 0, 0};
            if (fx_png(dir, "mixed3a/mixed3a_0_channel_old.png", 224, 224, old)) return -1;
            fx_line(j, obj, div, index, layer, "mixed3a/mixed3a_0_channel_old.png", NULL);
        }
        fx_colour(li, ch, col, rgb);
        /* mixed4a's neuron image is not square: its thumbnail is letterboxed in its cell. */
        int w = li == 1 && col == 0 ? 64 : 224, h = li == 1 && col == 0 ? 48 : 224;
        if (fx_png(dir, file, w, h, rgb)) return -1;
        fx_line(j, obj, div, index, layer, file, NULL);
        if (!strcmp(layer, "mixed3a") && ch == 0 && col == 1) fx_line(j, obj, div, index, layer, NULL, "late failure");
    }
    return 0;
}

/* Write the folder (created if needed). 0 on success. */
static inline int fx_write(const char *dir)
{
    if (fx_mkdir(dir, NULL) || fx_mkdir(dir, "mixed3a") || fx_mkdir(dir, "mixed4a") || fx_mkdir(dir, "other"))
        return -1;
    char p0[1024], p1[1024];
    snprintf(p0, sizeof p0, "%s/journal-shard0of2.jsonl", dir);
    snprintf(p1, sizeof p1, "%s/journal-shard1of2.jsonl", dir);
    FILE *j[2] = {fopen(p0, "w"), fopen(p1, "w")};
    int bad = !j[0] || !j[1];
    for (int i = 0; i < FX_3A_N && !bad; i++) bad = fx_channel(dir, j[i % 2], "mixed3a", 0, fx_3a_channels[i]);
    if (!bad) bad = fx_channel(dir, j[0], "mixed4a", 1, FX_4A_CHANNEL);
    float grey[3] = {0.5f, 0.5f, 0.5f};
    if (!bad) bad = fx_png(dir, "other/logit_285.png", 224, 224, grey) ||
                    fx_png(dir, "other/sum.png", 224, 224, grey);
    if (!bad) {
        fx_line(j[0], "logit:285", 1, 0, "logits", "other/logit_285.png", NULL);
        fputs("\n", j[0]); /* a blank line is not an error */
        fx_line(j[1], "mixed3a:3 + 0.5*mixed4a:2", 1, 0, "mixed3a", "other/sum.png", NULL);
        fx_line(j[1], "x<script>alert(1)</script>:3", 1, 0, "x", NULL, "bad <objective>");
        /* The writer was killed mid-line. */
        fputs("{\"key\": \"mixed3a:65|size=224|steps=2560|seed=0|preset=article|div=4\", \"index\": 3, \"cou", j[1]);
    }
    for (int i = 0; i < 2; i++)
        if (j[i] && fclose(j[i]) != 0) bad = 1;
    return bad ? -1 : 0;
}

#endif
