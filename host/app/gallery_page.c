/* The gallery's layer pages and their sprite sheets (thumbnails packed GL_GROUP channels to a PNG,
 * shown with CSS background-position, so a 1,000-channel page loads a handful of images), plus the
 * HTML helpers both pages share: escaping, the inline CSS, the self-check script. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "gallery_int.h"
#include "io/image.h"
#include "core/status.h"

/* ---------- HTML helpers ---------- */

void gl_html(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

void gl_url(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
                   c == '_' || c == '~' || c == '-';
        if (keep) fputc(c, f);
        else fprintf(f, "%%%02X", c);
    }
}

int gl_safe_path(const char *s)
{
    if (!s || !*s || s[0] == '/') return 0;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') return 0;
        p += n + (e != NULL);
    }
    return 1;
}

void gl_head(FILE *f, const char *title, int thumb)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
    gl_html(f, title);
    fputs("</title>\n<style>\n"
          "body{font:13px/1.35 system-ui,sans-serif;margin:16px;color:#222;background:#fff}\n"
          "a{color:#06c}\n"
          "table.list{border-collapse:collapse}\n"
          ".list td,.list th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:middle}\n"
          "table.g{border-collapse:separate;border-spacing:2px}\n"
          ".g th{font-weight:normal;color:#666;text-align:right;padding-right:6px}\n"
          ".g thead th{text-align:center}\n"
          ".g th.b{text-align:left;font-weight:bold;color:#222;padding:14px 0 4px}\n",
          f);
    fprintf(f, ".t,.ph{display:block;width:%dpx;height:%dpx;box-sizing:border-box}\n", thumb, thumb);
    fputs(".t{background-repeat:no-repeat;background-position:var(--x) var(--y)}\n"
          ".ph{border:1px dashed #ccc;background:#f7f7f7}\n"
          ".ph.f{border:1px solid #e88;background:#fdecec}\n"
          ".ph.u{border:1px solid #e8c060;background:#fff6dd}\n"
          ".key{font:11px monospace;color:#666}\n"
          "#selfcheck{color:#999;font:11px monospace}\n",
          f);
}

/* On load: every <img> decoded, and every url() of the style sheets (the sprites) loads; the verdict
 * goes into <pre id=selfcheck> for tests/gallery/check_browser.sh. The page needs none of it. */
void gl_selfcheck(FILE *f)
{
    fputs("<pre id=\"selfcheck\">self-check did not run</pre>\n<script>\n"
          "addEventListener('load', function () {\n"
          "  var bad = [], n = 0, seen = {}, left = 1;\n"
          "  function fin() {\n"
          "    if (--left) return;\n"
          "    document.getElementById('selfcheck').textContent =\n"
          "      bad.length ? 'GALLERY-BROKEN ' + bad.join(' ') : 'GALLERY-OK ' + n;\n"
          "  }\n"
          "  [].forEach.call(document.images, function (i) {\n"
          "    if (i.complete && i.naturalWidth > 0) n++; else bad.push(i.src);\n"
          "  });\n"
          "  [].forEach.call(document.styleSheets, function (s) {\n"
          "    [].forEach.call(s.cssRules, function (r) {\n"
          "      var m = r.style && /url\\([\"']?([^\"')]+)/.exec(r.style.backgroundImage);\n"
          "      if (!m || seen[m[1]]) return;\n"
          "      seen[m[1]] = 1;\n"
          "      left++;\n"
          "      var im = new Image();\n"
          "      im.onload = function () { n++; fin(); };\n"
          "      im.onerror = function () { bad.push(im.src); fin(); };\n"
          "      im.src = m[1];\n"
          "    });\n"
          "  });\n"
          "  fin();\n"
          "});\n"
          "</script>\n",
          f);
}

/* ---------- sprite sheets ---------- */

/* The image at out_dir/file shrunk to fit thumb x thumb. Halving first averages 2x2 blocks (a bilinear
 * resize by exactly 1/2 with half-pixel centres does), so a 224 px render does not alias at 96 px. */
static fv_status make_thumb(const gl_gallery *g, const char *file, fv_image *out)
{
    size_t len = strlen(g->out_dir) + strlen(file) + 2;
    char *path = malloc(len);
    if (!path) return fv_fail(FV_ERR_NOMEM, "out of memory");
    snprintf(path, len, "%s/%s", g->out_dir, file);
    fv_status st = fv_image_read_png(path, out);
    free(path);
    if (st != FV_OK) return st;
    int big = out->w > out->h ? out->w : out->h;
    int tw = (int)((long)out->w * g->thumb / big), th = (int)((long)out->h * g->thumb / big);
    if (tw < 1) tw = 1;
    if (th < 1) th = 1;
    while (st == FV_OK && out->w >= 2 * tw && out->h >= 2 * th) st = fv_image_resize(out, out->w / 2, out->h / 2, out);
    if (st == FV_OK && (out->w != tw || out->h != th)) st = fv_image_resize(out, tw, th, out);
    if (st != FV_OK) fv_image_free(out);
    return st;
}

static void paste(fv_image *sheet, const fv_image *im, int x0, int y0)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < im->h; y++)
            memcpy(&sheet->rgb[((size_t)c * sheet->h + (size_t)(y0 + y)) * sheet->w + (size_t)x0],
                   &im->rgb[((size_t)c * im->h + (size_t)y) * im->w], sizeof(float) * (size_t)im->w);
}

/* Sheet k of a layer: rows [k*GL_GROUP, ...), one cell per column, white where no thumbnail.
 * *wrote is set when the sheet had at least one thumbnail and was written. */
static fv_status write_sheet(gl_gallery *g, gl_layer *L, int k, int *wrote)
{
    const int cols = gl_cols(L), T = g->thumb;
    int r0 = k * GL_GROUP, rows = L->nch - r0 < GL_GROUP ? L->nch - r0 : GL_GROUP;
    *wrote = 0;
    int any = 0;
    for (int i = r0 * cols; i < (r0 + rows) * cols && !any; i++) any = L->cell[i] >= 0 && g->recs[L->cell[i]].ok;
    if (!any) return FV_OK;
    fv_image sheet;
    FV_TRY(fv_image_alloc(&sheet, cols * T, rows * T));
    for (size_t i = 0; i < (size_t)3 * sheet.w * sheet.h; i++) sheet.rgb[i] = 1.0f;
    fv_status st = FV_OK;
    for (int r = 0; r < rows && st == FV_OK; r++) {
        for (int c = 0; c < cols && st == FV_OK; c++) {
            int idx = (r0 + r) * cols + c, id = L->cell[idx];
            if (id < 0 || !g->recs[id].ok) continue;
            const gl_rec *rec = &g->recs[id];
            fv_image im = {0, 0, NULL};
            fv_status ts = gl_safe_path(rec->file) ? make_thumb(g, rec->file, &im)
                                                   : fv_fail(FV_ERR_ARG, "path leaves the output folder");
            if (ts == FV_ERR_NOMEM) st = ts; /* out of memory stops the build; a bad file does not */
            if (ts != FV_OK) {
                /* A missing or broken file is one placeholder on the page, not a failed gallery. */
                L->unreadable++;
                gl_log(g, "%s: %s (shown as a placeholder)", rec->file, fv_last_error());
                continue;
            }
            paste(&sheet, &im, c * T + (T - im.w) / 2, r * T + (T - im.h) / 2);
            fv_image_free(&im);
            L->thumb_ok[idx] = 1;
            *wrote = 1;
        }
    }
    if (st == FV_OK && *wrote) {
        size_t len = strlen(g->gdir) + strlen(L->slug) + 40;
        char *path = malloc(len);
        if (!path) st = fv_fail(FV_ERR_NOMEM, "out of memory");
        else {
            snprintf(path, len, "%s/sprites/%s_%d.png", g->gdir, L->slug, k);
            st = fv_image_write_png(path, &sheet, NULL, NULL, 0);
            free(path);
        }
    }
    fv_image_free(&sheet);
    return st;
}

/* ---------- layer page ---------- */

/* Width and height from a PNG's IHDR (bytes 16..23, big-endian), without decoding it; 0 if the file
 * is not a PNG. The page gives every strip its size so rows do not jump while the strips load. */
static int png_size(const char *path, int *w, int *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n != sizeof b || memcmp(b, "\x89PNG\r\n\x1a\n", 8) || memcmp(b + 12, "IHDR", 4)) return 0;
    *w = (int)((unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19]);
    *h = (int)((unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23]);
    return *w > 0 && *h > 0;
}

/* The dataset-examples row of a channel (examples_strip.c wrote OUT/examples/<slug>/c<NNNN>.png), under
 * its row of optimised images as in the article's appendix; nothing when that channel has no strip. */
static void write_examples_row(const gl_gallery *g, FILE *f, const gl_layer *L, int row)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/examples/%s/c%04d.png", g->out_dir, L->slug, row);
    int w, h;
    if (!png_size(path, &w, &h)) return;
    fprintf(f, "<tr id=\"x%d\" class=\"ex\"><th></th><td colspan=\"%d\"><div class=\"exl\">dataset examples: "
               "top / bottom / spectrum</div><div class=\"exs\"><a href=\"../examples/",
            row, gl_cols(L));
    gl_url(f, L->slug);
    fprintf(f, "/c%04d.png\"><img src=\"../examples/", row);
    gl_url(f, L->slug);
    fprintf(f, "/c%04d.png\" width=\"%d\" height=\"%d\" alt=\"dataset examples of channel %d\"></a></div></td></tr>\n", row,
            w, h, row);
}

static void cell_title(FILE *f, const gl_rec *r)
{
    gl_html(f, r->objective);
    if (r->count > 1) fprintf(f, " (%d of %d)", r->index + 1, r->count);
    fputs(" | ", f);
    gl_html(f, r->key);
    if (r->ok && r->first == r->first && r->last == r->last) fprintf(f, " | objective %.4g to %.4g", r->first, r->last);
    if (r->ok && r->seconds == r->seconds) fprintf(f, " in %.1f s", r->seconds);
    if (!r->ok) {
        fputs(" | failed: ", f);
        gl_html(f, r->error ? r->error : "(no error text)");
    }
}

static void write_cell(const gl_gallery *g, FILE *f, const gl_layer *L, int row, int col)
{
    int idx = row * gl_cols(L) + col, id = L->cell[idx];
    const gl_rec *r = id >= 0 ? &g->recs[id] : NULL;
    if (r && L->thumb_ok[idx]) {
        fprintf(f, "<td><a class=\"t s%d k%d\" href=\"../", row / GL_GROUP, col);
        gl_url(f, r->file);
        fputs("\" title=\"", f);
        cell_title(f, r);
        fputs("\"></a></td>", f);
    } else if (r) {
        fprintf(f, "<td><span class=\"ph %s\" title=\"", r->ok ? "u" : "f");
        if (r->ok) fputs("unreadable image | ", f);
        cell_title(f, r);
        fputs("\"></span></td>", f);
    } else {
        fputs("<td><span class=\"ph\"></span></td>", f);
    }
}

static fv_status write_page(gl_gallery *g, gl_layer *L, const char *sheets)
{
    const int cols = gl_cols(L), T = g->thumb, ngroups = (L->nch + GL_GROUP - 1) / GL_GROUP;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.html", g->gdir, L->slug);
    fv_atomic_file af;
    FV_TRY(fv_atomic_open(&af, path, "w"));
    FILE *f = af.f;
    char title[160];
    snprintf(title, sizeof title, "%s - feature visualization gallery", L->name);
    gl_head(f, title, T);
    for (int k = 0; k < ngroups; k++)
        if (sheets[k]) fprintf(f, ".s%d{background-image:url(\"sprites/%s_%d.png\")}\n", k, L->slug, k);
    for (int c = 0; c < cols; c++) fprintf(f, ".k%d{--x:%dpx}\n", c, -c * T);
    fprintf(f, ".exl{color:#666;font-size:11px}\n.exs{max-width:%dpx;overflow-x:auto}\n.exs img{display:block}\n",
            cols * (T + 2));
    /* Every other layer and this layer's branches, one click away. */
    fputs("</style></head><body>\n<p><a href=\"index.html\">All layers</a>", f);
    for (int l = 0; l < g->nlayers; l++) {
        const gl_layer *o = &g->layers[l];
        fputs(" &middot; ", f);
        if (o == L) fputs("<b>", f);
        else fprintf(f, "<a href=\"%s.html\">", o->slug);
        gl_html(f, o->name);
        fputs(o == L ? "</b>" : "</a>", f);
    }
    fputs("</p>\n<h1>", f);
    gl_html(f, L->name);
    fprintf(f, "</h1>\n<p>%d channels: %d of %d images, %d failed", L->nch, L->done, L->nch * cols, L->failed);
    if (L->unreadable) fprintf(f, ", %d unreadable", L->unreadable);
    fputs(". Click an image for the full size.</p>\n", f);
    if (L->nbranch) {
        fputs("<p>Branches:", f);
        for (int b = 0; b < L->nbranch; b++) {
            fprintf(f, " <a href=\"#branch%d\">", b);
            gl_html(f, L->branch[b].name);
            fputs("</a>", f);
        }
        fputs("</p>\n", f);
    }
    fprintf(f, "<table class=\"g\"><thead><tr><th>#</th><th>neuron</th><th>channel</th><th>negative</th>"
               "<th colspan=\"%d\">diversity</th></tr></thead>\n<tbody>\n",
            L->ndiv);
    int b = 0;
    for (int row = 0; row < L->nch; row++) {
        for (; b < L->nbranch && L->branch[b].c0 <= row; b++) {
            fprintf(f, "<tr id=\"branch%d\"><th colspan=\"%d\" class=\"b\">", b, cols + 1);
            gl_html(f, L->branch[b].name);
            fprintf(f, " &middot; channels %d&ndash;%d</th></tr>\n", L->branch[b].c0,
                    L->branch[b].c0 + L->branch[b].c - 1);
        }
        fprintf(f, "<tr id=\"c%d\" style=\"--y:%dpx\"><th>%d</th>", row, -(row % GL_GROUP) * T, row);
        for (int c = 0; c < cols; c++) write_cell(g, f, L, row, c);
        fputs("</tr>\n", f);
        write_examples_row(g, f, L, row);
    }
    fputs("</tbody></table>\n", f);
    gl_selfcheck(f);
    fputs("</body></html>\n", f);
    return fv_atomic_commit(&af);
}

fv_status gl_write_layer(gl_gallery *g, gl_layer *L)
{
    const int cols = gl_cols(L), ngroups = (L->nch + GL_GROUP - 1) / GL_GROUP;
    char *sheets = calloc(ngroups ? (size_t)ngroups : 1, 1);
    if (!sheets) return fv_fail(FV_ERR_NOMEM, "out of memory");
    fv_status st = FV_OK;
    int nsheets = 0;
    for (int k = 0; k < ngroups && st == FV_OK; k++) {
        int wrote;
        st = write_sheet(g, L, k, &wrote);
        sheets[k] = (char)wrote;
        nsheets += wrote;
    }
    for (int i = 0; i < L->nch * cols; i++) {
        if (L->thumb_ok[i]) L->done++;
        else if (L->cell[i] >= 0 && !g->recs[L->cell[i]].ok) L->failed++;
    }
    /* Sheets first: the page that replaces the old one only ever names sheets already in place. */
    if (st == FV_OK) st = write_page(g, L, sheets);
    if (st == FV_OK)
        gl_log(g, "%s.html: %d channels, %d images, %d failed, %d unreadable, %d sprite sheet(s)", L->slug, L->nch,
               L->done, L->failed, L->unreadable, nsheets);
    free(sheets);
    return st;
}
