/* Fuzz target: a job file (fv_jobs_parse_file: lines, comments, settings, objectives checked against the real
 * BVLC GoogLeNet, duplicates, output stems), with and without --skip-invalid; what it accepts is written back
 * (fv_jobs_write) and must parse again to the same jobs, as the appendix's written job files are. */
#include <string.h>

#include "app/jobs.h"
#include "fuzz.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_model();
    devnull = fopen("/dev/null", "w");
    return 0;
}

static void round_trip(const fv_joblist *jl, const fv_job_defaults *def)
{
    const char *path = fuzz_file(1, NULL, 0);
    FUZZ_CHECK(fv_jobs_write(path, jl) == FV_OK, "%s", fv_last_error());
    fv_joblist again;
    FUZZ_CHECK(fv_jobs_parse_file(path, fuzz_model(), def, 0, devnull, &again) == FV_OK,
               "written jobs do not parse again: %s", fv_last_error());
    FUZZ_CHECK(again.n == jl->n, "%d jobs written, %d read back", jl->n, again.n);
    for (int i = 0; i < jl->n; i++) {
        FUZZ_CHECK(!strcmp(again.jobs[i].key, jl->jobs[i].key), "job %d: key '%s' read back as '%s'", i,
                   jl->jobs[i].key, again.jobs[i].key);
        FUZZ_CHECK(!strcmp(again.jobs[i].stem, jl->jobs[i].stem), "job %d: stem '%s' read back as '%s'", i,
                   jl->jobs[i].stem, again.jobs[i].stem);
    }
    fv_jobs_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(0, data, size);
    const fv_job_defaults def = {.size = 224, .steps = 64, .diversity = 1, .seed = 0, .preset = FV_PRESET_ARTICLE};
    for (int skip = 0; skip < 2; skip++) {
        fv_joblist jl;
        if (fv_jobs_parse_file(path, fuzz_model(), &def, skip, devnull, &jl) != FV_OK) continue;
        FUZZ_CHECK(jl.n > 0 && jl.jobs, "accepted a job file with no jobs");
        round_trip(&jl, &def);
        fv_jobs_free(&jl);
    }
    return 0;
}
