#!/usr/bin/env bash
# The one prepared device call (run THERE, after perf/device/prepare.sh here): what the machine has,
# the GPU tests, CPU-vs-GPU parity, and the first benchmark (steps/s and images/s at batch 1, 8, 32, 64
# for mixed3b, mixed4d, mixed5b at 224 px). Logs and CSVs go to $OUT; a short table is printed last.
set -uo pipefail
OUT=${OUT:-/tmp/fv-out}
mkdir -p "$OUT"
root=$(pwd)
# prepare.sh packed binaries, libraries and weights; unpack beside the tree
if [ -f .carry/pack.tar.xz ]; then tar -C .carry -xJf .carry/pack.tar.xz; fi
site=$(python3 -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))' 2>/dev/null)
cudalibs=$(find "$site/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="$root/.carry/lib:$cudalibs${LD_LIBRARY_PATH:-}"
export FEATVIS_WEIGHTS="$root/.carry/shared/models/bvlc_googlenet/bvlc_googlenet.caffemodel"
B=$root/.carry/bin
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "site-packages: $site"; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  ldd "$B/featvis-cuda" | grep -E "not found|cudnn|cublas|cufft|cudart"
  "$B/featvis-cuda" --version
} > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
run() { # name, command...: log to $OUT/name.log, remember the Criterion synthesis line
  local name=$1; shift
  timeout 240 "$@" > "$OUT/$name.log" 2>&1; echo "exit $?" >> "$OUT/$name.log"
  printf '%-18s %s\n' "$name" "$(grep -E 'Synthesis|^exit' "$OUT/$name.log" | tr '\n' ' ')" >> "$OUT/summary.txt"
}
: > "$OUT/summary.txt"
run test_backend     "$B/test_backend" --verbose=1 -j1
run test_cuda        "$B/test_cuda" --verbose=1 -j1
run test_cuda_parity "$B/test_cuda_parity" --verbose=1 -j1
"$B/featvis-cuda" classify "$root/.carry/shared/models/bvlc_googlenet/testdata/cat_224.png" \
  --backend cuda --verbose > "$OUT/classify_cuda.txt" 2>&1
rm -f "$OUT/bench_gpu.csv"
FV_BENCH_BACKEND=cuda timeout 300 "$B/bench_step" "$FEATVIS_WEIGHTS" "$OUT/bench_gpu.csv" 12 \
  mixed3b,mixed4d,mixed5b 224 1,8,32,64 > "$OUT/bench_gpu.txt" 2>&1
echo "== summary"; cat "$OUT/summary.txt"
echo "== classify (cuda)"; head -5 "$OUT/classify_cuda.txt"
echo "== benchmark (cuda, 224 px)"; cat "$OUT/bench_gpu.txt"
