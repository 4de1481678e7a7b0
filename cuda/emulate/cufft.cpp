// Emulated cuFFT (cuda/emulate/include/cufft.h) for the host build of the CUDA backend: cufftPlanMany plans
// of single-precision 2-D batched R2C and C2R transforms in the basic layout (NULL embeds), run through FFTW,
// unnormalised like cuFFT (R2C forward e^-i, C2R inverse e^+i). Plans are small integer handles in a table.
// As cuFFT documents, NULL inembed/onembed mean the packed layout and istride/idist/ostride/odist are then
// ignored, and an out-of-place C2R overwrites its input: here it always fills it with NaN afterwards, so a
// caller that reads it again fails loudly.
// Refused with the real codes: an invalid handle -> CUFFT_INVALID_PLAN; rank outside 1..3, a dimension or
// batch below 1 -> CUFFT_INVALID_SIZE; an unknown type -> CUFFT_INVALID_TYPE; NULL pointers or an Exec of the
// other direction -> CUFFT_INVALID_VALUE. Valid in cuFFT but not emulated (other ranks or types, embeds,
// in-place) -> CUFFT_NOT_IMPLEMENTED with a line saying so. Data outside one live device allocation,
// misaligned, or input and output overlapping, which a GPU notices only while running -> CUFFT_EXEC_FAILED.
#include <fftw3.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <new>

#include <cufft.h>

#include "lib_common.h"

// In libfftw3f_threads when it is linked (host/cpu/fft.c makes the planner thread-safe too); absent otherwise.
extern "C" void fftwf_make_planner_thread_safe(void) __attribute__((weak));

namespace {

struct Plan {
    cufftType type;
    int h, w, batch;
    cudaStream_t stream;
    fftwf_plan fp;
    size_t real_elems() const { return (size_t)batch * h * w; }
    size_t complex_elems() const { return (size_t)batch * h * (w / 2 + 1); }
};

std::mutex g_mu; // the handle table and every FFTW planner call
std::map<cufftHandle, Plan *> g_plans;
cufftHandle g_next = 1;

void init_fftw_once()
{
    static std::once_flag once;
    std::call_once(once, [] {
        if (fftwf_make_planner_thread_safe) fftwf_make_planner_thread_safe();
    });
}

Plan *find_plan(cufftHandle h)
{
    auto it = g_plans.find(h);
    return it == g_plans.end() ? nullptr : it->second;
}

// The checks cufftPlanMany makes, in cuFFT's codes; then what is valid but not emulated.
cufftResult check_plan_args(cufftHandle *plan, int rank, const int *n, const int *inembed, const int *onembed,
                            cufftType type, int batch)
{
    const char *what = "cufftPlanMany";
    if (!plan) return fv_emu_refuse(CUFFT_INVALID_VALUE, what, "plan is NULL");
    if (type != CUFFT_R2C && type != CUFFT_C2R && type != CUFFT_C2C && type != CUFFT_D2Z && type != CUFFT_Z2D &&
        type != CUFFT_Z2Z)
        return fv_emu_refuse(CUFFT_INVALID_TYPE, what, "type 0x%x", (unsigned)type);
    if (rank < 1 || rank > 3) return fv_emu_refuse(CUFFT_INVALID_SIZE, what, "rank %d (1..3)", rank);
    if (!n) return fv_emu_refuse(CUFFT_INVALID_VALUE, what, "n is NULL");
    for (int i = 0; i < rank; i++)
        if (n[i] < 1) return fv_emu_refuse(CUFFT_INVALID_SIZE, what, "n[%d] = %d", i, n[i]);
    if (batch < 1) return fv_emu_refuse(CUFFT_INVALID_SIZE, what, "batch %d", batch);
    if (type != CUFFT_R2C && type != CUFFT_C2R)
        return fv_emu_refuse(CUFFT_NOT_IMPLEMENTED, what, "type 0x%x is valid but not emulated (R2C, C2R only)",
                             (unsigned)type);
    if (rank != 2) return fv_emu_refuse(CUFFT_NOT_IMPLEMENTED, what, "rank %d is valid but not emulated (2 only)", rank);
    if (inembed || onembed)
        return fv_emu_refuse(CUFFT_NOT_IMPLEMENTED, what, "inembed/onembed layouts are valid but not emulated");
    double elems = (double)batch * n[0] * n[1];
    if (elems > (double)std::numeric_limits<int>::max())
        return fv_emu_refuse(CUFFT_NOT_IMPLEMENTED, what, "%g elements: 64-bit plans are not emulated", elems);
    return CUFFT_SUCCESS;
}

// FFTW plan on scratch arrays (FFTW_ESTIMATE never touches them), executed later on the caller's arrays.
fftwf_plan make_fftw_plan(const Plan &p)
{
    int dims[2] = {p.h, p.w};
    const int rdist = p.h * p.w, cdist = p.h * (p.w / 2 + 1);
    float *r = fftwf_alloc_real(p.real_elems());
    fftwf_complex *c = fftwf_alloc_complex(p.complex_elems());
    fftwf_plan fp = nullptr;
    if (r && c) {
        if (p.type == CUFFT_C2R)
            fp = fftwf_plan_many_dft_c2r(2, dims, p.batch, c, nullptr, 1, cdist, r, nullptr, 1, rdist,
                                         FFTW_ESTIMATE | FFTW_UNALIGNED | FFTW_DESTROY_INPUT);
        else
            fp = fftwf_plan_many_dft_r2c(2, dims, p.batch, r, nullptr, 1, rdist, c, nullptr, 1, cdist,
                                         FFTW_ESTIMATE | FFTW_UNALIGNED);
    }
    fftwf_free(r);
    fftwf_free(c);
    return fp;
}

// The data of one Exec: each array inside one live allocation, naturally aligned, the two not overlapping.
cufftResult check_exec_data(const char *what, const Plan &p, const void *in, size_t in_bytes, size_t in_align,
                            const void *out, size_t out_bytes, size_t out_align)
{
    if (!in || !out) return fv_emu_refuse(CUFFT_INVALID_VALUE, what, "idata or odata is NULL");
    if (in == out)
        return fv_emu_refuse(CUFFT_NOT_IMPLEMENTED, what, "in-place transforms are valid but not emulated");
    if (fv_emu_outside(in, in_bytes))
        return fv_emu_refuse(CUFFT_EXEC_FAILED, what, "idata [%p, +%zu B) is not inside one live device allocation",
                             in, in_bytes);
    if (fv_emu_outside(out, out_bytes))
        return fv_emu_refuse(CUFFT_EXEC_FAILED, what, "odata [%p, +%zu B) is not inside one live device allocation",
                             out, out_bytes);
    if (!fv_emu_aligned(in, in_align) || !fv_emu_aligned(out, out_align))
        return fv_emu_refuse(CUFFT_EXEC_FAILED, what, "idata %p or odata %p is misaligned (%zu / %zu bytes)", in, out,
                             in_align, out_align);
    if (fv_emu_overlap(in, in_bytes, out, out_bytes))
        return fv_emu_refuse(CUFFT_EXEC_FAILED, what, "idata and odata overlap (undefined out of place)");
    (void)p;
    return CUFFT_SUCCESS;
}

// The plan behind a handle for an Exec of `type` (copied out so the table lock is not held while running).
cufftResult plan_for_exec(const char *what, cufftHandle h, cufftType type, Plan *out)
{
    std::lock_guard<std::mutex> lock(g_mu);
    Plan *p = find_plan(h);
    if (!p) return fv_emu_refuse(CUFFT_INVALID_PLAN, what, "%d is not a live plan", h);
    if (p->type != type)
        return fv_emu_refuse(CUFFT_INVALID_VALUE, what, "plan %d is of type 0x%x", h, (unsigned)p->type);
    *out = *p;
    return CUFFT_SUCCESS;
}

} // namespace

extern "C" cufftResult cufftPlanMany(cufftHandle *plan, int rank, int *n, int *inembed, int istride, int idist,
                                     int *onembed, int ostride, int odist, cufftType type, int batch)
{
    // With NULL embeds cuFFT ignores the strides and distances (the basic layout).
    (void)istride, (void)idist, (void)ostride, (void)odist;
    cufftResult r = check_plan_args(plan, rank, n, inembed, onembed, type, batch);
    if (r != CUFFT_SUCCESS) return r;
    init_fftw_once();
    Plan *p = new (std::nothrow) Plan{type, n[0], n[1], batch, nullptr, nullptr};
    if (!p) return CUFFT_ALLOC_FAILED;
    std::lock_guard<std::mutex> lock(g_mu);
    p->fp = make_fftw_plan(*p);
    if (!p->fp) {
        delete p;
        return fv_emu_refuse(CUFFT_SETUP_FAILED, "cufftPlanMany", "FFTW could not plan %d x %d x %d", batch, n[0],
                             n[1]);
    }
    *plan = g_next++;
    g_plans[*plan] = p;
    return CUFFT_SUCCESS;
}

extern "C" cufftResult cufftSetStream(cufftHandle plan, cudaStream_t stream)
{
    std::lock_guard<std::mutex> lock(g_mu);
    Plan *p = find_plan(plan);
    if (!p) return fv_emu_refuse(CUFFT_INVALID_PLAN, "cufftSetStream", "%d is not a live plan", plan);
    p->stream = stream;
    return CUFFT_SUCCESS;
}

extern "C" cufftResult cufftDestroy(cufftHandle plan)
{
    std::lock_guard<std::mutex> lock(g_mu);
    Plan *p = find_plan(plan);
    if (!p) return fv_emu_refuse(CUFFT_INVALID_PLAN, "cufftDestroy", "%d is not a live plan", plan);
    g_plans.erase(plan);
    fftwf_destroy_plan(p->fp);
    delete p;
    return CUFFT_SUCCESS;
}

extern "C" cufftResult cufftExecR2C(cufftHandle plan, cufftReal *idata, cufftComplex *odata)
{
    const char *what = "cufftExecR2C";
    Plan p;
    cufftResult r = plan_for_exec(what, plan, CUFFT_R2C, &p);
    if (r != CUFFT_SUCCESS) return r;
    r = check_exec_data(what, p, idata, p.real_elems() * sizeof(float), sizeof(float), odata,
                        p.complex_elems() * sizeof(cufftComplex), sizeof(cufftComplex));
    if (r != CUFFT_SUCCESS) return r;
    fftwf_execute_dft_r2c(p.fp, idata, reinterpret_cast<fftwf_complex *>(odata));
    return CUFFT_SUCCESS;
}

extern "C" cufftResult cufftExecC2R(cufftHandle plan, cufftComplex *idata, cufftReal *odata)
{
    const char *what = "cufftExecC2R";
    Plan p;
    cufftResult r = plan_for_exec(what, plan, CUFFT_C2R, &p);
    if (r != CUFFT_SUCCESS) return r;
    const size_t in_bytes = p.complex_elems() * sizeof(cufftComplex);
    r = check_exec_data(what, p, idata, in_bytes, sizeof(cufftComplex), odata, p.real_elems() * sizeof(float),
                        sizeof(float));
    if (r != CUFFT_SUCCESS) return r;
    fftwf_execute_dft_c2r(p.fp, reinterpret_cast<fftwf_complex *>(idata), odata);
    // cuFFT: an out-of-place C2R overwrites its input. Make that visible.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    float *f = reinterpret_cast<float *>(idata);
    for (size_t i = 0; i < in_bytes / sizeof(float); i++) f[i] = nan;
    return CUFFT_SUCCESS;
}

extern "C" cufftResult cufftGetVersion(int *version)
{
    if (!version) return fv_emu_refuse(CUFFT_INVALID_VALUE, "cufftGetVersion", "version is NULL");
    *version = CUFFT_VERSION;
    return CUFFT_SUCCESS;
}
