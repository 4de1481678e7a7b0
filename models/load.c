/* Model-file front door: reads a whole file, decides whether it is a Caffe NetParameter, a TensorFlow
 * GraphDef or an ONNX ModelProto (by its top-level protobuf fields, with the extension as a tie-breaker) and
 * dispatches to caffe_loader.c / tf_loader.c / onnx_loader.c; then checks what they parsed (known.c: SHA-256 against the known published
 * files, finite weights). */
#include "modelfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "known.h"
#include "onnx.h"

typedef enum sniff { SNIFF_UNKNOWN, SNIFF_CAFFE, SNIFF_GRAPHDEF, SNIFF_ONNX } sniff;

static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = p[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return 1;
    }
    return 0;
}

/* The formats are bare protobuf and protobuf parsers happily accept one as another (unknown fields
 * are skipped), so a successful unpack proves little. Instead look at the top-level fields: only a
 * NetParameter has `layers` (2) or `layer` (100) next to a singular `name` (1), only a GraphDef
 * repeats field 1 (`node`), and only an ONNX ModelProto has a varint field 1 (`ir_version`, where the
 * others have strings) with a `graph` message (7). Walking stops at the first malformed field, so a truncated file is still
 * classified by the fields before the cut. */
static sniff sniff_format(const uint8_t *p, size_t len)
{
    size_t pos = 0;
    int n_field1 = 0, caffe_layers = 0, onnx_ir = 0, onnx_graph = 0;
    while (pos < len) {
        uint64_t tag, v;
        if (!read_varint(p, len, &pos, &tag)) break;
        uint64_t field = tag >> 3;
        unsigned wire = (unsigned)(tag & 7);
        if (wire == 0) {
            if (!read_varint(p, len, &pos, &v)) break;
            if (field == 1) onnx_ir = 1;
        } else if (wire == 1 || wire == 5) {
            pos += wire == 1 ? 8 : 4;
        } else if (wire == 2) {
            if (!read_varint(p, len, &pos, &v)) break;
            if (field == 1) n_field1++;
            if (field == 2 || field == 100) caffe_layers = 1;
            if (field == 7) onnx_graph = 1;
            if (v > len - pos) break; /* truncated: the field starts but does not fit */
            pos += (size_t)v;
        } else {
            break;
        }
        if (field == 0) break;
    }
    if (onnx_ir && onnx_graph) return SNIFF_ONNX;
    if (n_field1 > 1) return SNIFF_GRAPHDEF;
    if (caffe_layers) return SNIFF_CAFFE;
    return SNIFF_UNKNOWN;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The loaders' messages start with "PATH: "; drop it when nesting them under our own "PATH: ". */
static const char *without_path(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ' ? msg + n + 2 : msg;
}

static fv_status read_file(const char *path, uint8_t **buf, size_t *len)
{
    *buf = NULL, *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return fv_fail(FV_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *nb = realloc(b, cap * 2);
        if (!nb) free(b);
        b = nb, cap *= 2;
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (!b) return fv_fail(FV_ERR_NOMEM, "%s: out of memory reading the file", path);
    if (err) {
        free(b);
        return fv_fail(FV_ERR_IO, "%s: read error: %s", path, strerror(err));
    }
    *buf = b, *len = n;
    return FV_OK;
}

/* What every parsed file passes (known.h): its SHA-256 recorded, with a warning on stderr when it claims to be a
 * known published file but is none of them; finite weights. */
static fv_status vet(const char *path, const uint8_t *buf, size_t len, fv_modelfile **out)
{
    fv_status st = fv_known_check(path, buf, len, *out, stderr);
    if (st == FV_OK) st = fv_modelfile_check_finite(path, *out);
    if (st != FV_OK) fv_modelfile_free(*out), *out = NULL;
    return st;
}

fv_status fv_modelfile_load(const char *path, fv_modelfile **out)
{
    if (!path || !out) return fv_fail(FV_ERR_ARG, "fv_modelfile_load: null argument");
    *out = NULL;
    uint8_t *buf;
    size_t len;
    FV_TRY(read_file(path, &buf, &len));
    fv_status st;
    sniff s = sniff_format(buf, len);
    if (s == SNIFF_CAFFE) {
        st = fv_caffe_load(path, buf, len, out);
    } else if (s == SNIFF_GRAPHDEF) {
        st = fv_tf_load(path, buf, len, out);
    } else if (s == SNIFF_ONNX || ends_with(path, ".onnx")) {
        st = fv_onnx_load(path, buf, len, out);
    } else {
        /* Undecided by content: try the format the extension suggests first, then the other. */
        int tf_first = ends_with(path, ".pb") || ends_with(path, ".pbtxt");
        fv_status (*first)(const char *, const uint8_t *, size_t, fv_modelfile **) = tf_first ? fv_tf_load : fv_caffe_load;
        fv_status (*second)(const char *, const uint8_t *, size_t, fv_modelfile **) = tf_first ? fv_caffe_load : fv_tf_load;
        st = first(path, buf, len, out);
        if (st == FV_ERR_FORMAT) {
            char why1[512];
            snprintf(why1, sizeof why1, "%s", without_path(fv_last_error(), path));
            st = second(path, buf, len, out);
            if (st == FV_ERR_FORMAT) {
                char why2[512];
                snprintf(why2, sizeof why2, "%s", without_path(fv_last_error(), path));
                st = fv_fail(FV_ERR_FORMAT, "%s: not a Caffe NetParameter or TensorFlow GraphDef (%s; %s)", path,
                             tf_first ? why2 : why1, tf_first ? why1 : why2);
            }
        }
    }
    if (st == FV_OK) st = vet(path, buf, len, out);
    free(buf);
    return st;
}
