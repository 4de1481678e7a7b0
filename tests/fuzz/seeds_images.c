/* Image seeds: PNGs of every colour type and bit depth PNG allows (greyscale 1-16 bits, palette 1-8 bits,
 * with and without alpha or tRNS, interlaced, text chunks before and after the image data, gAMA/sRGB) written
 * with libpng, and JPEGs (greyscale, YCbCr at 4:2:0 and 4:4:4, progressive, restart markers, optimised and
 * arithmetic coding, CMYK and YCCK with Adobe markers) written with libjpeg. All a few pixels wide. */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "seeds.h"

/* ---------- PNG ---------- */

typedef struct png_spec {
    const char *name;
    int w, h, ctype, depth;
    int interlace, trns, text_after, colour_info;
} png_spec;

static int png_channels(int ctype)
{
    switch (ctype) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;
    }
}

static void png_extras(png_structp png, png_infop info, const png_spec *s)
{
    if (s->ctype == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        int n = 1 << s->depth;
        for (int i = 0; i < n; i++) pal[i] = (png_color){(png_byte)(i * 37), (png_byte)(255 - i), (png_byte)(i * 5)};
        png_set_PLTE(png, info, pal, n);
        png_byte alpha[4] = {0, 128, 255, 64};
        if (s->trns) png_set_tRNS(png, info, alpha, n < 4 ? n : 4, NULL);
    } else if (s->trns) {
        png_color_16 key = {0, 1, 2, 3, 1};
        png_set_tRNS(png, info, NULL, 0, &key);
    }
    if (s->colour_info) {
        png_set_gAMA(png, info, 0.45455);
        png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
    }
}

static void png_texts(png_structp png, png_infop info)
{
    png_text t[3];
    memset(t, 0, sizeof t);
    t[0] = (png_text){.compression = PNG_TEXT_COMPRESSION_NONE, .key = "featvis:objective", .text = "mixed4a:97"};
    t[1] = (png_text){.compression = PNG_TEXT_COMPRESSION_zTXt, .key = "featvis:settings", .text = "param=fft lr=0.05"};
    t[2] = (png_text){.compression = PNG_ITXT_COMPRESSION_NONE, .key = "Software", .text = "featvis-cuda",
                      .lang = "en", .lang_key = "Software"};
    png_set_text(png, info, t, 3);
}

static void write_png(const char *dir, const png_spec *s)
{
    FILE *f = fopen(seed_path(dir, s->name), "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!f || !info || setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "make_fuzz_seeds: cannot write %s/%s\n", dir, s->name);
        exit(1);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->depth, s->ctype,
                 s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_extras(png, info, s);
    if (!s->text_after) png_texts(png, info);
    png_write_info(png, info);
    size_t rowbytes = ((size_t)s->w * png_channels(s->ctype) * s->depth + 7) / 8;
    png_bytep *rows = malloc(sizeof *rows * (size_t)s->h);
    png_bytep pix = malloc(rowbytes * (size_t)s->h);
    if (!rows || !pix) exit(1);
    for (size_t i = 0; i < rowbytes * (size_t)s->h; i++) pix[i] = (png_byte)(i * 29 + 7);
    for (int y = 0; y < s->h; y++) rows[y] = pix + (size_t)y * rowbytes;
    png_write_image(png, rows);
    if (s->text_after) png_texts(png, info);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    free(rows);
    free(pix);
}

void seeds_png(const char *dir)
{
    enum { G = PNG_COLOR_TYPE_GRAY, GA = PNG_COLOR_TYPE_GRAY_ALPHA, RGB = PNG_COLOR_TYPE_RGB,
           RGBA = PNG_COLOR_TYPE_RGB_ALPHA, PAL = PNG_COLOR_TYPE_PALETTE };
    static const png_spec specs[] = {
        {"gray1.png", 5, 3, G, 1, 0, 0, 0, 0},          {"gray2.png", 5, 3, G, 2, 0, 0, 0, 0},
        {"gray4.png", 5, 3, G, 4, 0, 0, 0, 0},          {"gray8_trns.png", 5, 3, G, 8, 0, 1, 0, 0},
        {"gray16.png", 5, 3, G, 16, 0, 0, 1, 0},        {"gray_alpha8.png", 5, 3, GA, 8, 0, 0, 0, 0},
        {"gray_alpha16.png", 4, 2, GA, 16, 1, 0, 0, 0}, {"rgb8.png", 5, 3, RGB, 8, 0, 0, 0, 1},
        {"rgb16_trns.png", 5, 3, RGB, 16, 0, 1, 0, 0},  {"rgb8_adam7.png", 9, 7, RGB, 8, 1, 0, 1, 0},
        {"rgba8.png", 5, 3, RGBA, 8, 0, 0, 0, 0},       {"rgba16.png", 3, 3, RGBA, 16, 0, 0, 0, 0},
        {"pal1.png", 9, 2, PAL, 1, 0, 0, 0, 0},         {"pal2_adam7.png", 6, 6, PAL, 2, 1, 1, 0, 0},
        {"pal4_trns.png", 5, 3, PAL, 4, 0, 1, 0, 0},    {"pal8.png", 5, 3, PAL, 8, 0, 0, 1, 1},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) write_png(dir, &specs[i]);
}

/* ---------- JPEG ---------- */

typedef struct jpeg_spec {
    const char *name;
    int w, h;
    J_COLOR_SPACE in, out; /* input samples, file colour space */
    int progressive, restart, optimize, arith, h_samp;
} jpeg_spec;

typedef struct jpeg_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jb;
} jpeg_err;

static void jpeg_fail(j_common_ptr ci)
{
    longjmp(((jpeg_err *)ci->err)->jb, 1);
}

/* Returns 0, or -1 where this libjpeg cannot write the variant (arithmetic coding is a build option). */
static int encode_jpeg(const jpeg_spec *s, struct jpeg_compress_struct *ci, unsigned char **out,
                       unsigned long *len, unsigned char *row)
{
    jpeg_err *e = (jpeg_err *)ci->err;
    if (setjmp(e->jb)) return -1;
    jpeg_create_compress(ci);
    jpeg_mem_dest(ci, out, len);
    ci->image_width = (JDIMENSION)s->w, ci->image_height = (JDIMENSION)s->h;
    ci->input_components = s->in == JCS_GRAYSCALE ? 1 : s->in == JCS_CMYK ? 4 : 3;
    ci->in_color_space = s->in;
    jpeg_set_defaults(ci);
    jpeg_set_colorspace(ci, s->out);
    jpeg_set_quality(ci, 80, TRUE);
    if (s->progressive) jpeg_simple_progression(ci);
    ci->restart_interval = (unsigned)s->restart;
    ci->optimize_coding = s->optimize ? TRUE : FALSE;
    ci->arith_code = s->arith ? TRUE : FALSE;
    if (s->h_samp && ci->num_components >= 3) ci->comp_info[0].h_samp_factor = ci->comp_info[0].v_samp_factor = s->h_samp;
    jpeg_start_compress(ci, TRUE);
    const int nc = ci->input_components;
    while (ci->next_scanline < ci->image_height) {
        for (int x = 0; x < s->w * nc; x++) row[x] = (unsigned char)(x * 19 + ci->next_scanline * 31);
        JSAMPROW r[1] = {row};
        jpeg_write_scanlines(ci, r, 1);
    }
    jpeg_finish_compress(ci);
    return 0;
}

static void write_jpeg(const char *dir, const jpeg_spec *s)
{
    struct jpeg_compress_struct ci;
    jpeg_err e;
    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&e.mgr);
    e.mgr.error_exit = jpeg_fail;
    unsigned char *out = NULL, *row = malloc((size_t)s->w * 4);
    unsigned long len = 0;
    if (!row) exit(1);
    if (encode_jpeg(s, &ci, &out, &len, row) == 0) seed_write(dir, s->name, out, len);
    else fprintf(stderr, "make_fuzz_seeds: this libjpeg cannot write %s; skipped\n", s->name);
    jpeg_destroy_compress(&ci);
    free(out);
    free(row);
}

void seeds_jpeg(const char *dir)
{
    static const jpeg_spec specs[] = {
        {"gray.jpg", 8, 8, JCS_GRAYSCALE, JCS_GRAYSCALE, 0, 0, 0, 0, 0},
        {"ycbcr420.jpg", 16, 16, JCS_RGB, JCS_YCbCr, 0, 0, 0, 0, 0},
        {"ycbcr444_restart_opt.jpg", 17, 9, JCS_RGB, JCS_YCbCr, 0, 1, 1, 0, 1},
        {"progressive.jpg", 13, 11, JCS_RGB, JCS_YCbCr, 1, 0, 0, 0, 0},
        {"arith.jpg", 9, 9, JCS_RGB, JCS_YCbCr, 0, 0, 0, 1, 0},
        {"rgb.jpg", 8, 8, JCS_RGB, JCS_RGB, 0, 0, 0, 0, 1},
        {"cmyk.jpg", 8, 8, JCS_CMYK, JCS_CMYK, 0, 0, 0, 0, 1},
        {"ycck_progressive.jpg", 8, 8, JCS_CMYK, JCS_YCCK, 1, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) write_jpeg(dir, &specs[i]);
}
