/* featvis._featvis: the module, its functions and types, and its exception featvis.RenderError. The pieces:
 * errors.c (library statuses as exceptions), model.c (models, backends), images.c (images in and out),
 * render.c (render options, render, interpolate), batch.c (batch runs). */
#include "ext.h"

/* ---------- the module ---------- */

static PyMethodDef module_methods[] = {
    {"load_model", fvpy_load_model, METH_VARARGS, "load_model(path, kind) -> Model"},
    {"default_weights", fvpy_default_weights, METH_NOARGS, "the model file used when none is named"},
    {"preprocess_preset", fvpy_preprocess_preset, METH_VARARGS, "preprocess_preset(name) -> a named input convention"},
    {"read_image", fvpy_read_image, METH_VARARGS, "read_image(path) -> (planar float32 bytes, w, h)"},
    {"to_rgb8", fvpy_to_rgb8, METH_O, "to_rgb8(planar image) -> interleaved 8-bit RGB bytes, as PNGs store them"},
    {"write_png", fvpy_write_png, METH_VARARGS, "write_png(path, planar image, ((key, value), ...))"},
    {"contact_sheet", fvpy_contact_sheet, METH_VARARGS, "contact_sheet(title, cols, ((image, label), ...), cell_px)"},
    {"labels", fvpy_labels, METH_VARARGS, "labels(path, weights, n) -> [name] or None"},
    {"probe", fvpy_probe, METH_VARARGS, "probe(cuda) -> (devices, description)"},
    {"render", fvpy_render, METH_VARARGS, "render(model, items, options, backend, progress) -> [result]"},
    {"interpolate", fvpy_interpolate, METH_VARARGS, "interpolate(model, a, b, frames, alignment, options, ...)"},
    {"write_render", fvpy_write_render, METH_VARARGS, "write_render(model, out, single, image, info, options)"},
    {"render_defaults", fvpy_render_defaults, METH_NOARGS, "the library's default render options"},
    {"batch", fvpy_batch, METH_VARARGS, "batch(model, jobs_path, out_dir, shard, skip_invalid, ...)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "featvis._featvis",
                                        "The C library of featvis-cuda (include/featvis/featvis.h).", -1,
                                        module_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__featvis(void)
{
    if (PyType_Ready(&fvpy_model_type) < 0 || PyType_Ready(&fvpy_backend_type) < 0) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    fvpy_render_error = PyErr_NewExceptionWithDoc(
        "featvis.RenderError", "A render failed numerically (an objective or pixel became NaN or Inf).",
        PyExc_RuntimeError, NULL);
    if (!fvpy_render_error || PyModule_AddObjectRef(m, "RenderError", fvpy_render_error) < 0 ||
        PyModule_AddObjectRef(m, "Model", (PyObject *)&fvpy_model_type) < 0 ||
        PyModule_AddObjectRef(m, "Backend", (PyObject *)&fvpy_backend_type) < 0 ||
        PyModule_AddStringConstant(m, "VERSION", FV_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
