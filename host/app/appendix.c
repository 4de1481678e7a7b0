/* The article's appendix as jobs (jobs.h, RECIPE.md): for every channel of each layer a centre neuron, the
 * channel, the negative channel and a diversity group of 4, on the pre-ReLU tensors (Lucid's notebooks) or
 * the post-ReLU ones; and keeping the first N channels of each layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "jobs_int.h"
#include "models/model.h"

static const char *const default_layers[] = {"mixed3a", "mixed3b", "mixed4a", "mixed4b", "mixed4c",
                                             "mixed4d", "mixed4e", "mixed5a", "mixed5b"};

static fv_status add_generated(fv_joblist *jl, const fv_model *m, const fv_job *proto, const char *text)
{
    fv_objective o;
    fv_status st = fv_objective_parse(&m->net, text, proto->size, proto->size, &o);
    if (st != FV_OK) return fv_fail_ctx(st, "appendix");
    fv_job j = *proto;
    fv_job_name(&j, &m->net, &o);
    fv_objective_free(&o);
    return fv_jobs_push(jl, &j);
}

/* The pre-ReLU twin of t (the tensor whose ReLU gives t), or -1. */
static int pre_relu_of(const fv_net *net, int t)
{
    for (int p = 0; p < net->ntensors; p++)
        if (p != t && fv_net_post_relu(net, p) == t) return p;
    return -1;
}

fv_status fv_jobs_appendix(const fv_model *m, const char *const *layers, int nlayers, int post_relu,
                           const fv_job_defaults *def, fv_joblist *out)
{
    memset(out, 0, sizeof *out);
    if (nlayers <= 0) { /* the article's layers, InceptionV1's; any other network names its own */
        if (fv_net_find(&m->net, default_layers[0]) < 0)
            return fv_fail(FV_ERR_ARG, "appendix: %s has no default layers (the article's are InceptionV1's mixed3a.."
                           "mixed5b): name them with --layers A,B,... (featvis-cuda layers lists them)", m->name);
        layers = default_layers;
        nlayers = (int)(sizeof default_layers / sizeof *default_layers);
    }
    int *tensors = malloc(sizeof *tensors * (size_t)nlayers);
    if (!tensors) return fv_fail(FV_ERR_NOMEM, "appendix: out of memory");
    fv_status st = FV_OK;
    for (int i = 0; i < nlayers && st == FV_OK; i++) {
        tensors[i] = fv_net_find(&m->net, layers[i]);
        if (tensors[i] < 0 || tensors[i] == m->net.input)
            st = fv_fail(FV_ERR_ARG, "appendix: unknown layer '%s' in %s (featvis-cuda layers lists them)",
                         layers[i], m->name);
        /* Either name picks the layer; the appendix optimises its pre-ReLU tensor (Lucid's notebooks:
         * negatives and dead channels have gradients there), or with post_relu its post-ReLU one. */
        if (st == FV_OK) {
            const int twin = post_relu ? fv_net_post_relu(&m->net, tensors[i]) : pre_relu_of(&m->net, tensors[i]);
            if (twin >= 0) tensors[i] = twin;
        }
        for (int k = 0; k < i && st == FV_OK; k++)
            if (tensors[k] == tensors[i]) /* same jobs twice: refuse rather than render them twice */
                st = fv_fail(FV_ERR_ARG, "appendix: layer '%s' is given twice ('%s' and '%s')",
                             fv_net_display_name(&m->net, tensors[i]), layers[k], layers[i]);
    }
    fv_job proto;
    fv_job_defaults_apply(def, &proto);
    proto.diversity = 1;
    for (int i = 0; i < nlayers && st == FV_OK; i++) {
        const char *name = fv_net_display_name(&m->net, tensors[i]);
        for (int c = 0; c < m->net.tensors[tensors[i]].c && st == FV_OK; c++) {
            char text[FV_NAME_MAX + 32];
            fv_job div = proto;
            div.diversity = 4;
            snprintf(text, sizeof text, "neuron:%s:%d", name, c);
            st = add_generated(out, m, &proto, text);
            snprintf(text, sizeof text, "%s:%d", name, c);
            if (st == FV_OK) st = add_generated(out, m, &proto, text);
            snprintf(text, sizeof text, "-%s:%d", name, c);
            if (st == FV_OK) st = add_generated(out, m, &proto, text);
            snprintf(text, sizeof text, "%s:%d", name, c);
            if (st == FV_OK) st = add_generated(out, m, &div, text);
        }
    }
    free(tensors);
    if (st == FV_OK) st = fv_jobs_unique_stems(out, "appendix");
    if (st != FV_OK) fv_jobs_free(out);
    return st;
}

/* The channel number of an appendix objective: the digits after its last ':'. */
static int objective_channel(const char *obj)
{
    const char *p = strrchr(obj, ':');
    return p ? atoi(p + 1) : -1;
}

void fv_jobs_first_channels(fv_joblist *jl, int n)
{
    int w = 0;
    for (int i = 0; i < jl->n; i++)
        if (objective_channel(jl->jobs[i].objective) < n) jl->jobs[w++] = jl->jobs[i];
    jl->n = w;
}
