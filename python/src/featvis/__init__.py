"""featvis: feature visualisation for GoogLeNet/InceptionV1 (Olah, Mordvintsev, Schubert, "Feature
Visualization", Distill 2017; Lucid's recipe) from Python, over the featvis-cuda C library: the same renders,
batches and CUDA backend as the `featvis-cuda` command line, with numpy at the boundary.

    import featvis
    model = featvis.load_model()                       # $FEATVIS_WEIGHTS or the weights cache, as the CLI
    imgs = featvis.render(model, ["mixed4a:97", "mixed4a:143"], size=128, steps=512)
    imgs[0].shape                                      # (128, 128, 3) float32 in [0, 1]
    imgs                                               # in Jupyter: the images tiled with their objectives
    featvis.render(model, "mixed4a:97", diversity=4)   # a diversity group of 4
    model.classify("cat.png"), model.activations("cat.png", "mixed4a")   # (C, H, W) float32

Errors carry the C library's one-line message: ValueError (bad objective, option or file content),
FileNotFoundError (missing file), featvis.RenderError (an objective became NaN or Inf); Ctrl-C during a
render or batch raises KeyboardInterrupt with nothing half-written.
"""

from ._featvis import VERSION as __version__
from ._featvis import RenderError
from ._images import Sheet, read_image, save_png, tile, to_uint8
from ._model import Layer, Model, Prediction, Preprocess, load_model
from ._render import BatchStats, Renders, batch, interpolate, render

__all__ = ["BatchStats", "Layer", "Model", "Prediction", "Preprocess", "RenderError", "Renders", "Sheet", "batch",
           "backends", "interpolate", "load_model", "read_image", "render", "save_png", "tile", "to_uint8"]


def backends():
    """The backends this build and machine can run: {"cpu": description, "cuda": description or why none}."""
    from ._featvis import probe
    cpu, cuda = probe(False), probe(True)
    return {"cpu": cpu[1] or "cpu", "cuda": cuda[1] if cuda[0] else "unavailable: " + cuda[1]}
