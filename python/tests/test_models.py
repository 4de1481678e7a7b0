"""Models beyond the GoogLeNet file: input conventions (the command line's --preprocess options) and ONNX files
(written here with the onnx package), each against the command line on the same file."""
import numpy as np
import pytest
from conftest import CAT, WEIGHTS, run_cli

import featvis


def test_input_convention_as_the_cli(tmp_path):
    m = featvis.load_model(WEIGHTS)
    own = m.preprocess
    assert (own.order, own.range, own.mean, own.std) == ("bgr", (0.0, 255.0), (104.0, 117.0, 123.0), (1.0, 1.0, 1.0))
    before = m.activations(CAT, "conv1/7x7_s2", backend="cpu")
    m.set_preprocess("torchvision", std=(0.5, 0.25, 0.125))
    got = m.preprocess
    assert got.order == "rgb" and got.range == (0.0, 1.0) and got.std == (0.5, 0.25, 0.125)
    assert np.allclose(got.mean, (0.485, 0.456, 0.406)) and "std=0.5,0.25,0.125" in got.description
    npy = tmp_path / "act.npy"
    run_cli("activations", CAT, "--layer", "conv1/7x7_s2", "-o", str(npy), "--backend", "cpu",
            "--preprocess", "torchvision", "--std", "0.5,0.25,0.125")
    after = m.activations(CAT, "conv1/7x7_s2", backend="cpu")
    assert np.array_equal(after, np.load(npy)[0]) and not np.allclose(after, before)
    assert featvis.load_model(WEIGHTS, preprocess="none").preprocess.description.startswith("preset=none")


@pytest.mark.parametrize("bad, message", [(dict(preset="imagenet"), "imagenet"), (dict(order="gbr"), "gbr"),
                                          (dict(std=(1, 0, 1)), "std"), (dict(range=(1, 1)), "range"),
                                          (dict(mean=(1, 2)), "3 numbers")])
def test_bad_conventions_are_value_errors(model, bad, message):
    with pytest.raises(ValueError, match=message):
        model.set_preprocess(**bad)
    assert model.preprocess.order == "bgr", "a refused convention changes nothing"


def _tiny_onnx(path):
    """x (1,3,8,8) -> Conv 3x3 (4 out, no pad) -> Relu -> GlobalAveragePool, names as torch.onnx.export gives."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    w = (np.arange(4 * 3 * 3 * 3, dtype=np.float32).reshape(4, 3, 3, 3) % 7 - 3) / 8
    nodes = [helper.make_node("Conv", ["x", "w"], ["/conv1/Conv_output_0"], name="/conv1/Conv"),
             helper.make_node("Relu", ["/conv1/Conv_output_0"], ["/relu/Relu_output_0"], name="/relu/Relu"),
             helper.make_node("GlobalAveragePool", ["/relu/Relu_output_0"], ["y"], name="/pool/GlobalAveragePool")]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1])],
                              [numpy_helper.from_array(w, "w")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return w


def test_an_onnx_model_as_the_cli(tmp_path):
    path = tmp_path / "tiny.onnx"
    w = _tiny_onnx(path)
    m = featvis.load_model(str(path))
    assert m.name == "onnx:tiny" and m.preprocess.description.startswith("preset=torchvision")
    layers = {l.name: l for l in m.layers(size=16)}
    assert layers["/relu/Relu_output_0"] == ("/relu/Relu_output_0", 4, 14, 14, ("relu",))
    assert featvis.load_model(str(path), model="onnx").name == "onnx:tiny"
    _, out, _ = run_cli("layers", "--weights", str(path), "--size", "16")
    assert "/relu/Relu_output_0\t4\t14\t14\trelu" in out
    # Activations of a picture by hand: torchvision's convention, then the convolution and the ReLU.
    rgb = (np.arange(8 * 8 * 3, dtype=np.float32).reshape(8, 8, 3) * 37 % 256 / 255)
    x = (rgb - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    x = x.transpose(2, 0, 1)
    want = np.zeros((4, 6, 6), np.float32)
    for o in range(4):
        for i in range(6):
            for j in range(6):
                want[o, i, j] = max(0.0, float((x[:, i:i + 3, j:j + 3] * w[o]).sum()))
    got = m.activations(rgb, "relu", backend="cpu")
    assert got.shape == (4, 6, 6) and np.allclose(got, want, rtol=1e-5, atol=1e-5)
    imgs = featvis.render(m, ["relu:2"], size=16, steps=3, backend="cpu", progress=False)
    assert imgs[0].shape == (16, 16, 3)
    with pytest.raises(ValueError, match="unknown layer"):
        featvis.render(m, ["mixed4a:97"], size=16, steps=1, backend="cpu", progress=False)
