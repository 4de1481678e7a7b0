/* Fuzz target: a PNG file, read as every command reads images (fv_image_read: signature sniffing, then libpng
 * through fv_image_read_png into planar float RGB) and as provenance is read back (fv_image_read_png_text). */
#include "fuzz.h"
#include "io/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(0, data, size);
    fv_image img = {0, 0, NULL};
    fuzz_check_image(fv_image_read(path, &img), &img);
    char text[256];
    fv_image_read_png_text(path, "featvis:objective", text, sizeof text);
    return 0;
}
