/* Tests of batch job lists on the real BVLC model: job-file parsing (comments, settings, every kind of
 * bad line with its line number), keys and stems, write -> parse round trips, the appendix (counts,
 * order, unique stems), sharding, --shard parsing from text and from the environment, and journal lines. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "featvis/featvis.h"
#include "app/jobs.h"
#include "app/journal.h"
#include "io/npy.h"
#include "testutil.h"

static fv_model *load(void)
{
    fv_model *m = NULL;
    fv_status st = fv_model_load(fv_test_weights(), FV_MODEL_AUTO, &m);
    cr_assert_eq(st, FV_OK, "loading %s: %s", fv_test_weights(), fv_last_error());
    return m;
}

/* Criterion runs each test in its own process, so the pid keeps parallel tests apart. */
static void tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "/tmp/fv_test_jobs_%ld_%s", (long)getpid(), name);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "cannot create %s", path);
    cr_assert_eq(fputs(text, fp) >= 0, 1);
    cr_assert_eq(fclose(fp), 0);
}

/* Everything written to a report stream, as one string (static buffer). */
static const char *report_text(FILE *rep)
{
    static char buf[16384];
    rewind(rep);
    size_t n = fread(buf, 1, sizeof buf - 1, rep);
    buf[n] = 0;
    return buf;
}

static const fv_job_defaults defs = {128, 100, 1, 5, FV_PRESET_ARTICLE};

static void assert_job(const fv_job *j, const char *obj, int size, int steps, unsigned long long seed, int div,
                       const char *key, const char *stem, int line)
{
    cr_expect_str_eq(j->objective, obj);
    cr_expect_eq(j->size, size, "%s: size %d", obj, j->size);
    cr_expect_eq(j->steps, steps, "%s: steps %d", obj, j->steps);
    cr_expect_eq((unsigned long long)j->seed, seed, "%s: seed %llu", obj, (unsigned long long)j->seed);
    cr_expect_eq(j->diversity, div, "%s: diversity %d", obj, j->diversity);
    cr_expect_str_eq(j->key, key);
    cr_expect_str_eq(j->stem, stem);
    cr_expect_eq(j->line, line, "%s: line %d", obj, j->line);
}

static const char *good_file = "# a job file\n"
                               "\n"
                               "mixed4a:97\n"
                               "   inception_4a/output:97 + 0.5*mixed4a:143   size=224 steps=64 seed=7 preset=lucid "
                               "diversity=4   # trailing comment\n"
                               "\t\n"
                               "-mixed3b:4 preset=none\r\n"
                               "#neuron:mixed4a:1 (commented out)\n"
                               "neuron:mixed4a:3 seed=18446744073709551615\n"
                               "logit:285 size=224 steps=1";

Test(jobs, good_file)
{
    fv_model *m = load();
    char path[256];
    tmp_path(path, sizeof path, "good.txt");
    write_text(path, good_file);
    FILE *rep = tmpfile();
    fv_joblist jl;
    fv_status st = fv_jobs_parse_file(path, m, &defs, 0, rep, &jl);
    cr_assert_eq(st, FV_OK, "%s", fv_last_error());
    cr_expect_str_eq(report_text(rep), "");
    cr_assert_eq(jl.n, 5);
    assert_job(&jl.jobs[0], "mixed4a:97", 128, 100, 5, 1, "mixed4a:97|size=128|steps=100|seed=5|preset=article|div=1",
               "mixed4a/mixed4a_97", 3);
    assert_job(&jl.jobs[1], "mixed4a:97 + 0.5*mixed4a:143", 224, 64, 7, 4,
               "mixed4a:97 + 0.5*mixed4a:143|size=224|steps=64|seed=7|preset=lucid|div=4",
               "mixed4a/mixed4a_97+0.5_mixed4a_143", 4);
    cr_expect_eq(jl.jobs[1].preset, FV_PRESET_LUCID);
    assert_job(&jl.jobs[2], "-mixed3b:4", 128, 100, 5, 1, "-mixed3b:4|size=128|steps=100|seed=5|preset=none|div=1",
               "mixed3b/neg_mixed3b_4", 6);
    cr_expect_eq(jl.jobs[2].preset, FV_PRESET_NONE);
    assert_job(&jl.jobs[3], "neuron:mixed4a:3", 128, 100, 18446744073709551615ull, 1,
               "neuron:mixed4a:3|size=128|steps=100|seed=18446744073709551615|preset=article|div=1",
               "mixed4a/neuron_mixed4a_3", 8);
    assert_job(&jl.jobs[4], "logit:285", 224, 1, 5, 1, "logit:285|size=224|steps=1|seed=5|preset=article|div=1",
               "logits/logit_285", 9);
    fv_jobs_free(&jl);
    cr_expect_eq(jl.n, 0);
    fclose(rep);
    unlink(path);
    fv_model_free(m);
}

Test(jobs, finish_and_default_settings)
{
    fv_model *m = load();
    fv_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.objective, sizeof j.objective, "%s", "inception_4c/output:7");
    j.size = 96;
    j.steps = 3;
    j.seed = 2;
    j.diversity = 1;
    j.preset = FV_PRESET_LUCID;
    fv_job_finish(&j, m);
    cr_expect_str_eq(j.objective, "mixed4c:7"); /* canonicalised, since the name was not the display name */
    cr_expect_str_eq(j.key, "mixed4c:7|size=96|steps=3|seed=2|preset=lucid|div=1");
    cr_expect_str_eq(j.stem, "mixed4c/mixed4c_7");

    /* NULL defaults: the renderer's (128 px, 512 steps, seed 0, article) */
    char path[256];
    tmp_path(path, sizeof path, "nodef.txt");
    write_text(path, "conv2d2:5\n");
    fv_joblist jl;
    cr_assert_eq(fv_jobs_parse_file(path, m, NULL, 0, NULL, &jl), FV_OK, "%s", fv_last_error());
    cr_assert_eq(jl.n, 1);
    cr_expect_str_eq(jl.jobs[0].key, "conv2d2:5|size=128|steps=512|seed=0|preset=article|div=1");
    cr_expect_str_eq(jl.jobs[0].stem, "conv2d2/conv2d2_5");
    fv_jobs_free(&jl);
    unlink(path);
    fv_model_free(m);
}

Test(jobs, bad_lines)
{
    fv_model *m = load();
    char path[256], longline[5000];
    tmp_path(path, sizeof path, "bad.txt");
    memset(longline, ' ', 4200);
    memcpy(longline, "mixed4a:1", 9);
    memcpy(longline + 4190, "size=128\n", 10);
    char text[8192];
    snprintf(text, sizeof text,
             "mixed4a:97\n"                    /* 1 good */
             "mixed9z:1\n"                     /* 2 unknown layer */
             "mixed4a:512 steps=10\n"          /* 3 channel out of range (BVLC 4a has 512) */
             "mixed4a:5 size=8\n"              /* 4 bad size */
             "mixed4a:6 colour=red\n"          /* 5 unknown key */
             "mixed4a:7 size=64 size=64\n"     /* 6 duplicate key */
             "# comment\n"                     /* 7 */
             "  mixed4a:97   # again\n"        /* 8 duplicate job of line 1 */
             "mixed4a:97 + 0.5*mixed4a:143\n"  /* 9 good */
             "%s"                              /* 10 too long */
             "mixed4a:8 preset=fancy\n"        /* 11 bad preset */
             "size=64 steps=2\n"               /* 12 no objective */
             "mixed4a:9 seed=-1\n"             /* 13 negative seed */
             "mixed4a:97 +\n"                  /* 14 bad syntax */
             "mixed4a:97 steps=100 seed=5\n",  /* 15 duplicate of line 1 (same settings as the defaults) */
             longline);
    write_text(path, text);
    FILE *rep = tmpfile();
    fv_joblist jl;
    fv_status st = fv_jobs_parse_file(path, m, &defs, 0, rep, &jl);
    cr_expect_eq(st, FV_ERR_ARG);
    cr_expect_eq(jl.n, 0);
    cr_expect_not_null(strstr(fv_last_error(), "12 bad lines"), "%s", fv_last_error());
    const char *r = report_text(rep);
    struct {
        int line;
        const char *what;
    } want[] = {{2, "unknown layer 'mixed9z'"}, {3, "channel 512 out of range"}, {4, "size='8'"},
                {5, "unknown setting 'colour'"}, {6, "'size' given twice"}, {8, "duplicate of line 1"},
                {10, "longer than 4096"}, {11, "preset='fancy'"}, {12, "no objective"}, {13, "seed='-1'"},
                {14, "objective 'mixed4a:97 +'"}, {15, "duplicate of line 1"}};
    int nwant = (int)(sizeof want / sizeof *want), nlines = 0;
    for (const char *p = r; *p; p++) nlines += *p == '\n';
    cr_expect_eq(nlines, nwant, "report:\n%s", r);
    const char *at = r;
    for (int i = 0; i < nwant; i++) { /* in line order, each on its own line */
        char head[300];
        snprintf(head, sizeof head, "%s:%d: ", path, want[i].line);
        const char *h = strstr(at, head);
        cr_assert_not_null(h, "no report for line %d in:\n%s", want[i].line, r);
        const char *eol = strchr(h, '\n');
        cr_assert_not_null(eol);
        char one[2048];
        snprintf(one, sizeof one, "%.*s", (int)(eol - h), h);
        cr_expect_not_null(strstr(one, want[i].what), "line %d: '%s' not in '%s'", want[i].line, want[i].what, one);
        at = eol;
    }
    fclose(rep);

    /* skip_invalid: the same reports, the good lines kept */
    rep = tmpfile();
    st = fv_jobs_parse_file(path, m, &defs, 1, rep, &jl);
    cr_assert_eq(st, FV_OK, "%s", fv_last_error());
    cr_assert_eq(jl.n, 2);
    cr_expect_eq(jl.jobs[0].line, 1);
    cr_expect_str_eq(jl.jobs[0].objective, "mixed4a:97");
    cr_expect_eq(jl.jobs[1].line, 9);
    cr_expect_str_eq(report_text(rep), r);
    fv_jobs_free(&jl);
    fclose(rep);
    unlink(path);
    fv_model_free(m);
}

/* Each job takes about 2 KiB: a file's job lines are counted before one is parsed (blank and comment lines aside),
 * so 2.5 MB of "mixed4a:1" cannot ask for half a gigabyte. */
Test(jobs, too_many_job_lines)
{
    fv_model *m = load();
    char path[256];
    tmp_path(path, sizeof path, "many.txt");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("# a comment\n\n   \n  # another\n", f);
    for (int i = 0; i < 250001; i++) fputs("mixed4a:1\n", f);
    cr_assert_eq(fclose(f), 0);
    fv_joblist jl;
    cr_assert_eq(fv_jobs_parse_file(path, m, &defs, 1, NULL, &jl), FV_ERR_ARG);
    cr_expect_eq(jl.n, 0);
    cr_expect_not_null(strstr(fv_last_error(), "250001 job lines; at most 250000 jobs"), "%s", fv_last_error());
    cr_expect_not_null(strstr(fv_last_error(), path), "%s", fv_last_error());
    unlink(path);
    fv_model_free(m);
}

Test(jobs, missing_and_empty_files)
{
    fv_model *m = load();
    fv_joblist jl;
    fv_status st = fv_jobs_parse_file("/nonexistent/jobs.txt", m, &defs, 0, NULL, &jl);
    cr_expect_eq(st, FV_ERR_IO);
    cr_expect_not_null(strstr(fv_last_error(), "/nonexistent/jobs.txt"), "%s", fv_last_error());
    char path[256];
    tmp_path(path, sizeof path, "empty.txt");
    write_text(path, "# nothing\n\n");
    st = fv_jobs_parse_file(path, m, &defs, 0, NULL, &jl);
    cr_expect_eq(st, FV_ERR_ARG);
    cr_expect_not_null(strstr(fv_last_error(), "no jobs"), "%s", fv_last_error());
    unlink(path);
    fv_model_free(m);
}

/* Stems that would clash get the settings that tell them apart. */
Test(jobs, stems_made_unique)
{
    fv_model *m = load();
    char path[256];
    tmp_path(path, sizeof path, "clash.txt");
    write_text(path, "mixed4a:97\n"
                     "mixed4a:97 size=256\n"
                     "mixed4a:97 preset=lucid\n"
                     "mixed4a:97 diversity=3\n"
                     "mixed3a:1\n");
    fv_joblist jl;
    cr_assert_eq(fv_jobs_parse_file(path, m, &defs, 0, NULL, &jl), FV_OK, "%s", fv_last_error());
    cr_assert_eq(jl.n, 5);
    cr_expect_str_eq(jl.jobs[0].stem, "mixed4a/mixed4a_97_s128_article");
    cr_expect_str_eq(jl.jobs[1].stem, "mixed4a/mixed4a_97_s256_article");
    cr_expect_str_eq(jl.jobs[2].stem, "mixed4a/mixed4a_97_s128_lucid");
    cr_expect_str_eq(jl.jobs[3].stem, "mixed4a/mixed4a_97_s128_article_d3");
    cr_expect_str_eq(jl.jobs[4].stem, "mixed3a/mixed3a_1");
    fv_jobs_free(&jl);
    unlink(path);
    fv_model_free(m);
}

static int cmp_ci(const void *a, const void *b) { return strcasecmp(*(char *const *)a, *(char *const *)b); }
static int cmp_cs(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Number of entries equal to their neighbour after sorting: 0 when all differ. */
static int count_equal(const fv_joblist *jl, int stems, int (*cmp)(const void *, const void *))
{
    const char **s = malloc(sizeof *s * (size_t)jl->n);
    cr_assert_not_null(s);
    for (int i = 0; i < jl->n; i++) s[i] = stems ? jl->jobs[i].stem : jl->jobs[i].key;
    qsort(s, (size_t)jl->n, sizeof *s, cmp);
    int same = 0;
    for (int i = 1; i < jl->n; i++) same += !cmp(&s[i - 1], &s[i]);
    free(s);
    return same;
}

/* Objectives whose slugs match (case, punctuation) with equal settings: told apart by a key hash. */
Test(jobs, stems_hash_fallback)
{
    fv_model *m = load();
    char dir[256], a[300], b[300], path[256], text[1024];
    tmp_path(dir, sizeof dir, "npy");
    snprintf(a, sizeof a, "%s_V.npy", dir);
    snprintf(b, sizeof b, "%s_v.npy", dir);
    float v[512];
    fv_test_fill(v, 512, 1, -1, 1);
    const int64_t shape[1] = {512};
    cr_assert_eq(fv_npy_write(a, v, shape, 1), FV_OK, "%s", fv_last_error());
    cr_assert_eq(fv_npy_write(b, v, shape, 1), FV_OK, "%s", fv_last_error());
    tmp_path(path, sizeof path, "hash.txt");
    snprintf(text, sizeof text, "direction:mixed4a:%s\ndirection:mixed4a:%s\nmixed4a:1\n", a, b);
    write_text(path, text);
    fv_joblist jl;
    cr_assert_eq(fv_jobs_parse_file(path, m, &defs, 0, NULL, &jl), FV_OK, "%s", fv_last_error());
    cr_assert_eq(jl.n, 3);
    cr_expect_eq(count_equal(&jl, 1, cmp_ci), 0, "%s / %s", jl.jobs[0].stem, jl.jobs[1].stem);
    cr_expect_not_null(strstr(jl.jobs[0].stem, "_k"), "%s", jl.jobs[0].stem);
    cr_expect_not_null(strstr(jl.jobs[1].stem, "_k"), "%s", jl.jobs[1].stem);
    cr_expect_str_eq(jl.jobs[2].stem, "mixed4a/mixed4a_1");
    fv_jobs_free(&jl);
    unlink(a);
    unlink(b);
    unlink(path);
    fv_model_free(m);
}

static void check_round_trip(const fv_model *m, const fv_joblist *jl, const char *name)
{
    char path[256];
    tmp_path(path, sizeof path, name);
    cr_assert_eq(fv_jobs_write(path, jl), FV_OK, "%s", fv_last_error());
    /* other defaults than the list was made with: the written file must not depend on them */
    const fv_job_defaults other = {64, 7, 3, 99, FV_PRESET_NONE};
    fv_joblist back;
    FILE *rep = tmpfile();
    fv_status st = fv_jobs_parse_file(path, m, &other, 0, rep, &back);
    cr_assert_eq(st, FV_OK, "%s\n%s", fv_last_error(), report_text(rep));
    cr_assert_eq(back.n, jl->n);
    for (int i = 0; i < jl->n; i++) {
        cr_assert_str_eq(back.jobs[i].key, jl->jobs[i].key, "job %d", i);
        cr_assert_str_eq(back.jobs[i].stem, jl->jobs[i].stem, "job %d", i);
        cr_assert_eq(back.jobs[i].line, i + 2, "job %d: line %d (one header line)", i, back.jobs[i].line);
    }
    fv_jobs_free(&back);
    fclose(rep);
    unlink(path);
}

Test(jobs, round_trip)
{
    fv_model *m = load();
    char path[256];
    tmp_path(path, sizeof path, "rt_in.txt");
    write_text(path, good_file);
    fv_joblist jl;
    cr_assert_eq(fv_jobs_parse_file(path, m, &defs, 0, NULL, &jl), FV_OK, "%s", fv_last_error());
    check_round_trip(m, &jl, "rt_out.txt");
    fv_jobs_free(&jl);
    unlink(path);

    const char *layers[] = {"mixed3a"};
    const fv_job_defaults d = {160, 32, 1, 11, FV_PRESET_LUCID};
    cr_assert_eq(fv_jobs_appendix(m, layers, 1, 0, &d, &jl), FV_OK, "%s", fv_last_error());
    check_round_trip(m, &jl, "rt_appendix.txt");
    fv_jobs_free(&jl);
    fv_model_free(m);
}

Test(jobs, appendix_two_layers)
{
    fv_model *m = load();
    const char *layers[] = {"mixed3a", "inception_4a/output"};
    fv_joblist jl;
    cr_assert_eq(fv_jobs_appendix(m, layers, 2, 0, &defs, &jl), FV_OK, "%s", fv_last_error());
    cr_assert_eq(jl.n, (256 + 512) * 4);
    long images = 0;
    for (int i = 0; i < jl.n; i++) {
        images += jl.jobs[i].diversity;
        cr_assert_eq(jl.jobs[i].size, 128);
        cr_assert_eq(jl.jobs[i].steps, 100);
        cr_assert_eq(jl.jobs[i].line, 0);
    }
    cr_expect_eq(images, (256 + 512) * 7L);
    cr_expect_eq(count_equal(&jl, 1, cmp_ci), 0, "stems not unique");
    cr_expect_eq(count_equal(&jl, 0, cmp_cs), 0, "keys not unique");
    /* mixed4a channel 5: after mixed3a's 256 channels, in the documented order, named by display name;
     * the appendix optimises the pre-ReLU tensors (Lucid's notebooks) */
    const fv_job *j = &jl.jobs[(256 + 5) * 4];
    const char *obj[] = {"neuron:mixed4a_pre_relu:5", "mixed4a_pre_relu:5", "-mixed4a_pre_relu:5", "mixed4a_pre_relu:5"};
    const char *stem[] = {"mixed4a_pre_relu/neuron_mixed4a_pre_relu_5", "mixed4a_pre_relu/mixed4a_pre_relu_5",
                          "mixed4a_pre_relu/neg_mixed4a_pre_relu_5", "mixed4a_pre_relu/mixed4a_pre_relu_5_d4"};
    const int div[] = {1, 1, 1, 4};
    for (int i = 0; i < 4; i++) {
        cr_expect_str_eq(j[i].objective, obj[i]);
        cr_expect_str_eq(j[i].stem, stem[i]);
        cr_expect_eq(j[i].diversity, div[i], "job %d", i);
    }
    cr_expect_str_eq(jl.jobs[0].objective, "neuron:mixed3a_pre_relu:0");
    cr_expect_str_eq(jl.jobs[jl.n - 1].objective, "mixed4a_pre_relu:511");
    fv_jobs_free(&jl);

    /* either name form picks the layer; --post-relu gives the post-ReLU tensors (the keys say which) */
    const char *pre[] = {"mixed3a_pre_relu", "inception_4a/output_pre_relu"};
    cr_assert_eq(fv_jobs_appendix(m, pre, 2, 0, &defs, &jl), FV_OK, "%s", fv_last_error());
    cr_expect_str_eq(jl.jobs[(256 + 5) * 4 + 1].objective, "mixed4a_pre_relu:5");
    fv_jobs_free(&jl);
    cr_assert_eq(fv_jobs_appendix(m, pre, 2, 1, &defs, &jl), FV_OK, "%s", fv_last_error());
    j = &jl.jobs[(256 + 5) * 4];
    const char *post[] = {"neuron:mixed4a:5", "mixed4a:5", "-mixed4a:5", "mixed4a:5"};
    for (int i = 0; i < 4; i++) cr_expect_str_eq(j[i].objective, post[i]);
    cr_expect_str_eq(j[1].stem, "mixed4a/mixed4a_5");
    cr_expect(strstr(j[3].key, "mixed4a:5|") == j[3].key, "%s", j[3].key);
    fv_jobs_free(&jl);

    const char *unknown[] = {"mixed3a", "mixed9q"};
    cr_expect_eq(fv_jobs_appendix(m, unknown, 2, 0, &defs, &jl), FV_ERR_ARG);
    cr_expect_not_null(strstr(fv_last_error(), "mixed9q"), "%s", fv_last_error());
    cr_expect_eq(jl.n, 0);
    const char *twice[] = {"mixed4a", "inception_4a/output"};
    cr_expect_eq(fv_jobs_appendix(m, twice, 2, 0, &defs, &jl), FV_ERR_ARG);
    cr_expect_not_null(strstr(fv_last_error(), "twice"), "%s", fv_last_error());
    const char *twice2[] = {"mixed4a", "mixed4a_pre_relu"};
    cr_expect_eq(fv_jobs_appendix(m, twice2, 2, 0, &defs, &jl), FV_ERR_ARG);
    cr_expect_not_null(strstr(fv_last_error(), "twice"), "%s", fv_last_error());
    fv_model_free(m);
}

Test(jobs, appendix_default_layers)
{
    fv_model *m = load();
    fv_joblist jl;
    cr_assert_eq(fv_jobs_appendix(m, NULL, 0, 0, &defs, &jl), FV_OK, "%s", fv_last_error());
    const int channels = 256 + 480 + 512 + 512 + 512 + 528 + 832 + 832 + 1024;
    cr_assert_eq(channels, 5488);
    cr_expect_eq(jl.n, channels * 4);
    long images = 0;
    for (int i = 0; i < jl.n; i++) images += jl.jobs[i].diversity;
    cr_expect_eq(images, channels * 7L);
    cr_expect_eq(count_equal(&jl, 1, cmp_ci), 0, "stems not unique");
    cr_expect_str_eq(jl.jobs[jl.n - 1].objective, "mixed5b_pre_relu:1023");
    cr_expect_str_eq(jl.jobs[jl.n - 1].stem, "mixed5b_pre_relu/mixed5b_pre_relu_1023_d4");
    fv_jobs_free(&jl);
    fv_model_free(m);
}

Test(jobs, shards_disjoint_and_cover)
{
    fv_model *m = load();
    const char *layers[] = {"mixed3a"};
    fv_joblist all;
    cr_assert_eq(fv_jobs_appendix(m, layers, 1, 0, &defs, &all), FV_OK, "%s", fv_last_error());
    cr_assert_eq(all.n, 1024);
    int *owner = calloc((size_t)all.n, sizeof *owner), total = 0;
    cr_assert_not_null(owner);
    const int want[3] = {342, 341, 341};
    for (int k = 0; k < 3; k++) {
        fv_joblist s;
        cr_assert_eq(fv_jobs_appendix(m, layers, 1, 0, &defs, &s), FV_OK);
        fv_jobs_shard(&s, k, 3);
        cr_expect_eq(s.n, want[k], "shard %d has %d jobs", k, s.n);
        total += s.n;
        int last = -1;
        for (int i = 0; i < s.n; i++) {
            int at = -1;
            for (int a = 0; a < all.n && at < 0; a++)
                if (!strcmp(all.jobs[a].key, s.jobs[i].key)) at = a;
            cr_assert_geq(at, 0);
            cr_expect_gt(at, last, "shard %d out of order", k);
            cr_expect_eq(at % 3, k);
            cr_expect_str_eq(s.jobs[i].stem, all.jobs[at].stem); /* stems do not depend on the shard */
            last = at;
            owner[at]++;
        }
        fv_jobs_free(&s);
    }
    cr_expect_eq(total, all.n);
    for (int a = 0; a < all.n; a++) cr_assert_eq(owner[a], 1, "job %d is in %d shards", a, owner[a]);
    free(owner);
    fv_jobs_free(&all);
    fv_model_free(m);
}

static void expect_shard(const char *text, int k, int n)
{
    int gk = -1, gn = -1;
    fv_status st = fv_shard_parse(text, &gk, &gn);
    cr_expect_eq(st, FV_OK, "%s: %s", text, fv_last_error());
    cr_expect_eq(gk, k, "%s: K %d", text, gk);
    cr_expect_eq(gn, n, "%s: N %d", text, gn);
}

static void expect_shard_error(const char *text, const char *msg)
{
    int k, n;
    cr_expect_eq(fv_shard_parse(text, &k, &n), FV_ERR_ARG, "%s", text ? text : "(null)");
    cr_expect_not_null(strstr(fv_last_error(), msg), "%s: '%s' not in '%s'", text ? text : "(null)", msg,
                       fv_last_error());
}

Test(jobs, shard_parse)
{
    unsetenv("JOB_COMPLETION_INDEX");
    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_ARRAY_TASK_MIN");
    expect_shard("2/4", 2, 4);
    expect_shard("0/1", 0, 1);
    expect_shard_error("5/4", "--shard 5/4: K must be below N");
    expect_shard_error("4/4", "K must be below N");
    expect_shard_error("1/0", "--shard 1/0: expected K/N");
    expect_shard_error("-1/4", "K must be a whole number");
    expect_shard_error("x/4", "K must be a whole number");
    expect_shard_error("1/4x", "expected K/N");
    expect_shard_error("3", "expected K/N");
    expect_shard_error("", "expected K/N");
    expect_shard_error(NULL, "expected K/N");
    expect_shard_error("auto/4", "--shard auto/4: neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set");
    expect_shard_error("/4", "neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set");

    setenv("SLURM_ARRAY_TASK_ID", "1", 1);
    expect_shard("auto/4", 1, 4);
    setenv("SLURM_ARRAY_TASK_ID", "5", 1);
    expect_shard_error("auto/4", "must be below N=4");
    setenv("SLURM_ARRAY_TASK_MIN", "3", 1);
    expect_shard("/4", 2, 4);
    setenv("SLURM_ARRAY_TASK_MIN", "6", 1);
    expect_shard_error("auto/4", "below SLURM_ARRAY_TASK_MIN");
    unsetenv("SLURM_ARRAY_TASK_MIN");
    setenv("SLURM_ARRAY_TASK_ID", "one", 1);
    expect_shard_error("auto/4", "SLURM_ARRAY_TASK_ID='one' is not a whole number");

    setenv("JOB_COMPLETION_INDEX", "3", 1); /* Kubernetes' index comes first */
    expect_shard("auto/4", 3, 4);
    expect_shard("/4", 3, 4);
    expect_shard("1/4", 1, 4); /* an explicit K ignores the environment */
    setenv("JOB_COMPLETION_INDEX", "4", 1);
    expect_shard_error("auto/4", "must be below N=4");
    setenv("JOB_COMPLETION_INDEX", "", 1); /* empty counts as unset */
    setenv("SLURM_ARRAY_TASK_ID", "2", 1);
    expect_shard("auto/3", 2, 3);
}

/* A journal line counts only when it is exactly what the runner writes; everything else is refused with a
 * reason (the runner then warns with the line's number and renders that image again). */
Test(journal, lines_parsed_and_refused_with_reasons)
{
    fv_journal_entry e;
    const char *okl = "{\"key\": \"mixed3a:1\", \"index\": 2, \"file\": \"mixed3a/1_d4_div2.png\", \"status\": \"ok\"}";
    cr_assert_eq(fv_journal_parse_line(okl, strlen(okl), &e), FV_OK, "%s", fv_last_error());
    cr_assert(e.ok && e.index == 2 && !strcmp(e.key, "mixed3a:1") && !strcmp(e.file, "mixed3a/1_d4_div2.png"));
    const char *failed = "{\"key\": \"k\", \"index\": 0, \"status\": \"failed\", \"error\": \"nan\"}";
    cr_assert_eq(fv_journal_parse_line(failed, strlen(failed), &e), FV_OK, "%s", fv_last_error());
    cr_assert(!e.ok && e.file[0] == 0);
    const struct {
        const char *line, *reason;
    } bad[] = {
        {"{\"key\": \"k\", \"index\": 0, \"stat", "not JSON"},
        {"[1, 2]", "not a JSON object"},
        {"{\"index\": 0, \"status\": \"failed\"}", "\"key\""},
        {"{\"key\": \"k\", \"index\": -1, \"status\": \"failed\"}", "\"index\""},
        {"{\"key\": \"k\", \"index\": 1.5, \"status\": \"failed\"}", "\"index\""},
        {"{\"key\": \"k\", \"index\": 0, \"status\": \"done\"}", "\"status\""},
        {"{\"key\": \"k\", \"index\": 0, \"status\": \"ok\"}", "\"file\""},
        {"{\"key\": \"k\", \"index\": 0, \"status\": \"ok\", \"file\": \"../../etc/passwd\"}", "not inside"},
        {"{\"key\": \"k\", \"index\": 0, \"status\": \"ok\", \"file\": \"/etc/passwd\"}", "not inside"},
        {"{\"key\": \"k\\u0000x\", \"index\": 0, \"status\": \"failed\"}", "NUL"},
        {"{\"key\": \"k\", \"key\": \"j\", \"index\": 0, \"status\": \"failed\"}", "not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(fv_journal_parse_line(bad[i].line, strlen(bad[i].line), &e), FV_ERR_FORMAT, "accepted %s",
                     bad[i].line);
        cr_assert(strstr(fv_last_error(), bad[i].reason) && !strchr(fv_last_error(), '\n'), "%s: %s", bad[i].line,
                  fv_last_error());
    }
    /* a key of 2000 bytes, and bytes after the line's end that must not be read */
    char big[2100];
    int n = snprintf(big, sizeof big, "{\"key\": \"%01999d\", \"index\": 0, \"status\": \"failed\"}", 0);
    cr_assert_eq(fv_journal_parse_line(big, (size_t)n, &e), FV_ERR_FORMAT);
    cr_assert(strstr(fv_last_error(), "longer than"), "%s", fv_last_error());
    cr_assert_eq(fv_journal_parse_line(okl, 20, &e), FV_ERR_FORMAT, "a prefix of a line parsed");
}
