/* Tests of image and array file I/O: PNG read (every colour type, bit depth, interlace) and atomic
 * write with tEXt chunks, bilinear resize, and the .npy reader/writer, including the error paths.
 * Expected pixel values come from outside this code base (a Python stdlib decoder, libpng writing
 * known samples), never from the reader under test. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jpeglib.h>

#include "featvis/featvis.h"
#include "io/image.h"
#include "io/npy.h"
#include "testutil.h"

#define CAT_PNG FV_TEST_CAT

/* Criterion runs each test in its own process, so the pid keeps parallel tests apart. */
static void tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "/tmp/fv_test_io_%ld_%s", (long)getpid(), name);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "cannot create %s", path);
    cr_assert_eq(fwrite(p, 1, n, fp), n);
    cr_assert_eq(fclose(fp), 0);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open %s", path);
    cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
    long len = ftell(fp);
    cr_assert_geq(len, 0);
    rewind(fp);
    unsigned char *b = malloc((size_t)len + 1);
    cr_assert_not_null(b);
    cr_assert_eq(fread(b, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return b;
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

static float px(const fv_image *im, int c, int x, int y) { return im->rgb[((size_t)c * im->h + y) * im->w + x]; }

/* ---------- PNG fixtures written with libpng directly ---------- */

struct raw_png {
    int w, h, ctype, depth, interlace;
    const unsigned char *data; /* packed rows as PNG stores them (big-endian 16-bit samples) */
    size_t rowbytes;
    const png_color *pal;
    int npal;
    const unsigned char *trans;
    int ntrans;
};

static int write_raw_png(const char *path, const struct raw_png *r)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        return -1;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, r->w, r->h, r->depth, r->ctype, r->interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (r->pal) png_set_PLTE(png, info, r->pal, r->npal);
    if (r->trans) png_set_tRNS(png, info, r->trans, r->ntrans, NULL);
    png_write_info(png, info);
    png_bytep rows[64];
    for (int y = 0; y < r->h; y++) rows[y] = (png_bytep)(r->data + y * r->rowbytes);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return fclose(fp);
}

#define TOL8 (0.5f / 255.0f + 1e-6f)

/* ---------- PNG round trip ---------- */

Test(png, roundtrip_gradient)
{
    fv_image im;
    cr_assert_eq(fv_image_alloc(&im, 7, 5), FV_OK);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++) {
            im.rgb[(0 * 5 + y) * 7 + x] = x / 6.0f;
            im.rgb[(1 * 5 + y) * 7 + x] = y / 4.0f;
            im.rgb[(2 * 5 + y) * 7 + x] = (x + y) / 10.0f * 0.77f + 0.013f;
        }
    /* Out-of-range and NaN samples must clamp, not wrap. */
    im.rgb[0] = -0.5f;
    im.rgb[1] = 1.7f;
    im.rgb[2] = NAN;
    char path[256];
    tmp_path(path, sizeof path, "grad.png");
    cr_assert_eq(fv_image_write_png(path, &im, NULL, NULL, 0), FV_OK, "%s", fv_last_error());
    fv_image back;
    cr_assert_eq(fv_image_read_png(path, &back), FV_OK, "%s", fv_last_error());
    cr_assert_eq(back.w, 7);
    cr_assert_eq(back.h, 5);
    cr_assert_float_eq(back.rgb[0], 0.0f, 1e-7);
    cr_assert_float_eq(back.rgb[1], 1.0f, 1e-7);
    cr_assert_float_eq(back.rgb[2], 0.0f, 1e-7);
    for (size_t i = 3; i < 3 * 7 * 5; i++)
        cr_assert_float_eq(back.rgb[i], im.rgb[i], TOL8, "sample %zu: %g vs %g", i, back.rgb[i], im.rgb[i]);
    /* The temp file was renamed away. */
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    cr_assert(!file_exists(tmp));
    fv_image_free(&back);
    cr_assert_null(back.rgb);
    cr_assert_eq(back.w, 0);
    fv_image_free(&im);
    remove(path);
}

Test(png, text_chunks)
{
    fv_image im;
    cr_assert_eq(fv_image_alloc(&im, 3, 2), FV_OK);
    const char *keys[] = {"featvis:objective", "featvis:seed", "Software"};
    const char *vals[] = {"mixed4a:476 + 0.5*mixed4b:12", "42", "featvis-cuda " FV_VERSION};
    char path[256];
    tmp_path(path, sizeof path, "text.png");
    cr_assert_eq(fv_image_write_png(path, &im, keys, vals, 3), FV_OK, "%s", fv_last_error());
    char buf[128];
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(fv_image_read_png_text(path, keys[i], buf, sizeof buf), FV_OK, "%s", fv_last_error());
        cr_assert_str_eq(buf, vals[i]);
    }
    /* Truncation keeps a terminated prefix. */
    cr_assert_eq(fv_image_read_png_text(path, keys[0], buf, 8), FV_OK);
    cr_assert_str_eq(buf, "mixed4a");
    cr_assert_eq(fv_image_read_png_text(path, "absent", buf, sizeof buf), FV_ERR_ARG);
    cr_assert_not_null(strstr(fv_last_error(), "absent"));

    /* Overwriting replaces the file as a whole. */
    const char *vals2[] = {"other", "7", "x"};
    cr_assert_eq(fv_image_write_png(path, &im, keys, vals2, 3), FV_OK);
    cr_assert_eq(fv_image_read_png_text(path, keys[1], buf, sizeof buf), FV_OK);
    cr_assert_str_eq(buf, "7");

    /* Keys libpng would silently mangle are refused. */
    const char *bad[] = {" lead"};
    cr_assert_eq(fv_image_write_png(path, &im, bad, vals, 1), FV_ERR_ARG);
    const char *empty[] = {""};
    cr_assert_eq(fv_image_write_png(path, &im, empty, vals, 1), FV_ERR_ARG);
    fv_image_free(&im);
    remove(path);
}

/* ---------- the real picture ---------- */

Test(png, cat_224)
{
    fv_image im;
    cr_assert_eq(fv_image_read_png(CAT_PNG, &im), FV_OK, "%s", fv_last_error());
    cr_assert_eq(im.w, 224);
    cr_assert_eq(im.h, 224);
    /* Reference samples (x, y) -> (R, G, B) from an independent decoder: a ~40-line Python script using
     * only the stdlib (zlib.decompress of the IDAT stream + PNG filter reversal; the file is 8-bit RGB,
     * not interlaced, with gAMA/cHRM/bKGD ancillary chunks that are not applied). */
    static const int ref[][5] = {
        {0, 0, 90, 58, 11},        {111, 111, 207, 163, 118}, {223, 223, 58, 60, 38},
        {50, 170, 222, 173, 104}, {200, 30, 157, 113, 68},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++)
        for (int c = 0; c < 3; c++)
            cr_assert_float_eq(px(&im, c, ref[i][0], ref[i][1]), ref[i][2 + c] / 255.0f, 1e-6,
                               "pixel (%d,%d) channel %d", ref[i][0], ref[i][1], c);
    fv_image_free(&im);

    /* Its tEXt chunks, as listed by the same script. */
    char buf[64];
    cr_assert_eq(fv_image_read_png_text(CAT_PNG, "date:create", buf, sizeof buf), FV_OK, "%s", fv_last_error());
    cr_assert_str_eq(buf, "2015-09-20T12:23:07-07:00");
}

/* ---------- colour types and bit depths ---------- */

Test(png, gray8_and_gray_alpha)
{
    char path[256];
    tmp_path(path, sizeof path, "gray.png");
    unsigned char g[3][4];
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 4; x++) g[y][x] = (unsigned char)(x * 60 + y * 10 + 3);
    struct raw_png r = {4, 3, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, &g[0][0], 4, NULL, 0, NULL, 0};
    cr_assert_eq(write_raw_png(path, &r), 0);
    fv_image im;
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    cr_assert_eq(im.w, 4);
    cr_assert_eq(im.h, 3);
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 4; x++)
            for (int c = 0; c < 3; c++) cr_assert_float_eq(px(&im, c, x, y), g[y][x] / 255.0f, 1e-6);
    fv_image_free(&im);

    /* Gray + alpha: alpha is dropped, the gray value kept whatever the alpha. */
    unsigned char ga[2][3 * 2];
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++) {
            ga[y][2 * x] = (unsigned char)(40 * x + 100 * y + 7);
            ga[y][2 * x + 1] = (unsigned char)(x * 120);
        }
    struct raw_png r2 = {3, 2, PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE, &ga[0][0], 6, NULL, 0, NULL, 0};
    cr_assert_eq(write_raw_png(path, &r2), 0);
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++)
            for (int c = 0; c < 3; c++) cr_assert_float_eq(px(&im, c, x, y), ga[y][2 * x] / 255.0f, 1e-6);
    fv_image_free(&im);
    remove(path);
}

Test(png, gray_low_bit_depths)
{
    char path[256];
    tmp_path(path, sizeof path, "gray1.png");
    /* 1-bit, 10 wide: bits 1011001110 / 0100110001, padded to 2 bytes a row. */
    static const unsigned char b1[2][2] = {{0xB3, 0x80}, {0x4C, 0x40}};
    static const char *bits[2] = {"1011001110", "0100110001"};
    struct raw_png r = {10, 2, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, &b1[0][0], 2, NULL, 0, NULL, 0};
    cr_assert_eq(write_raw_png(path, &r), 0);
    fv_image im;
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    cr_assert_eq(im.w, 10);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 10; x++)
            for (int c = 0; c < 3; c++) cr_assert_float_eq(px(&im, c, x, y), bits[y][x] == '1' ? 1.0f : 0.0f, 1e-6);
    fv_image_free(&im);

    /* 4-bit: sample s scales to s*17 (bit replication, PNG spec 13.12). */
    static const unsigned char b4[1][2] = {{0x0F, 0x59}};
    struct raw_png r4 = {4, 1, PNG_COLOR_TYPE_GRAY, 4, PNG_INTERLACE_NONE, &b4[0][0], 2, NULL, 0, NULL, 0};
    cr_assert_eq(write_raw_png(path, &r4), 0);
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    static const int s4[4] = {0, 15, 5, 9};
    for (int x = 0; x < 4; x++) cr_assert_float_eq(px(&im, 1, x, 0), s4[x] * 17 / 255.0f, 1e-6);
    fv_image_free(&im);
    remove(path);
}

Test(png, palette_with_transparency)
{
    char path[256];
    tmp_path(path, sizeof path, "pal.png");
    static const png_color pal[4] = {{255, 0, 0}, {0, 128, 0}, {10, 20, 30}, {200, 201, 202}};
    static const unsigned char trans[2] = {0, 128}; /* entries 0 and 1 partly transparent: dropped */
    static const unsigned char idx[2][3] = {{0, 1, 2}, {3, 2, 1}};
    struct raw_png r = {3, 2, PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_NONE, &idx[0][0], 3, pal, 4, trans, 2};
    cr_assert_eq(write_raw_png(path, &r), 0);
    fv_image im;
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++) {
            const png_color *e = &pal[idx[y][x]];
            cr_assert_float_eq(px(&im, 0, x, y), e->red / 255.0f, 1e-6);
            cr_assert_float_eq(px(&im, 1, x, y), e->green / 255.0f, 1e-6);
            cr_assert_float_eq(px(&im, 2, x, y), e->blue / 255.0f, 1e-6);
        }
    fv_image_free(&im);

    /* 2-bit palette indices, 5 wide: 0 1 2 3 1 -> 0x1B 0x40. */
    static const unsigned char i2[1][2] = {{0x1B, 0x40}};
    static const int want[5] = {0, 1, 2, 3, 1};
    struct raw_png r2 = {5, 1, PNG_COLOR_TYPE_PALETTE, 2, PNG_INTERLACE_NONE, &i2[0][0], 2, pal, 4, NULL, 0};
    cr_assert_eq(write_raw_png(path, &r2), 0);
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    for (int x = 0; x < 5; x++) cr_assert_float_eq(px(&im, 2, x, 0), pal[want[x]].blue / 255.0f, 1e-6);
    fv_image_free(&im);
    remove(path);
}

Test(png, rgb16_and_gray16)
{
    char path[256];
    tmp_path(path, sizeof path, "rgb16.png");
    enum { W = 3, H = 2 };
    unsigned char d[H][W * 6];
    unsigned v16[H][W][3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                /* Low bytes differ from high bytes so stripping to 8 bits would show. */
                unsigned v = (unsigned)(0x1234 + 0x2F01 * x + 0x0A37 * y + 0x5003 * c) & 0xFFFF;
                v16[y][x][c] = v;
                d[y][6 * x + 2 * c] = (unsigned char)(v >> 8);
                d[y][6 * x + 2 * c + 1] = (unsigned char)(v & 0xFF);
            }
    struct raw_png r = {W, H, PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE, &d[0][0], W * 6, NULL, 0, NULL, 0};
    cr_assert_eq(write_raw_png(path, &r), 0);
    fv_image im;
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                cr_assert_float_eq(px(&im, c, x, y), v16[y][x][c] / 65535.0f, 1e-6, "(%d,%d,%d)", x, y, c);
    fv_image_free(&im);

    static const unsigned char g16[1][4] = {{0xAB, 0xCD, 0x00, 0x01}};
    struct raw_png r2 = {2, 1, PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE, &g16[0][0], 4, NULL, 0, NULL, 0};
    cr_assert_eq(write_raw_png(path, &r2), 0);
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    cr_assert_float_eq(px(&im, 0, 0, 0), 0xABCD / 65535.0f, 1e-7);
    cr_assert_float_eq(px(&im, 2, 1, 0), 1 / 65535.0f, 1e-9);
    fv_image_free(&im);
    remove(path);
}

Test(png, rgba_interlaced)
{
    char path[256];
    tmp_path(path, sizeof path, "adam7.png");
    enum { W = 11, H = 9 };
    unsigned char d[H][W * 4];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            d[y][4 * x + 0] = (unsigned char)(x * 23 + y);
            d[y][4 * x + 1] = (unsigned char)(y * 27 + x * 3);
            d[y][4 * x + 2] = (unsigned char)((x * y * 7) & 0xFF);
            d[y][4 * x + 3] = (unsigned char)(x * 20);
        }
    struct raw_png r = {W, H, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_ADAM7, &d[0][0], W * 4, NULL, 0, NULL, 0};
    cr_assert_eq(write_raw_png(path, &r), 0);
    fv_image im;
    cr_assert_eq(fv_image_read_png(path, &im), FV_OK, "%s", fv_last_error());
    cr_assert_eq(im.w, W);
    cr_assert_eq(im.h, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) cr_assert_float_eq(px(&im, c, x, y), d[y][4 * x + c] / 255.0f, 1e-6);
    fv_image_free(&im);
    remove(path);
}

/* ---------- PNG errors ---------- */

Test(png, missing_file_is_io)
{
    fv_image im = {5, 5, NULL};
    const char *p = "/tmp/fv_test_io_definitely_missing.png";
    cr_assert_eq(fv_image_read_png(p, &im), FV_ERR_IO);
    cr_assert_not_null(strstr(fv_last_error(), p), "%s", fv_last_error());
    cr_assert_not_null(strstr(fv_last_error(), "cannot open"), "%s", fv_last_error());
    cr_assert_null(im.rgb);
    cr_assert_eq(im.w, 0);
}

Test(png, text_file_is_format)
{
    char path[256];
    tmp_path(path, sizeof path, "notpng.png");
    const char *txt = "this is not a picture\nat all\n";
    write_bytes(path, txt, strlen(txt));
    fv_image im;
    cr_assert_eq(fv_image_read_png(path, &im), FV_ERR_FORMAT);
    cr_assert_not_null(strstr(fv_last_error(), "not a PNG file"), "%s", fv_last_error());
    cr_assert_not_null(strstr(fv_last_error(), path));
    write_bytes(path, "", 0); /* empty file: also not a PNG */
    cr_assert_eq(fv_image_read_png(path, &im), FV_ERR_FORMAT);
    cr_assert_null(im.rgb);
    remove(path);
}

Test(png, truncated_is_format)
{
    size_t n;
    unsigned char *b = read_bytes(CAT_PNG, &n);
    cr_assert_gt(n, 1000);
    char path[256];
    tmp_path(path, sizeof path, "trunc.png");
    write_bytes(path, b, 1000);
    fv_image im;
    cr_assert_eq(fv_image_read_png(path, &im), FV_ERR_FORMAT);
    cr_assert_not_null(strstr(fv_last_error(), path), "%s", fv_last_error());
    cr_assert_not_null(strstr(fv_last_error(), "corrupt PNG"), "%s", fv_last_error());
    cr_assert_null(im.rgb);

    /* A flipped byte inside IDAT fails its CRC. */
    b[n / 2] ^= 0x55;
    write_bytes(path, b, n);
    cr_assert_eq(fv_image_read_png(path, &im), FV_ERR_FORMAT, "%s", fv_last_error());
    /* Cut just before IEND: the image decodes but the file is incomplete. */
    b[n / 2] ^= 0x55;
    write_bytes(path, b, n - 12);
    cr_assert_eq(fv_image_read_png(path, &im), FV_ERR_FORMAT);
    free(b);
    remove(path);
}

Test(png, write_failure_is_io_and_leaves_no_temp)
{
    fv_image im;
    cr_assert_eq(fv_image_alloc(&im, 2, 2), FV_OK);
    /* Target is a directory: the temp file is written, the rename fails, the temp must go. */
    char dir[256], tmp[300];
    tmp_path(dir, sizeof dir, "dir.png");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(fv_image_write_png(dir, &im, NULL, NULL, 0), FV_ERR_IO);
    cr_assert_not_null(strstr(fv_last_error(), dir), "%s", fv_last_error());
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dir, (long)getpid());
    cr_assert(!file_exists(tmp), "temp file %s left behind", tmp);
    rmdir(dir);
    /* Missing directory: the temp file cannot even be created. */
    cr_assert_eq(fv_image_write_png("/tmp/fv_no_such_dir_xyz/a.png", &im, NULL, NULL, 0), FV_ERR_IO);
    cr_assert_not_null(strstr(fv_last_error(), "/tmp/fv_no_such_dir_xyz/a.png"));
    fv_image_free(&im);
}

/* ---------- resize ---------- */

Test(resize, constant_stays_constant)
{
    fv_image a, b;
    cr_assert_eq(fv_image_alloc(&a, 10, 8), FV_OK);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 80; i++) a.rgb[c * 80 + i] = 0.3f + 0.2f * c;
    const int sizes[][2] = {{23, 5}, {3, 17}, {1, 1}, {224, 224}};
    for (size_t s = 0; s < 4; s++) {
        cr_assert_eq(fv_image_resize(&a, sizes[s][0], sizes[s][1], &b), FV_OK);
        cr_assert_eq(b.w, sizes[s][0]);
        cr_assert_eq(b.h, sizes[s][1]);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < b.w * b.h; i++)
                cr_assert_float_eq(b.rgb[c * b.w * b.h + i], 0.3f + 0.2f * c, 1e-6);
        fv_image_free(&b);
    }
    fv_image_free(&a);
}

Test(resize, same_size_is_identity)
{
    fv_image a, b;
    cr_assert_eq(fv_image_alloc(&a, 9, 7), FV_OK);
    for (int i = 0; i < 3 * 63; i++) a.rgb[i] = (float)((i * 7919) % 101) / 100.0f;
    cr_assert_eq(fv_image_resize(&a, 9, 7, &b), FV_OK);
    cr_assert_eq(memcmp(a.rgb, b.rgb, 3 * 63 * sizeof(float)), 0);
    /* In place (dst == src) replaces the buffer. */
    cr_assert_eq(fv_image_resize(&b, 4, 3, &b), FV_OK);
    cr_assert_eq(b.w, 4);
    fv_image_free(&a);
    fv_image_free(&b);
}

Test(resize, half_pixel_centres)
{
    /* Reference: cv2.resize(..., interpolation=INTER_LINEAR) and tf.image.resize(method='bilinear')
     * give [0, .25, .75, 1] for [0, 1] stretched to 4, and [.5, 2.5] for [0, 1, 2, 3] shrunk to 2. */
    fv_image a, b;
    cr_assert_eq(fv_image_alloc(&a, 2, 1), FV_OK);
    a.rgb[0] = 0.0f;
    a.rgb[1] = 1.0f;
    cr_assert_eq(fv_image_resize(&a, 4, 1, &b), FV_OK);
    const float up[4] = {0.0f, 0.25f, 0.75f, 1.0f};
    for (int x = 0; x < 4; x++) cr_assert_float_eq(b.rgb[x], up[x], 1e-6, "x=%d: %g", x, b.rgb[x]);
    fv_image_free(&a);
    fv_image_free(&b);

    cr_assert_eq(fv_image_alloc(&a, 1, 4), FV_OK); /* along y this time */
    for (int y = 0; y < 4; y++) a.rgb[4 + y] = (float)y;
    cr_assert_eq(fv_image_resize(&a, 1, 2, &b), FV_OK);
    cr_assert_float_eq(b.rgb[2 + 0], 0.5f, 1e-6);
    cr_assert_float_eq(b.rgb[2 + 1], 2.5f, 1e-6);
    fv_image_free(&a);
    fv_image_free(&b);

    cr_assert_eq(fv_image_alloc(&a, 0, 3), FV_ERR_ARG);
}

/* ---------- npy ---------- */

static size_t npy_header_len(const unsigned char *b) { return b[8] | (size_t)b[9] << 8; }

Test(npy, roundtrip_1d)
{
    char path[256];
    tmp_path(path, sizeof path, "a1.npy");
    const float d[5] = {1.5f, -2.0f, 0.0f, 3.25e-7f, 1e30f};
    const int64_t shape[1] = {5};
    cr_assert_eq(fv_npy_write(path, d, shape, 1), FV_OK, "%s", fv_last_error());
    size_t n;
    unsigned char *b = read_bytes(path, &n);
    cr_assert_eq(memcmp(b, "\x93NUMPY\x01\x00", 8), 0);
    size_t hl = npy_header_len(b);
    cr_assert_eq((10 + hl) % 64, 0, "header length %zu", hl);
    cr_assert_eq(b[10 + hl - 1], '\n');
    const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }";
    cr_assert_eq(memcmp(b + 10, want, strlen(want)), 0, "%.*s", (int)hl, (const char *)b + 10);
    for (size_t i = 10 + strlen(want); i < 10 + hl - 1; i++) cr_assert_eq(b[i], ' ');
    cr_assert_eq(n, 10 + hl + 5 * 4);
    /* Little-endian IEEE: 1.5f is 0x3FC00000. */
    cr_assert_eq(memcmp(b + 10 + hl, "\x00\x00\xC0\x3F", 4), 0);
    free(b);

    float *out;
    int64_t sh[4];
    int nd;
    cr_assert_eq(fv_npy_read(path, &out, sh, &nd, 4), FV_OK, "%s", fv_last_error());
    cr_assert_eq(nd, 1);
    cr_assert_eq(sh[0], 5);
    cr_assert_eq(memcmp(out, d, sizeof d), 0);
    free(out);

    /* Scalars: shape "()". */
    cr_assert_eq(fv_npy_write(path, d, NULL, 0), FV_OK);
    cr_assert_eq(fv_npy_read(path, &out, sh, &nd, 4), FV_OK, "%s", fv_last_error());
    cr_assert_eq(nd, 0);
    cr_assert_eq(out[0], 1.5f);
    free(out);
    remove(path);
}

Test(npy, roundtrip_4d)
{
    char path[256];
    tmp_path(path, sizeof path, "a4.npy");
    const int64_t shape[4] = {1, 64, 56, 56};
    size_t count = 64 * 56 * 56; /* > one conversion chunk */
    float *d = malloc(count * sizeof *d);
    cr_assert_not_null(d);
    for (size_t i = 0; i < count; i++) d[i] = (float)i * 0.25f - 3.0f;
    cr_assert_eq(fv_npy_write(path, d, shape, 4), FV_OK, "%s", fv_last_error());
    size_t n;
    unsigned char *b = read_bytes(path, &n);
    size_t hl = npy_header_len(b);
    cr_assert_eq((10 + hl) % 64, 0);
    const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 64, 56, 56), }";
    cr_assert_eq(memcmp(b + 10, want, strlen(want)), 0);
    cr_assert_eq(n, 10 + hl + count * 4);
    free(b);
    float *out;
    int64_t sh[4];
    int nd;
    cr_assert_eq(fv_npy_read(path, &out, sh, &nd, 4), FV_OK, "%s", fv_last_error());
    cr_assert_eq(nd, 4);
    for (int i = 0; i < 4; i++) cr_assert_eq(sh[i], shape[i]);
    cr_assert_eq(memcmp(out, d, count * sizeof *d), 0);
    free(out);
    /* Too many dimensions for the caller. */
    cr_assert_eq(fv_npy_read(path, &out, sh, &nd, 3), FV_ERR_SHAPE);
    cr_assert_null(out);
    free(d);
    remove(path);
}

/* Build a .npy by hand the way numpy.lib.format does: preamble, dict, spaces, '\n' to a 64 multiple. */
static void write_npy_raw(const char *path, int major, const char *dict, const void *data, size_t nbytes,
                          const char *magic)
{
    size_t pre = major == 1 ? 10 : 12;
    size_t dl = strlen(dict);
    size_t hl = dl + 1;
    hl += (64 - (pre + hl) % 64) % 64;
    unsigned char *b = calloc(1, pre + hl + nbytes);
    cr_assert_not_null(b);
    memcpy(b, magic ? magic : "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    for (size_t i = 0; i < pre - 8; i++) b[8 + i] = (unsigned char)(hl >> (8 * i));
    memcpy(b + pre, dict, dl);
    memset(b + pre + dl, ' ', hl - dl - 1);
    b[pre + hl - 1] = '\n';
    if (nbytes) memcpy(b + pre + hl, data, nbytes);
    write_bytes(path, b, pre + hl + nbytes);
    free(b);
}

Test(npy, reads_numpy_layouts)
{
    char path[256];
    tmp_path(path, sizeof path, "np.npy");
    float *out;
    int64_t sh[4];
    int nd;
    /* Exactly what numpy 1.x np.save(np.arange(6, dtype='<f4').reshape(2, 3)) writes (v1.0). */
    float f[6];
    unsigned char fb[24];
    for (int i = 0; i < 6; i++) {
        f[i] = (float)i;
        uint32_t u;
        memcpy(&u, &f[i], 4);
        for (int k = 0; k < 4; k++) fb[4 * i + k] = (unsigned char)(u >> (8 * k));
    }
    write_npy_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", fb, 24, NULL);
    cr_assert_eq(fv_npy_read(path, &out, sh, &nd, 4), FV_OK, "%s", fv_last_error());
    cr_assert_eq(nd, 2);
    cr_assert_eq(sh[0], 2);
    cr_assert_eq(sh[1], 3);
    for (int i = 0; i < 6; i++) cr_assert_eq(out[i], f[i]);
    free(out);

    /* Version 2.0 (4-byte length), float64, another key order and Python 2 long literals. */
    const double dd[3] = {0.1, -1e300, 2.5};
    unsigned char db[24];
    for (int i = 0; i < 3; i++) {
        uint64_t u;
        memcpy(&u, &dd[i], 8);
        for (int k = 0; k < 8; k++) db[8 * i + k] = (unsigned char)(u >> (8 * k));
    }
    write_npy_raw(path, 2, "{\"shape\": (3L,),\"descr\":'<f8' , 'fortran_order' : False}", db, 24, NULL);
    cr_assert_eq(fv_npy_read(path, &out, sh, &nd, 4), FV_OK, "%s", fv_last_error());
    cr_assert_eq(nd, 1);
    cr_assert_eq(sh[0], 3);
    cr_assert_eq(out[0], 0.1f);
    cr_assert(isinf(out[1]) && out[1] < 0);
    cr_assert_eq(out[2], 2.5f);
    free(out);

    /* Empty array. */
    write_npy_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", NULL, 0, NULL);
    cr_assert_eq(fv_npy_read(path, &out, sh, &nd, 4), FV_OK, "%s", fv_last_error());
    cr_assert_eq(sh[0], 0);
    free(out);
    remove(path);
}

static void expect_bad_npy(const char *path, fv_status want, const char *needle)
{
    float *out = (float *)1;
    int64_t sh[4];
    int nd;
    cr_assert_eq(fv_npy_read(path, &out, sh, &nd, 4), want, "%s", fv_last_error());
    cr_assert_null(out);
    cr_assert_not_null(strstr(fv_last_error(), path), "%s", fv_last_error());
    cr_assert_not_null(strstr(fv_last_error(), needle), "want '%s' in: %s", needle, fv_last_error());
}

Test(npy, bad_files)
{
    char path[256];
    tmp_path(path, sizeof path, "bad.npy");
    unsigned char zero[64] = {0};
    write_npy_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", zero, 8, "\x93NUMPX");
    expect_bad_npy(path, FV_ERR_FORMAT, "bad magic");
    write_npy_raw(path, 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", zero, 8, NULL);
    expect_bad_npy(path, FV_ERR_FORMAT, "'<i4'");
    write_npy_raw(path, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", zero, 8, NULL);
    expect_bad_npy(path, FV_ERR_FORMAT, "'>f4'");
    write_npy_raw(path, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", zero, 24, NULL);
    expect_bad_npy(path, FV_ERR_FORMAT, "Fortran");
    write_npy_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", zero, 20, NULL);
    expect_bad_npy(path, FV_ERR_FORMAT, "truncated");
    write_npy_raw(path, 1, "{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3), }", zero, 24, NULL);
    expect_bad_npy(path, FV_ERR_FORMAT, "bad .npy header");
    write_npy_raw(path, 1, "{'descr': '<f4', 'shape': (2,), }", zero, 8, NULL);
    expect_bad_npy(path, FV_ERR_FORMAT, "lacks");
    write_npy_raw(path, 3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", zero, 8, NULL);
    expect_bad_npy(path, FV_ERR_FORMAT, "version 3.0");
    write_npy_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }", zero, 4, NULL);
    expect_bad_npy(path, FV_ERR_SHAPE, "5 dimensions");
    write_bytes(path, "\x93NUM", 4);
    expect_bad_npy(path, FV_ERR_FORMAT, "bad magic");
    remove(path);
    expect_bad_npy(path, FV_ERR_IO, "cannot open");
}

/* ---------- interoperability with numpy itself (skipped where numpy is absent) ---------- */

static int have_numpy(void) { return system("python3 -c 'import numpy' >/dev/null 2>&1") == 0; }

Test(npy, numpy_interop)
{
    if (!have_numpy()) cr_skip_test("numpy is not importable by python3");
    char ours[256], theirs[256], cmd[1024];
    tmp_path(ours, sizeof ours, "ours.npy");
    tmp_path(theirs, sizeof theirs, "theirs.npy");
    /* numpy reads what we write. */
    float d[2 * 3 * 4];
    for (int i = 0; i < 24; i++) d[i] = i * 0.5f - 1.0f;
    const int64_t shape[3] = {2, 3, 4};
    cr_assert_eq(fv_npy_write(ours, d, shape, 3), FV_OK);
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import numpy as np; a = np.load('%s'); "
             "assert a.dtype == np.float32 and a.shape == (2, 3, 4), (a.dtype, a.shape); "
             "assert (a.ravel() == np.arange(24, dtype=np.float32) * 0.5 - 1).all()\"",
             ours);
    cr_assert_eq(system(cmd), 0, "numpy could not read %s", ours);
    /* We read what numpy writes, float32 and float64. */
    const char *dtypes[2] = {"float32", "float64"};
    for (int k = 0; k < 2; k++) {
        snprintf(cmd, sizeof cmd,
                 "python3 -c \"import numpy as np; "
                 "np.save('%s', (np.arange(60).reshape(3, 4, 5) / 8 - 2).astype(np.%s))\"",
                 theirs, dtypes[k]);
        cr_assert_eq(system(cmd), 0);
        float *out;
        int64_t sh[4];
        int nd;
        cr_assert_eq(fv_npy_read(theirs, &out, sh, &nd, 4), FV_OK, "%s", fv_last_error());
        cr_assert_eq(nd, 3);
        cr_assert(sh[0] == 3 && sh[1] == 4 && sh[2] == 5);
        for (int i = 0; i < 60; i++) cr_assert_eq(out[i], i / 8.0f - 2.0f);
        free(out);
    }
    remove(ours);
    remove(theirs);
}

/* ---------- limits before allocation: small files that declare huge sizes ---------- */

static uint32_t png_crc(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i));
}

/* A valid 1x1 RGB PNG (about 70 bytes) into *n bytes. */
static unsigned char *tiny_png(size_t *n)
{
    char path[256];
    tmp_path(path, sizeof path, "tiny.png");
    const unsigned char rgb[3] = {10, 20, 30};
    struct raw_png r = {.w = 1, .h = 1, .ctype = PNG_COLOR_TYPE_RGB, .depth = 8, .data = rgb, .rowbytes = 3};
    cr_assert_eq(write_raw_png(path, &r), 0);
    unsigned char *b = read_bytes(path, n);
    remove(path);
    return b;
}

static void expect_bad_image(const char *path, fv_status (*read)(const char *, fv_image *), const char *needle)
{
    fv_image im = {1, 1, (float *)1};
    cr_assert_eq(read(path, &im), FV_ERR_FORMAT, "%s", fv_last_error());
    cr_assert(im.rgb == NULL && im.w == 0 && im.h == 0);
    cr_assert(strstr(fv_last_error(), path), "%s", fv_last_error());
    cr_assert(strstr(fv_last_error(), needle), "want '%s' in: %s", needle, fv_last_error());
}

/* IHDR says w x h; the file is still the 1x1 one's 70 bytes. */
Test(limits, png_header_larger_than_the_file_or_the_cap)
{
    size_t n;
    unsigned char *b = tiny_png(&n);
    char path[256];
    tmp_path(path, sizeof path, "claims.png");
    const uint32_t sizes[2][2] = {{4000, 4000}, {20000, 20000}};
    const char *want[2] = {"PNG header (IHDR) declares 4000x4000 pixels, more than the file can hold",
                           "PNG header (IHDR) declares 20000x20000 pixels; images of 1 to 32768 pixels a side and at "
                           "most 64 megapixels are read"};
    for (int k = 0; k < 2; k++) {
        put_be32(b + 16, sizes[k][0]);
        put_be32(b + 20, sizes[k][1]);
        put_be32(b + 29, png_crc(b + 12, 17));
        write_bytes(path, b, n);
        expect_bad_image(path, fv_image_read_png, want[k]);
        expect_bad_image(path, fv_image_read, want[k]);
    }
    free(b);
    remove(path);
}

/* A text chunk whose header claims 1.5 GB: libpng would allocate that before reading a byte of it. */
Test(limits, png_chunk_longer_than_the_file)
{
    size_t n;
    unsigned char *b = tiny_png(&n);
    unsigned char *c = malloc(n + 16);
    cr_assert_not_null(c);
    memcpy(c, b, 33); /* signature and IHDR */
    memcpy(c + 33, "\x5e\x00\x00\x1c" "tEXt" "featvis:", 16);
    memcpy(c + 49, b + 33, n - 33);
    char path[256];
    tmp_path(path, sizeof path, "longchunk.png");
    write_bytes(path, c, n + 16);
    expect_bad_image(path, fv_image_read_png, "chunk 'tEXt' at byte 33 declares 1577058332 bytes of data, more than the");
    char text[64];
    cr_assert_eq(fv_image_read_png_text(path, "featvis:objective", text, sizeof text), FV_ERR_FORMAT);
    free(b);
    free(c);
    remove(path);
}

/* An 8x8 greyscale JPEG written with libjpeg, into *n bytes. */
static unsigned char *tiny_jpeg(size_t *n)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr err;
    ci.err = jpeg_std_error(&err);
    jpeg_create_compress(&ci);
    unsigned char *out = NULL, row[8] = {0, 30, 60, 90, 120, 150, 180, 210};
    unsigned long len = 0;
    jpeg_mem_dest(&ci, &out, &len);
    ci.image_width = ci.image_height = 8, ci.input_components = 1, ci.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&ci);
    jpeg_start_compress(&ci, TRUE);
    for (int y = 0; y < 8; y++) {
        JSAMPROW r = row;
        jpeg_write_scanlines(&ci, &r, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    *n = len;
    return out;
}

/* The frame header (SOF0) says w x h; the file is the 8x8 one's few hundred bytes. */
Test(limits, jpeg_frame_larger_than_the_file_or_the_cap)
{
    size_t n, sof = 0;
    unsigned char *b = tiny_jpeg(&n);
    for (size_t i = 2; i + 9 < n && !sof; i++)
        if (b[i] == 0xFF && b[i + 1] == 0xC0) sof = i;
    cr_assert(sof, "no SOF0 marker");
    char path[256];
    tmp_path(path, sizeof path, "claims.jpg");
    const unsigned sizes[2] = {8000, 20000};
    const char *want[2] = {"JPEG frame header (SOF) declares 8000x8000 pixels, more than the file can hold",
                           "declares 20000x20000 pixels; images of 1 to 32768 pixels a side and at most 64 megapixels"};
    for (int k = 0; k < 2; k++) {
        b[sof + 5] = b[sof + 7] = (unsigned char)(sizes[k] >> 8);
        b[sof + 6] = b[sof + 8] = (unsigned char)sizes[k];
        write_bytes(path, b, n);
        expect_bad_image(path, fv_image_read_jpeg, want[k]);
        expect_bad_image(path, fv_image_read, want[k]);
    }
    free(b);
    remove(path);
}

/* The shape's product is checked against size_t and against the file before any allocation; a pipe (unknown
 * size) is read in growing pieces, so 40 bytes claiming a billion floats never reserve 4 GB. */
Test(limits, npy_shape_overflow_truncation_and_pipes)
{
    char path[256];
    tmp_path(path, sizeof path, "claims.npy");
    unsigned char zero[40] = {0};
    write_npy_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", zero, 8, NULL);
    expect_bad_npy(path, FV_ERR_FORMAT, "'shape' (4611686018427387904, 4) holds more values than memory can");
    write_npy_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }", zero, 8, NULL);
    expect_bad_npy(path, FV_ERR_FORMAT, "truncated .npy data: 'shape' (1000000000,) needs 4000000000 bytes, 8 present");
    remove(path);
    cr_assert_eq(mkfifo(path, 0600), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) { /* the writer: the header and 40 bytes, then the end of the stream */
        alarm(20);
        write_npy_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }", zero, 40, NULL);
        _exit(0);
    }
    long before = fv_test_vm_peak_kb();
    expect_bad_npy(path, FV_ERR_FORMAT, "truncated .npy data");
    long grown = fv_test_vm_peak_kb() - before;
    cr_assert_lt(grown, 1L << 20, "reading 40 bytes from a pipe raised the peak of virtual memory by %ld kB", grown);
    int status;
    waitpid(child, &status, 0);
    remove(path);
}
