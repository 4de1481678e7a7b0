/* File-name-safe forms of text (objectives, layer names): the rules every output file and page is named
 * by, written once. */
#ifndef FV_TEXT_H
#define FV_TEXT_H

#include <stddef.h>

/* Letters and digits, and the bytes of `keep`, are copied; the bytes of `drop` (may be NULL) vanish;
 * every other run of bytes becomes one '_', never at the start or the end. out holds n bytes (n > 0)
 * and is always terminated; a long text is cut. E.g. keep ".-+", drop " ": "mixed4a:97 + 0.5*x:3" ->
 * "mixed4a_97+0.5_x_3". */
void fv_text_slug(const char *in, const char *keep, const char *drop, char *out, size_t n);

/* [A-Za-z0-9_-] copied, every other byte '_' (the length stays): layer names as folder and page names,
 * so that `examples` and `gallery` find each other's files. */
void fv_text_safe_name(const char *in, char *out, size_t n);

/* 1 if s ends with suffix. */
int fv_text_ends_with(const char *s, const char *suffix);

#endif
