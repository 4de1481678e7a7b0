/* Criterion tests of the model-file loaders: the real BVLC GoogLeNet caffemodel (V1 encoding) against the
 * raw per-layer weight files, the same net re-encoded in the current `layer` encoding, GraphDefs built
 * with tf_writer (both tensor encodings), and the errors for truncated, corrupt and inconsistent files. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caffe.pb-c.h"
#include "models/modelfile.h"
#include "crutil.h"
#include "testutil.h"
#include "tf_writer.h"

/* ---------- helpers ---------- */

static const char *caffemodel_path(void)
{
    return fv_test_weights();
}

static float *read_bin(const char *rel, size_t *count)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/weights/%s", fv_test_shared("models/bvlc_googlenet"), rel);
    size_t len;
    float *f = (float *)fv_test_slurp(path, &len); /* raw little-endian float32, as is this host */
    *count = len / 4;
    return f;
}

/* A fresh temp file name ending in `suffix`; the file exists (empty) and the caller unlinks it. */
static void temp_path(char *buf, size_t cap, const char *suffix)
{
    snprintf(buf, cap, "/tmp/fv_test_loaders_XXXXXX%s", suffix);
    int fd = mkstemps(buf, (int)strlen(suffix));
    cr_assert(fd >= 0, "mkstemps: %s", strerror(errno));
    close(fd);
}

static fv_modelfile *load_ok(const char *path)
{
    fv_modelfile *mf = NULL;
    fv_status st = fv_modelfile_load(path, &mf);
    cr_assert_eq(st, FV_OK, "loading %s: %s", path, fv_last_error());
    cr_assert(mf);
    return mf;
}

static void require_real_model(void)
{
    if (access(caffemodel_path(), R_OK) != 0) cr_skip_test("no caffemodel at %s", caffemodel_path());
}

static const fv_mf_layer *find_kind(const fv_modelfile *mf, const char *name, fv_mf_kind kind)
{
    for (int i = 0; i < mf->nlayers; i++)
        if (mf->layers[i].kind == kind && strcmp(mf->layers[i].name, name) == 0) return &mf->layers[i];
    cr_assert_fail("no %d record named '%s'", (int)kind, name);
    return NULL;
}

/* ---------- (a) the real V1 caffemodel ---------- */

Test(caffe_v1, googlenet_layers_and_params)
{
    require_real_model();
    fv_modelfile *mf = load_ok(caffemodel_path());
    cr_assert_eq(mf->format, FV_MF_CAFFE_V1);
    cr_assert_eq(mf->nlayers, 142, "PROVENANCE.md: 142 deploy layers, got %d", mf->nlayers);

    const fv_mf_layer *c = fv_modelfile_find(mf, "conv1/7x7_s2");
    cr_assert(c);
    cr_assert_eq(c->kind, FV_MF_CONV);
    cr_assert_str_eq(c->type, "CONVOLUTION");
    cr_assert_eq(c->num_output, 64);
    cr_assert(c->kh == 7 && c->kw == 7 && c->sh == 2 && c->sw == 2 && c->pad_h == 3 && c->pad_w == 3);
    cr_assert_eq(c->padding, FV_PAD_EXPLICIT);
    cr_assert(c->nbottom == 1 && strcmp(c->bottom[0], "data") == 0);
    cr_assert(c->ntop == 1 && strcmp(c->top[0], "conv1/7x7_s2") == 0);
    cr_assert_eq(c->nblobs, 2);
    cr_assert(c->blobs[0].ndim == 4 && c->blobs[0].dims[0] == 64 && c->blobs[0].dims[1] == 3 &&
              c->blobs[0].dims[2] == 7 && c->blobs[0].dims[3] == 7);
    cr_assert(c->blobs[1].ndim == 1 && c->blobs[1].dims[0] == 64 && c->blobs[1].count == 64);
    cr_assert(c->blobs[1].file_ndim == 4 && c->blobs[1].file_dims[3] == 64 && c->blobs[1].file_dims[0] == 1);

    const fv_mf_layer *p = fv_modelfile_find(mf, "pool1/3x3_s2");
    cr_assert(p && p->kind == FV_MF_POOL && p->pool_max == 1 && !p->global_pool);
    cr_assert(p->kh == 3 && p->kw == 3 && p->sh == 2 && p->sw == 2 && p->pad_h == 0);
    const fv_mf_layer *avg = fv_modelfile_find(mf, "pool5/7x7_s1");
    cr_assert(avg && avg->kind == FV_MF_POOL && avg->pool_max == 0 && avg->kh == 7 && avg->sh == 1);

    const fv_mf_layer *n = fv_modelfile_find(mf, "pool1/norm1");
    cr_assert(n && n->kind == FV_MF_LRN && n->lrn_size == 5);
    cr_assert_float_eq(n->lrn_alpha, 1e-4f, 1e-10);
    cr_assert_float_eq(n->lrn_beta, 0.75f, 0);
    cr_assert_float_eq(n->lrn_k, 1.0f, 0);
    cr_assert_eq(n->lrn_alpha_is_mean, 1);

    const fv_mf_layer *cat = fv_modelfile_find(mf, "inception_3a/output");
    cr_assert(cat && cat->kind == FV_MF_CONCAT && cat->nbottom == 4);
    const char *order[4] = {"inception_3a/1x1", "inception_3a/3x3", "inception_3a/5x5", "inception_3a/pool_proj"};
    for (int i = 0; i < 4; i++) cr_assert_str_eq(cat->bottom[i], order[i]);

    cr_assert_eq(fv_modelfile_find(mf, "conv1/relu_7x7")->kind, FV_MF_RELU);
    cr_assert_eq(fv_modelfile_find(mf, "prob")->kind, FV_MF_SOFTMAX);
    cr_assert_null(fv_modelfile_find(mf, "no/such/layer"));
    int nconv = 0;
    for (int i = 0; i < mf->nlayers; i++) nconv += mf->layers[i].kind == FV_MF_CONV;
    cr_assert_eq(nconv, 57);

    const fv_mf_layer *fc = fv_modelfile_find(mf, "loss3/classifier");
    cr_assert(fc && fc->kind == FV_MF_FC && fc->num_output == 1000);
    cr_assert(fc->blobs[0].ndim == 2 && fc->blobs[0].dims[0] == 1000 && fc->blobs[0].dims[1] == 1024);
    cr_assert(fc->blobs[0].file_ndim == 4 && fc->blobs[0].file_dims[2] == 1000 && fc->blobs[0].file_dims[3] == 1024);
    fv_modelfile_free(mf);
}

/* Every one of the 116 raw weight files equals the loaded blob: conv filters OHWI -> OIHW, the rest as is. */
Test(caffe_v1, googlenet_weights_equal_raw_files)
{
    require_real_model();
    fv_modelfile *mf = load_ok(caffemodel_path());
    size_t mlen;
    char *manifest = (char *)fv_test_slurp(fv_test_shared("models/bvlc_googlenet/MANIFEST.tsv"), &mlen);
    manifest[mlen] = '\0';
    int files = 0;
    for (char *save = NULL, *line = strtok_r(manifest, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') continue;
        char file[256], shape[64];
        cr_assert_eq(sscanf(line, "%255s %63s", file, shape), 2, "bad manifest line '%s'", line);
        char layer[256];
        snprintf(layer, sizeof layer, "%s", file);
        int is_bias = strstr(layer, "_bias.bin") != NULL;
        *strstr(layer, is_bias ? "_bias.bin" : "_filter.bin") = '\0';
        const fv_mf_layer *L = fv_modelfile_find(mf, layer);
        cr_assert(L, "layer %s of %s not loaded", layer, file);
        const fv_mf_blob *b = &L->blobs[is_bias];
        size_t count;
        float *raw = read_bin(file, &count);
        cr_assert_eq(b->count, count, "%s: %zu values loaded, %zu in file", file, b->count, count);
        if (L->kind == FV_MF_CONV && !is_bias) {
            int O = b->dims[0], I = b->dims[1], H = b->dims[2], W = b->dims[3];
            for (int o = 0; o < O; o++)
                for (int i = 0; i < I; i++)
                    for (int y = 0; y < H; y++)
                        for (int x = 0; x < W; x++) {
                            float got = b->data[((o * I + i) * H + y) * W + x];
                            float want = raw[((o * H + y) * W + x) * I + i];
                            if (got != want)
                                cr_assert_fail("%s[o=%d,i=%d,y=%d,x=%d]: loaded %g, file %g", file, o, i, y, x, got, want);
                        }
        } else {
            cr_assert(memcmp(b->data, raw, count * 4) == 0, "%s differs", file);
        }
        free(raw);
        files++;
    }
    cr_assert_eq(files, 116);
    free(manifest);
    fv_modelfile_free(mf);
}

/* ---------- (b) the current `layer` encoding ---------- */

static const char *current_type(Caffe__V1LayerParameter__LayerType t)
{
    switch (t) {
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__CONVOLUTION: return "Convolution";
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__POOLING: return "Pooling";
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__LRN: return "LRN";
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__RELU: return "ReLU";
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__CONCAT: return "Concat";
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__INNER_PRODUCT: return "InnerProduct";
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__SOFTMAX: return "Softmax";
    case CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__DROPOUT: return "Dropout";
    default: return "Unknown";
    }
}

/* Re-encode a V1 net as `layer` records with `shape` blobs (conv weights 4-D, others without the legacy
 * leading 1s), sharing the V1 net's parameter messages and float arrays. Returns the packed bytes. */
static uint8_t *reencode_current(const Caffe__NetParameter *v1, size_t *len)
{
    size_t n = v1->n_layers, nblobs = 0;
    for (size_t i = 0; i < n; i++) nblobs += v1->layers[i]->n_blobs;
    Caffe__LayerParameter *ls = calloc(n, sizeof *ls), **lp = calloc(n, sizeof *lp);
    Caffe__BlobProto *bs = calloc(nblobs + 1, sizeof *bs), **bp = calloc(nblobs + 1, sizeof *bp);
    Caffe__BlobShape *ss = calloc(nblobs + 1, sizeof *ss);
    int64_t *dims = calloc(4 * (nblobs + 1), sizeof *dims);
    cr_assert(ls && lp && bs && bp && ss && dims);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const Caffe__V1LayerParameter *o = v1->layers[i];
        Caffe__LayerParameter *l = &ls[i];
        caffe__layer_parameter__init(l);
        lp[i] = l;
        l->name = o->name;
        l->type = (char *)current_type(o->type);
        l->n_bottom = o->n_bottom, l->bottom = o->bottom;
        l->n_top = o->n_top, l->top = o->top;
        l->convolution_param = o->convolution_param, l->pooling_param = o->pooling_param;
        l->lrn_param = o->lrn_param, l->inner_product_param = o->inner_product_param;
        l->concat_param = o->concat_param, l->dropout_param = o->dropout_param;
        l->n_blobs = o->n_blobs, l->blobs = &bp[k];
        for (size_t j = 0; j < o->n_blobs; j++, k++) {
            const Caffe__BlobProto *ob = o->blobs[j];
            caffe__blob_proto__init(&bs[k]);
            caffe__blob_shape__init(&ss[k]);
            int64_t legacy[4] = {ob->num, ob->channels, ob->height, ob->width};
            int keep = (o->type == CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__CONVOLUTION && j == 0) ? 4 : 1;
            int first = 0;
            while (4 - first > keep && legacy[first] == 1) first++;
            memcpy(&dims[4 * k], legacy + first, (size_t)(4 - first) * sizeof(int64_t));
            ss[k].n_dim = (size_t)(4 - first);
            ss[k].dim = &dims[4 * k];
            bs[k].shape = &ss[k];
            bs[k].n_data = ob->n_data, bs[k].data = ob->data;
            bp[k] = &bs[k];
        }
    }
    Caffe__NetParameter net = CAFFE__NET_PARAMETER__INIT;
    net.name = v1->name;
    net.n_layer = n, net.layer = lp;
    *len = caffe__net_parameter__get_packed_size(&net);
    uint8_t *buf = malloc(*len);
    cr_assert(buf);
    caffe__net_parameter__pack(&net, buf);
    free(ls), free(lp), free(bs), free(bp), free(ss), free(dims);
    return buf;
}

static Caffe__NetParameter *unpack_real(void)
{
    size_t len;
    uint8_t *buf = fv_test_slurp(caffemodel_path(), &len);
    Caffe__NetParameter *net = caffe__net_parameter__unpack(NULL, len, buf);
    free(buf);
    cr_assert(net && net->n_layers == 142);
    return net;
}

Test(caffe_current, reencoded_googlenet_gives_identical_records)
{
    require_real_model();
    Caffe__NetParameter *v1 = unpack_real();
    size_t len;
    uint8_t *buf = reencode_current(v1, &len);
    char path[256];
    temp_path(path, sizeof path, ".caffemodel");
    fv_test_write_file(path, buf, len);
    free(buf);
    fv_modelfile *b = NULL;
    fv_status st = fv_modelfile_load(path, &b);
    unlink(path);
    cr_assert_eq(st, FV_OK, "%s", fv_last_error());
    fv_modelfile *a = load_ok(caffemodel_path());
    cr_assert_eq(b->format, FV_MF_CAFFE);
    cr_assert_eq(a->nlayers, b->nlayers);
    for (int i = 0; i < a->nlayers; i++) {
        const fv_mf_layer *x = &a->layers[i], *y = &b->layers[i];
        cr_assert_str_eq(x->name, y->name);
        cr_assert_str_eq(current_type(v1->layers[i]->type), y->type);
        cr_assert_eq(x->kind, y->kind, "%s", x->name);
        cr_assert(x->nbottom == y->nbottom && x->ntop == y->ntop);
        for (int j = 0; j < x->nbottom; j++) cr_assert_str_eq(x->bottom[j], y->bottom[j]);
        for (int j = 0; j < x->ntop; j++) cr_assert_str_eq(x->top[j], y->top[j]);
        cr_assert(x->num_output == y->num_output && x->kh == y->kh && x->kw == y->kw && x->sh == y->sh &&
                  x->sw == y->sw && x->pad_h == y->pad_h && x->pad_w == y->pad_w && x->padding == y->padding &&
                  x->pool_max == y->pool_max && x->global_pool == y->global_pool, "%s params differ", x->name);
        cr_assert(x->lrn_size == y->lrn_size && x->lrn_alpha == y->lrn_alpha && x->lrn_beta == y->lrn_beta &&
                  x->lrn_k == y->lrn_k && x->lrn_alpha_is_mean == y->lrn_alpha_is_mean);
        cr_assert_eq(x->nblobs, y->nblobs);
        for (int j = 0; j < x->nblobs; j++) {
            const fv_mf_blob *p = &x->blobs[j], *q = &y->blobs[j];
            cr_assert(p->ndim == q->ndim && p->count == q->count, "%s blob %d", x->name, j);
            for (int d = 0; d < p->ndim; d++) cr_assert_eq(p->dims[d], q->dims[d]);
            cr_assert(memcmp(p->data, q->data, p->count * 4) == 0, "%s blob %d data", x->name, j);
        }
    }
    cr_assert_eq(fv_modelfile_find(b, "loss3/classifier")->blobs[0].file_ndim, 2);
    cr_assert_eq(fv_modelfile_find(b, "conv1/7x7_s2")->blobs[1].file_ndim, 1);
    fv_modelfile_free(a), fv_modelfile_free(b);
    caffe__net_parameter__free_unpacked(v1, NULL);
}

/* The _h/_w spellings, kernel_size/stride/pad pairs (packed and not), global average pooling, LRN defaults. */
Test(caffe_current, hw_params_and_defaults)
{
    float wdata[4 * 2 * 3 * 5];
    for (int i = 0; i < 120; i++) wdata[i] = 0.5f * (float)i;
    int64_t wdims[4] = {4, 2, 3, 5};
    Caffe__BlobShape ws = CAFFE__BLOB_SHAPE__INIT;
    ws.n_dim = 4, ws.dim = wdims;
    Caffe__BlobProto wb = CAFFE__BLOB_PROTO__INIT, *blobs[1] = {&wb};
    wb.shape = &ws, wb.n_data = 120, wb.data = wdata;
    Caffe__ConvolutionParameter cp = CAFFE__CONVOLUTION_PARAMETER__INIT;
    cp.has_num_output = 1, cp.num_output = 4, cp.has_bias_term = 1, cp.bias_term = 0;
    cp.has_kernel_h = cp.has_kernel_w = 1, cp.kernel_h = 3, cp.kernel_w = 5;
    cp.has_stride_h = cp.has_stride_w = 1, cp.stride_h = 1, cp.stride_w = 2;
    cp.has_pad_h = cp.has_pad_w = 1, cp.pad_h = 1, cp.pad_w = 2;
    Caffe__PoolingParameter pp = CAFFE__POOLING_PARAMETER__INIT;
    pp.has_pool = 1, pp.pool = CAFFE__POOLING_PARAMETER__POOL_METHOD__AVE;
    pp.has_global_pooling = 1, pp.global_pooling = 1;
    /* Hand-encoded ConvolutionParameter: num_output 4, bias_term false, kernel_size [3,5] and stride [1,2]
     * packed (field 4 and 6, wire type 2), pad 1 and 2 as two unpacked values (field 3). */
    static const uint8_t raw_cp[] = {0x08, 4, 0x10, 0, 0x22, 2, 3, 5, 0x32, 2, 1, 2, 0x18, 1, 0x18, 2};
    Caffe__ConvolutionParameter *cp2 = caffe__convolution_parameter__unpack(NULL, sizeof raw_cp, raw_cp);
    cr_assert(cp2 && cp2->n_kernel_size == 2 && cp2->n_stride == 2 && cp2->n_pad == 2,
              "protobuf-c should accept packed and unpacked runs of a repeated field");
    char *bot[1] = {"data"}, *top1[1] = {"c"}, *top2[1] = {"n"}, *top3[1] = {"p"}, *top4[1] = {"c2"};
    Caffe__LayerParameter l[4], *lp[4] = {&l[0], &l[1], &l[2], &l[3]};
    for (int i = 0; i < 4; i++) caffe__layer_parameter__init(&l[i]);
    l[3].name = "c2", l[3].type = "Convolution", l[3].n_bottom = 1, l[3].bottom = top3, l[3].n_top = 1;
    l[3].top = top4, l[3].n_blobs = 1, l[3].blobs = blobs, l[3].convolution_param = cp2;
    l[0].name = "c", l[0].type = "Convolution", l[0].n_bottom = 1, l[0].bottom = bot, l[0].n_top = 1, l[0].top = top1;
    l[0].n_blobs = 1, l[0].blobs = blobs, l[0].convolution_param = &cp;
    l[1].name = "n", l[1].type = "LRN", l[1].n_bottom = 1, l[1].bottom = top1, l[1].n_top = 1, l[1].top = top2;
    l[2].name = "p", l[2].type = "Pooling", l[2].n_bottom = 1, l[2].bottom = top2, l[2].n_top = 1, l[2].top = top3;
    l[2].pooling_param = &pp;
    Caffe__NetParameter net = CAFFE__NET_PARAMETER__INIT;
    net.n_layer = 4, net.layer = lp;
    size_t len = caffe__net_parameter__get_packed_size(&net);
    uint8_t *buf = malloc(len);
    caffe__net_parameter__pack(&net, buf);
    caffe__convolution_parameter__free_unpacked(cp2, NULL);
    fv_modelfile *mf = NULL;
    cr_assert_eq(fv_caffe_load("mem.caffemodel", buf, len, &mf), FV_OK, "%s", fv_last_error());
    free(buf);
    const fv_mf_layer *c = fv_modelfile_find(mf, "c");
    cr_assert(c->kh == 3 && c->kw == 5 && c->sh == 1 && c->sw == 2 && c->pad_h == 1 && c->pad_w == 2);
    cr_assert(c->nblobs == 1 && c->blobs[0].dims[3] == 5 && c->blobs[0].data[119] == 59.5f);
    const fv_mf_layer *c2 = fv_modelfile_find(mf, "c2");
    cr_assert(c2->kh == 3 && c2->kw == 5 && c2->sh == 1 && c2->sw == 2 && c2->pad_h == 1 && c2->pad_w == 2 &&
              c2->num_output == 4 && c2->nblobs == 1);
    const fv_mf_layer *n = fv_modelfile_find(mf, "n");
    cr_assert(n->kind == FV_MF_LRN && n->lrn_size == 5 && n->lrn_alpha == 1.0f && n->lrn_beta == 0.75f &&
              n->lrn_k == 1.0f);
    const fv_mf_layer *p = fv_modelfile_find(mf, "p");
    cr_assert(p->kind == FV_MF_POOL && p->pool_max == 0 && p->global_pool == 1);
    fv_modelfile_free(mf);
}

/* ---------- (c) GraphDefs from tf_writer ---------- */

#define CIN 3
#define C0 4
static float conv_w[3 * 3 * CIN * C0], conv_b[C0], br_w[2][C0 * 2], br_b[2][2], fc_w[4 * 3], fc_b[3];

static fv_tfw *tiny_graph(int float_val)
{
    for (int i = 0; i < 3 * 3 * CIN * C0; i++) conv_w[i] = 0.25f + 0.01f * (float)i;
    for (int i = 0; i < C0; i++) conv_b[i] = -0.5f + (float)i;
    for (int i = 0; i < C0 * 2; i++) br_w[0][i] = (float)i, br_w[1][i] = -(float)i;
    br_b[0][0] = 1, br_b[0][1] = 2, br_b[1][0] = 3, br_b[1][1] = 4;
    for (int i = 0; i < 12; i++) fc_w[i] = 0.125f * (float)(i + 1);
    fc_b[0] = 7, fc_b[1] = 8, fc_b[2] = 9;
    fv_tfw *w = fv_tfw_new();
    cr_assert(w);
    fv_tfw_use_float_val(w, float_val);
    const char *cat_in[2] = {"mixed3a_1x1", "mixed3a_3x3_bottleneck"};
    const char *rs_in[1] = {"mixed3a"};
    cr_assert_eq(fv_tfw_placeholder(w, "input") | fv_tfw_conv(w, "conv2d0", "input", 3, 3, CIN, C0, 2, "SAME", conv_w, conv_b) |
                 fv_tfw_pool(w, "maxpool0", "conv2d0", "MaxPool", 3, 2, "SAME") |
                 fv_tfw_lrn(w, "localresponsenorm0", "maxpool0", 2, 1.5f, 1e-3f, 0.75f) |
                 fv_tfw_conv(w, "mixed3a_1x1", "localresponsenorm0", 1, 1, C0, 2, 1, "VALID", br_w[0], br_b[0]) |
                 fv_tfw_conv(w, "mixed3a_3x3_bottleneck", "localresponsenorm0", 1, 1, C0, 2, 1, "VALID", br_w[1], br_b[1]) |
                 fv_tfw_concat(w, "mixed3a", cat_in, 2) | fv_tfw_pool(w, "avgpool0", "mixed3a", "AvgPool", 7, 1, "VALID") |
                 fv_tfw_op(w, "avgpool0/reshape", "Reshape", rs_in, 1) |
                 fv_tfw_matmul_fc(w, "softmax2", "avgpool0/reshape", 4, 3, fc_w, fc_b), 0);
    return w;
}

static fv_modelfile *write_and_load(fv_tfw *w)
{
    char path[256];
    temp_path(path, sizeof path, ".pb");
    cr_assert_eq(fv_tfw_write(w, path), 0);
    fv_tfw_free(w);
    fv_modelfile *mf = NULL;
    fv_status st = fv_modelfile_load(path, &mf);
    unlink(path);
    cr_assert_eq(st, FV_OK, "%s", fv_last_error());
    return mf;
}

static void check_tiny(const fv_modelfile *mf)
{
    cr_assert_eq(mf->format, FV_MF_TF_GRAPHDEF);
    const fv_mf_layer *c = fv_modelfile_find(mf, "conv2d0"); /* the CONV record precedes the Relu of that name */
    cr_assert(c && c->kind == FV_MF_CONV);
    cr_assert_str_eq(c->type, "Conv2D");
    cr_assert(c->kh == 3 && c->kw == 3 && c->sh == 2 && c->sw == 2 && c->padding == FV_PAD_SAME && c->num_output == C0);
    cr_assert(c->nbottom == 1 && strcmp(c->bottom[0], "input") == 0 && strcmp(c->top[0], "conv2d0_pre_relu") == 0);
    const fv_mf_blob *wb = &c->blobs[0];
    cr_assert(c->nblobs == 2 && wb->ndim == 4 && wb->dims[0] == C0 && wb->dims[1] == CIN && wb->dims[2] == 3 &&
              wb->dims[3] == 3);
    cr_assert(wb->file_ndim == 4 && wb->file_dims[0] == 3 && wb->file_dims[2] == CIN && wb->file_dims[3] == C0);
    /* OIHW[o=2][i=1][y=0][x=2] is HWIO[y=0][x=2][i=1][o=2] = flat ((0*3+2)*3+1)*4+2 = 30. */
    cr_assert_eq(wb->data[((2 * CIN + 1) * 3 + 0) * 3 + 2], conv_w[30]);
    for (int o = 0; o < C0; o++)
        for (int i = 0; i < CIN; i++)
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++)
                    cr_assert_eq(wb->data[((o * CIN + i) * 3 + y) * 3 + x], conv_w[((y * 3 + x) * CIN + i) * C0 + o]);
    for (int o = 0; o < C0; o++) cr_assert_eq(c->blobs[1].data[o], conv_b[o]);
    const fv_mf_layer *r = find_kind(mf, "conv2d0", FV_MF_RELU);
    cr_assert(r->nbottom == 1 && strcmp(r->bottom[0], "conv2d0_pre_relu") == 0);
    cr_assert_null(fv_modelfile_find(mf, "conv2d0_pre_relu"), "BiasAdd should be folded into the conv");
    cr_assert_null(fv_modelfile_find(mf, "conv2d0_w"), "Consts are not records");

    const fv_mf_layer *p = fv_modelfile_find(mf, "maxpool0");
    cr_assert(p && p->kind == FV_MF_POOL && p->pool_max && p->kh == 3 && p->kw == 3 && p->sh == 2 &&
              p->padding == FV_PAD_SAME && strcmp(p->bottom[0], "conv2d0") == 0);
    const fv_mf_layer *a = fv_modelfile_find(mf, "avgpool0");
    cr_assert(a && a->kind == FV_MF_POOL && !a->pool_max && a->kh == 7 && a->sh == 1 && a->padding == FV_PAD_VALID);
    const fv_mf_layer *n = fv_modelfile_find(mf, "localresponsenorm0");
    cr_assert(n && n->kind == FV_MF_LRN && n->lrn_size == 5 && n->lrn_k == 1.5f && n->lrn_alpha == 1e-3f &&
              n->lrn_beta == 0.75f && n->lrn_alpha_is_mean == 0);
    const fv_mf_layer *b1 = fv_modelfile_find(mf, "mixed3a_3x3_bottleneck");
    cr_assert(b1 && b1->kind == FV_MF_CONV && b1->kh == 1 && b1->padding == FV_PAD_VALID && b1->num_output == 2);
    cr_assert(b1->blobs[0].data[1 * C0 + 3] == br_w[1][3 * 2 + 1] && b1->blobs[1].data[1] == 4.0f); /* OI[1][3] = IO[3][1] */
    const fv_mf_layer *cat = find_kind(mf, "mixed3a", FV_MF_CONCAT);
    cr_assert(cat->nbottom == 2 && strcmp(cat->bottom[0], "mixed3a_1x1") == 0 &&
              strcmp(cat->bottom[1], "mixed3a_3x3_bottleneck") == 0);
    cr_assert_eq(fv_modelfile_find(mf, "avgpool0/reshape")->kind, FV_MF_OTHER);
    cr_assert_eq(fv_modelfile_find(mf, "input")->kind, FV_MF_OTHER);

    const fv_mf_layer *fc = fv_modelfile_find(mf, "softmax2");
    cr_assert(fc && fc->kind == FV_MF_FC && fc->num_output == 3 && strcmp(fc->top[0], "softmax2_pre_activation") == 0);
    cr_assert(fc->blobs[0].ndim == 2 && fc->blobs[0].dims[0] == 3 && fc->blobs[0].dims[1] == 4);
    for (int o = 0; o < 3; o++)
        for (int i = 0; i < 4; i++) cr_assert_eq(fc->blobs[0].data[o * 4 + i], fc_w[i * 3 + o]);
    cr_assert(fc->blobs[1].data[2] == 9.0f);
    const fv_mf_layer *sm = find_kind(mf, "softmax2", FV_MF_SOFTMAX);
    cr_assert_str_eq(sm->bottom[0], "softmax2_pre_activation");
}

static void tiny_roundtrip(int float_val)
{
    fv_modelfile *mf = write_and_load(tiny_graph(float_val));
    check_tiny(mf);
    fv_modelfile_free(mf);
}

Test(tf_graph, tiny_inception5h_style_tensor_content) { tiny_roundtrip(0); }
Test(tf_graph, tiny_inception5h_style_float_val) { tiny_roundtrip(1); }

Test(tf_graph, single_float_val_fills_and_lrn_defaults)
{
    fv_tfw *w = tiny_graph(0);
    int64_t shape[1] = {C0};
    const char *in[1] = {"maxpool0"};
    cr_assert_eq(fv_tfw_remove(w, "conv2d0_b"), 0);
    cr_assert_eq(fv_tfw_const_fill(w, "conv2d0_b", shape, 1, 2.5f), 0);
    cr_assert_eq(fv_tfw_op(w, "lrn_defaults", "LRN", in, 1), 0);
    fv_modelfile *mf = write_and_load(w);
    const fv_mf_layer *c = fv_modelfile_find(mf, "conv2d0");
    for (int o = 0; o < C0; o++) cr_assert_eq(c->blobs[1].data[o], 2.5f);
    const fv_mf_layer *n = fv_modelfile_find(mf, "lrn_defaults");
    cr_assert(n->kind == FV_MF_LRN && n->lrn_size == 11 && n->lrn_k == 1.0f && n->lrn_alpha == 1.0f &&
              n->lrn_beta == 0.5f);
    fv_modelfile_free(mf);
}

/* ---------- (d) errors ---------- */

/* Load a file that must fail; a temp file is removed before anything is asserted. */
static fv_status load_err(const char *path, int remove_after)
{
    fv_modelfile *mf = (fv_modelfile *)1;
    fv_status st = fv_modelfile_load(path, &mf);
    if (remove_after) unlink(path);
    cr_assert_neq(st, FV_OK, "%s loaded but should not have", path);
    cr_assert_null(mf);
    cr_assert(strstr(fv_last_error(), path), "message does not name the file: %s", fv_last_error());
    return st;
}

Test(errors, truncated_caffemodel)
{
    require_real_model();
    size_t len;
    uint8_t *buf = fv_test_slurp(caffemodel_path(), &len);
    char path[256];
    temp_path(path, sizeof path, ".caffemodel");
    fv_test_write_file(path, buf, 1000000);
    free(buf);
    cr_assert_eq(load_err(path, 1), FV_ERR_FORMAT, "%s", fv_last_error());
    cr_assert(strstr(fv_last_error(), "truncated"), "%s", fv_last_error());
}

Test(errors, garbage_and_empty_files)
{
    uint8_t junk[4096];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof junk; i++) s = s * 1664525u + 1013904223u, junk[i] = (uint8_t)(s >> 24);
    const char *suffixes[3] = {".caffemodel", ".pb", ".bin"};
    for (int k = 0; k < 3; k++) {
        char path[256];
        temp_path(path, sizeof path, suffixes[k]);
        fv_test_write_file(path, junk, sizeof junk);
        cr_assert_eq(load_err(path, 0), FV_ERR_FORMAT, "%s", fv_last_error());
        fv_test_write_file(path, junk, 0);
        cr_assert_eq(load_err(path, 1), FV_ERR_FORMAT, "%s", fv_last_error());
        cr_assert(strstr(fv_last_error(), "not a Caffe NetParameter or TensorFlow GraphDef"), "%s", fv_last_error());
    }
}

Test(errors, nonexistent_path)
{
    const char *path = "/nonexistent/dir/model.caffemodel";
    cr_assert_eq(load_err(path, 0), FV_ERR_IO);
    cr_assert(strstr(fv_last_error(), strerror(ENOENT)), "%s", fv_last_error());
}

/* Modify one layer of the real net, re-pack it in the V1 encoding, and load it. */
static fv_status load_modified(void (*edit)(Caffe__V1LayerParameter *), const char *layer)
{
    Caffe__NetParameter *net = unpack_real();
    Caffe__V1LayerParameter *l = NULL;
    for (size_t i = 0; i < net->n_layers; i++)
        if (strcmp(net->layers[i]->name, layer) == 0) l = net->layers[i];
    cr_assert(l, "no layer %s", layer);
    edit(l);
    size_t len = caffe__net_parameter__get_packed_size(net);
    uint8_t *buf = malloc(len);
    caffe__net_parameter__pack(net, buf);
    caffe__net_parameter__free_unpacked(net, NULL); /* edits only shrank counts: freeing stays valid */
    char path[256];
    temp_path(path, sizeof path, ".caffemodel");
    fv_test_write_file(path, buf, len);
    free(buf);
    return load_err(path, 1);
}

static void short_blob(Caffe__V1LayerParameter *l) { l->blobs[0]->n_data = 1000; }
static void wrong_num_output(Caffe__V1LayerParameter *l) { l->convolution_param->num_output = 32; }
static void wrong_bias(Caffe__V1LayerParameter *l) { l->blobs[1]->n_data = 10, l->blobs[1]->width = 10; }

Test(errors, caffe_blob_with_fewer_values_than_shape)
{
    require_real_model();
    cr_assert_eq(load_modified(short_blob, "inception_4a/3x3"), FV_ERR_SHAPE, "%s", fv_last_error());
    const char *m = fv_last_error();
    cr_assert(strstr(m, "'inception_4a/3x3' blob 0") && strstr(m, "208x96x3x3 (179712 values)") &&
              strstr(m, "1000 values stored"), "%s", m);
}

Test(errors, caffe_conv_weights_disagree_with_params)
{
    require_real_model();
    cr_assert_eq(load_modified(wrong_num_output, "conv1/7x7_s2"), FV_ERR_SHAPE, "%s", fv_last_error());
    const char *m = fv_last_error();
    cr_assert(strstr(m, "conv1/7x7_s2") && strstr(m, "64x3x7x7") && strstr(m, "expect 32x3x7x7"), "%s", m);
    cr_assert_eq(load_modified(wrong_bias, "loss3/classifier"), FV_ERR_SHAPE, "%s", fv_last_error());
    cr_assert(strstr(fv_last_error(), "loss3/classifier") && strstr(fv_last_error(), "expects 1000"), "%s",
              fv_last_error());
}

Test(errors, graphdef_missing_weight_const)
{
    fv_tfw *w = tiny_graph(0);
    cr_assert_eq(fv_tfw_remove(w, "mixed3a_1x1_w"), 0);
    char path[256];
    temp_path(path, sizeof path, ".pb");
    cr_assert_eq(fv_tfw_write(w, path), 0);
    fv_tfw_free(w);
    cr_assert_eq(load_err(path, 1), FV_ERR_FORMAT);
    const char *m = fv_last_error();
    cr_assert(strstr(m, "'mixed3a_1x1_pre_relu/conv'") && strstr(m, "'mixed3a_1x1_w'") && strstr(m, "missing"), "%s", m);
}

Test(errors, graphdef_tensor_content_size)
{
    fv_tfw *w = tiny_graph(0);
    int64_t shape[4] = {3, 3, CIN, C0};
    cr_assert_eq(fv_tfw_remove(w, "conv2d0_w"), 0);
    cr_assert_eq(fv_tfw_const_raw(w, "conv2d0_w", shape, 4, conv_w, 100), 0);
    char path[256];
    temp_path(path, sizeof path, ".pb");
    cr_assert_eq(fv_tfw_write(w, path), 0);
    fv_tfw_free(w);
    cr_assert_eq(load_err(path, 1), FV_ERR_SHAPE);
    const char *m = fv_last_error();
    cr_assert(strstr(m, "'conv2d0_w'") && strstr(m, "3x3x3x4 (108 values, 432 bytes)") && strstr(m, "100 bytes"), "%s", m);
}

/* ---------- limits before allocation: small files that declare huge sizes ---------- */

/* `prefix` (k0 bytes) then n copies of entry[0..k): a crafted protobuf in memory. */
static uint8_t *repeat(const char *prefix, size_t k0, const char *entry, size_t k, size_t n, size_t *len)
{
    *len = k0 + k * n;
    uint8_t *b = malloc(*len);
    cr_assert(b);
    memcpy(b, prefix, k0);
    for (size_t i = 0; i < n; i++) memcpy(b + k0 + i * k, entry, k);
    return b;
}

static void expect_refused(fv_status (*load)(const char *, const uint8_t *, size_t, fv_modelfile **),
                           const char *path, uint8_t *buf, size_t len, fv_status want, const char *const *needles)
{
    fv_modelfile *mf = (fv_modelfile *)1;
    fv_status st = load(path, buf, len, &mf);
    free(buf);
    cr_assert_eq(st, want, "%s: status %d: %s", path, (int)st, fv_last_error());
    cr_assert_null(mf);
    cr_assert(strstr(fv_last_error(), path), "message does not name the file: %s", fv_last_error());
    for (; *needles; needles++) cr_assert(strstr(fv_last_error(), *needles), "want '%s' in: %s", *needles, fv_last_error());
}

/* protobuf-c allocates a struct for every entry a file lists: 3 bytes of empty layer ask for ~200 bytes, 2 bytes of
 * empty blob for ~150. Refused (naming the field) before the unpack, not after gigabytes. */
Test(limits, caffe_entries_that_would_unpack_to_far_more_than_the_file)
{
    size_t len;
    uint8_t *buf = repeat("", 0, "\xa2\x06\x00", 3, 700000, &len); /* 2.1 MB: 700,000 empty `layer` entries */
    expect_refused(fv_caffe_load, "empty_layers.caffemodel", buf, len, FV_ERR_FORMAT,
                   (const char *const[]){"would take", "700000 entries of caffe.NetParameter.layer", NULL});
    /* one layer holding 1,000,000 empty blobs (2 MB) */
    buf = repeat("\xa2\x06\x80\x89\x7a", 5, "\x3a\x00", 2, 1000000, &len);
    expect_refused(fv_caffe_load, "empty_blobs.caffemodel", buf, len, FV_ERR_FORMAT,
                   (const char *const[]){"1000000 entries of caffe.LayerParameter.blobs", NULL});
    /* unknown fields are kept by protobuf-c too: 666,666 three-byte varints of field 50 in one layer (2 MB) */
    buf = repeat("\xa2\x06\xfe\x88\x7a", 5, "\x90\x03\x01", 3, 666666, &len);
    expect_refused(fv_caffe_load, "unknown_fields.caffemodel", buf, len, FV_ERR_FORMAT,
                   (const char *const[]){"caffe.LayerParameter.(unknown fields)", NULL});
}

Test(limits, layer_and_node_counts)
{
    size_t len;
    uint8_t *buf = repeat("", 0, "\xa2\x06\x00", 3, FV_MF_MAX_LAYERS + 1, &len);
    expect_refused(fv_caffe_load, "many_layers.caffemodel", buf, len, FV_ERR_FORMAT,
                   (const char *const[]){"lists 16385 layers (field 'layer'); at most 16384", NULL});
    buf = repeat("", 0, "\x12\x00", 2, FV_MF_MAX_LAYERS + 1, &len);
    expect_refused(fv_caffe_load, "many_v1_layers.caffemodel", buf, len, FV_ERR_FORMAT,
                   (const char *const[]){"(field 'layers')", NULL});
    buf = repeat("", 0, "\x0a\x00", 2, FV_MF_MAX_LAYERS + 1, &len);
    expect_refused(fv_tf_load, "many_nodes.pb", buf, len, FV_ERR_FORMAT,
                   (const char *const[]){"lists 16385 nodes (field 'node'); at most 16384", NULL});
}

/* A Caffe net of one Convolution layer whose weight blob has shape dims[0..nd) and `ndata` values. */
static uint8_t *caffe_one_blob(const int64_t *dims, int nd, size_t ndata, size_t *len)
{
    float *data = calloc(ndata + 1, sizeof *data);
    Caffe__BlobShape shape = CAFFE__BLOB_SHAPE__INIT;
    shape.n_dim = (size_t)nd, shape.dim = (int64_t *)dims;
    Caffe__BlobProto blob = CAFFE__BLOB_PROTO__INIT, *bp = &blob;
    blob.shape = &shape, blob.n_data = ndata, blob.data = data;
    Caffe__LayerParameter l = CAFFE__LAYER_PARAMETER__INIT, *lp = &l;
    l.name = "big", l.type = "Convolution", l.n_blobs = 1, l.blobs = &bp;
    Caffe__NetParameter net = CAFFE__NET_PARAMETER__INIT;
    net.n_layer = 1, net.layer = &lp;
    *len = caffe__net_parameter__get_packed_size(&net);
    uint8_t *buf = malloc(*len);
    cr_assert(buf && data);
    caffe__net_parameter__pack(&net, buf);
    free(data);
    return buf;
}

/* Blob shapes are multiplied with overflow checks and must match the values stored before anything is
 * allocated for them: a 60-byte file cannot ask for 2^62 floats, nor a million for a blob that stores 3. */
Test(limits, caffe_blob_shapes)
{
    size_t len;
    const int64_t huge[4] = {INT32_MAX, INT32_MAX, INT32_MAX, 2}, big[2] = {1000, 1000};
    uint8_t *buf = caffe_one_blob(huge, 4, 3, &len);
    cr_assert_lt(len, 100);
    expect_refused(fv_caffe_load, "huge_blob.caffemodel", buf, len, FV_ERR_SHAPE,
                   (const char *const[]){"layer 'big' blob 0: shape 2147483647x2147483647x2147483647x2 is too large",
                                         NULL});
    buf = caffe_one_blob(big, 2, 3, &len);
    expect_refused(fv_caffe_load, "short_blob.caffemodel", buf, len, FV_ERR_SHAPE,
                   (const char *const[]){"shape 1000x1000 (1000000 values) but 3 values stored", NULL});
}

/* One float_val broadcast over a shape would let a few bytes ask for 2^40 floats: capped at 2^24. */
Test(limits, graphdef_fill_const)
{
    fv_tfw *w = fv_tfw_new();
    const int64_t shape[2] = {8192, 4096};
    const char *in[2] = {"input", "big_w"};
    cr_assert(w && !fv_tfw_placeholder(w, "input") && !fv_tfw_const_fill(w, "big_w", shape, 2, 0.5f) &&
              !fv_tfw_op(w, "fc", "MatMul", in, 2));
    char path[256];
    temp_path(path, sizeof path, ".pb");
    cr_assert_eq(fv_tfw_write(w, path), 0);
    fv_tfw_free(w);
    size_t len;
    uint8_t *buf = fv_test_slurp(path, &len);
    unlink(path);
    cr_assert_lt(len, 200);
    expect_refused(fv_tf_load, path, buf, len, FV_ERR_FORMAT,
                   (const char *const[]){"Const 'big_w': one float_val fills shape 8192x4096 (33554432 values)",
                                         "at most 16777216", NULL});
}

/* Kernel, stride, padding and LRN window are bounded (FV_MF_MAX_WINDOW) where they are read: a pad of 2^30 would
 * overflow the shape arithmetic (in + 2 * pad), and any of them can ask for absurd activation sizes. */
Test(limits, caffe_window_parameters)
{
    Caffe__PoolingParameter pp = CAFFE__POOLING_PARAMETER__INIT;
    pp.has_kernel_size = 1, pp.kernel_size = 3, pp.has_pad = 1, pp.pad = 1u << 30;
    Caffe__ConvolutionParameter cp = CAFFE__CONVOLUTION_PARAMETER__INIT;
    uint32_t k = 5000;
    cp.n_kernel_size = 1, cp.kernel_size = &k;
    Caffe__LRNParameter lp = CAFFE__LRNPARAMETER__INIT;
    lp.has_local_size = 1, lp.local_size = 99999;
    Caffe__LayerParameter l = CAFFE__LAYER_PARAMETER__INIT, *lptr = &l;
    Caffe__NetParameter net = CAFFE__NET_PARAMETER__INIT;
    net.n_layer = 1, net.layer = &lptr;
    const char *want[3] = {"layer 'p': pad 1073741824x1073741824 is out of range (at most 1024)",
                           "layer 'c': kernel_size 5000x5000 is out of range (at most 1024)",
                           "layer 'n': local_size 99999 is out of range (at most 1024)"};
    for (int i = 0; i < 3; i++) {
        l.name = i == 0 ? "p" : i == 1 ? "c" : "n";
        l.type = i == 0 ? "Pooling" : i == 1 ? "Convolution" : "LRN";
        l.pooling_param = i == 0 ? &pp : NULL;
        l.convolution_param = i == 1 ? &cp : NULL;
        l.lrn_param = i == 2 ? &lp : NULL;
        size_t len = caffe__net_parameter__get_packed_size(&net);
        uint8_t *buf = malloc(len);
        cr_assert(buf);
        caffe__net_parameter__pack(&net, buf);
        expect_refused(fv_caffe_load, "windows.caffemodel", buf, len, FV_ERR_FORMAT, (const char *const[]){want[i], NULL});
    }
}
