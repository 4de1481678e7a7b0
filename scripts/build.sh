#!/usr/bin/env bash
# Configure and build into ./build (Release; CUDA parts compiled when nvcc is found).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B "${BUILD_DIR:-build}" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} ${CMAKE_ARGS:-} >/dev/null
cmake --build "${BUILD_DIR:-build}" -j"$(nproc)"
