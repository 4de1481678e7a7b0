/* featvis._featvis: render options from Python, progress and Ctrl-C, render and interpolate (fv_render,
 * fv_render_interpolation with the GIL released), and PNGs written as the command line writes them (the output
 * module host/app/output.c: file names and provenance). */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "app/output.h"
#include "ext.h"
#include "render/transform.h"

/* ---------- options ---------- */

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

/* ---------- progress and Ctrl-C ---------- */

void fvpy_progress_call(fvpy_progress *p, PyObject *args)
{
    int bad = PyErr_Occurred() != NULL; /* building args failed */
    if (!bad && !p->type) bad = PyErr_CheckSignals() < 0;
    if (!bad && !p->type && args && p->callback != Py_None) {
        PyObject *r = PyObject_CallObject(p->callback, args);
        bad = r == NULL;
        Py_XDECREF(r);
    }
    Py_XDECREF(args);
    if (bad && !p->type) {
        PyErr_Fetch(&p->type, &p->value, &p->traceback);
        p->cancel = 1; /* the library stops at its next step */
    }
    PyErr_Clear();
}

void fvpy_on_step(void *ctx, int step, int steps, const float *obj, int n)
{
    fvpy_progress *p = ctx;
    if (p->cancel) return;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *args = NULL;
    if (p->callback != Py_None) {
        PyObject *values = PyList_New(n);
        for (int i = 0; values && i < n; i++) {
            PyObject *f = PyFloat_FromDouble(obj[i]);
            if (!f) Py_CLEAR(values);
            else PyList_SET_ITEM(values, i, f);
        }
        args = values ? Py_BuildValue("(iiN)", step, steps, values) : NULL;
    }
    fvpy_progress_call(p, args);
    PyGILState_Release(g);
}

int fvpy_progress_finish(fvpy_progress *p)
{
    if (!p->type) return 0;
    PyErr_Restore(p->type, p->value, p->traceback);
    p->type = p->value = p->traceback = NULL;
    return -1;
}

/* ---------- render and interpolate ---------- */

/* [(planar float32 bytes, w, h, objective, index, count, obj_first, obj_last, div_first, div_last, seconds)] */
static PyObject *results_list(const fv_render_result *res, int n)
{
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        const fv_render_result *r = &res[i];
        const fv_image *img = &r->image;
        PyObject *t = Py_BuildValue("(y#iisiiddddd)", (const char *)img->rgb,
                                    (Py_ssize_t)sizeof(float) * 3 * img->w * img->h, img->w, img->h, r->objective,
                                    r->index, r->count, (double)r->obj_first, (double)r->obj_last,
                                    (double)r->div_first, (double)r->div_last, r->seconds);
        if (!t) Py_CLEAR(list);
        else PyList_SET_ITEM(list, i, t);
    }
    return list;
}

/* What render and interpolate share: the options, the backend (None: open one per call as the config says),
 * the progress context. 0, or -1 (the init view released). */
typedef struct {
    fv_render_config cfg;
    Py_buffer init_view;
    fv_image init_img;
    fvpy_progress progress;
} call_ctx;

static int call_begin(call_ctx *c, PyObject *options, PyObject *backend, PyObject *callback)
{
    memset(c, 0, sizeof *c);
    if (backend != Py_None && !PyObject_TypeCheck(backend, &fvpy_backend_type)) {
        PyErr_SetString(PyExc_TypeError, "backend: expected a featvis._featvis.Backend or None");
        return -1;
    }
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "progress: expected a callable or None");
        return -1;
    }
    if (fvpy_config(options, &c->cfg, &c->init_view, &c->init_img) < 0) return -1;
    if (backend != Py_None) c->cfg.backend_instance = ((fvpy_backend *)backend)->be;
    c->progress.callback = callback;
    c->cfg.cancel = &c->progress.cancel;
    return 0;
}

/* The results as a list, or the exception: the progress callback's (KeyboardInterrupt on Ctrl-C) first. */
static PyObject *call_end(call_ctx *c, fv_status st, fv_render_result *res, int nres)
{
    if (c->init_view.obj) PyBuffer_Release(&c->init_view);
    PyObject *r = NULL;
    if (fvpy_progress_finish(&c->progress) == 0) r = st == FV_OK ? results_list(res, nres) : fvpy_raise(st);
    fv_render_results_free(res, nres);
    return r;
}

/* render(model, ((objective, count), ...), options, backend, progress) */
PyObject *fvpy_render(PyObject *self, PyObject *args)
{
    (void)self;
    fvpy_model *m;
    PyObject *items, *options, *backend, *callback;
    if (!PyArg_ParseTuple(args, "O!O!O!OO", &fvpy_model_type, &m, &PyTuple_Type, &items, &PyDict_Type, &options,
                          &backend, &callback))
        return NULL;
    const Py_ssize_t n = PyTuple_GET_SIZE(items);
    if (n < 1 || n > INT_MAX / 64) return PyErr_Format(PyExc_ValueError, "render: no objectives");
    fv_render_item *its = PyMem_Calloc(n, sizeof *its);
    if (!its) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) /* items is a tuple of tuples of str: the texts live as long as args */
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(items, i), "si", &its[i].objective, &its[i].count)) {
            PyMem_Free(its);
            return NULL;
        }
    call_ctx c;
    if (call_begin(&c, options, backend, callback) < 0 || fvpy_model_enter(m) < 0) {
        if (c.init_view.obj) PyBuffer_Release(&c.init_view);
        PyMem_Free(its);
        return NULL;
    }
    fv_render_result *res = NULL;
    int nres = 0;
    fv_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fv_render(m->model, &c.cfg, its, (int)n, &res, &nres, fvpy_on_step, &c.progress);
    Py_END_ALLOW_THREADS
    fvpy_model_leave(m);
    PyMem_Free(its);
    return call_end(&c, st, res, nres);
}

/* The alignment term from (weight, decay, layers: a tuple of str or None), or None: the defaults. Tuples only,
 * so the layer names live as long as the caller's args, GIL released or not. */
static int alignment_of(PyObject *t, fv_alignment *al)
{
    fv_alignment_default(al);
    if (t == Py_None) return 0;
    PyObject *layers;
    if (!PyArg_ParseTuple(t, "ffO;alignment: (weight, decay, layers)", &al->weight, &al->decay, &layers)) return -1;
    if (layers == Py_None) return 0;
    if (!PyTuple_Check(layers) || PyTuple_GET_SIZE(layers) > 8) {
        PyErr_SetString(PyExc_ValueError, "alignment layers: 8 names at most");
        return -1;
    }
    al->nlayers = (int)PyTuple_GET_SIZE(layers);
    for (int i = 0; i < al->nlayers; i++)
        if (!(al->layers[i] = PyUnicode_AsUTF8(PyTuple_GET_ITEM(layers, i)))) return -1;
    return 0;
}

/* interpolate(model, a, b, frames, alignment, options, backend, progress) */
PyObject *fvpy_interpolate(PyObject *self, PyObject *args)
{
    (void)self;
    fvpy_model *m;
    const char *a, *b;
    int frames;
    PyObject *align, *options, *backend, *callback;
    if (!PyArg_ParseTuple(args, "O!ssiOO!OO", &fvpy_model_type, &m, &a, &b, &frames, &align, &PyDict_Type, &options,
                          &backend, &callback))
        return NULL;
    fv_alignment al;
    if (alignment_of(align, &al) < 0) return NULL;
    call_ctx c;
    if (call_begin(&c, options, backend, callback) < 0 || fvpy_model_enter(m) < 0) {
        if (c.init_view.obj) PyBuffer_Release(&c.init_view);
        return NULL;
    }
    fv_render_result *res = NULL;
    int nres = 0;
    fv_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fv_render_interpolation(m->model, &c.cfg, a, b, frames, &al, &res, &nres, fvpy_on_step, &c.progress);
    Py_END_ALLOW_THREADS
    fvpy_model_leave(m);
    return call_end(&c, st, res, nres);
}

/* write_render(model, out, single_file, image, (objective, index, count), options, init_path, (frame, frames),
 * alignment): one rendered image written where and as the command line writes it (render: OUT/<name>.png or
 * the single file; interpolate's frames: OUT/<name>_frame<n>.png), with the same tEXt provenance. -> path */
PyObject *fvpy_write_render(PyObject *self, PyObject *args)
{
    (void)self;
    fvpy_model *m;
    const char *out, *init_path;
    int single, frame, frames;
    PyObject *image, *options, *align;
    fv_render_result r;
    memset(&r, 0, sizeof r);
    const char *objective;
    if (!PyArg_ParseTuple(args, "O!spO(sii)O!z(ii)O", &fvpy_model_type, &m, &out, &single, &image, &objective,
                          &r.index, &r.count, &PyDict_Type, &options, &init_path, &frame, &frames, &align))
        return NULL;
    snprintf(r.objective, sizeof r.objective, "%s", objective);
    fv_render_config cfg;
    Py_buffer iv, view;
    fv_image ii, img, init_marker = {0, 0, NULL};
    fv_alignment al;
    if (alignment_of(align, &al) < 0 || fvpy_config(options, &cfg, &iv, &ii) < 0) return NULL;
    if (iv.obj) PyBuffer_Release(&iv);
    cfg.init = init_path ? &init_marker : NULL; /* provenance names the file: init=<path> */
    if (fvpy_image_view(image, &view, &img) < 0) return NULL;
    char path[4096];
    if (frames > 0) fv_output_frame_path(out, r.objective, frame, path, sizeof path);
    else fv_output_render_path(out, single, &r, path, sizeof path);
    const fv_provenance prov = {.model = m->model, .cfg = &cfg, .init_path = init_path, .objective = r.objective,
                                .frame = frame, .frames = frames, .align = align == Py_None ? NULL : &al};
    fv_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fv_provenance_write_png(path, &img, &prov);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return st == FV_OK ? PyUnicode_DecodeFSDefault(path) : fvpy_raise(st);
}
