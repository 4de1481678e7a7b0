/* What the emulated cuBLAS, cuFFT and cuDNN (cuda/emulate/cublas.cpp, cufft.cpp, cudnn.cpp) record for the
 * tests: the math modes the wrappers asked for (a TF32 mode rounds the operands, lib_common.h; this record
 * shows directly that a --precision setting reached the libraries), the last convolution algorithms run, and
 * why the last call was refused. Only in the emulated build (FV_CUDA_EMULATE). C-compatible. */
#ifndef FV_EMU_LIBS_H
#define FV_EMU_LIBS_H

#ifdef __cplusplus
extern "C" {
#endif

/* cuBLAS: a live handle's math mode (cublasMath_t as set by cublasSetMathMode, flags included), -1 for a handle
 * that is not live; the math mode of the handle used by the last SGEMM call of this process (-1 before any). */
int fv_emu_cublas_math(const void *handle);
int fv_emu_last_gemm_math(void);

/* cuDNN: the cudnnMathType_t of the convolution descriptor of the last cudnnConvolutionForward (backward 0) or
 * cudnnConvolutionBackwardData (backward 1) that ran, -1 before any; likewise the algorithm it ran with. The
 * direction-neutral fv_emu_last_conv_math is the most recent of either. */
int fv_emu_last_conv_math(void);
int fv_emu_last_conv_math_dir(int backward);
int fv_emu_last_conv_algo(int backward);
/* Number of convolution calls (forward + backward-data) that ran to completion in this process. */
long fv_emu_conv_calls(void);
/* Test hook: from now on, running convolution algorithm `algo` (cudnnConvolutionFwdAlgo_t for backward 0,
 * cudnnConvolutionBwdDataAlgo_t for 1) returns `status` (e.g. CUDNN_STATUS_NOT_SUPPORTED_SHAPE) while the
 * listings and the workspace query still call it runnable, as a real cuDNN may when an engine turns down the
 * exact pointers or strides only at run time. Exercises a wrapper's retry; status 0 lifts it. */
void fv_emu_cudnn_reject_at_run(int backward, int algo, int status);

/* The last refusal of any stand-in, as one line ("cublasSgemm: lda 3 < max(1, m = 4)"); "" when none yet.
 * Refusals are also written to stderr when FV_EMU_QUIET is not set in the environment. */
const char *fv_emu_last_refusal(void);

#ifdef __cplusplus
}
#endif
#endif
