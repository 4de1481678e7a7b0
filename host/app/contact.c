/* Contact sheets with cairo: images are copied into cairo surfaces, scaled into their cells, captioned
 * in a sans font (two lines at most, the second ellipsised); the sheet comes back as an fv_image (8-bit
 * values, so fv_image_write_png writes them back exactly) or is written by fv_image_write_png. */
#define _POSIX_C_SOURCE 200809L
#include "contact.h"

#include <cairo.h>
#include <stdio.h>
#include <string.h>

#include "io/image.h"

enum { PAD = 8, CAPTION = 30, TITLE = 34 };

static cairo_surface_t *to_surface(const fv_image *img)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, img->w, img->h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return s;
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    const int stride = cairo_image_surface_get_stride(s), hw = img->w * img->h;
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++) {
            unsigned px = 0;
            for (int c = 0; c < 3; c++) {
                float v = img->rgb[c * hw + y * img->w + x];
                int b = v <= 0 ? 0 : v >= 1 ? 255 : (int)(v * 255 + 0.5f);
                px |= (unsigned)b << (16 - 8 * c);
            }
            memcpy(data + (size_t)y * stride + 4 * x, &px, 4);
        }
    cairo_surface_mark_dirty(s);
    return s;
}

/* Caption text in up to two lines of the cell width; the rest is cut with "...". */
static void caption(cairo_t *cr, const char *text, double x, double y, double width)
{
    char line[256];
    const char *p = text;
    for (int ln = 0; ln < 2 && *p; ln++) {
        size_t k = strlen(p);
        if (k > sizeof line - 4) k = sizeof line - 4; /* room for "..." and the NUL */
        cairo_text_extents_t ext;
        for (;; k--) {
            size_t len = k;
            memcpy(line, p, k);
            if (ln == 1 && k < strlen(p)) memcpy(line + len, "...", 3), len += 3;
            line[len] = 0;
            cairo_text_extents(cr, line, &ext);
            if (ext.x_advance <= width || k <= 1) break;
        }
        cairo_move_to(cr, x, y + 12 * (ln + 1));
        cairo_show_text(cr, line);
        p += k;
    }
}

/* The sheet's RGB24 pixels into a planar float image. */
static fv_status from_surface(cairo_surface_t *s, fv_image *out)
{
    cairo_surface_flush(s);
    const int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    FV_TRY(fv_image_alloc(out, w, h));
    const unsigned char *data = cairo_image_surface_get_data(s);
    const int stride = cairo_image_surface_get_stride(s);
    const size_t hw = (size_t)w * h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned px;
            memcpy(&px, data + (size_t)y * stride + 4 * x, 4);
            for (int c = 0; c < 3; c++)
                out->rgb[c * hw + (size_t)y * w + x] = (float)((px >> (16 - 8 * c)) & 255u) / 255.0f;
        }
    return FV_OK;
}

fv_status fv_contact_sheet_render(const char *title, int cols, const fv_sheet_cell *cells, int n, int cell_px,
                                  fv_image *out)
{
    *out = (fv_image){0, 0, NULL};
    if (cols < 1 || n < 1 || cell_px < 8) return fv_fail(FV_ERR_ARG, "contact sheet needs cells");
    const int rows = (n + cols - 1) / cols;
    const int W = PAD + cols * (cell_px + PAD), H = TITLE + rows * (cell_px + CAPTION + PAD) + PAD;
    cairo_surface_t *sheet = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(sheet);
    fv_status st = FV_OK;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 15);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_move_to(cr, PAD, 22);
    cairo_show_text(cr, title ? title : "");
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 10.5);
    for (int i = 0; i < n; i++) {
        const double x = PAD + (i % cols) * (cell_px + PAD), y = TITLE + (i / cols) * (cell_px + CAPTION + PAD);
        if (cells[i].img && cells[i].img->rgb) {
            cairo_surface_t *s = to_surface(cells[i].img);
            if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
                st = fv_fail(FV_ERR_NOMEM, "contact sheet: cannot make an image surface for cell %d", i);
                cairo_surface_destroy(s);
                break;
            }
            cairo_save(cr);
            cairo_rectangle(cr, x, y, cell_px, cell_px); /* padded edges, clipped to the cell: no fade */
            cairo_clip(cr);
            cairo_translate(cr, x, y);
            cairo_scale(cr, (double)cell_px / cells[i].img->w, (double)cell_px / cells[i].img->h);
            cairo_set_source_surface(cr, s, 0, 0);
            cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
            cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
            cairo_paint(cr);
            cairo_restore(cr);
            cairo_surface_destroy(s);
        } else {
            cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
            cairo_rectangle(cr, x, y, cell_px, cell_px);
            cairo_fill(cr);
        }
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        if (cells[i].label) caption(cr, cells[i].label, x, y + cell_px, cell_px);
    }
    cairo_destroy(cr);
    if (st == FV_OK) st = from_surface(sheet, out);
    cairo_surface_destroy(sheet);
    return st;
}

fv_status fv_contact_sheet_write(const char *path, const char *title, int cols, const fv_sheet_cell *cells, int n,
                                 int cell_px)
{
    fv_image img;
    fv_status st = fv_contact_sheet_render(title, cols, cells, n, cell_px, &img);
    if (st != FV_OK) return st;
    st = fv_image_write_png(path, &img, NULL, NULL, 0);
    fv_image_free(&img);
    return st;
}
