#!/usr/bin/env python3
"""Small ONNX test models for featvis-cuda's ONNX loader, written with onnx.helper and seeded random weights.

Together they cover every operator of issue 13 (Conv with groups, depthwise, dilations, asymmetric pads and
auto_pad; Relu, LeakyRelu, Clip as ReLU6, Sigmoid, HardSigmoid, HardSwish; Mul and Add broadcasting over
channels; MaxPool ceil_mode; AveragePool count_include_pad; GlobalAveragePool; Concat; BatchNormalization after a
Conv and alone; Gemm and MatMul after Flatten and Reshape; LRN; Softmax; Dropout and Identity; Pad constant) and
the topologies that matter (residual block, depthwise-separable block, inception-style concat,
squeeze-excitation, BN + Gemm head), at opsets 11, 17 and 21. One model keeps its weights as float16
initializers; onnxruntime cannot run that graph as it stands (a float16 weight into a float Conv), so its
reference is a float32 twin with the same weights rounded to float16 (MODEL.ref.onnx).

Every model takes one input "input", 1x3xHxW float32, and lists only its last tensor as a graph output:
compare.py asks onnxruntime for every node output. manifest.json lists the models with their input size and
the tensor names a loader may fold away (a Conv's output read only by the BatchNormalization folded into it).

Usage: make_models.py OUTDIR
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR = {11: 6, 17: 8, 21: 10}  # the IR version each opset came with


class G:
    """A graph under construction: nodes, initializers, fresh names, the seeded RNG."""

    def __init__(self, name, seed, c=3, h=32, w=32, fp16=False):
        self.name, self.rng, self.fp16 = name, np.random.default_rng(seed), fp16
        self.nodes, self.inits, self.folded, self.n = [], [], [], 0
        self.shape = (1, c, h, w)

    def fresh(self, op):
        self.n += 1
        return f"{op.lower()}_{self.n}"

    def const(self, name, arr, as_fp16=False):
        arr = np.asarray(arr)
        if as_fp16:
            arr = arr.astype(np.float16)
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def weight(self, name, shape, scale):
        """Seeded N(0, scale^2) weights; float16 initializers when the model keeps them so."""
        w = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        return self.const(name, w, self.fp16)

    def node(self, op, inputs, out=None, **attrs):
        out = out or self.fresh(op)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out + "_node", **attrs))
        return out

    # ---- layers ----
    def conv(self, x, cin, cout, k, group=1, bias=True, **attrs):
        kh, kw = (k, k) if isinstance(k, int) else k
        name = self.fresh("Conv")
        w = self.weight(name + ".weight", (cout, cin // group, kh, kw), (2.0 / (cin // group * kh * kw)) ** 0.5)
        ins = [x, w]
        if bias:
            ins.append(self.weight(name + ".bias", (cout,), 0.1))
        return self.node("Conv", ins, name, kernel_shape=[kh, kw], group=group, **attrs)

    def bn(self, x, c, fold_from=None):
        name = self.fresh("BatchNormalization")
        r = self.rng
        scale = self.const(name + ".weight", (0.5 + r.random(c)).astype(np.float32))
        b = self.const(name + ".bias", (0.2 * r.standard_normal(c)).astype(np.float32))
        mean = self.const(name + ".running_mean", (0.2 * r.standard_normal(c)).astype(np.float32))
        var = self.const(name + ".running_var", (0.5 + r.random(c)).astype(np.float32))
        if fold_from is not None:
            self.folded.append(fold_from)
        return self.node("BatchNormalization", [x, scale, b, mean, var], name, epsilon=1e-5)

    def conv_bn(self, x, cin, cout, k, **attrs):
        y = self.conv(x, cin, cout, k, bias=False, **attrs)
        return self.bn(y, cout, fold_from=y)

    def clip6(self, x, opset):
        lo, hi = self.const(self.fresh("min"), np.array(0, np.float32)), self.const(self.fresh("max"), np.array(6, np.float32))
        return self.node("Clip", [x, lo, hi])

    def model(self, out, opset):
        inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, list(self.shape))
        outp = helper.make_tensor_value_info(out, TensorProto.FLOAT, None)
        graph = helper.make_graph(self.nodes, self.name, [inp], [outp], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="featvis-tests")
        m.ir_version = IR[opset]
        if not self.fp16:  # the output's shape, as onnx infers it (strict: a shape error fails here)
            m = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
            del m.graph.value_info[:]
        return m


# ---------- the models: each a function (opset) -> G, output name ----------

def conv_variants(opset):
    """Conv: bias, groups, dilations, asymmetric pads, depthwise with SAME_UPPER, VALID, strides; non-square."""
    g = G("conv_variants", 1, h=27, w=33)
    x = g.node("Relu", [g.conv("input", 3, 8, 3, pads=[1, 1, 1, 1])])
    x = g.conv(x, 8, 8, 3, group=2, dilations=[2, 2], pads=[1, 0, 2, 1])
    x = g.conv(x, 8, 8, 3, group=8, strides=[2, 2], auto_pad="SAME_UPPER")
    x = g.conv(x, 8, 12, (1, 3), bias=False, auto_pad="VALID")
    x = g.conv(x, 12, 6, (3, 2), strides=[2, 1], pads=[0, 1, 1, 0])
    return g, x


def conv_same_lower(opset):
    """auto_pad SAME_LOWER at stride 2 (the extra padding on the top and left)."""
    g = G("conv_same_lower", 2, h=20, w=18)
    x = g.conv("input", 3, 6, 4, strides=[2, 2], auto_pad="SAME_LOWER")
    x = g.conv(x, 6, 6, 3, strides=[2, 2], auto_pad="SAME_LOWER", group=3)
    return g, x


def activations(opset):
    """LeakyRelu, Clip (ReLU6), Sigmoid, HardSigmoid, HardSwish (opset 14 on), SiLU as x * Sigmoid(x)."""
    g = G("activations", 3)
    x = g.conv("input", 3, 8, 3, pads=[1, 1, 1, 1])
    a = g.node("LeakyRelu", [x], alpha=0.1)
    x = g.conv(a, 8, 8, 3, pads=[1, 1, 1, 1])
    x = g.clip6(x, opset)
    x = g.conv(x, 8, 8, 1)
    s = g.node("Sigmoid", [x])
    x = g.node("Mul", [x, s])  # SiLU
    x = g.node("HardSigmoid", [x], alpha=0.25, beta=0.4)
    x = g.conv(x, 8, 8, 3, pads=[1, 1, 1, 1])
    x = g.node("HardSwish", [x]) if opset >= 14 else g.node("Relu", [x])
    return g, x


def pools(opset):
    """MaxPool ceil_mode, padded MaxPool, AveragePool with and without count_include_pad (also at ceil_mode),
    GlobalAveragePool."""
    g = G("pools", 4, h=31, w=29)
    x = g.node("Relu", [g.conv("input", 3, 6, 3)])
    m1 = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    m2 = g.node("MaxPool", [m1], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    a1 = g.node("AveragePool", [m2], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)
    a2 = g.node("AveragePool", [m2], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0)
    a3 = g.node("AveragePool", [m2], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1], ceil_mode=1,
                count_include_pad=1)
    a4 = g.node("AveragePool", [m2], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    x = g.node("Add", [a1, a2])
    return g, g.node("Concat", [g.node("GlobalAveragePool", [t]) for t in (x, a3, a4)], axis=1)


def residual(opset):
    """A ResNet basic block with a projection shortcut: conv-BN-relu-conv-BN + conv-BN, add, relu; then one
    with an identity shortcut."""
    g = G("residual", 5)
    x = g.node("Relu", [g.conv_bn("input", 3, 8, 3, pads=[1, 1, 1, 1])])
    y = g.node("Relu", [g.conv_bn(x, 8, 16, 3, strides=[2, 2], pads=[1, 1, 1, 1])])
    y = g.conv_bn(y, 16, 16, 3, pads=[1, 1, 1, 1])
    s = g.conv_bn(x, 8, 16, 1, strides=[2, 2])
    x = g.node("Relu", [g.node("Add", [y, s])])
    y = g.node("Relu", [g.conv_bn(x, 16, 16, 3, pads=[1, 1, 1, 1])])
    y = g.conv_bn(y, 16, 16, 3, pads=[1, 1, 1, 1])
    return g, g.node("Relu", [g.node("Add", [x, y])])


def depthwise_separable(opset):
    """MobileNet blocks: depthwise conv-BN-ReLU6, pointwise conv-BN-ReLU6; an inverted residual with a linear
    bottleneck and its residual Add."""
    g = G("depthwise_separable", 6)
    x = g.clip6(g.conv_bn("input", 3, 8, 3, strides=[2, 2], pads=[1, 1, 1, 1]), opset)
    x = g.clip6(g.conv_bn(x, 8, 8, 3, group=8, pads=[1, 1, 1, 1]), opset)
    x = g.conv_bn(x, 8, 8, 1)
    y = g.clip6(g.conv_bn(x, 8, 24, 1), opset)
    y = g.clip6(g.conv_bn(y, 24, 24, 3, group=24, pads=[1, 1, 1, 1]), opset)
    y = g.conv_bn(y, 24, 8, 1)
    return g, g.node("Add", [x, y])


def inception(opset):
    """An inception module: 1x1, 1x1-3x3, 1x1-5x5 and maxpool-1x1 branches concatenated on channels; LRN."""
    g = G("inception", 7)
    x = g.node("Relu", [g.conv("input", 3, 16, 7, strides=[2, 2], pads=[3, 3, 3, 3])])
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    x = g.node("LRN", [x], size=5, alpha=1e-4, beta=0.75, bias=1.0)
    b1 = g.node("Relu", [g.conv(x, 16, 8, 1)])
    b2 = g.node("Relu", [g.conv(g.node("Relu", [g.conv(x, 16, 6, 1)]), 6, 10, 3, pads=[1, 1, 1, 1])])
    b3 = g.node("Relu", [g.conv(g.node("Relu", [g.conv(x, 16, 4, 1)]), 4, 6, 5, pads=[2, 2, 2, 2])])
    p = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    b4 = g.node("Relu", [g.conv(p, 16, 4, 1)])
    x = g.node("Concat", [b1, b2, b3, b4], axis=1)
    return g, g.node("LRN", [x], size=3, alpha=2e-3, beta=0.6, bias=2.0)


def squeeze_excitation(opset):
    """Squeeze-excitation: GlobalAveragePool, 1x1 conv, ReLU, 1x1 conv, Sigmoid (HardSigmoid in the second
    block), Mul broadcast over the channels' planes."""
    g = G("squeeze_excitation", 8)
    x = g.node("Relu", [g.conv("input", 3, 16, 3, pads=[1, 1, 1, 1])])
    s = g.node("GlobalAveragePool", [x])
    s = g.node("Sigmoid", [g.conv(g.node("Relu", [g.conv(s, 16, 4, 1)]), 4, 16, 1)])
    x = g.node("Mul", [x, s])
    x = g.node("Relu", [g.conv(x, 16, 8, 3, strides=[2, 2], pads=[1, 1, 1, 1])])
    s = g.node("GlobalAveragePool", [x])
    s = g.node("HardSigmoid", [g.conv(g.node("Relu", [g.conv(s, 8, 2, 1)]), 2, 8, 1)], alpha=1 / 6, beta=0.5)
    return g, g.node("Mul", [x, s])


def bn_gemm_head(opset):
    """BatchNormalization alone (after a ReLU: nothing to fold into), Dropout, Identity, Pad (constant), then a
    classifier head: GlobalAveragePool, Flatten, Gemm (transB), BN-free ReLU, Gemm, Softmax."""
    g = G("bn_gemm_head", 9)
    x = g.node("Relu", [g.conv("input", 3, 8, 3)])
    x = g.bn(x, 8)
    x = g.node("Dropout", [x])
    x = g.node("Identity", [x])
    pads = g.const("pads", np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64))
    x = g.node("Pad", [x, pads, g.const("pad_value", np.array(0.5, np.float32))], mode="constant")
    x = g.node("Relu", [g.conv(x, 8, 16, 3, strides=[2, 2])])
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], axis=1)
    w1, b1 = g.weight("fc1.weight", (32, 16), 0.35), g.weight("fc1.bias", (32,), 0.1)
    x = g.node("Relu", [g.node("Gemm", [x, w1, b1], transB=1)])
    w2, b2 = g.weight("fc2.weight", (32, 10), 0.25), g.weight("fc2.bias", (10,), 0.1)
    x = g.node("Gemm", [x, w2, b2], alpha=1.0, beta=1.0)
    return g, g.node("Softmax", [x], axis=1)


def reshape_matmul(opset):
    """A VGG-style head: conv, max pool, Reshape to (1, -1), MatMul, ReLU, MatMul, Softmax."""
    g = G("reshape_matmul", 10, h=16, w=16)
    x = g.node("Relu", [g.conv("input", 3, 4, 3, pads=[1, 1, 1, 1])])
    x = g.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = g.node("Reshape", [x, g.const("shape", np.array([1, -1], np.int64))])
    x = g.node("Relu", [g.node("MatMul", [x, g.weight("fc1", (4 * 8 * 8, 24), 0.08)])])
    x = g.node("MatMul", [x, g.weight("fc2", (24, 7), 0.3)])
    return g, g.node("Softmax", [x], axis=1)


def binary_const(opset):
    """Add and Mul with a per-channel constant (1, C, 1, 1) and a scalar constant."""
    g = G("binary_const", 11)
    x = g.conv("input", 3, 6, 3, pads=[1, 1, 1, 1])
    x = g.node("Mul", [x, g.weight("chan_scale", (1, 6, 1, 1), 1.0)])
    x = g.node("Add", [x, g.weight("chan_shift", (1, 6, 1, 1), 0.5)])
    x = g.node("Relu", [x])
    return g, g.node("Mul", [x, g.const("half", np.array(0.5, np.float32))])


def fp16_weights(opset):
    """The residual block with every weight stored as a float16 initializer."""
    g = G("fp16_weights", 12, fp16=True)
    x = g.node("Relu", [g.conv("input", 3, 8, 3, pads=[1, 1, 1, 1])])
    y = g.node("Relu", [g.conv(x, 8, 8, 3, pads=[1, 1, 1, 1])])
    y = g.conv(y, 8, 8, 3, pads=[1, 1, 1, 1])
    x = g.node("Relu", [g.node("Add", [x, y])])
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], axis=1)
    return g, g.node("Gemm", [x, g.weight("fc.weight", (5, 8), 0.3), g.weight("fc.bias", (5,), 0.1)], transB=1)


MODELS = [conv_variants, conv_same_lower, activations, pools, residual, depthwise_separable, inception,
          squeeze_excitation, bn_gemm_head, reshape_matmul, binary_const, fp16_weights]


def fp32_twin(m):
    """The same model with float16 initializers widened to float32 (onnxruntime's reference)."""
    t = onnx.ModelProto()
    t.CopyFrom(m)
    for i, init in enumerate(t.graph.initializer):
        if init.data_type == TensorProto.FLOAT16:
            arr = numpy_helper.to_array(init).astype(np.float32)
            t.graph.initializer[i].CopyFrom(numpy_helper.from_array(arr, init.name))
    return t


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = []
    for make in MODELS:
        for opset in (11, 17, 21):
            g, last = make(opset)
            m = g.model(last, opset)
            name = f"{g.name}_op{opset}"
            path = os.path.join(out, name + ".onnx")
            entry = {"name": name, "file": name + ".onnx", "opset": opset, "input": list(g.shape),
                     "folded": g.folded, "ops": sorted({n.op_type for n in m.graph.node})}
            if g.fp16:
                ref = onnx.shape_inference.infer_shapes(fp32_twin(m), check_type=True, strict_mode=True)
                del ref.graph.value_info[:]
                onnx.checker.check_model(ref, full_check=True)
                m.graph.output[0].CopyFrom(ref.graph.output[0])
                onnx.save(m, path)  # float16 weights into float ops: not type-valid for onnxruntime
                onnx.save(ref, os.path.join(out, name + ".ref.onnx"))
                entry["reference"] = name + ".ref.onnx"
            else:
                onnx.checker.check_model(m, full_check=True)
                onnx.save(m, path)
            manifest.append(entry)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    ops = sorted({o for e in manifest for o in e["ops"]})
    print(f"{len(manifest)} models in {out}; operators: {' '.join(ops)}")


if __name__ == "__main__":
    main()
