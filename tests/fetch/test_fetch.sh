#!/usr/bin/env bash
# Offline tests of models/fetch_weights.sh: an unreachable server, a file:// "mirror" of the shared caffemodel
# (hash override, load check, idempotent rerun, hash mismatch), a locally made inception5h.zip, bad usage.
# Usage: tests/fetch/test_fetch.sh   (env: FV_SHARED_DIR, FEATVIS_BIN). Ends with "N passed, M failed".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
fetch="$repo/models/fetch_weights.sh"
shared="${FV_SHARED_DIR:-$repo/../shared}"
model="$shared/models/bvlc_googlenet/bvlc_googlenet.caffemodel"
model_sha256=17f711bfa6540e453173d374b949e8b2b4cbd2738ff204bf80abd842a668432c # the shared (rebuilt V1) file
bin="${FEATVIS_BIN:-}"
if [ -z "$bin" ] && [ -x "$repo/build/featvis-cuda" ]; then bin="$repo/build/featvis-cuda"; fi

# Nothing from the caller's environment may steer the script under test.
unset FEATVIS_BVLC_URL FEATVIS_INCEPTION5H_URL FEATVIS_BVLC_SHA1 FEATVIS_BVLC_SHA256 \
      FEATVIS_INCEPTION5H_SHA1 FEATVIS_INCEPTION5H_SHA256 FEATVIS_FETCH_MAX_TIME
export FEATVIS_BIN="${bin:-none}"

work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
passed=0 failed=0 skipped=0
ok()   { passed=$((passed + 1)); echo "ok   $1"; }
bad()  { failed=$((failed + 1)); echo "FAIL $1"; [ -z "${2:-}" ] || printf '     %s\n' "$2"; }
skip() { skipped=$((skipped + 1)); echo "skip $1"; }
# run NAME [ENV=...]... -- ARGS...: runs the script with a fresh stdout+stderr capture in $out and $rc.
run() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  rc=0
  out="$(env "${envs[@]+"${envs[@]}"}" bash "$fetch" "$@" 2>&1)" || rc=$?
}
expect() { # expect NAME CONDITION-STATUS DETAIL
  if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "$3"; fi
}
has() { grep -qF -- "$1" <<<"$out"; }
empty_dir() { [ -z "$(ls -A "$1")" ]; }

# (a) unreachable server: exit 3, the one-line reason, nothing left behind.
d="$work/a"; mkdir "$d"
run FEATVIS_BVLC_URL=http://127.0.0.1:9/x -- --model bvlc --dest "$d"
expect "unreachable: exit 3" "$([ "$rc" -eq 3 ]; echo $?)" "rc=$rc: $out"
expect "unreachable: clear message" \
  "$(has "cannot download bvlc_googlenet.caffemodel from http://127.0.0.1:9/x: " &&
     has "check your network or pass --weights to use a file you have"; echo $?)" "$out"
expect "unreachable: no file left in --dest" "$(empty_dir "$d"; echo $?)" "$(ls -A "$d")"

# --model all offline: one line per model, exit 3.
d="$work/a2"; mkdir "$d"
run FEATVIS_BVLC_URL=http://127.0.0.1:9/x FEATVIS_INCEPTION5H_URL=http://127.0.0.1:9/y -- --dest "$d"
expect "all offline: exit 3 and one line per model" \
  "$([ "$rc" -eq 3 ] && [ "$(printf '%s\n' "$out" | grep -c '^fetch_weights: cannot download ')" -eq 2 ]; echo $?)" \
  "rc=$rc: $out"
expect "all offline: no file left" "$(empty_dir "$d"; echo $?)" "$(ls -A "$d")"

# Bad usage: exit 2.
run -- --model vgg
expect "bad --model: exit 2" "$([ "$rc" -eq 2 ]; echo $?)" "rc=$rc: $out"

# (b) file:// URL to the shared caffemodel with its own sha256 (it is not byte-identical to the zoo file).
if [ -f "$model" ]; then
  d="$work/b"; mkdir "$d"
  run FEATVIS_BVLC_URL="file://$model" FEATVIS_BVLC_SHA256="$model_sha256" -- --model bvlc --dest "$d"
  expect "file URL: exit 0" "$([ "$rc" -eq 0 ]; echo $?)" "rc=$rc: $out"
  expect "file URL: file installed, identical" "$(cmp -s "$model" "$d/bvlc_googlenet.caffemodel"; echo $?)" "$out"
  expect "file URL: only the model in --dest" \
    "$([ "$(ls -A "$d")" = bvlc_googlenet.caffemodel ]; echo $?)" "$(ls -A "$d")"
  expect "file URL: prints the computed hashes" "$(has "sha256 $model_sha256"; echo $?)" "$out"
  if [ "$FEATVIS_BIN" != none ]; then
    expect "file URL: loads with $FEATVIS_BIN" "$(has "bvlc_googlenet.caffemodel: loads"; echo $?)" "$out"
  else
    skip "file URL: load check (no featvis-cuda binary; set FEATVIS_BIN or build first)"
  fi

  # Idempotent: a second run keeps the verified file and says so.
  before="$(stat -c %Y.%i "$d/bvlc_googlenet.caffemodel")"
  run FEATVIS_BVLC_URL="file://$model" FEATVIS_BVLC_SHA256="$model_sha256" -- --model bvlc --dest "$d"
  expect "rerun: exit 0, kept" \
    "$([ "$rc" -eq 0 ] && has "already present and verified" &&
       [ "$(stat -c %Y.%i "$d/bvlc_googlenet.caffemodel")" = "$before" ]; echo $?)" "rc=$rc: $out"

  # The published sha1 is enforced when no override is given: the rebuilt file is refused, nothing installed.
  d="$work/d"; mkdir "$d"
  run FEATVIS_BVLC_URL="file://$model" -- --model bvlc --dest "$d"
  expect "published hash: mismatch refused (exit 1, nothing left)" \
    "$([ "$rc" -eq 1 ] && has "sha1 mismatch: expected 405fc5acd08a3bb12de8ee5e23a96bec22f08204" &&
       empty_dir "$d"; echo $?)" "rc=$rc: $out"
  # ... and an existing file that does not match is left untouched.
  cp "$model" "$d/bvlc_googlenet.caffemodel"
  run FEATVIS_BVLC_URL=http://127.0.0.1:9/x -- --model bvlc --dest "$d"
  expect "existing mismatching file: exit 1, untouched" \
    "$([ "$rc" -eq 1 ] && has "left untouched" && cmp -s "$model" "$d/bvlc_googlenet.caffemodel"; echo $?)" \
    "rc=$rc: $out"
else
  skip "file URL tests: no shared caffemodel at $model (set FV_SHARED_DIR)"
fi

# inception5h from a locally made zip (the real one cannot be had offline; its graph would not be a real
# GraphDef, so no load check here).
if command -v python3 >/dev/null 2>&1; then
  z="$work/inception5h.zip"
  python3 - "$z" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("tensorflow_inception_graph.pb", b"\x0a\x05fake!" * 100)
    z.writestr("imagenet_comp_graph_label_strings.txt", "dummy\nkit fox\n")
    z.writestr("LICENSE", "not extracted\n")
PY
  zsha="$(sha256sum "$z" | cut -d' ' -f1)"
  d="$work/i"; mkdir "$d"
  run FEATVIS_BIN=none FEATVIS_INCEPTION5H_URL="file://$z" FEATVIS_INCEPTION5H_SHA256="$zsha" \
      -- --model inception5h --dest "$d"
  # shellcheck disable=SC2012  # the names are known and plain
  expect "inception5h zip: exit 0, graph + labels + stamp only" \
    "$([ "$rc" -eq 0 ] && [ "$(ls -A "$d" | tr '\n' ' ')" = \
      "imagenet_comp_graph_label_strings.txt inception5h.sha256 tensorflow_inception_graph.pb " ]; echo $?)" \
    "rc=$rc: $out; $(ls -A "$d")"
  run FEATVIS_BIN=none FEATVIS_INCEPTION5H_URL=http://127.0.0.1:9/y -- --model inception5h --dest "$d"
  expect "inception5h rerun: kept without downloading" \
    "$([ "$rc" -eq 0 ] && has "already present and verified"; echo $?)" "rc=$rc: $out"
  d="$work/i2"; mkdir "$d"
  run FEATVIS_BIN=none FEATVIS_INCEPTION5H_URL="file://$z" -- --model inception5h --dest "$d"
  expect "inception5h: published zip sha256 enforced" \
    "$([ "$rc" -eq 1 ] && has "sha256 mismatch" && empty_dir "$d"; echo $?)" "rc=$rc: $out"
else
  skip "inception5h zip tests: no python3 to make the zip"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
