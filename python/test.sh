#!/usr/bin/env bash
# The Python package's tests (README "Python"), run by scripts/test.sh after the C suite: a virtual environment
# under the build folder ($BUILD_DIR, default build: build/python/venv), the package built into it by pip
# (scikit-build-core driving our CMake; its build tree is build/python/cmake), then pytest over python/tests: the
# API, the errors, byte-identity with the command line (build/featvis-cuda, built first if missing) and the
# example notebook through nbclient.
# To save CI time the package is built here WITHOUT its CUDA parts (FV_WITH_CUDA=OFF; set FV_PYTHON_CUDA=ON to
# compile them): the C build beside it compiles them, and a user's `pip install ./python` compiles them whenever
# nvcc is found, exactly as the C build does. Needs PyPI (or a pip mirror) for the tools and numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
[ -x "$build/featvis-cuda" ] || scripts/build.sh
py="${PYTHON:-/usr/bin/python3}"
command -v "$py" >/dev/null || py=python3
venv="$build/python/venv"
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install scikit-build-core numpy pytest Pillow tqdm nbclient nbformat ipykernel onnx
"${pip[@]}" install --no-build-isolation --config-settings=build-dir="$PWD/$build/python/cmake" \
  --config-settings=cmake.define.FV_WITH_CUDA="${FV_PYTHON_CUDA:-OFF}" ./python
cd python # pytest imports the installed featvis, not the source folder
FEATVIS_CLI="$OLDPWD/$build/featvis-cuda" OMP_WAIT_POLICY=passive \
  "$OLDPWD/$venv/bin/python" -m pytest -q -p no:cacheprovider tests
