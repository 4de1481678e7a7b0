/* The CPU backend (host/cpu/backend_cpu.c): the reference implementation of every op, reached through an
 * instance that host/device's fv_backend_open fills with fv_backend_cpu_init. */
#ifndef FV_CPU_BACKEND_CPU_H
#define FV_CPU_BACKEND_CPU_H

#include "backend/backend.h"

/* Fills be's iface, device (0) and context (none: the CPU keeps no per-instance state). */
fv_status fv_backend_cpu_init(fv_backend *be);

#endif
