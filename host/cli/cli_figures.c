/* `featvis-cuda figures [OBJECTIVE]`: the article's main figures as labelled contact sheets in -o DIR
 * (default figures/); the sheets are rendered and written by host/app/figures.c. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/figures.h"
#include "cli.h"

static int apply_which(void *dest, int id, const char *arg)
{
    (void)id;
    *(const char **)dest = arg;
    return 0;
}

static const struct option FIGURES_OPTIONS[] = {{"which", required_argument, 0, 0}, {0, 0, 0, 0}};
const cli_group CLI_FIGURES = {FIGURES_OPTIONS, apply_which, sizeof(const char *)};

int cmd_figures(const cli_argv *a)
{
    cli_common c = {0};
    cli_render r;
    const char *which = NULL;
    cli_render_defaults(&r);
    const cli_use use[] = {{&CLI_COMMON, &c}, {&CLI_RENDER, &r}, {&CLI_FIGURES, &which}};
    const char **pos;
    int npos, rc = cli_parse(a, use, 3, &pos, &npos);
    if (rc) return free(pos), rc;
    fv_render_config cfg = cli_render_config(&c, &r);
    const fv_figures_opts o = {.objective = npos ? pos[0] : "mixed4a:97", .dir = c.output ? c.output : "figures",
                               .which = which, .cfg = &cfg, .init_path = r.init_path, .log = stderr};
    fv_model *m = NULL;
    if (mkdir(o.dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "featvis-cuda: cannot create %s: %s\n", o.dir, strerror(errno));
        rc = 1;
    } else if (!(rc = load_model(&c, &m)) && fv_objective_check(m, o.objective, cfg.size) != FV_OK) {
        fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
        rc = 2;
    } else if (!rc && !(rc = cli_open_backend(&c, &cfg.backend_instance))) { /* one for every sheet */
        if (fv_figures_render(m, &o) != FV_OK) {
            fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
            rc = 1;
        }
        fv_backend_close(cfg.backend_instance);
    }
    fv_model_free(m);
    free(pos);
    return rc;
}
