/* featvis._featvis's render options: the keywords of featvis.render (and interpolate, batch, Backend) as an
 * fv_render_config, each checked and named as the command line names it, and the library's defaults. */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "ext.h"
#include "render/transform.h"

typedef enum { O_INT, O_FLOAT, O_BOOL, O_SEED, O_PRESET, O_CHOICE, O_INIT, O_VERBOSE } opt_kind;

typedef struct {
    const char *name, *const *choices; /* choices: the names of the values 0, 1, 2, ... */
    opt_kind kind;
    size_t off;
} opt;

static const char *const PARAMS[] = {"fft", "pixel", NULL};             /* param_pixel 0, 1 */
static const char *const BACKENDS[] = {"auto", "cpu", "cuda", NULL};    /* fv_backend_kind */
static const char *const PRECISIONS[] = {"auto", "fp32", "tf32", NULL}; /* fv_precision */
_Static_assert(FV_BACKEND_AUTO == 0 && FV_BACKEND_CPU == 1 && FV_BACKEND_CUDA == 2, "BACKENDS order");
_Static_assert(FV_PRECISION_AUTO == 0 && FV_PRECISION_FP32 == 1 && FV_PRECISION_TF32 == 2, "PRECISIONS order");
_Static_assert(sizeof(fv_backend_kind) == sizeof(int) && sizeof(fv_precision) == sizeof(int), "enums are ints");

#define CFG(f) offsetof(fv_render_config, f)
#define BEO(f) (offsetof(fv_render_config, backend_options) + offsetof(fv_backend_options, f))
/* The Python names of the command line's render and backend options (README "Command line"). */
static const opt OPTS[] = {
    {"size", NULL, O_INT, CFG(size)},
    {"steps", NULL, O_INT, CFG(steps)},
    {"seed", NULL, O_SEED, CFG(seed)},
    {"preset", NULL, O_PRESET, CFG(preset)},
    {"lr", NULL, O_FLOAT, CFG(lr)},
    {"redirect_steps", NULL, O_INT, CFG(redirect_steps)},
    {"decorrelate", NULL, O_BOOL, CFG(decorrelate)},
    {"diversity_weight", NULL, O_FLOAT, CFG(diversity_weight)},
    {"batch_size", NULL, O_INT, CFG(batch_size)},
    {"param", PARAMS, O_CHOICE, CFG(param_pixel)},
    {"tv", NULL, O_FLOAT, CFG(tv_weight)},
    {"l1", NULL, O_FLOAT, CFG(l1_weight)},
    {"l2", NULL, O_FLOAT, CFG(l2_weight)},
    {"blur", NULL, O_FLOAT, CFG(blur_weight)},
    {"init", NULL, O_INIT, 0},
    {"verbose", NULL, O_VERBOSE, CFG(verbose)},
    {"backend", BACKENDS, O_CHOICE, CFG(backend)},
    {"precision", PRECISIONS, O_CHOICE, BEO(precision)},
    {"device", NULL, O_INT, BEO(device)},
    {"cudnn_fwd_algo", NULL, O_INT, BEO(cudnn_fwd_algo)},
    {"cudnn_bwd_algo", NULL, O_INT, BEO(cudnn_bwd_data_algo)},
    {"cudnn_workspace_mib", NULL, O_INT, BEO(cudnn_workspace_mib)},
    {"cudnn_find", NULL, O_BOOL, BEO(cudnn_find)},
};
#define NOPTS ((int)(sizeof OPTS / sizeof *OPTS))

/* A whole number (int, numpy integer; not float or bool-as-text) into *out. */
static int whole(PyObject *v, const char *name, long long lo, long long hi, long long *out)
{
    if (PyFloat_Check(v) || !PyIndex_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a whole number, got %s", name, Py_TYPE(v)->tp_name);
        return -1;
    }
    PyObject *i = PyNumber_Index(v);
    if (!i) return -1;
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    if (x == -1 && PyErr_Occurred()) return -1;
    if (overflow || x < lo || x > hi) {
        PyErr_Format(PyExc_ValueError, "%s %R: out of range", name, v);
        return -1;
    }
    *out = x;
    return 0;
}

static int seed_of(PyObject *v, uint64_t *out)
{
    if (PyFloat_Check(v) || !PyIndex_Check(v)) {
        PyErr_Format(PyExc_TypeError, "seed: expected a whole number >= 0, got %s", Py_TYPE(v)->tp_name);
        return -1;
    }
    PyObject *i = PyNumber_Index(v);
    unsigned long long x = i ? PyLong_AsUnsignedLongLong(i) : 0;
    Py_XDECREF(i);
    if (i && x == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "seed %R: expected a whole number from 0 to 2**64-1", v);
    }
    if (PyErr_Occurred()) return -1;
    *out = x;
    return 0;
}

/* A name among choices into the int at dst. */
static int choice(PyObject *v, const opt *o, void *dst)
{
    const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
    if (!s) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s: expected a str, got %s", o->name, Py_TYPE(v)->tp_name);
        return -1;
    }
    for (int i = 0; o->choices[i]; i++)
        if (!strcmp(s, o->choices[i])) return memcpy(dst, &i, sizeof i), 0;
    char all[128] = "";
    for (int i = 0; o->choices[i]; i++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? (o->choices[i + 1] ? ", " : " or ") : "",
                 o->choices[i]);
    PyErr_Format(PyExc_ValueError, "%s '%s': expected %s", o->name, s, all);
    return -1;
}

/* One option's value into cfg. */
static int set_opt(const opt *o, PyObject *v, fv_render_config *cfg, Py_buffer *init_view, fv_image *init_img)
{
    char *dst = (char *)cfg + o->off;
    long long x;
    switch (o->kind) {
    case O_INT:
        if (whole(v, o->name, INT_MIN, INT_MAX, &x) < 0) return -1;
        *(int *)dst = (int)x;
        return 0;
    case O_FLOAT: {
        double d = PyFloat_AsDouble(v);
        if (d == -1.0 && PyErr_Occurred()) return -1;
        *(float *)dst = (float)d;
        return 0;
    }
    case O_BOOL:
    case O_VERBOSE:
        if (!PyBool_Check(v) && !PyLong_Check(v)) {
            PyErr_Format(PyExc_TypeError, "%s: expected True or False, got %s", o->name, Py_TYPE(v)->tp_name);
            return -1;
        }
        *(int *)dst = PyObject_IsTrue(v);
        if (o->kind == O_VERBOSE) cfg->backend_options.verbose = *(int *)dst;
        return 0;
    case O_SEED: return seed_of(v, &cfg->seed);
    case O_PRESET: {
        const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
        if (s && fv_preset_parse(s, &cfg->preset)) return 0;
        if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "preset %R: expected article, lucid or none", v);
        return -1;
    }
    case O_CHOICE: return choice(v, o, dst);
    case O_INIT:
        if (fvpy_image_view(v, init_view, init_img) < 0) return -1;
        cfg->init = init_img;
        return 0;
    }
    return 0;
}

int fvpy_config(PyObject *options, fv_render_config *cfg, Py_buffer *init_view, fv_image *init_img)
{
    fv_render_config_default(cfg);
    init_view->obj = NULL;
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(options, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        int i = 0;
        while (name && i < NOPTS && strcmp(name, OPTS[i].name)) i++;
        if (!name || i == NOPTS) {
            if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "unknown render option %R", k);
        } else if (v == Py_None || set_opt(&OPTS[i], v, cfg, init_view, init_img) == 0) {
            continue;
        }
        if (init_view->obj) PyBuffer_Release(init_view);
        return -1;
    }
    return 0;
}

PyObject *fvpy_render_defaults(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    fv_render_config c;
    fv_render_config_default(&c);
    const fv_backend_options *b = &c.backend_options;
    return Py_BuildValue("{s:i,s:i,s:K,s:s,s:f,s:i,s:O,s:f,s:i,s:s,s:f,s:f,s:f,s:f,s:O,s:s,s:s,s:i,s:i,s:i,s:i,s:O}",
                         "size", c.size, "steps", c.steps, "seed", (unsigned long long)c.seed, "preset",
                         fv_preset_name(c.preset), "lr", (double)c.lr, "redirect_steps", c.redirect_steps,
                         "decorrelate", c.decorrelate ? Py_True : Py_False, "diversity_weight",
                         (double)c.diversity_weight, "batch_size", c.batch_size, "param", PARAMS[c.param_pixel],
                         "tv", (double)c.tv_weight, "l1", (double)c.l1_weight, "l2", (double)c.l2_weight, "blur",
                         (double)c.blur_weight, "verbose", c.verbose ? Py_True : Py_False, "backend",
                         BACKENDS[c.backend], "precision", PRECISIONS[b->precision], "device", b->device,
                         "cudnn_fwd_algo", b->cudnn_fwd_algo, "cudnn_bwd_algo", b->cudnn_bwd_data_algo,
                         "cudnn_workspace_mib", b->cudnn_workspace_mib, "cudnn_find",
                         b->cudnn_find ? Py_True : Py_False);
}
