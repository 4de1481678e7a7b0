/* Network graph bookkeeping, shape inference and the plan: buffers sized once, forward to the
 * deepest needed tensor, input-gradient backward. Nothing here allocates after fv_plan_create. */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fv_status fv_net_init(fv_net *net)
{
    memset(net, 0, sizeof *net);
    net->input = net->logits = net->probs = -1;
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

static int root_of(const fv_net *net, int t)
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

/* The concrete window of a CONV/POOL node for an hin x win input; *oh, *ow get the output size. */
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

fv_status fv_net_shapes(const fv_net *net, int h, int w, int *hs, int *ws)
{
    for (int i = 0; i < net->ntensors; i++) hs[i] = ws[i] = -1;
    hs[net->input] = h;
    ws[net->input] = w;
    for (int i = 0; i < net->nnodes; i++) {
        const fv_net_node *nd = &net->nodes[i];
        int hin = hs[nd->in], win = ws[nd->in], oh = hin, ow = win;
        if (hin < 1) return fv_fail(FV_ERR_ARG, "layer '%s': input has no shape (graph order)", nd->name);
        if (nd->kind == FV_NODE_CONV || nd->kind == FV_NODE_POOL) {
            fv_window wd;
            FV_TRY(node_window(nd, hin, win, &wd, &oh, &ow));
        } else if (nd->kind == FV_NODE_FC) {
            oh = ow = 1;
        }
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

static void need_tensor(const fv_net *net, int t, char *tneed, char *nneed)
{
    if (tneed[t]) return;
    tneed[t] = 1;
    for (int s = 0; s < net->ntensors; s++)
        if (net->tensors[s].parent == t) need_tensor(net, s, tneed, nneed);
    int p = net->tensors[t].producer;
    if (p >= 0) {
        nneed[p] = 1;
        need_tensor(net, net->nodes[p].in, tneed, nneed);
    }
}

size_t fv_net_floats_per_image(const fv_net *net, int h, int w, const int *targets, int ntargets)
{
    const int T = net->ntensors;
    int *hs = malloc(sizeof(int) * T), *ws = malloc(sizeof(int) * T);
    char *live = calloc(T, 1), *needed = calloc(net->nnodes ? net->nnodes : 1, 1), *root_live = calloc(T, 1);
    size_t total = 0;
    if (hs && ws && live && needed && root_live && fv_net_shapes(net, h, w, hs, ws) == FV_OK) {
        for (int i = 0; i < ntargets; i++) need_tensor(net, targets[i], live, needed);
        live[net->input] = 1;
        for (int t = 0; t < T; t++)
            if (live[t]) root_live[root_of(net, t)] = 1;
        for (int t = 0; t < T; t++)
            if (root_live[t]) total += (size_t)net->tensors[t].c * hs[t] * ws[t];
    }
    free(hs);
    free(ws);
    free(live);
    free(needed);
    free(root_live);
    return total;
}

double fv_net_forward_macs(const fv_net *net, int h, int w, const int *targets, int ntargets)
{
    const int T = net->ntensors;
    int *hs = malloc(sizeof(int) * T), *ws = malloc(sizeof(int) * T);
    char *live = calloc(T, 1), *needed = calloc(net->nnodes ? net->nnodes : 1, 1);
    double macs = 0;
    if (hs && ws && live && needed && fv_net_shapes(net, h, w, hs, ws) == FV_OK) {
        for (int i = 0; i < ntargets; i++) need_tensor(net, targets[i], live, needed);
        for (int i = 0; i < net->nnodes; i++) {
            const fv_net_node *nd = &net->nodes[i];
            if (!needed[i]) continue;
            if (nd->kind == FV_NODE_CONV)
                macs += (double)nd->cout * nd->cin * nd->kh * nd->kw * hs[nd->out] * ws[nd->out];
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

void fv_plan_free(fv_plan *p)
{
    if (!p) return;
    const fv_backend_i *be = p->be;
    if (be) {
        be->free(p->act_mem);
        be->free(p->grad_mem);
        be->free(p->work);
        be->free(p->weights_mem);
    }
    free(p->hs);
    free(p->ws);
    free(p->needed);
    free(p->live);
    free(p->act);
    free(p->grad);
    free(p->dw);
    free(p->db);
    free(p->offset);
    free(p->cap);
    free(p);
}

/* Views of every live tensor for the plan's current (h, w): roots at their arena offsets, slices inside. */
static void plan_views(fv_plan *p)
{
    const fv_net *net = p->net;
    for (int t = 0; t < net->ntensors; t++) {
        if (!p->live[t]) continue;
        int r = root_of(net, t), c0 = 0;
        for (int s = t; s != r; s = net->tensors[s].parent) c0 += net->tensors[s].c0;
        const fv_net_tensor *rt = &net->tensors[r];
        fv_tensor a = fv_tensor_make(p->act_mem + p->offset[r], p->n, rt->c, p->hs[r], p->ws[r]);
        fv_tensor g = fv_tensor_make(p->grad_mem + p->offset[r], p->n, rt->c, p->hs[r], p->ws[r]);
        p->act[t] = fv_tensor_slice(a, c0, net->tensors[t].c);
        p->grad[t] = fv_tensor_slice(g, c0, net->tensors[t].c);
    }
}

/* Floats each live root needs at (h, w) into need[] (max with what is there), and the conv workspace. */
static fv_status plan_measure(fv_plan *p, int h, int w, size_t *need, size_t *work)
{
    const fv_net *net = p->net;
    FV_TRY(fv_net_shapes(net, h, w, p->hs, p->ws));
    for (int t = 0; t < net->ntensors; t++) {
        if (!p->live[t] || net->tensors[t].parent >= 0) continue;
        size_t k = (size_t)p->n * net->tensors[t].c * p->hs[t] * p->ws[t];
        if (k > need[t]) need[t] = k;
    }
    for (int i = 0; i < net->nnodes; i++) {
        const fv_net_node *nd = &net->nodes[i];
        if (!p->needed[i] || nd->kind != FV_NODE_CONV) continue;
        fv_conv_desc d;
        int oh, ow;
        FV_TRY(node_window(nd, p->hs[nd->in], p->ws[nd->in], &d.win, &oh, &ow));
        d.cin = nd->cin;
        d.cout = nd->cout;
        size_t ws = p->be->conv2d_workspace(&d, p->n, p->hs[nd->in], p->ws[nd->in]);
        if (ws > *work) *work = ws;
    }
    return FV_OK;
}

fv_status fv_plan_create(const fv_net *net, const fv_backend_i *be, int n, int h, int w, const int *targets,
                         int ntargets, fv_plan **out)
{
    return fv_plan_create_sizes(net, be, n, &h, &w, 1, targets, ntargets, out);
}

fv_status fv_plan_create_sizes(const fv_net *net, const fv_backend_i *be, int n, const int *h, const int *w,
                               int nsizes, const int *targets, int ntargets, fv_plan **out)
{
    *out = NULL;
    if (nsizes < 1) return fv_fail(FV_ERR_ARG, "plan: no input size");
    fv_plan *p = calloc(1, sizeof *p);
    if (!p) return fv_fail(FV_ERR_NOMEM, "plan: out of memory");
    p->net = net;
    p->be = be;
    p->n = n;
    const int T = net->ntensors, N = net->nnodes;
    p->hs = calloc(T, sizeof *p->hs);
    p->ws = calloc(T, sizeof *p->ws);
    p->needed = calloc(N ? N : 1, 1);
    p->live = calloc(T, 1);
    p->act = calloc(T, sizeof *p->act);
    p->grad = calloc(T, sizeof *p->grad);
    p->dw = calloc(N ? N : 1, sizeof *p->dw);
    p->db = calloc(N ? N : 1, sizeof *p->db);
    p->offset = calloc(T, sizeof *p->offset);
    p->cap = calloc(T, sizeof *p->cap);
    fv_status st = FV_OK;
    if (!p->hs || !p->ws || !p->needed || !p->live || !p->act || !p->grad || !p->dw || !p->db || !p->offset ||
        !p->cap) {
        st = fv_fail(FV_ERR_NOMEM, "plan: out of memory");
        goto fail;
    }
    for (int i = 0; i < ntargets; i++) need_tensor(net, targets[i], p->live, p->needed);
    p->live[net->input] = 1;
    /* Every live tensor's root holds the memory (slices are views into it), sized for the largest of the
     * input sizes: each root gets the most any of them needs, and so does the conv workspace. */
    for (int t = 0; t < T; t++)
        if (p->live[t]) p->live[root_of(net, t)] = 1;
    size_t work = 0;
    for (int k = nsizes - 1; k >= 0; k--)
        if ((st = plan_measure(p, h[k], w[k], p->cap, &work)) != FV_OK) goto fail;
    size_t total = 0;
    for (int t = 0; t < T; t++) {
        p->offset[t] = total;
        total += p->cap[t];
    }
    p->h = h[0];
    p->w = w[0];
    p->act_floats = total;
    p->work_floats = work;
    if ((st = be->alloc((void **)&p->act_mem, total * sizeof(float))) != FV_OK ||
        (st = be->alloc((void **)&p->grad_mem, total * sizeof(float))) != FV_OK ||
        (st = be->alloc((void **)&p->work, (work ? work : 1) * sizeof(float))) != FV_OK)
        goto fail;
    plan_views(p);
    /* Weights: used in place on a host backend, else copied once into one device block. */
    size_t wfloats = 0;
    for (int i = 0; i < N; i++)
        if (p->needed[i] && net->nodes[i].w) {
            const fv_net_node *nd = &net->nodes[i];
            size_t cnt = nd->kind == FV_NODE_FC ? (size_t)nd->cout * nd->cin : (size_t)nd->cout * nd->cin * nd->kh * nd->kw;
            wfloats += cnt + (nd->b ? (size_t)nd->cout : 0);
        }
    if (!be->host_memory && wfloats) {
        if ((st = be->alloc(&p->weights_mem, wfloats * sizeof(float))) != FV_OK) goto fail;
    }
    size_t woff = 0;
    for (int i = 0; i < N; i++) {
        const fv_net_node *nd = &net->nodes[i];
        if (!p->needed[i] || !nd->w) continue;
        if (be->host_memory) {
            p->dw[i] = nd->w;
            p->db[i] = nd->b;
            continue;
        }
        size_t cnt = nd->kind == FV_NODE_FC ? (size_t)nd->cout * nd->cin : (size_t)nd->cout * nd->cin * nd->kh * nd->kw;
        float *base = (float *)p->weights_mem + woff;
        if ((st = be->upload(base, nd->w, cnt * sizeof(float))) != FV_OK) goto fail;
        p->dw[i] = base;
        woff += cnt;
        if (nd->b) {
            if ((st = be->upload(base + cnt, nd->b, (size_t)nd->cout * sizeof(float))) != FV_OK) goto fail;
            p->db[i] = base + cnt;
            woff += nd->cout;
        }
    }
    *out = p;
    return FV_OK;
fail:
    fv_plan_free(p);
    return st;
}

fv_status fv_plan_resize(fv_plan *p, int h, int w)
{
    if (h == p->h && w == p->w) return FV_OK;
    size_t *need = calloc(p->net->ntensors, sizeof *need), work = 0;
    if (!need) return fv_fail(FV_ERR_NOMEM, "plan: out of memory");
    fv_status st = plan_measure(p, h, w, need, &work);
    for (int t = 0; st == FV_OK && t < p->net->ntensors; t++)
        if (need[t] > p->cap[t])
            st = fv_fail(FV_ERR_ARG, "plan: a %dx%d input needs more memory for '%s' than the plan was made for", w, h,
                         p->net->tensors[t].name);
    if (st == FV_OK && work > p->work_floats)
        st = fv_fail(FV_ERR_ARG, "plan: a %dx%d input needs a larger convolution workspace than the plan was made for",
                     w, h);
    free(need);
    if (st != FV_OK) {
        fv_net_shapes(p->net, p->h, p->w, p->hs, p->ws); /* back to the size the views describe */
        return st;
    }
    p->h = h;
    p->w = w;
    plan_views(p);
    return FV_OK;
}

static fv_status node_forward(fv_plan *p, int i)
{
    const fv_net_node *nd = &p->net->nodes[i];
    const fv_backend_i *be = p->be;
    fv_tensor x = p->act[nd->in], y = p->act[nd->out];
    switch (nd->kind) {
    case FV_NODE_CONV: {
        fv_conv_desc d = {.cin = nd->cin, .cout = nd->cout};
        int oh, ow;
        FV_TRY(node_window(nd, x.h, x.w, &d.win, &oh, &ow));
        return be->conv2d_fwd(&d, x, p->dw[i], p->db[i], y, p->work);
    }
    case FV_NODE_RELU: return be->relu_fwd(x, y);
    case FV_NODE_POOL: {
        fv_pool_desc d = {.kind = nd->pool};
        int oh, ow;
        FV_TRY(node_window(nd, x.h, x.w, &d.win, &oh, &ow));
        return be->pool_fwd(&d, x, y);
    }
    case FV_NODE_LRN: return be->lrn_fwd(&nd->lrn, x, y);
    case FV_NODE_FC: return be->fc_fwd(x, p->dw[i], p->db[i], nd->cout, y);
    case FV_NODE_SOFTMAX: return be->softmax_fwd(x, y);
    }
    return fv_fail(FV_ERR_ARG, "node '%s': unknown kind", nd->name);
}

static fv_status node_backward(fv_plan *p, int i, int redirect)
{
    const fv_net_node *nd = &p->net->nodes[i];
    const fv_backend_i *be = p->be;
    fv_tensor x = p->act[nd->in], y = p->act[nd->out], dx = p->grad[nd->in], dy = p->grad[nd->out];
    switch (nd->kind) {
    case FV_NODE_CONV: {
        fv_conv_desc d = {.cin = nd->cin, .cout = nd->cout};
        int oh, ow;
        FV_TRY(node_window(nd, x.h, x.w, &d.win, &oh, &ow));
        return be->conv2d_bwd_data(&d, dy, p->dw[i], dx, p->work);
    }
    case FV_NODE_RELU: return be->relu_bwd(x, dy, dx, redirect);
    case FV_NODE_POOL: {
        fv_pool_desc d = {.kind = nd->pool};
        int oh, ow;
        FV_TRY(node_window(nd, x.h, x.w, &d.win, &oh, &ow));
        return be->pool_bwd(&d, x, y, dy, dx);
    }
    case FV_NODE_LRN: return be->lrn_bwd(&nd->lrn, x, y, dy, dx);
    case FV_NODE_FC: return be->fc_bwd(dy, p->dw[i], dx);
    case FV_NODE_SOFTMAX: return be->softmax_bwd(y, dy, dx);
    }
    return fv_fail(FV_ERR_ARG, "node '%s': unknown kind", nd->name);
}

fv_status fv_plan_forward(fv_plan *p)
{
    for (int i = 0; i < p->net->nnodes; i++)
        if (p->needed[i]) {
            fv_status st = node_forward(p, i);
            if (st != FV_OK) return fv_fail_ctx(st, "forward '%s'", p->net->nodes[i].name);
        }
    return FV_OK;
}

fv_status fv_plan_zero_grad(fv_plan *p) { return p->be->zero(p->grad_mem, p->act_floats * sizeof(float)); }

fv_status fv_plan_backward(fv_plan *p, int redirect_relu)
{
    for (int i = p->net->nnodes - 1; i >= 0; i--)
        if (p->needed[i]) {
            fv_status st = node_backward(p, i, redirect_relu);
            if (st != FV_OK) return fv_fail_ctx(st, "backward '%s'", p->net->nodes[i].name);
        }
    return FV_OK;
}
