#!/usr/bin/env bash
# The first device call, run THERE (after perf/device/prepare.sh here; carry .carry/pack.tar.xz). It must fit
# 420 s of device time with the machine's start (a minute or two), so that a rerun fits the same 15-minute
# lease: every step has its own timeout and all of them share one deadline (FV_FIRST_LIGHT_S, default 260 s of
# script time); a step that would start past the deadline is reported as skipped, never left half-run.
#
# Order, most important first: unpack (tar, else python's tarfile); prune carried libraries the device already
# has; stop with one line if ldd finds anything missing; machine facts; test_cuda; classify the cat on the GPU
# and the CPU; one real render (mixed4a:97, 224 px, 512 steps); a short benchmark at mixed4d (FP32 and TF32);
# the CPU-vs-GPU parity and edge suites under CUDA_LAUNCH_BLOCKING=1; the rest of the benchmark. LD_LIBRARY_PATH is set
# for our binaries alone (python and nvidia-smi keep the device's own libraries).
#
# Back in $OUT (at most 8 files): first-light.txt (the table, printed last too), logs.tar.gz (every log),
# bench.csv (perf/bench_step.c rows), render_mixed4a_97.png. Commit them under perf/results/<gpu>/.
FV_TABLE=first-light.txt FV_BUDGET_S=${FV_FIRST_LIGHT_S:-260}
# shellcheck source=perf/device/common.sh
. "$(dirname "$0")/common.sh"
CAT=$C/shared/models/bvlc_googlenet/testdata/cat_224.png

# ---- machine facts
{ timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader
  timeout 20 nvidia-smi; uname -a; nproc; ldd --version | head -1; "${FV[@]}" "$B/featvis-cuda" --version; } > "$L/machine.txt" 2>&1
facts=$(timeout 20 nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader 2>/dev/null | head -1)
row machine "$([ -n "$facts" ] && echo ok || echo FAIL)" "$(($(date +%s) - t0))" "${facts:-nvidia-smi gave no GPU (machine.txt)}"

step test_cuda 60 20 "${FV[@]}" "$B/test_cuda" --verbose=1 --jobs 4; criterion test_cuda $?

step classify_cuda 40 10 "${FV[@]}" "$B/featvis-cuda" classify "$CAT" --backend cuda --top 3 --verbose
report classify_cuda $? "$(grep -aE '^ *[0-9]' "$L/classify_cuda.log" | head -1 | tr -s ' ' | cut -c1-90)"
step classify_cpu 40 10 "${FV[@]}" "$B/featvis-cuda" classify "$CAT" --backend cpu --top 3
report classify_cpu $? "$(grep -aE '^ *[0-9]' "$L/classify_cpu.log" | head -1 | tr -s ' ' | cut -c1-90)"

step render 60 20 "${FV[@]}" "$B/featvis-cuda" render mixed4a:97 --backend cuda --size 224 --steps 512 --json \
  -o "$OUT/render_mixed4a_97.png"
report render $? "$(grep -am1 -oE '"objective_(first|last)": ?[-0-9.e+]+' "$L/render.log" | tr '\n' ' ')$(grep -am1 -oE '"seconds": ?[0-9.]+' "$L/render.log")"

# How far TF32 moves activations from FP32 and both from the CPU (README, GPU: the expected deviation)
acts() { env LD_LIBRARY_PATH="$FVLD" "$B/featvis-cuda" activations "$CAT" --layer "$1" --backend "$2" ${3:+--precision $3} -o "$L/act_$1_$2$3.npy"; }
tf32_deviation() {
  for layer in mixed3b mixed4d mixed5b; do acts $layer cpu "" && acts $layer cuda fp32 && acts $layer cuda tf32 || return 1; done
  python3 - "$L" <<'PY'
import sys, numpy as np
d = sys.argv[1]
for layer in ("mixed3b", "mixed4d", "mixed5b"):
    cpu, f32, t32 = (np.load("%s/act_%s_%s.npy" % (d, layer, k)) for k in ("cpu", "cudafp32", "cudatf32"))
    s = float(np.abs(cpu).max())
    print("%s max|d|/max|cpu|: fp32 %.1e tf32 %.1e" % (layer, np.abs(f32 - cpu).max() / s, np.abs(t32 - cpu).max() / s))
PY
}
export FVLD B CAT L; export -f acts tf32_deviation  # timeout runs programs, not shell functions
step tf32_deviation 40 15 bash -c tf32_deviation
report tf32_deviation $? "$(grep -a mixed4d "$L/tf32_deviation.log" | cut -c1-90)"

bench bench_fp32 fp32 mixed4d 1,32 10 40
bench bench_tf32 tf32 mixed4d 1,32 10 40

step test_cuda_parity 120 30 env CUDA_LAUNCH_BLOCKING=1 "${FV[@]}" "$B/test_cuda_parity" --verbose=1 --jobs 4
criterion test_cuda_parity $?
step test_cuda_edges 60 20 env CUDA_LAUNCH_BLOCKING=1 "${FV[@]}" "$B/test_cuda_edges" --verbose=1 --jobs 4
criterion test_cuda_edges $?

bench bench_rest tf32 mixed3a,mixed3b,mixed4a,mixed4e,mixed5b 1,8,32,64 10 90
exit 0
