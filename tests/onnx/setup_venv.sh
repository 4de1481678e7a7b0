#!/usr/bin/env bash
# The ONNX tests' Python: a virtual environment at BUILD_DIR/onnx-venv with onnx, onnxruntime and numpy
# from PyPI, made once and reused (a stamp file records what was installed). Prints the venv's python.
# Usage: tests/onnx/setup_venv.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: setup_venv.sh BUILD_DIR}
venv="$build/onnx-venv"
stamp="$venv/.featvis-onnx-ok"
want="onnx onnxruntime numpy Pillow"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$venv/bin/python" -c 'import onnx, onnxruntime, numpy' 2>/dev/null; then
    echo "$venv/bin/python"
    exit 0
fi
start=$(date +%s)
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want >&2
"$venv/bin/python" -c 'import onnx, onnxruntime, numpy; print("onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__, "numpy", numpy.__version__)' >&2
echo "$want" > "$stamp"
echo "onnx venv made in $(( $(date +%s) - start )) s" >&2
echo "$venv/bin/python"
