/* The published model files featvis-cuda knows by hash (models/known.c), and the checks every model file
 * passes once it is parsed (models/load.c calls them): its SHA-256 recorded, a warning when the file claims to
 * be one of the known files (by its name or its content) but its hash is none of theirs, and no NaN or Inf in
 * any weight blob. */
#ifndef FV_KNOWN_H
#define FV_KNOWN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "modelfile.h"

/* The models the known files belong to; a file "claims" one of them. */
typedef enum fv_known_model {
    FV_KNOWN_NONE = 0,
    FV_KNOWN_BVLC,        /* BVLC GoogLeNet, bvlc_googlenet.caffemodel */
    FV_KNOWN_INCEPTION5H, /* TensorFlow inception5h, tensorflow_inception_graph.pb */
} fv_known_model;

/* One known file: the published digests (lowercase hex; NULL where none is published), where they come from. */
typedef struct fv_known_file {
    fv_known_model model;
    const char *what;   /* e.g. "the BVLC model zoo download" */
    const char *sha256; /* 64 hex digits or NULL */
    const char *sha1;   /* 40 hex digits or NULL */
} fv_known_file;

/* The table (models/known.c) and its length. */
extern const fv_known_file fv_known_files[];
extern const int fv_known_nfiles;

/* SHA-256 / SHA-1 of buf as lowercase hex (OpenSSL's EVP API); FV_ERR_UNSUPPORTED if OpenSSL refuses. */
fv_status fv_sha256_hex(const uint8_t *buf, size_t len, char hex[65]);
fv_status fv_sha1_hex(const uint8_t *buf, size_t len, char hex[41]);

/* Which known model `path` (by its file name) or `mf` (by its content: the model's first convolution and its
 * classifier at their published shapes) claims to be; *by (may be NULL) says "name", "content" or "name and
 * content". */
fv_known_model fv_known_claim(const char *path, const fv_modelfile *mf, const char **by);

/* Hash the file's bytes into mf->sha256; if the file claims a known model whose files all have other digests,
 * write one warning line to `log` (naming the file, the claim, the expected and the actual digests) and go on.
 * Fails only when hashing fails. */
fv_status fv_known_check(const char *path, const uint8_t *buf, size_t len, fv_modelfile *mf, FILE *log);

/* FV_OK, or FV_ERR_FORMAT naming the layer, the blob and the index of the first NaN or Inf weight. */
fv_status fv_modelfile_check_finite(const char *path, const fv_modelfile *mf);

#endif
