/* Backend options (featvis.h fv_backend_options): their defaults and the ranges every backend checks before
 * it opens, so a bad value fails the same way on a machine with or without a GPU. */
#include "backend.h"

void fv_backend_options_default(fv_backend_options *o)
{
    o->precision = FV_PRECISION_AUTO;
    o->device = 0;
    o->verbose = 0;
    o->cudnn_fwd_algo = -1;
    o->cudnn_bwd_data_algo = -1;
    o->cudnn_workspace_mib = 1024;
    o->cudnn_find = 0;
}

static fv_status range(const char *field, int v, int lo, int hi)
{
    if (v < lo || v > hi) return fv_fail(FV_ERR_ARG, "backend options: %s %d is not in [%d, %d]", field, v, lo, hi);
    return FV_OK;
}

fv_status fv_backend_options_check(const fv_backend_options *o)
{
    if (!o) return fv_fail(FV_ERR_ARG, "backend options: NULL");
    FV_TRY(range("precision", (int)o->precision, FV_PRECISION_AUTO, FV_PRECISION_TF32));
    FV_TRY(range("device", o->device, 0, 1023));
    FV_TRY(range("verbose", o->verbose, 0, 1));
    FV_TRY(range("cuDNN forward algorithm", o->cudnn_fwd_algo, -1, FV_CUDNN_FWD_ALGOS - 1));
    FV_TRY(range("cuDNN backward-data algorithm", o->cudnn_bwd_data_algo, -1, FV_CUDNN_BWD_DATA_ALGOS - 1));
    FV_TRY(range("cuDNN workspace (MiB)", o->cudnn_workspace_mib, 0, 1 << 20));
    FV_TRY(range("cuDNN find", o->cudnn_find, 0, 1));
    return FV_OK;
}
