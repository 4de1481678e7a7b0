/* Backend registry: the one place that knows which backends this build has (FV_HAVE_CUDA). */
#include "registry.h"

#include <stdio.h>

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

const fv_backend_i *fv_backend_get(fv_backend_kind k)
{
    if (k == FV_BACKEND_CPU) return &fv_backend_cpu;
#ifdef FV_HAVE_CUDA
    if (k == FV_BACKEND_CUDA) return &fv_backend_cuda;
#endif
    fv_fail(FV_ERR_UNSUPPORTED, "backend '%s' is not available in this build", fv_backend_name(k));
    return NULL;
}
