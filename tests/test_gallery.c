/* Tests of the static HTML gallery (host/app/gallery*.c): a fake batch output folder (tests/gallery/fixture.h)
 * built with the real BVLC model and without one; page structure, branch headings, placeholders,
 * escaping, sprite sheet sizes and that each thumbnail's colour is its source image's colour. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "featvis/featvis.h"
#include "app/gallery.h"
#include "gallery/fixture.h"
#include "io/image.h"
#include "testutil.h"

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* Criterion runs each test in its own process, so the pid keeps parallel tests apart. */
static void fresh_dir(char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/fv_test_gallery_%ld_%s", (long)getpid(), name);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static char *slurp(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *b = malloc((size_t)len + 1);
    cr_assert_not_null(b);
    cr_assert_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    b[len] = '\0';
    fclose(f);
    return b;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
    return n;
}

static int exists(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* The HTML of one channel's row (from its <tr id=cN> to its </tr>), newly allocated. */
static char *row_of(const char *page, int ch)
{
    char id[32];
    snprintf(id, sizeof id, "<tr id=\"c%d\"", ch);
    const char *a = strstr(page, id);
    cr_assert_not_null(a, "no row for channel %d", ch);
    const char *e = strstr(a, "</tr>");
    cr_assert_not_null(e);
    return strndup(a, (size_t)(e - a));
}

static float px(const fv_image *im, int c, int x, int y) { return im->rgb[((size_t)c * im->h + y) * im->w + x]; }

/* The centre of the cell (ch, col) in its layer's sheet has the colour of the source image. */
static void check_cell(const char *gdir, const char *layer, int li, int ch, int col, int T)
{
    char name[128];
    snprintf(name, sizeof name, "%s/sprites/%s_%d.png", gdir, layer, ch / 64);
    fv_image sheet;
    cr_assert_eq(fv_image_read_png(name, &sheet), FV_OK, "%s", fv_last_error());
    float want[3];
    fx_colour(li, ch, col, want);
    int x = col * T + T / 2, y = (ch % 64) * T + T / 2;
    for (int c = 0; c < 3; c++)
        cr_assert(fabsf(px(&sheet, c, x, y) - want[c]) <= 1.5f / 255, "%s:%d col %d channel %d: %g, want %g", layer,
                  ch, col, c, px(&sheet, c, x, y), want[c]);
    fv_image_free(&sheet);
}

static void check_sheet_size(const char *gdir, const char *name, int w, int h)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/sprites/%s", gdir, name);
    fv_image im;
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    cr_assert_eq(im.w, w, "%s: width %d, want %d", name, im.w, w);
    cr_assert_eq(im.h, h, "%s: height %d, want %d", name, im.h, h);
    fv_image_free(&im);
}

/* What both builds share: index contents, escaping, placeholders, thumbnails. */
static void check_common(const char *gdir, const char *page3a)
{
    char *index = slurp(gdir, "index.html");
    cr_assert(strstr(index, "<!DOCTYPE html>") == index);
    cr_assert(strstr(index, "href=\"mixed3a.html\"") && strstr(index, "href=\"mixed4a.html\""));
    cr_assert(strstr(index, "logit:285") && strstr(index, "mixed3a:3 + 0.5*mixed4a:2"), "other objectives listed");
    cr_assert(strstr(index, "src=\"../other/logit_285.png\""));
    cr_assert(strstr(index, "x&lt;script&gt;alert(1)&lt;/script&gt;:3"), "objective escaped");
    cr_assert(strstr(index, "failed: bad &lt;objective&gt;"));
    cr_assert(strstr(index, "1 line(s) skipped"), "the truncated line is counted");
    cr_assert(strstr(index, "2 journal(s)"));
    /* No text from a journal reaches the markup unescaped. */
    cr_assert_null(strstr(index, "<script>alert"));
    cr_assert_null(strstr(page3a, "<cudaMalloc>"));
    cr_assert_eq(count(index, "<script>"), 1, "only the self-check script");
    cr_assert_eq(count(page3a, "<script>"), 1);

    /* mixed3a:0: all seven images, the duplicate's later ok image wins over the older and the failure. */
    char *r0 = row_of(page3a, 0);
    cr_assert_eq(count(r0, "class=\"t s0 k"), 7, "%s", r0);
    cr_assert(strstr(r0, "href=\"../mixed3a/mixed3a_0_channel.png\""));
    cr_assert(strstr(r0, "href=\"../mixed3a/mixed3a_0_div3.png\""));
    free(r0);
    /* mixed3a:1 has no diversity image 3: a placeholder box, not an image. */
    char *r1 = row_of(page3a, 1);
    cr_assert_eq(count(r1, "class=\"t "), 6);
    cr_assert_eq(count(r1, "<span class=\"ph\"></span>"), 1);
    free(r1);
    /* mixed3a:64's negative failed: a red placeholder whose title says why (escaped). */
    char *r64 = row_of(page3a, 64);
    cr_assert_eq(count(r64, "class=\"t s1 k"), 6);
    cr_assert_eq(count(r64, "class=\"ph f\""), 1);
    cr_assert(strstr(r64, "failed: out of memory &lt;cudaMalloc&gt; &amp; &quot;retry&quot;"), "%s", r64);
    free(r64);
    char *r2 = row_of(page3a, 2);
    cr_assert_eq(count(r2, "<span class=\"ph\"></span>"), 7, "a channel without images: seven boxes");
    free(r2);

    for (int i = 0; i < FX_3A_N; i++) {
        int ch = fx_3a_channels[i];
        for (int col = 0; col < 7; col++) {
            if ((ch == 200 && col != 1) || (ch == 1 && col == 6) || (ch == 64 && col == 2)) continue;
            check_cell(gdir, "mixed3a", 0, ch, col, 96);
        }
    }
    for (int col = 0; col < 7; col++) check_cell(gdir, "mixed4a", 1, FX_4A_CHANNEL, col, 96);
    /* mixed4a's 64x48 neuron image is 96x72 in its cell, centred: white above it. */
    fv_image s;
    char path[1024];
    snprintf(path, sizeof path, "%s/sprites/mixed4a_1.png", gdir);
    cr_assert_eq(fv_image_read_png(path, &s), FV_OK);
    int y0 = (FX_4A_CHANNEL % 64) * 96;
    for (int c = 0; c < 3; c++) {
        cr_assert_float_eq(px(&s, c, 48, y0 + 5), 1.0f, 1e-6, "letterbox above the thumbnail");
        cr_assert_float_eq(px(&s, c, 48, y0 + 12), px(&s, c, 48, y0 + 48), 2.0f / 255, "thumbnail starts at row 12");
    }
    fv_image_free(&s);
    free(index);
}

static void no_temp_files(const char *gdir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.tmp.*' | grep -q .", gdir);
    cr_assert_neq(system(cmd), 0, "temporary files left behind in %s", gdir);
}

Test(gallery, with_model)
{
    char dir[256], gdir[300];
    fresh_dir(dir, sizeof dir, "model");
    snprintf(gdir, sizeof gdir, "%s/gallery", dir);
    cr_assert_eq(fx_write(dir), 0, "cannot write the fixture: %s", fv_last_error());
    fv_model *m = NULL;
    cr_assert_eq(fv_model_load(fv_test_weights(), FV_MODEL_AUTO, &m), FV_OK, "%s", fv_last_error());
    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *log = open_memstream(&logbuf, &loglen);
    cr_assert_eq(fv_gallery_build(dir, m, 0, log), FV_OK, "%s", fv_last_error());
    fclose(log);
    cr_assert(strstr(logbuf, "1 line(s) do not parse"), "%s", logbuf);
    cr_assert(strstr(logbuf, "mixed3a.html: 256 channels, 34 images, 1 failed"), "%s", logbuf);
    free(logbuf);

    cr_assert(exists(gdir, "index.html") && exists(gdir, "mixed3a.html") && exists(gdir, "mixed4a.html"));
    /* mixed3a has images in channel groups 0, 1 and 3, mixed4a only in group 1. */
    cr_assert(exists(gdir, "sprites/mixed3a_0.png") && exists(gdir, "sprites/mixed3a_1.png"));
    cr_assert(!exists(gdir, "sprites/mixed3a_2.png") && exists(gdir, "sprites/mixed3a_3.png"));
    cr_assert(exists(gdir, "sprites/mixed4a_1.png") && !exists(gdir, "sprites/mixed4a_0.png"));
    check_sheet_size(gdir, "mixed3a_0.png", 7 * 96, 64 * 96);
    check_sheet_size(gdir, "mixed3a_3.png", 7 * 96, 64 * 96);

    char *p3 = slurp(gdir, "mixed3a.html"), *p4 = slurp(gdir, "mixed4a.html");
    cr_assert_eq(count(p3, "<tr id=\"c"), 256);
    cr_assert_eq(count(p4, "<tr id=\"c"), 512); /* BVLC: 192 + 208 + 48 + 64 */
    cr_assert_eq(count(p3, "class=\"b\""), 4, "four inception branches");
    cr_assert_eq(count(p4, "class=\"b\""), 4);
    static const char *const heads[4] = {
        "inception_3a/1x1 &middot; channels 0&ndash;63", "inception_3a/3x3 &middot; channels 64&ndash;191",
        "inception_3a/5x5 &middot; channels 192&ndash;223", "inception_3a/pool_proj &middot; channels 224&ndash;255"};
    static const int first[4] = {0, 64, 192, 224};
    for (int b = 0; b < 4; b++) {
        const char *h = strstr(p3, heads[b]);
        cr_assert_not_null(h, "no heading '%s'", heads[b]);
        char id[32];
        snprintf(id, sizeof id, "<tr id=\"c%d\"", first[b]);
        cr_assert(strstr(h, id) && (!b || !strstr(h, "<tr id=\"c0\"")), "heading %d sits before its first row", b);
        if (b) {
            snprintf(id, sizeof id, "<tr id=\"c%d\"", first[b] - 1);
            cr_assert(strstr(p3, id) < h, "heading %d sits after the previous branch", b);
        }
    }
    cr_assert(strstr(p3, ".s0{background-image:url(\"sprites/mixed3a_0.png\")}"));
    cr_assert_null(strstr(p3, ".s2{"), "no sheet is named where no group has images");
    cr_assert(strstr(p3, "<tr id=\"c65\" style=\"--y:-96px\">"), "rows of a sheet from its top");
    check_common(gdir, p3);
    char *index = slurp(gdir, "index.html");
    cr_assert(strstr(index, "<td>256</td><td>34</td><td>1792</td><td>1</td><td>0</td>"), "mixed3a's counts");
    cr_assert(strstr(index, "Model InceptionV1_caffe."));
    free(index);
    no_temp_files(gdir);
    free(p3);
    free(p4);
    fv_model_free(m);
    cleanup(dir);
}

Test(gallery, without_model)
{
    char dir[256], gdir[300];
    fresh_dir(dir, sizeof dir, "nomodel");
    snprintf(gdir, sizeof gdir, "%s/gallery", dir);
    cr_assert_eq(fx_write(dir), 0);
    cr_assert_eq(fv_gallery_build(dir, NULL, 0, NULL), FV_OK, "%s", fv_last_error());
    char *p3 = slurp(gdir, "mixed3a.html"), *p4 = slurp(gdir, "mixed4a.html");
    /* Without a model a layer has as many rows as its highest channel seen, and no branches. */
    cr_assert_eq(count(p3, "<tr id=\"c"), 201);
    cr_assert_eq(count(p4, "<tr id=\"c"), 98);
    cr_assert_eq(count(p3, "class=\"b\""), 0);
    check_sheet_size(gdir, "mixed3a_0.png", 7 * 96, 64 * 96);
    check_sheet_size(gdir, "mixed3a_3.png", 7 * 96, 9 * 96);
    check_sheet_size(gdir, "mixed4a_1.png", 7 * 96, 34 * 96);
    check_common(gdir, p3);
    no_temp_files(gdir);
    free(p3);
    free(p4);
    cleanup(dir);
}

/* A rerun overwrites the gallery (here with smaller thumbnails); an image deleted since its journal
 * line was written becomes a placeholder, not a broken image or a failed build. */
Test(gallery, rerun_and_missing_file)
{
    char dir[256], gdir[300], path[600];
    fresh_dir(dir, sizeof dir, "rerun");
    snprintf(gdir, sizeof gdir, "%s/gallery", dir);
    cr_assert_eq(fx_write(dir), 0);
    cr_assert_eq(fv_gallery_build(dir, NULL, 0, NULL), FV_OK, "%s", fv_last_error());
    snprintf(path, sizeof path, "%s/mixed3a/mixed3a_63_negative.png", dir);
    cr_assert_eq(remove(path), 0);
    cr_assert_eq(fv_gallery_build(dir, NULL, 32, NULL), FV_OK, "%s", fv_last_error());
    check_sheet_size(gdir, "mixed3a_0.png", 7 * 32, 64 * 32);
    char *p3 = slurp(gdir, "mixed3a.html");
    cr_assert(strstr(p3, ".t,.ph{display:block;width:32px;height:32px;"));
    char *r63 = row_of(p3, 63);
    cr_assert_eq(count(r63, "class=\"t "), 6);
    cr_assert_eq(count(r63, "class=\"ph u\""), 1, "%s", r63);
    cr_assert(strstr(p3, "1 unreadable"));
    free(r63);
    free(p3);
    no_temp_files(gdir);
    cleanup(dir);
}

Test(gallery, errors_and_empty)
{
    cr_assert_eq(fv_gallery_build("/nonexistent/fv_gallery", NULL, 0, NULL), FV_ERR_IO);
    cr_assert(strstr(fv_last_error(), "/nonexistent/fv_gallery"), "%s", fv_last_error());
    cr_assert_eq(fv_gallery_build("/tmp", NULL, 3, NULL), FV_ERR_ARG);
    cr_assert_eq(fv_gallery_build(NULL, NULL, 0, NULL), FV_ERR_ARG);
    char dir[256], gdir[300];
    fresh_dir(dir, sizeof dir, "empty");
    snprintf(gdir, sizeof gdir, "%s/gallery", dir);
    cr_assert_eq(fx_mkdir(dir, NULL), 0);
    cr_assert_eq(fv_gallery_build(dir, NULL, 0, NULL), FV_OK, "%s", fv_last_error());
    char *index = slurp(gdir, "index.html");
    cr_assert(strstr(index, "No layer images yet."));
    free(index);
    cleanup(dir);
}
