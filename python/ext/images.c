/* featvis._featvis: images between Python and the C library (planar float32 buffers viewed as fv_image, no
 * copy), and the library's image functions: read PNG/JPEG, the PNG writer's 8-bit pixels, PNG files with tEXt,
 * labelled contact sheets; and class names (app/labels.h). */
#include <string.h>

#include "app/contact.h"
#include "app/labels.h"
#include "ext.h"
#include "io/image.h"

int fvpy_image_view(PyObject *obj, Py_buffer *view, fv_image *img)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    const char *f = view->format ? view->format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') f++;
    if (view->ndim != 3 || view->shape[0] != 3 || view->itemsize != 4 || strcmp(f, "f") != 0 || view->shape[1] < 1 ||
        view->shape[2] < 1 || view->shape[1] > 32768 || view->shape[2] > 32768) {
        PyErr_SetString(PyExc_ValueError, "image: expected planar float32 (3, height, width), 1..32768 a side");
        PyBuffer_Release(view);
        return -1;
    }
    img->h = (int)view->shape[1];
    img->w = (int)view->shape[2];
    img->rgb = view->buf;
    return 0;
}

PyObject *fvpy_image_tuple(const fv_image *img)
{
    return Py_BuildValue("(y#ii)", (const char *)img->rgb, (Py_ssize_t)sizeof(float) * 3 * img->w * img->h, img->w,
                         img->h);
}

PyObject *fvpy_read_image(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path)) return NULL;
    fv_image img = {0, 0, NULL};
    fv_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fv_image_read(path, &img);
    Py_END_ALLOW_THREADS
    if (st != FV_OK) return fvpy_raise(st);
    PyObject *r = fvpy_image_tuple(&img);
    fv_image_free(&img);
    return r;
}

PyObject *fvpy_to_rgb8(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_buffer view;
    fv_image img;
    if (fvpy_image_view(arg, &view, &img) < 0) return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)3 * img.w * img.h);
    if (out) fv_image_to_rgb8(&img, (uint8_t *)PyBytes_AS_STRING(out));
    PyBuffer_Release(&view);
    return out;
}

/* write_png(path, image, text): image as a PNG with text (a tuple of (key, value) str pairs: immutable, so the
 * texts outlive the GIL's release) in tEXt chunks. */
PyObject *fvpy_write_png(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path, *keys[32], *vals[32];
    PyObject *obj, *text;
    if (!PyArg_ParseTuple(args, "sOO!", &path, &obj, &PyTuple_Type, &text)) return NULL;
    const int n = (int)PyTuple_GET_SIZE(text);
    if (n > 32) return PyErr_Format(PyExc_ValueError, "text: 32 keys at most");
    for (int i = 0; i < n; i++)
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(text, i), "ss", &keys[i], &vals[i])) return NULL;
    Py_buffer view;
    fv_image img;
    if (fvpy_image_view(obj, &view, &img) < 0) return NULL;
    fv_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fv_image_write_png(path, &img, keys, vals, n);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (st != FV_OK) return fvpy_raise(st);
    Py_RETURN_NONE;
}

/* contact_sheet(title, cols, ((image, label), ...), cell_px): the library's labelled contact sheet. */
PyObject *fvpy_contact_sheet(PyObject *self, PyObject *args)
{
    (void)self;
    const char *title;
    int cols, cell;
    PyObject *list;
    if (!PyArg_ParseTuple(args, "ziO!i", &title, &cols, &PyTuple_Type, &list, &cell)) return NULL;
    const Py_ssize_t n = PyTuple_GET_SIZE(list);
    if (n < 1 || n > 4096 || cols < 1 || cell < 8 || cell > 4096)
        return PyErr_Format(PyExc_ValueError, "contact sheet: 1..4096 images, cols >= 1, cell 8..4096 px");
    fv_sheet_cell *cells = PyMem_Calloc(n, sizeof *cells);
    fv_image *imgs = PyMem_Calloc(n, sizeof *imgs);
    Py_buffer *views = PyMem_Calloc(n, sizeof *views);
    PyObject *r = NULL;
    Py_ssize_t got = 0;
    if (!cells || !imgs || !views) goto done;
    for (; got < n; got++) {
        PyObject *img, *label;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(list, got), "OO", &img, &label)) goto done;
        if (label != Py_None && !(cells[got].label = PyUnicode_AsUTF8(label))) goto done;
        if (fvpy_image_view(img, &views[got], &imgs[got]) < 0) goto done;
        cells[got].img = &imgs[got];
    }
    fv_image out = {0, 0, NULL};
    fv_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fv_contact_sheet_render(title, cols, cells, (int)n, cell, &out);
    Py_END_ALLOW_THREADS
    r = st == FV_OK ? fvpy_image_tuple(&out) : fvpy_raise(st);
    fv_image_free(&out);
done:
    for (Py_ssize_t i = 0; views && i < got; i++) PyBuffer_Release(&views[i]);
    PyMem_Free(cells), PyMem_Free(imgs), PyMem_Free(views);
    if (!r && !PyErr_Occurred()) PyErr_NoMemory();
    return r;
}

/* labels(path, weights, n): n class names (None past the file's end), or None when no file was found. */
PyObject *fvpy_labels(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path, *weights;
    int n;
    if (!PyArg_ParseTuple(args, "zzi", &path, &weights, &n)) return NULL;
    char **names;
    fv_status st = fv_labels_read(path, weights, n, &names);
    if (st != FV_OK) return fvpy_raise(st);
    if (!names) Py_RETURN_NONE;
    PyObject *list = PyList_New(n);
    for (int k = 0; list && k < n; k++) {
        PyObject *s = names[k] ? PyUnicode_DecodeUTF8(names[k], strlen(names[k]), "replace") : Py_NewRef(Py_None);
        if (!s) Py_CLEAR(list);
        else PyList_SET_ITEM(list, k, s);
    }
    fv_labels_free(names, n);
    return list;
}
