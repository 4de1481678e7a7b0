#!/usr/bin/env bash
# Run HERE before a device call: builds for sm_90 and fills .carry/ (git-ignored) with what the device
# machine lacks: our binaries, the non-CUDA shared libraries they load (libpng, FFTW, OpenBLAS,
# protobuf-c, Criterion and their dependencies), the BVLC weights and test data. cuDNN, cuBLAS, cuFFT
# and the CUDA runtime come from the device's own Python packages (check.sh finds them).
# Everything is packed into .carry/pack.tar.xz (the device tree may carry 64 MiB; unpacked it is ~85).
# Then: device run, command "bash perf/device/check.sh" (or perf.sh), carry [".carry/pack.tar.xz",
# ".carry/wheels"].
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build-sm90 -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DFV_SHARED_DIR=.carry/shared >/dev/null
cmake --build build-sm90 -j"$(nproc)" >/dev/null
rm -rf .carry && mkdir -p .carry/bin .carry/lib .carry/shared/models/bvlc_googlenet/testdata
bins="featvis-cuda bench_step test_backend test_cuda test_cuda_parity test_ops test_net"
for b in $bins; do cp build-sm90/$b .carry/bin/; done
# every shared library they load, except libc's family and the CUDA libraries the device provides
for b in $bins; do ldd build-sm90/$b; done | awk '/=> \//{print $3}' | sort -u |
  grep -vE '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*|libcuda|libcudart|libcudnn[^/]*|libcublas[^/]*|libcufft[^/]*|libnvrtc[^/]*|libnvJitLink[^/]*)\.so' |
  while read -r lib; do cp -L "$lib" .carry/lib/; done
src=../shared/models/bvlc_googlenet
cp "$src/bvlc_googlenet.caffemodel" .carry/shared/models/bvlc_googlenet/
cp "$src/testdata/cat_224.png" "$src/testdata/synset_words.txt" .carry/shared/models/bvlc_googlenet/testdata/
# Lucent and the packages it imports that the device image lacks (the image has torch, torchvision,
# numpy, pillow, tqdm, pygments), for perf/device/perf.sh.
mkdir -p .carry/wheels
python3 -m pip download -q --no-deps -d .carry/wheels torch-lucent==0.1.8 kornia==0.4.1 decorator ipython \
  ipython-pygments-lexers jedi parso traitlets prompt-toolkit wcwidth pexpect ptyprocess stack-data executing \
  asttokens pure-eval matplotlib-inline > /dev/null || echo "note: wheels for Lucent not downloaded" >&2
tar -C .carry -cJf .carry/pack.tar.xz bin lib shared
du -sh .carry/pack.tar.xz
