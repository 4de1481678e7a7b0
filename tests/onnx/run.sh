#!/usr/bin/env bash
# Issue 13's proof under ctest (label "onnx"). models: the ONNX test models (make_models.py) written into
# BUILD_DIR/onnx-models and compared with onnxruntime at every node output (compare.py). bvlc: the BVLC
# GoogLeNet of SHARED_DIR written as ONNX (bvlc_to_onnx.py) against the caffemodel path and onnxruntime.
# The Python comes from BUILD_DIR/onnx-venv (setup_venv.sh, made on first use).
# Usage: tests/onnx/run.sh models|bvlc BINARY BUILD_DIR SHARED_DIR
set -euo pipefail
mode=${1:?usage: run.sh models|bvlc BINARY BUILD_DIR SHARED_DIR} bin=$2 build=$3 shared=$4
here="$(cd "$(dirname "$0")" && pwd)"
py="$("$here/setup_venv.sh" "$build")"
models="$build/onnx-models"
case "$mode" in
models)
    "$py" "$here/make_models.py" "$models"
    exec "$py" "$here/compare.py" "$bin" "$models"
    ;;
bvlc)
    mkdir -p "$models"
    exec "$py" "$here/bvlc_to_onnx.py" "$shared/models/bvlc_googlenet" "$models/bvlc_googlenet.onnx" --check "$bin"
    ;;
*) echo "run.sh: unknown mode '$mode' (models or bvlc)" >&2; exit 2 ;;
esac
