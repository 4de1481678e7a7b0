"""Models: load a model file (BVLC GoogLeNet .caffemodel, inception5h .pb or any CNN as .onnx) through the C
library, list its layers, set its input convention, classify images and read activations."""

import os
import warnings
from typing import NamedTuple

import numpy as np

from . import _featvis
from ._images import as_planar

# The options that choose and open a backend (the command line's --backend, --precision, --cudnn-*, -v).
BACKEND_OPTIONS = ("backend", "precision", "device", "cudnn_fwd_algo", "cudnn_bwd_algo", "cudnn_workspace_mib",
                   "cudnn_find", "verbose")


class Layer(NamedTuple):
    """A layer the model exposes (objectives and activations name it), with its shape at some input size."""
    name: str
    channels: int
    height: int
    width: int
    aliases: tuple = ()  # other names that pick the same tensor (mixed4a; a PyTorch module path), as `layers` lists


class Prediction(NamedTuple):
    """One line of `featvis-cuda classify`: rank (1 = most probable), class index, probability, class name."""
    rank: int
    index: int
    probability: float
    name: str


class Preprocess(NamedTuple):
    """A model's input convention (the command line's --preprocess, --order, --range, --mean, --std): a picture's
    values v in [0, 1], channels in `order`, become (lo + v * (hi - lo) - mean[c]) / std[c], with range = (lo, hi)
    and mean, std per network channel in the network's order."""
    order: str
    range: tuple
    mean: tuple
    std: tuple
    description: str  # as the PNG provenance records it ("preset=torchvision order=rgb range=0,1 ...")


def _preprocess(t):
    order, lo, hi, mean, std, text = t
    return Preprocess(order, (lo, hi), tuple(mean), tuple(std), text)


def load_model(path=None, model="auto", preprocess=None):
    """Load a model file and build its network.

    path: a BVLC GoogLeNet `.caffemodel`, an inception5h `.pb` or an ONNX model `.onnx`; None takes what
    `featvis-cuda` takes without --weights: $FEATVIS_WEIGHTS, else the weights cache $XDG_CACHE_HOME/featvis/bvlc_googlenet.caffemodel
    (FileNotFoundError saying how to fetch it when it is not there).
    model: "auto" (from the file's content), "caffe", "inception5h" or "onnx".
    preprocess: None (the file's own input convention: torchvision's for ONNX files) or a preset name
    ("torchvision", "caffe", "inception", "inception5h", "none"); Model.set_preprocess changes parts of it.

    Raises FileNotFoundError for a missing file, ValueError for a malformed one (the library's one-line message,
    naming the file and the layer at fault)."""
    path = _featvis.default_weights() if path is None else os.fsdecode(path)
    m = Model(_featvis.load_model(path, model), path)
    if preprocess is not None:
        m.set_preprocess(preprocess)
    return m


class Model:
    """A loaded model (load_model). Safe to share between threads: calls on one model run one at a time.

    Attributes: name ("InceptionV1_caffe" or "InceptionV1"), path, sha256 (of the file), num_classes."""

    def __init__(self, c_model, path):
        self._c = c_model
        self.path = path
        info = c_model.info()
        self.name, self.sha256, self.num_classes = info["name"], info["sha256"], info["num_classes"]
        self._backends = {}

    def __repr__(self):
        return "<featvis.Model %s from %s>" % (self.name, self.path)

    def layers(self, size=128):
        """Every layer the model exposes, as Layer(name, channels, height, width, aliases) for a size x size input
        (what `featvis-cuda layers --size S` prints): model names, `_pre_relu` twins and aliases (mixed4a...)."""
        return [Layer(*t) for t in self._c.layers(int(size))]

    @property
    def preprocess(self):
        """The input convention in use (Preprocess)."""
        return _preprocess(self._c.preprocess())

    def set_preprocess(self, preset=None, *, order=None, range=None, mean=None, std=None):
        """Change the input convention as the command line's options do: a preset replaces it ("torchvision",
        "caffe", "inception", "inception5h", "none"), then order ("rgb"/"bgr"), range (lo, hi), mean and std (three
        numbers each, in the network's channel order) replace their parts. ValueError naming a bad value."""
        base = _preprocess(_featvis.preprocess_preset(preset)) if preset is not None else self.preprocess
        lo, hi = base.range if range is None else range
        mean, std = base.mean if mean is None else mean, base.std if std is None else std
        if len(tuple(mean)) != 3 or len(tuple(std)) != 3:
            raise ValueError("mean and std: expected 3 numbers each (one per network channel)")
        self._c.set_preprocess(base.order if order is None else order, lo, hi, tuple(mean), tuple(std))

    def layer_shape(self, layer, size=128):
        """(channels, height, width) of a layer (any name or alias) for a size x size input; ValueError if unknown."""
        return self._c.layer_shape(layer, int(size))

    def check_objective(self, objective, size=128):
        """Parse an objective as render would (ValueError with the library's message if it is bad)."""
        self._c.check_objective(objective, int(size))

    def probabilities(self, image, **backend_options):
        """Class probabilities (softmax of the logits) of one image: numpy (num_classes,) float32.

        image: a path, a PIL image or a numpy array (H, W, 3), uint8 or float in [0, 1]; resized (bilinear) to
        224 x 224 when it is another size, as `featvis-cuda classify` does. backend_options: backend ("auto",
        "cpu", "cuda"), precision, device, cudnn_* and verbose, as for render."""
        be = self._backend(backend_options)
        return np.frombuffer(self._c.classify(be, as_planar(image)), dtype=np.float32).copy()

    def classify(self, image, top=5, labels=None, **backend_options):
        """The top classes of one image, as `featvis-cuda classify IMAGE --top K --labels FILE` prints them: a list
        of Prediction(rank, index, probability, name).

        Class names come from `labels` (a file, one name per line) or from synset_words.txt,
        testdata/synset_words.txt or imagenet_comp_graph_label_strings.txt beside the model file ("" if none)."""
        p = self.probabilities(image, **backend_options)
        names = _featvis.labels(None if labels is None else os.fsdecode(labels), self.path, len(p)) or []
        order = sorted(range(len(p)), key=lambda k: (-p[k], k))[:max(1, min(int(top), len(p)))]
        return [Prediction(r + 1, k, float(p[k]), (names[k] if k < len(names) and names[k] else ""))
                for r, k in enumerate(order)]

    def activations(self, image, layer, **backend_options):
        """The activations of `layer` (any name or alias) for one image at its own size: numpy (C, H, W) float32,
        as `featvis-cuda activations IMAGE --layer L -o OUT.npy` writes them (there with a leading 1)."""
        be = self._backend(backend_options)
        data, c, h, w = self._c.activations(be, as_planar(image), layer)
        return np.frombuffer(data, dtype=np.float32).reshape(c, h, w).copy()

    def _backend(self, options):
        """The backend instance these options name, opened once per model and kept (a CUDA context, its cuDNN
        algorithm cache and the uploaded weights serve every later call)."""
        unknown = set(options) - set(BACKEND_OPTIONS)
        if unknown:
            raise TypeError("unknown backend option(s): %s" % ", ".join(sorted(unknown)))
        opts = {k: v for k, v in options.items() if v is not None}
        key = tuple(sorted((k, repr(v)) for k, v in opts.items()))
        be = self._backends.get(key)
        if be is None:
            be = _featvis.Backend(opts)
            if be.notice:
                warnings.warn(be.notice, RuntimeWarning, stacklevel=4)
            self._backends[key] = be
        return be

    def close(self):
        """Release the backends opened for this model (the model itself is freed with the object)."""
        self._backends.clear()
