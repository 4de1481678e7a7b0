#!/usr/bin/env python3
"""featvis-cuda's activations of ONNX models against onnxruntime's, at every node output, by name.

For each model of MODELS_DIR/manifest.json (make_models.py): a seeded random RGB image of the model's input
size is written as a PNG; onnxruntime runs the model (or its float32 reference twin) on that image,
preprocessed in numpy exactly as featvis-cuda's --preprocess torchvision does it in float32
((v / 255 - mean) / std, RGB), with every node output added as a graph output; featvis-cuda
(`activations IMAGE --layer NAME -o X.npy --preprocess torchvision`) writes the same tensors. The error of a
node is max |ours - theirs| / max |theirs| (the worst element, relative to the tensor's own scale, so that
values near zero do not divide by nothing). A node fails above --tol (default 1e-4); so does a node output
featvis-cuda does not know, unless it is one the loader may fold away (a Conv's output read only by the
BatchNormalization folded into it: manifest "folded"). Last, a render of the first model must record the
input convention (torchvision's by default, Caffe's with --preprocess caffe) in its PNG and --json line.

Usage: compare.py BINARY MODELS_DIR [--tol 1e-4] [--backend cpu] [--only SUBSTRING] [--keep DIR]
Exit status 0 when every node of every model is within --tol, 1 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def write_png(path, rgb8):
    """An 8-bit RGB PNG of an (h, w, 3) uint8 array (Pillow)."""
    from PIL import Image
    Image.fromarray(np.ascontiguousarray(rgb8, dtype=np.uint8), "RGB").save(path)


def torchvision_input(rgb8):
    """(1, 3, h, w) float32 as featvis-cuda computes it: v = byte / 255 (float32), then (v * 1 - mean) / std."""
    v = rgb8.astype(np.float32) / np.float32(255)
    x = (v * np.float32(1) - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def reference(path, x, input_name="input"):
    """onnxruntime's value of every node output: {name: array}, and each output's op type."""
    m = onnx.load(path)
    have = {o.name for o in m.graph.output}
    ops = {}
    for n in m.graph.node:
        for o in n.output:
            if not o:
                continue
            ops[o] = n.op_type
            if o not in have:
                m.graph.output.append(onnx.helper.make_empty_tensor_value_info(o))
                have.add(o)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # keep every node's output
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3  # onnx's shape inference and ceil-mode pools disagree: onnxruntime's is taken
    s = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in s.get_outputs()]
    vals = s.run(names, {input_name: x})
    return {n: v for n, v in zip(names, vals) if n in ops}, ops


def ours(binary, model, image, layer, out, backend):
    """featvis-cuda's activations of one tensor: the array, or None and the error line."""
    cmd = [binary, "activations", image, "--weights", model, "--layer", layer, "-o", out, "--backend", backend,
           "--preprocess", "torchvision"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
    return np.load(out), ""


TORCHVISION = "preset=torchvision order=rgb range=0,1 mean=0.485,0.456,0.406 std=0.229,0.224,0.225"


def png_text(path):
    """The tEXt chunks of a PNG: {key: value} (Pillow)."""
    from PIL import Image
    with Image.open(path) as im:
        im.load()
        return dict(im.text)


def check_provenance(args, entry, tmp):
    """An ONNX model's input convention is torchvision's unless told otherwise, and a render records the one it
    used in its PNG (featvis:preprocess) and its --json line. Returns the failures."""
    model, png = os.path.join(args.models, entry["file"]), os.path.join(tmp, "prov.png")
    layer = next(n.output[0] for n in onnx.load(model).graph.node if n.op_type == "Relu")
    bad = []
    for extra, want in (([], TORCHVISION), (["--preprocess", "caffe"],
                                            "preset=caffe order=bgr range=0,255 mean=104,117,123 std=1,1,1")):
        r = subprocess.run([args.binary, "render", layer + ":0", "--weights", model, "--size", "32", "--steps", "2",
                            "--backend", args.backend, "--json", "-o", png] + extra, capture_output=True, text=True)
        if r.returncode:
            bad.append(f"render {' '.join(extra)}: {r.stderr.strip()}")
            continue
        got_png = png_text(png).get("featvis:preprocess")
        got_json = json.loads(r.stdout.strip().splitlines()[-1]).get("preprocess")
        if got_png != want or got_json != want:
            bad.append(f"render {' '.join(extra) or '(default)'}: PNG {got_png!r}, --json {got_json!r}, want {want!r}")
    return bad


def compare_model(args, entry, tmp):
    _, _, h, w = entry["input"]
    rng = np.random.default_rng(1234)
    rgb8 = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    image = os.path.join(tmp, entry["name"] + ".png")
    write_png(image, rgb8)
    x = torchvision_input(rgb8)
    refs, ops = reference(os.path.join(args.models, entry.get("reference", entry["file"])), x)
    model = os.path.join(args.models, entry["file"])
    worst, failed, rows = 0.0, [], []
    for name, ref in refs.items():
        got, why = ours(args.binary, model, image, name, os.path.join(tmp, "act.npy"), args.backend)
        if got is None:
            if name in entry["folded"] and "unknown layer" in why:
                rows.append((name, ops[name], "folded", ""))
                continue
            failed.append(name)
            rows.append((name, ops[name], "FAIL", why))
            continue
        if got.size != ref.size:
            failed.append(name)
            rows.append((name, ops[name], "FAIL", f"shape {tuple(got.shape)} vs onnxruntime {tuple(ref.shape)}"))
            continue
        a, b = got.reshape(-1).astype(np.float64), ref.reshape(-1).astype(np.float64)
        scale = max(float(np.max(np.abs(b))), 1e-30)
        err = float(np.max(np.abs(a - b))) / scale if a.size else 0.0
        worst = max(worst, err)
        bad = not np.isfinite(err) or err > args.tol
        if bad:
            failed.append(name)
        rows.append((name, ops[name], f"{err:.2e}", "FAIL" if bad else ""))
    return worst, failed, rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary")
    p.add_argument("models")
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--backend", default="cpu")
    p.add_argument("--only", default="")
    p.add_argument("--keep", help="write the PNG inputs and .npy files here instead of a temporary folder")
    args = p.parse_args()
    with open(os.path.join(args.models, "manifest.json")) as f:
        manifest = [e for e in json.load(f) if args.only in e["name"]]
    if not manifest:
        sys.exit(f"compare.py: no model matches '{args.only}' in {args.models}")
    bad_models = []
    with tempfile.TemporaryDirectory() as t:
        tmp = args.keep or t
        os.makedirs(tmp, exist_ok=True)
        for e in manifest:
            t0 = time.time()
            worst, failed, rows = compare_model(args, e, tmp)
            print(f"== {e['name']} (opset {e['opset']}, input {e['input'][2]}x{e['input'][3]}): "
                  f"{len(rows)} node outputs, worst relative error {worst:.2e}, {time.time() - t0:.1f} s"
                  + (f", {len(failed)} FAILED" if failed else ""))
            for name, op, err, note in rows:
                print(f"   {name:<34} {op:<20} {err:>9}  {note}")
            if failed:
                bad_models.append(e["name"])
        prov = check_provenance(args, manifest[0], tmp)
    for line in prov:
        print("FAIL provenance:", line)
    if not prov:
        print(f"provenance: {manifest[0]['name']} renders record {TORCHVISION!r} by default, caffe's when asked")
    ok = len(manifest) - len(bad_models)
    print(f"{ok}/{len(manifest)} models within {args.tol:g} at every node" +
          (f"; failed: {' '.join(bad_models)}" if bad_models else ""))
    return 1 if bad_models or prov else 0


if __name__ == "__main__":
    sys.exit(main())
