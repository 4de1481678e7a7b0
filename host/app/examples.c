/* Dataset examples of a layer's channels (see examples.h), first half: one pass of the image folder through
 * the model in batches keeps only each image's per-channel spatial max and its position; the ranking then
 * picks the kept images per channel, which examples_strip.c reads again, crops and packs into strips. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "core/text.h"
#include "backend/backend.h"
#include "examples_int.h"
#include "io/image.h"
#include "models/model.h"

/* ---------- the folder ---------- */


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
static fv_status run_batch(fv_model *m, fv_backend *be, fv_plan *p, float *dev_rgb, const float *rgb, int nb,
                           int t, float *host_act, ex_scan *s, int i0)
{
    const int hw = p->h * p->w;
    const fv_tensor a = p->act[t];
    FV_TRY(fv_backend_upload(be, dev_rgb, rgb, sizeof(float) * 3 * (size_t)hw * (size_t)p->n));
    FV_TRY(fv_preprocess_fwd(be, p->n, hw, m->net.perm, m->net.scale, m->net.mean, m->net.std, dev_rgb, p->act[m->net.input].data));
    FV_TRY(fv_plan_forward(p));
    /* A branch's tensor is a slice of its concat buffer: images are bstride apart, not c*h*w. */
    size_t count = (size_t)(nb - 1) * (size_t)a.bstride + (size_t)fv_tensor_chw(a);
    FV_TRY(fv_backend_download(be, host_act, a.data, sizeof(float) * count));
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

/* Read every file, resize, and run the model over them in batches on be; corrupt files go to rep. */
static fv_status scan_on(fv_model *m, fv_backend *be, const fv_examples_opts *o, int t, char **files, int nfiles,
                         ex_scan *s, fv_examples_report *rep)
{
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
    fv_status st = rgb && host ? fv_backend_alloc(be, (void **)&dev, sizeof(float) * (size_t)B * img_floats)
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
            fv_examples_note(o->log, "note: %s/%s: not a PNG or JPEG file; skipped", o->images, files[f]);
        } else if (rs != FV_OK) {
            /* A broken file costs one line and one image, never the whole run. */
            char **nb2 = realloc(rep->bad, sizeof *nb2 * (size_t)(rep->nbad + 1));
            if (nb2) {
                rep->bad = nb2;
                if ((nb2[rep->nbad] = strdup(files[f]))) rep->nbad++;
            }
            fv_examples_note(o->log, "%s; skipped%s", fv_last_error(), "");
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
    if (dev) fv_backend_free(be, dev);
    free(rgb);
    free(host);
    fv_plan_free(p);
    return st;
}

/* scan_on, on the backend the options name (its notice, if any, to the log). */
static fv_status scan(fv_model *m, const fv_examples_opts *o, int t, char **files, int nfiles, ex_scan *s,
                      fv_examples_report *rep)
{
    fv_backend_kind got;
    const char *notice = NULL;
    FV_TRY(fv_backend_resolve(o->backend, &got, &notice));
    if (notice) fv_examples_note(o->log, "%s%s", notice, "");
    fv_backend *be;
    FV_TRY(fv_backend_open(got, o->backend_options, &be));
    fv_status st = scan_on(m, be, o, t, files, nfiles, s, rep);
    fv_backend_close(be);
    return st;
}

/* ---------- the command ---------- */

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
    fv_text_safe_name(layer, slug, sizeof slug);
    snprintf(rep->dir, sizeof rep->dir, "%s/examples/%s", o.out, slug);
    char **files = NULL;
    int nfiles = 0;
    ex_scan s = {0};
    fv_status st = list_dir(o.images, &files, &nfiles);
    if (st == FV_OK && nfiles == 0) st = fv_fail(FV_ERR_ARG, "%s: no files in the image folder", o.images);
    if (st == FV_OK) st = scan(m, &o, t, files, nfiles, &s, rep);
    rep->nimages = s.n;
    if (st == FV_OK && s.n == 0) st = fv_fail(FV_ERR_ARG, "%s: no readable PNG or JPEG images", o.images);
    if (st == FV_OK) st = fv_mkdirs(rep->dir);
    if (st == FV_OK) st = fv_examples_write(&o, &s, layer, rep);
    free(s.names);
    free(s.maxv);
    free(s.pos);
    for (int i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    if (!rep_out) fv_examples_report_free(rep);
    return st;
}
