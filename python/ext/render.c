/* featvis._featvis: progress and Ctrl-C, render and interpolate (fv_render, fv_render_interpolation with the GIL
 * released; their options: options.c), and PNGs written as the command line writes them (the output module
 * host/app/output.c: file names and provenance). */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "app/output.h"
#include "ext.h"
#include "render/transform.h"

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
