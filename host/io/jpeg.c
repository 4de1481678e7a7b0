/* JPEG reading with libjpeg(-turbo) into the planar float RGB fv_image, and fv_image_read, which picks
 * the PNG or JPEG reader by the file's first bytes. libjpeg reports fatal errors through error_exit,
 * which must not return: it longjmps back into a small helper whose state lives in the caller's struct. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h> /* after jpeglib.h: the message codes (JWRN_JPEG_EOF) */

#include "image.h"

/* A Huffman-coded JPEG spends at least one bit per 8x8 block of the first scan, and a block of a component
 * subsampled 4x4 covers 1024 pixels; so a file of n bytes cannot encode more than 8192 n pixels. Arithmetic coding
 * could go below that only for images of one flat colour, which are refused rather than allocated for. */
#define FV_JPEG_MAX_PIXELS_PER_BYTE 8192u

struct jpg_rd {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    jmp_buf jb;
    const char *path;
    FILE *fp;
    int created;   /* cinfo needs jpeg_destroy_decompress */
    int truncated; /* libjpeg met the end of the file inside the image data */
    fv_status st;  /* of a failure inside jpg_decode */
    unsigned char *row;
    fv_image img;
};

static void jpg_error_exit(j_common_ptr ci)
{
    struct jpg_rd *r = (struct jpg_rd *)ci->client_data;
    char msg[JMSG_LENGTH_MAX];
    ci->err->format_message(ci, msg);
    r->st = fv_fail(FV_ERR_FORMAT, "%s: corrupt JPEG: %s", r->path, msg);
    longjmp(r->jb, 1);
}

/* Library code never prints. A premature end of data is only a warning to libjpeg (it pads the rest
 * with grey), but for us a half-grey photo is a corrupt file, so those warnings are remembered: the end of
 * the file, or (Huffman coding) a marker where image data should be, as when a cut file was given its end
 * marker back or a small image's header was edited to claim a larger one. Arithmetic coding pads without a
 * warning, so there only the image-size limits apply (image.h). */
static void jpg_emit_message(j_common_ptr ci, int level)
{
    struct jpg_rd *r = (struct jpg_rd *)ci->client_data;
    if (level < 0 && (ci->err->msg_code == JWRN_JPEG_EOF || ci->err->msg_code == JWRN_HIT_MARKER)) r->truncated = 1;
}

static void jpg_output_message(j_common_ptr ci) { (void)ci; }

/* The decode itself, the only frame that calls setjmp; 0 on success, else the message is recorded. */
static int jpg_decode(struct jpg_rd *r)
{
    if (setjmp(r->jb)) return -1;
    jpeg_create_decompress(&r->cinfo);
    r->created = 1;
    jpeg_stdio_src(&r->cinfo, r->fp);
    jpeg_read_header(&r->cinfo, TRUE);
    /* libjpeg converts greyscale and YCbCr to RGB itself, but not CMYK/YCCK: take those as CMYK. */
    int cmyk = r->cinfo.jpeg_color_space == JCS_CMYK || r->cinfo.jpeg_color_space == JCS_YCCK;
    r->cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_calc_output_dimensions(&r->cinfo);
    /* The declared size is checked before libjpeg (jpeg_start_decompress) or we allocate anything for it. */
    uint64_t bytes = fv_image_file_bytes(r->fp);
    if ((r->st = fv_image_check_declared(r->path, "JPEG frame header (SOF)", r->cinfo.output_width,
                                         r->cinfo.output_height, bytes == UINT64_MAX ? UINT64_MAX
                                         : bytes * FV_JPEG_MAX_PIXELS_PER_BYTE)) != FV_OK)
        return -1;
    if ((r->st = fv_image_alloc(&r->img, (int)r->cinfo.output_width, (int)r->cinfo.output_height)) != FV_OK) {
        fv_fail_ctx(r->st, "%s", r->path);
        return -1;
    }
    const int w = r->img.w, h = r->img.h, nc = r->cinfo.output_components;
    if (!(r->row = malloc((size_t)w * (size_t)nc))) {
        r->st = fv_fail(FV_ERR_NOMEM, "%s: out of memory", r->path);
        return -1;
    }
    jpeg_start_decompress(&r->cinfo);
    /* Adobe writes CMYK inverted (255 = no ink); that is what nearly every CMYK JPEG holds. */
    const int inverted = cmyk && r->cinfo.saw_Adobe_marker;
    const size_t plane = (size_t)w * h;
    while (r->cinfo.output_scanline < r->cinfo.output_height) {
        int y = (int)r->cinfo.output_scanline;
        JSAMPROW rows[1] = {r->row};
        if (jpeg_read_scanlines(&r->cinfo, rows, 1) != 1) break;
        for (int x = 0; x < w; x++) {
            const unsigned char *p = r->row + (size_t)x * nc;
            float v[3];
            if (cmyk) {
                float k = inverted ? p[3] / 255.0f : 1.0f - p[3] / 255.0f;
                for (int c = 0; c < 3; c++) v[c] = (inverted ? p[c] / 255.0f : 1.0f - p[c] / 255.0f) * k;
            } else {
                for (int c = 0; c < 3; c++) v[c] = p[c] / 255.0f;
            }
            for (int c = 0; c < 3; c++) r->img.rgb[(size_t)c * plane + (size_t)y * w + x] = v[c];
        }
    }
    if (r->truncated || r->cinfo.output_scanline < r->cinfo.output_height) {
        r->st = fv_fail(FV_ERR_FORMAT, "%s: corrupt JPEG: the image data ends before the image does (a truncated "
                        "file?)", r->path);
        return -1;
    }
    jpeg_finish_decompress(&r->cinfo);
    return 0;
}

fv_status fv_image_read_jpeg(const char *path, fv_image *out)
{
    if (!path || !out) return fv_fail(FV_ERR_ARG, "fv_image_read_jpeg: NULL argument");
    out->w = out->h = 0;
    out->rgb = NULL;
    struct jpg_rd *r = calloc(1, sizeof *r); /* on the heap: jmp_buf and cinfo are large */
    if (!r) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
    r->path = path;
    if (!(r->fp = fopen(path, "rb"))) {
        fv_status st = fv_fail(FV_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        free(r);
        return st;
    }
    r->cinfo.err = jpeg_std_error(&r->jerr);
    r->jerr.error_exit = jpg_error_exit;
    r->jerr.emit_message = jpg_emit_message;
    r->jerr.output_message = jpg_output_message;
    r->cinfo.client_data = r;
    fv_status st = FV_OK;
    if (jpg_decode(r) != 0) {
        st = r->st;
        fv_image_free(&r->img);
    }
    if (r->created) jpeg_destroy_decompress(&r->cinfo);
    fclose(r->fp);
    free(r->row);
    *out = r->img;
    free(r);
    return st;
}

fv_status fv_image_read(const char *path, fv_image *out)
{
    if (!path || !out) return fv_fail(FV_ERR_ARG, "fv_image_read: NULL argument");
    out->w = out->h = 0;
    out->rgb = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return fv_fail(FV_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char sig[8] = {0};
    size_t n = fread(sig, 1, sizeof sig, f);
    int err = ferror(f);
    fclose(f);
    if (err) return fv_fail(FV_ERR_IO, "%s: cannot read", path);
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n == 8 && !memcmp(sig, png_sig, 8)) return fv_image_read_png(path, out);
    if (n >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF) return fv_image_read_jpeg(path, out);
    return fv_fail(FV_ERR_FORMAT, "%s: not a PNG or JPEG file", path);
}
