// The refusal record shared by the three library stand-ins (lib_common.h): the last refusal's reason for the
// tests (fv_emu_last_refusal, emu_libs.h), and one line on stderr unless FV_EMU_QUIET is set.
#include <cstdio>
#include <cstdlib>

#include "lib_common.h"

static thread_local char g_refusal[512];

void fv_emu_record_refusal(int status, int print, const char *what, const char *fmt, va_list ap)
{
    int n = snprintf(g_refusal, sizeof g_refusal, "%s: ", what);
    if (n < 0 || n >= (int)sizeof g_refusal) n = 0;
    vsnprintf(g_refusal + n, sizeof g_refusal - (size_t)n, fmt, ap);
    if (print && !getenv("FV_EMU_QUIET")) fprintf(stderr, "fv-emu: %s (status %d)\n", g_refusal, status);
}

extern "C" const char *fv_emu_last_refusal(void) { return g_refusal; }
