/* One builder for both GoogLeNets (RECIPE.md "The two GoogLeNets"): InceptionV1_caffe (BVLC names,
 * explicit pads, ceil pooling, Caffe LRN, BGR - mean) and InceptionV1 / inception5h (TensorFlow names,
 * SAME padding, TF LRN, RGB*255 - 117). Layer names differ; the wiring is the same. */
#include <stdio.h>
#include <string.h>

#include "inception_v1.h"

typedef struct names {
    const char *stem[7]; /* conv, pool, lrn, conv(1x1), conv(3x3), lrn, pool */
    const char *stem_alias[7];
    const char *block_fmt;    /* "inception_%s" or "mixed%s" */
    const char *branch[7];    /* 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool, pool proj (suffixes) */
    const char *sep;          /* "/" or "_" between block and branch */
    const char *out_suffix;   /* concat name after the block name: "/output" or "" */
    const char *pool3, *pool4, *avgpool, *fc, *logits, *probs;
} names;

static const names CAFFE = {
    {"conv1/7x7_s2", "pool1/3x3_s2", "pool1/norm1", "conv2/3x3_reduce", "conv2/3x3", "conv2/norm2", "pool2/3x3_s2"},
    {"conv2d0", "maxpool0", "localresponsenorm0", "conv2d1", "conv2d2", "localresponsenorm1", "maxpool1"},
    "inception_%s",
    {"1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool", "pool_proj"},
    "/",
    "/output",
    "pool3/3x3_s2",
    "pool4/3x3_s2",
    "pool5/7x7_s1",
    "loss3/classifier",
    "loss3/classifier",
    "prob",
};

static const names TF = {
    {"conv2d0", "maxpool0", "localresponsenorm0", "conv2d1", "conv2d2", "localresponsenorm1", "maxpool1"},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
    "mixed%s",
    {"1x1", "3x3_bottleneck", "3x3", "5x5_bottleneck", "5x5", "pool", "pool_reduce"},
    "_",
    "",
    "maxpool4",
    "maxpool10",
    "avgpool0",
    "softmax2",
    "softmax2_pre_activation",
    "softmax2",
};

typedef struct builder {
    const fv_modelfile *mf;
    fv_net *net;
    int tf;
} builder;

static const fv_mf_layer *need_layer(builder *b, const char *name, fv_mf_kind kind, const char *what)
{
    const fv_mf_layer *l = fv_modelfile_find(b->mf, name);
    if (!l) {
        fv_fail(FV_ERR_FORMAT, "%s: no %s layer '%s' (is this an InceptionV1 %s file?)", b->mf->path, what, name,
                b->tf ? "inception5h GraphDef" : "BVLC GoogLeNet");
        return NULL;
    }
    if (l->kind != kind) {
        fv_fail(FV_ERR_FORMAT, "%s: layer '%s' has type %s, expected a %s layer", b->mf->path, name, l->type, what);
        return NULL;
    }
    return l;
}

static int add_tensor(builder *b, const char *name, int c, int parent, int c0, fv_status *st)
{
    int t = fv_net_add_tensor(b->net, name, c, parent, c0);
    if (t < 0) *st = fv_fail(FV_ERR_NOMEM, "network graph: out of memory");
    return t;
}

static fv_status add_node(builder *b, const fv_net_node *nd)
{
    if (fv_net_add_node(b->net, nd) < 0) return fv_fail(FV_ERR_NOMEM, "network graph: out of memory");
    return FV_OK;
}

static void set_padding(builder *b, const fv_mf_layer *l, fv_net_node *nd, int is_pool)
{
    if (l->padding == FV_PAD_SAME) nd->rule = FV_PADRULE_SAME;
    else if (l->padding == FV_PAD_VALID) nd->rule = FV_PADRULE_VALID;
    else nd->rule = is_pool && !b->tf ? FV_PADRULE_CEIL : FV_PADRULE_EXPLICIT;
    nd->pad_h = l->pad_h;
    nd->pad_w = l->pad_w;
    nd->sh = l->sh > 0 ? l->sh : 1;
    nd->sw = l->sw > 0 ? l->sw : 1;
}

/* Output channels of conv layer `name` (from its weights), checking its blobs' shapes. */
static fv_status conv_channels(builder *b, const char *name, int *cout)
{
    const fv_mf_layer *l = need_layer(b, name, FV_MF_CONV, "convolution");
    if (!l) return FV_ERR_FORMAT;
    if (l->nblobs < 1 || l->blobs[0].ndim != 4)
        return fv_fail(FV_ERR_SHAPE, "%s: layer '%s': expected 4-D weights (out,in,kh,kw), found %d-D", b->mf->path,
                       name, l->nblobs ? l->blobs[0].ndim : 0);
    *cout = l->blobs[0].dims[0];
    return FV_OK;
}

/* conv + ReLU: `in` -> pre (created unless given) -> post (created unless given). Returns post. */
static int conv_relu(builder *b, const char *fname, const char *tname, const char *alias, int in, int pre, int post,
                     fv_status *st)
{
    const fv_mf_layer *l = need_layer(b, fname, FV_MF_CONV, "convolution");
    if (!l) return *st = FV_ERR_FORMAT, -1;
    const fv_mf_blob *wb = &l->blobs[0];
    const int cin = b->net->tensors[in].c;
    if (l->nblobs < 1 || wb->ndim != 4) {
        *st = fv_fail(FV_ERR_SHAPE, "%s: layer '%s': expected 4-D weights, found %d-D", b->mf->path, fname,
                      l->nblobs ? wb->ndim : 0);
        return -1;
    }
    if (wb->dims[1] != cin || (l->kh && (wb->dims[2] != l->kh || wb->dims[3] != l->kw)) ||
        (l->num_output && wb->dims[0] != l->num_output)) {
        *st = fv_fail(FV_ERR_SHAPE,
                      "%s: layer '%s': weights are %dx%dx%dx%d (out,in,kh,kw) but the graph expects %dx%dx%dx%d",
                      b->mf->path, fname, wb->dims[0], wb->dims[1], wb->dims[2], wb->dims[3],
                      l->num_output ? l->num_output : wb->dims[0], cin, l->kh ? l->kh : wb->dims[2],
                      l->kw ? l->kw : wb->dims[3]);
        return -1;
    }
    const int cout = wb->dims[0];
    if (l->nblobs > 1 && (l->blobs[1].ndim != 1 || l->blobs[1].dims[0] != cout)) {
        *st = fv_fail(FV_ERR_SHAPE, "%s: layer '%s': bias has %zu values, expected %d", b->mf->path, fname,
                      l->blobs[1].count, cout);
        return -1;
    }
    char buf[FV_NAME_MAX];
    if (pre < 0) {
        snprintf(buf, sizeof buf, "%s_pre_relu", tname);
        if ((pre = add_tensor(b, buf, cout, -1, 0, st)) < 0) return -1;
        if (alias) snprintf(b->net->tensors[pre].alias[0], FV_NAME_MAX, "%s_pre_relu", alias);
    }
    if (post < 0) {
        if ((post = add_tensor(b, tname, cout, -1, 0, st)) < 0) return -1;
        if (alias) snprintf(b->net->tensors[post].alias[0], FV_NAME_MAX, "%s", alias);
    }
    fv_net_node nd = {.kind = FV_NODE_CONV, .in = in, .out = pre, .cin = cin, .cout = cout};
    snprintf(nd.name, sizeof nd.name, "%s", fname);
    nd.kh = wb->dims[2];
    nd.kw = wb->dims[3];
    set_padding(b, l, &nd, 0);
    nd.w = wb->data;
    nd.b = l->nblobs > 1 ? l->blobs[1].data : NULL;
    if ((*st = add_node(b, &nd)) != FV_OK) return -1;
    fv_net_node r = {.kind = FV_NODE_RELU, .in = pre, .out = post};
    snprintf(r.name, sizeof r.name, "%s/relu", fname);
    if ((*st = add_node(b, &r)) != FV_OK) return -1;
    return post;
}

static int pool(builder *b, const char *fname, const char *alias, int in, int global, fv_status *st)
{
    const fv_mf_layer *l = need_layer(b, fname, FV_MF_POOL, "pooling");
    if (!l) return *st = FV_ERR_FORMAT, -1;
    int out = add_tensor(b, fname, b->net->tensors[in].c, -1, 0, st);
    if (out < 0) return -1;
    if (alias) snprintf(b->net->tensors[out].alias[0], FV_NAME_MAX, "%s", alias);
    fv_net_node nd = {.kind = FV_NODE_POOL, .in = in, .out = out, .pool = l->pool_max ? FV_POOL_MAX : FV_POOL_AVG};
    snprintf(nd.name, sizeof nd.name, "%s", fname);
    nd.kh = l->kh;
    nd.kw = l->kw;
    set_padding(b, l, &nd, 1);
    if (global || l->global_pool) nd.rule = FV_PADRULE_GLOBAL;
    else if (nd.kh < 1 || nd.kw < 1) {
        *st = fv_fail(FV_ERR_FORMAT, "%s: pooling layer '%s' has no window size", b->mf->path, fname);
        return -1;
    }
    if ((*st = add_node(b, &nd)) != FV_OK) return -1;
    return out;
}

static int lrn(builder *b, const char *fname, const char *alias, int in, fv_status *st)
{
    const fv_mf_layer *l = need_layer(b, fname, FV_MF_LRN, "LRN");
    if (!l) return *st = FV_ERR_FORMAT, -1;
    if (l->lrn_size < 1 || l->lrn_size % 2 == 0) {
        *st = fv_fail(FV_ERR_FORMAT, "%s: LRN layer '%s' has window %d (must be odd)", b->mf->path, fname, l->lrn_size);
        return -1;
    }
    int out = add_tensor(b, fname, b->net->tensors[in].c, -1, 0, st);
    if (out < 0) return -1;
    if (alias) snprintf(b->net->tensors[out].alias[0], FV_NAME_MAX, "%s", alias);
    fv_net_node nd = {.kind = FV_NODE_LRN, .in = in, .out = out};
    snprintf(nd.name, sizeof nd.name, "%s", fname);
    nd.lrn.size = l->lrn_size;
    nd.lrn.alpha = l->lrn_alpha_is_mean ? l->lrn_alpha / (float)l->lrn_size : l->lrn_alpha;
    nd.lrn.beta = l->lrn_beta;
    nd.lrn.k = l->lrn_k;
    if ((*st = add_node(b, &nd)) != FV_OK) return -1;
    return out;
}

static int inception(builder *b, const names *nm, const char *id, int in, fv_status *st)
{
    char blk[64], f[7][FV_NAME_MAX], out[FV_NAME_MAX], alias[32];
    snprintf(blk, sizeof blk, nm->block_fmt, id);
    snprintf(alias, sizeof alias, "mixed%s", id);
    for (int i = 0; i < 7; i++) snprintf(f[i], sizeof f[i], "%s%s%s", blk, nm->sep, nm->branch[i]);
    snprintf(out, sizeof out, "%s%s", blk, nm->out_suffix);
    /* Branch outputs in concat order: 1x1, 3x3, 5x5, pool projection. */
    const int last[4] = {0, 2, 4, 6};
    int cb[4], ctot = 0;
    for (int i = 0; i < 4; i++) {
        if ((*st = conv_channels(b, f[last[i]], &cb[i])) != FV_OK) return -1;
        ctot += cb[i];
    }
    char buf[FV_NAME_MAX + 16];
    snprintf(buf, sizeof buf, "%s_pre_relu", out);
    int P = add_tensor(b, buf, ctot, -1, 0, st);
    if (P < 0) return -1;
    int Q = add_tensor(b, out, ctot, -1, 0, st);
    if (Q < 0) return -1;
    if (strcmp(out, alias)) {
        snprintf(b->net->tensors[Q].alias[0], FV_NAME_MAX, "%s", alias);
        snprintf(b->net->tensors[P].alias[0], FV_NAME_MAX, "%s_pre_relu", alias);
    }
    int c0 = 0, pre[4], post[4];
    for (int i = 0; i < 4; i++) {
        snprintf(buf, sizeof buf, "%s_pre_relu", f[last[i]]);
        if ((pre[i] = add_tensor(b, buf, cb[i], P, c0, st)) < 0) return -1;
        if ((post[i] = add_tensor(b, f[last[i]], cb[i], Q, c0, st)) < 0) return -1;
        c0 += cb[i];
    }
    if (conv_relu(b, f[0], f[0], NULL, in, pre[0], post[0], st) < 0) return -1;
    int r3 = conv_relu(b, f[1], f[1], NULL, in, -1, -1, st);
    if (r3 < 0 || conv_relu(b, f[2], f[2], NULL, r3, pre[1], post[1], st) < 0) return -1;
    int r5 = conv_relu(b, f[3], f[3], NULL, in, -1, -1, st);
    if (r5 < 0 || conv_relu(b, f[4], f[4], NULL, r5, pre[2], post[2], st) < 0) return -1;
    int pl = pool(b, f[5], NULL, in, 0, st);
    if (pl < 0 || conv_relu(b, f[6], f[6], NULL, pl, pre[3], post[3], st) < 0) return -1;
    return Q;
}

static int classifier(builder *b, const names *nm, int in, int *nclasses, fv_status *st)
{
    const fv_mf_layer *l = need_layer(b, nm->fc, FV_MF_FC, "fully connected");
    if (!l) return *st = FV_ERR_FORMAT, -1;
    const int cin = b->net->tensors[in].c;
    if (l->nblobs < 1 || l->blobs[0].ndim != 2 || l->blobs[0].dims[1] != cin) {
        *st = fv_fail(FV_ERR_SHAPE, "%s: layer '%s': weights are %dx%d (out,in), the graph expects in = %d",
                      b->mf->path, nm->fc, l->nblobs ? l->blobs[0].dims[0] : 0, l->nblobs ? l->blobs[0].dims[1] : 0,
                      cin);
        return -1;
    }
    const int cout = l->blobs[0].dims[0];
    if (l->nblobs > 1 && l->blobs[1].count != (size_t)cout) {
        *st = fv_fail(FV_ERR_SHAPE, "%s: layer '%s': bias has %zu values, expected %d", b->mf->path, nm->fc,
                      l->blobs[1].count, cout);
        return -1;
    }
    int lg = add_tensor(b, nm->logits, cout, -1, 0, st);
    if (lg < 0) return -1;
    snprintf(b->net->tensors[lg].alias[0], FV_NAME_MAX, "logits");
    fv_net_node nd = {.kind = FV_NODE_FC, .in = in, .out = lg, .cin = cin, .cout = cout};
    snprintf(nd.name, sizeof nd.name, "%s", nm->fc);
    nd.w = l->blobs[0].data;
    nd.b = l->nblobs > 1 ? l->blobs[1].data : NULL;
    if ((*st = add_node(b, &nd)) != FV_OK) return -1;
    int pr = add_tensor(b, nm->probs, cout, -1, 0, st);
    if (pr < 0) return -1;
    snprintf(b->net->tensors[pr].alias[0], FV_NAME_MAX, "softmax");
    fv_net_node sm = {.kind = FV_NODE_SOFTMAX, .in = lg, .out = pr};
    snprintf(sm.name, sizeof sm.name, "%s", nm->probs);
    if ((*st = add_node(b, &sm)) != FV_OK) return -1;
    b->net->logits = lg;
    b->net->probs = pr;
    *nclasses = cout;
    return pr;
}

fv_status fv_inception_build(const fv_modelfile *mf, fv_model_kind kind, fv_net *net, int *nclasses)
{
    builder b = {mf, net, kind == FV_MODEL_INCEPTION_TF};
    const names *nm = b.tf ? &TF : &CAFFE;
    fv_status st = FV_OK;
    *nclasses = 0;
    FV_TRY(fv_net_init(net));
    if (b.tf) {
        net->perm[0] = 0, net->perm[1] = 1, net->perm[2] = 2;
        net->mean[0] = net->mean[1] = net->mean[2] = 117.0f;
    } else { /* BGR: network channel 0 is blue = RGB channel 2 */
        net->perm[0] = 2, net->perm[1] = 1, net->perm[2] = 0;
        net->mean[0] = 104.0f, net->mean[1] = 117.0f, net->mean[2] = 123.0f;
    }
    net->scale = 255.0f;
    int x = net->input = add_tensor(&b, b.tf ? "input" : "data", 3, -1, 0, &st);
    if (x < 0) goto fail;
    /* stem: conv 7x7/2, max pool, LRN, conv 1x1, conv 3x3, LRN, max pool */
    if ((x = conv_relu(&b, nm->stem[0], nm->stem[0], nm->stem_alias[0], x, -1, -1, &st)) < 0 ||
        (x = pool(&b, nm->stem[1], nm->stem_alias[1], x, 0, &st)) < 0 ||
        (x = lrn(&b, nm->stem[2], nm->stem_alias[2], x, &st)) < 0 ||
        (x = conv_relu(&b, nm->stem[3], nm->stem[3], nm->stem_alias[3], x, -1, -1, &st)) < 0 ||
        (x = conv_relu(&b, nm->stem[4], nm->stem[4], nm->stem_alias[4], x, -1, -1, &st)) < 0 ||
        (x = lrn(&b, nm->stem[5], nm->stem_alias[5], x, &st)) < 0 ||
        (x = pool(&b, nm->stem[6], nm->stem_alias[6], x, 0, &st)) < 0)
        goto fail;
    static const char *ids[] = {"3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"};
    for (int i = 0; i < 9; i++) {
        if ((x = inception(&b, nm, ids[i], x, &st)) < 0) goto fail;
        if (i == 1 && (x = pool(&b, nm->pool3, b.tf ? NULL : "maxpool4", x, 0, &st)) < 0) goto fail;
        if (i == 6 && (x = pool(&b, nm->pool4, b.tf ? NULL : "maxpool10", x, 0, &st)) < 0) goto fail;
    }
    /* The classifier head is optional (feature-only files). Its average pool runs as a global average:
     * identical at 224 px, where the file's 7x7 window covers the whole 7x7 map, and it lets logit
     * objectives work at any image size. */
    if (fv_modelfile_find(mf, nm->fc)) {
        if ((x = pool(&b, nm->avgpool, b.tf ? NULL : "avgpool0", x, 1, &st)) < 0) goto fail;
        if (classifier(&b, nm, x, nclasses, &st) < 0) goto fail;
    }
    return FV_OK;
fail:
    fv_net_free(net);
    return st;
}
