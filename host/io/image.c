/* fv_image I/O with libpng (read any PNG into planar float RGB, write 8-bit RGB with tEXt chunks,
 * atomically), plus allocation and bilinear resize. libpng reports errors by longjmp: each setjmp
 * lives in a small helper whose resources sit in a context struct owned by the caller's frame, so
 * nothing freed afterwards is an indeterminate local of the function that called setjmp. */
#define _POSIX_C_SOURCE 200809L

#include "image.h"

#include <ctype.h>
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "core/fsutil.h"

/* libpng's cap on the memory of one ancillary chunk (text, ICC profile), compressed or decompressed: without
 * it libpng allocates whatever length a chunk header claims before reading a byte of it. */
#define FV_PNG_CHUNK_MAX (8u << 20)
/* Ancillary chunks kept (text, sPLT, unknown): a file of many tiny chunks cannot grow the decoder's lists. */
#define FV_PNG_CHUNK_CACHE 1000
/* Deflate expands at most 1032:1, so a PNG of n bytes holds at most 1032 n bytes of pixel data. */
#define FV_DEFLATE_MAX_RATIO 1032u

fv_status fv_image_check_declared(const char *path, const char *what, uint64_t w, uint64_t h,
                                  uint64_t file_max_pixels)
{
    if (w == 0 || h == 0 || w > FV_IMAGE_MAX_DIM || h > FV_IMAGE_MAX_DIM || w * h > FV_IMAGE_MAX_PIXELS)
        return fv_fail(FV_ERR_FORMAT, "%s: %s declares %llux%llu pixels; images of 1 to %d pixels a side and at "
                       "most %llu megapixels are read", path, what, (unsigned long long)w, (unsigned long long)h,
                       FV_IMAGE_MAX_DIM, (unsigned long long)(FV_IMAGE_MAX_PIXELS >> 20));
    if (w * h > file_max_pixels)
        return fv_fail(FV_ERR_FORMAT, "%s: %s declares %llux%llu pixels, more than the file can hold (truncated or "
                       "corrupt)", path, what, (unsigned long long)w, (unsigned long long)h);
    return FV_OK;
}

uint64_t fv_image_file_bytes(FILE *f)
{
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0) return UINT64_MAX;
    return (uint64_t)sb.st_size;
}

void fv_image_free(fv_image *img)
{
    if (!img) return;
    free(img->rgb);
    img->rgb = NULL;
    img->w = img->h = 0;
}

fv_status fv_image_alloc(fv_image *img, int w, int h)
{
    if (!img) return fv_fail(FV_ERR_ARG, "fv_image_alloc: NULL image");
    img->w = img->h = 0;
    img->rgb = NULL;
    if (w <= 0 || h <= 0 || w > FV_IMAGE_MAX_DIM || h > FV_IMAGE_MAX_DIM)
        return fv_fail(FV_ERR_ARG, "image size %dx%d out of range (1..%d)", w, h, FV_IMAGE_MAX_DIM);
    float *p = calloc((size_t)3 * w * h, sizeof *p);
    if (!p) return fv_fail(FV_ERR_NOMEM, "cannot allocate a %dx%d image", w, h);
    img->w = w;
    img->h = h;
    img->rgb = p;
    return FV_OK;
}

/* ---------- resize ---------- */

struct tap {
    int i0, i1;
    float f; /* weight of i1 */
};

/* Half-pixel centres: destination pixel i samples source coordinate (i + 0.5) * src/dst - 0.5,
 * clamped to the edge, which is what OpenCV and TF (half_pixel_centers) do. An equal size maps every
 * pixel onto itself with weight 0, so resizing to the same size is an exact copy. */
static void bilinear_taps(int src, int dst, struct tap *t)
{
    double scale = (double)src / dst;
    for (int i = 0; i < dst; i++) {
        double s = (i + 0.5) * scale - 0.5;
        if (s < 0) s = 0;
        int i0 = (int)s; /* floor: s >= 0 */
        if (i0 >= src - 1) {
            t[i].i0 = t[i].i1 = src - 1;
            t[i].f = 0.0f;
        } else {
            t[i].i0 = i0;
            t[i].i1 = i0 + 1;
            t[i].f = (float)(s - i0);
        }
    }
}

fv_status fv_image_resize(const fv_image *src, int w, int h, fv_image *dst)
{
    if (!src || !dst || !src->rgb || src->w <= 0 || src->h <= 0)
        return fv_fail(FV_ERR_ARG, "fv_image_resize: empty source image");
    fv_image out;
    FV_TRY(fv_image_alloc(&out, w, h));
    struct tap *tx = malloc((size_t)w * sizeof *tx);
    struct tap *ty = malloc((size_t)h * sizeof *ty);
    if (!tx || !ty) {
        free(tx);
        free(ty);
        fv_image_free(&out);
        return fv_fail(FV_ERR_NOMEM, "cannot allocate resize tables for %dx%d", w, h);
    }
    bilinear_taps(src->w, w, tx);
    bilinear_taps(src->h, h, ty);
    for (int c = 0; c < 3; c++) {
        const float *sp = src->rgb + (size_t)c * src->h * src->w;
        float *dp = out.rgb + (size_t)c * h * w;
        for (int y = 0; y < h; y++) {
            const float *r0 = sp + (size_t)ty[y].i0 * src->w;
            const float *r1 = sp + (size_t)ty[y].i1 * src->w;
            float fy = ty[y].f;
            for (int x = 0; x < w; x++) {
                float a = r0[tx[x].i0], b = r0[tx[x].i1];
                float cc = r1[tx[x].i0], d = r1[tx[x].i1];
                float top = a + (b - a) * tx[x].f;
                float bot = cc + (d - cc) * tx[x].f;
                dp[(size_t)y * w + x] = top + (bot - top) * fy;
            }
        }
    }
    free(tx);
    free(ty);
    if (dst == src) fv_image_free(dst);
    *dst = out;
    return FV_OK;
}

/* ---------- reading ---------- */

struct png_rd {
    const char *path;
    FILE *fp;
    png_structp png;
    png_infop info;
    int io_errno; /* set when the OS failed the read, so the error is FV_ERR_IO, not corrupt data */
    fv_status st; /* status of a failure recorded inside the decoder */
    unsigned char *pix;
    png_bytep *rows;
    float *rgb;
    int w, h;
};

static void rd_error(png_structp png, png_const_charp msg)
{
    struct png_rd *r = png_get_error_ptr(png);
    if (r->io_errno)
        r->st = fv_fail(FV_ERR_IO, "%s: cannot read: %s", r->path, strerror(r->io_errno));
    else
        r->st = fv_fail(FV_ERR_FORMAT, "%s: corrupt PNG: %s", r->path, msg);
    png_longjmp(png, 1);
}

/* Library code never prints, and warnings (bad ancillary CRC, odd sRGB profile) do not stop a
 * decode, so they are dropped rather than recorded over a message nobody will ask for. */
static void quiet_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Own read callback so a short read says "unexpected end of file" and an OS error keeps its errno. */
static void rd_data(png_structp png, png_bytep data, size_t n)
{
    struct png_rd *r = png_get_io_ptr(png);
    if (fread(data, 1, n, r->fp) != n) {
        if (ferror(r->fp)) {
            r->io_errno = errno ? errno : EIO;
            png_error(png, "read error");
        }
        png_error(png, "unexpected end of file");
    }
}

/* Every chunk's declared length against the bytes left in the file, before libpng sees it: libpng allocates
 * an ancillary chunk's whole length (text, sPLT, eXIf) before reading it, and over its chunk limit it only warns.
 * Streams of unknown size (pipes) are left to libpng's limits. Leaves fp just past the signature. */
static fv_status png_check_chunks(const char *path, FILE *fp)
{
    uint64_t size = fv_image_file_bytes(fp), pos = 8;
    while (size != UINT64_MAX && pos + 8 <= size) {
        unsigned char h[8];
        if (fseek(fp, (long)pos, SEEK_SET) != 0 || fread(h, 1, 8, fp) != 8) break;
        uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        char type[5] = {0};
        for (int i = 0; i < 4; i++) type[i] = isalpha(h[4 + i]) ? (char)h[4 + i] : '?';
        if ((uint64_t)len + 12 > size - pos)
            return fv_fail(FV_ERR_FORMAT, "%s: corrupt PNG: chunk '%s' at byte %llu declares %lu bytes of data, more "
                           "than the %llu bytes left in the file", path, type, (unsigned long long)pos,
                           (unsigned long)len, (unsigned long long)(size - pos));
        if (!memcmp(h + 4, "IEND", 4)) break;
        pos += (uint64_t)len + 12;
    }
    if (fseek(fp, 8, SEEK_SET) != 0) return fv_fail(FV_ERR_IO, "%s: cannot seek: %s", path, strerror(errno));
    return FV_OK;
}

static fv_status rd_open(struct png_rd *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->fp = fopen(path, "rb");
    if (!r->fp) return fv_fail(FV_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char sig[8];
    size_t got = fread(sig, 1, sizeof sig, r->fp);
    if (got < sizeof sig && ferror(r->fp))
        return fv_fail(FV_ERR_IO, "%s: cannot read: %s", path, strerror(errno ? errno : EIO));
    if (got < sizeof sig || png_sig_cmp(sig, 0, sizeof sig) != 0)
        return fv_fail(FV_ERR_FORMAT, "%s: not a PNG file", path);
    FV_TRY(png_check_chunks(path, r->fp));
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, rd_error, quiet_warning);
    if (!r->png) return fv_fail(FV_ERR_NOMEM, "%s: cannot create a PNG decoder", path);
    r->info = png_create_info_struct(r->png);
    if (!r->info) return fv_fail(FV_ERR_NOMEM, "%s: cannot create a PNG decoder", path);
    png_set_read_fn(r->png, r, rd_data);
    png_set_sig_bytes(r->png, sizeof sig);
    png_set_user_limits(r->png, FV_IMAGE_MAX_DIM, FV_IMAGE_MAX_DIM);
    png_set_chunk_malloc_max(r->png, FV_PNG_CHUNK_MAX);
    png_set_chunk_cache_max(r->png, FV_PNG_CHUNK_CACHE);
    return FV_OK;
}

static void rd_close(struct png_rd *r)
{
    if (r->png) png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, NULL);
    if (r->fp) fclose(r->fp);
    free(r->rows);
    free(r->pix);
    free(r->rgb);
    memset(r, 0, sizeof *r);
}

/* The image IHDR declares, before anything is allocated for it: within the limits, and no more pixel data than
 * the file can inflate to. Returns 0, or -1 with r->st recorded. */
static int rd_check_size(struct png_rd *r, png_uint_32 w, png_uint_32 h, int depth)
{
    uint64_t bytes = fv_image_file_bytes(r->fp), bits_per_pixel = (uint64_t)png_get_channels(r->png, r->info) * depth;
    uint64_t max_pixels = UINT64_MAX;
    if (bytes != UINT64_MAX && bits_per_pixel) max_pixels = bytes * FV_DEFLATE_MAX_RATIO * 8 / bits_per_pixel;
    r->st = fv_image_check_declared(r->path, "PNG header (IHDR)", w, h, max_pixels);
    return r->st == FV_OK ? 0 : -1;
}

/* Decode the whole file, ending with png_read_end so text chunks after IDAT are collected and a
 * file cut short after the image data is still reported. With want_pixels the image lands in r->rgb;
 * without, rows stream through one buffer (text lookup). Returns 0, or -1 with r->st recorded. */
static int rd_decode(struct png_rd *r, int want_pixels)
{
    if (setjmp(png_jmpbuf(r->png))) return -1;
    png_structp png = r->png;
    png_read_info(png, r->info);
    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(png, r->info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    if (rd_check_size(r, w, h, depth) != 0) return -1;
    /* Palette -> RGB, gray below 8 bits -> 8 bits, tRNS -> alpha; then gray -> RGB. */
    png_set_expand(png);
    png_set_gray_to_rgb(png);
    /* Alpha is dropped, not composited over a background: the models take opaque RGB and a
     * feature-visualization input has no meaningful backdrop, so the stored colour is kept as is.
     * Likewise gAMA/iCCP are ignored: samples are taken as sRGB-encoded, as preprocessing expects. */
    png_set_strip_alpha(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, r->info);
    size_t rowbytes = png_get_rowbytes(png, r->info);
    int ch = png_get_channels(png, r->info);
    int bd = png_get_bit_depth(png, r->info);
    if ((ch != 3 && ch != 4) || (bd != 8 && bd != 16) || rowbytes < (size_t)w * ch * (bd / 8))
        png_error(png, "unexpected pixel layout after expansion");

    if (!want_pixels) {
        r->pix = malloc(rowbytes);
        if (!r->pix) {
            r->st = fv_fail(FV_ERR_NOMEM, "%s: cannot allocate a PNG row", r->path);
            return -1;
        }
        for (int p = 0; p < passes; p++)
            for (png_uint_32 y = 0; y < h; y++) png_read_row(png, r->pix, NULL);
        png_read_end(png, r->info);
        return 0;
    }

    r->pix = malloc(rowbytes * h);
    r->rows = malloc(h * sizeof *r->rows);
    r->rgb = malloc((size_t)3 * w * h * sizeof *r->rgb);
    if (!r->pix || !r->rows || !r->rgb) {
        r->st = fv_fail(FV_ERR_NOMEM, "%s: cannot allocate a %ux%u image", r->path, (unsigned)w, (unsigned)h);
        return -1;
    }
    for (png_uint_32 y = 0; y < h; y++) r->rows[y] = r->pix + y * rowbytes;
    png_read_image(png, r->rows);
    png_read_end(png, r->info);

    size_t plane = (size_t)w * h;
    for (png_uint_32 y = 0; y < h; y++) {
        const unsigned char *s = r->rows[y];
        float *d = r->rgb + (size_t)y * w;
        for (png_uint_32 x = 0; x < w; x++) {
            for (int c = 0; c < 3; c++) {
                float v;
                if (bd == 8) {
                    v = s[x * ch + c] / 255.0f;
                } else {
                    const unsigned char *q = s + 2 * ((size_t)x * ch + c); /* PNG is big-endian */
                    v = (float)((q[0] << 8) | q[1]) / 65535.0f;
                }
                d[c * plane + x] = v;
            }
        }
    }
    r->w = (int)w;
    r->h = (int)h;
    return 0;
}

fv_status fv_image_read_png(const char *path, fv_image *out)
{
    if (!path || !out) return fv_fail(FV_ERR_ARG, "fv_image_read_png: NULL argument");
    out->w = out->h = 0;
    out->rgb = NULL;
    struct png_rd r;
    fv_status st = rd_open(&r, path);
    if (st == FV_OK && rd_decode(&r, 1) != 0) st = r.st;
    if (st == FV_OK) {
        out->w = r.w;
        out->h = r.h;
        out->rgb = r.rgb;
        r.rgb = NULL;
    }
    rd_close(&r);
    return st;
}

fv_status fv_image_read_png_text(const char *path, const char *key, char *buf, size_t n)
{
    if (!path || !key || !buf || n == 0) return fv_fail(FV_ERR_ARG, "fv_image_read_png_text: bad argument");
    buf[0] = '\0';
    struct png_rd r;
    fv_status st = rd_open(&r, path);
    if (st == FV_OK && rd_decode(&r, 0) != 0) st = r.st;
    if (st == FV_OK) {
        png_textp text = NULL;
        int nt = png_get_text(r.png, r.info, &text, NULL);
        int found = 0;
        for (int i = 0; i < nt && !found; i++) {
            if (strcmp(text[i].key, key) != 0) continue;
            const char *v = text[i].text ? text[i].text : "";
            size_t len = strlen(v);
            if (len > n - 1) len = n - 1;
            memcpy(buf, v, len);
            buf[len] = '\0';
            found = 1;
        }
        if (!found) st = fv_fail(FV_ERR_ARG, "%s: no PNG text chunk with key '%s'", path, key);
    }
    rd_close(&r);
    return st;
}

/* ---------- writing ---------- */

struct png_wr {
    const char *path;
    FILE *fp;
    png_structp png;
    png_infop info;
    int io_errno;
};

static void wr_error(png_structp png, png_const_charp msg)
{
    struct png_wr *w = png_get_error_ptr(png);
    if (w->io_errno)
        fv_fail(FV_ERR_IO, "%s: cannot write: %s", w->path, strerror(w->io_errno));
    else
        fv_fail(FV_ERR_IO, "%s: cannot write PNG: %s", w->path, msg);
    png_longjmp(png, 1);
}

static void wr_data(png_structp png, png_bytep data, size_t n)
{
    struct png_wr *w = png_get_io_ptr(png);
    if (fwrite(data, 1, n, w->fp) != n) {
        w->io_errno = errno ? errno : EIO;
        png_error(png, "write error");
    }
}

/* The file is flushed and fsync'd once, after the last chunk. */
static void wr_flush(png_structp png) { (void)png; }

/* Returns 0, or -1 with the message recorded by wr_error. */
static int wr_encode(struct png_wr *w, const fv_image *img, png_textp text, int nkv, unsigned char *row)
{
    if (setjmp(png_jmpbuf(w->png))) return -1;
    png_set_IHDR(w->png, w->info, (png_uint_32)img->w, (png_uint_32)img->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (nkv > 0) png_set_text(w->png, w->info, text, nkv);
    png_write_info(w->png, w->info);
    for (int y = 0; y < img->h; y++) {
        fv_image_rgb8_row(img, y, row);
        png_write_row(w->png, row);
    }
    png_write_end(w->png, w->info);
    return 0;
}

/* libpng would silently trim, collapse or truncate a bad keyword (with only a warning), so the
 * PNG spec's rules are checked here: 1-79 Latin-1 printable bytes, no leading, trailing or double
 * spaces. */
static int valid_keyword(const char *k)
{
    size_t n = strlen(k);
    if (n < 1 || n > 79 || k[0] == ' ' || k[n - 1] == ' ') return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        if (!((c >= 32 && c <= 126) || c >= 161)) return 0;
        if (c == ' ' && k[i + 1] == ' ') return 0;
    }
    return 1;
}

fv_status fv_image_write_png(const char *path, const fv_image *img, const char *const *keys,
                             const char *const *values, int nkv)
{
    if (!path || !img || !img->rgb) return fv_fail(FV_ERR_ARG, "fv_image_write_png: NULL argument");
    if (img->w <= 0 || img->h <= 0 || img->w > FV_IMAGE_MAX_DIM || img->h > FV_IMAGE_MAX_DIM)
        return fv_fail(FV_ERR_ARG, "%s: image size %dx%d out of range", path, img->w, img->h);
    if (nkv < 0 || (nkv > 0 && (!keys || !values)))
        return fv_fail(FV_ERR_ARG, "%s: bad PNG text arguments", path);
    for (int i = 0; i < nkv; i++) {
        if (!keys[i] || !values[i] || !valid_keyword(keys[i]))
            return fv_fail(FV_ERR_ARG, "%s: invalid PNG text key '%s' (1-79 printable Latin-1 bytes)", path,
                           keys[i] ? keys[i] : "(null)");
    }

    fv_status st = FV_OK;
    struct png_wr w = {.path = path};
    fv_atomic_file af = {0};
    unsigned char *row = malloc((size_t)3 * img->w);
    png_textp text = calloc(nkv > 0 ? (size_t)nkv : 1, sizeof *text);
    if (!row || !text) {
        st = fv_fail(FV_ERR_NOMEM, "%s: cannot allocate PNG write buffers", path);
        goto done;
    }
    for (int i = 0; i < nkv; i++) {
        /* libpng copies keys and values in png_set_text and never writes through these pointers. */
        text[i].compression = PNG_TEXT_COMPRESSION_NONE;
        text[i].key = (png_charp)keys[i];
        text[i].text = (png_charp)values[i];
        text[i].text_length = strlen(values[i]);
    }
    /* Written beside the target and renamed over it (core/fsutil.h). */
    if ((st = fv_atomic_open(&af, path, "wb")) != FV_OK) goto done;
    w.fp = af.f;
    w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, wr_error, quiet_warning);
    if (w.png) w.info = png_create_info_struct(w.png);
    if (!w.png || !w.info) {
        st = fv_fail(FV_ERR_NOMEM, "%s: cannot create a PNG encoder", path);
        goto done;
    }
    png_set_write_fn(w.png, &w, wr_data, wr_flush);
    if (wr_encode(&w, img, text, nkv, row) != 0) {
        st = FV_ERR_IO; /* message recorded by wr_error */
        goto done;
    }
    st = fv_atomic_commit(&af);

done:
    if (w.png) png_destroy_write_struct(&w.png, w.info ? &w.info : NULL);
    if (af.tmp) fv_atomic_abort(&af);
    free(row);
    free(text);
    return st;
}
