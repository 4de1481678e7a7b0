/* Which backends this build has and which one runs: the registry over the CPU backend and, when built,
 * the CUDA one (fv_backend_resolve and fv_backend_name are in include/featvis/featvis.h). */
#ifndef FV_DEVICE_REGISTRY_H
#define FV_DEVICE_REGISTRY_H

#include "backend/backend.h"

/* The backend for a resolved kind, or NULL with an error set (e.g. CUDA not built). */
const fv_backend_i *fv_backend_get(fv_backend_kind k);

#endif
