/* Backend registry: the one place that knows which backends this build has. */
#include "backend.h"

#include "cuda_probe.h"

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
    if (notice) *notice = NULL;
    if (want == FV_BACKEND_CPU) {
        *got = FV_BACKEND_CPU;
        return FV_OK;
    }
    /* The CUDA ops (cuDNN, cuFFT, cuBLAS) are not written yet: tracked as their own issue. Until then a
     * request for CUDA fails clearly and auto runs on the CPU, saying why when a GPU is present. */
    char dev[256];
    int ngpu = fv_cuda_probe(dev, sizeof dev);
    if (want == FV_BACKEND_CUDA) {
        if (ngpu <= 0)
            return fv_fail(FV_ERR_UNSUPPORTED, "--backend cuda: %s", dev);
        return fv_fail(FV_ERR_UNSUPPORTED,
                       "--backend cuda: found %s, but this version's CUDA backend has no network ops yet; "
                       "use --backend cpu", dev);
    }
    *got = FV_BACKEND_CPU;
    if (notice && ngpu > 0) *notice = "note: a GPU is present but the CUDA backend is not complete yet; running on the CPU";
    return FV_OK;
}

const fv_backend_i *fv_backend_get(fv_backend_kind k)
{
    if (k == FV_BACKEND_CPU) return &fv_backend_cpu;
    fv_fail(FV_ERR_UNSUPPORTED, "backend '%s' is not available in this build", fv_backend_name(k));
    return NULL;
}
