/* Per-thread error message behind fv_last_error(), and the status names. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char fv_msg[2048];

const char *fv_last_error(void) { return fv_msg[0] ? fv_msg : "no error message recorded"; }

const char *fv_status_str(fv_status s)
{
    switch (s) {
    case FV_OK: return "ok";
    case FV_ERR_ARG: return "invalid argument";
    case FV_ERR_IO: return "i/o error";
    case FV_ERR_FORMAT: return "bad file format";
    case FV_ERR_SHAPE: return "shape mismatch";
    case FV_ERR_NOMEM: return "out of memory";
    case FV_ERR_UNSUPPORTED: return "unsupported";
    case FV_ERR_BACKEND: return "backend error";
    case FV_ERR_NUMERIC: return "non-finite value";
    case FV_ERR_INTERRUPTED: return "interrupted";
    case FV_ERR_BUSY: return "busy";
    }
    return "unknown status";
}

fv_status fv_fail(fv_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fv_msg, sizeof fv_msg, fmt, ap);
    va_end(ap);
    return s;
}

fv_status fv_fail_ctx(fv_status s, const char *fmt, ...)
{
    char old[sizeof fv_msg], pre[512];
    memcpy(old, fv_msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(fv_msg, sizeof fv_msg, "%.500s: %.1500s", pre, old);
    return s;
}
