/* Whether a usable CUDA device is present, asked of the CUDA runtime when the build has CUDA
 * (cuda/probe.cu) and answered "not built" otherwise (cuda/probe_none.c). The public face is
 * fv_backend_probe (featvis.h, host/device). */
#ifndef FV_CUDA_PROBE_H
#define FV_CUDA_PROBE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of CUDA devices (<= 0 if none or no usable driver); `desc` gets one line describing the
 * first device or why there is none. */
int fv_cuda_probe(char *desc, size_t n);

#ifdef __cplusplus
}
#endif
#endif
