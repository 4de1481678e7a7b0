/* The command line as a user meets it: help and version, one clear error line and a non-zero exit for
 * bad flags, bad objectives and unreadable files, and real runs of classify, activations and render
 * (PNG with its tEXt metadata, --json lines); the --batch short form; the same provenance keys in every
 * PNG of render, --batch, interpolate and figures. */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/image.h"
#include "io/npy.h"
#include "testutil.h"

#ifndef FV_BINARY
#define FV_BINARY "./featvis-cuda"
#endif

/* Runs the CLI with `args` (shell words) and the environment assignments `env` (shell words, may be
 * ""), capturing stdout+stderr into out; returns the exit code. */
static int run_env(const char *env, const char *args, char *out, size_t n) { return fv_test_cli(env, args, out, n); }

static int run(const char *args, char *out, size_t n) { return run_env("", args, out, n); }

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static char W[1200];
/* Each test process works in a folder of its own (removed when it ends), so two test runs on one machine never
 * meet in /tmp; the shared folder is made absolute first, since the working directory changes. */
static char g_dir[64];

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
}

static void setup(void)
{
    char shared[4096];
    if (realpath(fv_test_shared("."), shared)) setenv("FV_SHARED_DIR", shared, 1);
    snprintf(W, sizeof W, "--weights %s", fv_test_weights());
    snprintf(g_dir, sizeof g_dir, "/tmp/fv_test_cli.XXXXXX");
    cr_assert(mkdtemp(g_dir) && chdir(g_dir) == 0, "cannot make a working folder");
    atexit(remove_dir);
}

Test(cli, help_and_version)
{
    char out[8192];
    cr_assert_eq(run("--help", out, sizeof out), 0);
    cr_assert(strstr(out, "render OBJECTIVE") && strstr(out, "--backend"), "%s", out);
    cr_assert_eq(run("--version", out, sizeof out), 0);
    cr_assert(strstr(out, "featvis-cuda 0."), "%s", out);
    cr_assert_eq(run("", out, sizeof out), 2);
}

Test(cli, bad_flags_give_one_line_and_exit_2)
{
    char out[4096];
    cr_assert_eq(run("render mixed4a:1 --frobnicate", out, sizeof out), 2);
    cr_assert(strstr(out, "unknown option '--frobnicate'") && count_lines(out) == 1, "%s", out);
    cr_assert_eq(run("render mixed4a:1 --size banana", out, sizeof out), 2);
    cr_assert(strstr(out, "--size 'banana'") && count_lines(out) == 1, "%s", out);
    cr_assert_eq(run("render mixed4a:1 --preset fancy", out, sizeof out), 2);
    cr_assert(strstr(out, "article, lucid or none"), "%s", out);
    cr_assert_eq(run("render mixed4a:1 --steps", out, sizeof out), 2);
    cr_assert(strstr(out, "needs a value"), "%s", out);
    cr_assert_eq(run("explode", out, sizeof out), 2);
    cr_assert(strstr(out, "unknown command 'explode'"), "%s", out);
}

Test(cli, bad_objectives_and_files, .init = setup)
{
    char out[4096], args[2048];
    snprintf(args, sizeof args, "render mixed9z:3 %s", W);
    cr_assert_eq(run(args, out, sizeof out), 2);
    cr_assert(strstr(out, "unknown layer 'mixed9z'") && count_lines(out) == 1, "%s", out);
    snprintf(args, sizeof args, "render mixed4a:600 %s", W);
    cr_assert_eq(run(args, out, sizeof out), 2);
    cr_assert(strstr(out, "channel 600 out of range") && strstr(out, "512 channels"), "%s", out);
    cr_assert_eq(run("render mixed4a:1 --weights /nonexistent/g.caffemodel", out, sizeof out), 1);
    cr_assert(strstr(out, "/nonexistent/g.caffemodel") && count_lines(out) == 1, "%s", out);
    snprintf(args, sizeof args, "classify /nonexistent.png %s", W);
    cr_assert_eq(run(args, out, sizeof out), 1);
    cr_assert(strstr(out, "/nonexistent.png"), "%s", out);
    /* a model file that is not one: this test source */
    cr_assert_eq(run("layers --weights " __FILE__, out, sizeof out), 1);
    cr_assert(strstr(out, __FILE__) && count_lines(out) == 1, "%s", out);
}

Test(cli, classify_the_cat, .init = setup)
{
    char out[8192], args[2048];
    snprintf(args, sizeof args, "classify %s %s --top 3", FV_TEST_CAT, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    int rank, cls;
    float p;
    char name[64];
    cr_assert_eq(sscanf(out, "%d\t%d\t%f\t%63[^\n]", &rank, &cls, &p, name), 4, "%s", out);
    cr_assert(rank == 1 && cls == 285 && p > 0.557f && p < 0.567f, "%s", out);
    cr_assert_str_eq(name, "Egyptian cat");
    cr_assert_eq(count_lines(out), 3, "%s", out);
}

Test(cli, activations_to_npy, .init = setup)
{
    char out[4096], args[2048];
    const char *path = "fv_test_cli_act.npy";
    unlink(path);
    snprintf(args, sizeof args, "activations %s --layer mixed3a -o %s %s", FV_TEST_CAT, path, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    float *a;
    int64_t shape[4];
    int nd;
    cr_assert_eq(fv_npy_read(path, &a, shape, &nd, 4), FV_OK, "%s", fv_last_error());
    cr_assert(nd == 4 && shape[0] == 1 && shape[1] == 256 && shape[2] == 28 && shape[3] == 28);
    free(a);
    snprintf(args, sizeof args, "activations %s --layer nope -o %s %s", FV_TEST_CAT, path, W);
    cr_assert_eq(run(args, out, sizeof out), 1);
    cr_assert(strstr(out, "unknown layer 'nope'"), "%s", out);
}

Test(cli, render_writes_png_with_metadata, .init = setup)
{
    char out[8192], args[2048];
    const char *png = "fv_test_cli_render.png";
    unlink(png);
    snprintf(args, sizeof args, "render -mixed3a:5 --size 48 --steps 3 --seed 7 --backend cpu -o %s %s", png, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "-mixed3a:5") && strstr(out, png), "%s", out);
    fv_image img;
    cr_assert_eq(fv_image_read_png(png, &img), FV_OK, "%s", fv_last_error());
    cr_assert(img.w == 48 && img.h == 48);
    fv_image_free(&img);
    char v[256];
    cr_assert_eq(fv_image_read_png_text(png, "featvis:objective", v, sizeof v), FV_OK);
    cr_assert_str_eq(v, "-mixed3a:5");
    cr_assert_eq(fv_image_read_png_text(png, "featvis:seed", v, sizeof v), FV_OK);
    cr_assert_str_eq(v, "7");
    cr_assert_eq(fv_image_read_png_text(png, "featvis:model", v, sizeof v), FV_OK);
    cr_assert_str_eq(v, "InceptionV1_caffe");
    cr_assert_eq(fv_image_read_png_text(png, "featvis:steps", v, sizeof v), FV_OK);
    cr_assert_str_eq(v, "3");
    cr_assert_eq(fv_image_read_png_text(png, "featvis:settings", v, sizeof v), FV_OK);
    cr_assert(strstr(v, "param=fft") && strstr(v, "decorrelate=1") && strstr(v, "init=none"), "%s", v);
}

Test(cli, render_json_and_diversity_into_a_folder, .init = setup)
{
    char out[16384], args[2048];
    const char *dir = "fv_test_cli_dir";
    system("rm -rf fv_test_cli_dir");
    snprintf(args, sizeof args,
             "render mixed3a:5 'mixed3a:6+0.5*mixed3a:7' --diversity 2 --size 32 --steps 2 --json -o %s %s", dir, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    int objects = 0;
    for (const char *s = out; (s = strstr(s, "{\"objective\": ")); s++) objects++;
    cr_assert_eq(objects, 4, "%s", out);
    cr_assert(strstr(out, "\"objective_first\": ") && strstr(out, "\"seed\": 0"), "%s", out);
    cr_assert_eq(access("fv_test_cli_dir/mixed3a_5_div0.png", R_OK), 0, "%s", out);
    cr_assert_eq(access("fv_test_cli_dir/mixed3a_5_div1.png", R_OK), 0, "%s", out);
    cr_assert_eq(access("fv_test_cli_dir/mixed3a_6+0.5_mixed3a_7_div1.png", R_OK), 0, "%s", out);
    /* a single-file -o with several images is refused before any work */
    snprintf(args, sizeof args, "render mixed3a:5 mixed3a:6 -o x.png %s", W);
    cr_assert_eq(run(args, out, sizeof out), 2);
}

/* Without a usable GPU, --backend cuda is one clear line and exit 1; auto runs on the CPU. */
Test(cli, backend_cuda_without_a_gpu, .init = setup)
{
    char desc[256], out[8192], args[2048];
    if (fv_backend_probe(FV_BACKEND_CUDA, desc, sizeof desc) > 0) cr_skip_test("a GPU is present: %s", desc);
    snprintf(args, sizeof args, "render mixed3a:1 --size 32 --steps 1 --backend cuda -o fv_test_cli_cuda.png %s", W);
    cr_assert_eq(run(args, out, sizeof out), 1, "%s", out);
    cr_assert(strstr(out, "--backend cuda") && count_lines(out) == 1, "%s", out);
    snprintf(args, sizeof args, "render mixed3a:1 --size 32 --steps 1 -o fv_test_cli_auto.png %s", W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "backend cpu"), "%s", out);
}

/* The CUDA flags are backend options (checked on every machine: cuDNN's algorithm numbers, the workspace cap),
 * and the old environment variables are read by nobody. */
Test(cli, cuda_flags_are_checked_options, .init = setup)
{
    char out[8192], args[2048];
    const char *bad[] = {"--cudnn-fwd-algo 8", "--cudnn-bwd-algo 6", "--cudnn-workspace-mib -1", "--cudnn-fwd-algo x",
                         "--precision fp16", "--precision"};
    for (int i = 0; i < 6; i++) {
        snprintf(args, sizeof args, "classify %s %s --backend cpu %s", FV_TEST_CAT, W, bad[i]);
        cr_assert_eq(run(args, out, sizeof out), 2, "%s: %s", bad[i], out);
        cr_assert(strstr(out, i < 4 ? "--cudnn-" : "precision") && count_lines(out) == 1, "%s: %s", bad[i], out);
    }
    snprintf(args, sizeof args,
             "classify %s %s --backend cpu --top 1 -v --cudnn-fwd-algo 7 --cudnn-bwd-algo 5 --cudnn-find "
             "--cudnn-workspace-mib 16 --precision tf32",
             FV_TEST_CAT, W);
    cr_assert_eq(run_env("FV_CUDNN_FWD_ALGO=99 FV_CUDNN_WS_MB=x FV_VERBOSE=y", args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "1\t285\t"), "%s", out);
}

/* figures writes its five labelled contact sheets (tiny renders: this checks the plumbing; the
 * pictures themselves are looked at by a person, see the closing notes). */
Test(cli, figures_writes_contact_sheets, .init = setup, .timeout = 300)
{
    char out[16384], args[2048];
    system("rm -rf fv_test_cli_figures");
    snprintf(args, sizeof args, "figures mixed3a:5 --size 32 --steps 2 -o fv_test_cli_figures %s", W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    const char *names[5] = {"objectives", "diversity", "interaction", "regularisation", "interpolation"};
    const int cells[5] = {5, 5, 5, 4, 6}; /* columns of each sheet (regularisation: 2 rows of 4) */
    for (int i = 0; i < 5; i++) {
        char path[256];
        snprintf(path, sizeof path, "fv_test_cli_figures/%s.png", names[i]);
        fv_image img;
        cr_assert_eq(fv_image_read_png(path, &img), FV_OK, "%s: %s", path, fv_last_error());
        cr_assert_eq(img.w, 8 + cells[i] * (160 + 8), "%s is %d px wide", names[i], img.w);
        fv_image_free(&img);
    }
}

/* ---------- the --batch short form ---------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* The PNGs under dir/<layer>/ in name order (globfree the result). */
static void batch_pngs(const char *dir, glob_t *g)
{
    char pat[512];
    snprintf(pat, sizeof pat, "%s/*/*.png", dir);
    cr_assert_eq(glob(pat, 0, NULL, g), 0, "no PNG under %s", dir);
}

/* A journal's objects, one per line, without what differs from run to run (time, seconds). */
static json_t *journal_objects(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    json_t *arr = json_array();
    char line[16384];
    while (fgets(line, sizeof line, f)) {
        json_t *o = json_loads(line, 0, NULL);
        cr_assert_not_null(o, "%s: a line that does not parse: %s", path, line);
        json_object_del(o, "time");
        json_object_del(o, "seconds");
        json_array_append_new(arr, o);
    }
    fclose(f);
    return arr;
}

Test(cli, batch_short_form_is_render_batch, .init = setup, .timeout = 300)
{
    char out[16384], out2[16384], args[2048];
    const char *d = "fv_test_cli_bshort";
    system("rm -rf fv_test_cli_bshort && mkdir -p fv_test_cli_bshort");
    write_file("fv_test_cli_bshort/jobs.txt", "mixed3a:5\nmixed3a:6 seed=3\n");
    snprintf(args, sizeof args, "--batch %s/jobs.txt -o %s/short --size 32 --steps 2 --backend cpu %s", d, d, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    snprintf(args, sizeof args, "render --batch %s/jobs.txt -o %s/long --size 32 --steps 2 --backend cpu %s", d, d, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    /* the same images, byte for byte, under the same names, and the same journal */
    glob_t gs, gl;
    batch_pngs("fv_test_cli_bshort/short", &gs);
    batch_pngs("fv_test_cli_bshort/long", &gl);
    cr_assert_eq(gs.gl_pathc, 2);
    cr_assert_eq(gl.gl_pathc, 2);
    for (size_t i = 0; i < gs.gl_pathc; i++) {
        const char *a = gs.gl_pathv[i] + strlen(d) + strlen("/short"), *b = gl.gl_pathv[i] + strlen(d) + strlen("/long");
        cr_assert_str_eq(a, b);
        char cmp[1200];
        snprintf(cmp, sizeof cmp, "cmp -s %s %s", gs.gl_pathv[i], gl.gl_pathv[i]);
        cr_assert_eq(system(cmp), 0, "%s and %s differ", gs.gl_pathv[i], gl.gl_pathv[i]);
    }
    globfree(&gs), globfree(&gl);
    json_t *js = journal_objects("fv_test_cli_bshort/short/journal.jsonl");
    json_t *jl = journal_objects("fv_test_cli_bshort/long/journal.jsonl");
    cr_assert_eq(json_array_size(js), 2);
    char *ss = json_dumps(js, JSON_SORT_KEYS), *sl = json_dumps(jl, JSON_SORT_KEYS);
    cr_assert(json_equal(js, jl), "journals differ:\n%s\n%s", ss, sl);
    free(ss), free(sl), json_decref(js), json_decref(jl);
    /* a rerun of the short form renders nothing more (resumable like the long form) */
    snprintf(args, sizeof args, "--batch %s/jobs.txt -o %s/short --size 32 --steps 2 --backend cpu %s", d, d, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "0 rendered now, 2 already done"), "%s", out);
    /* bad job lines: the same report and exit code 2 either way */
    write_file("fv_test_cli_bshort/bad.txt", "mixed3a:5\nmixed9z:1\n");
    snprintf(args, sizeof args, "--batch %s/bad.txt -o %s/bad %s", d, d, W);
    cr_assert_eq(run(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "fv_test_cli_bshort/bad.txt:2: ") && strstr(out, "mixed9z"), "%s", out);
    snprintf(args, sizeof args, "render --batch %s/bad.txt -o %s/bad %s", d, d, W);
    cr_assert_eq(run(args, out2, sizeof out2), 2, "%s", out2);
    cr_assert_str_eq(out, out2);
    cr_assert_eq(access("fv_test_cli_bshort/bad/journal.jsonl", F_OK), -1, "bad jobs rendered something");
}

Test(cli, batch_with_another_command_or_objectives_is_bad_usage, .init = setup)
{
    char out[4096], args[2048];
    snprintf(args, sizeof args, "classify --batch fv_no_jobs.txt %s", W);
    cr_assert_eq(run(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "--batch") && strstr(out, "does not go with 'classify'") && count_lines(out) == 1, "%s", out);
    cr_assert_eq(run("appendix --batch fv_no_jobs.txt", out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "does not go with 'appendix'") && count_lines(out) == 1, "%s", out);
    /* an objective beside --batch (short or long form): they belong in the job file */
    cr_assert_eq(run("--batch fv_no_jobs.txt mixed3a:5", out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "no objectives") && strstr(out, "'mixed3a:5'") && count_lines(out) == 1, "%s", out);
    cr_assert_eq(run("render --batch fv_no_jobs.txt mixed3a:5", out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "no objectives") && count_lines(out) == 1, "%s", out);
    /* a missing job file: one line naming it, exit 1 (as render --batch) */
    snprintf(args, sizeof args, "--batch fv_no_jobs.txt -o fv_test_cli_nojobs %s", W);
    cr_assert_eq(run(args, out, sizeof out), 1, "%s", out);
    cr_assert(strstr(out, "fv_no_jobs.txt") && count_lines(out) == 1, "%s", out);
}

Test(cli, help_shows_the_batch_short_form_first)
{
    char out[16384];
    cr_assert_eq(run("--help", out, sizeof out), 0);
    const char *s = strstr(out, "featvis-cuda --batch JOBS.txt"), *l = strstr(out, "render --batch");
    cr_assert(s && l && s < l, "%s", out);
    cr_assert_eq(run("", out, sizeof out), 2); /* no command: the usage, on stderr */
    cr_assert(strstr(out, "featvis-cuda --batch JOBS.txt"), "%s", out);
}

/* No --weights, no FEATVIS_WEIGHTS and an empty cache: one line naming the cache file and how to get it. */
Test(cli, missing_default_weights_names_the_fetch_command, .init = setup)
{
    char out[4096];
    system("rm -rf fv_test_cli_nocache && mkdir -p fv_test_cli_nocache");
    cr_assert_eq(run_env("XDG_CACHE_HOME=fv_test_cli_nocache FEATVIS_WEIGHTS=", "layers", out, sizeof out), 2,
                 "%s", out);
    cr_assert(count_lines(out) == 1 && strstr(out, "fv_test_cli_nocache/featvis/bvlc_googlenet.caffemodel") &&
                  strstr(out, "models/fetch_weights.sh --model bvlc") && strstr(out, "--weights") &&
                  strstr(out, "FEATVIS_WEIGHTS"),
              "%s", out);
    /* FEATVIS_WEIGHTS naming a missing file: the variable is named, no download advice (it would not land there) */
    cr_assert_eq(run_env("FEATVIS_WEIGHTS=fv_test_cli_nocache/none.caffemodel", "layers", out, sizeof out), 2,
                 "%s", out);
    cr_assert(count_lines(out) == 1 && strstr(out, "fv_test_cli_nocache/none.caffemodel (FEATVIS_WEIGHTS)") &&
                  !strstr(out, "fetch_weights"),
              "%s", out);
}

/* ---------- provenance: the same keys in every PNG ---------- */

/* Written by every command into every PNG, listed here by hand (not taken from host/app/output.c). */
static const char *const COMMON_KEYS[] = {"Software",      "featvis:objective", "featvis:model",
                                          "featvis:size",  "featvis:steps",     "featvis:seed",
                                          "featvis:preset", "featvis:version",  "featvis:settings"};

/* Every run of the provenance test: tiny, and with settings that land in featvis:settings given explicitly. */
#define PROV_OPTS "--size 32 --steps 2 --backend cpu --lr 0.04 --redirect-steps 9 --l2 0.25 --diversity-weight 50"

/* png carries every common key with the values of PROV_OPTS (defaults otherwise) and each of `extra`;
 * its featvis:settings goes into settings. */
static void check_provenance(const char *png, const char *const *extra, int nextra, char *settings, size_t n)
{
    char v[16384];
    for (size_t i = 0; i < sizeof COMMON_KEYS / sizeof *COMMON_KEYS; i++) {
        cr_assert_eq(fv_image_read_png_text(png, COMMON_KEYS[i], v, sizeof v), FV_OK, "%s lacks %s", png,
                     COMMON_KEYS[i]);
        cr_assert(v[0], "%s: %s is empty", png, COMMON_KEYS[i]);
    }
    for (int i = 0; i < nextra; i++) {
        cr_assert_eq(fv_image_read_png_text(png, extra[i], v, sizeof v), FV_OK, "%s lacks %s", png, extra[i]);
        cr_assert(v[0], "%s: %s is empty", png, extra[i]);
    }
    const char *want[][2] = {{"featvis:model", "InceptionV1_caffe"}, {"featvis:size", "32"}, {"featvis:steps", "2"},
                             {"featvis:seed", "0"}, {"featvis:preset", "article"}};
    for (int i = 0; i < 5; i++) {
        fv_image_read_png_text(png, want[i][0], v, sizeof v);
        cr_assert_str_eq(v, want[i][1], "%s: %s", png, want[i][0]);
    }
    fv_image_read_png_text(png, "featvis:settings", settings, n);
    const char *parts[] = {"param=fft", "decorrelate=1", "lr=0.04", "redirect_steps=9", "tv=0", "l1=0", "l2=0.25",
                           "blur=0", "diversity_weight=50"};
    for (int i = 0; i < 9; i++) cr_assert(strstr(settings, parts[i]), "%s: settings '%s' lack %s", png, settings, parts[i]);
}

/* The "settings" of the first JSON object in text (a --json line or a journal line). */
static void json_settings(const char *text, char *buf, size_t n)
{
    const char *o = strchr(text, '{');
    cr_assert_not_null(o, "no JSON object in %s", text);
    json_t *j = json_loadb(o, strcspn(o, "\n"), 0, NULL);
    cr_assert_not_null(j, "%s", o);
    const char *s = json_string_value(json_object_get(j, "settings"));
    cr_assert_not_null(s, "no settings in %s", o);
    snprintf(buf, n, "%s", s);
    json_decref(j);
}

static void read_text(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    size_t k = fread(buf, 1, n - 1, f);
    buf[k] = 0;
    fclose(f);
}

static int count_char(const char *s, char ch)
{
    int n = 0;
    for (; *s; s++) n += *s == ch;
    return n;
}

Test(cli, every_png_carries_the_common_provenance_keys, .init = setup, .timeout = 400)
{
    char out[32768], args[2048], v[16384], ref[4096], got[4096];
    const char *d = "fv_test_cli_prov", *tiny = PROV_OPTS;
    system("rm -rf fv_test_cli_prov && mkdir -p fv_test_cli_prov");
    write_file("fv_test_cli_prov/jobs.txt", "mixed3a:5\n");

    /* render: the common keys; --json carries the same settings */
    snprintf(args, sizeof args, "render mixed3a:5 --json %s -o %s/render %s", tiny, d, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    check_provenance("fv_test_cli_prov/render/mixed3a_5.png", NULL, 0, ref, sizeof ref);
    cr_assert(strstr(ref, "init=none"), "%s", ref);
    json_settings(out, got, sizeof got);
    cr_assert_str_eq(got, ref);

    /* --batch: + featvis:key; the journal carries the same settings */
    snprintf(args, sizeof args, "--batch %s/jobs.txt %s -o %s/batch %s", d, tiny, d, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    glob_t g;
    batch_pngs("fv_test_cli_prov/batch", &g);
    cr_assert_eq(g.gl_pathc, 1);
    const char *bx[] = {"featvis:key"};
    check_provenance(g.gl_pathv[0], bx, 1, got, sizeof got);
    cr_assert_str_eq(got, ref, "%s", g.gl_pathv[0]);
    fv_image_read_png_text(g.gl_pathv[0], "featvis:key", v, sizeof v);
    cr_assert(strstr(v, "mixed3a:5|size=32|steps=2|seed=0|preset=article"), "%s", v);
    globfree(&g);
    read_text("fv_test_cli_prov/batch/journal.jsonl", out, sizeof out);
    json_settings(out, got, sizeof got);
    cr_assert_str_eq(got, ref);

    /* interpolate: + featvis:frame and featvis:alignment, in both frames */
    snprintf(args, sizeof args,
             "interpolate mixed3a:5 mixed3a:6 --frames 2 --alignment 0.2 --alignment-layers mixed3a "
             "--alignment-decay 3 %s -o %s/interp %s",
             tiny, d, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    char pat[256];
    snprintf(pat, sizeof pat, "%s/interp/*_frame*.png", d);
    cr_assert_eq(glob(pat, 0, NULL, &g), 0, "%s", out);
    cr_assert_eq(g.gl_pathc, 2);
    const char *ix[] = {"featvis:frame", "featvis:alignment"};
    for (int i = 0; i < 2; i++) {
        check_provenance(g.gl_pathv[i], ix, 2, got, sizeof got);
        cr_assert_str_eq(got, ref, "%s", g.gl_pathv[i]);
        fv_image_read_png_text(g.gl_pathv[i], "featvis:frame", v, sizeof v);
        cr_assert_str_eq(v, i ? "1/2" : "0/2", "%s", g.gl_pathv[i]);
        fv_image_read_png_text(g.gl_pathv[i], "featvis:alignment", v, sizeof v);
        cr_assert_str_eq(v, "weight=0.2 decay=3 layers=mixed3a frames=2", "%s", g.gl_pathv[i]);
    }
    globfree(&g);

    /* figures (one sheet): + featvis:figure and featvis:cells; the objectives shown, one a line */
    snprintf(args, sizeof args, "figures mixed3a:5 --which objectives %s -o %s/fig %s", tiny, d, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    const char *sheet = "fv_test_cli_prov/fig/objectives.png";
    const char *fx[] = {"featvis:figure", "featvis:cells"};
    check_provenance(sheet, fx, 2, got, sizeof got);
    cr_assert_str_eq(got, ref);
    fv_image_read_png_text(sheet, "featvis:figure", v, sizeof v);
    cr_assert_str_eq(v, "objectives");
    fv_image_read_png_text(sheet, "featvis:objective", v, sizeof v);
    cr_assert(count_char(v, '\n') == 4 && strstr(v, "285"), "five objectives: %s", v);
    fv_image_read_png_text(sheet, "featvis:cells", v, sizeof v);
    int cells = 0; /* "label = objective; size=.. steps=.. ..." */
    for (char *line = strtok(v, "\n"); line; line = strtok(NULL, "\n"), cells++)
        cr_assert(strstr(line, "; size=32 steps=2 seed=0 preset=article param=fft"), "cell line: %s", line);
    cr_assert_eq(cells, 5);
}

/* --init reaches the settings of batch PNGs and journals too (it changes every pixel). */
Test(cli, init_file_is_in_batch_provenance, .init = setup, .timeout = 300)
{
    char out[16384], args[2048], png_settings[4096], got[4096], want[1200];
    const char *d = "fv_test_cli_provinit";
    system("rm -rf fv_test_cli_provinit && mkdir -p fv_test_cli_provinit");
    write_file("fv_test_cli_provinit/jobs.txt", "mixed3a:5\n");
    snprintf(want, sizeof want, "init=%s", FV_TEST_CAT);
    snprintf(args, sizeof args, "--batch %s/jobs.txt --size 32 --steps 2 --backend cpu --init %s -o %s/batch %s", d,
             FV_TEST_CAT, d, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    glob_t g;
    batch_pngs("fv_test_cli_provinit/batch", &g);
    cr_assert_eq(fv_image_read_png_text(g.gl_pathv[0], "featvis:settings", png_settings, sizeof png_settings), FV_OK);
    globfree(&g);
    cr_assert(strstr(png_settings, want), "%s", png_settings);
    read_text("fv_test_cli_provinit/batch/journal.jsonl", out, sizeof out);
    json_settings(out, got, sizeof got);
    cr_assert_str_eq(got, png_settings);
}
