#!/usr/bin/env python3
"""Real architectures through featvis-cuda's ONNX path (issue 13, item 6; outside CI: torch is large).

torchvision's resnet18, mobilenet_v2, vgg11 and googlenet with seeded random weights (torch.manual_seed; the
BatchNorm statistics and affine parameters drawn too, so that no BatchNormalization is the identity; no
pretrained weights can be downloaded here), exported with torch.onnx.export (the TorchScript exporter,
opset 17). For each: torch against onnxruntime at the output; featvis-cuda against onnxruntime at every node
output by name (compare.py's measure: max |ours - onnxruntime| / max |onnxruntime|) on one seeded 224 x 224
picture under --preprocess torchvision; and one channel of a late layer rendered at a small size. Writes
OUT/table.md (errors and times) and the renders into OUT, the .onnx files into WORK (vgg11's is 500 MB).

Usage: real_models.py BINARY OUT WORK [--models resnet18,mobilenet_v2,vgg11,googlenet] [--size 96] [--steps 64]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "onnx"))
from compare import reference, torchvision_input, write_png  # noqa: E402

RELU_OPS = ("Relu", "Clip", "Concat", "Add")


def make(name):
    torch.manual_seed(0)
    kw = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    m = getattr(torchvision.models, name)(weights=None, **kw).eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                c = mod.num_features
                mod.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                mod.running_var.copy_(0.5 + torch.rand(c, generator=g))
                mod.weight.copy_(0.5 + torch.rand(c, generator=g))
                mod.bias.copy_(0.1 * torch.randn(c, generator=g))
    return m


def export(m, path):
    x = torch.zeros(1, 3, 224, 224)
    kw = {"dynamo": False} if "dynamo" in torch.onnx.export.__code__.co_varnames else {}
    torch.onnx.export(m, x, path, opset_version=17, input_names=["input"], output_names=["output"], **kw)


def ours(binary, model, png, layer, npy):
    t0 = time.time()
    r = subprocess.run([binary, "activations", png, "--weights", model, "--layer", layer, "-o", npy, "--backend",
                        "cpu", "--preprocess", "torchvision"], capture_output=True, text=True)
    dt = time.time() - t0
    if r.returncode:
        return None, (r.stderr.strip().splitlines() or ["?"])[-1], dt
    return np.load(npy), "", dt


def check_model(args, name, tmp, lines):
    path = os.path.join(args.work, name + ".onnx")
    m = make(name)
    t0 = time.time()
    export(m, path)
    t_export = time.time() - t0
    rgb8 = np.random.default_rng(5).integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
    png = os.path.join(tmp, name + ".png")
    write_png(png, rgb8)
    x = torchvision_input(rgb8)
    with torch.no_grad():
        want = m(torch.from_numpy(x)).numpy()
    t0 = time.time()
    refs, ops = reference(path, x)
    t_ort = time.time() - t0
    torch_err = float(np.abs(refs["output"] - want).max() / np.abs(want).max())
    live = activations_of(path)  # not the constants (shape arithmetic, Identity of weights)
    refs = {k: v for k, v in refs.items() if k in live}
    worst, worst_node, missing, n, t_ours, failed = 0.0, "", [], 0, 0.0, []
    for node, ref in refs.items():
        got, why, dt = ours(args.binary, path, png, node, os.path.join(tmp, "a.npy"))
        t_ours += dt
        if got is None:
            missing.append(f"{node} ({ops[node]}): {why}")
            continue
        n += 1
        err = float(np.abs(got.reshape(-1) - ref.reshape(-1)).max() / max(np.abs(ref).max(), 1e-30)) \
            if got.size == ref.size else float("inf")
        if err > worst:
            worst, worst_node = err, f"{node} ({ops[node]})"
        if err > 1e-4:
            failed.append(f"{node} ({ops[node]}) {err:.2e}")
    layer = pick_layer(refs, ops)
    # the channel that varies most over the picture: with random weights many are dead or nearly constant
    ch = int(np.argmax(refs[layer][0].reshape(refs[layer].shape[1], -1).std(axis=1)))
    rendered = render(args, name, path, layer, ch)
    lines.append(f"| {name} | {len(refs)} | {torch_err:.1e} | {n}/{len(refs)} | {worst:.1e} {worst_node} | "
                 f"{len(failed)} | {t_export:.1f} / {t_ort:.2f} / {t_ours:.0f} | {rendered} |")
    details = [f"- {name}: not targets: " + "; ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")] if missing else []
    details += [f"- {name}: above 1e-4: " + "; ".join(failed[:8])] if failed else []
    print(lines[-1], *details, sep="\n", flush=True)
    return details


def activations_of(path):
    """The node outputs that depend on the input: the activations (constants folded by the exporter, shape
    arithmetic and Identity nodes over weights are no targets)."""
    import onnx
    live = {"input"}
    for n in onnx.load(path, load_external_data=False).graph.node:
        if any(i in live for i in n.input):
            live.update(o for o in n.output if o)
    return live - {"input"}


def render(args, name, path, layer, ch):
    """Channel ch of `layer` rendered; at 224 px when the small size is refused (a classifier head fixed to
    224 px inputs). Returns the table's text."""
    img = os.path.join(args.out, f"{name}.png")
    note = ""
    for size in (args.size, 224):
        t0 = time.time()
        r = subprocess.run([args.binary, "render", f"{layer}:{ch}", "--weights", path, "--size", str(size), "--steps",
                            str(args.steps), "--backend", "cpu", "-o", img], capture_output=True, text=True)
        dt = time.time() - t0
        if r.returncode == 0:
            words = r.stdout.split()
            k = words.index("objective") if "objective" in words else -1
            rise = f", objective {words[k + 1]} -> {words[k + 3]}" if k >= 0 else ""
            return f"`{layer}:{ch}` {size} px{note} -> `{os.path.basename(img)}`, {dt:.1f} s{rise}"
        why = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"
        note = f" ({args.size} px refused: {why})"
    return f"`{layer}:{ch}` FAILED{note}"


def pick_layer(refs, ops):
    """A ReLU-like 4-D output about a third of the way through the graph, for the render (deeper, random
    weights leave channels nearly constant: mobilenet_v2's at 70% moved by less than 1e-4 in 64 steps)."""
    cands = [k for k, v in refs.items() if ops[k] in RELU_OPS and v.ndim == 4 and v.shape[2] > 1]
    return cands[int(len(cands) * 0.35)] if cands else next(iter(refs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("work")
    ap.add_argument("--models", default="resnet18,mobilenet_v2,vgg11,googlenet")
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--steps", type=int, default=64)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    lines = ["| model | activations | torch vs onnxruntime | nodes compared | worst error (node) | above 1e-4 | "
             "export / onnxruntime / featvis (s) | render |", "|---|---|---|---|---|---|---|---|"]
    details = []
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            details += check_model(args, name, tmp, lines)
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(lines + [""] + details) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
