/* NumPy .npy reader and writer for float32 C-order arrays (format spec: numpy/lib/format.py, NEP 1).
 * The header is a Python dict literal; the reader parses it with a small recursive-descent parser
 * that accepts what NumPy writes (any key order, spacing, trailing commas, Python 2 "3L" ints). */
#define _POSIX_C_SOURCE 200809L

#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* NumPy itself refuses headers over 10000 bytes by default; this bound only stops a corrupt length
 * from turning into a huge allocation. */
#define NPY_MAX_HEADER (1u << 20)
/* NumPy's maximum number of dimensions; the parser stores up to this many. */
#define NPY_PARSE_DIMS 64
/* Elements converted per fread/fwrite. */
#define NPY_CHUNK 4096
/* Floats first allocated for a stream (a pipe), whose size is unknown until it ends; doubled as data arrives. */
#define NPY_STREAM_START ((size_t)1 << 16)

/* Bytes are assembled explicitly so the file is little-endian whatever the host is. */
static void put_f32le(unsigned char *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(u >> (8 * i));
}

static float get_f32le(const unsigned char *b)
{
    uint32_t u = 0;
    for (int i = 0; i < 4; i++) u |= (uint32_t)b[i] << (8 * i);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static float get_f64le(const unsigned char *b)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)b[i] << (8 * i);
    double d;
    memcpy(&d, &u, 8);
    return (float)d;
}

/* ---------- writing ---------- */

static int write_all(FILE *fp, const void *p, size_t n) { return fwrite(p, 1, n, fp) == n ? 0 : -1; }

fv_status fv_npy_write(const char *path, const float *data, const int64_t *shape, int ndim)
{
    if (!path) return fv_fail(FV_ERR_ARG, "fv_npy_write: NULL path");
    if (ndim < 0 || ndim > FV_NPY_MAX_DIMS || (ndim > 0 && !shape))
        return fv_fail(FV_ERR_ARG, "%s: bad number of dimensions %d (0..%d)", path, ndim, FV_NPY_MAX_DIMS);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return fv_fail(FV_ERR_ARG, "%s: negative dimension %lld", path, (long long)shape[i]);
        if (shape[i] > 0 && count > SIZE_MAX / 4 / (uint64_t)shape[i])
            return fv_fail(FV_ERR_ARG, "%s: array too large", path);
        count *= (size_t)shape[i];
    }
    if (count > 0 && !data) return fv_fail(FV_ERR_ARG, "%s: NULL data", path);

    /* Preamble (10 bytes) + dict + space padding + '\n' is a multiple of 64, as NumPy writes it, so
     * the data is aligned for memory mapping. 32 dims of at most 20 chars keep this well under 1024. */
    char hdr[1024];
    int len = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < ndim; i++)
        len += snprintf(hdr + len, sizeof hdr - len, "%s%lld", i ? ", " : "", (long long)shape[i]);
    /* A one-element tuple needs its comma in Python syntax: "(5,)". */
    len += snprintf(hdr + len, sizeof hdr - len, "%s), }", ndim == 1 ? "," : "");
    size_t total = 10 + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    memset(hdr + len, ' ', pad);
    hdr[len + pad] = '\n';
    size_t hlen = (size_t)len + pad + 1;
    unsigned char pre[10];
    memcpy(pre, npy_magic, 6);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);

    /* Written beside the target and renamed over it (core/fsutil.h). */
    fv_atomic_file af;
    FV_TRY(fv_atomic_open(&af, path, "wb"));
    int bad = write_all(af.f, pre, sizeof pre) || write_all(af.f, hdr, hlen);
    unsigned char buf[NPY_CHUNK * 4];
    for (size_t i = 0; i < count && !bad; i += NPY_CHUNK) {
        size_t m = count - i < NPY_CHUNK ? count - i : NPY_CHUNK;
        for (size_t j = 0; j < m; j++) put_f32le(buf + 4 * j, data[i + j]);
        bad = write_all(af.f, buf, 4 * m);
    }
    if (bad) {
        int err = errno;
        fv_atomic_abort(&af);
        return fv_fail(FV_ERR_IO, "%s: cannot write: %s", path, strerror(err ? err : EIO));
    }
    return fv_atomic_commit(&af);
}

/* ---------- header parsing ---------- */

struct npy_header {
    char descr[32];
    int fortran;
    int ndim;
    int64_t dims[NPY_PARSE_DIMS];
    int have_descr, have_fortran, have_shape;
};

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r') (*p)++;
}

/* A quoted Python string without escapes (NumPy never writes any in these keys or dtypes). */
static const char *parse_str(const char **p, char *out, size_t n)
{
    char q = **p;
    if (q != '\'' && q != '"') return "expected a quoted string";
    const char *s = ++*p;
    while (**p && **p != q) {
        if (**p == '\\') return "escaped characters in a string are not supported";
        (*p)++;
    }
    if (**p != q) return "unterminated string";
    size_t len = (size_t)(*p - s);
    if (len >= n) return "string too long";
    memcpy(out, s, len);
    out[len] = '\0';
    (*p)++;
    return NULL;
}

static const char *parse_int(const char **p, int64_t *v)
{
    if (**p < '0' || **p > '9') return "expected a non-negative integer in the shape";
    int64_t x = 0;
    while (**p >= '0' && **p <= '9') {
        int d = **p - '0';
        if (x > (INT64_MAX - d) / 10) return "dimension too large";
        x = x * 10 + d;
        (*p)++;
    }
    if (**p == 'L') (*p)++; /* Python 2 long literal */
    *v = x;
    return NULL;
}

static const char *parse_shape(const char **p, struct npy_header *h)
{
    if (**p != '(') return "shape is not a tuple";
    (*p)++;
    h->ndim = 0;
    for (;;) {
        skip_ws(p);
        if (**p == ')') break;
        if (h->ndim >= NPY_PARSE_DIMS) return "shape has too many dimensions";
        const char *e = parse_int(p, &h->dims[h->ndim]);
        if (e) return e;
        h->ndim++;
        skip_ws(p);
        if (**p == ',') {
            (*p)++;
        } else if (**p != ')') {
            return "expected ',' or ')' in the shape";
        }
    }
    (*p)++;
    return NULL;
}

static const char *parse_header(const char *s, struct npy_header *h)
{
    memset(h, 0, sizeof *h);
    const char *p = s;
    skip_ws(&p);
    if (*p != '{') return "header is not a dict";
    p++;
    for (;;) {
        skip_ws(&p);
        if (*p == '}') break;
        char key[32];
        const char *e = parse_str(&p, key, sizeof key);
        if (e) return e;
        skip_ws(&p);
        if (*p != ':') return "expected ':' after a key";
        p++;
        skip_ws(&p);
        if (strcmp(key, "descr") == 0) {
            if (h->have_descr) return "duplicate 'descr'";
            if (*p != '\'' && *p != '"') return "'descr' is not a simple dtype string (structured arrays are not supported)";
            e = parse_str(&p, h->descr, sizeof h->descr);
            h->have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (h->have_fortran) return "duplicate 'fortran_order'";
            if (strncmp(p, "True", 4) == 0) {
                h->fortran = 1;
                p += 4;
            } else if (strncmp(p, "False", 5) == 0) {
                h->fortran = 0;
                p += 5;
            } else {
                e = "'fortran_order' is not True or False";
            }
            h->have_fortran = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (h->have_shape) return "duplicate 'shape'";
            e = parse_shape(&p, h);
            h->have_shape = 1;
        } else {
            return "unexpected key in header";
        }
        if (e) return e;
        skip_ws(&p);
        if (*p == ',') {
            p++;
        } else if (*p != '}') {
            return "expected ',' or '}' in the header";
        }
    }
    p++;
    skip_ws(&p);
    if (*p) return "trailing characters after the header dict";
    if (!h->have_descr || !h->have_fortran || !h->have_shape)
        return "header lacks one of 'descr', 'fortran_order', 'shape'";
    return NULL;
}

/* ---------- reading ---------- */

/* The preamble and the header dict, checked against what this reader supports; *item: bytes per value. */
static fv_status read_header(const char *path, FILE *fp, int maxdim, struct npy_header *h, size_t *item)
{
    unsigned char pre[12];
    size_t got = fread(pre, 1, 8, fp);
    if (got < 8 && ferror(fp)) return fv_fail(FV_ERR_IO, "%s: cannot read: %s", path, strerror(errno ? errno : EIO));
    if (got < 8 || memcmp(pre, npy_magic, 6) != 0) return fv_fail(FV_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    int major = pre[6], minor = pre[7];
    size_t lensz;
    if (major == 1)
        lensz = 2;
    else if (major == 2)
        lensz = 4;
    else
        return fv_fail(FV_ERR_FORMAT, "%s: unsupported .npy version %d.%d (1.0 and 2.0 are read)", path, major, minor);
    if (fread(pre + 8, 1, lensz, fp) != lensz) return fv_fail(FV_ERR_FORMAT, "%s: truncated .npy header", path);
    size_t hlen = 0;
    for (size_t i = 0; i < lensz; i++) hlen |= (size_t)pre[8 + i] << (8 * i);
    if (hlen == 0 || hlen > NPY_MAX_HEADER)
        return fv_fail(FV_ERR_FORMAT, "%s: implausible .npy header length %zu", path, hlen);

    char *hdr = malloc(hlen + 1);
    if (!hdr) return fv_fail(FV_ERR_NOMEM, "%s: out of memory", path);
    if (fread(hdr, 1, hlen, fp) != hlen) {
        free(hdr);
        return fv_fail(FV_ERR_FORMAT, "%s: truncated .npy header", path);
    }
    hdr[hlen] = '\0';
    if (memchr(hdr, '\0', hlen)) {
        free(hdr);
        return fv_fail(FV_ERR_FORMAT, "%s: bad .npy header: NUL byte in header", path);
    }
    const char *why = parse_header(hdr, h);
    free(hdr);
    if (why) return fv_fail(FV_ERR_FORMAT, "%s: bad .npy header: %s", path, why);

    if (strcmp(h->descr, "<f4") == 0)
        *item = 4;
    else if (strcmp(h->descr, "<f8") == 0)
        *item = 8;
    else
        return fv_fail(FV_ERR_FORMAT, "%s: unsupported dtype '%s' (only '<f4' and '<f8' are read)", path, h->descr);
    if (h->fortran)
        return fv_fail(FV_ERR_FORMAT, "%s: Fortran-order array not supported (save a C-contiguous array)", path);
    if (h->ndim > maxdim)
        return fv_fail(FV_ERR_SHAPE, "%s: array has %d dimensions, at most %d expected", path, h->ndim, maxdim);
    return FV_OK;
}

/* The header's shape as Python writes it, for messages: "(2, 3)". */
static void fmt_shape(const struct npy_header *h, char *buf, size_t n)
{
    size_t off = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < h->ndim && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%s%lld", i ? ", " : "", (long long)h->dims[i]);
    if (off < n) snprintf(buf + off, n - off, "%s)", h->ndim == 1 ? "," : "");
}

/* The value count the shape declares, checked before anything is allocated for it: the product cannot
 * overflow, and a file must hold that many values (a stream of unknown size is read in growing pieces). */
static fv_status check_count(const char *path, FILE *fp, const struct npy_header *h, size_t item, size_t *count,
                             int *sized)
{
    char shape[256];
    fmt_shape(h, shape, sizeof shape);
    size_t c = 1;
    for (int i = 0; i < h->ndim; i++) {
        if (h->dims[i] > 0 && c > SIZE_MAX / 8 / (uint64_t)h->dims[i])
            return fv_fail(FV_ERR_FORMAT, "%s: .npy header's 'shape' %s holds more values than memory can", path, shape);
        c *= (size_t)h->dims[i];
    }
    /* Bytes past the data are ignored, as numpy.load does (several arrays may be saved into one file). */
    struct stat sb;
    long pos = ftell(fp);
    *sized = fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) && pos >= 0;
    if (*sized) {
        uint64_t avail = sb.st_size > pos ? (uint64_t)(sb.st_size - pos) : 0;
        if (avail < (uint64_t)c * item)
            return fv_fail(FV_ERR_FORMAT, "%s: truncated .npy data: 'shape' %s needs %zu bytes, %llu present", path,
                           shape, c * item, (unsigned long long)avail);
    }
    *count = c;
    return FV_OK;
}

static fv_status read_body(const char *path, FILE *fp, float **data, int64_t *shape, int *ndim, int maxdim)
{
    struct npy_header h;
    size_t item = 4, count = 0;
    int sized = 0;
    FV_TRY(read_header(path, fp, maxdim, &h, &item));
    FV_TRY(check_count(path, fp, &h, item, &count, &sized));
    size_t cap = sized || count < NPY_STREAM_START ? count : NPY_STREAM_START;
    float *out = malloc((cap ? cap : 1) * sizeof *out);
    if (!out) return fv_fail(FV_ERR_NOMEM, "%s: cannot allocate %zu floats", path, cap);
    unsigned char buf[NPY_CHUNK * 8];
    for (size_t i = 0; i < count; i += NPY_CHUNK) {
        size_t m = count - i < NPY_CHUNK ? count - i : NPY_CHUNK;
        if (i + m > cap) { /* a stream: grow as the data arrives */
            cap = count / 2 < cap ? count : 2 * cap;
            float *grown = realloc(out, cap * sizeof *out);
            if (!grown) {
                free(out);
                return fv_fail(FV_ERR_NOMEM, "%s: cannot allocate %zu floats", path, cap);
            }
            out = grown;
        }
        if (fread(buf, item, m, fp) != m) {
            int io = ferror(fp);
            free(out);
            if (io) return fv_fail(FV_ERR_IO, "%s: cannot read: %s", path, strerror(errno ? errno : EIO));
            return fv_fail(FV_ERR_FORMAT, "%s: truncated .npy data", path);
        }
        for (size_t j = 0; j < m; j++) out[i + j] = item == 4 ? get_f32le(buf + 4 * j) : get_f64le(buf + 8 * j);
    }
    for (int i = 0; i < h.ndim; i++) shape[i] = h.dims[i];
    *ndim = h.ndim;
    *data = out;
    return FV_OK;
}

fv_status fv_npy_read(const char *path, float **data, int64_t *shape, int *ndim, int maxdim)
{
    if (!path || !data || !ndim || (maxdim > 0 && !shape) || maxdim < 0)
        return fv_fail(FV_ERR_ARG, "fv_npy_read: bad argument");
    *data = NULL;
    *ndim = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return fv_fail(FV_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fv_status st = read_body(path, fp, data, shape, ndim, maxdim);
    fclose(fp);
    return st;
}
