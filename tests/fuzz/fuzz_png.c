/* Fuzz target: a PNG file, read as every command reads images (fv_image_read: signature sniffing, then libpng
 * through fv_image_read_png into planar float RGB) and as provenance is read back (fv_image_read_png_text). */
#include "fuzz.h"
#include "io/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(0, data, size);
    fv_image img = {0, 0, NULL};
    if (fv_image_read(path, &img) == FV_OK) {
        FUZZ_CHECK(img.w > 0 && img.h > 0 && img.rgb, "accepted an image of %dx%d", img.w, img.h);
        size_t n = (size_t)3 * img.w * img.h;
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(img.rgb[i] >= 0.0f && img.rgb[i] <= 1.0f, "pixel value %g outside [0, 1]", img.rgb[i]);
    } else {
        FUZZ_CHECK(!img.rgb && !img.w && !img.h, "a failed read returned an image");
    }
    fv_image_free(&img);
    char text[256];
    fv_image_read_png_text(path, "featvis:objective", text, sizeof text);
    return 0;
}
