/* CPU benchmark of the render step: median seconds per optimisation step (forward to the target,
 * input-gradient backward, parameterisation, Adam) for target layers x image sizes x batch sizes, on
 * the real weights. Prints a table and appends CSV rows. A benchmark, not a test: nothing is asserted.
 * usage: bench_step WEIGHTS OUT.csv [steps] [layers,..] [sizes,..] [batches,..]; FV_BENCH_BACKEND=cpu|cuda,
 * FV_BENCH_PRECISION=auto|fp32|tf32 (the GPU's convolution and matrix math; the CPU is always FP32). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "featvis/featvis.h"
#include "models/model.h"
#include "core/clock.h"

typedef struct timing {
    double last, *dt;
    int n;
} timing;

static void on_step(void *ctx, int step, int steps, const float *obj, int n)
{
    (void)steps, (void)obj, (void)n;
    timing *t = ctx;
    double now = fv_clock_now();
    if (step > 1) t->dt[t->n++] = now - t->last; /* step 1 carries first-touch costs */
    t->last = now;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int split(char *s, char **out, int max)
{
    int n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) out[n++] = tok;
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s WEIGHTS OUT.csv [steps] [layers] [sizes] [batches]\n", argv[0]);
        return 2;
    }
    int steps = argc > 3 ? atoi(argv[3]) : 6;
    char lbuf[256] = "mixed3a,mixed4a,mixed4d,mixed5b", sbuf[64] = "128,224", bbuf[64] = "1,4";
    if (argc > 4) snprintf(lbuf, sizeof lbuf, "%s", argv[4]);
    if (argc > 5) snprintf(sbuf, sizeof sbuf, "%s", argv[5]);
    if (argc > 6) snprintf(bbuf, sizeof bbuf, "%s", argv[6]);
    char *layers[16], *sizes[8], *batches[8];
    int nl = split(lbuf, layers, 16), ns = split(sbuf, sizes, 8), nb = split(bbuf, batches, 8);
    fv_model *m;
    if (fv_model_load(argv[1], FV_MODEL_AUTO, &m) != FV_OK) {
        fprintf(stderr, "%s\n", fv_last_error());
        return 1;
    }
    FILE *csv = fopen(argv[2], "a");
    if (!csv) {
        perror(argv[2]);
        return 1;
    }
    fseek(csv, 0, SEEK_END);
    if (ftell(csv) == 0)
        fprintf(csv, "date,model,backend,device,layer,size,batch,steps_timed,median_step_s,steps_per_s,"
                     "images_per_s_at_512_steps,gmac_fwd_per_image,tflops,precision\n");
    const char *bname = getenv("FV_BENCH_BACKEND");
    fv_backend_kind bk = bname && !strcmp(bname, "cuda") ? FV_BACKEND_CUDA : FV_BACKEND_CPU;
    fv_backend_options opts;
    fv_backend_options_default(&opts);
    const char *pname = getenv("FV_BENCH_PRECISION");
    if (pname && !strcmp(pname, "fp32")) opts.precision = FV_PRECISION_FP32;
    else if (pname && !strcmp(pname, "tf32")) opts.precision = FV_PRECISION_TF32;
    else if (pname && *pname && strcmp(pname, "auto")) {
        fprintf(stderr, "FV_BENCH_PRECISION=%s: expected auto, fp32 or tf32\n", pname);
        return 2;
    }
    if (!pname || !*pname) pname = "auto";
    fv_backend *be; /* one instance (one CUDA context and algorithm cache) for every configuration */
    if (fv_backend_open(bk, &opts, &be) != FV_OK) {
        fprintf(stderr, "%s\n", fv_last_error());
        return 1;
    }
    char date[32];
    time_t tt = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&tt));
    const char *device = getenv("FV_BENCH_DEVICE") ? getenv("FV_BENCH_DEVICE") : bk == FV_BACKEND_CUDA ? "gpu" : "cpu";
    printf("%-10s %5s %5s %12s %10s %18s %8s %8s\n", "layer", "size", "batch", "median s/step", "steps/s",
           "images/s (512 st)", "GMAC fwd", "TFLOP/s");
    for (int s = 0; s < ns; s++)
        for (int l = 0; l < nl; l++)
            for (int b = 0; b < nb; b++) {
                fv_render_config cfg;
                fv_render_config_default(&cfg);
                cfg.size = atoi(sizes[s]);
                cfg.steps = steps;
                cfg.backend_instance = be;
                int B = atoi(batches[b]);
                cfg.batch_size = B; /* one pass, whatever the memory estimate */
                fv_render_item it = {NULL, 1};
                char obj[64][64];
                fv_render_item items[64];
                for (int i = 0; i < B && i < 64; i++) {
                    snprintf(obj[i], sizeof obj[i], "%s:%d", layers[l], i);
                    it.objective = obj[i];
                    items[i] = it;
                }
                double dt[4096];
                timing t = {fv_clock_now(), dt, 0};
                fv_render_result *r;
                int n;
                if (fv_render(m, &cfg, items, B, &r, &n, on_step, &t) != FV_OK) {
                    fprintf(stderr, "%s %s: %s\n", layers[l], sizes[s], fv_last_error());
                    continue;
                }
                fv_render_results_free(r, n);
                qsort(dt, t.n, sizeof *dt, cmp);
                double med = t.n ? dt[t.n / 2] : 0;
                /* a step = forward + input-backward, about 2 x the forward multiply-adds = 4 x FLOPs */
                int tid = fv_net_find(&m->net, layers[l]);
                double macs = fv_net_forward_macs(&m->net, cfg.size, cfg.size, &tid, 1);
                double tflops = B * 4.0 * macs / med / 1e12;
                printf("%-10s %5d %5d %12.4f %10.2f %18.4f %8.3f %8.3f\n", layers[l], cfg.size, B, med, 1 / med,
                       B / (512 * med), macs / 1e9, tflops);
                fprintf(csv, "%s,%s,%s,%s,%s,%d,%d,%d,%.5f,%.3f,%.5f,%.4f,%.4f,%s\n", date, fv_model_name(m),
                        fv_backend_name(bk), device, layers[l], cfg.size, B, t.n, med, 1 / med, B / (512 * med),
                        macs / 1e9, tflops, bk == FV_BACKEND_CPU ? "fp32" : pname);
                fflush(csv);
            }
    fclose(csv);
    fv_backend_close(be);
    fv_model_free(m);
    return 0;
}
