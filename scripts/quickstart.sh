#!/usr/bin/env bash
# The README's first command: install what is missing, build, and render a real feature visualization
# (channel 97 of mixed4a of the BVLC GoogLeNet) on the CPU into out/. The weights: scripts/weights.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
# FEATVIS_WEIGHTS, the weights cache, ../shared beside the clone, else a download into the cache.
weights="$(scripts/weights.sh)"
build/featvis-cuda render mixed4a:97 --weights "$weights" --size 128 --steps "${STEPS:-512}" -o out
echo "wrote out/mixed4a_97.png" >&2
