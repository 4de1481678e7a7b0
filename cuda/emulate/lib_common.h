// Shared by the emulated libraries (cuda/emulate/cublas.cpp, cufft.cpp, cudnn.cpp): recording a refusal with
// its reason (fv_emu_last_refusal, stderr), and the checks every call makes on device pointers: inside one
// live emulated allocation (emu_memory.h) and aligned. C++ only; internal to cuda/emulate/.
#ifndef FV_EMU_LIB_COMMON_H
#define FV_EMU_LIB_COMMON_H

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "emu_libs.h"
#include "emu_memory.h"

// Records "what: reason" as the last refusal (and prints it unless FV_EMU_QUIET is set); returns `status`
// so a refusal reads `return fv_emu_refuse(CODE, "cublasSgemm", "lda %d < %d", ...)`.
// (Defined in lib_common.cpp.) print: also to stderr, unless FV_EMU_QUIET is set.
void fv_emu_record_refusal(int status, int print, const char *what, const char *fmt, va_list ap);

template <typename S> S fv_emu_refuse(S status, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
template <typename S> S fv_emu_refuse(S status, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fv_emu_record_refusal((int)status, 1, what, fmt, ap);
    va_end(ap);
    return status;
}

// The same for an answer that is a refusal only in form, such as a workspace query for an algorithm that
// cannot run the shape (callers ask it to find out): recorded, never printed.
template <typename S> S fv_emu_note(S status, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
template <typename S> S fv_emu_note(S status, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fv_emu_record_refusal((int)status, 0, what, fmt, ap);
    va_end(ap);
    return status;
}

// 0 when [p, p + bytes) lies in one live emulated device allocation (bytes may be 0), else 1.
static inline int fv_emu_outside(const void *p, size_t bytes) { return !fv_emu_device_range(p, bytes); }

// 1 when the address p is a multiple of `align` bytes (a power of two at most 256).
static inline int fv_emu_aligned(const void *p, size_t align) { return fv_emu_alignment(p) >= align; }

// [a, a + na) and [b, b + nb) overlap (byte ranges).
static inline int fv_emu_overlap(const void *a, size_t na, const void *b, size_t nb)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return na && nb && x < y + nb && y < x + na;
}

// TF32 as the tensor cores take an FP32 operand: the low 13 of the 23 mantissa bits dropped, accumulation in
// FP32. Rounded to nearest, ties away from zero (PTX cvt.rna.tf32.f32) by default; FV_EMU_TF32=rz truncates
// instead (what a kernel that feeds raw FP32 registers to the tensor cores does); FV_EMU_TF32=off keeps FP32
// (the mode is then only recorded). NVIDIA_TF32_OVERRIDE=0 turns TF32 off as it does in the real libraries.
// Which rounding NVIDIA's libraries use is not documented for every kernel: this models the size of the
// deviation, not its bits.
static inline int fv_emu_tf32_mode(void) // 0 off, 1 nearest, 2 truncate
{
    const char *o = getenv("NVIDIA_TF32_OVERRIDE");
    if (o && !strcmp(o, "0")) return 0;
    const char *m = getenv("FV_EMU_TF32");
    if (m && !strcmp(m, "off")) return 0;
    return m && !strcmp(m, "rz") ? 2 : 1;
}

static inline float fv_emu_tf32(float v, int mode)
{
    uint32_t b;
    memcpy(&b, &v, 4);
    if ((b & 0x7f800000u) == 0x7f800000u) return v; // Inf and NaN stay
    if (mode == 1) b += 0x1000u;                     // half of the dropped range: nearest, ties away from zero
    b &= ~0x1fffu;
    memcpy(&v, &b, 4);
    return v;
}

// A TF32-rounded copy of [p, p + n) when mode is not 0 (else empty: use p as it is).
static inline std::vector<float> fv_emu_tf32_copy(const float *p, size_t n, int mode)
{
    std::vector<float> r;
    if (!mode || !p) return r;
    r.resize(n);
    for (size_t i = 0; i < n; i++) r[i] = fv_emu_tf32(p[i], mode);
    return r;
}

#endif
