/* A model (include/featvis/featvis.h "models"): a model file loaded and the network graph built over it;
 * its name, classes, layers and their shapes; and which file to load when none is named (fv_default_weights).
 * Inference lives in host/render/infer.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inception_v1.h"
#include "model.h"
#include "onnx.h"

static fv_model_kind kind_of(const fv_modelfile *mf)
{
    if (mf->format == FV_MF_ONNX) return FV_MODEL_ONNX;
    return mf->format == FV_MF_TF_GRAPHDEF ? FV_MODEL_INCEPTION_TF : FV_MODEL_INCEPTION_CAFFE;
}

static const char *format_text(fv_model_kind k)
{
    return k == FV_MODEL_ONNX ? "an ONNX" : k == FV_MODEL_INCEPTION_TF ? "a TensorFlow GraphDef" : "a Caffe";
}

static const char *kind_text(fv_model_kind k)
{
    return k == FV_MODEL_ONNX ? "onnx" : k == FV_MODEL_INCEPTION_TF ? "InceptionV1 (inception5h)" : "InceptionV1_caffe";
}

/* "onnx:resnet18" for resnet18.onnx (the file's base name, without its extension). */
static void onnx_name(const char *path, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path, *dot = strrchr(base, '.');
    int len = dot && dot > base ? (int)(dot - base) : (int)strlen(base);
    snprintf(buf, n, "onnx:%.*s", len, base);
}

fv_status fv_model_load(const char *path, fv_model_kind kind, fv_model **out)
{
    *out = NULL;
    fv_model *m = calloc(1, sizeof *m);
    if (!m) return fv_fail(FV_ERR_NOMEM, "model: out of memory");
    fv_status st = fv_modelfile_load(path, &m->mf);
    if (st != FV_OK) {
        free(m);
        return st;
    }
    fv_model_kind fk = kind_of(m->mf);
    if (kind != FV_MODEL_AUTO && kind != fk) {
        st = fv_fail(FV_ERR_FORMAT, "%s: is %s file, but --model asks for %s", path, format_text(fk), kind_text(kind));
        fv_modelfile_free(m->mf);
        free(m);
        return st;
    }
    m->kind = fk;
    snprintf(m->name, sizeof m->name, "%s", fk == FV_MODEL_INCEPTION_TF ? "InceptionV1" : "InceptionV1_caffe");
    if (fk == FV_MODEL_ONNX) onnx_name(path, m->name, sizeof m->name);
    snprintf(m->path, sizeof m->path, "%s", path);
    st = fk == FV_MODEL_ONNX ? fv_onnx_build(m->mf, &m->net, &m->nclasses)
                             : fv_inception_build(m->mf, fk, &m->net, &m->nclasses);
    if (st != FV_OK) {
        fv_modelfile_free(m->mf);
        free(m);
        return st;
    }
    *out = m;
    return FV_OK;
}

void fv_model_free(fv_model *m)
{
    if (!m) return;
    fv_net_free(&m->net);
    fv_modelfile_free(m->mf);
    free(m);
}

fv_status fv_default_weights(char *buf, size_t n)
{
    const char *env = getenv("FEATVIS_WEIGHTS"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (n) buf[0] = 0;
    if (env && *env) snprintf(buf, n, "%s", env);
    else if (xdg && *xdg) snprintf(buf, n, "%s/featvis/bvlc_googlenet.caffemodel", xdg);
    else if (home) snprintf(buf, n, "%s/.cache/featvis/bvlc_googlenet.caffemodel", home);
    else return fv_fail(FV_ERR_IO, "no model file: pass --weights FILE or set FEATVIS_WEIGHTS");
    FILE *f = fopen(buf, "rb");
    if (f) {
        fclose(f);
        return FV_OK;
    }
    if (env && *env) /* the download would not land there */
        return fv_fail(FV_ERR_IO, "no model file at %s (FEATVIS_WEIGHTS): point it at a .caffemodel, .pb or .onnx, or pass "
                       "--weights FILE", buf);
    return fv_fail(FV_ERR_IO, "no model file at %s: download it there with models/fetch_weights.sh --model bvlc (in the "
                   "featvis-cuda repository), or pass --weights FILE or set FEATVIS_WEIGHTS", buf);
}

const char *fv_model_name(const fv_model *m) { return m->name; }
const char *fv_model_sha256(const fv_model *m) { return m->mf->sha256; }
int fv_model_num_classes(const fv_model *m) { return m->nclasses; }
int fv_model_num_layers(const fv_model *m) { return m->net.ntensors; }
const char *fv_model_layer_name(const fv_model *m, int i) { return m->net.tensors[i].name; }
const char *fv_model_layer_alias(const fv_model *m, int i, int k)
{
    return k >= 0 && k < 2 ? m->net.tensors[i].alias[k] : "";
}

fv_status fv_model_layer_shape(const fv_model *m, const char *layer, int input_size, int *c, int *h, int *w)
{
    int t = fv_net_find(&m->net, layer);
    if (t < 0) return fv_fail(FV_ERR_ARG, "unknown layer '%s' in %s", layer, m->name);
    int *hs = malloc(sizeof(int) * m->net.ntensors), *ws = malloc(sizeof(int) * m->net.ntensors);
    fv_status st = hs && ws ? fv_net_shapes_for(&m->net, input_size, input_size, &t, 1, hs, ws)
                            : fv_fail(FV_ERR_NOMEM, "out of memory");
    if (st == FV_OK) {
        *c = m->net.tensors[t].c;
        *h = hs[t];
        *w = ws[t];
    }
    free(hs);
    free(ws);
    return st;
}
