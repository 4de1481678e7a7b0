/* The plan (net/plan.h): buffers for one batch size and one or more input sizes, sized once, then forward
 * to the deepest needed tensor and input-gradient backward. Nothing here allocates after creation. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

static void net_weights_unuse(void *weights);

void fv_plan_free(fv_plan *p)
{
    if (!p) return;
    fv_backend *be = p->be;
    net_weights_unuse(p->weights); /* the copy stays for the next plan of this network */
    if (be) {
        fv_backend_free(be, p->act_mem);
        fv_backend_free(be, p->grad_mem);
        fv_backend_free(be, p->work);
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
        int r = fv_net_root(net, t), c0 = 0;
        for (int s = t; s != r; s = net->tensors[s].parent) c0 += net->tensors[s].c0;
        const fv_net_tensor *rt = &net->tensors[r];
        fv_tensor a = fv_tensor_make(p->act_mem + p->offset[r], p->n, rt->c, p->hs[r], p->ws[r]);
        fv_tensor g = fv_tensor_make(p->grad_mem + p->offset[r], p->n, rt->c, p->hs[r], p->ws[r]);
        p->act[t] = fv_tensor_slice(a, c0, net->tensors[t].c);
        p->grad[t] = fv_tensor_slice(g, c0, net->tensors[t].c);
    }
}

/* A CONV node's descriptor for an hin x win input. */
static fv_status conv_desc(const fv_net_node *nd, int hin, int win, fv_conv_desc *d)
{
    int oh, ow;
    memset(d, 0, sizeof *d);
    d->cin = nd->cin;
    d->cout = nd->cout;
    d->groups = nd->groups;
    d->dil_h = nd->dil_h;
    d->dil_w = nd->dil_w;
    return fv_net_node_window(nd, hin, win, &d->win, &oh, &ow);
}

/* A POOL node's descriptor: over_b, over_r are what ceil-mode rounding added to the node's own end pads. */
static fv_status pool_desc(const fv_net_node *nd, int hin, int win, fv_pool_desc *d)
{
    int oh, ow;
    memset(d, 0, sizeof *d);
    d->kind = nd->pool;
    d->count_pad = nd->count_pad;
    FV_TRY(fv_net_node_window(nd, hin, win, &d->win, &oh, &ow));
    if (nd->rule == FV_PADRULE_CEIL4 || nd->rule == FV_PADRULE_CEIL) {
        int pb = nd->rule == FV_PADRULE_CEIL4 ? nd->pad_b : nd->pad_h, pr = nd->rule == FV_PADRULE_CEIL4 ? nd->pad_r : nd->pad_w;
        d->over_b = d->win.pad_b > pb ? d->win.pad_b - pb : 0;
        d->over_r = d->win.pad_r > pr ? d->win.pad_r - pr : 0;
    }
    return FV_OK;
}

/* Floats each live root needs at (h, w) into need[] (max with what is there), and the conv workspace. */
static fv_status plan_measure(fv_plan *p, int h, int w, size_t *need, size_t *work)
{
    const fv_net *net = p->net;
    FV_TRY(fv_net_shapes_part(net, h, w, p->needed, p->hs, p->ws));
    size_t *per = malloc(sizeof(size_t) * net->ntensors);
    if (!per) return fv_fail(FV_ERR_NOMEM, "plan: out of memory");
    fv_net_root_floats(net, p->hs, p->ws, p->live, per);
    for (int t = 0; t < net->ntensors; t++)
        if (p->n * per[t] > need[t]) need[t] = p->n * per[t];
    free(per);
    for (int i = 0; i < net->nnodes; i++) {
        const fv_net_node *nd = &net->nodes[i];
        if (!p->needed[i] || nd->kind != FV_NODE_CONV) continue;
        fv_conv_desc d;
        FV_TRY(conv_desc(nd, p->hs[nd->in], p->ws[nd->in], &d));
        size_t ws = fv_conv2d_workspace(p->be, &d, p->n, p->hs[nd->in], p->ws[nd->in]);
        if (ws > *work) *work = ws;
    }
    return FV_OK;
}

/* A network's weights in backend memory, uploaded once per backend instance and kept there (be->keep, a list)
 * for every later plan of the same network: a batch run's passes upload nothing. Keyed by the graph's id, which
 * is never reused, so a freed and reloaded model can never meet stale weights. Each copy counts the plans that
 * use it; a copy no plan uses is released when another network's weights arrive (or the instance closes),
 * never while a plan still reads it. */
typedef struct net_weights {
    uint64_t net_id;
    int users; /* live plans reading this copy */
    void *mem;
    const float **dw, **db; /* per node */
    struct net_weights *next;
} net_weights;

static size_t align_floats(size_t n) { return (n + FV_PLAN_ALIGN_FLOATS - 1) / FV_PLAN_ALIGN_FLOATS * FV_PLAN_ALIGN_FLOATS; }

/* Floats of a node's w: FC (cout, cin), AFFINE its cout scales, CONV (cout, cin/groups, kh, kw). */
static size_t node_weights(const fv_net_node *nd)
{
    if (nd->kind == FV_NODE_FC) return (size_t)nd->cout * nd->cin;
    if (nd->kind == FV_NODE_AFFINE) return (size_t)nd->cout;
    return (size_t)nd->cout * (nd->cin / (nd->groups > 1 ? nd->groups : 1)) * nd->kh * nd->kw;
}

static void net_weights_free_one(fv_backend *be, net_weights *c)
{
    if (c->mem) fv_backend_free(be, c->mem);
    free(c->dw);
    free(c->db);
    free(c);
}

/* The instance closes (no plan may outlive it): every copy goes. */
static void net_weights_free(fv_backend *be, void *keep)
{
    for (net_weights *c = keep, *next; c; c = next) {
        next = c->next;
        net_weights_free_one(be, c);
    }
}

static void net_weights_unuse(void *weights)
{
    if (weights) ((net_weights *)weights)->users--;
}

/* Copies of other networks that no plan uses any more. */
static void net_weights_prune(fv_backend *be, uint64_t keep_id)
{
    net_weights **link = (net_weights **)&be->keep;
    while (*link) {
        net_weights *c = *link;
        if (c->users == 0 && c->net_id != keep_id) {
            *link = c->next;
            net_weights_free_one(be, c);
        } else {
            link = &c->next;
        }
    }
}

/* Uploads every node's weights (not only what one plan needs: a deeper pass later finds them too). */
static fv_status upload_weights(fv_backend *be, const fv_net *net, net_weights **out)
{
    net_weights *c = calloc(1, sizeof *c);
    const int N = net->nnodes;
    if (!c || !(c->dw = calloc(N ? N : 1, sizeof *c->dw)) || !(c->db = calloc(N ? N : 1, sizeof *c->db))) {
        if (c) net_weights_free_one(be, c);
        return fv_fail(FV_ERR_NOMEM, "plan: out of memory");
    }
    c->net_id = net->id;
    /* Every array starts on a 256-byte boundary, as the activations do: cuDNN's vectorised algorithms refuse
     * weights that are not 16-byte aligned (an affine node's 3 floats would shift everything after it). */
    size_t total = 0, off = 0;
    for (int i = 0; i < N; i++)
        if (net->nodes[i].w)
            total += align_floats(node_weights(&net->nodes[i])) + (net->nodes[i].b ? align_floats(net->nodes[i].cout) : 0);
    fv_status st = total ? fv_backend_alloc(be, &c->mem, total * sizeof(float)) : FV_OK;
    for (int i = 0; st == FV_OK && i < N; i++) {
        const fv_net_node *nd = &net->nodes[i];
        if (!nd->w) continue;
        float *base = (float *)c->mem + off;
        const size_t cnt = node_weights(nd);
        st = fv_backend_upload(be, base, nd->w, cnt * sizeof(float));
        c->dw[i] = base;
        off += align_floats(cnt);
        if (st == FV_OK && nd->b) {
            st = fv_backend_upload(be, base + align_floats(cnt), nd->b, (size_t)nd->cout * sizeof(float));
            c->db[i] = base + align_floats(cnt);
            off += align_floats(nd->cout);
        }
    }
    if (st != FV_OK) {
        net_weights_free_one(be, c);
        return st;
    }
    *out = c;
    return FV_OK;
}

/* Weights of the nodes the plan runs: used in place on a host backend, else the instance's device copy. */
static fv_status plan_weights(fv_plan *p)
{
    const fv_net *net = p->net;
    fv_backend *be = p->be;
    if (be->iface->host_memory) {
        for (int i = 0; i < net->nnodes; i++)
            if (p->needed[i] && net->nodes[i].w) p->dw[i] = net->nodes[i].w, p->db[i] = net->nodes[i].b;
        return FV_OK;
    }
    if (be->keep && be->keep_free != net_weights_free) { /* nothing else is kept there, but never mix */
        be->keep_free(be, be->keep);
        be->keep = NULL;
    }
    be->keep_free = net_weights_free;
    net_weights_prune(be, net->id);
    net_weights *c = be->keep;
    while (c && c->net_id != net->id) c = c->next;
    if (!c) {
        FV_TRY(upload_weights(be, net, &c));
        c->next = be->keep;
        be->keep = c;
    }
    c->users++;
    p->weights = c;
    for (int i = 0; i < net->nnodes; i++)
        if (p->needed[i]) p->dw[i] = c->dw[i], p->db[i] = c->db[i];
    return FV_OK;
}

fv_status fv_plan_create(const fv_net *net, fv_backend *be, int n, int h, int w, const int *targets,
                         int ntargets, fv_plan **out)
{
    return fv_plan_create_sizes(net, be, n, &h, &w, 1, targets, ntargets, out);
}

fv_status fv_plan_create_sizes(const fv_net *net, fv_backend *be, int n, const int *h, const int *w,
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
    for (int i = 0; i < ntargets; i++) fv_net_need(net, targets[i], p->live, p->needed);
    p->live[net->input] = 1;
    /* Every live tensor's root holds the memory (slices are views into it), sized for the largest of the
     * input sizes: each root gets the most any of them needs, and so does the conv workspace. */
    for (int t = 0; t < T; t++)
        if (p->live[t]) p->live[fv_net_root(net, t)] = 1;
    size_t work = 0;
    for (int k = nsizes - 1; k >= 0; k--)
        if ((st = plan_measure(p, h[k], w[k], p->cap, &work)) != FV_OK) goto fail;
    /* Every root starts on a 256-byte boundary (64 floats): cuDNN and vectorised kernels want aligned
     * buffers, and a packed arena of odd-sized tensors (97 px) would leave most of them 4-byte aligned. */
    size_t total = 0;
    for (int t = 0; t < T; t++) {
        p->offset[t] = total;
        total += (p->cap[t] + FV_PLAN_ALIGN_FLOATS - 1) / FV_PLAN_ALIGN_FLOATS * FV_PLAN_ALIGN_FLOATS;
    }
    p->h = h[0];
    p->w = w[0];
    p->act_floats = total;
    p->work_floats = work;
    if ((st = fv_backend_alloc(be, (void **)&p->act_mem, total * sizeof(float))) != FV_OK ||
        (st = fv_backend_alloc(be, (void **)&p->grad_mem, total * sizeof(float))) != FV_OK ||
        (st = fv_backend_alloc(be, (void **)&p->work, (work ? work : 1) * sizeof(float))) != FV_OK)
        goto fail;
    plan_views(p);
    if ((st = plan_weights(p)) != FV_OK) goto fail;
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
        fv_net_shapes_part(p->net, p->h, p->w, p->needed, p->hs, p->ws); /* back to the size the views describe */
        return st;
    }
    p->h = h;
    p->w = w;
    plan_views(p);
    return FV_OK;
}

/* A PAD node's four pads, as a window (the op reads only those). */
static fv_window pad_window(const fv_net_node *nd)
{
    fv_window w = {0};
    w.pad_t = nd->pad_h, w.pad_l = nd->pad_w, w.pad_b = nd->pad_b, w.pad_r = nd->pad_r;
    return w;
}

static fv_status node_forward(fv_plan *p, int i)
{
    const fv_net_node *nd = &p->net->nodes[i];
    fv_backend *be = p->be;
    fv_tensor x = p->act[nd->in], y = p->act[nd->out];
    switch (nd->kind) {
    case FV_NODE_CONV: {
        fv_conv_desc d;
        FV_TRY(conv_desc(nd, x.h, x.w, &d));
        return fv_conv2d_fwd(be, &d, x, p->dw[i], p->db[i], y, p->work);
    }
    case FV_NODE_RELU: return fv_relu_fwd(be, x, y);
    case FV_NODE_POOL: {
        fv_pool_desc d;
        FV_TRY(pool_desc(nd, x.h, x.w, &d));
        return fv_pool_fwd(be, &d, x, y);
    }
    case FV_NODE_LRN: return fv_lrn_fwd(be, &nd->lrn, x, y);
    case FV_NODE_FC: return fv_fc_fwd(be, x, p->dw[i], p->db[i], nd->cout, y);
    case FV_NODE_SOFTMAX: return fv_softmax_fwd(be, x, y);
    case FV_NODE_ACT: return fv_act_fwd(be, &nd->act, x, y);
    case FV_NODE_BINARY: return fv_binary_fwd(be, nd->bin, x, p->act[nd->in2], y);
    case FV_NODE_AFFINE: return fv_affine_fwd(be, x, p->dw[i], p->db[i], y);
    case FV_NODE_PAD: {
        fv_window w = pad_window(nd);
        return fv_pad_fwd(be, &w, nd->pad_value, x, y);
    }
    case FV_NODE_COPY: return fv_copy_fwd(be, x, y);
    }
    return fv_fail(FV_ERR_ARG, "node '%s': unknown kind", nd->name);
}

/* Every backward accumulates into its input's gradient, so a tensor read by several nodes (a residual
 * block's skip, a BINARY node's two operands) collects the sum of their contributions. */
static fv_status node_backward(fv_plan *p, int i, int redirect)
{
    const fv_net_node *nd = &p->net->nodes[i];
    fv_backend *be = p->be;
    fv_tensor x = p->act[nd->in], y = p->act[nd->out], dx = p->grad[nd->in], dy = p->grad[nd->out];
    switch (nd->kind) {
    case FV_NODE_CONV: {
        fv_conv_desc d;
        FV_TRY(conv_desc(nd, x.h, x.w, &d));
        return fv_conv2d_bwd_data(be, &d, dy, p->dw[i], dx, p->work);
    }
    case FV_NODE_RELU: return fv_relu_bwd(be, x, dy, dx, redirect);
    case FV_NODE_POOL: {
        fv_pool_desc d;
        FV_TRY(pool_desc(nd, x.h, x.w, &d));
        return fv_pool_bwd(be, &d, x, y, dy, dx);
    }
    case FV_NODE_LRN: return fv_lrn_bwd(be, &nd->lrn, x, y, dy, dx);
    case FV_NODE_FC: return fv_fc_bwd(be, dy, p->dw[i], dx);
    case FV_NODE_SOFTMAX: return fv_softmax_bwd(be, y, dy, dx);
    case FV_NODE_ACT: return fv_act_bwd(be, &nd->act, x, dy, dx);
    case FV_NODE_BINARY:
        return fv_binary_bwd(be, nd->bin, x, p->act[nd->in2], dy, dx, p->grad[nd->in2]);
    case FV_NODE_AFFINE: return fv_affine_bwd(be, dy, p->dw[i], dx);
    case FV_NODE_PAD: {
        fv_window w = pad_window(nd);
        return fv_pad_bwd(be, &w, dy, dx);
    }
    case FV_NODE_COPY: return fv_copy_bwd(be, dy, dx);
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

fv_status fv_plan_zero_grad(fv_plan *p) { return fv_backend_zero(p->be, p->grad_mem, p->act_floats * sizeof(float)); }

fv_status fv_plan_backward(fv_plan *p, int redirect_relu)
{
    for (int i = p->net->nnodes - 1; i >= 0; i--)
        if (p->needed[i]) {
            fv_status st = node_backward(p, i, redirect_relu);
            if (st != FV_OK) return fv_fail_ctx(st, "backward '%s'", p->net->nodes[i].name);
        }
    return FV_OK;
}
