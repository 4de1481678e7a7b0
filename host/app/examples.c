/* Dataset examples of a layer's channels (see examples.h): one pass of the image folder through the
 * model in batches keeps only each image's per-channel spatial max and its position; the ranking then
 * picks the kept images per channel, which are read again, cropped and packed into one strip each. */
#define _POSIX_C_SOURCE 200809L

#include "device/registry.h"
#include "examples.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/image.h"
#include "models/model.h"

#define EX_CHUNK 64 /* channels whose strips are built at once: bounds memory to 64 strips */

static const int spectrum_pct[FV_EXAMPLES_SPECTRUM] = {0, 25, 50, 75, 100};

/* ---------- receptive field ---------- */

fv_status fv_net_receptive_field(const fv_net *net, int t, int *rf, int *jump)
{
    if (t < 0 || t >= net->ntensors) return fv_fail(FV_ERR_ARG, "receptive field: no tensor %d", t);
    int *r = calloc((size_t)net->ntensors, sizeof *r), *j = calloc((size_t)net->ntensors, sizeof *j);
    if (!r || !j) {
        free(r);
        free(j);
        return fv_fail(FV_ERR_NOMEM, "out of memory");
    }
    r[net->input] = j[net->input] = 1;
    /* Nodes are stored in execution order, so a node's input is final when it is reached. */
    for (int i = 0; i < net->nnodes; i++) {
        const fv_net_node *nd = &net->nodes[i];
        int ri = r[nd->in], ji = j[nd->in];
        if (ri < 0) ri = -1; /* the whole image already */
        else if (nd->kind == FV_NODE_FC || nd->kind == FV_NODE_SOFTMAX ||
                 ((nd->kind == FV_NODE_CONV || nd->kind == FV_NODE_POOL) && nd->rule == FV_PADRULE_GLOBAL))
            ri = -1;
        else if (nd->kind == FV_NODE_CONV || nd->kind == FV_NODE_POOL) {
            int k = nd->kh > nd->kw ? nd->kh : nd->kw, s = nd->sh > nd->sw ? nd->sh : nd->sw;
            ri += (k - 1) * ji;
            ji *= s;
        }
        /* Into the node's output and every concatenation it is a slice of: max over branches. */
        for (int o = nd->out; o >= 0; o = net->tensors[o].parent) {
            if (ri < 0 || r[o] < 0) r[o] = -1;
            else if (ri > r[o]) r[o] = ri;
            if (ji > j[o]) j[o] = ji;
        }
    }
    *rf = r[t];
    *jump = j[t] ? j[t] : 1;
    free(r);
    free(j);
    return FV_OK;
}

void fv_examples_slug(const char *name, char *slug, size_t n)
{
    size_t i = 0;
    for (; name[i] && i + 1 < n; i++) {
        char c = name[i];
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        slug[i] = keep ? c : '_';
    }
    if (n) slug[i] = '\0';
}

/* ---------- the folder ---------- */

static void note(FILE *log, const char *fmt, const char *a, const char *b)
{
    if (!log) return;
    fputs("examples: ", log);
    fprintf(log, fmt, a, b);
    fputc('\n', log);
    fflush(log);
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int image_ext(const char *name)
{
    const char *e = strrchr(name, '.');
    return e && (!strcasecmp(e, ".png") || !strcasecmp(e, ".jpg") || !strcasecmp(e, ".jpeg"));
}

/* The folder's regular, non-hidden files in name order (byte order: reruns and machines agree). */
static fv_status list_dir(const char *dir, char ***names, int *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return fv_fail(FV_ERR_IO, "%s: cannot open the image folder: %s", dir, strerror(errno));
    int cap = 0;
    fv_status st = FV_OK;
    struct dirent *e;
    char path[4096];
    while (st == FV_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            char **nn = realloc(*names, sizeof *nn * (size_t)cap);
            if (!nn) {
                st = fv_fail(FV_ERR_NOMEM, "out of memory");
                break;
            }
            *names = nn;
        }
        if (!((*names)[*n] = strdup(e->d_name))) st = fv_fail(FV_ERR_NOMEM, "out of memory");
        else (*n)++;
    }
    closedir(d);
    if (st == FV_OK && *n > 1) qsort(*names, (size_t)*n, sizeof **names, cmp_name);
    return st;
}

/* ---------- the pass through the model ---------- */

typedef struct ex_scan {
    int n, C, h, w;   /* images kept, channels, layer height and width */
    char **names;     /* per image (pointers into the folder listing) */
    float *maxv;      /* n * C spatial max */
    int *pos;         /* n * C: y * w + x of the first position holding it */
} ex_scan;

/* Images per pass: the caller's, else what fits in about 512 MiB of activations (and as much again
 * for the gradient buffers the plan holds), at most 64. */
static int batch_size(const fv_net *net, int t, int size, int want)
{
    if (want > 0) return want;
    size_t per = fv_net_floats_per_image(net, size, size, &t, 1) * sizeof(float);
    size_t b = per ? ((size_t)512 << 20) / per : 64;
    return b < 1 ? 1 : b > 64 ? 64 : (int)b;
}

/* One forward pass of `nb` images (rgb: nb planar images, the rest of the plan's batch is zeros) and
 * the per-channel max/argmax of each into scan rows [i0, i0+nb). */
static fv_status run_batch(fv_model *m, const fv_backend_i *be, fv_plan *p, float *dev_rgb, const float *rgb, int nb,
                           int t, float *host_act, ex_scan *s, int i0)
{
    const int hw = p->h * p->w;
    const fv_tensor a = p->act[t];
    FV_TRY(be->upload(dev_rgb, rgb, sizeof(float) * 3 * (size_t)hw * (size_t)p->n));
    FV_TRY(be->preprocess_fwd(p->n, hw, m->net.perm, m->net.scale, m->net.mean, dev_rgb, p->act[m->net.input].data));
    FV_TRY(fv_plan_forward(p));
    /* A branch's tensor is a slice of its concat buffer: images are bstride apart, not c*h*w. */
    size_t count = (size_t)(nb - 1) * (size_t)a.bstride + (size_t)fv_tensor_chw(a);
    FV_TRY(be->download(host_act, a.data, sizeof(float) * count));
    const int lhw = a.h * a.w;
    for (int b = 0; b < nb; b++) {
        for (int c = 0; c < a.c; c++) {
            const float *v = host_act + (size_t)b * a.bstride + (size_t)c * lhw;
            int best = 0;
            for (int k = 1; k < lhw; k++)
                if (v[k] > v[best]) best = k;
            if (!isfinite(v[best]))
                return fv_fail(FV_ERR_NUMERIC, "%s: channel %d of %s is not finite", s->names[i0 + b], c,
                               fv_net_display_name(&m->net, t));
            s->maxv[(size_t)(i0 + b) * s->C + c] = v[best];
            s->pos[(size_t)(i0 + b) * s->C + c] = best;
        }
    }
    return FV_OK;
}

/* Read every file, resize, and run the model over them in batches; corrupt files go to rep. */
static fv_status scan(fv_model *m, const fv_examples_opts *o, int t, char **files, int nfiles, ex_scan *s,
                      fv_examples_report *rep)
{
    fv_backend_kind got;
    const char *notice = NULL;
    FV_TRY(fv_backend_resolve(o->backend, &got, &notice));
    if (notice) note(o->log, "%s%s", notice, "");
    const fv_backend_i *be = fv_backend_get(got);
    if (!be) return FV_ERR_UNSUPPORTED;
    int lh, lw;
    FV_TRY(fv_model_layer_shape(m, fv_net_display_name(&m->net, t), o->size, &s->C, &lh, &lw));
    s->h = lh;
    s->w = lw;
    s->names = malloc(sizeof *s->names * (size_t)(nfiles + 1));
    s->maxv = malloc(sizeof *s->maxv * (size_t)(nfiles + 1) * (size_t)s->C);
    s->pos = malloc(sizeof *s->pos * (size_t)(nfiles + 1) * (size_t)s->C);
    if (!s->names || !s->maxv || !s->pos) return fv_fail(FV_ERR_NOMEM, "out of memory");
    int B = batch_size(&m->net, t, o->size, o->batch);
    if (B > nfiles) B = nfiles;
    fv_plan *p = NULL;
    FV_TRY(fv_plan_create(&m->net, be, B, o->size, o->size, &t, 1, &p));
    const size_t img_floats = (size_t)3 * o->size * o->size;
    float *rgb = calloc((size_t)B * img_floats, sizeof *rgb), *dev = NULL;
    float *host = malloc(sizeof(float) * (size_t)B * (size_t)p->act[t].bstride);
    fv_status st = rgb && host ? be->alloc((void **)&dev, sizeof(float) * (size_t)B * img_floats)
                               : fv_fail(FV_ERR_NOMEM, "out of memory");
    char path[8192];
    int nb = 0;
    for (int f = 0; f < nfiles && st == FV_OK; f++) {
        snprintf(path, sizeof path, "%s/%s", o->images, files[f]);
        fv_image im = {0, 0, NULL};
        fv_status rs = fv_image_read(path, &im);
        if (rs == FV_OK) rs = fv_image_resize(&im, o->size, o->size, &im);
        if (rs == FV_ERR_NOMEM) st = rs;
        if (rs == FV_ERR_FORMAT && !image_ext(files[f]) && strstr(fv_last_error(), "not a PNG or JPEG")) {
            rep->nskipped++;
            note(o->log, "note: %s/%s: not a PNG or JPEG file; skipped", o->images, files[f]);
        } else if (rs != FV_OK) {
            /* A broken file costs one line and one image, never the whole run. */
            char **nb2 = realloc(rep->bad, sizeof *nb2 * (size_t)(rep->nbad + 1));
            if (nb2) {
                rep->bad = nb2;
                if ((nb2[rep->nbad] = strdup(files[f]))) rep->nbad++;
            }
            note(o->log, "%s; skipped%s", fv_last_error(), "");
        } else {
            memcpy(rgb + (size_t)nb * img_floats, im.rgb, sizeof(float) * img_floats);
            s->names[s->n + nb++] = files[f];
        }
        fv_image_free(&im);
        if (st == FV_OK && nb && (nb == B || f == nfiles - 1)) {
            /* A short last batch runs with zero images after it; their results are not read. */
            memset(rgb + (size_t)nb * img_floats, 0, sizeof(float) * (size_t)(B - nb) * img_floats);
            st = run_batch(m, be, p, dev, rgb, nb, t, host, s, s->n);
            s->n += nb;
            nb = 0;
            if (o->log && st == FV_OK) {
                fprintf(o->log, "examples: %d of %d files through the model\n", f + 1, nfiles);
                fflush(o->log);
            }
        }
    }
    if (dev) be->free(dev);
    free(rgb);
    free(host);
    fv_plan_free(p);
    return st;
}

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
        if (rs != FV_OK) note(o->log, "%s (changed since it was read? its crops stay white)%s", fv_last_error(), "");
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

/* ---------- the command ---------- */

static fv_status make_dir(const char *p)
{
    if (mkdir(p, 0777) == 0 || errno == EEXIST) return FV_OK;
    return fv_fail(FV_ERR_IO, "%s: cannot create folder: %s", p, strerror(errno));
}

static fv_status write_all(const fv_examples_opts *o, const ex_scan *s, const char *layer, fv_examples_report *rep)
{
    const int K = o->top, per = 2 * K + FV_EXAMPLES_SPECTRUM;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/index.jsonl.tmp.%ld", rep->dir, (long)getpid());
    ex_pair *pairs = malloc(sizeof *pairs * (size_t)s->n);
    char *used = malloc((size_t)s->n);
    ex_pick *picks = malloc(sizeof *picks * (size_t)EX_CHUNK * (size_t)per);
    int npicks[EX_CHUNK];
    FILE *f = fopen(tmp, "w");
    fv_status st = FV_OK;
    if (!f) st = fv_fail(FV_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    else if (!pairs || !used || !picks) st = fv_fail(FV_ERR_NOMEM, "out of memory");
    for (int c0 = 0; c0 < s->C && st == FV_OK; c0 += EX_CHUNK) {
        int nc = s->C - c0 < EX_CHUNK ? s->C - c0 : EX_CHUNK;
        for (int c = 0; c < nc && st == FV_OK; c++) {
            npicks[c] = rank_channel(s, c0 + c, K, pairs, used, &picks[(size_t)c * per]);
            st = write_line(f, o, layer, c0 + c, s, &picks[(size_t)c * per], npicks[c], rep->rf, rep->jump);
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
    if (f) {
        int bad = ferror(f) | (fclose(f) != 0);
        char path[4200];
        snprintf(path, sizeof path, "%s/index.jsonl", rep->dir);
        /* Written last, beside its target: the index only ever names strips already in place. */
        if (st == FV_OK && bad) st = fv_fail(FV_ERR_IO, "%s: cannot write", tmp);
        if (st == FV_OK && rename(tmp, path) != 0)
            st = fv_fail(FV_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
        if (st != FV_OK) remove(tmp);
    }
    return st;
}

void fv_examples_report_free(fv_examples_report *rep)
{
    if (!rep) return;
    for (int i = 0; i < rep->nbad; i++) free(rep->bad[i]);
    free(rep->bad);
    rep->bad = NULL;
    rep->nbad = 0;
}

fv_status fv_examples_run(fv_model *m, const fv_examples_opts *opts, fv_examples_report *rep_out)
{
    fv_examples_opts o = *opts;
    if (!o.out || !*o.out) o.out = "examples";
    if (o.top <= 0) o.top = 8;
    if (o.size <= 0) o.size = 224;
    if (o.thumb <= 0) o.thumb = 96;
    if (!o.images || !o.layer) return fv_fail(FV_ERR_ARG, "examples: needs an image folder and a layer");
    if (o.top > 1000) return fv_fail(FV_ERR_ARG, "examples: --top %d out of range (1..1000)", o.top);
    if (o.thumb < 8 || o.thumb > 512) return fv_fail(FV_ERR_ARG, "examples: thumbnail size %d out of range (8..512)", o.thumb);
    int t = fv_net_find(&m->net, o.layer);
    if (t < 0 || t == m->net.input) return fv_fail(FV_ERR_ARG, "unknown layer '%s' in %s", o.layer, m->name);
    const char *layer = fv_net_display_name(&m->net, t);
    fv_examples_report rep0, *rep = rep_out ? rep_out : &rep0;
    memset(rep, 0, sizeof *rep);
    FV_TRY(fv_net_receptive_field(&m->net, t, &rep->rf, &rep->jump));
    char slug[FV_NAME_MAX];
    fv_examples_slug(layer, slug, sizeof slug);
    snprintf(rep->dir, sizeof rep->dir, "%s/examples/%s", o.out, slug);
    char **files = NULL;
    int nfiles = 0;
    ex_scan s = {0};
    fv_status st = list_dir(o.images, &files, &nfiles);
    if (st == FV_OK && nfiles == 0) st = fv_fail(FV_ERR_ARG, "%s: no files in the image folder", o.images);
    if (st == FV_OK) st = scan(m, &o, t, files, nfiles, &s, rep);
    rep->nimages = s.n;
    if (st == FV_OK && s.n == 0) st = fv_fail(FV_ERR_ARG, "%s: no readable PNG or JPEG images", o.images);
    if (st == FV_OK) st = make_dir(o.out);
    if (st == FV_OK) {
        char p[4200];
        snprintf(p, sizeof p, "%s/examples", o.out);
        st = make_dir(p);
    }
    if (st == FV_OK) st = make_dir(rep->dir);
    if (st == FV_OK) st = write_all(&o, &s, layer, rep);
    free(s.names);
    free(s.maxv);
    free(s.pos);
    for (int i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    if (!rep_out) fv_examples_report_free(rep);
    return st;
}
