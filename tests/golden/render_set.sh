#!/usr/bin/env bash
# A fixed set of renders covering every command that writes pixels (render, diversity, the lucid preset,
# --batch, interpolate, figures, the pixel parameterisation, --init, penalties, directions, appendix), small
# and quick (CPU, about a minute), for checking that a refactoring changes no byte: run it before and after
# and compare the manifests. Not a ctest: the bytes depend on the machine's BLAS/FFT builds.
# Usage: tests/golden/render_set.sh BINARY WEIGHTS OUTDIR   -> OUTDIR/manifest.txt (sha256 of every PNG)
set -euo pipefail
bin=$1 weights=$2 out=$3
shared="$(dirname "$weights")"
rm -rf "$out"
mkdir -p "$out"
common=(--weights "$weights" --backend cpu)
run() { "$bin" "$@" "${common[@]}" > /dev/null 2>> "$out/log.txt"; }
run render mixed4a:97 --size 64 --steps 24 -o "$out/render"
run render mixed4a_pre_relu:5 --diversity 3 --size 64 --steps 12 -o "$out/diversity"
run render logit:285 neuron:mixed3b:3 -mixed4a:7 --preset lucid --size 48 --steps 10 -o "$out/lucid"
run render mixed3a:5 --param pixel --size 48 --steps 12 -o "$out/pixel"
run render mixed3a:5 --init "$shared/testdata/cat_224.png" --size 48 --steps 6 -o "$out/init"
run render mixed3b:7 --tv 0.01 --blur 0.1 --l1 0.001 --size 48 --steps 8 -o "$out/penalties"
run render direction:mixed3b:random:3 "mixed3a:1+0.5*mixed3b:2" --size 48 --steps 8 -o "$out/direction"
printf 'mixed3a:3\nmixed4a:9 size=48 steps=6 preset=lucid\n-mixed3b:2 diversity=2 seed=4\n' > "$out/jobs.txt"
run --batch "$out/jobs.txt" --size 32 --steps 6 -o "$out/batch"
run interpolate mixed3a:5 mixed3a:9 --frames 3 --size 48 --steps 6 -o "$out/interp"
run figures mixed3a:5 --which objectives,interaction --size 32 --steps 3 -o "$out/figures"
run appendix --layers mixed3a --channels 1 --size 32 --steps 4 -o "$out/appendix"
(cd "$out" && find . -name '*.png' -not -path './*/gallery/*' | LC_ALL=C sort | xargs sha256sum) > "$out/manifest.txt"
wc -l < "$out/manifest.txt"
