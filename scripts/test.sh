#!/usr/bin/env bash
# The README's test command: install what is missing, build, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The docker image check (docker/check-image.sh) spends most of its time on the distributions' mirrors: it runs
# beside the rest from the start, in Debian 12 roots (required) and in the base images' own Ubuntu 24.04 (a loud
# skip where Ubuntu's archive cannot be reached), its output kept in logs and shown at the end (stopped, mounts
# cleaned, if we stop early).
mkdir -p "${BUILD_DIR:-build}"
image_log="${BUILD_DIR:-build}/check-image.log" ubuntu_log="${BUILD_DIR:-build}/check-image-ubuntu.log"
docker/check-image.sh >"$image_log" 2>&1 &
image_pid=$!
FV_CHECK_DISTRO=ubuntu FV_IMAGE_CHECK=optional docker/check-image.sh >"$ubuntu_log" 2>&1 &
ubuntu_pid=$!
trap 'kill "$image_pid" "$ubuntu_pid" 2>/dev/null || true' EXIT
scripts/build.sh
status=0
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure || status=$?
# The CUDA suites on the emulated device (cuda/emulate/, README "Tests"): a second tree built with
# FV_CUDA_EMULATE, only the targets its tests need; they run instead of skipping as they do without a GPU.
emu="${EMU_BUILD_DIR:-build-emu}"
cmake -S . -B "$emu" -DCMAKE_BUILD_TYPE=Release -DFV_CUDA_EMULATE=ON >/dev/null
cmake --build "$emu" -j"$(nproc)" --target emulated_tests
ctest --test-dir "$emu" -L emulated --output-on-failure || status=$?
# The Python package (python/test.sh): built into a virtual environment under the build folder (without its
# CUDA parts, to save time), then its pytest suite, the byte-identity with the CLI and the example notebook.
python/test.sh || status=$?
# The fuzz targets' smoke (tests/fuzz/run.sh, README "Tests"): a clang build with libFuzzer, ASan and UBSan, each
# parser fuzzed for a few seconds from its seeds and kept crash inputs. The long campaign: tests/fuzz/RESULTS.md.
tests/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-5}" || status=$?
# The docker image without Docker (docker/check-image.sh, started above): its build and runtime stages in clean
# roots of Debian 12 and of Ubuntu 24.04.
image_status=0 ubuntu_status=0
wait "$image_pid" || image_status=$?
wait "$ubuntu_pid" || ubuntu_status=$?
trap - EXIT
cat "$image_log" "$ubuntu_log"
[ "$image_status" -eq 0 ] || status=$image_status
[ "$ubuntu_status" -eq 0 ] || status=$ubuntu_status
exit "$status"
