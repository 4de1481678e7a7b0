/* featvis-cuda public C API: load a model file, classify, read activations, render feature
 * visualizations. The command line (host/cli) uses this header and host/app. Every call returns an fv_status;
 * on failure fv_last_error() holds one human-readable line naming the file, tensor or value at fault. */
#ifndef FEATVIS_H
#define FEATVIS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FV_VERSION "0.1.0"

typedef enum fv_status {
    FV_OK = 0,
    FV_ERR_ARG,         /* bad argument: unknown layer, channel out of range, bad objective syntax */
    FV_ERR_IO,          /* a file could not be opened, read or written */
    FV_ERR_FORMAT,      /* a file was read but its content is malformed or truncated */
    FV_ERR_SHAPE,       /* a tensor's shape is not what the graph expects */
    FV_ERR_NOMEM,       /* allocation failed */
    FV_ERR_UNSUPPORTED, /* a valid request this build cannot serve (e.g. no CUDA) */
    FV_ERR_BACKEND,     /* a backend library call failed */
    FV_ERR_NUMERIC,     /* NaN or Inf appeared */
    FV_ERR_INTERRUPTED, /* stopped on request (SIGINT/SIGTERM) */
    FV_ERR_BUSY,        /* another run holds what this one needs (a batch output folder and shard) */
} fv_status;

const char *fv_status_str(fv_status s);
const char *fv_last_error(void);

/* ---------- models ---------- */

typedef enum fv_model_kind {
    FV_MODEL_AUTO = 0,       /* from the file: .caffemodel -> caffe, GraphDef .pb -> inception5h */
    FV_MODEL_INCEPTION_CAFFE, /* "InceptionV1_caffe": BVLC GoogLeNet, BGR minus mean, 1000 classes */
    FV_MODEL_INCEPTION_TF,    /* "InceptionV1": inception5h GraphDef, RGB*255-117, 1008 classes */
    FV_MODEL_ONNX,            /* any CNN from an ONNX file (models/onnx*.c): "onnx:<file name>", torchvision input */
} fv_model_kind;

typedef struct fv_model fv_model;

/* Also checks the file against the published model files featvis-cuda knows (models/known.c): one warning line
 * on stderr when its name or content claims to be one of them but its hash differs; NaN/Inf weights fail. */
fv_status fv_model_load(const char *path, fv_model_kind kind, fv_model **out);
const char *fv_model_sha256(const fv_model *m); /* SHA-256 of the file loaded, 64 lowercase hex digits */
void fv_model_free(fv_model *m);
const char *fv_model_name(const fv_model *m); /* "InceptionV1_caffe" or "InceptionV1" */
int fv_model_num_classes(const fv_model *m);
/* Channels of a layer (any name or alias the model knows), and its spatial size for a square input. */
fv_status fv_model_layer_shape(const fv_model *m, const char *layer, int input_size, int *c, int *h, int *w);
/* Layer names the model exposes (targets), for --help and error messages. */
int fv_model_num_layers(const fv_model *m);
const char *fv_model_layer_name(const fv_model *m, int i);
/* The layer's other names, k = 0 or 1 ("mixed4a", "layer4.1.relu", "logits"; "" where none): targets too. */
const char *fv_model_layer_alias(const fv_model *m, int i, int k);
/* The model file used when none is named (the command line without --weights, the Python package's
 * load_model()): $FEATVIS_WEIGHTS when set, else the weights cache $XDG_CACHE_HOME/featvis/bvlc_googlenet.caffemodel
 * (default ~/.cache/featvis). FV_OK when that file can be opened for reading; else FV_ERR_IO with one line saying
 * what to do (fetch the weights into the cache, or set FEATVIS_WEIGHTS). buf receives the path looked at either
 * way ("" when none could be formed: no FEATVIS_WEIGHTS, XDG_CACHE_HOME or HOME). */
fv_status fv_default_weights(char *buf, size_t n);

/* ---------- input conventions ---------- */

/* How a picture (RGB, values v in [0,1]) becomes the network's input: the channels in the network's order
 * (bgr: B, G, R), each value mapped onto [lo, hi] (x = lo + v * (hi - lo)), then (x - mean[c]) / std[c] with
 * mean and std per network channel, in the network's order (Caffe's mean 104,117,123 is B,G,R). */
typedef struct fv_preprocess {
    int bgr;      /* 0: R, G, B; 1: B, G, R */
    float lo, hi; /* the value range, lo != hi */
    float mean[3];
    float std[3]; /* each finite and > 0 */
} fv_preprocess;
/* A convention by name: "torchvision" (RGB, [0,1], mean 0.485,0.456,0.406, std 0.229,0.224,0.225), "caffe"
 * (BGR, [0,255], mean 104,117,123, std 1: the BVLC GoogLeNet's), "inception" (RGB, [-1,1], mean 0, std 1:
 * Keras and TF-slim Inception and MobileNet), "inception5h" (RGB, [0,255], mean 117, std 1: the inception5h
 * GraphDef's, Lucid's InceptionV1), "none" (RGB, [0,1], mean 0, std 1). FV_ERR_ARG with the names otherwise. */
fv_status fv_preprocess_preset(const char *name, fv_preprocess *out);
/* FV_OK, or FV_ERR_ARG with one line naming the field at fault (lo == hi, a std <= 0, anything not finite). */
fv_status fv_preprocess_check(const fv_preprocess *p);
/* "order=rgb range=0,1 mean=0.485,0.456,0.406 std=0.229,0.224,0.225", after "preset=NAME " when the values are
 * exactly a preset's. */
void fv_preprocess_describe(const fv_preprocess *p, char *buf, size_t n);
/* The model's input convention: its file's own (InceptionV1 caffe: "caffe", inception5h: "inception5h"; an ONNX
 * model: "torchvision") until fv_model_set_preprocess changes it. */
fv_status fv_model_preprocess(const fv_model *m, fv_preprocess *out);
/* Checks p (fv_preprocess_check) and makes it the model's convention for everything that runs the model after. */
fv_status fv_model_set_preprocess(fv_model *m, const fv_preprocess *p);
/* 1 when the model's name says its convention: an InceptionV1 model (caffe or inception5h) with its file's own
 * (never changed, or changed to the same values); else 0. The PNG provenance records the convention when 0 (so
 * the InceptionV1 renders' files stay as they were), --json always. */
int fv_model_preprocess_implied(const fv_model *m);

/* ---------- images ---------- */

/* Planar RGB float image, values in [0,1]: rgb[(c*h + y)*w + x]. */
typedef struct fv_image {
    int w, h;
    float *rgb;
} fv_image;

fv_status fv_image_read_png(const char *path, fv_image *out);
/* Key/value pairs go into tEXt chunks. */
fv_status fv_image_write_png(const char *path, const fv_image *img, const char *const *keys,
                             const char *const *values, int nkv);
void fv_image_free(fv_image *img);
/* The 8-bit pixels fv_image_write_png stores, interleaved: rgb8[(y*w + x)*3 + c] = v*255 rounded half up, v
 * clamped to [0,1] (NaN: 0). rgb8 holds 3*w*h bytes. The PNG writer converts with this very function. */
void fv_image_to_rgb8(const fv_image *img, uint8_t *rgb8);

/* ---------- backends ---------- */

typedef enum fv_backend_kind { FV_BACKEND_AUTO = 0, FV_BACKEND_CPU, FV_BACKEND_CUDA } fv_backend_kind;

/* Resolve AUTO to what this build and machine can run; a notice line goes to *notice (may be NULL). */
fv_status fv_backend_resolve(fv_backend_kind want, fv_backend_kind *got, const char **notice);
const char *fv_backend_name(fv_backend_kind k);
/* Devices of that kind this build and machine can use (CPU: 1; CUDA: 0 without a usable GPU), and one line in
 * desc describing them or saying why there are none (for --version and --backend auto). */
int fv_backend_probe(fv_backend_kind k, char *desc, size_t n);

/* The arithmetic of the GPU's convolutions and matrix products. TF32 (tensor cores: inputs rounded to a
 * 10-bit mantissa, FP32 accumulation) is the fast path on Ampere and newer; how far it moves activations and
 * renders from FP32 is stated in the README (GPU). The CPU always computes in FP32. */
typedef enum fv_precision {
    FV_PRECISION_AUTO = 0, /* TF32 on GPUs that have it (compute capability 8.0 and newer), else FP32 */
    FV_PRECISION_FP32,     /* FP32 FMA only: results track the CPU reference (the parity tests) */
    FV_PRECISION_TF32,     /* TF32 tensor cores; refused on a GPU without them */
} fv_precision;

/* How a backend instance runs. Start from fv_backend_options_default(); the CPU ignores the CUDA fields, but
 * every backend refuses values out of range. */
typedef struct fv_backend_options {
    fv_precision precision;  /* default FV_PRECISION_AUTO */
    int device;              /* CUDA device ordinal (default 0) */
    int verbose;             /* log the device and every cuDNN algorithm choice to stderr (default 0) */
    int cudnn_fwd_algo;      /* force this cudnnConvolutionFwdAlgo_t, 0..7; -1: choose (default) */
    int cudnn_bwd_data_algo; /* force this cudnnConvolutionBwdDataAlgo_t, 0..5; -1: choose (default) */
    int cudnn_workspace_mib; /* cuDNN workspace cap per convolution, MiB, 0..1048576 (default 1024) */
    int cudnn_find;          /* 1: benchmark every algorithm once per shape (cudnnFind*); 0: heuristics (default) */
} fv_backend_options;
void fv_backend_options_default(fv_backend_options *o);
/* FV_OK, or FV_ERR_ARG with one line naming the field and its allowed range. */
fv_status fv_backend_options_check(const fv_backend_options *o);

/* A backend instance: the op table and its own context (CUDA: device, stream, cuDNN/cuBLAS handles, the cuDNN
 * algorithm cache, the workspace cap, forced algorithms). Open one per thread of work and reuse it for many
 * renders: opening a CUDA instance creates a CUDA stream and library handles. opts NULL: the defaults. AUTO
 * resolves as fv_backend_resolve (silently). Fails with one line when the kind cannot run here. */
typedef struct fv_backend fv_backend;
fv_status fv_backend_open(fv_backend_kind kind, const fv_backend_options *opts, fv_backend **out);
void fv_backend_close(fv_backend *be); /* NULL is fine */
fv_backend_kind fv_backend_kind_of(const fv_backend *be);

/* ---------- inference ---------- */

/* Class probabilities (softmax of the logits) for one image, on an open backend instance (fv_backend_open);
 * probs has fv_model_num_classes() floats. */
fv_status fv_classify(fv_model *m, fv_backend *be, const fv_image *img, float *probs);
/* Activations of `layer` for one image, (1, c, h, w), malloc'd into *out (free()). */
fv_status fv_activations(fv_model *m, fv_backend *be, const fv_image *img, const char *layer, float **out, int *c,
                         int *h, int *w);

/* ---------- rendering ---------- */

typedef enum fv_preset { FV_PRESET_ARTICLE = 0, FV_PRESET_LUCID, FV_PRESET_NONE } fv_preset;

typedef struct fv_render_config {
    int size;           /* image height = width, pixels (default 128) */
    int steps;          /* optimisation steps (default 512) */
    uint64_t seed;      /* global seed (default 0) */
    fv_preset preset;   /* transform chain (default article). lucid: Lucid's standard_transforms exactly,
                           the canvas grows (about size + 12 px reach the network) and its size is drawn
                           once per step for the whole batch (from the seed alone) */
    float lr;           /* Adam learning rate (default 0.05) */
    int redirect_steps; /* redirected-ReLU updates at the start (default 17: Lucid's updates 0..16) */
    int decorrelate;    /* colour decorrelation on (default 1) */
    float diversity_weight; /* weight of the diversity term in a group (default 1e2, the article's) */
    fv_backend_kind backend;    /* where to run (default auto) */
    fv_backend_options backend_options; /* how that backend is opened (default fv_backend_options_default) */
    fv_backend *backend_instance; /* when set, run on this instance instead (the caller opened it and closes it;
                                     backend and backend_options are then unused): a run of many renders (a batch,
                                     figures) shares one CUDA context and its cuDNN algorithm cache. NULL by default:
                                     each fv_render / fv_render_interpolation call opens and closes its own */
    int batch_size;     /* images per pass; 0 = as many as fit in memory (default) */
    const volatile int *cancel; /* when set and non-zero, fv_render stops at the next step (FV_ERR_INTERRUPTED) */
    int verbose;
    /* The article's "spectrum of regularization" (all off by default; the defaults leave the FFT
     * render bit-for-bit as it was). */
    int param_pixel;    /* 1: Lucid's pixel parameterisation (the parameters are the pre-colour image,
                           init N(0, 0.01^2)); 0: the FFT spectrum (default) */
    /* Penalties on each image's RGB (before the transforms), subtracted from its objective with these
     * weights (Lucid's objectives, see host/ops.h fv_penalty_fwd_cpu): total variation, L1 and L2
     * distance from grey 0.5, and blur_input_each_step. obj_first/obj_last of the results then
     * include the penalties: objective - sum weight * penalty. Default 0 each. */
    float tv_weight, l1_weight, l2_weight, blur_weight;
    /* When set: every image of the batch starts from this picture (resized to size x size), not from
     * random noise (the RNG is then not used for the start). NULL by default. */
    const fv_image *init;
} fv_render_config;

void fv_render_config_default(fv_render_config *c);
/* Every option of c within the command line's ranges (size 16..4096, steps 1..1000000, lr > 0, redirect_steps
 * 0..1000000, diversity_weight >= 0, penalty weights 0..1e30, batch_size 0..1048576, a known preset, an init image
 * that is not empty, and the backend options unless backend_instance is set): FV_OK, or FV_ERR_ARG with one line
 * naming the option by its command-line flag and the value. fv_render and fv_render_interpolation check with it. */
fv_status fv_render_config_check(const fv_render_config *c);

/* One requested image group: an objective (CLI syntax, see README) and how many images to render of it.
 * count > 1 makes a diversity group, optimised as Lucid's `objective - diversity_weight * diversity(L)` on
 * a batch of `count`: the group's objective is the mean of its images' objectives (a class logit: their
 * sum, as Lucid's class_logit), and the diversity Gram is taken on L = the post-ReLU twin of the first
 * term's layer where it has one (mixed4a_pre_relu -> mixed4a, as Lucid's notebooks), else that layer. */
typedef struct fv_render_item {
    const char *objective;
    int count;
} fv_render_item;

typedef struct fv_render_result {
    fv_image image;      /* owned; fv_render_results_free() releases */
    char objective[512]; /* canonical objective text */
    int index;           /* index within its diversity group (0 if none) */
    int count;           /* images in its group (1 if none) */
    float obj_first;     /* the image's own objective (its terms on this image, weight as written, minus
                            penalties; not its 1/count share, not the diversity term) at the first step */
    float obj_last;      /* ... and at the last */
    float div_first;     /* count > 1: the group's diversity value (before its weight) at the first step */
    float div_last;      /* ... and at the last */
    double seconds;      /* wall time of the batch this image was in */
} fv_render_result;

/* Progress callback, called after each step (may be NULL). */
typedef void (*fv_progress_fn)(void *ctx, int step, int steps, const float *obj_values, int nimages);

/* Validate the objectives without rendering (bad layer, channel out of range, bad syntax). */
fv_status fv_objective_check(const fv_model *m, const char *objective, int input_size);

/* Render all items: in one batch when they fit (cfg->batch_size or free memory), else in several
 * (a diversity group is never split; out of memory halves the batch and retries). *results receives one
 * entry per image (sum of counts) in item order, malloc'd. */
fv_status fv_render(fv_model *m, const fv_render_config *cfg, const fv_render_item *items, int nitems,
                    fv_render_result **results, int *nresults, fv_progress_fn progress, void *ctx);
void fv_render_results_free(fv_render_result *r, int n);
/* Images per pass fv_render would use for these items: cfg->batch_size, else what fits in memory. */
int fv_render_batch_capacity(const fv_model *m, const fv_render_config *cfg, const fv_render_item *items, int nitems);

/* The alignment term of an interpolation (Lucid's objectives.alignment): alignment_weight times the sum over
 * `layers` of -sum_{d=1..4} sum_i mean((act_i - act_{i+d})^2) / decay^d, which pulls neighbouring frames
 * together. Defaults (fv_alignment_default) are Lucid's aligned_interpolation notebook:
 * 1e-1 * (alignment('mixed3b', decay_ratio=5) + alignment('mixed4a', decay_ratio=5)). */
typedef struct fv_alignment {
    float weight;          /* default 0.1; 0 turns the term off */
    float decay;           /* decay_ratio, default 5 */
    int nlayers;           /* 0: the model's default (mixed3b and mixed4a where the model has them, else
                              the layer of the first objective's first term) */
    const char *layers[8];
} fv_alignment;
void fv_alignment_default(fv_alignment *a);

/* Interpolation between two objectives (the article's neuron interaction, Lucid's aligned_interpolation
 * notebook): `frames` images (2..64) optimised together, frame n for (1 - w_n) * obj_a + w_n * obj_b with
 * w_n = n / (frames - 1), obj_a and obj_b in CLI syntax, plus the alignment term (align; NULL: the
 * defaults). Every frame's pre-colour image is its own FFT image plus six low-resolution tensors shared
 * by all frames (Lucid's lowres_tensor: S/2, S/4, S/8, S/16 pixels square; at S/8 and S/16 also one
 * with 2 frames, interpolated across the batch). All frames share each step's transform draw (Lucid
 * draws one for the whole batch; the alignment compares the frames position by position). cfg as for
 * fv_render, except batch_size (all frames are one batch), param_pixel and init (refused:
 * FV_ERR_UNSUPPORTED) and diversity_weight (unused). obj_first/obj_last are each frame's
 * (1 - w_n) A + w_n B (minus penalties), without the alignment term. *results gets `frames` entries in
 * frame order (index = n, objective = "A|B" canonical), malloc'd; free with fv_render_results_free. */
fv_status fv_render_interpolation(fv_model *m, const fv_render_config *cfg, const char *obj_a, const char *obj_b,
                                  int frames, const fv_alignment *align, fv_render_result **results, int *nresults,
                                  fv_progress_fn progress, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
