/* fv_cuda_probe for builds without the CUDA toolkit. */
#include <stdio.h>

#include "backend/cuda_probe.h"

int fv_cuda_probe(char *desc, size_t n)
{
    snprintf(desc, n, "this build has no CUDA support (nvcc was not found when it was configured)");
    return 0;
}
