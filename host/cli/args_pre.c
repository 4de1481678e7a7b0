/* The input-convention options every command that loads a model reads (args.h): --preprocess NAME, --order
 * rgb|bgr, --range LO,HI, --mean A,B,C, --std A,B,C, parsed with one-line errors, then set on the model over
 * the preset (or the model's own convention) in that order of precedence. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

enum { P_PRESET, P_ORDER, P_RANGE, P_MEAN, P_STD };

/* n comma-separated finite numbers from s; else the usage error naming the option and an example. */
static int numbers(const char *opt, const char *s, int n, const char *example, float *out)
{
    const char *p = s;
    for (int i = 0; i < n; i++) {
        char *end;
        errno = 0;
        float v = strtof(p, &end);
        if (end == p || errno || !isfinite(v) || *end != (i + 1 < n ? ',' : '\0')) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s '%%s': expected %d numbers separated by commas, e.g. %s", opt, n, example);
            return usage_error(msg, s);
        }
        out[i] = v;
        p = end + 1;
    }
    return 0;
}

int cli_apply_preprocess(cli_preprocess *o, int which, const char *arg)
{
    fv_preprocess scratch;
    switch (which) {
    case P_PRESET:
        if (fv_preprocess_preset(arg, &scratch) != FV_OK)
            return usage_error("--preprocess '%s': expected torchvision, caffe, inception, inception5h or none", arg);
        o->preset = arg;
        return 0;
    case P_ORDER:
        if (!strcmp(arg, "rgb") || !strcmp(arg, "RGB")) o->order = 1;
        else if (!strcmp(arg, "bgr") || !strcmp(arg, "BGR")) o->order = 2;
        else return usage_error("--order '%s': expected rgb or bgr", arg);
        return 0;
    case P_RANGE:
        if (numbers("--range", arg, 2, "0,255", o->range)) return 2;
        if (o->range[0] == o->range[1]) return usage_error("--range '%s': the two ends must differ", arg);
        o->range_set = 1;
        return 0;
    case P_MEAN:
        if (numbers("--mean", arg, 3, "0.485,0.456,0.406", o->mean)) return 2;
        o->mean_set = 1;
        return 0;
    default:
        if (numbers("--std", arg, 3, "0.229,0.224,0.225", o->std)) return 2;
        for (int c = 0; c < 3; c++)
            if (!(o->std[c] > 0)) return usage_error("--std '%s': every value must be > 0", arg);
        o->std_set = 1;
        return 0;
    }
}

int cli_preprocess_model(const cli_preprocess *o, fv_model *m)
{
    fv_preprocess p;
    fv_status st = o->preset ? fv_preprocess_preset(o->preset, &p) : fv_model_preprocess(m, &p);
    if (st == FV_OK) {
        if (o->order) p.bgr = o->order == 2;
        if (o->range_set) p.lo = o->range[0], p.hi = o->range[1];
        for (int c = 0; c < 3; c++) {
            if (o->mean_set) p.mean[c] = o->mean[c];
            if (o->std_set) p.std[c] = o->std[c];
        }
        st = fv_model_set_preprocess(m, &p);
    }
    if (st == FV_OK) return 0;
    fprintf(stderr, "featvis-cuda: %s\n", fv_last_error());
    return 2;
}
