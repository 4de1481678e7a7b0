/* Backend registry: the one place that knows which backends this build has (FV_HAVE_CUDA), resolves AUTO,
 * and opens and closes instances (featvis.h fv_backend_open): it checks the options, allocates the instance
 * and lets the chosen backend fill in its op table and context. */
#include <stdio.h>
#include <stdlib.h>

#include "backend/backend.h"
#include "backend/cuda_probe.h"
#include "cpu/backend_cpu.h"
#ifdef FV_HAVE_CUDA
#include "cuda/backend_cuda.h"
#endif

const char *fv_backend_name(fv_backend_kind k)
{
    switch (k) {
    case FV_BACKEND_AUTO: return "auto";
    case FV_BACKEND_CPU: return "cpu";
    case FV_BACKEND_CUDA: return "cuda";
    }
    return "?";
}

int fv_backend_probe(fv_backend_kind k, char *desc, size_t n)
{
    if (k == FV_BACKEND_CPU) {
        snprintf(desc, n, "cpu (OpenBLAS, FFTW)");
        return 1;
    }
    return fv_cuda_probe(desc, n);
}

fv_status fv_backend_resolve(fv_backend_kind want, fv_backend_kind *got, const char **notice)
{
    static char note[400];
    if (notice) *notice = NULL;
    if (want == FV_BACKEND_CPU) {
        *got = FV_BACKEND_CPU;
        return FV_OK;
    }
    char dev[256];
    int ngpu = fv_cuda_probe(dev, sizeof dev);
#ifdef FV_HAVE_CUDA
    if (ngpu > 0) {
        *got = FV_BACKEND_CUDA;
        return FV_OK;
    }
    if (want == FV_BACKEND_CUDA) return fv_fail(FV_ERR_UNSUPPORTED, "--backend cuda: %s", dev);
    snprintf(note, sizeof note, "note: %s; running on the CPU", dev);
    if (notice) *notice = note;
#else
    (void)ngpu;
    if (want == FV_BACKEND_CUDA) return fv_fail(FV_ERR_UNSUPPORTED, "--backend cuda: %s", dev);
    (void)note;
#endif
    *got = FV_BACKEND_CPU;
    return FV_OK;
}

/* The chosen backend fills iface, device and context. */
static fv_status init_kind(fv_backend_kind k, fv_backend *be)
{
    if (k == FV_BACKEND_CPU) return fv_backend_cpu_init(be);
#ifdef FV_HAVE_CUDA
    if (k == FV_BACKEND_CUDA) return fv_backend_cuda_init(be);
#endif
    char why[256];
    fv_cuda_probe(why, sizeof why);
    return fv_fail(FV_ERR_UNSUPPORTED, "CUDA backend: %s", why);
}

fv_status fv_backend_open(fv_backend_kind kind, const fv_backend_options *opts, fv_backend **out)
{
    if (!out) return fv_fail(FV_ERR_ARG, "fv_backend_open: NULL output pointer");
    *out = NULL;
    fv_backend_options o;
    fv_backend_options_default(&o);
    if (opts) o = *opts;
    FV_TRY(fv_backend_options_check(&o));
    if (kind != FV_BACKEND_AUTO && kind != FV_BACKEND_CPU && kind != FV_BACKEND_CUDA)
        return fv_fail(FV_ERR_ARG, "fv_backend_open: unknown backend kind %d", (int)kind);
    if (kind == FV_BACKEND_AUTO) FV_TRY(fv_backend_resolve(kind, &kind, NULL));
    fv_backend *be = calloc(1, sizeof *be);
    if (!be) return fv_fail(FV_ERR_NOMEM, "fv_backend_open: out of memory");
    be->kind = kind;
    be->options = o;
    fv_status s = init_kind(kind, be);
    if (s != FV_OK) {
        free(be);
        return s;
    }
    *out = be;
    return FV_OK;
}

void fv_backend_close(fv_backend *be)
{
    if (!be) return;
    if (be->keep && be->keep_free) be->keep_free(be, be->keep);
    if (be->iface) be->iface->close(be->context);
    free(be);
}

fv_backend_kind fv_backend_kind_of(const fv_backend *be) { return be ? be->kind : FV_BACKEND_AUTO; }
