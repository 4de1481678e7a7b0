/* The objective parser: CLI text -> weighted terms on named tensors, validated against the network
 * (layer exists, channel in range, neuron inside the layer, direction length). Grammar in objective.h. */
#include "objective.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/npy.h"
#include "core/rng.h"

typedef struct parser {
    const fv_net *net;
    const char *text, *s;
    int *hs, *ws; /* the shapes at h x w: of the whole net when every layer fits (all_fit), else per term */
    int h, w, all_fit;
} parser;

/* The shape of layer t at the image size: only the nodes t is computed from must fit that size (a layer before a
 * classifier fixed to one input size is a target at any size). */
static fv_status layer_shape(parser *p, int t, int *lh, int *lw)
{
    if (!p->all_fit) FV_TRY(fv_net_shapes_for(p->net, p->h, p->w, &t, 1, p->hs, p->ws));
    *lh = p->hs[t];
    *lw = p->ws[t];
    return FV_OK;
}

static fv_status perr(parser *p, const char *fmt, const char *arg)
{
    char what[400];
    snprintf(what, sizeof what, fmt, arg);
    return fv_fail(FV_ERR_ARG, "objective '%s': %s (at column %d)", p->text, what, (int)(p->s - p->text) + 1);
}

static void skip_ws(parser *p)
{
    while (isspace((unsigned char)*p->s)) p->s++;
}

static int name_char(int c) { return isalnum(c) || c == '_' || c == '/' || c == '.'; }

static int read_name(parser *p, char *buf, size_t n)
{
    size_t k = 0;
    while (name_char((unsigned char)*p->s) && k + 1 < n) buf[k++] = *p->s++;
    buf[k] = 0;
    return (int)k;
}

static fv_status read_int(parser *p, int *v, const char *what)
{
    skip_ws(p);
    if (!isdigit((unsigned char)*p->s)) return perr(p, "expected %s (a whole number)", what);
    errno = 0;
    char *end;
    long x = strtol(p->s, &end, 10);
    if (errno || x > 1000000) return perr(p, "%s is too large", what);
    p->s = end;
    *v = (int)x;
    return FV_OK;
}

static fv_status find_layer(parser *p, const char *name, int *t)
{
    *t = fv_net_find(p->net, name);
    if (*t < 0 || *t == p->net->input) return perr(p, "unknown layer '%s' (featvis-cuda layers lists them)", name);
    return FV_OK;
}

static fv_status check_channel(parser *p, int t, int c)
{
    if (c >= p->net->tensors[t].c) {
        char msg[256];
        snprintf(msg, sizeof msg, "channel %d out of range: layer '%s' has %d channels (0..%d)", c,
                 fv_net_display_name(p->net, t), p->net->tensors[t].c, p->net->tensors[t].c - 1);
        return perr(p, "%s", msg);
    }
    return FV_OK;
}

static fv_status random_direction(parser *p, fv_obj_spec *sp, const char *layer);

/* direction:LAYER:FILE.npy or direction:LAYER:random:SEED (after "direction:"). */
static fv_status parse_direction(parser *p, fv_obj_spec *sp)
{
    char layer[FV_NAME_MAX];
    if (!read_name(p, layer, sizeof layer) || *p->s != ':') return perr(p, "expected 'direction:LAYER:FILE.npy'%s", "");
    p->s++;
    FV_TRY(find_layer(p, layer, &sp->tensor));
    size_t k = 0;
    while (*p->s && *p->s != '+' && !isspace((unsigned char)*p->s) && k + 1 < sizeof sp->path) sp->path[k++] = *p->s++;
    sp->path[k] = 0;
    if (!k) return perr(p, "expected a .npy file after 'direction:%s:'", layer);
    sp->kind = FV_OBJ_DIRECTION;
    if (!strncmp(sp->path, "random:", 7)) return random_direction(p, sp, layer);
    int64_t shape[4];
    int nd = 0;
    fv_status st = fv_npy_read(sp->path, &sp->dir, shape, &nd, 4);
    if (st != FV_OK) return fv_fail_ctx(st, "objective '%s'", p->text);
    int64_t cnt = 1;
    for (int i = 0; i < nd; i++) cnt *= shape[i];
    if (cnt != p->net->tensors[sp->tensor].c)
        return fv_fail(FV_ERR_SHAPE, "objective '%s': %s holds %lld values, layer '%s' has %d channels", p->text,
                       sp->path, (long long)cnt, layer, p->net->tensors[sp->tensor].c);
    return FV_OK;
}

/* A seeded random direction (the article's "random directions"): N(0,1) per channel from the RNG keyed by
 * the seed and the layer, scaled to unit length. */
static fv_status random_direction(parser *p, fv_obj_spec *sp, const char *layer)
{
    char *end;
    unsigned long long seed = strtoull(sp->path + 7, &end, 10);
    if (end == sp->path + 7 || *end) return perr(p, "expected 'direction:%s:random:SEED'", layer);
    const int c = p->net->tensors[sp->tensor].c;
    float *v = malloc(sizeof(float) * c);
    if (!v) return fv_fail(FV_ERR_NOMEM, "objective: out of memory");
    uint64_t key = fv_rng_key(seed, fv_net_display_name(p->net, sp->tensor));
    double norm = 0;
    for (int i = 0; i < c; i++) {
        v[i] = (float)fv_rng_normal(key, (uint64_t)i);
        norm += (double)v[i] * v[i];
    }
    for (int i = 0; i < c; i++) v[i] = (float)(v[i] / sqrt(norm));
    sp->dir = v;
    return FV_OK;
}

/* LAYER:C, LAYER:C@X,Y or (neuron) LAYER:C for the centre neuron, after "neuron:" when neuron is set. */
static fv_status parse_channel(parser *p, fv_obj_spec *sp, const char *head, int neuron)
{
    char layer[FV_NAME_MAX];
    if (neuron) {
        if (!read_name(p, layer, sizeof layer) || *p->s != ':') return perr(p, "expected 'neuron:LAYER:CHANNEL'%s", "");
        p->s++;
    } else {
        snprintf(layer, sizeof layer, "%s", head);
    }
    FV_TRY(find_layer(p, layer, &sp->tensor));
    FV_TRY(read_int(p, &sp->channel, "a channel number"));
    FV_TRY(check_channel(p, sp->tensor, sp->channel));
    int lh, lw;
    FV_TRY(layer_shape(p, sp->tensor, &lh, &lw));
    sp->kind = neuron ? FV_OBJ_NEURON : FV_OBJ_CHANNEL;
    if (neuron) {
        sp->x = lw / 2;
        sp->y = lh / 2;
    }
    if (*p->s == '@') {
        p->s++;
        FV_TRY(read_int(p, &sp->x, "a neuron x position"));
        skip_ws(p);
        if (*p->s != ',') return perr(p, "expected ',' between the neuron's x and y%s", "");
        p->s++;
        FV_TRY(read_int(p, &sp->y, "a neuron y position"));
        sp->kind = FV_OBJ_NEURON;
        sp->has_pos = 1;
    }
    if (sp->kind == FV_OBJ_NEURON && (sp->x >= lw || sp->y >= lh)) {
        char msg[256];
        snprintf(msg, sizeof msg, "neuron (%d,%d) is outside layer '%s', which is %dx%d at this image size", sp->x,
                 sp->y, layer, lw, lh);
        return perr(p, "%s", msg);
    }
    return FV_OK;
}

static fv_status parse_atom(parser *p, fv_obj_spec *sp)
{
    char head[FV_NAME_MAX], layer[FV_NAME_MAX];
    skip_ws(p);
    if (!read_name(p, head, sizeof head)) return perr(p, "expected a layer name or objective%s", "");
    if (*p->s != ':') return perr(p, "expected ':' after '%s'", head);
    p->s++;
    if (!strcmp(head, "logit") || !strcmp(head, "prob") || !strcmp(head, "probability")) {
        int t = head[0] == 'l' ? p->net->logits : p->net->probs;
        if (t < 0) return perr(p, "this model file has no classifier, so no '%s' objective", head);
        sp->kind = FV_OBJ_NEURON;
        sp->tensor = t;
        FV_TRY(read_int(p, &sp->channel, "a class index"));
        return check_channel(p, t, sp->channel);
    }
    if (!strcmp(head, "deepdream")) {
        if (!read_name(p, layer, sizeof layer)) return perr(p, "expected a layer after 'deepdream:'%s", "");
        sp->kind = FV_OBJ_DEEPDREAM;
        return find_layer(p, layer, &sp->tensor);
    }
    if (!strcmp(head, "direction") || !strcmp(head, "dir")) return parse_direction(p, sp);
    return parse_channel(p, sp, head, !strcmp(head, "neuron"));
}

static void canon_atom(const fv_net *net, const fv_obj_spec *sp, char *buf, size_t n)
{
    const char *name = fv_net_display_name(net, sp->tensor);
    switch (sp->kind) {
    case FV_OBJ_CHANNEL: snprintf(buf, n, "%s:%d", name, sp->channel); break;
    case FV_OBJ_NEURON:
        if (sp->tensor == net->logits) snprintf(buf, n, "logit:%d", sp->channel);
        else if (sp->tensor == net->probs) snprintf(buf, n, "prob:%d", sp->channel);
        else if (sp->has_pos) snprintf(buf, n, "%s:%d@%d,%d", name, sp->channel, sp->x, sp->y);
        else snprintf(buf, n, "neuron:%s:%d", name, sp->channel);
        break;
    case FV_OBJ_DEEPDREAM: snprintf(buf, n, "deepdream:%s", name); break;
    case FV_OBJ_DIRECTION: snprintf(buf, n, "direction:%s:%s", name, sp->path); break;
    }
}

fv_status fv_objective_parse(const fv_net *net, const char *text, int h, int w, fv_objective *out)
{
    memset(out, 0, sizeof *out);
    int *hs = malloc(sizeof(int) * net->ntensors), *ws = malloc(sizeof(int) * net->ntensors);
    if (!hs || !ws) {
        free(hs);
        free(ws);
        return fv_fail(FV_ERR_NOMEM, "objective: out of memory");
    }
    fv_status st = FV_OK;
    parser p = {net, text, text, hs, ws, h, w, fv_net_shapes(net, h, w, hs, ws) == FV_OK};
    size_t len = 0;
    for (int first = 1; st == FV_OK; first = 0) {
        skip_ws(&p);
        if (!*p.s) {
            if (first) st = perr(&p, "empty objective%s", "");
            break;
        }
        float sign = 1;
        if (!first) {
            if (*p.s != '+' && *p.s != '-') {
                st = perr(&p, "expected '+' or '-' between terms, found '%.1s'", p.s);
                break;
            }
        }
        while (*p.s == '+' || *p.s == '-' || isspace((unsigned char)*p.s)) {
            if (*p.s == '-') sign = -sign;
            p.s++;
        }
        float weight = 1;
        if (isdigit((unsigned char)*p.s) || *p.s == '.') {
            char *end;
            weight = strtof(p.s, &end);
            if (!isfinite(weight)) { /* "1e99*..." overflows; its canonical "inf*" would not parse again */
                char num[48];
                snprintf(num, sizeof num, "%.*s", end - p.s < 40 ? (int)(end - p.s) : 40, p.s);
                st = perr(&p, "weight %s is not a finite number", num);
                break;
            }
            p.s = end;
            skip_ws(&p);
            if (*p.s != '*') {
                st = perr(&p, "expected '*' after the weight%s", "");
                break;
            }
            p.s++;
        }
        if (out->nterms == FV_OBJ_MAX_TERMS) {
            st = perr(&p, "more than %s terms", "16");
            break;
        }
        fv_obj_spec *sp = &out->terms[out->nterms];
        if ((st = parse_atom(&p, sp)) != FV_OK) {
            free(sp->dir);
            sp->dir = NULL;
            break;
        }
        sp->weight = sign * weight;
        out->nterms++;
        char atom[400];
        canon_atom(net, sp, atom, sizeof atom);
        const char *op = first ? (sp->weight < 0 ? "-" : "") : (sp->weight < 0 ? " - " : " + ");
        float mag = sp->weight < 0 ? -sp->weight : sp->weight;
        char wt[32] = "";
        if (mag != 1) snprintf(wt, sizeof wt, "%g*", mag);
        len += snprintf(out->canon + len, len < sizeof out->canon ? sizeof out->canon - len : 0, "%s%s%s", op, wt, atom);
        if (len >= sizeof out->canon) len = sizeof out->canon - 1;
    }
    free(hs);
    free(ws);
    if (st != FV_OK) fv_objective_free(out);
    return st;
}

void fv_objective_free(fv_objective *o)
{
    for (int i = 0; i < o->nterms; i++) {
        free(o->terms[i].dir);
        o->terms[i].dir = NULL;
    }
    o->nterms = 0;
}
