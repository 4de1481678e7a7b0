/* Status codes and the per-thread error message of featvis.
 * Library code returns fv_status; fv_fail() records a message (naming the file, line or tensor at
 * fault) and returns its code, so `return fv_fail(FV_ERR_FORMAT, "%s: ...", path)` is the idiom. */
#ifndef FV_STATUS_H
#define FV_STATUS_H

#include "featvis/featvis.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Record a printf-style message for the current thread and return `s`. */
fv_status fv_fail(fv_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the current message with context ("loading X: <old message>"); returns `s`. */
fv_status fv_fail_ctx(fv_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define FV_TRY(x)                                                                                  \
    do {                                                                                           \
        fv_status fv_try_s_ = (x);                                                                 \
        if (fv_try_s_ != FV_OK) return fv_try_s_;                                                  \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
