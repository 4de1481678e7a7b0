#!/usr/bin/env bash
# The steps of docker/Dockerfile's two stages, one command each, so that the image and docker/check-image.sh
# (which runs the Dockerfile's RUN lines in clean Debian root file systems) run the same code:
#   stage.sh install [--also FILE] STAGE...   apt-get install the groups of docker/packages.txt's STAGEs (and
#                                             the package names in FILE), then drop apt's lists
#   stage.sh build SRC OUT                    configure and build featvis-cuda from SRC into OUT/build (Release,
#                                             tests off, CUDA parts required: CUDA_ARCHS), check it, and derive
#                                             OUT/runtime-packages.txt: the packages owning the libraries it
#                                             links (ldd + dpkg -S), CUDA's own libraries left to the base image
#   stage.sh verify BIN                       every library of BIN resolves; BIN --version runs
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { printf 'stage: %s\n' "$*" >&2; }
die() { printf 'stage: %s\n' "$*" >&2; exit 1; }

# The libraries the nvidia/cuda cudnn-runtime image provides: never mapped to packages here.
CUDA_LIBS='^lib(cuda|cudart|cublas|cublasLt|cufft|cufftw|cudnn[a-z_]*|curand|cusolver|cusparse|nvrtc|nvJitLink|nvToolsExt|nvidia-ml)\.so'

install() {
  local also="" names
  if [ "${1:-}" = --also ]; then also="$2"; shift 2; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  names="$(bash "$here/packages.sh" resolve "$@")"
  if [ -n "$also" ]; then names="$names"$'\n'"$(cat "$also")"; fi
  # shellcheck disable=SC2086  # one name per word
  say "installing:" $names
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $names >/dev/null
  rm -rf /var/lib/apt/lists/*
}

# owner PATH: the package that installed PATH (ldd prints /lib/... where dpkg may have /usr/lib/..., or the
# other way round, or a link managed by update-alternatives: OpenBLAS).
owner() {
  local c p
  for c in "$1" "/usr$1" "${1#/usr}" "$(readlink -f "$1")"; do
    p="$(dpkg -S "$c" 2>/dev/null | head -n 1 | sed 's/:.*//; s/,.*//')" || true
    [ -n "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}

runtime_packages() { # runtime_packages BIN: one package per line
  local out so path list
  out="$(ldd "$1")"
  if grep -q 'not found' <<<"$out"; then
    die "$1 links libraries that are not there: $(grep 'not found' <<<"$out" | awk '{print $1}' | tr '\n' ' ')"
  fi
  list="$(while read -r so path; do
      [[ "$so" =~ $CUDA_LIBS ]] && continue
      owner "$path" || echo "!$so ($path)"
    done < <(awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' <<<"$out"))"
  if grep -q '^!' <<<"$list"; then
    die "cannot derive the runtime packages: no package owns $(grep '^!' <<<"$list" | tr -d '!' | tr '\n' ' ')"
  fi
  sort -u <<<"$list"
}

build() {
  local src="$1" out="$2" log
  log="$(mktemp)"
  # The CMake steps of scripts/build.sh (Release), into a folder outside the source tree so that a host build/
  # that slipped into the context is never used. nvcc is named: a build without the CUDA parts fails here.
  cmake -S "$src" -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DFV_BUILD_TESTS=OFF \
    -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:?}" | tee "$log"
  grep -q 'featvis-cuda: CUDA parts ON' "$log" || die "CMake did not enable the CUDA parts"
  rm -f "$log"
  cmake --build "$out/build" -j"$(nproc)" --target featvis-cuda
  # (ldd's output captured first: under pipefail, grep -q quitting at its first match can make ldd die of
  # SIGPIPE and the pipeline fail though cuDNN is linked)
  local libs
  libs="$(ldd "$out/build/featvis-cuda")"
  grep -q libcudnn <<<"$libs" || die "featvis-cuda does not link cuDNN"
  "$out/build/featvis-cuda" --version
  runtime_packages "$out/build/featvis-cuda" >"$out/runtime-packages.txt"
  say "runtime packages (from ldd): $(tr '\n' ' ' <"$out/runtime-packages.txt")"
}

verify() {
  local out
  out="$(ldd "$1")"
  if grep -q 'not found' <<<"$out"; then
    die "$1: unresolved libraries: $(grep 'not found' <<<"$out" | awk '{print $1}' | tr '\n' ' ')"
  fi
  "$1" --version
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  install) [ $# -ge 1 ] || die "usage: stage.sh install [--also FILE] STAGE..."; install "$@" ;;
  build) [ $# -eq 2 ] || die "usage: stage.sh build SRC OUT"; build "$@" ;;
  verify) [ $# -eq 1 ] || die "usage: stage.sh verify BIN"; verify "$1" ;;
  *) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
