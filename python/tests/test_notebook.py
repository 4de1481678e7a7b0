"""The example notebook runs as a user's would (nbclient, a Python kernel) and shows its renders as images."""
import os

import nbformat
from conftest import WEIGHTS
from nbclient import NotebookClient

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "examples", "quickstart.ipynb")


def test_quickstart_notebook_shows_its_renders(monkeypatch, tmp_path):
    monkeypatch.setenv("FEATVIS_WEIGHTS", WEIGHTS)
    monkeypatch.setenv("FEATVIS_EXAMPLE_SIZE", "32")
    monkeypatch.setenv("FEATVIS_EXAMPLE_STEPS", "3")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    shown = [c for c in code if any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert len(shown) == 2, [c.outputs for c in code]
    assert "(32, 32, 3) float32" in "".join(o.get("text", "") for o in code[-1].outputs)
