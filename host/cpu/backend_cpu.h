/* The CPU backend's op table (host/cpu/backend_cpu.c): the reference implementation of every op. */
#ifndef FV_CPU_BACKEND_CPU_H
#define FV_CPU_BACKEND_CPU_H

#include "backend/backend.h"

extern const fv_backend_i fv_backend_cpu;

#endif
