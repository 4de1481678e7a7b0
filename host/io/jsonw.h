/* Writing JSON strings (the CLI's --json lines and the batch journal): quotes, backslashes and control
 * characters escaped. */
#ifndef FV_JSONW_H
#define FV_JSONW_H

#include <stdio.h>

static inline void fv_json_write_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

#endif
