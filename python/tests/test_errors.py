"""Errors arrive as Python exceptions carrying the C library's one-line message (the CLI's line, without its
'featvis-cuda: ' prefix): ValueError, FileNotFoundError, featvis.RenderError; Ctrl-C as KeyboardInterrupt."""
import errno
import os
import signal
import threading
import time

import numpy as np
import pytest
from conftest import CAT, SMALL, WEIGHTS, cli_error

import featvis


@pytest.mark.parametrize("objective", ["mixed4a:9999", "nolayer:3", "mixed4a", "mixed4a:97+", "logit:5000"])
def test_bad_objective_is_a_value_error_with_the_cli_message(model, objective):
    want = cli_error("render", objective, "--size", "32", "--steps", "1", "-o", "/nonexistent-dir")
    with pytest.raises(ValueError) as e:
        featvis.render(model, ["mixed3a:1", objective], **SMALL)
    assert str(e.value) == want
    with pytest.raises(ValueError, match="^" + want.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        model.check_objective(objective, 32)


@pytest.mark.parametrize("option,message", [
    (dict(size=8), "--size 8: must be 16..4096"),
    (dict(steps=0), "--steps 0: must be 1..1000000"),
    (dict(lr=0.0), "--lr 0: must be a positive number"),
    (dict(tv=-1.0), "--tv -1: must be a number >= 0"),
    (dict(redirect_steps=-2), "--redirect-steps -2: must be 0..1000000"),
    (dict(diversity=65), "objective 'mixed3a:1': image count 65 must be 1..64"),
    (dict(preset="fancy"), "preset 'fancy': expected article, lucid or none"),
    (dict(param="voxel"), "param 'voxel': expected fft or pixel"),
    (dict(seed=-1), "seed -1: expected a whole number from 0 to 2**64-1"),
    (dict(cudnn_fwd_algo=9), "backend options: cuDNN forward algorithm 9 is not in [-1, 7]"),
])
def test_bad_options_are_value_errors(model, option, message):
    opts = dict(SMALL, **option)
    with pytest.raises(ValueError) as e:
        featvis.render(model, "mixed3a:1", **opts)
    assert str(e.value).startswith(message)


def test_option_types_and_names(model):
    with pytest.raises(TypeError, match="size: expected a whole number, got float"):
        featvis.render(model, "mixed3a:1", **dict(SMALL, size=32.0))
    with pytest.raises(TypeError, match="unknown render option"):
        featvis.interpolate(model, "mixed3a:1", "mixed3a:2", sizes=32)
    with pytest.raises(TypeError, match="objectives"):
        featvis.render(model, [97], **SMALL)


def test_missing_files_are_file_not_found_errors(model, monkeypatch, tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        featvis.load_model("/nonexistent/bvlc.caffemodel")
    assert str(e.value) == cli_error("layers", "--weights", "/nonexistent/bvlc.caffemodel")
    assert e.value.errno == errno.ENOENT
    with pytest.raises(FileNotFoundError, match="/nonexistent.png: cannot open"):
        model.classify("/nonexistent.png")
    with pytest.raises(FileNotFoundError, match="nothing rendered"):
        featvis.batch(str(tmp_path / "no-jobs.txt"), str(tmp_path / "out"), model, **SMALL)
    monkeypatch.delenv("FEATVIS_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as e:
        featvis.load_model()
    assert "models/fetch_weights.sh --model bvlc" in str(e.value)


def test_malformed_model_is_a_value_error(tmp_path):
    bad = tmp_path / "bvlc_googlenet.caffemodel"
    bad.write_bytes(open(WEIGHTS, "rb").read(100000))
    with pytest.raises(ValueError) as e:
        featvis.load_model(str(bad))
    assert str(bad) in str(e.value) and "\n" not in str(e.value)


def test_numerical_failure_is_a_render_error(model, tmp_path):
    v = tmp_path / "v.npy"
    np.save(v, np.full(512, 3e38, np.float32))  # dot(act, v) overflows to Inf at the first step
    with pytest.raises(featvis.RenderError, match="objective became inf at step 0"):
        featvis.render(model, "direction:mixed4a:%s" % v, **SMALL)


def test_bad_images(model):
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        model.classify(np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.classify(np.full((8, 8, 3), 2.0))
    with pytest.raises(ValueError, match="no layer|unknown layer"):
        model.activations(CAT, "mixed9z")


@pytest.mark.skipif("unavailable" not in featvis.backends()["cuda"], reason="a GPU is here")
def test_cuda_without_a_gpu_says_so(model):
    with pytest.raises(RuntimeError) as e:
        featvis.render(model, "mixed3a:1", **dict(SMALL, backend="cuda"))
    assert "\n" not in str(e.value) and str(e.value)


def test_ctrl_c_interrupts_a_render(model):
    # No Python callback: the library's progress hook itself must notice the signal (PyErr_CheckSignals), or the
    # render runs all its steps (minutes) and the interrupt only arrives after it returned.
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        featvis.render(model, "mixed3a:1", size=16, steps=5000, backend="cpu", progress=False)
    timer.join()
    assert time.monotonic() - t0 < 30
    assert len(featvis.render(model, "mixed3a:1", **SMALL)) == 1  # the model works on


def test_progress_callback_exceptions_propagate(model):
    def stop(step, steps, values):
        if step == 2:
            raise LookupError("enough")
    with pytest.raises(LookupError, match="enough"):
        featvis.render(model, "mixed3a:1", size=32, steps=50, backend="cpu", progress=stop)

    def reenter(step, steps, values):
        model.classify(CAT)
    with pytest.raises(RuntimeError, match="busy"):
        featvis.render(model, "mixed3a:1", size=32, steps=50, backend="cpu", progress=reenter)
