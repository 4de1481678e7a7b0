/* Float pixels to the 8-bit pixels every PNG we write stores (featvis.h fv_image_to_rgb8): one conversion for
 * the PNG writer (image.c) and for callers that need the same bytes without a file (the Python package). */
#include "image.h"

static unsigned char quantise(float v)
{
    /* The comparisons are arranged so NaN lands on 0 rather than in undefined conversion. */
    if (!(v > 0.0f)) return 0;
    if (v >= 1.0f) return 255;
    return (unsigned char)(v * 255.0f + 0.5f);
}

void fv_image_rgb8_row(const fv_image *img, int y, unsigned char *row)
{
    const size_t plane = (size_t)img->w * img->h;
    const float *s = img->rgb + (size_t)y * img->w;
    for (int x = 0; x < img->w; x++)
        for (int c = 0; c < 3; c++) row[3 * x + c] = quantise(s[c * plane + x]);
}

void fv_image_to_rgb8(const fv_image *img, uint8_t *rgb8)
{
    for (int y = 0; y < img->h; y++) fv_image_rgb8_row(img, y, rgb8 + (size_t)3 * img->w * y);
}
