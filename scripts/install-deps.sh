#!/usr/bin/env bash
# Installs, as Debian packages, whatever the build and the tests need and this machine lacks
# (python3-numpy and chromium are for the tests only; g++ for the emulated CUDA build the tests use).
# The CUDA toolkit (nvcc, cuDNN, cuFFT, cuBLAS) is expected to be there already; without nvcc the
# CUDA parts are simply not compiled.
set -euo pipefail
pkgs=(cmake make gcc g++ pkg-config libpng-dev libjpeg62-turbo-dev libfftw3-dev libopenblas-dev libprotobuf-c-dev
      protobuf-c-compiler libjansson-dev libcairo2-dev libssl-dev libcriterion-dev python3 python3-numpy
      chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
