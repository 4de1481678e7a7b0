#!/usr/bin/env bash
# Run HERE before a device call. Builds the CUDA binaries for sm_90 (H100/H200) and packs what the device
# machine lacks into .carry/pack.tar.xz (git-ignored): our binaries, the non-CUDA shared libraries they load
# (libpng, FFTW, OpenBLAS, protobuf-c, Criterion, cairo and their dependencies), the BVLC weights and the
# test image. Never packed: the C library's family, libstdc++ and libgcc_s (the device's own are newer and
# must serve its python too), and the CUDA libraries (cuDNN, cuBLAS, cuFFT and the runtime come from the
# device's Python packages). first-light.sh prunes, on the device, whatever else the device already has.
# Paths in the pack are relative; nothing in a binary names this machine's folders.
#
# Then one device call (run tool):
#   command: bash perf/device/first-light.sh      carry: [".carry/pack.tar.xz"]     timeout_s: 420
# and for the peers, one call per part (perf/device/perf.sh PART, see there), carry adds ".carry/wheels".
#
# usage: perf/device/prepare.sh [--no-wheels]     (env: FV_CUDA_ARCH, default 90)
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=${FV_CUDA_ARCH:-90}
bins="featvis-cuda bench_step test_backend test_cuda test_cuda_parity test_cuda_edges"

cmake -S . -B build-sm$arch -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$arch" -DFV_CUDA_EMULATE=OFF >/dev/null
# shellcheck disable=SC2086
cmake --build build-sm$arch -j"$(nproc)" --target $bins >/dev/null
ldd "build-sm$arch/featvis-cuda" | grep -q libcudart ||
  { echo "prepare: build-sm$arch/featvis-cuda has no CUDA backend (nvcc or cuDNN not found here)" >&2; exit 1; }

rm -rf .carry && mkdir -p .carry/bin .carry/lib .carry/shared/models/bvlc_googlenet/testdata
for b in $bins; do cp "build-sm$arch/$b" .carry/bin/; done

# Every shared library they load, by the name the loader asks for, minus what must come from the device.
never='^(libc|libm|libdl|libpthread|librt|libresolv|libutil|libnsl|libanl|libcrypt|libmvec|ld-linux[-a-z0-9_]*|libstdc\+\+|libgcc_s|libcuda|libcudart|libcudnn[_a-z0-9]*|libcublas|libcublasLt|libcufft|libcufftw|libnvrtc[-a-z0-9]*|libnvJitLink)\.so'
for b in $bins; do ldd ".carry/bin/$b"; done | awk '/=> \//{print $1, $3}' | sort -u |
  while read -r soname path; do
    if [[ $soname =~ $never ]]; then continue; fi
    cp -L "$path" ".carry/lib/$soname"
  done

src=../shared/models/bvlc_googlenet
cp "$src/bvlc_googlenet.caffemodel" .carry/shared/models/bvlc_googlenet/
cp "$src/testdata/cat_224.png" "$src/testdata/synset_words.txt" .carry/shared/models/bvlc_googlenet/testdata/

# What the pack holds, for a reader and for first-light's log: every file and size, and the newest glibc
# symbol version anything in it needs (the device's C library must be at least that).
{
  echo "# built $(date -u +%FT%TZ) from $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes') for sm_$arch"
  (cd .carry && find bin lib shared -type f -printf '%s %p\n' | sort -k2)
  echo "# needs glibc >= $(objdump -T .carry/bin/* .carry/lib/* 2>/dev/null | grep -oE 'GLIBC_[0-9.]+' | sort -uV | tail -1)"
} > .carry/MANIFEST
cp .carry/MANIFEST .carry/bin/MANIFEST

if [ "${1:-}" != --no-wheels ]; then
  # Lucent and the packages it imports that the device image lacks (perf/device/perf.sh lucent).
  mkdir -p .carry/wheels
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 --platform any -d .carry/wheels torch-lucent==0.1.8 kornia==0.4.1 \
    decorator ipython ipython-pygments-lexers jedi parso traitlets prompt-toolkit wcwidth pexpect ptyprocess \
    stack-data executing asttokens pure-eval matplotlib-inline > /dev/null 2>&1 ||
    echo "prepare: wheels for Lucent not downloaded (perf.sh lucent will say so)" >&2
fi

tar -C .carry -cJf .carry/pack.tar.xz bin lib shared
rm -rf .carry/bin .carry/lib .carry/shared
cat .carry/MANIFEST
pack=$(stat -c %s .carry/pack.tar.xz)
tree=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
printf 'pack %.1f MiB + working tree %.1f MiB = %.1f MiB of the 64 MiB a call may carry\n' \
  "$(echo "$pack/1048576" | bc -l)" "$(echo "$tree/1048576" | bc -l)" "$(echo "($pack+$tree)/1048576" | bc -l)"
[ $((pack + tree)) -lt $((62 * 1048576)) ] || { echo "prepare: too large to carry" >&2; exit 1; }
