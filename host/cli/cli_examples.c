/* The `examples` command: dataset examples of one layer's channels from a folder of PNG/JPEG images
 * (host/examples.c), written to OUT/examples/<layer>/ where `gallery OUT` shows them under each channel.
 * Exit codes: 0 done (corrupt files reported and skipped), 1 failed, 2 bad usage. */
#include <stdio.h>

#include "cli.h"
#include "app/examples.h"

int cmd_examples(cli *c)
{
    if (c->npos) return usage_error("examples takes no positional arguments (got '%s')", c->pos[0]);
    if (!c->images) return usage_error("examples needs --images DIR%s", "");
    if (!c->layer) return usage_error("examples needs --layer, e.g. %s", "--layer mixed4a");
    fv_model *m;
    int rc = load_model(c, &m);
    if (rc) return rc;
    fv_examples_opts o = {.images = c->images,
                          .layer = c->layer,
                          .out = c->output ? c->output : "examples",
                          .top = c->top ? c->top : 8,
                          .size = c->size_given ? c->cfg.size : 224,
                          .thumb = c->crop ? c->crop : 96,
                          .batch = c->cfg.batch_size,
                          .backend = c->cfg.backend,
                          .log = stderr};
    fv_examples_report rep;
    fv_status s = fv_examples_run(m, &o, &rep);
    if (s == FV_OK) {
        printf("%s: %d images (%d corrupt, %d other files skipped), %d channel strips, receptive field %d px "
               "(jump %d) -> %s\n",
               c->layer, rep.nimages, rep.nbad, rep.nskipped, rep.nchannels, rep.rf, rep.jump, rep.dir);
    } else {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
    }
    fv_examples_report_free(&rep);
    fv_model_free(m);
    return s == FV_OK ? 0 : s == FV_ERR_ARG ? 2 : 1;
}
