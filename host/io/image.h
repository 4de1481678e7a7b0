/* Internal image helpers beyond the public fv_image API: allocation, bilinear resize and reading a
 * PNG tEXt value back (provenance, tests). The public read/write/free live in featvis.h; all are
 * implemented in image.c. */
#ifndef FV_IMAGE_H
#define FV_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"

/* The largest image a file may declare, checked before anything is allocated for it: 32768 pixels a side and
 * 64 megapixels (768 MiB as planar float RGB). Renders and resizes stay within FV_IMAGE_MAX_DIM too. */
#define FV_IMAGE_MAX_DIM 32768
#define FV_IMAGE_MAX_PIXELS ((uint64_t)1 << 26)

/* FV_OK, or FV_ERR_FORMAT naming the file, the header (`what`) and the declared size when w x h is empty or
 * over the limits above; with file_max_pixels (the most pixels a file of this size can encode; UINT64_MAX:
 * unknown), also when the file is too small to hold the image it declares. */
fv_status fv_image_check_declared(const char *path, const char *what, uint64_t w, uint64_t h,
                                  uint64_t file_max_pixels);

/* Bytes in the open file f, or UINT64_MAX when it is not a regular file (a pipe: its size is unknown). */
uint64_t fv_image_file_bytes(FILE *f);

/* Row y of img as 8-bit interleaved RGB (w*3 bytes), the conversion of fv_image_to_rgb8 (pixels.c): the PNG
 * writer stores these rows. */
void fv_image_rgb8_row(const fv_image *img, int y, unsigned char *row);

/* Allocate a zeroed w x h image into *img (any previous buffer is not freed). On failure *img is
 * left empty ({0, 0, NULL}). */
fv_status fv_image_alloc(fv_image *img, int w, int h);

/* Bilinear resize with half-pixel centres (OpenCV INTER_LINEAR, TF resize_bilinear with
 * align_corners=False / half_pixel_centers=True); no antialiasing when shrinking. *dst receives a
 * newly allocated image; dst may be src, in which case the old buffer is released. */
fv_status fv_image_resize(const fv_image *src, int w, int h, fv_image *dst);

/* Copy the value of the tEXt/zTXt/iTXt chunk named `key` into buf (NUL-terminated, truncated to
 * n-1 bytes). FV_ERR_ARG if the file has no such key. */
fv_status fv_image_read_png_text(const char *path, const char *key, char *buf, size_t n);

/* A baseline or progressive JPEG (greyscale, YCbCr, RGB or CMYK) into planar float RGB (jpeg.c).
 * A truncated file is FV_ERR_FORMAT, not a grey-filled image; other libjpeg warnings are ignored. */
fv_status fv_image_read_jpeg(const char *path, fv_image *out);

/* PNG or JPEG, told apart by the file's signature, not its name (jpeg.c). Anything else is
 * FV_ERR_FORMAT ("not a PNG or JPEG file"); an unreadable file FV_ERR_IO. */
fv_status fv_image_read(const char *path, fv_image *out);

#endif
