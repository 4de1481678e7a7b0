/* The command line as a user meets it: help and version, one clear error line and a non-zero exit for
 * bad flags, bad objectives and unreadable files, and real runs of classify, activations and render
 * (PNG with its tEXt metadata, --json lines). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cuda_probe.h"
#include "image.h"
#include "npy.h"
#include "testutil.h"

#ifndef FV_BINARY
#define FV_BINARY "./featvis-cuda"
#endif

/* Runs the CLI with `args` (shell words), capturing stdout+stderr into out; returns the exit code. */
static int run(const char *args, char *out, size_t n)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", FV_BINARY, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t k = fread(out, 1, n - 1, p);
    out[k] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static char W[1200];
static void setup(void) { snprintf(W, sizeof W, "--weights %s", fv_test_weights()); }

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
    const char *path = "/tmp/fv_test_cli_act.npy";
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
    const char *png = "/tmp/fv_test_cli_render.png";
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
    const char *dir = "/tmp/fv_test_cli_dir";
    system("rm -rf /tmp/fv_test_cli_dir");
    snprintf(args, sizeof args,
             "render mixed3a:5 'mixed3a:6+0.5*mixed3a:7' --diversity 2 --size 32 --steps 2 --json -o %s %s", dir, W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    int objects = 0;
    for (const char *s = out; (s = strstr(s, "{\"objective\": ")); s++) objects++;
    cr_assert_eq(objects, 4, "%s", out);
    cr_assert(strstr(out, "\"objective_first\": ") && strstr(out, "\"seed\": 0"), "%s", out);
    cr_assert_eq(access("/tmp/fv_test_cli_dir/mixed3a_5_div0.png", R_OK), 0, "%s", out);
    cr_assert_eq(access("/tmp/fv_test_cli_dir/mixed3a_5_div1.png", R_OK), 0, "%s", out);
    cr_assert_eq(access("/tmp/fv_test_cli_dir/mixed3a_6+0.5_mixed3a_7_div1.png", R_OK), 0, "%s", out);
    /* a single-file -o with several images is refused before any work */
    snprintf(args, sizeof args, "render mixed3a:5 mixed3a:6 -o /tmp/x.png %s", W);
    cr_assert_eq(run(args, out, sizeof out), 2);
}

/* Without a usable GPU, --backend cuda is one clear line and exit 1; auto runs on the CPU. */
Test(cli, backend_cuda_without_a_gpu, .init = setup)
{
    char desc[256], out[8192], args[2048];
    if (fv_cuda_probe(desc, sizeof desc) > 0) cr_skip_test("a GPU is present: %s", desc);
    snprintf(args, sizeof args, "render mixed3a:1 --size 32 --steps 1 --backend cuda -o /tmp/fv_test_cli_cuda.png %s", W);
    cr_assert_eq(run(args, out, sizeof out), 1, "%s", out);
    cr_assert(strstr(out, "--backend cuda") && count_lines(out) == 1, "%s", out);
    snprintf(args, sizeof args, "render mixed3a:1 --size 32 --steps 1 -o /tmp/fv_test_cli_auto.png %s", W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "backend cpu"), "%s", out);
}

/* figures writes its five labelled contact sheets (tiny renders: this checks the plumbing; the
 * pictures themselves are looked at by a person, see the closing notes). */
Test(cli, figures_writes_contact_sheets, .init = setup, .timeout = 300)
{
    char out[16384], args[2048];
    system("rm -rf /tmp/fv_test_cli_figures");
    snprintf(args, sizeof args, "figures mixed3a:5 --size 32 --steps 2 -o /tmp/fv_test_cli_figures %s", W);
    cr_assert_eq(run(args, out, sizeof out), 0, "%s", out);
    const char *names[5] = {"objectives", "diversity", "interaction", "regularisation", "interpolation"};
    const int cells[5] = {5, 5, 5, 4, 6}; /* columns of each sheet (regularisation: 2 rows of 4) */
    for (int i = 0; i < 5; i++) {
        char path[256];
        snprintf(path, sizeof path, "/tmp/fv_test_cli_figures/%s.png", names[i]);
        fv_image img;
        cr_assert_eq(fv_image_read_png(path, &img), FV_OK, "%s: %s", path, fv_last_error());
        cr_assert_eq(img.w, 8 + cells[i] * (160 + 8), "%s is %d px wide", names[i], img.w);
        fv_image_free(&img);
    }
}
