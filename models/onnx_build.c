/* The network graph of an ONNX file (onnx.h: fv_onnx_build): its one image input, then its nodes in
 * topological order, each turned into graph nodes by onnx_ops.c (BatchNormalization folded into the Conv
 * before it where that Conv feeds nothing else); then readable aliases (PyTorch's module paths, "logits",
 * "softmax") and a check that the graph's own shape inference agrees with the file's shapes. */
#include "onnx_build.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- value names ---------- */

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static int *slot_of(ob *b, const char *name)
{
    uint32_t i = hash(name) & (uint32_t)(b->nslots - 1);
    while (b->slots[i] && strcmp(b->vals[b->slots[i] - 1].name, name)) i = (i + 1) & (uint32_t)(b->nslots - 1);
    return &b->slots[i];
}

ob_val *ob_find(ob *b, const char *name)
{
    if (!name || !name[0]) return NULL;
    int s = *slot_of(b, name);
    return s ? &b->vals[s - 1] : NULL;
}

/* The value called `name`, made when new; NULL when out of memory. */
static ob_val *intern(ob *b, const char *name)
{
    int *s = slot_of(b, name);
    if (*s) return &b->vals[*s - 1];
    if (b->nvals == b->cap_vals) return NULL; /* sized up front: cannot happen */
    ob_val *v = &b->vals[b->nvals++];
    memset(v, 0, sizeof *v);
    v->name = name, v->producer = -1, v->t = -1;
    *s = b->nvals;
    return v;
}

/* ---------- helpers for the operators (onnx_build.h) ---------- */

static const char *node_name(const Onnx__NodeProto *n)
{
    return n->name && n->name[0] ? n->name : n->n_output ? n->output[0] : "?";
}

fv_status ob_fail(ob *b, const Onnx__NodeProto *n, fv_status st, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fv_fail(st, "%s: node '%s' (%s): %s", b->path, node_name(n), n->op_type ? n->op_type : "", msg);
}

const Onnx__AttributeProto *ob_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)) return n->attribute[i];
    return NULL;
}

int64_t ob_attr_i(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = ob_attr(n, name);
    return a && a->has_i ? a->i : def;
}

float ob_attr_f(const Onnx__NodeProto *n, const char *name, float def)
{
    const Onnx__AttributeProto *a = ob_attr(n, name);
    return a && a->has_f ? a->f : def;
}

int ob_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = ob_attr(n, name);
    int k = a ? (int)(a->n_ints < (size_t)max ? a->n_ints : (size_t)max) : 0;
    for (int i = 0; i < k; i++) out[i] = a->ints[i];
    return a ? (int)a->n_ints : 0;
}

void ob_attr_s(const Onnx__NodeProto *n, const char *name, char *out, size_t cap)
{
    const Onnx__AttributeProto *a = ob_attr(n, name);
    size_t len = a && a->has_s ? a->s.len : 0;
    if (len >= cap) len = cap - 1;
    if (len) memcpy(out, a->s.data, len);
    out[len] = 0;
}

fv_status ob_in(ob *b, const Onnx__NodeProto *n, int i, ob_val **v)
{
    ob_val *x = (size_t)i < n->n_input ? ob_find(b, n->input[i]) : NULL;
    if (!x) return ob_fail(b, n, FV_ERR_FORMAT, "input %d is missing", i + 1);
    if (x->k || x->t < 0)
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "input %d ('%s') is a constant; featvis-cuda expects a computed "
                       "tensor there", i + 1, x->name);
    *v = x;
    return FV_OK;
}

fv_status ob_const(ob *b, const Onnx__NodeProto *n, int i, const fv_onnx_value **k)
{
    *k = NULL;
    if ((size_t)i >= n->n_input || !n->input[i][0]) return FV_OK;
    ob_val *x = ob_find(b, n->input[i]);
    if (!x || !x->k)
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "input %d ('%s') must be a constant (an initializer or a Constant "
                       "node)", i + 1, n->input[i]);
    *k = x->k;
    return FV_OK;
}

fv_status ob_out(ob *b, const Onnx__NodeProto *n, const char *name, int c, int h, int w, int one, ob_val **v)
{
    if (!name) name = n->n_output ? n->output[0] : "";
    ob_val *o = ob_find(b, name);
    if (!o) return ob_fail(b, n, FV_ERR_FORMAT, "has no output");
    if (o->t >= 0 || o->k) return ob_fail(b, n, FV_ERR_FORMAT, "output '%s' is defined twice", name);
    if (strlen(name) >= FV_NAME_MAX)
        return ob_fail(b, n, FV_ERR_UNSUPPORTED, "output name '%.40s...' is longer than %d characters", name,
                       FV_NAME_MAX - 1);
    if (c < 1 || h < 1 || w < 1)
        return ob_fail(b, n, FV_ERR_SHAPE, "output '%s' would be %dx%dx%d (channels x height x width) at the file's "
                       "%dx%d input", name, c, h, w, b->in_w, b->in_h);
    if ((o->t = fv_net_add_tensor(b->net, name, c, -1, 0)) < 0) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", b->path);
    o->c = c, o->h = h, o->w = w, o->one = one;
    b->made[b->cur] = o->t;
    *v = o;
    return FV_OK;
}

fv_status ob_out_like(ob *b, const Onnx__NodeProto *n, const ob_val *x, ob_val **v)
{
    FV_TRY(ob_out(b, n, NULL, x->c, x->h, x->w, x->one, v));
    (*v)->flat = x->flat;
    return FV_OK;
}

fv_status ob_unused_output(ob *b, const Onnx__NodeProto *n, int k)
{
    const ob_val *o = (size_t)k < n->n_output ? ob_find(b, n->output[k]) : NULL;
    if (o && o->uses) return ob_fail(b, n, FV_ERR_UNSUPPORTED, "its output %d ('%s') is read; featvis-cuda computes "
                                     "only output 1 of this operator", k + 1, o->name);
    return FV_OK;
}

fv_status ob_alias_out(ob *b, const Onnx__NodeProto *n, const ob_val *src)
{
    ob_val *o = n->n_output ? ob_find(b, n->output[0]) : NULL;
    if (!o) return ob_fail(b, n, FV_ERR_FORMAT, "has no output");
    int taken = 0;
    for (int i = 0; i < b->nextra; i++) taken |= b->extra[i].t == src->t;
    if (taken) { /* a tensor keeps one more name than its own (its other slot: logits or its module path) */
        ob_val *y;
        FV_TRY(ob_out_like(b, n, src, &y));
        fv_net_node nd = {.kind = FV_NODE_COPY, .in = src->t, .out = y->t};
        return ob_node(b, n, &nd);
    }
    o->t = src->t, o->c = src->c, o->h = src->h, o->w = src->w, o->one = src->one, o->flat = src->flat;
    ob_alias *a = realloc(b->extra, sizeof *a * (size_t)(b->nextra + 1));
    if (!a) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", b->path);
    b->extra = a;
    b->extra[b->nextra++] = (ob_alias){src->t, o->name};
    return FV_OK;
}

fv_status ob_node(ob *b, const Onnx__NodeProto *n, fv_net_node *nd)
{
    snprintf(nd->name, sizeof nd->name, "%s", node_name(n));
    if (fv_net_add_node(b->net, nd) < 0) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", b->path);
    return FV_OK;
}

float *ob_own(ob *b, const Onnx__NodeProto *n, size_t count, fv_status *st)
{
    float *p = fv_onnx_own(b->f, count);
    if (!p) *st = ob_fail(b, n, FV_ERR_NOMEM, "out of memory for %zu weights", count);
    return p;
}

/* ---------- the graph ---------- */

/* Every name the graph mentions, with its readers and producer; constants attached. */
static fv_status index_names(ob *b)
{
    const Onnx__GraphProto *g = b->g;
    size_t names = g->n_initializer + g->n_input + g->n_output + (size_t)b->f->nvalues;
    for (size_t i = 0; i < g->n_node; i++) names += g->node[i]->n_input + g->node[i]->n_output;
    b->cap_vals = (int)names + 1;
    for (b->nslots = 64; b->nslots < 2 * b->cap_vals; b->nslots *= 2) {}
    b->vals = calloc((size_t)b->cap_vals, sizeof *b->vals);
    b->slots = calloc((size_t)b->nslots, sizeof *b->slots);
    if (!b->vals || !b->slots) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", b->path);
    for (int i = 0; i < b->f->nvalues; i++) intern(b, b->f->values[i].name)->k = &b->f->values[i];
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        for (size_t j = 0; j < n->n_input; j++)
            if (n->input[j][0]) intern(b, n->input[j])->uses++;
        for (size_t j = 0; j < n->n_output; j++)
            if (n->output[j][0]) intern(b, n->output[j])->producer = (int)i;
    }
    for (size_t i = 0; i < g->n_output; i++)
        if (g->output[i]->name) intern(b, g->output[i]->name)->uses++;
    return FV_OK;
}

/* The one image input: (N, 3, H, W); H and W from the file, FV_ONNX_DEFAULT_SIZE where symbolic. */
static fv_status make_input(ob *b)
{
    const Onnx__ValueInfoProto *in = NULL;
    int count = 0;
    for (size_t i = 0; i < b->g->n_input; i++) {
        const Onnx__ValueInfoProto *v = b->g->input[i];
        if (!v->name || fv_onnx_value_find(b->f, v->name)) continue; /* older exports list initializers */
        in = v, count++;
    }
    if (count != 1)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: the graph has %d inputs besides its weights; featvis-cuda needs exactly "
                       "one, an image (N, 3, H, W)", b->path, count);
    const Onnx__TypeProto *ty = in->type;
    const Onnx__TensorShapeProto *sh = ty && ty->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
                                       ty->tensor_type->shape ? ty->tensor_type->shape : NULL;
    int64_t d[4] = {0, 0, 0, 0};
    for (size_t i = 0; sh && i < sh->n_dim && i < 4; i++)
        if (sh->dim[i]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) d[i] = sh->dim[i]->dim_value;
    if (!sh || sh->n_dim != 4 || d[1] != 3)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: input '%s' is %s; featvis-cuda renders 3-channel images: the input must "
                       "be (N, 3, H, W)", b->path, in->name,
                       !sh ? "of unknown shape" : sh->n_dim != 4 ? "not 4-D" : "not 3-channel");
    b->in_h = d[2] > 0 && d[2] < 65536 ? (int)d[2] : FV_ONNX_DEFAULT_SIZE;
    b->in_w = d[3] > 0 && d[3] < 65536 ? (int)d[3] : FV_ONNX_DEFAULT_SIZE;
    ob_val *v = ob_find(b, in->name);
    if (!v) return fv_fail(FV_ERR_FORMAT, "%s: no node reads input '%s'", b->path, in->name);
    if (strlen(in->name) >= FV_NAME_MAX)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: input name '%.40s...' is too long", b->path, in->name);
    if ((v->t = b->net->input = fv_net_add_tensor(b->net, in->name, 3, -1, 0)) < 0)
        return fv_fail(FV_ERR_NOMEM, "%s: out of memory", b->path);
    v->c = 3, v->h = b->in_h, v->w = b->in_w;
    return FV_OK;
}

/* A BatchNormalization folds into the Conv producing its input when that output feeds nothing else. */
static void plan_folds(ob *b)
{
    for (size_t i = 0; i < b->g->n_node; i++) {
        const Onnx__NodeProto *n = b->g->node[i];
        b->fold[i] = -1;
        if (!n->op_type || strcmp(n->op_type, "BatchNormalization") || n->n_input != 5 || n->n_output < 1) continue;
        ob_val *x = ob_find(b, n->input[0]);
        if (!x || x->producer < 0 || x->uses != 1) continue;
        const Onnx__NodeProto *p = b->g->node[x->producer];
        if (p->op_type && !strcmp(p->op_type, "Conv") && (!p->domain || !p->domain[0]) && p->n_output == 1)
            b->fold[x->producer] = (int)i;
    }
}

static fv_status unsupported(ob *b, const Onnx__NodeProto *n)
{
    char list[1024];
    size_t off = 0;
    for (int i = 0; i < fv_onnx_nops && off < sizeof list; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "", fv_onnx_ops[i].type);
    const char *dom = n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") ? n->domain : NULL;
    return fv_fail(FV_ERR_UNSUPPORTED, "%s: node '%s' has op type '%s%s%s', which featvis-cuda does not support "
                   "(supported: %s)", b->path, node_name(n), dom ? dom : "", dom ? "." : "",
                   n->op_type ? n->op_type : "", list);
}

static int ready(ob *b, const Onnx__NodeProto *n)
{
    for (size_t j = 0; j < n->n_input; j++) {
        const ob_val *v = ob_find(b, n->input[j]);
        if (v && !v->k && v->t < 0) return 0;
    }
    return 1;
}

static fv_status build_node(ob *b, int i)
{
    const Onnx__NodeProto *n = b->g->node[i];
    const char *type = n->op_type ? n->op_type : "";
    b->cur = i;
    if (!strcmp(type, "Constant")) return FV_OK; /* read by the loader */
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx")) return unsupported(b, n);
    for (int k = 0; k < fv_onnx_nops; k++)
        if (!strcmp(type, fv_onnx_ops[k].type)) return fv_onnx_ops[k].fn(b, n);
    return unsupported(b, n);
}

/* Nodes in topological order (files list them so; Kahn's passes make sure). */
static fv_status build_nodes(ob *b)
{
    size_t left = b->g->n_node;
    while (left) {
        size_t before = left;
        for (size_t i = 0; i < b->g->n_node; i++) {
            if (b->done[i] || !ready(b, b->g->node[i])) continue;
            FV_TRY(build_node(b, (int)i));
            b->done[i] = 1, left--;
            if (b->fold[i] >= 0) b->done[b->fold[i]] = 1, left--;
        }
        if (left == before) {
            for (size_t i = 0; i < b->g->n_node; i++)
                if (!b->done[i])
                    return fv_fail(FV_ERR_FORMAT, "%s: node '%s' reads a value nothing computes (or the graph has a "
                                   "cycle)", b->path, node_name(b->g->node[i]));
        }
    }
    return FV_OK;
}

/* PyTorch's scope "/layer4/layer4.1/relu/Relu" -> module path "layer4.1.relu" (0 when there is none). */
static int module_path(const char *node, char *out, size_t cap)
{
    out[0] = 0;
    if (!node || node[0] != '/') return 0;
    const char *last = strrchr(node, '/'), *p = node + 1;
    while (p < last) {
        const char *e = strchr(p, '/');
        size_t len = (size_t)(e - p), have = strlen(out);
        if (have && len > have && !strncmp(p, out, have) && p[have] == '.') have = 0; /* already qualified */
        if (have + 1 + len >= cap) return 0;
        if (have) out[have++] = '.';
        memcpy(out + have, p, len);
        out[have + len] = 0;
        p = e + 1;
    }
    return out[0] != 0;
}

static void set_alias(ob *b, int t, const char *name)
{
    fv_net_tensor *x = &b->net->tensors[t];
    if (fv_net_find(b->net, name) >= 0) return;
    for (int k = 0; k < 2; k++)
        if (!x->alias[k][0]) {
            snprintf(x->alias[k], FV_NAME_MAX, "%s", name);
            return;
        }
}

/* The tensors' other names, most needed first: the ONNX names of Identity, Dropout and Flatten outputs (one
 * per tensor, ob_alias_out), "logits" and "softmax", then module paths where a slot is left (a scope's last
 * node wins: a module's output). */
static void name_tensors(ob *b)
{
    fv_net *net = b->net;
    const int N = (int)b->g->n_node;
    for (int i = 0; i < b->nextra; i++) set_alias(b, b->extra[i].t, b->extra[i].name);
    if (b->logits >= 0) set_alias(b, b->logits, "logits");
    if (b->probs >= 0) set_alias(b, b->probs, "softmax");
    char (*path)[FV_NAME_MAX] = malloc(sizeof *path * (size_t)(N ? N : 1));
    for (int i = 0; path && i < N; i++)
        if (b->made[i] < 0 || !module_path(b->g->node[i]->name, path[i], sizeof path[i])) path[i][0] = 0;
    for (int i = 0; path && i < N; i++) {
        int last = path[i][0] != 0;
        for (int j = i + 1; j < N && last; j++) last = strcmp(path[i], path[j]) != 0;
        if (last) set_alias(b, b->made[i], path[i]);
    }
    free(path); /* out of memory: no module paths, nothing else lost */
    net->logits = b->logits, net->probs = b->probs;
}

/* The graph's shape inference (net/graph.c) must give what the file's shapes gave. */
static fv_status check_shapes(ob *b)
{
    int T = b->net->ntensors, *hs = malloc(sizeof(int) * (size_t)T), *ws = malloc(sizeof(int) * (size_t)T);
    fv_status st = hs && ws ? fv_net_shapes(b->net, b->in_h, b->in_w, hs, ws) : fv_fail(FV_ERR_NOMEM, "out of memory");
    for (int i = 0; st == FV_OK && i < b->nvals; i++) {
        const ob_val *v = &b->vals[i];
        if (v->t >= 0 && (hs[v->t] != v->h || ws[v->t] != v->w))
            st = fv_fail(FV_ERR_SHAPE, "%s: '%s' is %dx%d by the file's operators but %dx%d by the network graph "
                         "(an operator featvis-cuda does not shape yet)", b->path, v->name, v->w, v->h, ws[v->t],
                         hs[v->t]);
    }
    free(hs);
    free(ws);
    return st;
}

fv_status fv_onnx_build(fv_modelfile *mf, fv_net *net, int *nclasses)
{
    struct fv_onnx_file *f = mf->onnx;
    ob b = {.path = mf->path, .f = f, .g = f->pb->graph, .net = net, .opset = f->opset, .logits = -1, .probs = -1};
    size_t N = b.g->n_node;
    *nclasses = 0;
    FV_TRY(fv_net_init(net));
    net->perm[0] = 0, net->perm[1] = 1, net->perm[2] = 2; /* torchvision: RGB in [0,1], ImageNet mean and std */
    net->scale = 1.0f;
    const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    for (int c = 0; c < 3; c++) net->mean[c] = mean[c], net->std[c] = sd[c];
    b.fold = malloc(sizeof(int) * (N + 1));
    b.made = malloc(sizeof(int) * (N + 1));
    b.done = calloc(N + 1, 1);
    fv_status st = b.fold && b.made && b.done ? index_names(&b) : fv_fail(FV_ERR_NOMEM, "%s: out of memory", b.path);
    for (size_t i = 0; i < N && b.made; i++) b.made[i] = -1;
    if (st == FV_OK) st = make_input(&b);
    if (st == FV_OK) plan_folds(&b);
    if (st == FV_OK) st = build_nodes(&b);
    if (st == FV_OK) name_tensors(&b), st = check_shapes(&b);
    *nclasses = st == FV_OK ? b.nclasses : 0;
    free(b.fold), free(b.made), free(b.done), free(b.vals), free(b.slots), free(b.extra);
    if (st != FV_OK) fv_net_free(net);
    return st;
}
