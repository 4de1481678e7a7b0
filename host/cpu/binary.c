/* CPU reference elementwise Add / Mul with b broadcast over what it lacks (backend/ops.h): forward, and
 * backward into either input, b's gradient summed over the positions it was broadcast to. */
#include "backend/checks.h"

/* b's element for a's (channel ch, position p of h*w): b's channel is ch or 0, its position p or 0. */
static long b_index(fv_tensor b, int ch, long p)
{
    const long bhw = (long)b.h * b.w;
    return (b.c == 1 ? 0 : (long)ch * bhw) + (bhw == 1 ? 0 : p);
}

fv_status fv_binary_fwd_cpu(fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor y)
{
    FV_TRY(fv_check_binary_fwd("binary forward", k, a, b, y));
    const long hw = (long)a.h * a.w;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < a.n; n++)
        for (int ch = 0; ch < a.c; ch++) {
            const float *ap = fv_tensor_img(a, n) + ch * hw, *bb = fv_tensor_img(b, n);
            float *yp = fv_tensor_img(y, n) + ch * hw;
            for (long p = 0; p < hw; p++) {
                float bv = bb[b_index(b, ch, p)];
                yp[p] = k == FV_BINARY_ADD ? ap[p] + bv : ap[p] * bv;
            }
        }
    return FV_OK;
}

/* db[j] += the sum, channel-major then position, of dy (times a for Mul) over a's elements that read b[j]. */
static void binary_bwd_b(fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy, fv_tensor db)
{
    const long hw = (long)a.h * a.w, bhw = (long)b.h * b.w;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < b.n; n++)
        for (int bc = 0; bc < b.c; bc++) {
            const float *an = fv_tensor_img(a, n), *gn = fv_tensor_img(dy, n);
            float *dn = fv_tensor_img(db, n) + (long)bc * bhw;
            const int c0 = b.c == 1 ? 0 : bc, c1 = b.c == 1 ? a.c : bc + 1;
            for (long bp = 0; bp < bhw; bp++) {
                const long p0 = bhw == 1 ? 0 : bp, p1 = bhw == 1 ? hw : bp + 1;
                float s = 0.0f;
                for (int ch = c0; ch < c1; ch++)
                    for (long p = p0; p < p1; p++) {
                        long i = (long)ch * hw + p;
                        s += k == FV_BINARY_ADD ? gn[i] : gn[i] * an[i];
                    }
                dn[bp] += s;
            }
        }
}

fv_status fv_binary_bwd_cpu(fv_binary_kind k, fv_tensor a, fv_tensor b, fv_tensor dy, fv_tensor da, fv_tensor db)
{
    FV_TRY(fv_check_binary_bwd("binary backward", k, a, b, dy, da, db));
    const long hw = (long)a.h * a.w;
    if (da.data) {
#pragma omp parallel for collapse(2) schedule(static)
        for (int n = 0; n < a.n; n++)
            for (int ch = 0; ch < a.c; ch++) {
                const float *gp = fv_tensor_img(dy, n) + ch * hw, *bb = fv_tensor_img(b, n);
                float *dp = fv_tensor_img(da, n) + ch * hw;
                for (long p = 0; p < hw; p++) dp[p] += k == FV_BINARY_ADD ? gp[p] : gp[p] * bb[b_index(b, ch, p)];
            }
    }
    if (db.data) binary_bwd_b(k, a, b, dy, db);
    return FV_OK;
}
