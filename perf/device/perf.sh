#!/usr/bin/env bash
# The performance device calls (issue 5), run THERE after perf/device/prepare.sh here, one PART per call so
# that each fits 420 s of device time with a machine start (FV_PERF_S, default 260 s of script time, shared by
# the part's steps as in first-light.sh). Every part writes its rows to $OUT; bring them home and commit them
# under perf/results/<gpu>/.
#   ours     our steps/s per layer (mixed3a..mixed5b) and batch (1, 8, 32, 64) at 224 px, TF32 then FP32
#            -> bench.csv                                        carry [".carry/pack.tar.xz"]
#   torch    the batched PyTorch peer, eager, FP32/TF32/BF16 at mixed3a, mixed4d, mixed5b, batch 32
#            -> peers.csv                                        carry [".carry/pack.tar.xz"]
#   compile  the same peer under torch.compile, TF32 and BF16 at mixed4d -> peers.csv (same carry)
#   lucent   Lucent, one image at a time, its defaults and the article recipe at mixed4d -> peers.csv
#            carry [".carry/pack.tar.xz", ".carry/wheels"]
# The projection then runs here, on the CSVs that came back:
#   python3 perf/appendix_projection.py bench.csv summary.json --precision tf32 --peer-csv peers.csv --device GPU
# The peers use seeded random weights of the same shapes (speed does not depend on the values).
# usage: bash perf/device/perf.sh ours|torch|compile|lucent
part=${1:-}
case $part in ours | torch | compile | lucent) ;; *) echo "usage: perf.sh ours|torch|compile|lucent" >&2; exit 2 ;; esac
FV_TABLE=perf-$part.txt FV_BUDGET_S=${FV_PERF_S:-260}
# shellcheck source=perf/device/common.sh
. "$(dirname "$0")/common.sh"
here=$root/perf

peer() { # NAME LIMIT_S SCRIPT ARGS...: one peer run with the device's own python, a row from its CSV line
  local name=$1 limit=$2; shift 2
  step "$name" "$limit" 20 python3 "$@" --device cuda --csv "$OUT/peers.csv"
  report "$name" $? "$(grep -aE '^(torch|lucent)' "$L/$name.log" | tail -1 | cut -c1-90)"
}

case $part in
ours)
  bench ours_tf32 tf32 mixed3a,mixed3b,mixed4a,mixed4d,mixed4e,mixed5b 1,8,32,64 10 120
  bench ours_fp32 fp32 mixed3a,mixed3b,mixed4a,mixed4d,mixed4e,mixed5b 1,8,32,64 10 120
  ;;
torch)
  for layer in mixed3a mixed4d mixed5b; do
    for p in fp32 tf32 bf16; do
      peer "torch_${layer}_$p" 40 "$here/peer/torch_batched.py" --layer $layer --size 224 --batch 32 --steps 10 --precision $p
    done
  done
  ;;
compile)
  for p in tf32 bf16; do
    peer "compile_mixed4d_$p" 120 "$here/peer/torch_batched.py" --layer mixed4d --size 224 --batch 32 --steps 10 \
      --precision $p --compile
  done
  ;;
lucent)
  ls "$C"/wheels/*.whl > /dev/null 2>&1 || stop lucent "no .carry/wheels: run prepare.sh with network here and carry them"
  python3 -m pip install -q --no-index --no-deps --target "$C/py" "$C"/wheels/*.whl > "$L/pip.log" 2>&1 ||
    stop lucent "pip could not install the carried wheels ($(tail -1 "$L/pip.log"))"
  export PYTHONPATH="$C/py:${PYTHONPATH:-}"
  for r in defaults article; do
    peer "lucent_$r" 100 "$here/peer/lucent_peer.py" --layer mixed4d --recipe $r --size 224 --steps 20
  done
  ;;
esac
exit 0
