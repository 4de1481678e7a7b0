#!/usr/bin/env bash
# Installs, as Debian packages, whatever the build and the tests need and this machine lacks.
# The names come from docker/packages.txt, the one list the Dockerfile and docker/check-image.sh read too:
# the groups of the stages given (default: build test check; a group counts as there when any of its
# spellings is installed). The CUDA toolkit (nvcc, cuDNN, cuFFT, cuBLAS) is expected to be there already;
# without nvcc the CUDA parts are simply not compiled.
set -euo pipefail
packages="$(dirname "$0")/../docker/packages.sh"
[ $# -gt 0 ] || set -- build test check
missing="$(bash "$packages" missing "$@")"
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
resolved="$(printf '%s\n' "$missing" | bash "$packages" resolve -)"
mapfile -t pkgs <<<"$resolved"
echo "installing: ${pkgs[*]}" >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
