/* Fuzz target: one line of a batch journal (fv_journal_parse_line: any bytes, no newline), as a resumed run
 * reads every line of every journal in its output folder. */
#include <string.h>

#include "app/journal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy without a terminating NUL: the parser must stay within len. */
    char *line = malloc(size ? size : 1);
    FUZZ_CHECK(line != NULL, "out of memory");
    if (size) memcpy(line, data, size);
    fv_journal_entry e;
    memset(&e, 0x5a, sizeof e);
    if (fv_journal_parse_line(line, size, &e) == FV_OK) {
        FUZZ_CHECK(memchr(e.key, 0, sizeof e.key) && memchr(e.file, 0, sizeof e.file), "key or file not terminated");
        FUZZ_CHECK(e.index >= 0, "index %d", e.index);
        FUZZ_CHECK(e.ok == 0 || e.ok == 1, "ok %d", e.ok);
        FUZZ_CHECK(!e.ok || e.file[0], "an ok entry without a file");
    }
    free(line);
    return 0;
}
