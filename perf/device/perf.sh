#!/usr/bin/env bash
# The performance device call (ISSUE 5), run THERE after perf/device/prepare.sh here: our steps/s and
# images/s per layer and batch at 224 px on the GPU, the peers on the same GPU in the same call (batched
# PyTorch eager at fp32/tf32/bf16 and torch.compile at mixed4d; Lucent at its defaults and the article
# recipe), then the appendix projection. CSVs and summary.json go to $OUT; a table is printed last.
set -uo pipefail
OUT=${OUT:-/tmp/fv-out}
mkdir -p "$OUT"
root=$(pwd)
[ -f .carry/pack.tar.xz ] && tar -C .carry -xJf .carry/pack.tar.xz
site=$(python3 -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))' 2>/dev/null)
export LD_LIBRARY_PATH="$root/.carry/lib:$(find "$site/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | tr '\n' ':')${LD_LIBRARY_PATH:-}"
W=$root/.carry/shared/models/bvlc_googlenet/bvlc_googlenet.caffemodel
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
[ -d .carry/wheels ] && python3 -m pip install -q --no-index --no-deps --target "$root/.carry/py" .carry/wheels/*.whl > "$OUT/pip.log" 2>&1
export PYTHONPATH="$root/.carry/py:${PYTHONPATH:-}"
rm -f "$OUT/step_time.csv" "$OUT/peers.csv"
FV_BENCH_BACKEND=cuda FV_BENCH_DEVICE="$gpu" timeout 240 .carry/bin/bench_step "$W" "$OUT/step_time.csv" 10 \
  mixed3a,mixed3b,mixed4a,mixed4d,mixed4e,mixed5b 224 1,8,32,64 > "$OUT/bench.txt" 2>&1
for layer in mixed3a mixed4d mixed5b; do
  for p in fp32 tf32 bf16; do
    timeout 120 python3 perf/peer/torch_batched.py --device cuda --layer $layer --size 224 --batch 32 --steps 10 \
      --precision $p --csv "$OUT/peers.csv" >> "$OUT/peers.txt" 2>&1
  done
done
for p in tf32 bf16; do
  timeout 200 python3 perf/peer/torch_batched.py --device cuda --layer mixed4d --size 224 --batch 32 --steps 10 \
    --precision $p --compile --csv "$OUT/peers.csv" >> "$OUT/peers.txt" 2>&1
done
for r in defaults article; do
  timeout 120 python3 perf/peer/lucent_peer.py --device cuda --layer mixed4d --recipe $r --size 224 --steps 20 \
    --csv "$OUT/peers.csv" >> "$OUT/peers.txt" 2>&1
done
python3 perf/appendix_projection.py "$OUT/step_time.csv" "$OUT/summary.json" --peer-csv "$OUT/peers.csv" \
  --device "$gpu" > "$OUT/projection.txt" 2>&1
echo "== ours (cuda, $gpu)"; cat "$OUT/bench.txt"
echo "== peers"; grep -E '^(torch|lucent)' "$OUT/peers.txt"
echo "== projection"; cat "$OUT/projection.txt"
