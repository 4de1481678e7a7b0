"""Fixtures of the Python package's tests: the BVLC weights and the cat image from the shared folder
(FV_SHARED_DIR, default ../shared beside the repository), the command line to compare with (FEATVIS_CLI,
default build/featvis-cuda), the model loaded once, and a helper that runs the CLI."""
import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("FV_SHARED_DIR") or os.path.join(REPO, "..", "shared")
MODEL_DIR = os.path.join(SHARED, "models", "bvlc_googlenet")
WEIGHTS = os.path.join(MODEL_DIR, "bvlc_googlenet.caffemodel")
CAT = os.path.join(MODEL_DIR, "testdata", "cat_224.png")
CLI = os.environ.get("FEATVIS_CLI") or os.path.join(REPO, "build", "featvis-cuda")

# Small renders keep the suite within its CI budget; the same settings go to both sides.
SMALL = dict(size=32, steps=4, backend="cpu", progress=False)


@pytest.fixture(scope="session")
def model():
    import featvis
    return featvis.load_model(WEIGHTS)


def run_cli(*args, check=True):
    """featvis-cuda ARGS with the test weights: (returncode, stdout, stderr)."""
    assert os.access(CLI, os.X_OK), "no featvis-cuda at %s (set FEATVIS_CLI or build it: scripts/build.sh)" % CLI
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    weights = [] if "--weights" in args else ["--weights", WEIGHTS]
    p = subprocess.run([CLI, *args, *weights], capture_output=True, text=True, env=env)
    if check:
        assert p.returncode == 0, p.stderr
    return p.returncode, p.stdout, p.stderr


def cli_error(*args):
    """The one-line error of a failing CLI call, without its 'featvis-cuda: ' prefix."""
    rc, _, err = run_cli(*args, check=False)
    assert rc != 0
    line = [l for l in err.splitlines() if l.startswith("featvis-cuda: ")][-1]
    return line[len("featvis-cuda: "):]
