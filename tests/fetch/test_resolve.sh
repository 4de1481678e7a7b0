#!/usr/bin/env bash
# Offline tests of scripts/weights.sh (the quick start's weights resolution), run in temporary copies of
# the scripts laid out as a clone WITHOUT a shared folder beside it (then with one), an empty temporary
# XDG_CACHE_HOME and an unreachable download server: the message and exit status when nothing is there,
# FEATVIS_WEIGHTS, a file in the cache (XDG_CACHE_HOME or ~/.cache), the shared folder, and a download
# (file:// mirror of the shared caffemodel) into the cache.
# Usage: tests/fetch/test_resolve.sh   (env: FV_SHARED_DIR). Ends with "N passed, M failed".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
shared="${FV_SHARED_DIR:-$repo/../shared}"
model="$shared/models/bvlc_googlenet/bvlc_googlenet.caffemodel"
model_sha256=17f711bfa6540e453173d374b949e8b2b4cbd2738ff204bf80abd842a668432c # the shared (rebuilt V1) file
name=bvlc_googlenet.caffemodel

work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
passed=0 failed=0 skipped=0
ok()   { passed=$((passed + 1)); echo "ok   $1"; }
bad()  { failed=$((failed + 1)); echo "FAIL $1"; [ -z "${2:-}" ] || printf '     %s\n' "$2"; }
skip() { skipped=$((skipped + 1)); echo "skip $1"; }
expect() { if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "$3"; fi; }

# clone DIR: a copy of the repository's scripts and models (what the resolver uses) in DIR/clone.
clone() {
  mkdir -p "$1/clone"
  cp -r "$repo/scripts" "$repo/models" "$1/clone/"
}
# resolve DIR [ENV=...]...: runs DIR/clone/scripts/weights.sh with only the given environment (plus PATH
# and an unreachable download server); stdout in $out, stderr in $err, status in $rc.
resolve() {
  local d="$1"; shift
  rc=0
  out="$(env -i PATH="$PATH" FEATVIS_BVLC_URL=http://127.0.0.1:9/x FEATVIS_BIN=none "$@" \
         bash "$d/clone/scripts/weights.sh" 2>"$work/err")" || rc=$?
  err="$(cat "$work/err")"
}
has_err() { grep -qF -- "$1" <<<"$err"; }

# (a) a lone clone, an empty cache, no network: one message saying what to do, exit 3 (fetch's "no
#     network"), nothing on stdout, nothing left in the cache.
d="$work/a"; clone "$d"; mkdir -p "$d/cache"
resolve "$d" XDG_CACHE_HOME="$d/cache" HOME="$d/home"
expect "lone clone: exit 3, nothing on stdout" "$([ "$rc" -eq 3 ] && [ -z "$out" ]; echo $?)" "rc=$rc out=$out err=$err"
expect "lone clone: says to run the fetch command or set FEATVIS_WEIGHTS / --weights" \
  "$(has_err "weights: no $name (models/fetch_weights.sh could not get it, see above): run models/fetch_weights.sh --model bvlc" &&
     has_err "set FEATVIS_WEIGHTS (featvis-cuda: --weights)"; echo $?)" "$err"
expect "lone clone: the download's own reason is shown" \
  "$(has_err "cannot download $name from http://127.0.0.1:9/x"; echo $?)" "$err"
expect "lone clone: cache left without a model" "$([ ! -e "$d/cache/featvis/$name" ]; echo $?)" "$(ls -A "$d/cache/featvis" 2>&1)"

# (b) FEATVIS_WEIGHTS wins over everything; a missing one is an error naming it.
echo weights >"$work/mine.caffemodel"
resolve "$d" XDG_CACHE_HOME="$d/cache" FEATVIS_WEIGHTS="$work/mine.caffemodel"
expect "FEATVIS_WEIGHTS: printed, exit 0" "$([ "$rc" -eq 0 ] && [ "$out" = "$work/mine.caffemodel" ]; echo $?)" \
  "rc=$rc out=$out err=$err"
resolve "$d" XDG_CACHE_HOME="$d/cache" FEATVIS_WEIGHTS="$work/absent.caffemodel"
expect "FEATVIS_WEIGHTS missing: exit 1, names it" \
  "$([ "$rc" -eq 1 ] && [ -z "$out" ] && has_err "FEATVIS_WEIGHTS=$work/absent.caffemodel is not a readable file"; echo $?)" \
  "rc=$rc out=$out err=$err"

# (c) a file in the cache: $XDG_CACHE_HOME/featvis, else ~/.cache/featvis (what featvis-cuda reads).
mkdir -p "$d/cache/featvis" "$d/home/.cache/featvis"
echo cached >"$d/cache/featvis/$name"
echo home >"$d/home/.cache/featvis/$name"
resolve "$d" XDG_CACHE_HOME="$d/cache" HOME="$d/home"
expect "cache (XDG_CACHE_HOME): printed, exit 0" \
  "$([ "$rc" -eq 0 ] && [ "$out" = "$d/cache/featvis/$name" ] && [ -z "$err" ]; echo $?)" "rc=$rc out=$out err=$err"
resolve "$d" HOME="$d/home"
expect "cache (HOME/.cache): printed, exit 0" "$([ "$rc" -eq 0 ] && [ "$out" = "$d/home/.cache/featvis/$name" ]; echo $?)" \
  "rc=$rc out=$out err=$err"

# (d) the shared folder beside the clone, with an empty cache; the cache still comes first.
d="$work/d"; clone "$d"; mkdir -p "$d/cache" "$d/shared/models/bvlc_googlenet"
echo shared >"$d/shared/models/bvlc_googlenet/$name"
resolve "$d" XDG_CACHE_HOME="$d/cache"
expect "shared beside the clone: printed, exit 0, no download" \
  "$([ "$rc" -eq 0 ] && [ "$out" = "$d/shared/models/bvlc_googlenet/$name" ] && [ -z "$err" ]; echo $?)" \
  "rc=$rc out=$out err=$err"
mkdir -p "$d/cache/featvis"; echo cached >"$d/cache/featvis/$name"
resolve "$d" XDG_CACHE_HOME="$d/cache"
expect "cache before shared" "$([ "$rc" -eq 0 ] && [ "$out" = "$d/cache/featvis/$name" ]; echo $?)" "rc=$rc out=$out"

# (e) a download that works (a file:// mirror of the shared caffemodel, its own hash) lands in the cache.
if [ -f "$model" ]; then
  d="$work/e"; clone "$d"; mkdir -p "$d/cache"
  resolve "$d" XDG_CACHE_HOME="$d/cache" FEATVIS_BVLC_URL="file://$model" FEATVIS_BVLC_SHA256="$model_sha256"
  expect "download: cache path printed, exit 0, file identical" \
    "$([ "$rc" -eq 0 ] && [ "$out" = "$d/cache/featvis/$name" ] && cmp -s "$model" "$d/cache/featvis/$name"; echo $?)" \
    "rc=$rc out=$out err=$err"
  # a download whose hash does not match (the published sha1): exit 1, the message, nothing installed
  d="$work/f"; clone "$d"; mkdir -p "$d/cache"
  resolve "$d" XDG_CACHE_HOME="$d/cache" FEATVIS_BVLC_URL="file://$model"
  expect "download refused (hash): exit 1, says what to do" \
    "$([ "$rc" -eq 1 ] && [ -z "$out" ] && has_err "sha1 mismatch" && has_err "run models/fetch_weights.sh --model bvlc" &&
       [ ! -e "$d/cache/featvis/$name" ]; echo $?)" "rc=$rc out=$out err=$err"
else
  skip "download tests: no shared caffemodel at $model (set FV_SHARED_DIR)"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
