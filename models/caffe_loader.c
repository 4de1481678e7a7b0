/* Caffe NetParameter (.caffemodel) loader: unpacks the file with protobuf-c (models/caffe.proto) and
 * turns each layer of either encoding (V1 `layers`, field 2, or current `layer`, field 100) into an
 * fv_mf_layer record, with its weight blobs checked against their shapes and hyper-parameters. */
#include "modelfile.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caffe.pb-c.h"
#include "pbcheck.h"

/* One layer of either encoding, seen through the fields both share. */
typedef struct caffe_view {
    const char *name;
    const char *type;
    fv_mf_kind kind;
    size_t nbottom, ntop, nblobs;
    char **bottom, **top;
    Caffe__BlobProto **blobs;
    const Caffe__ConvolutionParameter *conv;
    const Caffe__PoolingParameter *pool;
    const Caffe__LRNParameter *lrn;
    const Caffe__InnerProductParameter *ip;
} caffe_view;

static const struct {
    const char *type;
    fv_mf_kind kind;
} caffe_kinds[] = {
    {"Convolution", FV_MF_CONV}, {"Pooling", FV_MF_POOL},     {"LRN", FV_MF_LRN},
    {"ReLU", FV_MF_RELU},        {"Concat", FV_MF_CONCAT},    {"InnerProduct", FV_MF_FC},
    {"Softmax", FV_MF_SOFTMAX},
};

static fv_mf_kind kind_from_type(const char *type)
{
    for (size_t i = 0; i < sizeof caffe_kinds / sizeof caffe_kinds[0]; i++)
        if (strcmp(type, caffe_kinds[i].type) == 0) return caffe_kinds[i].kind;
    return FV_MF_OTHER;
}

static fv_mf_kind kind_from_v1(Caffe__V1LayerParameter__LayerType t)
{
    switch (t) {
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__CONVOLUTION: return FV_MF_CONV;
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__POOLING: return FV_MF_POOL;
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__LRN: return FV_MF_LRN;
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__RELU: return FV_MF_RELU;
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__CONCAT: return FV_MF_CONCAT;
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__INNER_PRODUCT: return FV_MF_FC;
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__SOFTMAX: return FV_MF_SOFTMAX;
    default: return FV_MF_OTHER;
    }
}

/* Fixed-size name fields: refuse rather than truncate, since a truncated name would silently fail
 * (or worse, succeed) a later lookup. */
static fv_status copy_name(char *dst, size_t cap, const char *src, const char *path, const char *layer,
                           const char *what)
{
    if (!src) src = "";
    size_t n = strlen(src);
    if (n >= cap)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: layer '%.100s': %s '%.60s...' is longer than %zu characters",
                       path, layer, what, src, cap - 1);
    memcpy(dst, src, n + 1);
    return FV_OK;
}

static void fmt_dims(char *buf, size_t cap, const int64_t *d, int nd)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < nd && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, i ? "x%" PRId64 : "%" PRId64, d[i]);
}

/* Decode one BlobProto: shape from `shape.dim` if present, else the legacy num/channels/height/width;
 * the value count must match the shape. dims/ndim start as the file's own and are fixed up later. */
static fv_status read_blob(const char *path, const char *lname, int bi, const Caffe__BlobProto *bp,
                           fv_mf_blob *b)
{
    int64_t d[4];
    int nd;
    if (bp->shape && bp->shape->n_dim > 0) {
        if (bp->shape->n_dim > 4)
            return fv_fail(FV_ERR_UNSUPPORTED, "%s: layer '%s' blob %d has %zu axes; at most 4 are supported",
                           path, lname, bi, bp->shape->n_dim);
        nd = (int)bp->shape->n_dim;
        for (int i = 0; i < nd; i++) d[i] = bp->shape->dim[i];
    } else {
        nd = 4;
        d[0] = bp->num, d[1] = bp->channels, d[2] = bp->height, d[3] = bp->width;
    }
    char shape[96];
    fmt_dims(shape, sizeof shape, d, nd);
    int64_t want = 1;
    for (int i = 0; i < nd; i++) {
        if (d[i] < 0 || d[i] > INT_MAX)
            return fv_fail(FV_ERR_SHAPE, "%s: layer '%s' blob %d: bad shape %s", path, lname, bi, shape);
        want *= d[i];
        if (want > ((int64_t)1 << 40))
            return fv_fail(FV_ERR_SHAPE, "%s: layer '%s' blob %d: shape %s is too large", path, lname, bi, shape);
    }
    size_t have = bp->n_data ? bp->n_data : bp->n_double_data;
    if ((uint64_t)want != (uint64_t)have)
        return fv_fail(FV_ERR_SHAPE, "%s: layer '%s' blob %d: shape %s (%" PRId64 " values) but %zu values stored",
                       path, lname, bi, shape, want, have);
    b->file_ndim = b->ndim = nd;
    for (int i = 0; i < nd; i++) b->file_dims[i] = d[i], b->dims[i] = (int)d[i];
    b->count = have;
    b->data = malloc(have ? have * sizeof(float) : 1);
    if (!b->data) return fv_fail(FV_ERR_NOMEM, "%s: layer '%s' blob %d: out of memory", path, lname, bi);
    if (bp->n_data)
        memcpy(b->data, bp->data, have * sizeof(float));
    else
        for (size_t i = 0; i < have; i++) b->data[i] = (float)bp->double_data[i];
    return FV_OK;
}

/* Legacy V1 blobs pad every shape to 4-D with leading 1s (FC weights 1,1,out,in; biases 1,1,1,out). */
static int strip_leading_ones(fv_mf_blob *b, int keep)
{
    while (b->ndim > keep && b->dims[0] == 1) {
        memmove(b->dims, b->dims + 1, (size_t)(b->ndim - 1) * sizeof b->dims[0]);
        b->ndim--;
    }
    return b->ndim == keep;
}

/* A kernel, stride or padding pair as the file declares it, checked against FV_MF_MAX_WINDOW before use. */
static fv_status window_pair(const char *path, const char *lname, const char *what, uint32_t h, uint32_t w, int *oh,
                             int *ow)
{
    if (h > FV_MF_MAX_WINDOW || w > FV_MF_MAX_WINDOW)
        return fv_fail(FV_ERR_FORMAT, "%s: layer '%s': %s %" PRIu32 "x%" PRIu32 " is out of range (at most %d)", path,
                       lname, what, h, w, FV_MF_MAX_WINDOW);
    *oh = (int)h, *ow = (int)w;
    return FV_OK;
}

/* Read two per-axis values the Caffe way: explicit _h/_w fields win, else 0, 1 or 2 repeated values. */
static fv_status conv_pair(const char *path, const char *lname, const char *what, int has_hw, uint32_t h,
                           uint32_t w, size_t n, const uint32_t *v, int dflt, int *oh, int *ow)
{
    if (!has_hw && n > 2)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: layer '%s': %zu %s values (only 2-D convolution is supported)",
                       path, lname, n, what);
    if (!has_hw && n > 0) h = v[0], w = v[n - 1];
    if (!has_hw && n == 0) h = w = (uint32_t)dflt;
    return window_pair(path, lname, what, h, w, oh, ow);
}

static fv_status fill_conv(const char *path, const caffe_view *v, fv_mf_layer *L)
{
    const Caffe__ConvolutionParameter *c = v->conv;
    if (!c) return fv_fail(FV_ERR_FORMAT, "%s: layer '%s' (%s) has no convolution_param", path, L->name, L->type);
    if (c->group != 1)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: layer '%s': grouped convolution (group %u) is not supported",
                       path, L->name, c->group);
    for (size_t i = 0; i < c->n_dilation; i++)
        if (c->dilation[i] != 1)
            return fv_fail(FV_ERR_UNSUPPORTED, "%s: layer '%s': dilated convolution (dilation %u) is not supported",
                           path, L->name, c->dilation[i]);
    L->num_output = c->has_num_output ? (int)c->num_output : 0;
    FV_TRY(conv_pair(path, L->name, "kernel_size", c->has_kernel_h || c->has_kernel_w, c->kernel_h, c->kernel_w,
                     c->n_kernel_size, c->kernel_size, 0, &L->kh, &L->kw));
    FV_TRY(conv_pair(path, L->name, "stride", c->has_stride_h || c->has_stride_w, c->stride_h, c->stride_w,
                     c->n_stride, c->stride, 1, &L->sh, &L->sw));
    FV_TRY(conv_pair(path, L->name, "pad", c->has_pad_h || c->has_pad_w, c->pad_h, c->pad_w, c->n_pad, c->pad, 0,
                     &L->pad_h, &L->pad_w));
    if (L->kh <= 0 || L->kw <= 0 || L->sh <= 0 || L->sw <= 0)
        return fv_fail(FV_ERR_FORMAT, "%s: layer '%s': kernel %dx%d stride %dx%d (kernel_size missing or zero?)",
                       path, L->name, L->kh, L->kw, L->sh, L->sw);
    L->padding = FV_PAD_EXPLICIT;
    if (L->nblobs == 0) return FV_OK;
    fv_mf_blob *w = &L->blobs[0];
    char found[96];
    fmt_dims(found, sizeof found, w->file_dims, w->file_ndim);
    if (w->ndim != 4)
        return fv_fail(FV_ERR_SHAPE, "%s: layer '%s': weights %s, expected 4 axes (O,I,kh,kw)", path, L->name, found);
    int want_o = L->num_output ? L->num_output : w->dims[0];
    if (w->dims[0] != want_o || w->dims[2] != L->kh || w->dims[3] != L->kw)
        return fv_fail(FV_ERR_SHAPE, "%s: layer '%s': weights %s (O,I,kh,kw) but num_output %d and kernel %dx%d "
                       "expect %dx%dx%dx%d", path, L->name, found, L->num_output, L->kh, L->kw, want_o,
                       w->dims[1], L->kh, L->kw);
    L->num_output = want_o;
    return FV_OK;
}

static fv_status fill_fc(const char *path, const caffe_view *v, fv_mf_layer *L)
{
    const Caffe__InnerProductParameter *p = v->ip;
    L->num_output = p && p->has_num_output ? (int)p->num_output : 0;
    if (L->nblobs == 0) return FV_OK;
    fv_mf_blob *w = &L->blobs[0];
    char found[96];
    fmt_dims(found, sizeof found, w->file_dims, w->file_ndim);
    if (!strip_leading_ones(w, 2))
        return fv_fail(FV_ERR_SHAPE, "%s: layer '%s': weights %s, expected (out,in) or 1x1xoutxin", path, L->name,
                       found);
    if (p && p->transpose) {
        /* transpose=true stores (in, out); our layout is (out, in). */
        int in = w->dims[0], out = w->dims[1];
        float *t = malloc(w->count * sizeof(float) + 1);
        if (!t) return fv_fail(FV_ERR_NOMEM, "%s: layer '%s': out of memory", path, L->name);
        for (int i = 0; i < in; i++)
            for (int o = 0; o < out; o++) t[(size_t)o * in + i] = w->data[(size_t)i * out + o];
        free(w->data);
        w->data = t, w->dims[0] = out, w->dims[1] = in;
    }
    int want_o = L->num_output ? L->num_output : w->dims[0];
    if (w->dims[0] != want_o)
        return fv_fail(FV_ERR_SHAPE, "%s: layer '%s': weights %s but num_output %d expects %dx%d", path, L->name,
                       found, L->num_output, want_o, w->dims[1]);
    L->num_output = want_o;
    return FV_OK;
}

static fv_status fill_pool(const char *path, const caffe_view *v, fv_mf_layer *L)
{
    const Caffe__PoolingParameter *p = v->pool;
    if (!p) return fv_fail(FV_ERR_FORMAT, "%s: layer '%s' (%s) has no pooling_param", path, L->name, L->type);
    L->global_pool = p->global_pooling;
    int hw = p->has_kernel_h || p->has_kernel_w;
    FV_TRY(window_pair(path, L->name, "kernel", hw ? p->kernel_h : p->kernel_size, hw ? p->kernel_w : p->kernel_size,
                       &L->kh, &L->kw));
    hw = p->has_stride_h || p->has_stride_w; /* proto default stride 1 */
    FV_TRY(window_pair(path, L->name, "stride", hw ? p->stride_h : p->stride, hw ? p->stride_w : p->stride, &L->sh,
                       &L->sw));
    hw = p->has_pad_h || p->has_pad_w;
    FV_TRY(window_pair(path, L->name, "pad", hw ? p->pad_h : p->pad, hw ? p->pad_w : p->pad, &L->pad_h, &L->pad_w));
    if (!L->global_pool && (L->kh <= 0 || L->kw <= 0 || L->sh <= 0 || L->sw <= 0))
        return fv_fail(FV_ERR_FORMAT, "%s: layer '%s': pooling window %dx%d stride %dx%d (kernel_size missing?)",
                       path, L->name, L->kh, L->kw, L->sh, L->sw);
    L->padding = FV_PAD_EXPLICIT;
    L->pool_max = p->pool == CAFFE__POOLING_PARAMETER__POOL_METHOD__MAX;
    /* Stochastic pooling is a weighted mean at test time, neither max nor average: leave it uninterpreted. */
    if (p->pool == CAFFE__POOLING_PARAMETER__POOL_METHOD__STOCHASTIC) L->kind = FV_MF_OTHER;
    return FV_OK;
}

static fv_status fill_lrn(const char *path, const caffe_view *v, fv_mf_layer *L)
{
    const Caffe__LRNParameter *p = v->lrn;
    if (p && p->local_size > FV_MF_MAX_WINDOW)
        return fv_fail(FV_ERR_FORMAT, "%s: layer '%s': local_size %" PRIu32 " is out of range (at most %d)", path,
                       L->name, p->local_size, FV_MF_MAX_WINDOW);
    L->lrn_size = p ? (int)p->local_size : 5;
    L->lrn_alpha = p ? p->alpha : 1.0f;
    L->lrn_beta = p ? p->beta : 0.75f;
    L->lrn_k = p ? p->k : 1.0f;
    L->lrn_alpha_is_mean = 1;
    /* Within-channel LRN normalises over a spatial window, which our LRN op does not do. */
    if (p && p->norm_region == CAFFE__LRNPARAMETER__NORM_REGION__WITHIN_CHANNEL) L->kind = FV_MF_OTHER;
    return FV_OK;
}

static fv_status add_layer(const char *path, fv_modelfile *mf, const caffe_view *v)
{
    fv_mf_layer *L = &mf->layers[mf->nlayers++]; /* counted first so fv_modelfile_free sees partial blobs */
    FV_TRY(copy_name(L->name, sizeof L->name, v->name, path, v->name ? v->name : "", "name"));
    FV_TRY(copy_name(L->type, sizeof L->type, v->type, path, L->name, "type"));
    L->kind = v->kind;
    if (v->nbottom > 8 || v->ntop > 4)
        return fv_fail(FV_ERR_UNSUPPORTED, "%s: layer '%s' has %zu bottoms and %zu tops; at most 8 and 4 supported",
                       path, L->name, v->nbottom, v->ntop);
    L->nbottom = (int)v->nbottom, L->ntop = (int)v->ntop;
    for (size_t i = 0; i < v->nbottom; i++)
        FV_TRY(copy_name(L->bottom[i], sizeof L->bottom[i], v->bottom[i], path, L->name, "bottom"));
    for (size_t i = 0; i < v->ntop; i++) FV_TRY(copy_name(L->top[i], sizeof L->top[i], v->top[i], path, L->name, "top"));
    L->sh = L->sw = 1;
    L->padding = FV_PAD_EXPLICIT;
    L->nblobs = v->nblobs > 2 ? 2 : (int)v->nblobs;
    for (int i = 0; i < L->nblobs; i++) FV_TRY(read_blob(path, L->name, i, v->blobs[i], &L->blobs[i]));
    switch (L->kind) {
    case FV_MF_CONV: FV_TRY(fill_conv(path, v, L)); break;
    case FV_MF_FC: FV_TRY(fill_fc(path, v, L)); break;
    case FV_MF_POOL: FV_TRY(fill_pool(path, v, L)); break;
    case FV_MF_LRN: FV_TRY(fill_lrn(path, v, L)); break;
    default: break;
    }
    if ((L->kind == FV_MF_CONV || L->kind == FV_MF_FC) && L->nblobs > 1) {
        fv_mf_blob *b = &L->blobs[1];
        char found[96];
        fmt_dims(found, sizeof found, b->file_dims, b->file_ndim);
        if (b->count != (size_t)L->num_output)
            return fv_fail(FV_ERR_SHAPE, "%s: layer '%s': bias %s (%zu values) but num_output %d expects %d",
                           path, L->name, found, b->count, L->num_output, L->num_output);
        b->ndim = 1, b->dims[0] = L->num_output;
    }
    return FV_OK;
}

static void view_v1(const Caffe__V1LayerParameter *l, char *typebuf, size_t cap, caffe_view *v)
{
    const ProtobufCEnumValue *ev =
        protobuf_c_enum_descriptor_get_value(&caffe__v1_layer_parameter__layer_type__descriptor, (int)l->type);
    if (ev)
        snprintf(typebuf, cap, "%s", ev->name);
    else
        snprintf(typebuf, cap, "V1 type %d", (int)l->type);
    *v = (caffe_view){.name = l->name, .type = typebuf, .kind = kind_from_v1(l->type), .nbottom = l->n_bottom,
                      .ntop = l->n_top, .nblobs = l->n_blobs, .bottom = l->bottom, .top = l->top, .blobs = l->blobs,
                      .conv = l->convolution_param, .pool = l->pooling_param, .lrn = l->lrn_param,
                      .ip = l->inner_product_param};
}

static void view_current(const Caffe__LayerParameter *l, caffe_view *v)
{
    const char *type = l->type ? l->type : "";
    *v = (caffe_view){.name = l->name, .type = type, .kind = kind_from_type(type), .nbottom = l->n_bottom,
                      .ntop = l->n_top, .nblobs = l->n_blobs, .bottom = l->bottom, .top = l->top, .blobs = l->blobs,
                      .conv = l->convolution_param, .pool = l->pooling_param, .lrn = l->lrn_param,
                      .ip = l->inner_product_param};
}

fv_status fv_caffe_load(const char *path, const uint8_t *buf, size_t len, fv_modelfile **out)
{
    *out = NULL;
    FV_TRY(fv_pb_check_size(&caffe__net_parameter__descriptor, buf, len, path, NULL));
    Caffe__NetParameter *net = caffe__net_parameter__unpack(NULL, len, buf);
    if (!net) return fv_fail(FV_ERR_FORMAT, "%s: truncated or corrupt Caffe NetParameter (%zu bytes)", path, len);
    /* A file holding both encodings is one Caffe's upgrade left half done; the current one is authoritative. */
    int current = net->n_layer > 0;
    size_t n = current ? net->n_layer : net->n_layers;
    if (n == 0 || n > FV_MF_MAX_LAYERS) {
        caffe__net_parameter__free_unpacked(net, NULL);
        if (n) return fv_fail(FV_ERR_FORMAT, "%s: Caffe NetParameter lists %zu layers (field '%s'); at most %d are read",
                              path, n, current ? "layer" : "layers", FV_MF_MAX_LAYERS);
        return fv_fail(FV_ERR_FORMAT, "%s: Caffe NetParameter holds no layers (%zu bytes)", path, len);
    }
    fv_modelfile *mf = calloc(1, sizeof *mf);
    fv_mf_layer *layers = calloc(n, sizeof *layers);
    if (!mf || !layers) {
        free(mf), free(layers);
        caffe__net_parameter__free_unpacked(net, NULL);
        return fv_fail(FV_ERR_NOMEM, "%s: out of memory for %zu layers", path, n);
    }
    mf->layers = layers;
    mf->format = current ? FV_MF_CAFFE : FV_MF_CAFFE_V1;
    snprintf(mf->path, sizeof mf->path, "%s", path);
    fv_status st = FV_OK;
    for (size_t i = 0; i < n && st == FV_OK; i++) {
        caffe_view v;
        char typebuf[48];
        if (current)
            view_current(net->layer[i], &v);
        else
            view_v1(net->layers[i], typebuf, sizeof typebuf, &v);
        st = add_layer(path, mf, &v);
    }
    caffe__net_parameter__free_unpacked(net, NULL);
    if (st != FV_OK) {
        fv_modelfile_free(mf);
        return st;
    }
    *out = mf;
    return FV_OK;
}
