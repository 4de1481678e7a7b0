// 2-D convolution on the GPU with cuDNN, forward and backward-data (never weight gradients): the twin of
// host/cpu/conv.c. NCHW float32, cross-correlation on OIHW weights (groups through cudnnSetConvolutionGroupCount,
// dilations in the convolution descriptor), FP32 FMA math, or TF32 tensor cores when the
// context's precision says so (ctx->tf32). cuDNN pads
// symmetrically only, so asymmetric (TensorFlow SAME) padding goes through an explicitly padded copy.
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "backend/checks.h"
#include "cudnn_desc.h"
#include "ops_cuda.h"
#include "cuda/launch.h"

// ---------- shapes ----------

static int is_asymmetric(const fv_window *k) { return k->pad_t != k->pad_b || k->pad_l != k->pad_r; }

// A view is "packed" when its images follow each other without gaps (one image: trivially).
static int is_packed(fv_tensor t) { return t.n == 1 || t.bstride == fv_tensor_chw(t); }

// ---------- algorithm names (for logs and errors) ----------

static const char *fwd_algo_name(int a)
{
    static const char *names[] = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT",
                                  "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
    return a >= 0 && a < (int)(sizeof names / sizeof *names) ? names[a] : "?";
}

static const char *bwd_algo_name(int a)
{
    static const char *names[] = {"ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
    return a >= 0 && a < (int)(sizeof names / sizeof *names) ? names[a] : "?";
}

// ---------- the per-shape plan cache ----------

// Two layout variants per direction: 0 when every caller-owned tensor is packed, 1 when one is a strided
// view (a channel slice of a concat buffer). Some algorithms support only packed tensors, so the strided
// variant is chosen on a stand-in strided layout; bstride itself does not enter the key.
enum { NVARIANT = 2 };

struct Choice {
    fv_status status = FV_OK; // not FV_OK: no usable algorithm; msg says why (reported when used)
    int algo = -1;
    cudnnMathType_t math = CUDNN_FMA_MATH; // set on the descriptor when the algorithm runs
    size_t ws = 0; // bytes
    char msg[384] = "";
};

struct ConvEntry {
    int n, cin, h, w, cout, kh, kw, sh, sw, pt, pl, pb, pr, g, dh, dw;
    Choice fwd[NVARIANT], bwd[NVARIANT];
    size_t ws_bytes;   // cuDNN workspace budget: the largest usable choice above
    size_t pad_floats; // padded input / padded dx buffer, rounded up to 256 bytes (0 when symmetric)
};

// One per context (ctx->conv_cache), made on first use: choices depend on the context's options.
struct fv_conv_cache {
    std::vector<std::unique_ptr<ConvEntry>> entries;
};

extern "C" void fv_cuda_conv_cache_clear(fv_cuda_ctx *ctx)
{
    if (ctx && ctx->conv_cache) ctx->conv_cache->entries.clear();
}

extern "C" void fv_cuda_conv_cache_free(fv_cuda_ctx *ctx)
{
    if (!ctx) return;
    delete ctx->conv_cache;
    ctx->conv_cache = nullptr;
}

static bool entry_matches(const ConvEntry &e, const fv_conv_desc *d, int n, int h, int w)
{
    const fv_window *k = &d->win;
    return e.n == n && e.cin == d->cin && e.h == h && e.w == w && e.cout == d->cout && e.kh == k->kh &&
           e.kw == k->kw && e.sh == k->sh && e.sw == k->sw && e.pt == k->pad_t && e.pl == k->pad_l &&
           e.pb == k->pad_b && e.pr == k->pad_r && e.g == fv_conv_groups(d) && e.dh == fv_conv_dh(d) &&
           e.dw == fv_conv_dw(d);
}

// The descriptors of one call as cuDNN sees it. With asymmetric padding the input side is our packed,
// explicitly padded buffer (hp x wp) and cuDNN pads nothing.
struct ConvDescs {
    TensorDesc x, y;
    FilterDesc f;
    ConvDesc c;
};

// The math type a context asks for when cuDNN lists its algorithms: FMA only for FP32, or DEFAULT, under which
// cuDNN may use TF32 tensor cores on Ampere and newer.
static cudnnMathType_t context_math(const fv_cuda_ctx *ctx) { return ctx->tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH; }

static fv_status make_descs(const fv_conv_desc *d, int n, int h, int w, long x_nstride, long y_nstride,
                            cudnnMathType_t math, ConvDescs &ds)
{
    const fv_window *k = &d->win;
    int asym = is_asymmetric(k);
    int hp = asym ? h + k->pad_t + k->pad_b : h, wp = asym ? w + k->pad_l + k->pad_r : w;
    int oh = fv_window_out(h, fv_conv_ext_h(d), k->sh, k->pad_t, k->pad_b);
    int ow = fv_window_out(w, fv_conv_ext_w(d), k->sw, k->pad_l, k->pad_r);
    const int g = fv_conv_groups(d);
    FV_TRY(fv_cudnn_set_tensor(ds.x, n, d->cin, hp, wp, asym ? (long)d->cin * hp * wp : x_nstride, "conv"));
    FV_TRY(fv_cudnn_set_tensor(ds.y, n, d->cout, oh, ow, y_nstride, "conv"));
    FV_CUDNN_CHECK(cudnnCreateFilterDescriptor(&ds.f.d));
    FV_CUDNN_CHECK(cudnnSetFilter4dDescriptor(ds.f.d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d->cout, d->cin / g,
                                              k->kh, k->kw));
    FV_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&ds.c.d));
    // Cross-correlation: OIHW weights as Caffe / TensorFlow / PyTorch apply them (no kernel flip).
    FV_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(ds.c.d, asym ? 0 : k->pad_t, asym ? 0 : k->pad_l, k->sh, k->sw,
                                                   fv_conv_dh(d), fv_conv_dw(d), CUDNN_CROSS_CORRELATION,
                                                   CUDNN_DATA_FLOAT));
    if (g > 1) FV_CUDNN_CHECK(cudnnSetConvolutionGroupCount(ds.c.d, g));
    // FP32: FMA kernels only, never TF32 tensor cores, so results track the CPU reference; TF32: the math type
    // of the chosen algorithm (cuDNN asks for the perf result's math type to be set before it runs).
    FV_CUDNN_CHECK(cudnnSetConvolutionMathType(ds.c.d, math));
    int on, oc, ohc, owc;
    FV_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(ds.c.d, ds.x.d, ds.f.d, &on, &oc, &ohc, &owc));
    if (on != n || oc != d->cout || ohc != oh || owc != ow)
        return fv_fail(FV_ERR_BACKEND, "conv (cuda): cuDNN computes output (%d,%d,%d,%d), featvis (%d,%d,%d,%d)", on,
                       oc, ohc, owc, n, d->cout, oh, ow);
    return FV_OK;
}

// A candidate from cuDNN's heuristics or benchmark, direction-neutral.
struct Cand {
    int algo;
    cudnnStatus_t status;
    size_t memory;
    cudnnMathType_t math;
};

static fv_status fwd_candidates(fv_cuda_ctx *ctx, ConvDescs &ds, std::vector<Cand> &out)
{
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int got = 0;
    if (ctx->use_find) // runs every algorithm once (cuDNN allocates the buffers itself)
        FV_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(ctx->cudnn, ds.x.d, ds.f.d, ds.c.d, ds.y.d,
                                                            CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf));
    else
        FV_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(ctx->cudnn, ds.x.d, ds.f.d, ds.c.d, ds.y.d,
                                                              CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf));
    out.clear();
    for (int i = 0; i < got; i++) out.push_back({(int)perf[i].algo, perf[i].status, perf[i].memory, perf[i].mathType});
    return FV_OK;
}

static fv_status bwd_candidates(fv_cuda_ctx *ctx, ConvDescs &ds, std::vector<Cand> &out)
{
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int got = 0;
    if (ctx->use_find)
        FV_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(ctx->cudnn, ds.f.d, ds.y.d, ds.c.d, ds.x.d,
                                                                 CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &got, perf));
    else
        FV_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx->cudnn, ds.f.d, ds.y.d, ds.c.d, ds.x.d,
                                                                   CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &got, perf));
    out.clear();
    for (int i = 0; i < got; i++) out.push_back({(int)perf[i].algo, perf[i].status, perf[i].memory, perf[i].mathType});
    return FV_OK;
}

// cuDNN 9 reports "not supported" as a category (3000) with specific sub-codes (3001..3014); cuDNN 8 has the one
// code. A rejected layout (unsupported, or a pointer not aligned as the algorithm needs) is worth another
// algorithm; anything else is an error.
static bool is_not_supported(cudnnStatus_t st)
{
#ifdef CUDNN_STATUS_CATEGORY
    return CUDNN_STATUS_CATEGORY(st) == CUDNN_STATUS_NOT_SUPPORTED;
#else
    return st == CUDNN_STATUS_NOT_SUPPORTED;
#endif
}

static bool rejects_layout(cudnnStatus_t st)
{
#ifdef CUDNN_STATUS_CATEGORY
    if (st == CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER) return true;
#endif
    return is_not_supported(st);
}

// Math types an algorithm may run in: FMA (or DEFAULT, run under FMA) for FP32; for TF32 also tensor ops, never
// the conversion to FP16.
static bool math_allowed(const fv_cuda_ctx *ctx, cudnnMathType_t m)
{
    if (m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH) return true;
    return ctx->tf32 && m == CUDNN_TENSOR_OP_MATH;
}

// Workspace of one algorithm, or a status other than success when the algorithm cannot run this shape.
static cudnnStatus_t algo_ws(fv_cuda_ctx *ctx, ConvDescs &ds, int bwd, int algo, size_t *bytes)
{
    *bytes = 0;
    if (bwd)
        return cudnnGetConvolutionBackwardDataWorkspaceSize(ctx->cudnn, ds.f.d, ds.y.d, ds.c.d, ds.x.d,
                                                            (cudnnConvolutionBwdDataAlgo_t)algo, bytes);
    return cudnnGetConvolutionForwardWorkspaceSize(ctx->cudnn, ds.x.d, ds.f.d, ds.c.d, ds.y.d,
                                                   (cudnnConvolutionFwdAlgo_t)algo, bytes);
}

// Picks the algorithm for one direction and layout: the forced one if set (FV_ERR_UNSUPPORTED when it
// cannot run this shape), else the first candidate (cuDNN orders them fastest first) that succeeded, runs
// in an allowed math type (math_allowed), needs at most `limit` bytes of workspace and is not in `skip`
// (algorithms already rejected for this layout).
static void choose(fv_cuda_ctx *ctx, ConvDescs &ds, int bwd, size_t limit, const char *shape, Choice *ch,
                   const std::vector<int> &skip = std::vector<int>())
{
    const char *dir = bwd ? "bwd-data" : "fwd";
    int forced = bwd ? ctx->force_bwd_algo : ctx->force_fwd_algo;
    std::vector<Cand> cands;
    fv_status s = bwd ? bwd_candidates(ctx, ds, cands) : fwd_candidates(ctx, ds, cands);
    *ch = Choice();
    ch->math = context_math(ctx);
    if (s != FV_OK) {
        ch->status = s;
        snprintf(ch->msg, sizeof ch->msg, "cudnn conv %s %s: %s", dir, shape, fv_last_error());
        return;
    }
    if (forced >= 0) {
        // The listing knows which algorithms cannot run the shape; the workspace query double-checks.
        bool listed_bad = false;
        for (const Cand &c : cands)
            if (c.algo == forced && c.status != CUDNN_STATUS_SUCCESS) listed_bad = true;
        size_t bytes = 0;
        cudnnStatus_t st = algo_ws(ctx, ds, bwd, forced, &bytes);
        if (listed_bad || st != CUDNN_STATUS_SUCCESS) {
            ch->status = FV_ERR_UNSUPPORTED;
            snprintf(ch->msg, sizeof ch->msg, "cudnn conv %s %s: forced algorithm %d (%s) is not supported (%s)", dir,
                     shape, forced, bwd ? bwd_algo_name(forced) : fwd_algo_name(forced),
                     st != CUDNN_STATUS_SUCCESS ? cudnnGetErrorString(st) : "listed as failing");
            return;
        }
        // A forced algorithm ignores the workspace cap: the test that forces it wants that algorithm.
        ch->algo = forced;
        ch->ws = bytes;
        return;
    }
    for (const Cand &c : cands) {
        if (c.status != CUDNN_STATUS_SUCCESS || c.memory > limit || !math_allowed(ctx, c.math)) continue;
        bool skipped = false;
        for (int a : skip) skipped |= a == c.algo;
        if (skipped) continue;
        size_t bytes = 0;
        if (algo_ws(ctx, ds, bwd, c.algo, &bytes) != CUDNN_STATUS_SUCCESS || bytes > limit) continue;
        ch->algo = c.algo;
        ch->ws = bytes > c.memory ? bytes : c.memory;
        ch->math = ctx->tf32 ? c.math : CUDNN_FMA_MATH;
        return;
    }
    ch->status = FV_ERR_UNSUPPORTED;
    snprintf(ch->msg, sizeof ch->msg, "cudnn conv %s %s: no %s algorithm fits the workspace cap of %zu MiB%s", dir,
             shape, ctx->tf32 ? "FP32/TF32" : "FP32", limit >> 20, skip.empty() ? "" : " (others were rejected)");
}

static void log_choice(fv_cuda_ctx *ctx, int bwd, int variant, const char *shape, const Choice *ch)
{
    if (!ctx->verbose) return;
    if (ch->status != FV_OK) {
        fprintf(stderr, "%s [%s layout] (will fail if used)\n", ch->msg, variant ? "strided" : "packed");
        return;
    }
    fprintf(stderr, "cudnn conv %s %s [%s layout] -> algo %d (%s), ws %.1f MiB%s\n", bwd ? "bwd-data" : "fwd", shape,
            variant ? "strided" : "packed", ch->algo, bwd ? bwd_algo_name(ch->algo) : fwd_algo_name(ch->algo),
            ch->ws / 1048576.0, (bwd ? ctx->force_bwd_algo : ctx->force_fwd_algo) >= 0 ? " (forced)" : "");
}

static void shape_str(const fv_conv_desc *d, int n, int h, int w, char *buf, size_t len)
{
    const fv_window *k = &d->win;
    snprintf(buf, len, "n=%d c=%d h=%d w=%d cout=%d k=%dx%d s=%dx%d pads=%d/%d/%d/%d groups=%d dil=%dx%d", n, d->cin, h,
             w, d->cout, k->kh, k->kw, k->sh, k->sw, k->pad_t, k->pad_l, k->pad_b, k->pad_r, fv_conv_groups(d),
             fv_conv_dh(d), fv_conv_dw(d));
}

// The cached plan for one shape, choosing (and logging) the algorithms on first use.
static fv_status get_entry(fv_cuda_ctx *ctx, const fv_conv_desc *d, int n, int h, int w, ConvEntry **out)
{
    if (!ctx->conv_cache) {
        ctx->conv_cache = new (std::nothrow) fv_conv_cache();
        if (!ctx->conv_cache) return fv_fail(FV_ERR_NOMEM, "conv (cuda): out of memory for the algorithm cache");
    }
    for (auto &e : ctx->conv_cache->entries)
        if (entry_matches(*e, d, n, h, w)) {
            *out = e.get();
            return FV_OK;
        }
    const fv_window *k = &d->win;
    std::unique_ptr<ConvEntry> e(new (std::nothrow) ConvEntry());
    if (!e) return fv_fail(FV_ERR_NOMEM, "conv (cuda): out of memory for the algorithm cache");
    e->n = n, e->cin = d->cin, e->h = h, e->w = w, e->cout = d->cout, e->kh = k->kh, e->kw = k->kw;
    e->sh = k->sh, e->sw = k->sw, e->pt = k->pad_t, e->pl = k->pad_l, e->pb = k->pad_b, e->pr = k->pad_r;
    e->g = fv_conv_groups(d), e->dh = fv_conv_dh(d), e->dw = fv_conv_dw(d);
    int oh = fv_window_out(h, fv_conv_ext_h(d), k->sh, k->pad_t, k->pad_b);
    int ow = fv_window_out(w, fv_conv_ext_w(d), k->sw, k->pad_l, k->pad_r);
    long xchw = (long)d->cin * h * w, ychw = (long)d->cout * oh * ow;
    char shape[160];
    shape_str(d, n, h, w, shape, sizeof shape);
    for (int v = 0; v < NVARIANT; v++) {
        // Stand-in strided layout: as if each tensor were a slice of a buffer with one more channel.
        ConvDescs ds;
        FV_TRY(make_descs(d, n, h, w, v ? xchw + (long)h * w : xchw, v ? ychw + (long)oh * ow : ychw,
                          context_math(ctx), ds));
        choose(ctx, ds, 0, ctx->ws_cap, shape, &e->fwd[v]);
        log_choice(ctx, 0, v, shape, &e->fwd[v]);
        choose(ctx, ds, 1, ctx->ws_cap, shape, &e->bwd[v]);
        log_choice(ctx, 1, v, shape, &e->bwd[v]);
    }
    e->ws_bytes = 0;
    for (int v = 0; v < NVARIANT; v++) {
        if (e->fwd[v].status == FV_OK && e->fwd[v].ws > e->ws_bytes) e->ws_bytes = e->fwd[v].ws;
        if (e->bwd[v].status == FV_OK && e->bwd[v].ws > e->ws_bytes) e->ws_bytes = e->bwd[v].ws;
    }
    // One padded buffer serves both directions (a forward and a backward never run at the same time on
    // the one stream); 64 floats = 256 bytes keep the cuDNN workspace after it aligned.
    e->pad_floats = 0;
    if (is_asymmetric(k)) {
        size_t pf = (size_t)n * d->cin * (h + k->pad_t + k->pad_b) * (w + k->pad_l + k->pad_r);
        e->pad_floats = (pf + 63) / 64 * 64;
    }
    *out = e.get();
    ctx->conv_cache->entries.push_back(std::move(e));
    return FV_OK;
}

// 0 for a shape the op will refuse (it then says why).
extern "C" size_t fv_conv2d_workspace_cuda(fv_cuda_ctx *ctx, const fv_conv_desc *d, int n, int h, int w)
{
    if (n < 1 || h < 1 || w < 1 || fv_check_conv_desc("conv workspace (cuda)", d) != FV_OK) return 0;
    const fv_window *k = &d->win;
    if (h + k->pad_t + k->pad_b < fv_conv_ext_h(d) || w + k->pad_l + k->pad_r < fv_conv_ext_w(d)) return 0;
    ConvEntry *e;
    if (fv_cuda_enter(ctx) != FV_OK || get_entry(ctx, d, n, h, w, &e) != FV_OK) return 0;
    return e->pad_floats + (e->ws_bytes + sizeof(float) - 1) / sizeof(float);
}

// ---------- kernels for the explicitly padded path ----------

// xp (n, c, hp, wp) packed = x zero-padded by (pt, pl) at the top/left; x honours its bstride.
__global__ void pad_copy_kernel1(const float *x, long xs, int c, int h, int w, int pt, int pl, int hp, int wp, float *xp,
                                 long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long plane = i / ((long)hp * wp);
        long r = i - plane * hp * wp;
        int yy = (int)(r / wp) - pt, xx = (int)(r % wp) - pl;
        long b = plane / c, ch = plane - b * c;
        xp[i] = (yy >= 0 && yy < h && xx >= 0 && xx < w) ? x[b * xs + (ch * h + yy) * (long)w + xx] : 0.0f;
    }
}

// dx += the interior of dxp (the gradient of the padded input), one thread per dx element.
__global__ void crop_add_kernel1(const float *dxp, int c, int h, int w, int pt, int pl, int hp, int wp, float *dx,
                                 long dxs, long total)
{
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        long plane = i / ((long)h * w);
        long r = i - plane * h * w;
        int yy = (int)(r / w), xx = (int)(r % w);
        long b = plane / c, ch = plane - b * c;
        dx[b * dxs + (ch * h + yy) * (long)w + xx] += dxp[(plane * hp + yy + pt) * (long)wp + xx + pl];
    }
}

// ---------- the ops ----------

static fv_status set_math(ConvDescs &ds, cudnnMathType_t m)
{
    FV_CUDNN_CHECK(cudnnSetConvolutionMathType(ds.c.d, m));
    return FV_OK;
}

// Runs `call` with the cached algorithm; if cuDNN rejects it for this exact layout (the real strides or pointer
// alignment can differ from the stand-in the choice was made on: rejects_layout), walks on through the
// candidates that were not rejected yet, within the same workspace budget, and remembers the one that runs in
// the cache for the next call. A forced algorithm is never replaced. `remake` rebuilds the descriptors with an
// algorithm's math type.
template <typename Remake, typename Run>
static fv_status run_conv(fv_cuda_ctx *ctx, ConvDescs &ds, int bwd, Choice &cached, size_t budget, const char *shape,
                          Remake remake, Run call)
{
    const char *dir = bwd ? "bwd-data" : "fwd";
    const int forced = bwd ? ctx->force_bwd_algo : ctx->force_fwd_algo;
    std::vector<int> rejected;
    Choice cur = cached;
    for (;;) {
        cudnnStatus_t st = call(cur.algo);
        if (st == CUDNN_STATUS_SUCCESS) {
            if (!rejected.empty()) cached = cur;
            return FV_OK;
        }
        if (!rejects_layout(st) || forced >= 0)
            return fv_fail(is_not_supported(st) ? FV_ERR_UNSUPPORTED : FV_ERR_BACKEND,
                           "cudnn conv %s %s with algo %d (%s) failed: %s", dir, shape, cur.algo,
                           bwd ? bwd_algo_name(cur.algo) : fwd_algo_name(cur.algo), cudnnGetErrorString(st));
        rejected.push_back(cur.algo);
        const int was = cur.algo;
        choose(ctx, ds, bwd, budget, shape, &cur, rejected);
        if (cur.status != FV_OK) return fv_fail(cur.status, "%s (after algo %d was rejected)", cur.msg, was);
        if (ctx->verbose)
            fprintf(stderr, "cudnn conv %s %s: algo %d rejected for this layout (%s), trying %d (%s)\n", dir, shape, was,
                    cudnnGetErrorString(st), cur.algo, bwd ? bwd_algo_name(cur.algo) : fwd_algo_name(cur.algo));
        FV_TRY(remake(cur.math));
    }
}

extern "C" fv_status fv_conv2d_fwd_cuda(fv_cuda_ctx *ctx, const fv_conv_desc *d, fv_tensor x, const float *wt,
                                        const float *bias, fv_tensor y, float *work)
{
    FV_TRY(fv_check_conv2d("conv forward (cuda)", d, x, y, wt));
    FV_TRY(fv_cuda_enter(ctx));
    ConvEntry *e;
    FV_TRY(get_entry(ctx, d, x.n, x.h, x.w, &e));
    const fv_window *k = &d->win;
    int asym = is_asymmetric(k);
    // With the padded copy, only y is a caller layout; otherwise x and y both are.
    int v = (asym ? is_packed(y) : is_packed(x) && is_packed(y)) ? 0 : 1;
    Choice &ch = e->fwd[v];
    char shape[160];
    shape_str(d, x.n, x.h, x.w, shape, sizeof shape);
    if (ch.status != FV_OK) return fv_fail(ch.status, "%s", ch.msg);
    if (!work && (e->pad_floats || e->ws_bytes))
        return fv_fail(FV_ERR_ARG, "conv forward (cuda): workspace missing (%s needs %zu floats)", shape,
                       e->pad_floats + (e->ws_bytes + 3) / 4);

    ConvDescs ds;
    FV_TRY(make_descs(d, x.n, x.h, x.w, x.bstride, y.bstride, ch.math, ds));
    const float *xin = x.data;
    if (asym) {
        int hp = x.h + k->pad_t + k->pad_b, wp = x.w + k->pad_l + k->pad_r;
        long total = (long)x.n * x.c * hp * wp;
        FV_LAUNCH(pad_copy_kernel1, fv_blocks_for(total, FV_GRID_CAP_NARROW), 256, 0, ctx->stream, x.data, x.bstride, x.c, x.h, x.w, k->pad_t, k->pad_l, hp, wp, work, total);
        FV_CUDA_LAUNCHED();
        xin = work;
    }
    void *ws = e->ws_bytes ? (void *)(work + e->pad_floats) : nullptr;
    const float one = 1.0f, zero = 0.0f;
    FV_TRY(run_conv(ctx, ds, 0, ch, e->ws_bytes, shape, [&](cudnnMathType_t m) { return set_math(ds, m); }, [&](int algo) {
        return cudnnConvolutionForward(ctx->cudnn, &one, ds.x.d, xin, ds.f.d, wt, ds.c.d, (cudnnConvolutionFwdAlgo_t)algo,
                                       ws, e->ws_bytes, &zero, ds.y.d, y.data);
    }));
    if (bias) {
        // y += bias broadcast over (n, h, w): C = alpha*A + beta*C with A (1, cout, 1, 1); y's descriptor
        // carries its bstride, so a slice view is updated in place.
        TensorDesc bd;
        FV_TRY(fv_cudnn_set_tensor(bd, 1, d->cout, 1, 1, d->cout, "conv"));
        FV_CUDNN_CHECK(cudnnAddTensor(ctx->cudnn, &one, bd.d, bias, &one, ds.y.d, y.data));
    }
    return FV_OK;
}

extern "C" fv_status fv_conv2d_bwd_data_cuda(fv_cuda_ctx *ctx, const fv_conv_desc *d, fv_tensor dy, const float *wt,
                                             fv_tensor dx, float *work)
{
    FV_TRY(fv_check_conv2d("conv backward (cuda)", d, dx, dy, wt));
    FV_TRY(fv_cuda_enter(ctx));
    ConvEntry *e;
    FV_TRY(get_entry(ctx, d, dx.n, dx.h, dx.w, &e));
    const fv_window *k = &d->win;
    int asym = is_asymmetric(k);
    int v = (asym ? is_packed(dy) : is_packed(dx) && is_packed(dy)) ? 0 : 1;
    Choice &ch = e->bwd[v];
    char shape[160];
    shape_str(d, dx.n, dx.h, dx.w, shape, sizeof shape);
    if (ch.status != FV_OK) return fv_fail(ch.status, "%s", ch.msg);
    if (!work && (e->pad_floats || e->ws_bytes))
        return fv_fail(FV_ERR_ARG, "conv backward (cuda): workspace missing (%s needs %zu floats)", shape,
                       e->pad_floats + (e->ws_bytes + 3) / 4);

    ConvDescs ds;
    FV_TRY(make_descs(d, dx.n, dx.h, dx.w, dx.bstride, dy.bstride, ch.math, ds));
    void *ws = e->ws_bytes ? (void *)(work + e->pad_floats) : nullptr;
    const float one = 1.0f, zero = 0.0f;
    // Symmetric: cuDNN accumulates straight into dx (beta = 1), as the network backward ops must.
    // Asymmetric: the gradient of the padded input lands in the padded buffer (beta = 0), and its interior
    // is then added into dx.
    float *dst = asym ? work : dx.data;
    const float *beta = asym ? &zero : &one;
    FV_TRY(run_conv(ctx, ds, 1, ch, e->ws_bytes, shape, [&](cudnnMathType_t m) { return set_math(ds, m); }, [&](int algo) {
        return cudnnConvolutionBackwardData(ctx->cudnn, &one, ds.f.d, wt, ds.y.d, dy.data, ds.c.d,
                                            (cudnnConvolutionBwdDataAlgo_t)algo, ws, e->ws_bytes, beta, ds.x.d, dst);
    }));
    if (asym) {
        int hp = dx.h + k->pad_t + k->pad_b, wp = dx.w + k->pad_l + k->pad_r;
        long total = (long)dx.n * dx.c * dx.h * dx.w;
        FV_LAUNCH(crop_add_kernel1, fv_blocks_for(total, FV_GRID_CAP_NARROW), 256, 0, ctx->stream, work, dx.c, dx.h, dx.w, k->pad_t, k->pad_l, hp, wp, dx.data, dx.bstride, total);
        FV_CUDA_LAUNCHED();
    }
    return FV_OK;
}
