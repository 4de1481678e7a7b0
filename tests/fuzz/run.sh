#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DFV_FUZZ=ON, tree build-fuzz) and runs every target for SECONDS each,
# at most $FUZZ_PARALLEL (default: the number of cores) at once, each on its own corpus (build-fuzz/corpus/<t>,
# kept between runs) started from the generated seeds and the kept crash inputs (tests/fuzz/regressions/<t>/).
# A crash, a sanitizer report (ASan, UBSan: any undefined behaviour aborts), a leak, an input running over
# $FUZZ_TIMEOUT s (default 10), an allocation over $FUZZ_MALLOC_MB MiB or a process over $FUZZ_RSS_MB MiB
# (default 512 both) is a failure: its input lands in build-fuzz/artifacts/<t>/. Prints one line per target
# (executions, cov, ft, time, failures), appends it to build-fuzz/runs.tsv, and exits 1 if any target failed.
#   tests/fuzz/run.sh 5                  the CI smoke
#   tests/fuzz/run.sh 600 caffe npy      ten minutes each of two targets
# Env: BUILD_DIR (build-fuzz), FV_SHARED_DIR (../shared beside the repository) for the real model.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
secs=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(caffe graphdef onnx jobs objective npy png jpeg journal)
bdir=${BUILD_DIR:-build-fuzz}
export FV_SHARED_DIR=${FV_SHARED_DIR:-$root/../shared}
par=${FUZZ_PARALLEL:-$(nproc)}
rss=${FUZZ_RSS_MB:-512}
mal=${FUZZ_MALLOC_MB:-512}
tmo=${FUZZ_TIMEOUT:-10}
# A smaller quarantine than ASan's 256 MiB keeps long runs clear of the RSS limit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:quarantine_size_mb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

t0=$(date +%s)
command -v clang >/dev/null || { echo "run.sh: clang is needed (scripts/install-deps.sh installs it)" >&2; exit 1; }
mkdir -p "$bdir"
cmake -S . -B "$bdir" -DCMAKE_C_COMPILER=clang -DFV_FUZZ=ON -DFV_BUILD_TESTS=OFF >"$bdir/cmake.log" 2>&1 ||
  { cat "$bdir/cmake.log" >&2; exit 1; }
cmake --build "$bdir" -j"$(nproc)" --target fuzz_targets >"$bdir/build.log" 2>&1 || { tail -40 "$bdir/build.log" >&2; exit 1; }
rm -rf "$bdir/fuzz-seeds"
# (the seed writer keeps what it builds until it exits, as the tests' ONNX writer does: no leak check there)
ASAN_OPTIONS=detect_leaks=0 "$bdir/make_fuzz_seeds" "$bdir/fuzz-seeds" >/dev/null
echo "built in $(( $(date +%s) - t0 )) s; running ${#targets[@]} targets for $secs s each, $par at once"

run_one() {
  local t=$1 corpus="$bdir/corpus/$1" art="$bdir/artifacts/$1/" log="$bdir/logs/$1.log"
  local extra=()
  [ -d "tests/fuzz/regressions/$t" ] && extra+=("tests/fuzz/regressions/$t")
  [ -f "tests/fuzz/dict/$t.dict" ] && extra=(-dict="tests/fuzz/dict/$t.dict" "${extra[@]}")
  mkdir -p "$corpus" "$art" "$(dirname "$log")"
  local s=$(date +%s)
  "$bdir/fuzz_$t" -max_total_time="$secs" -rss_limit_mb="$rss" -malloc_limit_mb="$mal" -timeout="$tmo" \
    -print_final_stats=1 -artifact_prefix="$art" "$corpus" "$bdir/fuzz-seeds/$t" "${extra[@]}" </dev/null >"$log" 2>&1
  echo "rc=$? seconds=$(( $(date +%s) - s ))" >>"$log"
}

running=0
for t in "${targets[@]}"; do
  [ -x "$bdir/fuzz_$t" ] || { echo "run.sh: no target fuzz_$t in $bdir" >&2; exit 1; }
  rm -f "$bdir/artifacts/$t/"* 2>/dev/null || true
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$par" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

failed=0
printf '%-10s %12s %7s %7s %6s  %s\n' target executions cov ft secs result
for t in "${targets[@]}"; do
  log="$bdir/logs/$t.log"
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  rc=$(sed -n 's/^rc=\([0-9]*\).*/\1/p' "$log" | tail -1)
  took=$(sed -n 's/.*seconds=\([0-9]*\)$/\1/p' "$log" | tail -1)
  found=$(ls "$bdir/artifacts/$t/" 2>/dev/null | tr '\n' ' ')
  result=ok
  if [ "$rc" != 0 ] || [ -n "$found" ]; then
    result="FAILED (rc $rc): ${found:-no artifact} -- $(grep -m1 -E 'ERROR:|runtime error|fuzz check failed|SUMMARY' "$log" || true)"
    failed=1
  fi
  printf '%-10s %12s %7s %7s %6s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${took:-?}" "$result"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "${took:-?}" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "${result%% --*}" >>"$bdir/runs.tsv" # every run's numbers, kept across runs
done
echo "total $(( $(date +%s) - t0 )) s; logs in $bdir/logs/"
exit "$failed"
