/* Dataset examples, second half (examples.h): per channel, the top and bottom images and the activation
 * spectrum, each cropped to the strongest neuron's receptive field and packed into one strip, plus one
 * index.jsonl line per channel, written after the strips it names. */
#define _POSIX_C_SOURCE 200809L

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "examples_int.h"
#include "io/image.h"

#define EX_CHUNK 64 /* channels whose strips are built at once: bounds memory to 64 strips */

void fv_examples_note(FILE *log, const char *fmt, const char *a, const char *b)
{
    if (!log) return;
    fputs("examples: ", log);
    fprintf(log, fmt, a, b);
    fputc('\n', log);
    fflush(log);
}

static const int spectrum_pct[FV_EXAMPLES_SPECTRUM] = {0, 25, 50, 75, 100};

/* ---------- ranking ---------- */

typedef struct ex_pick {
    int img, y, x, kind, slot; /* kind: 0 top, 1 bottom, 2 spectrum */
    float act;
} ex_pick;

typedef struct ex_pair {
    float v;
    int i;
} ex_pair;

static int cmp_desc(const void *a, const void *b)
{
    const ex_pair *x = a, *y = b;
    if (x->v != y->v) return x->v > y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int cmp_asc(const void *a, const void *b)
{
    const ex_pair *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Channel c's picks into out (at most 2K+5): top K by descending max (ties: earlier name first),
 * bottom K by ascending max among the rest (so the lists never share an image), then the spectrum:
 * the image at rank round(p/100 * (n-1)) of the ascending order for p = 0, 25, 50, 75, 100. */
static int rank_channel(const ex_scan *s, int c, int K, ex_pair *pairs, char *used, ex_pick *out)
{
    const int n = s->n;
    int np = 0;
    if (n <= 0) return 0;
    for (int i = 0; i < n; i++) pairs[i] = (ex_pair){s->maxv[(size_t)i * s->C + c], i};
    memset(used, 0, (size_t)n);
    qsort(pairs, (size_t)n, sizeof *pairs, cmp_desc);
    int ntop = K < n ? K : n;
    for (int k = 0; k < ntop; k++) {
        used[pairs[k].i] = 1;
        out[np++] = (ex_pick){pairs[k].i, 0, 0, 0, k, pairs[k].v};
    }
    qsort(pairs, (size_t)n, sizeof *pairs, cmp_asc);
    for (int k = 0, slot = 0; k < n && slot < K; k++)
        if (!used[pairs[k].i]) out[np++] = (ex_pick){pairs[k].i, 0, 0, 1, slot++, pairs[k].v};
    for (int q = 0; q < FV_EXAMPLES_SPECTRUM; q++) {
        int k = (int)lround(spectrum_pct[q] / 100.0 * (n - 1));
        out[np++] = (ex_pick){pairs[k].i, 0, 0, 2, q, pairs[k].v};
    }
    for (int k = 0; k < np; k++) {
        int pos = s->pos[(size_t)out[k].img * s->C + c];
        out[k].y = pos / s->w;
        out[k].x = pos % s->w;
    }
    return np;
}

/* ---------- strips ---------- */

/* The square an (y, x) neuron sees, side rf in size x size input pixels centred on ((x+0.5)*jump,
 * (y+0.5)*jump), moved (not cut) to lie inside the image so every crop keeps its shape; the whole image
 * when rf >= size. Mapped back to the original file's pixels (the model saw it stretched to size x size),
 * then shrunk like the gallery's thumbnails: halving (a 2x2 mean) first, so large photos do not alias. */
static fv_status crop_thumb(const fv_image *src, int size, int rf, int jump, int y, int x, int T, fv_image *out)
{
    double side = rf < 0 || rf >= size ? size : rf;
    double cx = (x + 0.5) * jump, cy = (y + 0.5) * jump;
    double l = cx - side / 2, t = cy - side / 2;
    l = l < 0 ? 0 : l > size - side ? size - side : l;
    t = t < 0 ? 0 : t > size - side ? size - side : t;
    double sx = (double)src->w / size, sy = (double)src->h / size;
    int x0 = (int)floor(l * sx), y0 = (int)floor(t * sy);
    int cw = (int)lround(side * sx), ch = (int)lround(side * sy);
    if (cw < 1) cw = 1;
    if (ch < 1) ch = 1;
    if (x0 + cw > src->w) x0 = src->w - cw;
    if (y0 + ch > src->h) y0 = src->h - ch;
    FV_TRY(fv_image_alloc(out, cw, ch));
    for (int c = 0; c < 3; c++)
        for (int r = 0; r < ch; r++)
            memcpy(&out->rgb[((size_t)c * ch + r) * cw], &src->rgb[((size_t)c * src->h + y0 + r) * src->w + x0],
                   sizeof(float) * (size_t)cw);
    fv_status st = FV_OK;
    while (st == FV_OK && out->w >= 2 * T && out->h >= 2 * T) st = fv_image_resize(out, out->w / 2, out->h / 2, out);
    if (st == FV_OK && (out->w != T || out->h != T)) st = fv_image_resize(out, T, T, out);
    if (st != FV_OK) fv_image_free(out);
    return st;
}

static void paste(fv_image *strip, const fv_image *im, int x0)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < im->h; y++)
            memcpy(&strip->rgb[((size_t)c * strip->h + y) * strip->w + x0], &im->rgb[((size_t)c * im->h + y) * im->w],
                   sizeof(float) * (size_t)im->w);
}

/* Strip column of a pick: top 0..K-1, bottom K..2K-1, spectrum 2K..2K+4. */
static int pick_col(const ex_pick *p, int K) { return p->kind == 0 ? p->slot : p->kind == 1 ? K + p->slot : 2 * K + p->slot; }

typedef struct ex_ref {
    int img, chan, pick; /* chan relative to the chunk, pick index within that channel's picks */
} ex_ref;

static int cmp_ref(const void *a, const void *b)
{
    const ex_ref *x = a, *y = b;
    return x->img != y->img ? (x->img > y->img) - (x->img < y->img) : (x->chan > y->chan) - (x->chan < y->chan);
}

static json_t *pick_json(const ex_scan *s, const ex_pick *p)
{
    json_t *o = json_pack("{s:s, s:f, s:i, s:i}", "file", s->names[p->img], "act", (double)p->act, "y", p->y, "x", p->x);
    if (o && p->kind == 2) json_object_set_new(o, "percentile", json_integer(spectrum_pct[p->slot]));
    return o;
}

/* One index.jsonl line for channel c. */
static fv_status write_line(FILE *f, const fv_examples_opts *o, const char *layer, int c, const ex_scan *s,
                            const ex_pick *pk, int np, int rf, int jump)
{
    json_t *arr[3] = {json_array(), json_array(), json_array()};
    for (int k = 0; k < np; k++)
        if (arr[pk[k].kind]) json_array_append_new(arr[pk[k].kind], pick_json(s, &pk[k]));
    char strip[32];
    snprintf(strip, sizeof strip, "c%04d.png", c);
    json_t *line = json_pack("{s:s, s:i, s:s, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:o}", "layer", layer, "channel", c,
                             "strip", strip, "k", o->top, "thumb", o->thumb, "size", o->size, "rf", rf, "jump", jump,
                             "top", arr[0], "bottom", arr[1], "spectrum", arr[2]);
    char *txt = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(8)) : NULL;
    json_decref(line);
    if (!txt) return fv_fail(FV_ERR_NOMEM, "examples: cannot format the index line of channel %d", c);
    fputs(txt, f);
    fputc('\n', f);
    free(txt);
    return FV_OK;
}

/* Strips of channels [c0, c0+nc): every picked image is read once per chunk, its crops pasted. */
static fv_status write_chunk(const fv_examples_opts *o, const ex_scan *s, const char *dir, int c0, int nc,
                             const ex_pick *picks, const int *npicks, int rf, int jump)
{
    const int K = o->top, T = o->thumb, per = 2 * K + FV_EXAMPLES_SPECTRUM;
    fv_image *strips = calloc((size_t)nc, sizeof *strips);
    ex_ref *refs = malloc(sizeof *refs * (size_t)nc * (size_t)per);
    if (!strips || !refs) {
        free(strips);
        free(refs);
        return fv_fail(FV_ERR_NOMEM, "out of memory");
    }
    fv_status st = FV_OK;
    int nr = 0;
    for (int c = 0; c < nc && st == FV_OK; c++) {
        if ((st = fv_image_alloc(&strips[c], per * T, T)) != FV_OK) break;
        for (size_t i = 0; i < (size_t)3 * strips[c].w * T; i++) strips[c].rgb[i] = 1.0f; /* white = no image */
        for (int k = 0; k < npicks[c]; k++) refs[nr++] = (ex_ref){picks[(size_t)c * per + k].img, c, k};
    }
    if (st == FV_OK && nr > 1) qsort(refs, (size_t)nr, sizeof *refs, cmp_ref);
    char path[8192];
    for (int r = 0; r < nr && st == FV_OK;) {
        int img = refs[r].img;
        snprintf(path, sizeof path, "%s/%s", o->images, s->names[img]);
        fv_image src = {0, 0, NULL};
        fv_status rs = fv_image_read(path, &src);
        if (rs != FV_OK) fv_examples_note(o->log, "%s (changed since it was read? its crops stay white)%s", fv_last_error(), "");
        /* Halve the whole photo once while every crop would still be halved anyway: the same 2x2 means,
         * done once per image instead of once per crop (a large photo in many strips costs seconds). */
        double side = rf < 0 || rf >= o->size ? o->size : rf;
        double crop_px = side * (src.w < src.h ? src.w : src.h) / o->size;
        while (rs == FV_OK && crop_px >= 4.0 * T && src.w >= 2 && src.h >= 2) {
            if ((rs = fv_image_resize(&src, src.w / 2, src.h / 2, &src)) == FV_ERR_NOMEM) st = rs;
            crop_px /= 2;
        }
        for (; r < nr && refs[r].img == img && st == FV_OK; r++) {
            if (rs != FV_OK) continue;
            const ex_pick *p = &picks[(size_t)refs[r].chan * per + refs[r].pick];
            fv_image th = {0, 0, NULL};
            if ((st = crop_thumb(&src, o->size, rf, jump, p->y, p->x, T, &th)) == FV_OK) {
                paste(&strips[refs[r].chan], &th, pick_col(p, K) * T);
                fv_image_free(&th);
            }
        }
        fv_image_free(&src);
    }
    for (int c = 0; c < nc && st == FV_OK; c++) {
        snprintf(path, sizeof path, "%s/c%04d.png", dir, c0 + c);
        char chan[16];
        snprintf(chan, sizeof chan, "%d", c0 + c);
        const char *keys[] = {"featvis:layer", "featvis:channel"}, *vals[] = {o->layer, chan};
        st = fv_image_write_png(path, &strips[c], keys, vals, 2);
    }
    for (int c = 0; c < nc; c++) fv_image_free(&strips[c]);
    free(strips);
    free(refs);
    return st;
}

/* ---------- all channels ---------- */

fv_status fv_examples_write(const fv_examples_opts *o, const ex_scan *s, const char *layer, fv_examples_report *rep)
{
    const int K = o->top, per = 2 * K + FV_EXAMPLES_SPECTRUM;
    char path[4200];
    snprintf(path, sizeof path, "%s/index.jsonl", rep->dir);
    ex_pair *pairs = malloc(sizeof *pairs * (size_t)s->n);
    char *used = malloc((size_t)s->n);
    ex_pick *picks = malloc(sizeof *picks * (size_t)EX_CHUNK * (size_t)per);
    int npicks[EX_CHUNK];
    fv_atomic_file af = {0};
    fv_status st = fv_atomic_open(&af, path, "w");
    if (st == FV_OK && (!pairs || !used || !picks)) st = fv_fail(FV_ERR_NOMEM, "out of memory");
    for (int c0 = 0; c0 < s->C && st == FV_OK; c0 += EX_CHUNK) {
        int nc = s->C - c0 < EX_CHUNK ? s->C - c0 : EX_CHUNK;
        for (int c = 0; c < nc && st == FV_OK; c++) {
            npicks[c] = rank_channel(s, c0 + c, K, pairs, used, &picks[(size_t)c * per]);
            st = write_line(af.f, o, layer, c0 + c, s, &picks[(size_t)c * per], npicks[c], rep->rf, rep->jump);
        }
        if (st == FV_OK) st = write_chunk(o, s, rep->dir, c0, nc, picks, npicks, rep->rf, rep->jump);
        if (st == FV_OK) rep->nchannels += nc;
        if (st == FV_OK && o->log) {
            fprintf(o->log, "examples: %d of %d channel strips written\n", c0 + nc, s->C);
            fflush(o->log);
        }
    }
    free(pairs);
    free(used);
    free(picks);
    /* Committed last, beside its target: the index only ever names strips already in place. */
    if (st == FV_OK) st = fv_atomic_commit(&af);
    else if (af.f) fv_atomic_abort(&af);
    return st;
}
