/* The constants and formulas both backends share (one definition, read by host/cpu and by the CUDA
 * kernels): Lucid's colour matrix and the FFT parameterisation's 1/f spectrum scale (backend/ops.h). */
#include <math.h>

#include "ops.h"

/* Largest column norm of Lucid's matrix: sqrt(0.26^2 + 0.27^2 + 0.27^2). Written as constant
 * expressions so the table is exact to float rounding and stays a static initialiser. */
#define FV_CN 0.46195237849804394
const float fv_colour_matrix[3][3] = {
    {(float)(0.26 / FV_CN), (float)(0.09 / FV_CN), (float)(0.02 / FV_CN)},
    {(float)(0.27 / FV_CN), 0.0f, (float)(-0.05 / FV_CN)},
    {(float)(0.27 / FV_CN), (float)(-0.09 / FV_CN), (float)(0.03 / FV_CN)},
};

/* numpy.fft.fftfreq(n)[k]: k/n for k <= (n-1)/2, (k-n)/n otherwise. */
static double fv_fftfreq(int k, int n) { return (k <= (n - 1) / 2 ? k : k - n) / (double)n; }

void fv_spectrum_scale(int h, int w, float decay_power, float *scale)
{
    int wf = w / 2 + 1;
    double fmin = 1.0 / (w > h ? w : h), amp = sqrt((double)w * h);
    for (int ky = 0; ky < h; ky++) {
        double fy = fv_fftfreq(ky, h);
        for (int kx = 0; kx < wf; kx++) {
            double fx = (double)kx / w; /* rfft bins: always non-negative, Nyquist included */
            double f = sqrt(fx * fx + fy * fy);
            if (f < fmin) f = fmin;
            scale[(size_t)ky * wf + kx] = (float)(amp / pow(f, decay_power));
        }
    }
}
