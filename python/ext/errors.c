/* featvis._featvis's errors: the library's status and one-line message as the Python exception that fits
 * (ValueError, FileNotFoundError, featvis.RenderError, ...), for every other file of the extension. */
#include <errno.h>
#include <string.h>

#include "ext.h"

PyObject *fvpy_render_error; /* featvis.RenderError, made by the module's init (module.c) */

PyObject *fvpy_raise(fv_status st) { return fvpy_raise_text(st, fv_last_error(), NULL); }

PyObject *fvpy_raise_text(fv_status st, const char *msg, const char *more)
{
    PyObject *type = PyExc_RuntimeError;
    switch (st) {
    case FV_ERR_ARG:
    case FV_ERR_FORMAT:
    case FV_ERR_SHAPE: type = PyExc_ValueError; break;
    case FV_ERR_IO: type = strstr(msg, strerror(ENOENT)) ? PyExc_FileNotFoundError : PyExc_OSError; break;
    case FV_ERR_NUMERIC: type = fvpy_render_error; break;
    case FV_ERR_NOMEM: type = PyExc_MemoryError; break;
    case FV_ERR_BUSY: type = PyExc_BlockingIOError; break;
    case FV_ERR_INTERRUPTED: type = PyExc_KeyboardInterrupt; break;
    default: break;
    }
    PyObject *text = more && *more ? PyUnicode_FromFormat("%s\n%s", msg, more) : PyUnicode_FromString(msg);
    PyObject *exc = text ? PyObject_CallOneArg(type, text) : NULL;
    Py_XDECREF(text);
    if (!exc) return NULL;
    if (type == PyExc_FileNotFoundError) { /* errno set, str() still the library's line */
        PyObject *no = PyLong_FromLong(ENOENT);
        if (!no || PyObject_SetAttrString(exc, "errno", no) < 0) PyErr_Clear();
        Py_XDECREF(no);
    }
    PyErr_SetObject(type, exc);
    Py_DECREF(exc);
    return NULL;
}
