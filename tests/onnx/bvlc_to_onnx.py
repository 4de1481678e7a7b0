#!/usr/bin/env python3
"""The BVLC GoogLeNet of ../shared/models/bvlc_googlenet as an ONNX graph, and (with --check) proof that
featvis-cuda's ONNX path computes what its caffemodel path computes.

The weights come from the raw OHWI float32 files in MODEL_DIR/weights (MANIFEST.tsv, PROVENANCE.md: pycaffe's
dump of the same .caffemodel), not from the .caffemodel through our loader; the topology is deploy.prototxt's.
Tensor names are the Caffe ones the caffemodel path uses: a convolution's output is NAME_pre_relu and its ReLU's
NAME (conv1/7x7_s2, inception_4a/output, ...); the classifier is GlobalAveragePool, Dropout, Flatten, Gemm,
Softmax ("prob"). The file declares Caffe's input convention nowhere (ONNX has no field for it), so the
caffemodel's is passed with --preprocess caffe.

--check BINARY: activations of a seeded random image at conv1/7x7_s2, pool1/norm1, conv2/norm2,
inception_3a/output, inception_4a/output (mixed4a), inception_4d/output, inception_5b/output and prob, through
both files, must agree within --tol (max |onnx - caffe| / max |caffe|, default 1e-5), and the ONNX path's
with onnxruntime's within 1e-4; and a small render of
inception_4a/3x3:7 through both must give the same 8-bit pixels. (A channel of a branch, not of
inception_4a/output: the caffemodel path spells that one mixed4a, and a render's random draws follow the
objective's canonical text, so mixed4a:97 and inception_4a/output:97 start from different noise.)

Usage: bvlc_to_onnx.py MODEL_DIR OUT.onnx [--check BINARY] [--opset 17]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INCEPTION = {  # 1x1, 3x3_reduce, 3x3, 5x5_reduce, 5x5, pool_proj (deploy.prototxt)
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64), "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128), "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128)}


class Builder:
    def __init__(self, wdir):
        self.wdir, self.nodes, self.inits = wdir, [], []

    def raw(self, name, kind):
        return np.fromfile(os.path.join(self.wdir, f"{name}_{kind}.bin"), "<f4")

    def conv_relu(self, x, name, k, stride=1, pad=0):
        b = self.raw(name, "bias")
        w = self.raw(name, "filter")
        cin = w.size // (b.size * k * k)
        w = w.reshape(b.size, k, k, cin).transpose(0, 3, 1, 2)  # OHWI -> OIHW
        self.inits += [numpy_helper.from_array(np.ascontiguousarray(w), name + ".weight"),
                       numpy_helper.from_array(b, name + ".bias")]
        self.nodes.append(helper.make_node("Conv", [x, name + ".weight", name + ".bias"], [name + "_pre_relu"],
                                           name=name, kernel_shape=[k, k], strides=[stride, stride],
                                           pads=[pad] * 4))
        self.nodes.append(helper.make_node("Relu", [name + "_pre_relu"], [name], name=name + "/relu"))
        return name

    def op(self, kind, ins, out, **attrs):
        self.nodes.append(helper.make_node(kind, ins, [out], name=out, **attrs))
        return out

    def maxpool(self, x, out, k, s, pad=0):
        return self.op("MaxPool", [x], out, kernel_shape=[k, k], strides=[s, s], pads=[pad] * 4, ceil_mode=1)

    def lrn(self, x, out):
        return self.op("LRN", [x], out, size=5, alpha=1e-4, beta=0.75, bias=1.0)

    def inception(self, x, blk):
        p = "inception_" + blk
        b1 = self.conv_relu(x, p + "/1x1", 1)
        b3 = self.conv_relu(self.conv_relu(x, p + "/3x3_reduce", 1), p + "/3x3", 3, pad=1)
        b5 = self.conv_relu(self.conv_relu(x, p + "/5x5_reduce", 1), p + "/5x5", 5, pad=2)
        bp = self.conv_relu(self.maxpool(x, p + "/pool", 3, 1, 1), p + "/pool_proj", 1)
        out = self.op("Concat", [b1, b3, b5, bp], p + "/output", axis=1)
        self.op("Identity", [out], "mixed" + blk)  # the short name, as the Caffe model's alias (mixed4a)
        return out

    def build(self, opset):
        x = self.conv_relu("data", "conv1/7x7_s2", 7, 2, 3)
        x = self.lrn(self.maxpool(x, "pool1/3x3_s2", 3, 2), "pool1/norm1")
        x = self.conv_relu(self.conv_relu(x, "conv2/3x3_reduce", 1), "conv2/3x3", 3, pad=1)
        x = self.maxpool(self.lrn(x, "conv2/norm2"), "pool2/3x3_s2", 3, 2)
        for blk in ("3a", "3b", "pool3", "4a", "4b", "4c", "4d", "4e", "pool4", "5a", "5b"):
            x = self.maxpool(x, blk + "/3x3_s2", 3, 2) if blk.startswith("pool") else self.inception(x, blk)
        x = self.op("GlobalAveragePool", [x], "pool5/7x7_s1")
        x = self.op("Flatten", [self.op("Dropout", [x], "pool5/drop_7x7_s1")], "pool5/flatten", axis=1)
        w, b = self.raw("loss3/classifier", "filter").reshape(1000, 1024), self.raw("loss3/classifier", "bias")
        self.inits += [numpy_helper.from_array(w, "loss3/classifier.weight"),
                       numpy_helper.from_array(b, "loss3/classifier.bias")]
        x = self.op("Gemm", [x, "loss3/classifier.weight", "loss3/classifier.bias"], "loss3/classifier", transB=1)
        x = self.op("Softmax", [x], "prob", axis=1)
        graph = helper.make_graph(self.nodes, "bvlc_googlenet",
                                  [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 224, 224])],
                                  [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 1000])], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="featvis-tests")
        m.ir_version = 8
        onnx.checker.check_model(m, full_check=True)
        return m


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import write_png  # noqa: E402  (this folder's helper)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(cmd)}: {r.stderr.strip()}")
    return r


def onnxruntime_acts(onnx_path, rgb8, layers):
    """onnxruntime's values of `layers` for the picture, preprocessed as Caffe's convention in float32."""
    from compare import reference
    v = rgb8.astype(np.float32) / np.float32(255)
    x = (v[:, :, ::-1] * np.float32(255) - np.array([104, 117, 123], np.float32)) / np.float32(1)
    refs, _ = reference(onnx_path, np.ascontiguousarray(x.transpose(2, 0, 1)[None]), "data")
    return {k: refs[k].astype(np.float64).reshape(-1) for k in layers}


def check(binary, caffemodel, onnx_path, tol):
    layers = ["conv1/7x7_s2", "pool1/norm1", "conv2/norm2", "inception_3a/output", "inception_4a/output",
              "inception_4d/output", "inception_5b/output", "prob"]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "in.png")
        rgb8 = np.random.default_rng(7).integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
        write_png(png, rgb8)
        ort = onnxruntime_acts(onnx_path, rgb8, layers)
        for layer in layers:
            acts = []
            for weights in (caffemodel, onnx_path):
                npy = os.path.join(tmp, "a.npy")
                run([binary, "activations", png, "--layer", layer, "-o", npy, "--weights", weights, "--backend", "cpu",
                     "--preprocess", "caffe"])
                acts.append(np.load(npy).astype(np.float64).reshape(-1))
            err = np.abs(acts[0] - acts[1]).max() / np.abs(acts[0]).max()
            err_ort = np.abs(acts[1] - ort[layer]).max() / np.abs(ort[layer]).max()
            ok = err <= tol and err_ort <= 1e-4
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {layer:<22} {acts[0].size:>8} values  onnx vs caffemodel {err:.2e}"
                  f"  onnx vs onnxruntime {err_ort:.2e}")
        # A render's random start follows the objective's display name: the ONNX file names its inception
        # outputs mixed3a.. (Identity nodes) as the Caffe model's aliases do, so the article's objective matches too.
        objectives = ["inception_4a/3x3:7", "mixed4a:97"]
        for obj in objectives:
            imgs = []
            for weights in (caffemodel, onnx_path):
                out = os.path.join(tmp, f"r{len(imgs)}.png")
                run([binary, "render", obj, "--size", "48", "--steps", "8", "--backend", "cpu",
                     "--weights", weights, "--preprocess", "caffe", "-o", out])
                imgs.append(png_pixels(out))
            diff = int(np.abs(imgs[0].astype(int) - imgs[1].astype(int)).max())
            same = diff == 0
            failed += not same
            print(f"{'ok  ' if same else 'FAIL'} render {obj} 48 px 8 steps: "
                  f"{'identical 8-bit pixels' if same else f'pixels differ by up to {diff} levels'}")
    print(f"{len(layers) + len(objectives) - failed} passed, {failed} failed")
    return failed


def png_pixels(path):
    """The 8-bit pixels of an RGB PNG written by featvis-cuda, (h, w, 3) uint8 (Pillow)."""
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--check", metavar="BINARY")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args()
    m = Builder(os.path.join(args.model_dir, "weights")).build(args.opset)
    onnx.save(m, args.out)
    print(f"{args.out}: {len(m.graph.node)} nodes, {sum(np.prod(i.dims) for i in m.graph.initializer)} weights, "
          f"opset {args.opset}")
    if args.check:
        return 1 if check(args.check, os.path.join(args.model_dir, "bvlc_googlenet.caffemodel"), args.out,
                          args.tol) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
