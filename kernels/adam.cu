// Adam on the GPU in TensorFlow's form: the twin of host/cpu/adam.c (ascending the objective). The step
// size lr_t is computed on the host in double and rounded to float exactly as the CPU does; the update
// uses the _rn intrinsics so nvcc cannot fuse multiply-adds, making every element bit-identical.
#include <math.h>

#include "backend/checks.h"
#include "cuda/context.h"
#include "cuda/ops_cuda.h"
#include "cuda/launch.h"

__global__ void adam_kernel1(size_t count, float *p, const float *g, float *m, float *v, float lr_t, float b1,
                             float b2, float c1, float c2, float eps)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x) {
        float gi = g[i];
        // mi = b1 m + c1 g;  vi = b2 v + (c2 g) g;  p += (lr_t mi) / (sqrt(vi) + eps)  (the CPU's order)
        float mi = __fadd_rn(__fmul_rn(b1, m[i]), __fmul_rn(c1, gi));
        float vi = __fadd_rn(__fmul_rn(b2, v[i]), __fmul_rn(__fmul_rn(c2, gi), gi));
        m[i] = mi, v[i] = vi;
        p[i] = __fadd_rn(p[i], __fdiv_rn(__fmul_rn(lr_t, mi), __fadd_rn(__fsqrt_rn(vi), eps)));
    }
}

extern "C" fv_status fv_adam_cuda(fv_cuda_ctx *ctx, size_t count, float *p, const float *g, float *m, float *v,
                                  int t, float lr, float b1, float b2, float eps)
{
    FV_TRY(fv_check_adam("adam (cuda)", count, p, g, m, v, t));
    if (!count) return FV_OK;
    FV_TRY(fv_cuda_enter(ctx));
    // In double, as adam.c: b2^t is 1 - O(1e-3 t), which float would round badly in the first steps.
    float lr_t = (float)((double)lr * sqrt(1.0 - pow((double)b2, (double)t)) / (1.0 - pow((double)b1, (double)t)));
    float c1 = 1.0f - b1, c2 = 1.0f - b2;
    size_t nb = (count + 255) / 256;
    if (nb > 65535u * 64) nb = 65535u * 64; // grid-stride loop covers the rest
    FV_LAUNCH(adam_kernel1, (unsigned)nb, 256, 0, ctx->stream, count, p, g, m, v, lr_t, b1, b2, c1, c2, eps);
    FV_CUDA_LAUNCHED();
    return FV_OK;
}
