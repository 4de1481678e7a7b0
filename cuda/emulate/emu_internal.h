/* What the two halves of the emulated CUDA runtime share (cuda/emulate/runtime.cpp: the API, memory and
 * streams; cuda/emulate/execute.cpp: the kernel executor): how a failing call is reported and recorded for
 * cudaGetLastError, and whether a stream exists. C++ only. */
#ifndef FV_EMU_INTERNAL_H
#define FV_EMU_INTERNAL_H

#include <cuda_runtime_api.h>

/* Prints "featvis emulated CUDA: <message>" to stderr, records e as the thread's last error, returns e. */
cudaError_t fv_emu_error(cudaError_t e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1 for the default stream (NULL) and for streams created and not yet destroyed. */
int fv_emu_stream_valid(cudaStream_t s);

#endif
