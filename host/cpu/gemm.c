/* fv_sgemm_cpu: OpenMP over column blocks of C, single-threaded OpenBLAS inside each block. Each
 * element of C is computed by exactly one block, so results do not depend on the thread count's split
 * of other columns. */
#include "gemm.h"

#include <omp.h>

/* OpenBLAS's own (declared here: Debian's generic cblas.h does not). It runs single-threaded in this
 * process: all parallelism is OpenMP's. */
void openblas_set_num_threads(int n);
__attribute__((constructor)) static void fv_gemm_init(void) { openblas_set_num_threads(1); }

void fv_sgemm_cpu(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc)
{
    const int nt = omp_get_max_threads();
    /* Small products are not worth a fork; column blocks stay multiples of 64 for the kernels. */
    if (nt < 2 || n < 128 || (double)m * n * k < 2e5) {
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    int nb = (n + nt - 1) / nt;
    nb = (nb + 63) / 64 * 64;
    const int blocks = (n + nb - 1) / nb;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < blocks; i++) {
        const int j0 = i * nb, w = n - j0 < nb ? n - j0 : nb;
        const float *bj = tb == CblasNoTrans ? b + j0 : b + (long)j0 * ldb;
        cblas_sgemm(CblasRowMajor, ta, tb, m, w, k, alpha, a, lda, bj, ldb, beta, c + j0, ldc);
    }
}
