// The kernel executor of the emulated CUDA build (FV_CUDA_EMULATE; the device side is cuda/emulate/emu.h).
// A launch runs its grid before it returns, one block after another (x fastest, then y, z). The threads of a
// block are cooperative fibers run in the order 0, 1, 2, ...: each runs until it reaches a barrier
// (__syncthreads*, or a warp operation such as __shfl_down_sync) or ends, then the next one runs; a block
// barrier releases when every thread of the block has reached it, a warp operation when every lane of its mask
// has, and the released threads continue in the next round, again from thread 0 up. So a kernel that reads
// shared memory before the barrier that should order it reads what the lower threads alone have written (and
// shared memory is filled with NaN bytes before every block), which makes a missing __syncthreads show.
// Fast path: when thread 0 ends without reaching any barrier, CUDA's rules (a barrier must be reached by the
// whole block) say no thread will, so the other threads run as plain calls on this stack, without fibers.
// Reported on stderr, then abort(): a barrier not reached by the whole block (deadlock on a GPU), threads at
// different barriers, a warp operation whose mask names missing lanes. Reported as launch errors (for
// cudaGetLastError, as the real runtime): bad grid or block dimensions, more than 1024 threads per block,
// more than 48 KiB of shared memory, kernel parameters over 4 KiB, an unknown stream.
// Fibers switch with a few lines of assembly on x86-64 (callee-saved registers, MXCSR and the x87 control
// word) and with ucontext elsewhere; stacks (256 KiB with a guard page) come from a pool, one per thread index.
#include <cuda_runtime.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#include "cuda/emulate/emu_internal.h"

#if !defined(__x86_64__) || defined(FV_EMU_UCONTEXT)
#define FV_EMU_USE_UCONTEXT 1
#include <ucontext.h>
#endif
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

// Every __shared__ variable lives in this section (emu.h); the linker marks its bounds.
extern "C" char __start_fv_emu_shared[] __attribute__((weak));
extern "C" char __stop_fv_emu_shared[] __attribute__((weak));

namespace {

// The static shared memory of every kernel linked in: [shared_begin(), + shared_bytes()).
inline char *shared_begin() { return __start_fv_emu_shared; }
inline size_t shared_bytes() { return (size_t)((uintptr_t)__stop_fv_emu_shared - (uintptr_t)__start_fv_emu_shared); }

const size_t kStackBytes = 256 << 10;
const size_t kSharedLimit = 48 << 10;
const size_t kParamLimit = 4096;

// ---------- contexts ----------

#ifdef FV_EMU_USE_UCONTEXT
struct Ctx {
    ucontext_t uc;
};
void ctx_init(Ctx &c, char *stack, size_t bytes, void (*entry)())
{
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = bytes;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, entry, 0);
}
void ctx_raw_switch(Ctx &from, Ctx &to) { swapcontext(&from.uc, &to.uc); }
#else
extern "C" void fv_emu_switch(void **save_sp, void *load_sp);
extern "C" void fv_emu_fiber_start();
// Saves the callee-saved registers, MXCSR and the x87 control word on the current stack, stores the stack
// pointer in *save_sp, loads load_sp and restores the same from there. A new fiber's stack holds a frame whose
// return address is fv_emu_fiber_start, which calls the entry function kept in r12 on a 16-byte aligned stack.
asm(R"(
    .text
    .globl fv_emu_switch
    .hidden fv_emu_switch
    .type fv_emu_switch, @function
fv_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size fv_emu_switch, .-fv_emu_switch
    .globl fv_emu_fiber_start
    .hidden fv_emu_fiber_start
    .type fv_emu_fiber_start, @function
fv_emu_fiber_start:
    callq *%r12
    ud2
    .size fv_emu_fiber_start, .-fv_emu_fiber_start
)");
struct Ctx {
    void *sp;
};
void ctx_init(Ctx &c, char *stack, size_t bytes, void (*entry)())
{
    uint32_t mxcsr;
    uint16_t fpcw;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpcw));
    // ret slot R with R + 8 16-byte aligned, so the call in fv_emu_fiber_start enters entry as any call does
    uint64_t *r = (uint64_t *)(((uintptr_t)(stack + bytes) & ~(uintptr_t)15) - 24);
    r[0] = (uint64_t)(uintptr_t)&fv_emu_fiber_start;
    r[-1] = 0;                        // rbp
    r[-2] = 0;                        // rbx
    r[-3] = (uint64_t)(uintptr_t)entry; // r12
    r[-4] = r[-5] = r[-6] = 0;        // r13, r14, r15
    r[-7] = (uint64_t)mxcsr | ((uint64_t)fpcw << 32);
    c.sp = &r[-7];
}
void ctx_raw_switch(Ctx &from, Ctx &to) { fv_emu_switch(&from.sp, to.sp); }
#endif

// ---------- the state of the running launch (one at a time: launch_lock) ----------

enum State : unsigned char { T_NEW, T_READY, T_BLOCK_BAR, T_WARP_OP, T_DONE };

struct Thread {
    Ctx ctx;
    State state;
    int arg, width;
    uint64_t in, out;
    void *asan_fake;
};

struct Warp {
    unsigned arrived, mask;
    int op;
    const char *file;
    int line;
};

struct Stack {
    char *base; // usable [base, base + kStackBytes); a guard page below
};

struct Exec {
    const char *name = nullptr;
    dim3 block;
    unsigned nthreads = 0, cur = 0;
    void (*invoke)(const void *) = nullptr;
    const void *pack = nullptr;
    bool active = false, plain = false, blocked = false;
    Ctx sched;
    void *sched_asan_fake = nullptr;
    const void *sched_bottom = nullptr;
    size_t sched_size = 0;
    std::vector<Thread> th;
    std::vector<Stack> stacks;
    unsigned bar_arrived = 0;
    int bar_op = 0, bar_acc = 0;
    const char *bar_file = nullptr;
    int bar_line = 0;
    Warp warps[32];
};

Exec X;
std::mutex launch_lock;
thread_local bool in_launch = false; // this host thread is running a grid

// ---------- failures inside a kernel: reported with the place, then abort ----------

[[noreturn]] __attribute__((format(printf, 1, 2))) void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "featvis emulated CUDA: kernel %s, block (%u,%u,%u) of (%u,%u,%u), %u threads: ", X.name,
            blockIdx.x, blockIdx.y, blockIdx.z, gridDim.x, gridDim.y, gridDim.z, X.nthreads);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

// ---------- fibers ----------

char *stack_for(unsigned t)
{
    if (t < X.stacks.size()) return X.stacks[t].base;
    while (X.stacks.size() <= t) {
        const size_t page = (size_t)sysconf(_SC_PAGESIZE);
        void *m = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (m == MAP_FAILED) die("cannot map a fiber stack (%zu bytes)", kStackBytes);
        if (mprotect(m, page, PROT_NONE) != 0) die("cannot protect a fiber stack's guard page");
        X.stacks.push_back(Stack{(char *)m + page});
    }
    return X.stacks[t].base;
}

inline void set_thread_index(unsigned t)
{
    const unsigned bx = X.block.x, by = X.block.y;
    if (by == 1 && X.block.z == 1) threadIdx = uint3{t, 0, 0};
    else threadIdx = uint3{t % bx, t / bx % by, t / (bx * by)};
}

// Scheduler -> thread t, back when it blocks or ends.
void resume(unsigned t)
{
    X.cur = t;
    set_thread_index(t);
    Thread &th = X.th[t];
#ifdef __SANITIZE_ADDRESS__
    __sanitizer_start_switch_fiber(&X.sched_asan_fake, stack_for(t), kStackBytes);
#endif
    ctx_raw_switch(X.sched, th.ctx);
#ifdef __SANITIZE_ADDRESS__
    __sanitizer_finish_switch_fiber(X.sched_asan_fake, nullptr, nullptr);
#endif
}

// The running thread -> scheduler (dying: it never resumes).
void yield(bool dying)
{
    Thread &th = X.th[X.cur];
#ifdef __SANITIZE_ADDRESS__
    __sanitizer_start_switch_fiber(dying ? nullptr : &th.asan_fake, X.sched_bottom, X.sched_size);
#else
    (void)dying;
#endif
    ctx_raw_switch(th.ctx, X.sched);
#ifdef __SANITIZE_ADDRESS__
    __sanitizer_finish_switch_fiber(th.asan_fake, nullptr, nullptr);
#endif
}

void fiber_main()
{
#ifdef __SANITIZE_ADDRESS__
    __sanitizer_finish_switch_fiber(nullptr, &X.sched_bottom, &X.sched_size);
#endif
    X.invoke(X.pack);
    X.th[X.cur].state = T_DONE;
    yield(true);
    die("a finished fiber was resumed");
}

void start(unsigned t)
{
    Thread &th = X.th[t];
    th.state = T_READY;
    th.asan_fake = nullptr;
    ctx_init(th.ctx, stack_for(t), kStackBytes, &fiber_main);
    resume(t);
}

// ---------- deadlock: say who waits where ----------

[[noreturn]] void deadlock()
{
    unsigned done = 0, at_bar = 0, first_done = ~0u, first_bar = ~0u;
    for (unsigned t = 0; t < X.nthreads; t++) {
        if (X.th[t].state == T_DONE && done++ == 0) first_done = t;
        if (X.th[t].state == T_BLOCK_BAR && at_bar++ == 0) first_bar = t;
    }
    char warps[512] = "";
    size_t n = 0;
    for (unsigned w = 0; w < (X.nthreads + 31) / 32 && n < sizeof warps - 80; w++)
        if (X.warps[w].arrived)
            n += (size_t)snprintf(warps + n, sizeof warps - n, "; warp %u: lanes 0x%08x of mask 0x%08x at %s:%d", w,
                                  X.warps[w].arrived, X.warps[w].mask, X.warps[w].file, X.warps[w].line);
    if (at_bar)
        die("deadlock: %u of %u threads (the first: %u) wait at the barrier at %s:%d, %u threads ended without "
            "reaching it (the first: %d)%s",
            at_bar, X.nthreads, first_bar, X.bar_file, X.bar_line, done, first_done == ~0u ? -1 : (int)first_done,
            warps);
    die("deadlock: warp operations wait for lanes that will not come (%u threads ended)%s", done, warps);
}

// ---------- one block ----------

void run_block()
{
    if (shared_bytes()) memset(shared_begin(), 0xff, shared_bytes());
    X.blocked = false;
    X.bar_arrived = 0;
    for (unsigned w = 0; w < 32; w++) X.warps[w].arrived = 0;
    start(0);
    if (X.th[0].state == T_DONE && !X.blocked) {
        X.plain = true;
        for (unsigned t = 1; t < X.nthreads; t++) {
            X.cur = t;
            set_thread_index(t);
            X.invoke(X.pack);
        }
        X.plain = false;
        return;
    }
    for (unsigned t = 1; t < X.nthreads; t++) X.th[t].state = T_NEW;
    for (;;) {
        bool progress = false, all_done = true;
        for (unsigned t = 0; t < X.nthreads; t++) {
            const State s = X.th[t].state;
            if (s == T_NEW) start(t), progress = true;
            else if (s == T_READY) resume(t), progress = true;
            if (X.th[t].state != T_DONE) all_done = false;
        }
        if (all_done) return;
        if (!progress) deadlock();
    }
}

// A launch's configuration against the device's limits; cudaSuccess or the error it reports.
cudaError_t check_launch(const char *name, dim3 g, dim3 b, size_t shmem, cudaStream_t stream, size_t param_bytes)
{
    if (!fv_emu_stream_valid(stream))
        return fv_emu_error(cudaErrorInvalidResourceHandle, "launch of %s: stream %p does not exist", name,
                            (void *)stream);
    const unsigned long long threads = (unsigned long long)b.x * b.y * b.z;
    if (!b.x || !b.y || !b.z || b.x > 1024 || b.y > 1024 || b.z > 64 || threads > 1024)
        return fv_emu_error(cudaErrorInvalidConfiguration,
                            "launch of %s: block (%u,%u,%u): each dimension at least 1, at most (1024,1024,64), at "
                            "most 1024 threads",
                            name, b.x, b.y, b.z);
    if (!g.x || !g.y || !g.z || g.x > 0x7fffffffu || g.y > 65535 || g.z > 65535)
        return fv_emu_error(cudaErrorInvalidConfiguration,
                            "launch of %s: grid (%u,%u,%u): each dimension at least 1, at most (2^31-1,65535,65535)",
                            name, g.x, g.y, g.z);
    const size_t stat = shared_bytes();
    if (shmem > kSharedLimit || stat + shmem > kSharedLimit)
        return fv_emu_error(cudaErrorInvalidValue,
                            "launch of %s: %zu bytes of dynamic and %zu of static shared memory (all kernels' "
                            "__shared__ variables together) exceed 48 KiB",
                            name, shmem, stat);
    if (param_bytes > kParamLimit)
        return fv_emu_error(cudaErrorInvalidValue, "launch of %s: %zu bytes of kernel parameters exceed 4 KiB", name,
                            param_bytes);
    return cudaSuccess;
}

} // namespace

// ---------- the launcher ----------

void fv_emu_run(const char *name, dim3 grid, dim3 block, size_t shmem, cudaStream_t stream, size_t param_bytes,
                void (*invoke)(const void *), const void *pack)
{
    if (check_launch(name, grid, block, shmem, stream, param_bytes) != cudaSuccess) return;
    if (in_launch) die("launch of %s from inside a kernel (no dynamic parallelism here)", name);
    std::lock_guard<std::mutex> g(launch_lock);
    in_launch = true;
    X.name = name, X.block = block, X.invoke = invoke, X.pack = pack, X.active = true;
    X.nthreads = block.x * block.y * block.z;
    if (X.th.size() < X.nthreads) X.th.resize(X.nthreads);
    blockDim = block, gridDim = grid;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                blockIdx = uint3{x, y, z};
                run_block();
            }
    X.active = false;
    in_launch = false;
}

// ---------- barriers ----------

int fv_emu_block_barrier(int op, int pred, const char *file, int line)
{
    if (!X.active) {
        fprintf(stderr, "featvis emulated CUDA: __syncthreads at %s:%d outside a kernel\n", file, line);
        abort();
    }
    if (X.plain)
        die("thread %u reached the barrier at %s:%d, which thread 0 never reached (it ended without any "
            "barrier): a barrier must be reached by every thread of the block",
            X.cur, file, line);
    if (X.bar_arrived == 0) {
        X.bar_op = op, X.bar_file = file, X.bar_line = line;
        X.bar_acc = op == FV_EMU_BAR_AND ? 1 : 0;
    } else if (line != X.bar_line || (file != X.bar_file && strcmp(file, X.bar_file) != 0) || op != X.bar_op) {
        die("thread %u reached the barrier at %s:%d while %u threads wait at the one at %s:%d: a barrier must be "
            "reached by every thread of the block",
            X.cur, file, line, X.bar_arrived, X.bar_file, X.bar_line);
    }
    switch (op) {
    case FV_EMU_BAR_OR: X.bar_acc |= pred != 0; break;
    case FV_EMU_BAR_AND: X.bar_acc &= pred != 0; break;
    case FV_EMU_BAR_COUNT: X.bar_acc += pred != 0; break;
    default: break;
    }
    X.blocked = true;
    X.th[X.cur].state = T_BLOCK_BAR;
    if (++X.bar_arrived == X.nthreads) {
        for (unsigned t = 0; t < X.nthreads; t++) X.th[t].state = T_READY, X.th[t].out = (uint64_t)X.bar_acc;
        X.bar_arrived = 0;
    }
    const unsigned me = X.cur;
    yield(false);
    return (int)X.th[me].out;
}

namespace {

// Results of a completed warp operation, lane by lane.
void finish_warp(unsigned w, const Warp &W)
{
    Thread *lanes = &X.th[w * 32];
    uint64_t ballot = 0;
    for (unsigned l = 0; l < 32; l++)
        if (W.mask >> l & 1) ballot |= (uint64_t)(lanes[l].in != 0) << l;
    for (unsigned l = 0; l < 32; l++) {
        if (!(W.mask >> l & 1)) continue;
        Thread &t = lanes[l];
        // the lane read, within the width-lane segment holding l; out of the segment: l itself
        const long width = t.width, base = (long)l & ~(width - 1), lo = base, hi = base + width;
        long src = l;
        switch (W.op) {
        case FV_EMU_SHFL_IDX: src = base + (t.arg & (width - 1)); break;
        case FV_EMU_SHFL_UP: src = (long)l - t.arg; break;
        case FV_EMU_SHFL_DOWN: src = (long)l + t.arg; break;
        case FV_EMU_SHFL_XOR: src = (long)(l ^ (unsigned)t.arg); break;
        default: break;
        }
        if (src < lo || src >= hi) src = l;
        if (!(W.mask >> src & 1))
            die("lane %u of warp %u reads lane %ld, which is not in the mask 0x%08x (%s:%d)", l, w, src, W.mask, W.file,
                W.line);
        t.out = W.op == FV_EMU_BALLOT ? ballot : W.op == FV_EMU_WARP_SYNC ? 0 : lanes[src].in;
        t.state = T_READY;
    }
}

} // namespace

uint64_t fv_emu_warp_op(int op, unsigned mask, uint64_t value, int arg, int width, const char *file, int line)
{
    if (!X.active) {
        fprintf(stderr, "featvis emulated CUDA: warp operation at %s:%d outside a kernel\n", file, line);
        abort();
    }
    const unsigned me = X.cur, w = me / 32, lane = me % 32;
    if (X.plain)
        die("thread %u reached the warp operation at %s:%d, but thread 0 ended without reaching any barrier; the "
            "emulator then runs the block without fibers (a warp operation that thread 0 never reaches is not "
            "emulated)",
            me, file, line);
    const unsigned in_warp = X.nthreads - w * 32 < 32 ? X.nthreads - w * 32 : 32;
    const unsigned exist = in_warp == 32 ? ~0u : (1u << in_warp) - 1;
    if (!(mask >> lane & 1)) die("thread %u (lane %u) is not in its own mask 0x%08x (%s:%d)", me, lane, mask, file, line);
    if (mask & ~exist)
        die("the mask 0x%08x at %s:%d names lanes that do not exist (warp %u has %u lanes)", mask, file, line, w,
            in_warp);
    if (width < 1 || width > 32 || (width & (width - 1)))
        die("warp operation at %s:%d: width %d is not a power of two up to 32", file, line, width);
    Warp &W = X.warps[w];
    if (!W.arrived) {
        W.mask = mask, W.op = op, W.file = file, W.line = line;
    } else if (W.mask != mask || W.op != op) {
        die("lane %u of warp %u is at the warp operation at %s:%d (mask 0x%08x) while lanes 0x%08x wait at %s:%d "
            "(mask 0x%08x)",
            lane, w, file, line, mask, W.arrived, W.file, W.line, W.mask);
    }
    Thread &t = X.th[me];
    t.in = value, t.arg = arg, t.width = width;
    t.state = T_WARP_OP;
    X.blocked = true;
    W.arrived |= 1u << lane;
    if (W.arrived == W.mask) {
        const Warp done = W;
        W.arrived = 0;
        finish_warp(w, done);
    }
    yield(false);
    return X.th[me].out;
}
