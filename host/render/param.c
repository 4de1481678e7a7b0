/* The parameterisation of a batch (render/param.h): its buffers and their sizes, the random or picture
 * start, spectrum -> image -> colour forward, its backward, and the Adam update of every parameter. */
#include "param.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ops.h"
#include "core/rng.h"
#include "io/image.h"

size_t fv_param_floats_per_image(int S, int pixel)
{
    const size_t img = (size_t)3 * S * S, spec = pixel ? img : (size_t)3 * S * (S / 2 + 1) * 2;
    /* spec, dspec, m, v; rgb, drgb; t, dt (FFT) */
    return 4 * spec + 2 * img + (pixel ? 0 : 2 * img);
}

static fv_status alloc_f(fv_backend *be, float **p, size_t n)
{
    return fv_backend_alloc(be, (void **)p, n * sizeof(float));
}

fv_status fv_param_create(fv_param *p, fv_backend *be, int B, int S, int pixel)
{
    memset(p, 0, sizeof *p);
    p->be = be;
    p->B = B;
    p->S = S;
    p->wf = S / 2 + 1;
    p->pixel = pixel != 0;
    p->nimg = (size_t)B * 3 * S * S;
    p->nparam = p->pixel ? p->nimg : (size_t)B * 3 * S * p->wf * 2;
    FV_TRY(alloc_f(be, &p->spec, p->nparam));
    FV_TRY(alloc_f(be, &p->dspec, p->nparam));
    FV_TRY(alloc_f(be, &p->m, p->nparam));
    FV_TRY(alloc_f(be, &p->v, p->nparam));
    FV_TRY(alloc_f(be, &p->rgb, p->nimg));
    FV_TRY(alloc_f(be, &p->drgb, p->nimg));
    if (p->pixel) return FV_OK; /* the FFT's own buffers: pixels need none of them */
    FV_TRY(alloc_f(be, &p->scale, (size_t)S * p->wf));
    FV_TRY(alloc_f(be, &p->timg, p->nimg));
    FV_TRY(alloc_f(be, &p->dtimg, p->nimg));
    FV_TRY(fv_fft_plan_create(be, B * 3, S, S, &p->fft));
    float *host = malloc(sizeof(float) * S * p->wf);
    if (!host) return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    fv_spectrum_scale(S, S, 1.0f, host);
    fv_status st = fv_backend_upload(be, p->scale, host, sizeof(float) * S * p->wf);
    free(host);
    return st;
}

fv_status fv_param_add_lowres(fv_param *p, int nb, int side)
{
    if (p->nlow == FV_PARAM_MAX_LOWRES || p->pixel)
        return fv_fail(FV_ERR_ARG, "render: low-resolution tensors need the FFT parameterisation (at most %d)",
                       FV_PARAM_MAX_LOWRES);
    fv_lowres *l = &p->low[p->nlow++];
    l->nb = nb;
    l->side = side > 0 ? side : 1;
    l->off = p->nlowf;
    p->nlowf += (size_t)nb * 3 * l->side * l->side;
    return FV_OK;
}

fv_status fv_param_alloc_lowres(fv_param *p)
{
    if (!p->nlowf) return FV_OK;
    FV_TRY(alloc_f(p->be, &p->lw, p->nlowf));
    FV_TRY(alloc_f(p->be, &p->dlw, p->nlowf));
    FV_TRY(alloc_f(p->be, &p->lm, p->nlowf));
    return alloc_f(p->be, &p->lv, p->nlowf);
}

void fv_param_free(fv_param *p)
{
    if (!p->be) return;
    float *bufs[] = {p->spec, p->dspec, p->m, p->v, p->scale, p->timg, p->dtimg, p->rgb, p->drgb,
                     p->lw, p->dlw, p->lm, p->lv};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (bufs[i]) fv_backend_free(p->be, bufs[i]);
    if (p->fft) fv_fft_plan_free(p->be, p->fft);
    memset(p, 0, sizeof *p);
}

/* n floats ~ N(0, 0.01^2) from one stream into backend memory dst. */
static fv_status upload_normal(fv_backend *be, float *dst, float *host, size_t n, uint64_t key)
{
    for (size_t k = 0; k < n; k++) host[k] = (float)(0.01 * fv_rng_normal(key, FV_RNG_STREAM_INIT + k));
    return fv_backend_upload(be, dst, host, sizeof(float) * n);
}

fv_status fv_param_init_random(fv_param *p, const uint64_t *keys)
{
    const size_t per = p->nparam / p->B;
    float *host = malloc(sizeof(float) * p->nparam);
    if (!host) return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    for (int i = 0; i < p->B; i++)
        for (size_t k = 0; k < per; k++)
            host[i * per + k] = (float)(0.01 * fv_rng_normal(keys[i], FV_RNG_STREAM_INIT + k));
    fv_status st = fv_backend_upload(p->be, p->spec, host, sizeof(float) * p->nparam);
    free(host);
    return st;
}

fv_status fv_param_init_lowres_random(fv_param *p, uint64_t key)
{
    float *host = malloc(sizeof(float) * (p->nlowf ? p->nlowf : 1));
    if (!host) return fv_fail(FV_ERR_NOMEM, "render: out of memory");
    fv_status st = p->nlowf ? upload_normal(p->be, p->lw, host, p->nlowf, key) : FV_OK;
    free(host);
    return st;
}

/* Inverse of the 3x3 colour matrix (adjugate / determinant, in double). */
static void colour_inverse(double inv[3][3])
{
    const float(*M)[3] = fv_colour_matrix;
    double det = 0;
    for (int j = 0; j < 3; j++) {
        for (int i = 0; i < 3; i++) {
            const int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
            /* cyclic indices give the signed cofactor directly */
            inv[j][i] = (double)M[i1][j1] * M[i2][j2] - (double)M[i1][j2] * M[i2][j1];
        }
        det += (double)M[0][j] * inv[j][0];
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) inv[i][j] /= det;
}

fv_status fv_param_picture_t(const fv_image *pic, int size, int decorrelate, float *t)
{
    if (!pic || !pic->rgb || pic->w < 1 || pic->h < 1) return fv_fail(FV_ERR_ARG, "--init: empty picture");
    const int S = size, hw = S * S;
    fv_image r = {0, 0, NULL};
    FV_TRY(fv_image_resize(pic, S, S, &r));
    double inv[3][3];
    colour_inverse(inv);
    for (int i = 0; i < hw; i++) {
        double l[3];
        for (int c = 0; c < 3; c++) {
            double v = r.rgb[(size_t)c * hw + i];
            v = v < 1e-3 ? 1e-3 : v > 1 - 1e-3 ? 1 - 1e-3 : v; /* sigmoid never reaches 0 or 1 */
            l[c] = log(v / (1 - v));
        }
        for (int c = 0; c < 3; c++)
            t[(size_t)c * hw + i] =
                (float)(decorrelate ? inv[c][0] * l[0] + inv[c][1] * l[1] + inv[c][2] * l[2] : l[c]);
    }
    fv_image_free(&r);
    return FV_OK;
}

fv_status fv_param_init_picture(fv_param *p, const fv_image *pic, int decorrelate)
{
    const size_t per = (size_t)3 * p->S * p->S;
    float *host = malloc(sizeof(float) * p->nimg);
    fv_status st = host ? fv_param_picture_t(pic, p->S, decorrelate, host)
                        : fv_fail(FV_ERR_NOMEM, "render: out of memory");
    for (int i = 1; st == FV_OK && i < p->B; i++) memcpy(host + i * per, host, sizeof(float) * per);
    /* the pixels are t itself; the spectrum is the one the forward turns back into t */
    if (st == FV_OK) st = fv_backend_upload(p->be, p->pixel ? p->spec : p->timg, host, sizeof(float) * p->nimg);
    if (st == FV_OK && !p->pixel) st = fv_image_to_spectrum(p->be, p->fft, p->timg, p->scale, p->spec);
    free(host);
    return st;
}

fv_status fv_param_forward(fv_param *p, int decorrelate)
{
    fv_backend *be = p->be;
    const int hw = p->S * p->S;
    if (p->pixel) return fv_colour_fwd(be, p->B, hw, decorrelate, p->spec, p->rgb);
    FV_TRY(fv_spectrum_to_image(be, p->fft, p->spec, p->scale, p->timg));
    for (int k = 0; k < p->nlow; k++) /* t = each image's own + the sum of the shared tensors */
        FV_TRY(fv_lowres_fwd(be, p->low[k].nb, 3, p->low[k].side, p->low[k].side, p->lw + p->low[k].off, p->B, p->S,
                              p->S, p->timg));
    return fv_colour_fwd(be, p->B, hw, decorrelate, p->timg, p->rgb);
}

fv_status fv_param_backward(fv_param *p, int decorrelate)
{
    fv_backend *be = p->be;
    const int hw = p->S * p->S;
    if (p->pixel) return fv_colour_bwd(be, p->B, hw, decorrelate, p->rgb, p->drgb, p->dspec);
    FV_TRY(fv_colour_bwd(be, p->B, hw, decorrelate, p->rgb, p->drgb, p->dtimg));
    FV_TRY(fv_spectrum_to_image_bwd(be, p->fft, p->dtimg, p->scale, p->dspec));
    for (int k = 0; k < p->nlow; k++) /* each shared tensor receives R^T of t's gradient */
        FV_TRY(fv_lowres_bwd(be, p->low[k].nb, 3, p->low[k].side, p->low[k].side, p->B, p->S, p->S, p->dtimg,
                              p->dlw + p->low[k].off));
    return FV_OK;
}

fv_status fv_param_update(fv_param *p, float lr, int t)
{
    /* one optimiser over all variables, as Lucid: the same Adam settings for every parameter */
    if (p->nlowf) FV_TRY(fv_adam(p->be, p->nlowf, p->lw, p->dlw, p->lm, p->lv, t + 1, lr, 0.9f, 0.999f, 1e-8f));
    return fv_adam(p->be, p->nparam, p->spec, p->dspec, p->m, p->v, t + 1, lr, 0.9f, 0.999f, 1e-8f);
}
