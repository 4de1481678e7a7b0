#!/usr/bin/env bash
# Sourced by the device scripts (first-light.sh, perf.sh), THERE: one deadline for the whole call, a table of
# one row per step (printed last, kept in $OUT/$FV_TABLE), every log under $OUT/logs (tarred into logs.tar.gz
# on exit: $OUT brings back at most 8 files), and the set-up every call needs: unpack .carry/pack.tar.xz (tar,
# else python's tarfile), find the device's CUDA libraries, prune carried libraries the device already has,
# and stop with one line when ldd finds anything missing. Our binaries run through "${FV[@]}" (env with
# LD_LIBRARY_PATH for them alone); python and nvidia-smi keep the device's own libraries.
# The caller sets FV_TABLE (a file name) and FV_BUDGET_S (seconds of script time) before sourcing.
set -uo pipefail
OUT=${OUT:-/tmp/fv-device}
mkdir -p "$OUT/logs"
root=$(pwd)
t0=$(date +%s)
deadline=$((t0 + FV_BUDGET_S))
L=$OUT/logs
table=$OUT/$FV_TABLE
: > "$table"
row() { printf '%-16s %-8s %5ss  %s\n' "$1" "$2" "$3" "$4" | tee -a "$table"; }
finish() { tar -C "$OUT" -czf "$OUT/logs.tar.gz" logs 2>/dev/null && rm -rf "$L"; echo "== $FV_TABLE"; cat "$table"; }
trap finish EXIT
stop() { row "$1" STOP "$(($(date +%s) - t0))" "$2"; exit 3; }

# ---- unpack: tar -xJf needs xz; python's tarfile reads xz without it
C=$root/.carry
[ -f "$C/pack.tar.xz" ] || stop unpack "no .carry/pack.tar.xz: run perf/device/prepare.sh here and carry it"
if ! tar -C "$C" -xJf "$C/pack.tar.xz" 2> "$L/unpack.log"; then
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$C/pack.tar.xz" "$C" \
    >> "$L/unpack.log" 2>&1 || stop unpack "neither tar -xJf nor python's tarfile could unpack ($(tail -1 "$L/unpack.log"))"
fi
[ -x "$C/bin/featvis-cuda" ] || stop unpack "pack unpacked but bin/featvis-cuda is missing"
cp "$C/bin/MANIFEST" "$L/MANIFEST" 2>/dev/null

# ---- the CUDA libraries: the device's Python packages (nvidia/*/lib), then the toolkit's lib64
cudalibs=$(python3 - 2>/dev/null <<'EOF'
import importlib.util, os
spec = importlib.util.find_spec("nvidia")
dirs = set()
for top in (spec.submodule_search_locations if spec else []):
    for d, _, files in os.walk(top):
        if any(f.startswith(("libcudnn.so", "libcublas.so", "libcufft.so", "libcudart.so")) for f in files):
            dirs.add(d)
print(":".join(sorted(dirs)))
EOF
)
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d "$d" ] && cudalibs="$cudalibs:$d"; done
cudalibs=${cudalibs#:}

# ---- prune carried libraries the device has (by the name the loader asks for); keep them aside in case
mkdir -p "$C/lib-device-has"
ldconfig -p > "$L/ldconfig.txt" 2>&1
for f in "$C"/lib/*; do
  so=$(basename "$f")
  if grep -q "^[[:space:]]*$so (" "$L/ldconfig.txt"; then mv "$f" "$C/lib-device-has/"; fi
done
FVLD="$C/lib:$cudalibs"
FV=(env LD_LIBRARY_PATH="$FVLD")  # our binaries alone see the carried libraries
missing() { for b in "$C"/bin/*; do [ -x "$b" ] && "${FV[@]}" ldd "$b" 2>&1 | grep -E 'not found' | sed "s|^|$(basename "$b"): |"; done | sort -u; }
miss=$(missing)
if [ -n "$miss" ]; then  # a device copy too old for a carried binary: put the carried ones back and look again
  mv "$C"/lib-device-has/* "$C/lib/" 2>/dev/null
  miss=$(missing)
fi
{ echo "carried, used: $(ls "$C/lib" | tr '\n' ' ')"; echo "pruned (device has): $(ls "$C/lib-device-has" | tr '\n' ' ')";
  echo "cuda libraries from: $cudalibs"; for b in "$C"/bin/*; do [ -x "$b" ] && { echo "== ldd $(basename "$b")"; "${FV[@]}" ldd "$b"; }; done; } > "$L/libraries.txt" 2>&1
[ -z "$miss" ] || stop libraries "ldd: $(echo "$miss" | head -3 | tr '\n' ';' | tr -s ' ')"
row libraries ok "$(($(date +%s) - t0))" "$(ls "$C/lib" | wc -l) carried, $(ls "$C/lib-device-has" | wc -l) pruned, nothing missing"

export FEATVIS_WEIGHTS=$C/shared/models/bvlc_googlenet/bvlc_googlenet.caffemodel FV_SHARED_DIR=$C/shared
B=$C/bin
gpu=$(timeout 20 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)

# step NAME LIMIT_S MIN_S COMMAND...: runs within the shared deadline, logs to $L/NAME.log, returns its status
step() {
  local name=$1 limit=$2 least=$3; shift 3
  local now left; now=$(date +%s); left=$((deadline - now))
  if [ "$left" -lt "$least" ]; then row "$name" skipped 0 "deadline (${left}s left, needs ${least}s)"; return 99; fi
  [ "$limit" -gt "$left" ] && limit=$left
  timeout --kill-after=5 "$limit" "$@" > "$L/$name.log" 2>&1
  local rc=$?
  echo "exit $rc after $(($(date +%s) - now))s (limit ${limit}s)" >> "$L/$name.log"
  return $rc
}
# report NAME RC SUMMARY: one table row; a failure shows the log's last line (where our tools say why)
report() {
  [ "$2" -eq 99 ] && return
  local st=ok secs summary=$3; secs=$(tail -1 "$L/$1.log" | grep -oE 'after [0-9]+' | cut -d' ' -f2)
  [ "$2" -ne 0 ] && st=FAIL && summary=$(grep -av '^exit [0-9]* after' "$L/$1.log" | grep -avE '^\[(RUN|PASS|SKIP|----)' | tail -1 | cut -c1-90)
  [ "$2" -eq 124 ] || [ "$2" -eq 137 ] && st=TIMEOUT
  row "$1" "$st" "${secs:-?}" "${summary:-$(head -1 "$L/$1.log" | cut -c1-90)}"
}
criterion() { # NAME RC: the synthesis line; a skipped test on a GPU machine is a failure of the set-up
  [ "$2" -eq 99 ] && return 0
  local s skips; s=$(grep -a 'Synthesis' "$L/$1.log" | tail -1 | sed 's/.*Synthesis: //'); skips=$(grep -ac '^\[SKIP\]' "$L/$1.log")
  report "$1" "$2" "$s| skipped $skips"
  [ "$2" -eq 0 ] && [ "$skips" -gt 0 ] && row "$1" SKIPPED - "$(grep -am1 '^\[SKIP\]' "$L/$1.log" | cut -c1-90)"
  return 0
}

# bench NAME PRECISION LAYERS BATCHES STEPS LIMIT_S: perf/bench_step.c at 224 px on the GPU, rows into bench.csv
bench() {
  step "$1" "$6" 15 env FV_BENCH_BACKEND=cuda FV_BENCH_DEVICE="${gpu:-gpu}" FV_BENCH_PRECISION="$2" \
    LD_LIBRARY_PATH="$FVLD" "$B/bench_step" "$FEATVIS_WEIGHTS" "$OUT/bench.csv" "$5" "$3" 224 "$4"
  report "$1" $? "$(awk '$3 ~ /^[0-9]+$/ && $5 ~ /^[0-9.]+$/ {printf "%s b%s %s st/s; ", $1, $3, $5}' "$L/$1.log" | cut -c1-90)"
}
