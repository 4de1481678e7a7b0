/* File-name-safe forms of text (text.h). */
#include "text.h"

#include <ctype.h>
#include <string.h>

void fv_text_slug(const char *in, const char *keep, const char *drop, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++) {
        const char ch = *in;
        if (isalnum((unsigned char)ch) || strchr(keep, ch)) out[k++] = ch;
        else if (drop && strchr(drop, ch)) continue;
        else if (k && out[k - 1] != '_') out[k++] = '_';
    }
    while (k && out[k - 1] == '_') k--;
    out[k] = 0;
}

void fv_text_safe_name(const char *in, char *out, size_t n)
{
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++) {
        const char c = in[i];
        const int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                         c == '-';
        out[i] = keep ? c : '_';
    }
    if (n) out[i] = 0;
}

int fv_text_ends_with(const char *s, const char *suffix)
{
    const size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}
