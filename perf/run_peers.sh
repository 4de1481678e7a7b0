#!/usr/bin/env bash
# Runs the peers (perf/peer/) beside our benchmark: the batched PyTorch implementation (eager and
# torch.compile, at the given precisions and batches) and Lucent (defaults and the article recipe,
# one image at a time), appending rows to OUT.csv. Needs a python3 with torch (and torch-lucent for
# the Lucent rows). usage: run_peers.sh OUT.csv DEVICE(cpu|cuda) SIZE "LAYERS" "BATCHES" "PRECISIONS" STEPS [WEIGHTS_DIR]
set -uo pipefail
out=$1 dev=$2 size=$3 layers=$4 batches=$5 precisions=$6 steps=$7 wdir=${8:-}
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
w=()
[ -n "$wdir" ] && w=(--weights-dir "$wdir")
for layer in $layers; do
  for b in $batches; do
    for p in $precisions; do
      for c in "" --compile; do
        timeout 600 "$py" "$here/peer/torch_batched.py" --device "$dev" --layer "$layer" --size "$size" --batch "$b" \
          --steps "$steps" --precision "$p" $c "${w[@]}" --csv "$out" 2>&1 | grep -E '^torch_batched' ||
          echo "torch_batched $layer b$b $p $c: failed"
      done
    done
  done
  for recipe in article defaults; do
    timeout 600 "$py" "$here/peer/lucent_peer.py" --device "$dev" --layer "$layer" --recipe "$recipe" --size "$size" \
      --steps "$steps" "${w[@]}" --csv "$out" 2>&1 | grep -E '^lucent' || echo "lucent $recipe $layer: failed (is torch-lucent installed?)"
  done
done
