/* The emulated device memory (cuda/emulate/runtime.cpp): every cudaMalloc of the emulated build is a host
 * allocation registered here, so the library stand-ins (cublas.cpp, cufft.cpp, cudnn.cpp) can refuse what
 * the real libraries would: pointers outside any live allocation, ranges running past its end, misaligned
 * buffers. C-compatible. */
#ifndef FV_EMU_MEMORY_H
#define FV_EMU_MEMORY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if [p, p + bytes) lies inside one live emulated device allocation (bytes 0: p inside or at its end). */
int fv_emu_device_range(const void *p, size_t bytes);
/* The largest power of two (at most 256) that divides the address p. */
size_t fv_emu_alignment(const void *p);

#ifdef __cplusplus
}
#endif
#endif
