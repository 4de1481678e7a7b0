/* The Python extension featvis._featvis over the C library (include/featvis/featvis.h and host/app): what its
 * files share. module.c: the module; errors.c: library statuses as exceptions; model.c: models and backends;
 * options.c: render options; images.c: images and labels; render.c: progress and Ctrl-C, render and interpolate,
 * writing PNGs as the command line does; batch.c: resumable batch runs.
 * The Python layer (python/src/featvis/) turns numpy arrays into planar float32 buffers and back. */
#ifndef FVPY_EXT_H
#define FVPY_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include "featvis/featvis.h"

/* A loaded model. Every call that uses it (and the backends opened for it) holds its lock, with the GIL
 * released while the library works, so two Python threads never run the library on one model at once. */
typedef struct {
    PyObject_HEAD
    fv_model *model;
    PyThread_type_lock lock;
    unsigned long owner; /* the thread holding lock, 0 when free */
} fvpy_model;

/* A backend instance (fv_backend_open): one CUDA context and its cuDNN cache, reused across calls. */
typedef struct {
    PyObject_HEAD
    fv_backend *be;
    fv_backend_kind kind; /* resolved: cpu or cuda */
    PyObject *notice;     /* fv_backend_resolve's notice (auto fell back to the CPU), or None */
} fvpy_backend;

extern PyTypeObject fvpy_model_type, fvpy_backend_type;
extern PyObject *fvpy_render_error; /* featvis.RenderError */

/* Raise the exception for a failed library call (fv_last_error()'s line): FV_ERR_ARG, _FORMAT, _SHAPE
 * ValueError; _IO FileNotFoundError when the file is missing, else OSError; _NUMERIC featvis.RenderError;
 * _NOMEM MemoryError; _BUSY BlockingIOError; _INTERRUPTED KeyboardInterrupt; others RuntimeError. NULL. */
PyObject *fvpy_raise(fv_status st);
/* The same for the line msg, with more lines after it when more is not empty. */
PyObject *fvpy_raise_text(fv_status st, const char *msg, const char *more);

/* Take the model's lock (waiting with the GIL released); -1 with RuntimeError when this thread already holds
 * it (a progress callback calling back into its own model). */
int fvpy_model_enter(fvpy_model *m);
void fvpy_model_leave(fvpy_model *m);

/* The module functions of model.c: load_model(path, kind) -> Model, default_weights(), probe(cuda),
 * preprocess_preset(name). */
PyObject *fvpy_load_model(PyObject *self, PyObject *args);
PyObject *fvpy_default_weights(PyObject *self, PyObject *noargs);
PyObject *fvpy_probe(PyObject *self, PyObject *args);
PyObject *fvpy_preprocess_preset(PyObject *self, PyObject *args);

/* A planar float32 image (a C-contiguous buffer of shape (3, h, w)) viewed as an fv_image, no copy; release
 * the view with PyBuffer_Release. 0, or -1 with TypeError/ValueError. */
int fvpy_image_view(PyObject *obj, Py_buffer *view, fv_image *img);
/* An fv_image as (bytes of planar float32, width, height). */
PyObject *fvpy_image_tuple(const fv_image *img);

/* The module's functions of images.c: read_image, to_rgb8, write_png, contact_sheet, labels. */
PyObject *fvpy_read_image(PyObject *self, PyObject *args);
PyObject *fvpy_to_rgb8(PyObject *self, PyObject *arg);
PyObject *fvpy_write_png(PyObject *self, PyObject *args);
PyObject *fvpy_contact_sheet(PyObject *self, PyObject *args);
PyObject *fvpy_labels(PyObject *self, PyObject *args);

/* The render options from a dict of the Python names (render.c; unknown names: TypeError). cfg starts from
 * fv_render_config_default; init (a planar image, or None) is viewed through *init_view, which the caller
 * releases when init_view->obj is set. 0 or -1. */
int fvpy_config(PyObject *options, fv_render_config *cfg, Py_buffer *init_view, fv_image *init_img);

/* Progress and interruption: the library's progress callback takes the GIL, runs the Python callback
 * (if any) and PyErr_CheckSignals; an exception (KeyboardInterrupt on Ctrl-C) sets cancel, which stops the
 * library at its next step, and is kept until fvpy_progress_finish raises it. */
typedef struct {
    PyObject *callback;  /* callable or None (borrowed) */
    volatile int cancel; /* the render config's and the batch run's stop flag */
    PyObject *type, *value, *traceback;
} fvpy_progress;

void fvpy_on_step(void *ctx, int step, int steps, const float *obj, int n);
/* Call the Python callback with args (stolen) under the GIL rules above. */
void fvpy_progress_call(fvpy_progress *p, PyObject *args);
/* -1 with the kept exception raised, else 0. */
int fvpy_progress_finish(fvpy_progress *p);

/* The module's functions of render.c and batch.c. */
PyObject *fvpy_render(PyObject *self, PyObject *args);
PyObject *fvpy_interpolate(PyObject *self, PyObject *args);
PyObject *fvpy_write_render(PyObject *self, PyObject *args);
PyObject *fvpy_render_defaults(PyObject *self, PyObject *noargs);
PyObject *fvpy_batch(PyObject *self, PyObject *args);

#endif
