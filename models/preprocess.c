/* A model's input convention (include/featvis/featvis.h "input conventions"): the named presets, the check, the
 * one-line description the PNG provenance and --json carry, and reading and setting a model's, which the
 * network keeps as perm, scale, mean and std (net/graph.h: in[c] = (rgb[perm[c]] * scale - mean[c]) / std[c]). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

typedef struct preset {
    const char *name;
    fv_preprocess p;
} preset;

static const preset PRESETS[] = {
    {"torchvision", {0, 0.0f, 1.0f, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}}},
    {"caffe", {1, 0.0f, 255.0f, {104.0f, 117.0f, 123.0f}, {1.0f, 1.0f, 1.0f}}},
    {"inception", {0, -1.0f, 1.0f, {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}}},
    {"inception5h", {0, 0.0f, 255.0f, {117.0f, 117.0f, 117.0f}, {1.0f, 1.0f, 1.0f}}},
    {"none", {0, 0.0f, 1.0f, {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}}},
};
#define NPRESETS ((int)(sizeof PRESETS / sizeof *PRESETS))

fv_status fv_preprocess_preset(const char *name, fv_preprocess *out)
{
    for (int i = 0; name && i < NPRESETS; i++)
        if (!strcmp(name, PRESETS[i].name)) {
            *out = PRESETS[i].p;
            return FV_OK;
        }
    return fv_fail(FV_ERR_ARG, "unknown input convention '%s': expected torchvision, caffe, inception, inception5h or none",
                   name ? name : "(null)");
}

fv_status fv_preprocess_check(const fv_preprocess *p)
{
    if (!p) return fv_fail(FV_ERR_ARG, "input convention: none given");
    if (!isfinite(p->lo) || !isfinite(p->hi) || p->lo == p->hi || !isfinite(p->hi - p->lo))
        return fv_fail(FV_ERR_ARG, "input convention: range %g,%g: expected two different finite numbers", (double)p->lo,
                       (double)p->hi);
    for (int c = 0; c < 3; c++) {
        if (!isfinite(p->mean[c]))
            return fv_fail(FV_ERR_ARG, "input convention: mean[%d] = %g: expected a finite number", c, (double)p->mean[c]);
        if (!(p->std[c] > 0) || !isfinite(p->std[c]))
            return fv_fail(FV_ERR_ARG, "input convention: std[%d] = %g: expected a finite number > 0", c, (double)p->std[c]);
    }
    return FV_OK;
}

static int same(const fv_preprocess *a, const fv_preprocess *b)
{
    return a->bgr == b->bgr && a->lo == b->lo && a->hi == b->hi && !memcmp(a->mean, b->mean, sizeof a->mean) &&
           !memcmp(a->std, b->std, sizeof a->std);
}

void fv_preprocess_describe(const fv_preprocess *p, char *buf, size_t n)
{
    const char *name = NULL;
    for (int i = 0; i < NPRESETS && !name; i++)
        if (same(p, &PRESETS[i].p)) name = PRESETS[i].name;
    snprintf(buf, n, "%s%s%sorder=%s range=%g,%g mean=%g,%g,%g std=%g,%g,%g", name ? "preset=" : "", name ? name : "",
             name ? " " : "", p->bgr ? "bgr" : "rgb", (double)p->lo, (double)p->hi, (double)p->mean[0],
             (double)p->mean[1], (double)p->mean[2], (double)p->std[0], (double)p->std[1], (double)p->std[2]);
}

/* The file's own convention, as its builder left it in the network (always with lo = 0: every builder
 * maps [0,1] onto [0, scale]). */
static void from_net(const fv_net *net, fv_preprocess *p)
{
    p->bgr = net->perm[0] == 2;
    p->lo = 0.0f;
    p->hi = net->scale;
    for (int c = 0; c < 3; c++) p->mean[c] = net->mean[c], p->std[c] = net->std[c];
}

fv_status fv_model_preprocess(const fv_model *m, fv_preprocess *out)
{
    if (!m || !out) return fv_fail(FV_ERR_ARG, "fv_model_preprocess: null argument");
    if (m->pre_set) *out = m->pre;
    else from_net(&m->net, out);
    return FV_OK;
}

int fv_model_preprocess_implied(const fv_model *m)
{
    return !m->pre_set && (m->kind == FV_MODEL_INCEPTION_CAFFE || m->kind == FV_MODEL_INCEPTION_TF);
}

fv_status fv_model_set_preprocess(fv_model *m, const fv_preprocess *p)
{
    if (!m) return fv_fail(FV_ERR_ARG, "fv_model_set_preprocess: no model");
    FV_TRY(fv_preprocess_check(p));
    fv_preprocess own;
    if (!m->pre_set) {
        from_net(&m->net, &own);
        if (same(&own, p)) return FV_OK; /* the file's own: nothing changes, nothing to record */
    }
    /* x = lo + v (hi - lo); (x - mean) / std = (v * scale - (mean - lo)) / std. With lo = 0 the network's mean is
     * the mean as given, bit for bit. */
    fv_net *net = &m->net;
    for (int c = 0; c < 3; c++) {
        net->perm[c] = p->bgr ? 2 - c : c;
        net->mean[c] = p->mean[c] - p->lo;
        net->std[c] = p->std[c];
    }
    net->scale = p->hi - p->lo;
    m->pre = *p;
    m->pre_set = 1;
    return FV_OK;
}
