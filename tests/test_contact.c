/* Contact sheets: the grid geometry, each image in its cell, captions drawn (dark pixels under a cell),
 * empty cells grey, and a clear error for a path that cannot be written. */
#include <criterion/criterion.h>
#include <string.h>

#include "app/contact.h"
#include "io/image.h"
#include "testutil.h"

static void solid(fv_image *img, int w, int h, float r, float g, float b)
{
    cr_assert_eq(fv_image_alloc(img, w, h), FV_OK);
    for (int i = 0; i < w * h; i++) img->rgb[i] = r, img->rgb[w * h + i] = g, img->rgb[2 * w * h + i] = b;
}

static void pixel(const fv_image *s, int x, int y, float rgb[3])
{
    for (int c = 0; c < 3; c++) rgb[c] = s->rgb[(c * s->h + y) * s->w + x];
}

Test(contact, grid_images_and_captions)
{
    fv_image a, b, c;
    solid(&a, 32, 32, 1, 0, 0);
    solid(&b, 64, 48, 0, 0.5f, 1);
    solid(&c, 16, 16, 0, 1, 0);
    fv_sheet_cell cells[4] = {{&a, "red"}, {&b, "blue-ish, wider than tall"}, {NULL, "empty"}, {&c, NULL}};
    const char *path = fv_test_tmp("contact.png");
    cr_assert_eq(fv_contact_sheet_write(path, "A title", 3, cells, 4, 64), FV_OK, "%s", fv_last_error());
    fv_image s;
    cr_assert_eq(fv_image_read_png(path, &s), FV_OK, "%s", fv_last_error());
    /* layout: PAD 8, CAPTION 30, TITLE 34 (contact.c): 3 columns, 2 rows of 64 px cells */
    cr_assert_eq(s.w, 8 + 3 * (64 + 8));
    cr_assert_eq(s.h, 34 + 2 * (64 + 30 + 8) + 8);
    float p[3];
    pixel(&s, 8 + 32, 34 + 32, p); /* centre of cell 0 */
    cr_assert(p[0] > 0.95f && p[1] < 0.05f && p[2] < 0.05f, "cell 0: %g %g %g", p[0], p[1], p[2]);
    pixel(&s, 8 + 72 + 32, 34 + 32, p); /* cell 1, scaled into the square */
    cr_assert(p[0] < 0.05f && p[1] > 0.45f && p[1] < 0.55f && p[2] > 0.95f, "cell 1: %g %g %g", p[0], p[1], p[2]);
    pixel(&s, 8 + 144 + 32, 34 + 32, p); /* empty cell: light grey */
    cr_assert(p[0] > 0.85f && p[0] < 0.97f && p[0] == p[1], "empty cell: %g %g %g", p[0], p[1], p[2]);
    pixel(&s, 8 + 32, 34 + 102 + 32, p); /* cell 3 (second row): green */
    cr_assert(p[1] > 0.95f && p[0] < 0.05f, "cell 3: %g %g %g", p[0], p[1], p[2]);
    int dark = 0; /* the caption under cell 0 */
    for (int y = 34 + 64; y < 34 + 64 + 30; y++)
        for (int x = 8; x < 8 + 64; x++) {
            pixel(&s, x, y, p);
            dark += p[0] < 0.5f;
        }
    cr_assert(dark > 10, "no caption drawn under cell 0 (%d dark pixels)", dark);
    fv_image_free(&s);
    cr_assert_eq(fv_contact_sheet_write("/nonexistent-dir/x.png", "t", 1, cells, 1, 32), FV_ERR_IO);
    cr_assert(strstr(fv_last_error(), "/nonexistent-dir/x.png"), "%s", fv_last_error());
    fv_image_free(&a), fv_image_free(&b), fv_image_free(&c);
}
