/* featvis._featvis.batch: a resumable batch run as `featvis-cuda --batch JOBS` runs it (host/app/batch.c: the
 * job file validated whole, shards, the folder's lock, passes, images written atomically before their journal
 * line), with progress and Ctrl-C through the run's tick and stop flag. */
#include <stdio.h>
#include <stdlib.h>

#include "app/batch.h"
#include "app/jobs.h"
#include "ext.h"

/* The run's tick (GIL not held): progress(images finished, images total), Ctrl-C. */
static void on_tick(void *ctx, const struct fv_batch_stats *s, double pass_fraction, int pass_images)
{
    fvpy_progress *p = ctx;
    if (p->cancel) return;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *args = NULL;
    if (p->callback != Py_None) {
        const double finished = s->images_done + s->images_failed + s->images_skipped + pass_fraction * pass_images;
        args = Py_BuildValue("(di)", finished, s->images_total);
    }
    fvpy_progress_call(p, args);
    PyGILState_Release(g);
}

/* What a temporary file holds, as text (None when f is NULL). */
static PyObject *file_text(FILE *f)
{
    if (!f) Py_RETURN_NONE;
    long n = ftell(f);
    char *buf = n > 0 ? malloc((size_t)n) : NULL;
    size_t got = 0;
    if (buf) {
        rewind(f);
        got = fread(buf, 1, (size_t)n, f);
    }
    PyObject *s = PyUnicode_DecodeUTF8(buf ? buf : "", (Py_ssize_t)got, "replace");
    free(buf);
    return s;
}

typedef struct {
    const char *jobs, *out, *shard, *init_path;
    int skip_invalid, diversity;
    fv_render_config cfg;
    fvpy_progress progress;
} batch_args;

/* The job file parsed and sharded into *jl under the model's lock (held by the caller). 0, or -1 with the
 * library's line and the job file's bad lines ("PATH:LINE: reason") raised. */
static int parse_jobs(fvpy_model *m, const batch_args *a, int k, int n, fv_joblist *jl)
{
    const fv_job_defaults d = {a->cfg.size, a->cfg.steps, a->diversity, a->cfg.seed, a->cfg.preset};
    FILE *report = tmpfile();
    fv_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fv_jobs_parse_file(a->jobs, m->model, &d, a->skip_invalid, report ? report : stderr, jl);
    Py_END_ALLOW_THREADS
    if (st == FV_OK) {
        if (report) fclose(report);
        if (n > 0) fv_jobs_shard(jl, k, n);
        return 0;
    }
    char msg[2100];
    snprintf(msg, sizeof msg, "%s; nothing rendered", fv_last_error());
    PyObject *lines = file_text(report);
    if (report) fclose(report);
    const char *more = lines && lines != Py_None ? PyUnicode_AsUTF8(lines) : NULL;
    if (lines && (more || lines == Py_None)) fvpy_raise_text(st, msg, more);
    Py_XDECREF(lines);
    return -1;
}

/* The run itself; returns (total, skipped, done, failed, passes, journal, log) or NULL. */
static PyObject *run(fvpy_model *m, batch_args *a)
{
    int k = 0, n = 0;
    if (a->shard && fv_shard_parse(a->shard, &k, &n) != FV_OK) return fvpy_raise(FV_ERR_ARG);
    if (fvpy_model_enter(m) < 0) return NULL;
    fv_joblist jl = {0, 0, NULL};
    if (parse_jobs(m, a, k, n, &jl) < 0) {
        fvpy_model_leave(m);
        fv_jobs_free(&jl);
        return NULL;
    }
    FILE *log = tmpfile(); /* journal warnings and the run's last progress line */
    fv_batch_opts o = {a->out, k, n, a->cfg, &a->progress.cancel, log, 0, a->init_path, 0, on_tick, &a->progress};
    fv_batch_stats stats = {0, 0, 0, 0, 0};
    fv_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fv_batch_run(m->model, &jl, &o, &stats);
    Py_END_ALLOW_THREADS
    fvpy_model_leave(m);
    fv_jobs_free(&jl);
    PyObject *text = file_text(log);
    if (log) fclose(log);
    if (fvpy_progress_finish(&a->progress) < 0 || st != FV_OK || !text) {
        if (!PyErr_Occurred()) fvpy_raise(st);
        Py_XDECREF(text);
        return NULL;
    }
    char journal[4200];
    fv_batch_journal_path(a->out, k, n, journal, sizeof journal);
    return Py_BuildValue("(iiiiisN)", stats.images_total, stats.images_skipped, stats.images_done,
                         stats.images_failed, stats.passes, journal, text);
}

/* batch(model, jobs_path, out_dir, shard, skip_invalid, diversity, options, init_path, backend, progress) */
PyObject *fvpy_batch(PyObject *self, PyObject *args)
{
    (void)self;
    fvpy_model *m;
    batch_args a = {0};
    PyObject *options, *backend, *callback;
    if (!PyArg_ParseTuple(args, "O!sszpiO!zOO", &fvpy_model_type, &m, &a.jobs, &a.out, &a.shard, &a.skip_invalid,
                          &a.diversity, &PyDict_Type, &options, &a.init_path, &backend, &callback))
        return NULL;
    if (backend != Py_None && !PyObject_TypeCheck(backend, &fvpy_backend_type))
        return PyErr_Format(PyExc_TypeError, "backend: expected a featvis._featvis.Backend or None");
    if (callback != Py_None && !PyCallable_Check(callback))
        return PyErr_Format(PyExc_TypeError, "progress: expected a callable or None");
    if (a.diversity < 1 || a.diversity > 64)
        return PyErr_Format(PyExc_ValueError, "--diversity %d: must be 1..64", a.diversity);
    Py_buffer iv;
    fv_image ii;
    if (fvpy_config(options, &a.cfg, &iv, &ii) < 0) return NULL;
    PyObject *r = NULL;
    if (fv_render_config_check(&a.cfg) != FV_OK) fvpy_raise(FV_ERR_ARG);
    else {
        if (backend != Py_None) a.cfg.backend_instance = ((fvpy_backend *)backend)->be;
        a.progress.callback = callback;
        r = run(m, &a);
    }
    if (iv.obj) PyBuffer_Release(&iv);
    return r;
}
