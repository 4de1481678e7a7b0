/* The network graph (net/graph.h): tensors and nodes, names and aliases, post-ReLU twins, each window's
 * padding for an input size, shape inference, what a set of targets needs, its memory and its cost. */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fv_status fv_net_init(fv_net *net)
{
    static _Atomic uint64_t next_id = 1;
    memset(net, 0, sizeof *net);
    net->id = next_id++;
    net->input = net->logits = net->probs = -1;
    net->std[0] = net->std[1] = net->std[2] = 1.0f;
    net->cap_tensors = 256;
    net->cap_nodes = 256;
    net->tensors = calloc(net->cap_tensors, sizeof *net->tensors);
    net->nodes = calloc(net->cap_nodes, sizeof *net->nodes);
    if (!net->tensors || !net->nodes) return fv_fail(FV_ERR_NOMEM, "network graph: out of memory");
    return FV_OK;
}

void fv_net_free(fv_net *net)
{
    free(net->tensors);
    free(net->nodes);
    memset(net, 0, sizeof *net);
}

static int grow(void **arr, int *cap, size_t elem)
{
    void *p = realloc(*arr, (size_t)*cap * 2 * elem);
    if (!p) return -1;
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)*cap * elem);
    *arr = p;
    *cap *= 2;
    return 0;
}

int fv_net_add_tensor(fv_net *net, const char *name, int c, int parent, int c0)
{
    if (net->ntensors == net->cap_tensors && grow((void **)&net->tensors, &net->cap_tensors, sizeof *net->tensors))
        return -1;
    fv_net_tensor *t = &net->tensors[net->ntensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->c = c;
    t->parent = parent;
    t->c0 = c0;
    t->producer = -1;
    return net->ntensors++;
}

int fv_net_add_node(fv_net *net, const fv_net_node *node)
{
    if (net->nnodes == net->cap_nodes && grow((void **)&net->nodes, &net->cap_nodes, sizeof *net->nodes)) return -1;
    net->nodes[net->nnodes] = *node;
    net->tensors[node->out].producer = net->nnodes;
    return net->nnodes++;
}

int fv_net_find(const fv_net *net, const char *name)
{
    for (int i = 0; i < net->ntensors; i++) {
        const fv_net_tensor *t = &net->tensors[i];
        if (!strcmp(t->name, name) || (t->alias[0][0] && !strcmp(t->alias[0], name)) ||
            (t->alias[1][0] && !strcmp(t->alias[1], name)))
            return i;
    }
    return -1;
}

const char *fv_net_display_name(const fv_net *net, int t)
{
    return net->tensors[t].alias[0][0] ? net->tensors[t].alias[0] : net->tensors[t].name;
}

int fv_net_root(const fv_net *net, int t)
{
    while (net->tensors[t].parent >= 0) t = net->tensors[t].parent;
    return t;
}

static int relu_of(const fv_net *net, int t)
{
    for (int i = 0; i < net->nnodes; i++)
        if (net->nodes[i].kind == FV_NODE_RELU && net->nodes[i].in == t) return net->nodes[i].out;
    return -1;
}

int fv_net_post_relu(const fv_net *net, int t)
{
    if (t < 0 || t >= net->ntensors) return -1;
    int r = relu_of(net, t);
    if (r >= 0) return r;
    /* A concatenation: every part must feed a ReLU whose output is the same slice of one other buffer. */
    int twin = -1, parts = 0;
    for (int s = 0; s < net->ntensors; s++) {
        if (net->tensors[s].parent != t) continue;
        int q = relu_of(net, s);
        if (q < 0) return -1;
        const fv_net_tensor *qs = &net->tensors[q];
        if (qs->parent < 0 || qs->c0 != net->tensors[s].c0 || qs->c != net->tensors[s].c) return -1;
        if (twin >= 0 && qs->parent != twin) return -1;
        twin = qs->parent;
        parts++;
    }
    return parts && net->tensors[twin].c == net->tensors[t].c ? twin : -1;
}

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* The window of a node whose kh, kw are the extent its windows cover (a dilated convolution's, see below). */
static fv_status node_window(const fv_net_node *nd, int hin, int win, fv_window *wd, int *oh, int *ow)
{
    memset(wd, 0, sizeof *wd);
    wd->kh = nd->kh;
    wd->kw = nd->kw;
    wd->sh = nd->sh;
    wd->sw = nd->sw;
    switch (nd->rule) {
    case FV_PADRULE_EXPLICIT:
        wd->pad_t = wd->pad_b = nd->pad_h;
        wd->pad_l = wd->pad_r = nd->pad_w;
        break;
    case FV_PADRULE_CEIL: {
        /* Caffe pooling: round the output size up, but never start a window inside the bottom padding. */
        int o[2], in[2] = {hin, win}, k[2] = {nd->kh, nd->kw}, s[2] = {nd->sh, nd->sw}, p[2] = {nd->pad_h, nd->pad_w};
        int hi[2];
        for (int a = 0; a < 2; a++) {
            o[a] = ceil_div(in[a] + 2 * p[a] - k[a], s[a]) + 1;
            if (p[a] > 0 && (o[a] - 1) * s[a] >= in[a] + p[a]) o[a]--;
            hi[a] = (o[a] - 1) * s[a] + k[a] - in[a] - p[a];
            if (hi[a] < 0) hi[a] = 0;
        }
        wd->pad_t = p[0];
        wd->pad_l = p[1];
        wd->pad_b = hi[0];
        wd->pad_r = hi[1];
        break;
    }
    case FV_PADRULE_SAME: {
        int o, tot;
        o = ceil_div(hin, nd->sh);
        tot = (o - 1) * nd->sh + nd->kh - hin;
        if (tot < 0) tot = 0;
        wd->pad_t = tot / 2;
        wd->pad_b = tot - tot / 2;
        o = ceil_div(win, nd->sw);
        tot = (o - 1) * nd->sw + nd->kw - win;
        if (tot < 0) tot = 0;
        wd->pad_l = tot / 2;
        wd->pad_r = tot - tot / 2;
        break;
    }
    case FV_PADRULE_EXPLICIT4:
        wd->pad_t = nd->pad_h, wd->pad_l = nd->pad_w, wd->pad_b = nd->pad_b, wd->pad_r = nd->pad_r;
        break;
    case FV_PADRULE_CEIL4: {
        /* ONNX ceil_mode: the output rounds up, but no window may start in the end padding or beyond it */
        int in[2] = {hin, win}, k[2] = {nd->kh, nd->kw}, s[2] = {nd->sh, nd->sw};
        int lo[2] = {nd->pad_h, nd->pad_w}, hi[2] = {nd->pad_b, nd->pad_r};
        for (int a = 0; a < 2; a++) {
            int o = ceil_div(in[a] + lo[a] + hi[a] - k[a], s[a]) + 1;
            if ((o - 1) * s[a] >= in[a] + lo[a]) o--;
            int need = (o - 1) * s[a] + k[a] - in[a] - lo[a];
            if (need > hi[a]) hi[a] = need; /* the rounded-up window's overhang reads as padding */
        }
        wd->pad_t = lo[0], wd->pad_l = lo[1], wd->pad_b = hi[0], wd->pad_r = hi[1];
        break;
    }
    case FV_PADRULE_VALID: break;
    case FV_PADRULE_GLOBAL:
        wd->kh = hin;
        wd->kw = win;
        wd->sh = wd->sw = 1;
        break;
    }
    if (hin + wd->pad_t + wd->pad_b < wd->kh || win + wd->pad_l + wd->pad_r < wd->kw)
        return fv_fail(FV_ERR_ARG, "layer '%s': its %dx%d input is smaller than its %dx%d window (input image too small)",
                       nd->name, win, hin, wd->kw, wd->kh);
    *oh = fv_window_out(hin, wd->kh, wd->sh, wd->pad_t, wd->pad_b);
    *ow = fv_window_out(win, wd->kw, wd->sw, wd->pad_l, wd->pad_r);
    return FV_OK;
}

/* The concrete window of a CONV/POOL node for an hin x win input; *oh, *ow get the output size. A dilated
 * convolution's padding and output follow from its dilated extent, while wd keeps its kernel's kh, kw. */
fv_status fv_net_node_window(const fv_net_node *nd, int hin, int win, fv_window *wd, int *oh, int *ow)
{
    if (nd->kind != FV_NODE_CONV || nd->rule == FV_PADRULE_GLOBAL || (nd->dil_h <= 1 && nd->dil_w <= 1))
        return node_window(nd, hin, win, wd, oh, ow);
    fv_net_node e = *nd;
    e.kh = (nd->kh - 1) * (nd->dil_h > 1 ? nd->dil_h : 1) + 1;
    e.kw = (nd->kw - 1) * (nd->dil_w > 1 ? nd->dil_w : 1) + 1;
    FV_TRY(node_window(&e, hin, win, wd, oh, ow));
    wd->kh = nd->kh;
    wd->kw = nd->kw;
    return FV_OK;
}

/* The output size of a node other than CONV/POOL (oh, ow hold its input's on entry). */
static fv_status node_shape(const fv_net *net, const fv_net_node *nd, int hin, int win, int *oh, int *ow)
{
    if (nd->kind == FV_NODE_FC) {
        *oh = *ow = 1;
    } else if (nd->kind == FV_NODE_PAD) {
        *oh = hin + nd->pad_h + nd->pad_b;
        *ow = win + nd->pad_w + nd->pad_r;
    } else if (nd->kind == FV_NODE_COPY && nd->flatten) {
        long feats = (long)net->tensors[nd->in].c * hin * win;
        if (feats != net->tensors[nd->out].c)
            return fv_fail(FV_ERR_ARG, "layer '%s': flattening %dx%d gives %ld features, not the %d of '%s' (input image "
                           "of another size than the model's)", nd->name, win, hin, feats, net->tensors[nd->out].c,
                           net->tensors[nd->out].name);
        *oh = *ow = 1;
    }
    return FV_OK;
}

/* A BINARY node's second operand: of the first's shape, or broadcast from 1 channel and / or 1x1. */
static fv_status binary_shape(const fv_net *net, const fv_net_node *nd, const int *hs, const int *ws)
{
    const int a = nd->in, b = nd->in2;
    if (b < 0 || b >= net->ntensors || hs[b] < 1)
        return fv_fail(FV_ERR_ARG, "layer '%s': second input has no shape (graph order)", nd->name);
    int cb = net->tensors[b].c, ca = net->tensors[a].c;
    if ((cb != ca && cb != 1) || !((hs[b] == hs[a] && ws[b] == ws[a]) || (hs[b] == 1 && ws[b] == 1)))
        return fv_fail(FV_ERR_SHAPE, "layer '%s': '%s' (%d, %dx%d) cannot be broadcast to '%s' (%d, %dx%d)", nd->name,
                       net->tensors[b].name, cb, ws[b], hs[b], net->tensors[a].name, ca, ws[a], hs[a]);
    return FV_OK;
}

fv_status fv_net_shapes(const fv_net *net, int h, int w, int *hs, int *ws)
{
    return fv_net_shapes_part(net, h, w, NULL, hs, ws);
}

fv_status fv_net_shapes_for(const fv_net *net, int h, int w, const int *targets, int ntargets, int *hs, int *ws)
{
    char *tneed = calloc((size_t)net->ntensors, 1), *nneed = calloc(net->nnodes ? (size_t)net->nnodes : 1, 1);
    fv_status st = tneed && nneed ? FV_OK : fv_fail(FV_ERR_NOMEM, "shapes: out of memory");
    for (int i = 0; st == FV_OK && i < ntargets; i++) fv_net_need(net, targets[i], tneed, nneed);
    if (st == FV_OK) st = fv_net_shapes_part(net, h, w, nneed, hs, ws);
    free(tneed);
    free(nneed);
    return st;
}

fv_status fv_net_shapes_part(const fv_net *net, int h, int w, const char *nneed, int *hs, int *ws)
{
    for (int i = 0; i < net->ntensors; i++) hs[i] = ws[i] = -1;
    hs[net->input] = h;
    ws[net->input] = w;
    for (int i = 0; i < net->nnodes; i++) {
        const fv_net_node *nd = &net->nodes[i];
        if (nneed && !nneed[i]) continue; /* not on the way to what is asked: its shape stays -1 */
        int hin = hs[nd->in], win = ws[nd->in], oh = hin, ow = win;
        if (hin < 1) return fv_fail(FV_ERR_ARG, "layer '%s': input has no shape (graph order)", nd->name);
        if (nd->kind == FV_NODE_CONV || nd->kind == FV_NODE_POOL) {
            fv_window wd;
            FV_TRY(fv_net_node_window(nd, hin, win, &wd, &oh, &ow));
        } else {
            FV_TRY(node_shape(net, nd, hin, win, &oh, &ow));
        }
        if (nd->kind == FV_NODE_BINARY) FV_TRY(binary_shape(net, nd, hs, ws));
        for (int t = nd->out; t >= 0; t = net->tensors[t].parent) {
            if (hs[t] >= 0 && (hs[t] != oh || ws[t] != ow))
                return fv_fail(FV_ERR_SHAPE, "layer '%s' gives %dx%d but '%s' is %dx%d", nd->name, ow, oh,
                               net->tensors[t].name, ws[t], hs[t]);
            hs[t] = oh;
            ws[t] = ow;
        }
    }
    return FV_OK;
}

void fv_net_need(const fv_net *net, int t, char *tneed, char *nneed)
{
    if (tneed[t]) return;
    tneed[t] = 1;
    for (int s = 0; s < net->ntensors; s++)
        if (net->tensors[s].parent == t) fv_net_need(net, s, tneed, nneed);
    int p = net->tensors[t].producer;
    if (p >= 0) {
        nneed[p] = 1;
        fv_net_need(net, net->nodes[p].in, tneed, nneed);
        const int in2 = net->nodes[p].in2;
        if (net->nodes[p].kind == FV_NODE_BINARY && in2 >= 0 && in2 < net->ntensors) fv_net_need(net, in2, tneed, nneed);
    }
}

void fv_net_root_floats(const fv_net *net, const int *hs, const int *ws, const char *live, size_t *per_root)
{
    for (int t = 0; t < net->ntensors; t++)
        per_root[t] = live[t] && net->tensors[t].parent < 0 ? (size_t)net->tensors[t].c * hs[t] * ws[t] : 0;
}

size_t fv_net_floats_per_image(const fv_net *net, int h, int w, const int *targets, int ntargets)
{
    const int T = net->ntensors;
    int *hs = malloc(sizeof(int) * T), *ws = malloc(sizeof(int) * T);
    char *live = calloc(T, 1), *needed = calloc(net->nnodes ? net->nnodes : 1, 1);
    size_t *per = malloc(sizeof(size_t) * T), total = 0;
    if (hs && ws && live && needed && per) for (int i = 0; i < ntargets; i++) fv_net_need(net, targets[i], live, needed);
    if (hs && ws && live && needed && per && fv_net_shapes_part(net, h, w, needed, hs, ws) == FV_OK) {
        live[net->input] = 1;
        for (int t = 0; t < T; t++)
            if (live[t]) live[fv_net_root(net, t)] = 1;
        fv_net_root_floats(net, hs, ws, live, per);
        for (int t = 0; t < T; t++) total += per[t];
    }
    free(hs);
    free(ws);
    free(live);
    free(needed);
    free(per);
    return total;
}

double fv_net_forward_macs(const fv_net *net, int h, int w, const int *targets, int ntargets)
{
    const int T = net->ntensors;
    int *hs = malloc(sizeof(int) * T), *ws = malloc(sizeof(int) * T);
    char *live = calloc(T, 1), *needed = calloc(net->nnodes ? net->nnodes : 1, 1);
    double macs = 0;
    if (hs && ws && live && needed) for (int i = 0; i < ntargets; i++) fv_net_need(net, targets[i], live, needed);
    if (hs && ws && live && needed && fv_net_shapes_part(net, h, w, needed, hs, ws) == FV_OK) {
        for (int i = 0; i < net->nnodes; i++) {
            const fv_net_node *nd = &net->nodes[i];
            if (!needed[i]) continue;
            if (nd->kind == FV_NODE_CONV)
                macs += (double)nd->cout * nd->cin / (nd->groups > 1 ? nd->groups : 1) * nd->kh * nd->kw *
                        hs[nd->out] * ws[nd->out];
            else if (nd->kind == FV_NODE_FC)
                macs += (double)nd->cout * nd->cin;
        }
    }
    free(hs);
    free(ws);
    free(live);
    free(needed);
    return macs;
}
