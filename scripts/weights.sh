#!/usr/bin/env bash
# Prints the path of the BVLC GoogLeNet weights (bvlc_googlenet.caffemodel) for the quick start, finding
# them in this order: $FEATVIS_WEIGHTS; the weights cache ($XDG_CACHE_HOME/featvis, else ~/.cache/featvis:
# where featvis-cuda looks when given no --weights); the project's shared folder beside this clone
# (../shared/models/bvlc_googlenet); else it downloads them into the cache (models/fetch_weights.sh
# --model bvlc, hash-checked). Exit 0 with the path on stdout; otherwise one message saying what to do
# on stderr and the exit status of the failed step (fetch_weights.sh: 3 no network, 1 a failed check).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
file=bvlc_googlenet.caffemodel
todo="run models/fetch_weights.sh --model bvlc where there is network (it downloads into the cache), or set FEATVIS_WEIGHTS (featvis-cuda: --weights) to a $file you have"

if [ -n "${FEATVIS_WEIGHTS:-}" ]; then
  if [ -f "$FEATVIS_WEIGHTS" ] && [ -r "$FEATVIS_WEIGHTS" ]; then
    printf '%s\n' "$FEATVIS_WEIGHTS"
    exit 0
  fi
  echo "weights: FEATVIS_WEIGHTS=$FEATVIS_WEIGHTS is not a readable file; point it at a $file, or unset it to use the cache" >&2
  exit 1
fi

cache=""
if [ -n "${XDG_CACHE_HOME:-}" ]; then cache="$XDG_CACHE_HOME/featvis"
elif [ -n "${HOME:-}" ]; then cache="$HOME/.cache/featvis"
fi
if [ -n "$cache" ] && [ -f "$cache/$file" ]; then
  printf '%s\n' "$cache/$file"
  exit 0
fi

shared="$(dirname "$repo")/shared/models/bvlc_googlenet/$file"
if [ -f "$shared" ]; then
  printf '%s\n' "$shared"
  exit 0
fi

if [ -z "$cache" ]; then
  echo "weights: no $file: neither XDG_CACHE_HOME nor HOME is set, so there is no cache to download into; set FEATVIS_WEIGHTS (featvis-cuda: --weights) to a $file you have" >&2
  exit 2
fi
echo "weights: no $file in $cache or beside this clone ($shared); downloading it (models/fetch_weights.sh --model bvlc)" >&2
rc=0
bash "$repo/models/fetch_weights.sh" --model bvlc --dest "$cache" >&2 || rc=$?
if [ "$rc" -eq 0 ] && [ -f "$cache/$file" ]; then
  printf '%s\n' "$cache/$file"
  exit 0
fi
[ "$rc" -ne 0 ] || rc=1
echo "weights: no $file (models/fetch_weights.sh could not get it, see above): $todo" >&2
exit "$rc"
