/* featvis._featvis's Model and Backend types: loading a model file, its layers, input convention,
 * classification and activations, and backend instances (one CUDA context and cuDNN cache, reused); with the
 * module-level functions that go with them (default weights, probe, preprocess presets). Every call goes to the
 * C library; the GIL is released while it works. */
#include <errno.h>
#include <string.h>

#include "ext.h"

PyObject *fvpy_default_weights(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    char buf[4096];
    if (fv_default_weights(buf, sizeof buf) != FV_OK) {
        PyObject *exc = PyObject_CallFunction(PyExc_FileNotFoundError, "s", fv_last_error());
        if (exc) PyErr_SetObject(PyExc_FileNotFoundError, exc);
        Py_XDECREF(exc);
        return NULL;
    }
    return PyUnicode_DecodeFSDefault(buf);
}

/* probe(kind): (devices, one line describing them), fv_backend_probe. */
PyObject *fvpy_probe(PyObject *self, PyObject *args)
{
    (void)self;
    int cuda;
    if (!PyArg_ParseTuple(args, "p", &cuda)) return NULL;
    char desc[512] = "";
    int n = fv_backend_probe(cuda ? FV_BACKEND_CUDA : FV_BACKEND_CPU, desc, sizeof desc);
    return Py_BuildValue("(is)", n, desc);
}

/* ---------- models ---------- */

int fvpy_model_enter(fvpy_model *m)
{
    const unsigned long me = PyThread_get_thread_ident();
    if (m->owner == me) {
        PyErr_SetString(PyExc_RuntimeError, "this model is busy in this thread (called from its progress callback?)");
        return -1;
    }
    if (!PyThread_acquire_lock(m->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(m->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
    m->owner = me;
    return 0;
}

void fvpy_model_leave(fvpy_model *m)
{
    m->owner = 0;
    PyThread_release_lock(m->lock);
}

PyObject *fvpy_load_model(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *pathobj;
    const char *kindname;
    if (!PyArg_ParseTuple(args, "O&s", PyUnicode_FSConverter, &pathobj, &kindname)) return NULL;
    fv_model_kind kind = FV_MODEL_AUTO;
    if (!strcmp(kindname, "caffe") || !strcmp(kindname, "InceptionV1_caffe")) kind = FV_MODEL_INCEPTION_CAFFE;
    else if (!strcmp(kindname, "inception5h") || !strcmp(kindname, "InceptionV1")) kind = FV_MODEL_INCEPTION_TF;
    else if (!strcmp(kindname, "onnx")) kind = FV_MODEL_ONNX;
    else if (strcmp(kindname, "auto") != 0) {
        Py_DECREF(pathobj);
        return PyErr_Format(PyExc_ValueError, "model '%s': expected auto, caffe, inception5h or onnx", kindname);
    }
    fvpy_model *m = PyObject_New(fvpy_model, &fvpy_model_type);
    if (m) {
        m->model = NULL;
        m->owner = 0;
        if (!(m->lock = PyThread_allocate_lock())) {
            Py_DECREF(m);
            m = NULL;
            PyErr_NoMemory();
        }
    }
    if (!m) {
        Py_DECREF(pathobj);
        return NULL;
    }
    const char *path = PyBytes_AS_STRING(pathobj);
    fv_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fv_model_load(path, kind, &m->model);
    Py_END_ALLOW_THREADS
    Py_DECREF(pathobj);
    if (st != FV_OK) {
        Py_DECREF(m);
        return fvpy_raise(st);
    }
    return (PyObject *)m;
}

static void model_dealloc(fvpy_model *m)
{
    fv_model_free(m->model);
    if (m->lock) PyThread_free_lock(m->lock);
    PyObject_Free(m);
}

static PyObject *model_info(fvpy_model *m, PyObject *noargs)
{
    (void)noargs;
    return Py_BuildValue("{s:s,s:s,s:i}", "name", fv_model_name(m->model), "sha256", fv_model_sha256(m->model),
                         "num_classes", fv_model_num_classes(m->model));
}

/* layers(size): [(name, channels, height, width, (aliases...))] of every layer the model exposes, shapes at size px. */
static PyObject *model_layers(fvpy_model *m, PyObject *args)
{
    int size;
    if (!PyArg_ParseTuple(args, "i", &size)) return NULL;
    PyObject *list = PyList_New(0);
    for (int i = 0; list && i < fv_model_num_layers(m->model); i++) {
        int c, h, w;
        const char *name = fv_model_layer_name(m->model, i);
        if (fv_model_layer_shape(m->model, name, size, &c, &h, &w) != FV_OK) continue; /* as `layers` prints */
        const char *a0 = fv_model_layer_alias(m->model, i, 0), *a1 = fv_model_layer_alias(m->model, i, 1);
        PyObject *t = *a1 ? Py_BuildValue("(siii(ss))", name, c, h, w, a0, a1)
                    : *a0 ? Py_BuildValue("(siii(s))", name, c, h, w, a0)
                          : Py_BuildValue("(siii())", name, c, h, w);
        if (!t || PyList_Append(list, t) < 0) Py_CLEAR(list);
        Py_XDECREF(t);
    }
    return list;
}

static PyObject *model_layer_shape(fvpy_model *m, PyObject *args)
{
    const char *layer;
    int size, c, h, w;
    if (!PyArg_ParseTuple(args, "si", &layer, &size)) return NULL;
    fv_status st = fv_model_layer_shape(m->model, layer, size, &c, &h, &w);
    return st == FV_OK ? Py_BuildValue("(iii)", c, h, w) : fvpy_raise(st);
}

static PyObject *model_check_objective(fvpy_model *m, PyObject *args)
{
    const char *objective;
    int size;
    if (!PyArg_ParseTuple(args, "si", &objective, &size)) return NULL;
    fv_status st = fv_objective_check(m->model, objective, size);
    if (st != FV_OK) return fvpy_raise(st);
    Py_RETURN_NONE;
}

/* classify(backend, image): the class probabilities as bytes of float32. */
static PyObject *model_classify(fvpy_model *m, PyObject *args)
{
    fvpy_backend *be;
    PyObject *obj;
    if (!PyArg_ParseTuple(args, "O!O", &fvpy_backend_type, &be, &obj)) return NULL;
    Py_buffer view;
    fv_image img;
    if (fvpy_image_view(obj, &view, &img) < 0) return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(float) * fv_model_num_classes(m->model));
    if (out && fvpy_model_enter(m) < 0) Py_CLEAR(out);
    if (out) {
        fv_status st;
        float *probs = (float *)PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        st = fv_classify(m->model, be->be, &img, probs);
        Py_END_ALLOW_THREADS
        fvpy_model_leave(m);
        if (st != FV_OK) {
            Py_CLEAR(out);
            fvpy_raise(st);
        }
    }
    PyBuffer_Release(&view);
    return out;
}

/* activations(backend, image, layer): (bytes of float32 (c, h, w), c, h, w). */
static PyObject *model_activations(fvpy_model *m, PyObject *args)
{
    fvpy_backend *be;
    PyObject *obj;
    const char *layer;
    if (!PyArg_ParseTuple(args, "O!Os", &fvpy_backend_type, &be, &obj, &layer)) return NULL;
    Py_buffer view;
    fv_image img;
    if (fvpy_image_view(obj, &view, &img) < 0) return NULL;
    PyObject *r = NULL;
    if (fvpy_model_enter(m) == 0) {
        float *act = NULL;
        int c = 0, h = 0, w = 0;
        fv_status st;
        Py_BEGIN_ALLOW_THREADS
        st = fv_activations(m->model, be->be, &img, layer, &act, &c, &h, &w);
        Py_END_ALLOW_THREADS
        fvpy_model_leave(m);
        if (st == FV_OK)
            r = Py_BuildValue("(y#iii)", (const char *)act, (Py_ssize_t)sizeof(float) * c * h * w, c, h, w);
        else
            fvpy_raise(st);
        free(act);
    }
    PyBuffer_Release(&view);
    return r;
}

/* An input convention as (order, lo, hi, (mean...), (std...), description). */
static PyObject *preprocess_tuple(const fv_preprocess *p)
{
    char d[320];
    fv_preprocess_describe(p, d, sizeof d);
    return Py_BuildValue("(sdd(ddd)(ddd)s)", p->bgr ? "bgr" : "rgb", (double)p->lo, (double)p->hi, (double)p->mean[0],
                         (double)p->mean[1], (double)p->mean[2], (double)p->std[0], (double)p->std[1],
                         (double)p->std[2], d);
}

/* preprocess() -> the model's input convention (fv_model_preprocess), as preprocess_tuple. */
static PyObject *model_get_preprocess(fvpy_model *m, PyObject *noargs)
{
    (void)noargs;
    fv_preprocess p;
    fv_status st = fv_model_preprocess(m->model, &p);
    return st == FV_OK ? preprocess_tuple(&p) : fvpy_raise(st);
}

/* set_preprocess(order, lo, hi, (mean), (std)): fv_model_set_preprocess, between calls on the model. */
static PyObject *model_set_preprocess(fvpy_model *m, PyObject *args)
{
    fv_preprocess p;
    const char *order;
    if (!PyArg_ParseTuple(args, "sff(fff)(fff)", &order, &p.lo, &p.hi, &p.mean[0], &p.mean[1], &p.mean[2], &p.std[0],
                          &p.std[1], &p.std[2]))
        return NULL;
    if (strcmp(order, "rgb") && strcmp(order, "bgr"))
        return PyErr_Format(PyExc_ValueError, "order '%s': expected rgb or bgr", order);
    p.bgr = !strcmp(order, "bgr");
    if (fvpy_model_enter(m) < 0) return NULL;
    fv_status st = fv_model_set_preprocess(m->model, &p);
    fvpy_model_leave(m);
    if (st != FV_OK) return fvpy_raise(st);
    Py_RETURN_NONE;
}

/* preprocess_preset(name) -> a named convention (fv_preprocess_preset), as preprocess_tuple. */
PyObject *fvpy_preprocess_preset(PyObject *self, PyObject *args)
{
    (void)self;
    const char *name;
    fv_preprocess p;
    if (!PyArg_ParseTuple(args, "s", &name)) return NULL;
    fv_status st = fv_preprocess_preset(name, &p);
    return st == FV_OK ? preprocess_tuple(&p) : fvpy_raise(st);
}

static PyMethodDef model_methods[] = {
    {"info", (PyCFunction)model_info, METH_NOARGS, "{name, sha256, num_classes}"},
    {"layers", (PyCFunction)model_layers, METH_VARARGS, "layers(size) -> [(name, channels, height, width, aliases)]"},
    {"preprocess", (PyCFunction)model_get_preprocess, METH_NOARGS, "the input convention (order, lo, hi, mean, std, text)"},
    {"set_preprocess", (PyCFunction)model_set_preprocess, METH_VARARGS, "set_preprocess(order, lo, hi, mean, std)"},
    {"layer_shape", (PyCFunction)model_layer_shape, METH_VARARGS, "layer_shape(layer, size) -> (c, h, w)"},
    {"check_objective", (PyCFunction)model_check_objective, METH_VARARGS, "check_objective(objective, size)"},
    {"classify", (PyCFunction)model_classify, METH_VARARGS, "classify(backend, image) -> float32 bytes"},
    {"activations", (PyCFunction)model_activations, METH_VARARGS, "activations(backend, image, layer)"},
    {NULL, NULL, 0, NULL}};

PyTypeObject fvpy_model_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "featvis._featvis.Model",
    .tp_basicsize = sizeof(fvpy_model),
    .tp_dealloc = (destructor)model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A loaded model file (fv_model); made by load_model.",
    .tp_methods = model_methods,
};

/* ---------- backends ---------- */

/* Backend(options): the backend the options name (backend, precision, device, cudnn_*, verbose), opened. */
static PyObject *backend_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *options;
    if (kw && PyDict_Size(kw)) return PyErr_Format(PyExc_TypeError, "Backend(options) takes no keywords");
    if (!PyArg_ParseTuple(args, "O!", &PyDict_Type, &options)) return NULL;
    fv_render_config cfg;
    Py_buffer unused = {0};
    fv_image none;
    if (fvpy_config(options, &cfg, &unused, &none) < 0) return NULL;
    if (unused.obj) PyBuffer_Release(&unused);
    fv_backend_kind got;
    const char *notice = NULL;
    fv_status st = fv_backend_resolve(cfg.backend, &got, &notice);
    if (st != FV_OK) return fvpy_raise(st);
    fvpy_backend *b = (fvpy_backend *)type->tp_alloc(type, 0);
    if (!b) return NULL;
    b->kind = got;
    b->notice = notice ? PyUnicode_FromString(notice) : Py_NewRef(Py_None);
    if (!b->notice) {
        Py_DECREF(b);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    st = fv_backend_open(got, &cfg.backend_options, &b->be);
    Py_END_ALLOW_THREADS
    if (st != FV_OK) {
        Py_DECREF(b);
        return fvpy_raise(st);
    }
    return (PyObject *)b;
}

static void backend_dealloc(fvpy_backend *b)
{
    fv_backend_close(b->be);
    Py_XDECREF(b->notice);
    Py_TYPE(b)->tp_free((PyObject *)b);
}

static PyObject *backend_kind(fvpy_backend *b, void *closure)
{
    (void)closure;
    return PyUnicode_FromString(fv_backend_name(b->kind));
}

static PyObject *backend_notice(fvpy_backend *b, void *closure)
{
    (void)closure;
    return Py_NewRef(b->notice);
}

static PyGetSetDef backend_getset[] = {
    {"kind", (getter)backend_kind, NULL, "cpu or cuda", NULL},
    {"notice", (getter)backend_notice, NULL, "why auto chose the CPU, or None", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject fvpy_backend_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "featvis._featvis.Backend",
    .tp_basicsize = sizeof(fvpy_backend),
    .tp_dealloc = (destructor)backend_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A backend instance (fv_backend_open): Backend(options).",
    .tp_getset = backend_getset,
    .tp_new = backend_new,
};
