/* NumPy .npy files of float32 arrays in C order: a writer (version 1.0, '<f4', written atomically)
 * and a reader (versions 1.0 and 2.0, '<f4' or '<f8' converted to float). Used to dump activations
 * and to load reference tensors written by Python. */
#ifndef FV_NPY_H
#define FV_NPY_H

#include <stdint.h>

#include "core/status.h"

/* Largest number of dimensions fv_npy_write accepts (NumPy's own limit is 64). */
#define FV_NPY_MAX_DIMS 32

/* Write data (product of shape[0..ndim) floats, C order) to path. ndim may be 0 (a scalar). */
fv_status fv_npy_write(const char *path, const float *data, const int64_t *shape, int ndim);

/* Read path into *data (malloc'd; free()), its shape into shape[0..*ndim). FV_ERR_SHAPE if the array
 * has more than maxdim dimensions; FV_ERR_FORMAT for anything but little-endian f4/f8 in C order. */
fv_status fv_npy_read(const char *path, float **data, int64_t *shape, int *ndim, int maxdim);

#endif
