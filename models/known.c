/* The published model files featvis-cuda knows by hash, in one table, and the checks load.c runs on every
 * model file it has parsed: the file's SHA-256 (OpenSSL's EVP API), a one-line warning when the file claims
 * to be a known file but its hash is not one of theirs, and no NaN or Inf in any weight blob (known.h). */
#include "known.h"

#include <math.h>
#include <string.h>

#include <openssl/evp.h>

/* Where each digest comes from (check them there, never against this code):
 * - BVLC model zoo: the SHA-1 in the front matter of BVLC/caffe models/bvlc_googlenet/readme.md ("sha1:"), for
 *   http://dl.caffe.berkeleyvision.org/bvlc_googlenet.caffemodel; models/fetch_weights.sh checks downloads
 *   against the same value (BVLC_PUBLISHED_SHA1). BVLC publishes no SHA-256 of that file.
 * - the rebuilt deploy file: ../shared/models/bvlc_googlenet/SHA256SUMS (line "bvlc_googlenet.caffemodel") and
 *   PROVENANCE.md beside it: the 142 deploy layers of BVLC GoogLeNet in the V1 encoding, rebuilt from caffejs'
 *   per-layer weights (which were exported from the zoo file); the copy the tests and the quick start use.
 * - inception5h: TensorFlow publishes the SHA-256 of inception5h.zip only (d13569f6...4364, TensorFlow's
 *   WORKSPACE, new_http_archive "inception5h"; models/fetch_weights.sh I5H_PUBLISHED_SHA256). The zip could not
 *   be downloaded here (no network), so the .pb's SHA-256 is the one two projects record for the
 *   tensorflow_inception_graph.pb they unpacked from that zip, and they agree: garethpaul/tensorflow-camera-ios
 *   (docs/toolchain-and-model-assets.md, "Verified Resource Digests") and a DeepDream generator's
 *   download_model.py (its FILES table, checked after the zip's SHA-256). Not yet computed by this project. */
const fv_known_file fv_known_files[] = {
    {FV_KNOWN_BVLC, "the BVLC model zoo download", NULL, "405fc5acd08a3bb12de8ee5e23a96bec22f08204"},
    {FV_KNOWN_BVLC, "featvis-cuda's deploy-layer rebuild, shared/models/bvlc_googlenet",
     "17f711bfa6540e453173d374b949e8b2b4cbd2738ff204bf80abd842a668432c", NULL},
    {FV_KNOWN_INCEPTION5H, "the .pb of TensorFlow's inception5h.zip",
     "a39b08b826c9d5a5532ff424c03a3a11a202967544e389aca4b06c2bd8aef63f", NULL},
};
const int fv_known_nfiles = (int)(sizeof fv_known_files / sizeof fv_known_files[0]);

/* What claims a known model: its published file name, or content with the model's first convolution and its
 * classifier at their published shapes (our layouts: OIHW, (out, in)). A file whose every weight was parsed
 * and whose net was built has its layer names intact; these two shapes tell the full-width model from
 * smaller nets with the same layer names. */
static const struct {
    fv_known_model model;
    const char *label, *file;
    int graphdef;
    const char *conv;
    int conv_dims[4];
    const char *fc;
    int fc_dims[2];
} claims[] = {
    {FV_KNOWN_BVLC, "BVLC GoogLeNet", "bvlc_googlenet.caffemodel", 0, "conv1/7x7_s2", {64, 3, 7, 7}, "loss3/classifier",
     {1000, 1024}},
    {FV_KNOWN_INCEPTION5H, "inception5h", "tensorflow_inception_graph.pb", 1, "conv2d0", {64, 3, 7, 7}, "softmax2",
     {1008, 1024}},
};
#define NCLAIMS ((int)(sizeof claims / sizeof claims[0]))

static fv_status digest_hex(const EVP_MD *md, const char *name, const uint8_t *buf, size_t len, char *hex)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!md || EVP_Digest(buf, len, d, &n, md, NULL) != 1)
        return fv_fail(FV_ERR_UNSUPPORTED, "OpenSSL could not compute the file's %s", name);
    static const char digits[] = "0123456789abcdef";
    for (unsigned int i = 0; i < n; i++) hex[2 * i] = digits[d[i] >> 4], hex[2 * i + 1] = digits[d[i] & 15];
    hex[2 * n] = '\0';
    return FV_OK;
}

fv_status fv_sha256_hex(const uint8_t *buf, size_t len, char hex[65])
{
    return digest_hex(EVP_sha256(), "SHA-256", buf, len, hex);
}

fv_status fv_sha1_hex(const uint8_t *buf, size_t len, char hex[41])
{
    return digest_hex(EVP_sha1(), "SHA-1", buf, len, hex);
}

static int blob_is(const fv_modelfile *mf, const char *name, fv_mf_kind kind, const int *dims, int ndim)
{
    const fv_mf_layer *L = fv_modelfile_find(mf, name);
    if (!L || L->kind != kind || L->nblobs < 1 || L->blobs[0].ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (L->blobs[0].dims[i] != dims[i]) return 0;
    return 1;
}

fv_known_model fv_known_claim(const char *path, const fv_modelfile *mf, const char **by)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    for (int i = 0; i < NCLAIMS; i++) {
        int name = strcmp(base, claims[i].file) == 0;
        int content = mf && (mf->format == FV_MF_TF_GRAPHDEF) == claims[i].graphdef &&
                      blob_is(mf, claims[i].conv, FV_MF_CONV, claims[i].conv_dims, 4) &&
                      blob_is(mf, claims[i].fc, FV_MF_FC, claims[i].fc_dims, 2);
        if (!name && !content) continue;
        if (by) *by = name && content ? "name and content" : name ? "name" : "content";
        return claims[i].model;
    }
    if (by) *by = NULL;
    return FV_KNOWN_NONE;
}

/* "sha256 X (what) or sha1 Y (what)": the digests the known files of model m have. */
static void expected_digests(fv_known_model m, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; i < fv_known_nfiles && off < cap; i++) {
        const fv_known_file *f = &fv_known_files[i];
        if (f->model != m) continue;
        off += (size_t)snprintf(out + off, cap - off, "%s%s %s (%s)", off ? " or " : "", f->sha256 ? "sha256" : "sha1",
                                f->sha256 ? f->sha256 : f->sha1, f->what);
    }
}

fv_status fv_known_check(const char *path, const uint8_t *buf, size_t len, fv_modelfile *mf, FILE *log)
{
    fv_status st = fv_sha256_hex(buf, len, mf->sha256);
    if (st != FV_OK) return fv_fail_ctx(st, "%s", path);
    const char *by;
    fv_known_model m = fv_known_claim(path, mf, &by);
    if (m == FV_KNOWN_NONE) return FV_OK;
    int want_sha1 = 0;
    for (int i = 0; i < fv_known_nfiles; i++) {
        const fv_known_file *f = &fv_known_files[i];
        if (f->model != m) continue;
        if (f->sha256 && strcmp(f->sha256, mf->sha256) == 0) return FV_OK;
        want_sha1 |= f->sha1 != NULL;
    }
    char sha1[41] = "";
    if (want_sha1) { /* only where a known file has no published SHA-256 (the BVLC zoo file) */
        if ((st = fv_sha1_hex(buf, len, sha1)) != FV_OK) return fv_fail_ctx(st, "%s", path);
        for (int i = 0; i < fv_known_nfiles; i++)
            if (fv_known_files[i].model == m && fv_known_files[i].sha1 && strcmp(fv_known_files[i].sha1, sha1) == 0)
                return FV_OK;
    }
    char expected[512];
    expected_digests(m, expected, sizeof expected);
    const char *label = claims[0].label;
    for (int i = 0; i < NCLAIMS; i++)
        if (claims[i].model == m) label = claims[i].label;
    fprintf(log, "warning: %s claims to be %s (by its %s) but matches no published copy: sha256 %s%s%s, expected %s; "
                 "weights changed?\n", path, label, by, mf->sha256, want_sha1 ? ", sha1 " : "", sha1, expected);
    return FV_OK;
}

/* "weights[5,17,1,2]" (the blob's own layout: OIHW, (out, in) or (out)) for flat index k. */
static void index_text(const fv_mf_blob *b, int blob, size_t k, char *out, size_t cap)
{
    size_t prod = 1;
    for (int d = 0; d < b->ndim; d++) prod *= b->dims[d] > 0 ? (size_t)b->dims[d] : 0;
    int off = snprintf(out, cap, "%s", blob == 0 ? "weights" : "bias");
    if (b->ndim < 1 || b->ndim > 4 || prod != b->count) {
        snprintf(out + off, cap - (size_t)off, "[%zu]", k);
        return;
    }
    size_t c[4], rem = k;
    for (int d = b->ndim - 1; d >= 0; d--) c[d] = rem % (size_t)b->dims[d], rem /= (size_t)b->dims[d];
    for (int d = 0; d < b->ndim; d++)
        off += snprintf(out + off, cap - (size_t)off, "%s%zu%s", d ? "," : "[", c[d], d == b->ndim - 1 ? "]" : "");
}

fv_status fv_modelfile_check_finite(const char *path, const fv_modelfile *mf)
{
    for (int i = 0; i < mf->nlayers; i++) {
        const fv_mf_layer *L = &mf->layers[i];
        for (int j = 0; j < L->nblobs && j < 2; j++) {
            const fv_mf_blob *b = &L->blobs[j];
            for (size_t k = 0; k < b->count; k++) {
                if (isfinite(b->data[k])) continue;
                char at[96];
                index_text(b, j, k, at, sizeof at);
                return fv_fail(FV_ERR_FORMAT, "%s: layer '%s': %s is %s (value %zu of %zu); weights must be finite",
                               path, L->name, at, isnan(b->data[k]) ? "NaN" : b->data[k] > 0 ? "+Inf" : "-Inf", k + 1,
                               b->count);
            }
        }
    }
    return FV_OK;
}
