/* Row-major SGEMM for the CPU backend, threaded by OpenMP over column blocks with OpenBLAS itself kept
 * single-threaded: one thread pool for everything, so OpenMP threads spinning after a parallel loop
 * never fight OpenBLAS threads for the cores (that cost 2-3x here, perf/NOTES.md). */
#ifndef FV_GEMM_H
#define FV_GEMM_H

#include <cblas.h>

/* C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C, all row-major. */
void fv_sgemm_cpu(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc);

#endif
