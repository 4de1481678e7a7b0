"""The Python API against the command line: models, layers, classify, activations (the CLI's .npy), renders
(the CLI's PNG pixels and files, byte for byte), options (every CLI render option exists, the defaults are the
library's), progress and display."""
import inspect
import os
import re

import numpy as np
import pytest
from conftest import CAT, SMALL, WEIGHTS, run_cli

import featvis
from featvis import _featvis


def test_load_model_default_weights_as_the_cli(monkeypatch, tmp_path):
    monkeypatch.setenv("FEATVIS_WEIGHTS", WEIGHTS)
    assert featvis.load_model().path == WEIGHTS
    monkeypatch.delenv("FEATVIS_WEIGHTS")
    (tmp_path / "featvis").mkdir()
    (tmp_path / "featvis" / "bvlc_googlenet.caffemodel").symlink_to(WEIGHTS)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    m = featvis.load_model()
    assert m.path == str(tmp_path / "featvis" / "bvlc_googlenet.caffemodel")
    assert (m.name, m.num_classes) == ("InceptionV1_caffe", 1000)


def test_layers_as_cli_prints_them(model):
    _, out, _ = run_cli("layers", "--size", "96")
    want = []
    for line in out.splitlines():
        if not line.startswith("#"):
            f = line.split("\t")
            want.append((f[0], int(f[1]), int(f[2]), int(f[3]), tuple(f[4].split(",")) if len(f) > 4 else ()))
    got = [tuple(l) for l in model.layers(96)]
    assert got == want and len(got) > 100
    assert ("inception_4a/output", 512, 6, 6, ("mixed4a",)) in got
    assert model.layer_shape("mixed4a", 224) == (512, 14, 14)


def test_classify_as_cli_prints_it(model):
    _, out, _ = run_cli("classify", CAT, "--top", "3", "--backend", "cpu")
    got = model.classify(CAT, top=3, backend="cpu")
    assert ["%d\t%d\t%.4f\t%s" % tuple(p) for p in got] == out.splitlines()
    assert got[0].index == 285 and abs(got[0].probability - 0.562) < 1e-3 and got[0].name == "Egyptian cat"


def test_images_as_path_pil_and_arrays_are_the_same_pixels(model):
    from PIL import Image
    pil = Image.open(CAT)
    u8 = np.asarray(pil.convert("RGB"))
    want = model.probabilities(CAT, backend="cpu")
    for image in (pil, u8, u8.astype(np.float64) / 255.0, featvis.read_image(CAT)):
        assert np.array_equal(model.probabilities(image, backend="cpu"), want)
    assert want.shape == (1000,) and want.dtype == np.float32


@pytest.mark.parametrize("layer", ["mixed3a", "mixed4d_pre_relu", "conv2/3x3"])
def test_activations_equal_the_cli_npy(model, tmp_path, layer):
    npy = tmp_path / "act.npy"
    run_cli("activations", CAT, "--layer", layer, "-o", str(npy), "--backend", "cpu")
    want = np.load(npy)
    got = model.activations(CAT, layer, backend="cpu")
    assert got.dtype == np.float32 and want.shape == (1,) + got.shape
    assert np.array_equal(got, want[0])


def _png_pixels(path):
    from PIL import Image
    with Image.open(path) as im:
        assert im.mode == "RGB"
        return np.asarray(im)


# Non-default values for every option that changes pixels, each distinct, so a crossed wire shows.
OPTIONS = [([], {}),
           (["--seed", "7", "--preset", "lucid", "--lr", "0.07", "--redirect-steps", "2", "--tv", "0.001",
             "--l1", "0.002", "--l2", "0.3", "--blur", "0.004", "--diversity-weight", "50", "--no-decorrelate"],
            dict(seed=7, preset="lucid", lr=0.07, redirect_steps=2, tv=0.001, l1=0.002, l2=0.3, blur=0.004,
                 diversity_weight=50, decorrelate=False)),
           (["--param", "pixel", "--preset", "none", "--init", CAT, "--batch-size", "1"],
            dict(param="pixel", preset="none", init=CAT, batch_size=1))]


@pytest.mark.parametrize("cli_opts,py_opts", OPTIONS, ids=["defaults", "settings", "pixel-init"])
def test_render_is_the_cli_render_byte_for_byte(model, tmp_path, cli_opts, py_opts):
    objs = ["mixed3a:1", "-mixed4a:97", "mixed4a:97@1,0+0.5*logit:285"]
    run_cli("render", *objs, "--size", "32", "--steps", "4", "--backend", "cpu", "-o", str(tmp_path / "cli"),
            *cli_opts)
    imgs = featvis.render(model, objs, **SMALL, **py_opts)
    assert len(imgs) == 3 and all(im.shape == (32, 32, 3) and im.dtype == np.float32 for im in imgs)
    paths = imgs.save(tmp_path / "py")
    assert sorted(os.path.basename(p) for p in paths) == sorted(os.listdir(tmp_path / "cli"))
    for im, p in zip(imgs, paths):
        cli_png = tmp_path / "cli" / os.path.basename(p)
        assert np.array_equal(featvis.to_uint8(im), _png_pixels(cli_png))  # the same 8-bit conversion
        assert open(p, "rb").read() == cli_png.read_bytes()  # and the same file, tEXt provenance included


def test_diversity_group_as_cli(model, tmp_path):
    _, out, _ = run_cli("render", "mixed4a:97", "--diversity", "2", "--size", "32", "--steps", "3", "--json",
                        "--backend", "cpu", "-o", str(tmp_path / "cli"))
    imgs = featvis.render(model, "mixed4a:97", size=32, steps=3, diversity=2, backend="cpu", progress=False)
    assert len(imgs) == 2 and imgs.labels() == ["mixed4a:97 #0", "mixed4a:97 #1"]
    import json
    lines = [json.loads(l) for l in out.splitlines()]
    for info, line, im in zip(imgs.info, lines, imgs):
        assert (info["objective"], info["index"]) == (line["objective"], line["index"])
        for k in ("diversity_first", "diversity_last", "objective_first", "objective_last"):  # JSON: %.6g
            assert info[k] == pytest.approx(line[k], rel=1e-5), k
        assert np.array_equal(featvis.to_uint8(im), _png_pixels(line["file"]))
    assert not np.array_equal(imgs[0], imgs[1])


def test_interpolate_is_the_cli_interpolation(model, tmp_path):
    run_cli("interpolate", "mixed4a:97", "mixed4a:143", "--frames", "2", "--size", "32", "--steps", "2",
            "--alignment", "0.2", "--backend", "cpu", "-o", str(tmp_path / "cli"))
    frames = featvis.interpolate(model, "mixed4a:97", "mixed4a:143", frames=2, alignment=0.2, size=32, steps=2,
                                 backend="cpu", progress=False)
    for p in frames.save(tmp_path / "py"):
        assert open(p, "rb").read() == (tmp_path / "cli" / os.path.basename(p)).read_bytes()


def _cli_flags(help_text, start, end):
    section = help_text.split(start, 1)[1].split(end, 1)[0]
    return set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", section))


def test_every_cli_render_option_is_a_python_option():
    _, out, _ = run_cli("--help")
    params = set(inspect.signature(featvis.render).parameters)
    flags = _cli_flags(out, "render options:", "interpolate options") | {"backend", "verbose"}
    flags |= _cli_flags(out, "CUDA options:", "other:")
    # -o and --json are how the CLI prints what render returns: Renders.save(out) writes the same files, and
    # Renders.info holds the --json values.
    renamed = {"no-decorrelate": "decorrelate", "output": None, "json": None}
    want = {renamed.get(f, f.replace("-", "_")) for f in flags} - {None}
    assert want <= params, want - params
    interp = set(inspect.signature(featvis.interpolate).parameters)
    assert {f.replace("-", "_") for f in _cli_flags(out, "interpolate options", "-o DIR")} <= interp
    assert {"shard", "skip_invalid"} <= set(inspect.signature(featvis.batch).parameters)


def test_python_defaults_are_the_library_defaults():
    lib = _featvis.render_defaults()
    sig = inspect.signature(featvis.render).parameters
    none_means = {"batch_size": 0, "cudnn_fwd_algo": -1, "cudnn_bwd_algo": -1}
    for name, value in lib.items():
        default = sig[name].default
        default = none_means.get(name, default) if default is None else default
        assert np.float32(default) == np.float32(value) if isinstance(value, float) else default == value, name


def test_progress_callback_and_tqdm(model, capsys):
    seen = []
    featvis.render(model, ["mixed3a:1", "mixed3a:2"], size=32, steps=3, backend="cpu",
                   progress=lambda step, steps, values: seen.append((step, steps, len(values))))
    assert seen == [(1, 3, 2), (2, 3, 2), (3, 3, 2)]
    featvis.render(model, "mixed3a:1", size=32, steps=2, backend="cpu")  # progress=None: tqdm, installed here
    assert "2/2" in capsys.readouterr().err


def test_display_in_jupyter(model, tmp_path):
    imgs = featvis.render(model, ["mixed3a:1", "mixed3a:2"], **SMALL)
    png = imgs._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    sheet = featvis.tile(imgs, ["a", "b"], title="two")
    assert sheet.image.shape[2] == 3 and sheet.image.shape[1] > 2 * 32
    sheet.save(tmp_path / "sheet.png")
    assert (tmp_path / "sheet.png").read_bytes()[:4] == b"\x89PNG"
