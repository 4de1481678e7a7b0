/* Model-file seeds: tiny InceptionV1s (the full GoogLeNet topology with one channel per branch, a 3-way
 * classifier) that fv_inception_build accepts, as Caffe NetParameters in both encodings (V1 `layers` with legacy
 * 4-D blobs, current `layer` with shaped blobs, one with double_data and kernel_h/kernel_w) and as inception5h
 * GraphDefs (tensor_content and float_val, a fill Const behind an Identity), plus a small non-Inception net in
 * both encodings (FC weights stored transposed, the _h/_w fields in the legacy encoding). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caffe.pb-c.h"
#include "seeds.h"
#include "tf_writer.h"

typedef enum lkind { L_CONV, L_POOL, L_LRN, L_RELU, L_CONCAT, L_FC, L_SOFTMAX } lkind;

typedef struct layer {
    lkind kind;
    char name[96], top[96], bottom[4][96];
    int nbottom;
    int k, stride, pad, cin, cout, pool_max;
} layer;

typedef struct topo {
    layer l[200];
    int n;
    int tf; /* inception5h names */
} topo;

static layer *add(topo *t, lkind kind, const char *name, const char *bottom, const char *top)
{
    layer *l = &t->l[t->n++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    snprintf(l->name, sizeof l->name, "%.90s", name);
    snprintf(l->top, sizeof l->top, "%.90s", top ? top : name);
    if (bottom) snprintf(l->bottom[l->nbottom++], sizeof l->bottom[0], "%s", bottom);
    l->stride = 1;
    return l;
}

static void conv(topo *t, const char *name, const char *bottom, int k, int stride, int cin, int cout)
{
    layer *l = add(t, L_CONV, name, bottom, NULL);
    l->k = k, l->stride = stride, l->pad = k / 2, l->cin = cin, l->cout = cout;
    if (!t->tf) {
        char relu[128];
        snprintf(relu, sizeof relu, "%s/relu", name);
        add(t, L_RELU, relu, name, name);
    }
}

static void pool(topo *t, const char *name, const char *bottom, int k, int stride, int max)
{
    layer *l = add(t, L_POOL, name, bottom, NULL);
    l->k = k, l->stride = stride, l->pool_max = max, l->pad = stride == 1 && max ? 1 : 0;
}

/* The GoogLeNet wiring with one channel per branch (4 per block) and a 3-way classifier. */
static void inception(topo *t)
{
    static const char *cs[7] = {"conv1/7x7_s2", "pool1/3x3_s2", "pool1/norm1", "conv2/3x3_reduce", "conv2/3x3",
                                "conv2/norm2", "pool2/3x3_s2"};
    static const char *ts[7] = {"conv2d0", "maxpool0", "localresponsenorm0", "conv2d1", "conv2d2",
                                "localresponsenorm1", "maxpool1"};
    const char *const *s = t->tf ? ts : cs, *in = t->tf ? "input" : "data";
    conv(t, s[0], in, 7, 2, 3, 1);
    pool(t, s[1], s[0], 3, 2, 1);
    add(t, L_LRN, s[2], s[1], NULL);
    conv(t, s[3], s[2], 1, 1, 1, 1);
    conv(t, s[4], s[3], 3, 1, 1, 1);
    add(t, L_LRN, s[5], s[4], NULL);
    pool(t, s[6], s[5], 3, 2, 1);
    static const char *ids[9] = {"3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"};
    static const char *cb[7] = {"1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool", "pool_proj"};
    static const char *tb[7] = {"1x1", "3x3_bottleneck", "3x3", "5x5_bottleneck", "5x5", "pool", "pool_reduce"};
    char prev[96], f[7][48], out[48];
    snprintf(prev, sizeof prev, "%s", s[6]);
    int cin = 1;
    for (int i = 0; i < 9; i++) {
        for (int j = 0; j < 7; j++)
            snprintf(f[j], sizeof f[j], t->tf ? "mixed%s_%s" : "inception_%s/%s", ids[i], t->tf ? tb[j] : cb[j]);
        snprintf(out, sizeof out, t->tf ? "mixed%s" : "inception_%s/output", ids[i]);
        conv(t, f[0], prev, 1, 1, cin, 1);
        conv(t, f[1], prev, 1, 1, cin, 1);
        conv(t, f[2], f[1], 3, 1, 1, 1);
        conv(t, f[3], prev, 1, 1, cin, 1);
        conv(t, f[4], f[3], 5, 1, 1, 1);
        pool(t, f[5], prev, 3, 1, 1);
        conv(t, f[6], f[5], 1, 1, cin, 1);
        layer *c = add(t, L_CONCAT, out, NULL, NULL);
        for (int j = 0; j < 4; j++) strcpy(c->bottom[c->nbottom++], f[2 * j]);
        snprintf(prev, sizeof prev, "%s", out);
        cin = 4;
        if (i == 1 || i == 6) {
            const char *p = t->tf ? (i == 1 ? "maxpool4" : "maxpool10") : (i == 1 ? "pool3/3x3_s2" : "pool4/3x3_s2");
            pool(t, p, prev, 3, 2, 1);
            snprintf(prev, sizeof prev, "%s", p);
        }
    }
    const char *ap = t->tf ? "avgpool0" : "pool5/7x7_s1", *fc = t->tf ? "softmax2" : "loss3/classifier";
    pool(t, ap, prev, 7, 1, 0);
    layer *l = add(t, L_FC, fc, ap, NULL);
    l->cin = 4, l->cout = 3;
    if (!t->tf) add(t, L_SOFTMAX, "prob", fc, NULL);
}

static float *weights(size_t n)
{
    float *w = malloc((n ? n : 1) * sizeof *w);
    if (!w) exit(1);
    for (size_t i = 0; i < n; i++) w[i] = 0.01f * (float)(i % 7) - 0.03f;
    return w;
}

/* ---------- Caffe ---------- */

typedef struct caffe_opts {
    int v1;          /* V1 `layers` with legacy num/channels/height/width blobs */
    int doubles;     /* weights as double_data */
    int hw;          /* kernel_h/kernel_w, stride_h/stride_w instead of the repeated fields */
    int transpose;   /* FC weights stored (in, out) with transpose=true */
} caffe_opts;

/* Everything one layer's messages point to. */
typedef struct caffe_buf {
    Caffe__LayerParameter cur;
    Caffe__V1LayerParameter v1;
    Caffe__BlobProto blob[2], *blobp[2];
    Caffe__BlobShape shape[2];
    int64_t dims[2][4];
    Caffe__ConvolutionParameter cp;
    Caffe__PoolingParameter pp;
    Caffe__LRNParameter lp;
    Caffe__InnerProductParameter ip;
    uint32_t k, s, p;
    char *bottom[4], *top[1];
} caffe_buf;

static void set_blob(caffe_buf *b, int i, const int64_t *d, int nd, const caffe_opts *o)
{
    size_t n = 1;
    for (int j = 0; j < nd; j++) n *= (size_t)d[j];
    caffe__blob_proto__init(&b->blob[i]);
    b->blobp[i] = &b->blob[i];
    if (o->doubles) {
        double *v = malloc(n * sizeof *v + 1);
        for (size_t j = 0; j < n; j++) v[j] = 0.01 * (double)(j % 5);
        b->blob[i].n_double_data = n, b->blob[i].double_data = v;
    } else {
        b->blob[i].n_data = n, b->blob[i].data = weights(n);
    }
    if (o->v1) { /* legacy: padded to 4-D with leading 1s */
        int64_t l[4] = {1, 1, 1, 1};
        memcpy(l + 4 - nd, d, (size_t)nd * sizeof *d);
        b->blob[i].num = (int32_t)l[0], b->blob[i].channels = (int32_t)l[1];
        b->blob[i].height = (int32_t)l[2], b->blob[i].width = (int32_t)l[3];
        b->blob[i].has_num = b->blob[i].has_channels = b->blob[i].has_height = b->blob[i].has_width = 1;
    } else {
        caffe__blob_shape__init(&b->shape[i]);
        memcpy(b->dims[i], d, (size_t)nd * sizeof *d);
        b->shape[i].n_dim = (size_t)nd, b->shape[i].dim = b->dims[i];
        b->blob[i].shape = &b->shape[i];
    }
}

static void fill_params(const layer *l, caffe_buf *b, const caffe_opts *o, size_t *nblobs)
{
    b->k = (uint32_t)l->k, b->s = (uint32_t)l->stride, b->p = (uint32_t)l->pad;
    if (l->kind == L_CONV) {
        caffe__convolution_parameter__init(&b->cp);
        b->cp.has_num_output = 1, b->cp.num_output = (uint32_t)l->cout;
        if (o->hw) {
            b->cp.has_kernel_h = b->cp.has_kernel_w = b->cp.has_stride_h = b->cp.has_stride_w = 1;
            b->cp.kernel_h = b->cp.kernel_w = b->k, b->cp.stride_h = b->cp.stride_w = b->s;
            b->cp.has_pad_h = b->cp.has_pad_w = 1, b->cp.pad_h = b->cp.pad_w = b->p;
        } else {
            b->cp.n_kernel_size = 1, b->cp.kernel_size = &b->k;
            b->cp.n_stride = 1, b->cp.stride = &b->s;
            b->cp.n_pad = l->pad ? 1 : 0, b->cp.pad = &b->p;
        }
        int64_t w[4] = {l->cout, l->cin, l->k, l->k}, bias[1] = {l->cout};
        set_blob(b, 0, w, 4, o), set_blob(b, 1, bias, 1, o), *nblobs = 2;
    } else if (l->kind == L_POOL) {
        caffe__pooling_parameter__init(&b->pp);
        b->pp.has_pool = 1, b->pp.pool = l->pool_max ? CAFFE__POOLING_PARAMETER__POOL_METHOD__MAX
                                                      : CAFFE__POOLING_PARAMETER__POOL_METHOD__AVE;
        b->pp.has_kernel_size = 1, b->pp.kernel_size = b->k;
        b->pp.has_stride = 1, b->pp.stride = b->s;
        b->pp.has_pad = l->pad != 0, b->pp.pad = b->p;
    } else if (l->kind == L_LRN) {
        caffe__lrnparameter__init(&b->lp);
        b->lp.has_local_size = 1, b->lp.local_size = 5;
        b->lp.has_alpha = 1, b->lp.alpha = 1e-4f;
        b->lp.has_beta = 1, b->lp.beta = 0.75f;
    } else if (l->kind == L_FC) {
        caffe__inner_product_parameter__init(&b->ip);
        b->ip.has_num_output = 1, b->ip.num_output = (uint32_t)l->cout;
        b->ip.has_transpose = o->transpose, b->ip.transpose = o->transpose;
        int64_t w[2] = {o->transpose ? l->cin : l->cout, o->transpose ? l->cout : l->cin}, bias[1] = {l->cout};
        set_blob(b, 0, w, 2, o), set_blob(b, 1, bias, 1, o), *nblobs = 2;
    }
}

static const char *cur_type(lkind k)
{
    static const char *names[] = {"Convolution", "Pooling", "LRN", "ReLU", "Concat", "InnerProduct", "Softmax"};
    return names[k];
}

static Caffe__V1LayerParameter__LayerType v1_type(lkind k)
{
    static const Caffe__V1LayerParameter__LayerType types[] = {
        CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__CONVOLUTION, CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__POOLING,
        CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__LRN, CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__RELU,
        CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__CONCAT, CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__INNER_PRODUCT,
        CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__SOFTMAX};
    return types[k];
}

static void write_caffe(const char *dir, const char *name, topo *t, const caffe_opts *o)
{
    caffe_buf *b = calloc((size_t)t->n, sizeof *b);
    Caffe__LayerParameter **cur = calloc((size_t)t->n, sizeof *cur);
    Caffe__V1LayerParameter **v1 = calloc((size_t)t->n, sizeof *v1);
    if (!b || !cur || !v1) exit(1);
    for (int i = 0; i < t->n; i++) {
        layer *l = &t->l[i];
        size_t nblobs = 0;
        fill_params(l, &b[i], o, &nblobs);
        for (int j = 0; j < l->nbottom; j++) b[i].bottom[j] = l->bottom[j];
        b[i].top[0] = l->top;
        Caffe__ConvolutionParameter *cp = l->kind == L_CONV ? &b[i].cp : NULL;
        Caffe__PoolingParameter *pp = l->kind == L_POOL ? &b[i].pp : NULL;
        Caffe__LRNParameter *lp = l->kind == L_LRN ? &b[i].lp : NULL;
        Caffe__InnerProductParameter *ip = l->kind == L_FC ? &b[i].ip : NULL;
        caffe__layer_parameter__init(&b[i].cur);
        caffe__v1_layer_parameter__init(&b[i].v1);
        Caffe__LayerParameter *c = &b[i].cur;
        Caffe__V1LayerParameter *v = &b[i].v1;
        c->name = v->name = l->name;
        c->type = (char *)cur_type(l->kind);
        v->has_type = 1, v->type = v1_type(l->kind);
        c->n_bottom = v->n_bottom = (size_t)l->nbottom, c->bottom = v->bottom = b[i].bottom;
        c->n_top = v->n_top = 1, c->top = v->top = b[i].top;
        c->n_blobs = v->n_blobs = nblobs, c->blobs = v->blobs = b[i].blobp;
        c->convolution_param = v->convolution_param = cp;
        c->pooling_param = v->pooling_param = pp;
        c->lrn_param = v->lrn_param = lp;
        c->inner_product_param = v->inner_product_param = ip;
        cur[i] = c, v1[i] = v;
    }
    Caffe__NetParameter net = CAFFE__NET_PARAMETER__INIT;
    net.name = "tiny";
    if (o->v1) net.n_layers = (size_t)t->n, net.layers = v1;
    else net.n_layer = (size_t)t->n, net.layer = cur;
    size_t len = caffe__net_parameter__get_packed_size(&net);
    uint8_t *buf = malloc(len);
    if (!buf) exit(1);
    caffe__net_parameter__pack(&net, buf);
    seed_write(dir, name, buf, len);
    free(buf);
    for (int i = 0; i < t->n; i++)
        for (size_t j = 0; j < 2; j++) free(b[i].blob[j].data), free(b[i].blob[j].double_data);
    free(b), free(cur), free(v1);
}

/* A few layers with the parameters the Inception seeds do not use. */
static void odd_net(topo *t)
{
    memset(t, 0, sizeof *t);
    conv(t, "c", "data", 3, 2, 3, 2);
    layer *p = add(t, L_POOL, "p", "c", NULL);
    p->k = 2, p->stride = 2;
    add(t, L_LRN, "n", "p", NULL);
    layer *f = add(t, L_FC, "fc", "n", NULL);
    f->cin = 5, f->cout = 2;
    add(t, L_SOFTMAX, "prob", "fc", NULL);
}

void seeds_caffe(const char *dir)
{
    static topo t;
    memset(&t, 0, sizeof t);
    inception(&t);
    write_caffe(dir, "tiny_inception_v1.caffemodel", &t, &(caffe_opts){.v1 = 1});
    write_caffe(dir, "tiny_inception_current.caffemodel", &t, &(caffe_opts){0});
    write_caffe(dir, "tiny_inception_hw_double.caffemodel", &t, &(caffe_opts){.doubles = 1, .hw = 1});
    odd_net(&t);
    write_caffe(dir, "odd_transpose.caffemodel", &t, &(caffe_opts){.transpose = 1});
    write_caffe(dir, "odd_v1.caffemodel", &t, &(caffe_opts){.v1 = 1, .hw = 1});
}

/* ---------- GraphDef ---------- */

static void write_graphdef(const char *dir, const char *name, int float_val)
{
    static topo t;
    memset(&t, 0, sizeof t);
    t.tf = 1;
    inception(&t);
    fv_tfw *w = fv_tfw_new();
    if (!w || fv_tfw_placeholder(w, "input")) exit(1);
    fv_tfw_use_float_val(w, float_val);
    int bad = 0;
    for (int i = 0; i < t.n; i++) {
        const layer *l = &t.l[i];
        const char *in = l->bottom[0];
        if (l->kind == L_CONV) {
            float *wt = weights((size_t)l->k * l->k * l->cin * l->cout), *bias = weights((size_t)l->cout);
            bad |= fv_tfw_conv(w, l->name, in, l->k, l->k, l->cin, l->cout, l->stride, "SAME", wt, bias);
            free(wt), free(bias);
        } else if (l->kind == L_POOL) {
            bad |= fv_tfw_pool(w, l->name, in, l->pool_max ? "MaxPool" : "AvgPool", l->k, l->stride,
                               l->pool_max ? "SAME" : "VALID");
        } else if (l->kind == L_LRN) {
            bad |= fv_tfw_lrn(w, l->name, in, 2, 1.0f, 1e-4f, 0.75f);
        } else if (l->kind == L_CONCAT) {
            const char *ins[4] = {l->bottom[0], l->bottom[1], l->bottom[2], l->bottom[3]};
            bad |= fv_tfw_concat(w, l->name, ins, 4);
        } else if (l->kind == L_FC) {
            float *wt = weights((size_t)l->cin * l->cout), *bias = weights((size_t)l->cout);
            bad |= fv_tfw_matmul_fc(w, l->name, in, l->cin, l->cout, wt, bias);
            free(wt), free(bias);
        }
    }
    /* A fill Const, an Identity in front of a weight and an op the loader does not interpret. */
    const int64_t shape[2] = {2, 3};
    const char *ident[1] = {"fill"};
    bad |= fv_tfw_const_fill(w, "fill", shape, 2, 0.5f) || fv_tfw_op(w, "fill_read", "Identity", ident, 1);
    const char *sq[1] = {"softmax2"};
    bad |= fv_tfw_op(w, "output", "Squeeze", sq, 1);
    if (bad || fv_tfw_write(w, seed_path(dir, name))) {
        fprintf(stderr, "make_fuzz_seeds: cannot write %s/%s\n", dir, name);
        exit(1);
    }
    fv_tfw_free(w);
}

void seeds_graphdef(const char *dir)
{
    write_graphdef(dir, "tiny_inception5h_content.pb", 0);
    write_graphdef(dir, "tiny_inception5h_float_val.pb", 1);
}
