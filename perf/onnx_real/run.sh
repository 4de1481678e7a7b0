#!/usr/bin/env bash
# Real architectures through the ONNX path (issue 13, item 6), outside CI: torch, torchvision, onnx and
# onnxruntime from PyPI into BUILD_DIR/torch-venv (made once; torch is large), then real_models.py: resnet18,
# mobilenet_v2, vgg11 and googlenet with seeded random weights, torch vs onnxruntime, featvis-cuda vs
# onnxruntime at every node, one channel of each rendered. Writes perf/onnx_real/RESULTS.md and the renders in
# perf/onnx_real/renders/; the .onnx files stay in BUILD_DIR/onnx-real.
# Usage: perf/onnx_real/run.sh BINARY BUILD_DIR [real_models.py options]
set -euo pipefail
bin=${1:?usage: run.sh BINARY BUILD_DIR [options]} build=$2
shift 2
here="$(cd "$(dirname "$0")" && pwd)"
venv="$build/torch-venv"
start=$(date +%s)
if ! "$venv/bin/python" -c 'import torch, torchvision, onnx, onnxruntime' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check torch torchvision onnx onnxruntime numpy
fi
setup=$(( $(date +%s) - start ))
versions=$("$venv/bin/python" -c 'import torch, torchvision, onnx, onnxruntime, numpy; print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, numpy {numpy.__version__}")')
start=$(date +%s)
OMP_WAIT_POLICY=passive "$venv/bin/python" "$here/real_models.py" "$bin" "$here/renders" "$build/onnx-real" "$@"
{
    echo "# Real architectures through the ONNX path"
    echo
    echo "Written by \`perf/onnx_real/run.sh\` ($(date -u +%Y-%m-%d), $(nproc) CPU cores, CPU backend; $versions;"
    echo "venv ready in ${setup} s, models checked in $(( $(date +%s) - start )) s). Seeded random weights"
    echo "(torch.manual_seed(0), BatchNorm statistics drawn), exported by torch.onnx.export (TorchScript exporter,"
    echo "opset 17); one seeded 224 x 224 picture under \`--preprocess torchvision\`. Error of a node: max |ours -"
    echo "onnxruntime| / max |onnxruntime|. Times: the export, onnxruntime with every node output requested, and"
    echo "all of featvis-cuda's \`activations\` runs (one process per node, each loading the file). Renders:"
    echo "\`--size 96 --steps 64\` unless stated, of a layer a third of the way in, the channel that varies most over"
    echo "the picture (random weights leave many dead or nearly constant), in \`renders/\`."
    echo
    cat "$here/renders/table.md"
    if [[ -f "$here/NOTES.md" ]]; then cat "$here/NOTES.md"; fi
} > "$here/RESULTS.md"
rm -f "$here/renders/table.md"
cat "$here/RESULTS.md"
