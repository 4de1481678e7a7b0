#!/usr/bin/env bash
# CPU step-time benchmark (perf/bench_step.c) on the real BVLC weights: appends to
# perf/results/cpu/step_time.csv and prints a table. Build first (README: build).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
weights=${FEATVIS_WEIGHTS:-$here/../shared/models/bvlc_googlenet/bvlc_googlenet.caffemodel}
out=$here/perf/results/cpu/step_time.csv
{ echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"; } >&2
"$build/bench_step" "$weights" "$out" "${STEPS:-6}" "${LAYERS:-mixed3a,mixed4a,mixed4d,mixed5b}" "${SIZES:-128,224}" "${BATCHES:-1,4}"
