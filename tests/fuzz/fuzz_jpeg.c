/* Fuzz target: a JPEG file through libjpeg (fv_image_read_jpeg: baseline, progressive, greyscale, YCbCr, RGB,
 * CMYK/YCCK; a truncated file is an error) into planar float RGB. */
#include "fuzz.h"
#include "io/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fv_image img = {0, 0, NULL};
    fuzz_check_image(fv_image_read_jpeg(fuzz_file(0, data, size), &img), &img);
    return 0;
}
