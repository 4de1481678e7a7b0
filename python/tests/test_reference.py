"""Activations through Python against an independent reference: the float64 numpy GoogLeNet of
tests/reference/check_activations.py (written from the shared folder's PROVENANCE.md, reading the raw weight
files, not the .caffemodel the library loads)."""
import os
import sys

import numpy as np
import pytest
from conftest import MODEL_DIR, REPO

sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
from check_activations import GoogLeNet  # noqa: E402


@pytest.fixture(scope="module")
def picture_and_reference():
    yy, xx = np.mgrid[0:96, 0:112] / 64.0  # not square, not the cat
    rgb = np.stack([0.5 + 0.5 * np.sin(7 * xx + 3 * yy), 0.5 + 0.5 * np.cos(5 * yy * xx), (xx + yy) / 3.5], axis=-1)
    u8 = np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)
    ref = GoogLeNet(os.path.join(MODEL_DIR, "weights")).forward(u8.transpose(2, 0, 1).astype(np.float64) / 255.0)
    return u8, ref


@pytest.mark.parametrize("layer", ["conv1/7x7_s2", "conv2/norm2", "inception_4a/output", "inception_5b/output"])
def test_activations_equal_the_numpy_googlenet(model, picture_and_reference, layer):
    u8, ref = picture_and_reference
    got = model.activations(u8, layer, backend="cpu").astype(np.float64)
    want = ref[layer]
    assert got.shape == want.shape
    assert np.abs(got - want).max() / np.abs(want).max() < 1e-4
