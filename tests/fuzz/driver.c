/* The regression driver of a fuzz target, for builds without libFuzzer (any compiler): feeds every file named
 * on the command line, and every file in every directory named (sorted, not recursive), through the target's
 * LLVMFuzzerTestOneInput, once each, after LLVMFuzzerInitialize. ctest runs it over the generated seed corpus
 * and the kept crash inputs (tests/fuzz/regressions/<target>/), so each of those runs in every CI run. A
 * crash, a sanitizer report (in an FV_ASAN build) or a failed FUZZ_CHECK ends the run, and so does an input
 * that raises the process's peak of virtual memory by more than FUZZ_VM_LIMIT_MB (default 512, as run.sh's
 * -malloc_limit_mb): an allocation of gigabytes that malloc grants untouched (overcommit) is caught without
 * libFuzzer too. With -v (ctest passes it) each input's name goes to stderr before it runs, so the input that
 * failed is the last one named. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "testutil.h"

static int verbose;
static long vm_limit_kb = 512L << 10;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    if (verbose) fprintf(stderr, "input %s (%zu bytes)\n", path, n);
    /* An exact-size copy, so an out-of-bounds read past the input is caught under ASan as libFuzzer would. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) abort();
    memcpy(exact, buf, n);
    free(buf);
    long before = fv_test_vm_peak_kb();
    LLVMFuzzerTestOneInput(exact, n);
    long after = fv_test_vm_peak_kb();
    free(exact);
    if (before >= 0 && after - before > vm_limit_kb) {
        fprintf(stderr, "%s: this input raised the peak of virtual memory by %ld MiB (limit %ld MiB)\n", path,
                (after - before) >> 10, vm_limit_kb >> 10);
        abort();
    }
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int run_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: cannot open the directory\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap && !(names = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names))) abort();
        if (!(names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2))) abort();
        sprintf(names[n++], "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
            bad |= run_file(names[i]);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return bad;
}

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s [-v] FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    const char *lim = getenv("FUZZ_VM_LIMIT_MB");
    if (lim && atol(lim) > 0) vm_limit_kb = atol(lim) << 10;
    LLVMFuzzerInitialize(&argc, &argv);
    int bad = 0, count = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) {
            verbose = 1;
            continue;
        }
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "%s: no such file or directory\n", argv[i]);
            bad = 1;
        } else if (S_ISDIR(sb.st_mode)) {
            bad |= run_dir(argv[i], &count) != 0;
        } else {
            bad |= run_file(argv[i]) != 0;
            count++;
        }
    }
    printf("%s: %d inputs run%s\n", argv[0], count, bad ? ", some could not be read" : "");
    return bad ? 1 : count ? 0 : 1;
}
