/* The `examples` command: dataset examples of one layer's channels from a folder of PNG/JPEG images
 * (host/app/examples.c), written to OUT/examples/<layer>/ where `gallery OUT` shows them under each channel.
 * Exit codes: 0 done (corrupt files reported and skipped), 1 failed, 2 bad usage. */
#include <stdio.h>
#include <stdlib.h>

#include "app/examples.h"
#include "cli.h"

typedef struct examples_opts {
    const char *images; /* --images DIR */
    int crop;           /* --crop PX, side of each crop in the strips (0 = 96) */
} examples_opts;

static int apply_examples(void *dest, int id, const char *arg)
{
    examples_opts *o = dest;
    long v;
    if (id == 0) o->images = arg;
    else if (!cli_int("--crop", arg, 16, 512, &v)) return 2;
    else o->crop = (int)v;
    return 0;
}

static const struct option EXAMPLES_OPTIONS[] = {{"images", required_argument, 0, 0},
                                                 {"crop", required_argument, 0, 1},
                                                 {0, 0, 0, 0}};
const cli_group CLI_EXAMPLES = {EXAMPLES_OPTIONS, apply_examples, sizeof(examples_opts)};

static int examples(fv_model *m, const cli_common *c, const cli_render *r, const cli_infer *in, const examples_opts *e)
{
    const fv_backend_options bo = cli_backend_options(c);
    fv_examples_opts o = {.images = e->images,
                          .layer = in->layer,
                          .out = c->output ? c->output : "examples",
                          .top = in->top ? in->top : 8,
                          .size = r->size_given ? r->cfg.size : 224,
                          .thumb = e->crop ? e->crop : 96,
                          .batch = r->cfg.batch_size,
                          .backend = c->backend,
                          .backend_options = &bo,
                          .log = stderr};
    fv_examples_report rep;
    fv_status s = fv_examples_run(m, &o, &rep);
    if (s == FV_OK) {
        printf("%s: %d images (%d corrupt, %d other files skipped), %d channel strips, receptive field %d px "
               "(jump %d) -> %s\n",
               in->layer, rep.nimages, rep.nbad, rep.nskipped, rep.nchannels, rep.rf, rep.jump, rep.dir);
    } else {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
    }
    fv_examples_report_free(&rep);
    return s == FV_OK ? 0 : s == FV_ERR_ARG ? 2 : 1;
}

int cmd_examples(const cli_argv *a)
{
    cli_common c = {0};
    cli_render r;
    cli_infer in = {0};
    examples_opts e = {0};
    cli_render_defaults(&r);
    const cli_use use[] = {{&CLI_COMMON, &c}, {&CLI_RENDER, &r}, {&CLI_INFER, &in}, {&CLI_EXAMPLES, &e}};
    const char **pos;
    fv_model *m = NULL;
    int npos, rc = cli_parse(a, use, 4, &pos, &npos);
    if (!rc && npos) rc = usage_error("examples takes no positional arguments (got '%s')", pos[0]);
    else if (!rc && !e.images) rc = usage_error("examples needs --images DIR%s", "");
    else if (!rc && !in.layer) rc = usage_error("examples needs --layer, e.g. %s", "--layer mixed4a");
    if (!rc && !(rc = load_model(&c, &m))) rc = examples(m, &c, &r, &in, &e);
    fv_model_free(m);
    free(pos);
    return rc;
}
