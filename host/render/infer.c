/* Inference on one image (include/featvis/featvis.h): class probabilities and a layer's activations,
 * through a plan on the chosen backend. */
#include <stdlib.h>

#include "io/image.h"
#include "models/model.h"

/* Run one image to `target` and copy that tensor's activations to host memory `out`. */
static fv_status run_one(fv_model *m, fv_backend *be, const fv_image *img, int target, float *out)
{
    if (!be) return fv_fail(FV_ERR_ARG, "inference: no backend instance (fv_backend_open)");
    fv_plan *p;
    fv_status st = fv_plan_create(&m->net, be, 1, img->h, img->w, &target, 1, &p);
    if (st != FV_OK) return st;
    const int hw = img->h * img->w;
    float *rgb = NULL;
    st = fv_backend_alloc(be, (void **)&rgb, sizeof(float) * 3 * hw);
    if (st == FV_OK) st = fv_backend_upload(be, rgb, img->rgb, sizeof(float) * 3 * hw);
    if (st == FV_OK)
        st = fv_preprocess_fwd(be, 1, hw, m->net.perm, m->net.scale, m->net.mean, m->net.std, rgb, p->act[m->net.input].data);
    if (st == FV_OK) st = fv_plan_forward(p);
    if (st == FV_OK)
        st = fv_backend_download(be, out, p->act[target].data, sizeof(float) * fv_tensor_chw(p->act[target]));
    if (rgb) fv_backend_free(be, rgb);
    fv_plan_free(p);
    return st;
}

fv_status fv_classify(fv_model *m, fv_backend *be, const fv_image *img, float *probs)
{
    if (m->net.probs < 0) return fv_fail(FV_ERR_UNSUPPORTED, "%s: this model file has no classifier", m->path);
    if (img->w == 224 && img->h == 224) return run_one(m, be, img, m->net.probs, probs);
    fv_image r = {0, 0, NULL};
    FV_TRY(fv_image_resize(img, 224, 224, &r));
    fv_status st = run_one(m, be, &r, m->net.probs, probs);
    fv_image_free(&r);
    return st;
}

fv_status fv_activations(fv_model *m, fv_backend *be, const fv_image *img, const char *layer, float **out, int *c,
                         int *h, int *w)
{
    *out = NULL;
    int t = fv_net_find(&m->net, layer);
    if (t < 0 || t == m->net.input) return fv_fail(FV_ERR_ARG, "unknown layer '%s' in %s", layer, m->name);
    int *hs = malloc(sizeof(int) * m->net.ntensors), *ws = malloc(sizeof(int) * m->net.ntensors);
    fv_status st = hs && ws ? fv_net_shapes_for(&m->net, img->h, img->w, &t, 1, hs, ws)
                            : fv_fail(FV_ERR_NOMEM, "out of memory");
    if (st == FV_OK) {
        *c = m->net.tensors[t].c;
        *h = hs[t];
        *w = ws[t];
    }
    free(hs);
    free(ws);
    FV_TRY(st);
    *out = malloc(sizeof(float) * (size_t)*c * *h * *w);
    if (!*out) return fv_fail(FV_ERR_NOMEM, "activations: out of memory");
    st = run_one(m, be, img, t, *out);
    if (st != FV_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}
