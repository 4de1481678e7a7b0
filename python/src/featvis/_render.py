"""Rendering from Python: render (every objective in one batch, as `featvis-cuda render`), interpolate (as
`featvis-cuda interpolate`) and batch (a resumable job-file run, as `featvis-cuda --batch`). The options are the
command line's render options under Python names; all the work is the C library's."""

import inspect
import os
import re
import shutil
import tempfile
import warnings
from typing import NamedTuple

from . import _featvis
from ._images import as_planar, from_planar, tile
from ._model import BACKEND_OPTIONS, Model, load_model
from ._progress import Reporter


def _model_of(model):
    if isinstance(model, Model):
        return model
    if model is None or isinstance(model, (str, bytes, os.PathLike)):
        return load_model(model)
    raise TypeError("model: expected a featvis.Model, a model file path or None, got %s" % type(model).__name__)


def _objectives(objectives):
    objs = [objectives] if isinstance(objectives, str) else list(objectives)
    if not objs or not all(isinstance(o, str) for o in objs):
        raise TypeError("objectives: expected an objective string or a list of them, e.g. 'mixed4a:97'")
    return objs


def _init(init):
    """The --init image for the C library and the name its PNGs record (the path, or "(array)")."""
    if init is None:
        return None, None
    name = os.fsdecode(init) if isinstance(init, (str, bytes, os.PathLike)) else "(array)"
    return as_planar(init), name


class Renders(list):
    """The images of one render: a list of numpy arrays (H, W, 3) float32 in [0, 1], in the order asked for
    (a diversity group's N images one after another).

    info: one dict per image with what `featvis-cuda render --json` prints: objective (canonical), index (in
    its diversity group), count, objective_first, objective_last (the image's own objective at the first and
    last step, minus penalties), seconds, and for diversity groups diversity_first, diversity_last.
    Jupyter shows the images tiled with their objectives; save() writes the command line's PNG files."""

    def __init__(self, images, info, model, options, init_name, frames=None):
        super().__init__(images)
        self.info = info
        self._model, self._options, self._init_name, self._frames = model, options, init_name, frames

    @property
    def objectives(self):
        """The canonical objective of each image."""
        return [i["objective"] for i in self.info]

    def labels(self):
        """A caption per image: the objective, '#i' for a diversity group's members, 'frame n' for frames."""
        out = []
        for n, i in enumerate(self.info):
            if self._frames is not None:
                out.append("%s frame %d" % (i["objective"], n))
            else:
                out.append(i["objective"] + (" #%d" % i["index"] if i["count"] > 1 else ""))
        return out

    def tile(self, cols=None, cell=None, title=None):
        """The images in a grid with their objectives (a featvis.Sheet, shown by Jupyter)."""
        return tile(self, self.labels(), title, cols, cell)

    def _repr_png_(self):
        return self.tile()._repr_png_() if self else None

    def save(self, out="."):
        """Write the images as the command line does for the same settings, byte for byte: `out` a folder
        (created; files named after the objective: mixed4a_97.png, mixed4a_97_div2.png; interpolations
        A_B_frame<n>.png) or, for a single image, a .png file. Every PNG carries the same tEXt provenance
        (featvis:objective, :model, :size, :steps, :seed, :preset, :settings ...). Returns the paths."""
        out = os.fsdecode(out)
        single = self._frames is None and out.endswith(".png")
        if single and len(self) > 1:
            raise ValueError("save: %s names one file, but there are %d images; give a folder" % (out, len(self)))
        if not single:
            os.makedirs(out, exist_ok=True)
        frames = self._frames
        paths = []
        for n, (img, i) in enumerate(zip(self, self.info)):
            where = (n, len(self)) if frames is not None else (-1, 0)
            paths.append(_featvis.write_render(self._model._c, out, single, as_planar(img),
                                               (i["objective"], i["index"], i["count"]), self._options,
                                               self._init_name, where, frames))
        return paths


def _renders(results, model, options, init_name, frames=None):
    images, info = [], []
    for data, w, h, objective, index, count, o1, o2, d1, d2, secs in results:
        images.append(from_planar(data, w, h))
        d = {"objective": objective, "index": index, "count": count, "objective_first": o1,
             "objective_last": o2, "seconds": secs}
        if count > 1:
            d.update(diversity_first=d1, diversity_last=d2)
        info.append(d)
    return Renders(images, info, model, options, init_name, frames)


def _backend_options(options):
    return {k: options[k] for k in BACKEND_OPTIONS if k in options}


def render(model, objectives, size=128, steps=512, seed=0, preset="article", diversity=None, *,
           diversity_weight=100.0, batch_size=None, lr=0.05, decorrelate=True, redirect_steps=17, param="fft",
           tv=0.0, l1=0.0, l2=0.0, blur=0.0, init=None, backend="auto", precision="auto", device=0,
           cudnn_fwd_algo=None, cudnn_bwd_algo=None, cudnn_workspace_mib=1024, cudnn_find=False, verbose=False,
           progress=None):
    """Render feature visualisations: every objective in one batch (one pass through the network, as deep as
    the deepest objective needs), exactly as `featvis-cuda render OBJECTIVE... [options]`.

    model: a featvis.Model (load_model), a model file path, or None for the default weights.
    objectives: one objective string or a list, in the command line's syntax: "mixed4a:97" (channel),
        "mixed4a:97@7,3" / "neuron:mixed4a:97" (neuron), "logit:285", "prob:285", "deepdream:mixed4a",
        "direction:mixed4a:v.npy", "-mixed4a:97", "mixed4a:97+0.5*mixed4a:143" (README "Objectives").
    size, steps, seed, preset ("article", "lucid", "none"): --size, --steps, --seed, --preset.
    diversity: N renders N images of each objective as one diversity group (--diversity N);
        diversity_weight: --diversity-weight (Lucid's 1e2).
    batch_size: images per pass (--batch-size; None: as many as fit in memory).
    lr, decorrelate, redirect_steps: --lr, --no-decorrelate (decorrelate=False), --redirect-steps.
    param: "fft" or "pixel" (--param). tv, l1, l2, blur: penalty weights (--tv, --l1, --l2, --blur).
    init: start every image from this picture (a path, PIL image or array; --init).
    backend ("auto", "cpu", "cuda"), precision ("auto", "fp32", "tf32"), device, cudnn_fwd_algo,
        cudnn_bwd_algo, cudnn_workspace_mib, cudnn_find, verbose: as --backend, --precision, --cudnn-*, -v.
    progress: None (a tqdm bar when tqdm is installed), False (quiet), or a callable
        progress(step, steps, objective_values) called after every step.

    Returns Renders: a list of numpy arrays (H, W, 3) float32 in [0, 1], one per image, with `info`,
    `save(out)` and a Jupyter display. Ctrl-C stops the render at its next step with KeyboardInterrupt (nothing
    is returned or written). Raises ValueError for a bad objective or option (the library's one-line message),
    featvis.RenderError when an objective becomes NaN or Inf."""
    options = {k: v for k, v in locals().items() if k not in ("model", "objectives", "diversity", "progress")}
    return _render(model, _objectives(objectives), diversity, options, progress)


def _render(model, objs, diversity, options, progress):
    model = _model_of(model)
    count = 1 if diversity is None else diversity
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError("diversity: expected a whole number or None")
    options["init"], init_name = _init(options.get("init"))
    be = model._backend(_backend_options(options))
    items = tuple((o, count) for o in objs)
    with Reporter(progress, "steps", "render") as cb:
        results = _featvis.render(model._c, items, options, be, cb)
    options.pop("init")
    return _renders(results, model, options, init_name)


def _check_names(options, exclude=()):
    known = set(inspect.signature(render).parameters) - {"model", "objectives", "progress"} - set(exclude)
    unknown = set(options) - known
    if unknown:
        raise TypeError("unknown render option(s): %s" % ", ".join(sorted(unknown)))


def interpolate(model, a, b, frames=6, *, alignment=0.1, alignment_layers=None, alignment_decay=5.0,
                progress=None, **options):
    """Interpolate between two objectives, as `featvis-cuda interpolate A B`: `frames` images (2..64)
    optimised together, frame n for (1 - w) A + w B with w = n / (frames - 1), sharing low-resolution
    parameters and each step's transform, with Lucid's alignment term (alignment: its weight, 0 turns it off;
    alignment_layers: a list or "L1,L2", default mixed3b, mixed4a; alignment_decay: default 5).

    options: render()'s options (size, steps, seed, preset, lr, ..., backend); not param="pixel" or init.
    Returns Renders (one per frame; save() writes A_B_frame<n>.png as the command line does)."""
    _check_names(options, exclude=("diversity",))
    model = _model_of(model)
    layers = None if alignment_layers is None else tuple(
        alignment_layers.split(",") if isinstance(alignment_layers, str) else alignment_layers)
    align = (float(alignment), float(alignment_decay), layers)
    options["init"], init_name = _init(options.get("init"))
    be = model._backend(_backend_options(options))
    with Reporter(progress, "steps", "interpolate") as cb:
        results = _featvis.interpolate(model._c, a, b, int(frames), align, options, be, cb)
    options.pop("init")
    return _renders(results, model, options, init_name, frames=align)


class BatchStats(NamedTuple):
    """What a batch run did: images in the job list (this shard), found done by earlier runs, rendered now,
    failed (NaN/Inf, recorded in the journal), passes, and the run's journal file."""
    total: int
    skipped: int
    done: int
    failed: int
    passes: int
    journal: str


def _job_file(jobs, tmp):
    """A job file for `jobs`: its path, or a list of job lines written into the folder tmp."""
    if isinstance(jobs, (str, bytes, os.PathLike)):
        return os.fsdecode(jobs), None
    lines = list(jobs)
    for i, line in enumerate(lines):
        if not isinstance(line, str) or "\n" in line or "\r" in line:
            raise ValueError("jobs[%d]: expected one job line (a str without line breaks)" % i)
    path = os.path.join(tmp, "jobs.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    return path, path


def _rename_list_errors(exc, path):
    """The library's message with the bad job lines after it, which it printed before it on the command line;
    for a job list (path: its temporary file) naming the list's items, jobs[i]."""
    text = str(exc).replace("(each reported above)", "(listed below)").rstrip("\n")
    if path is not None:
        text = re.sub(re.escape(path) + r":(\d+):", lambda m: "jobs[%d]:" % (int(m.group(1)) - 1), text)
        text = text.replace(path, "jobs")
    e = type(exc)(text)
    if isinstance(exc, OSError):
        e.errno = exc.errno
    return e


def batch(jobs, out_dir="out", model=None, *, shard=None, skip_invalid=False, diversity=None, progress=None,
          **options):
    """Run a batch as `featvis-cuda --batch JOBS -o OUT_DIR` does: resumable (images already journalled in
    out_dir are skipped; rerun after any stop), every image written atomically before its journal line.

    jobs: a job file (README "Job files") or a list of job lines ("mixed4a:97 size=224 diversity=4").
    out_dir: the output folder (files OUT/<layer>/<name>.png, journal OUT/journal.jsonl).
    model: a featvis.Model, a model file path, or None for the default weights.
    shard: "K/N" or "auto/N" (--shard); skip_invalid: drop bad job lines instead of failing (--skip-invalid).
    diversity and options (size, steps, seed, preset, lr, ..., backend): the defaults of lines that do not
    set them, and the render options of every job, as on the command line.
    progress: None (a tqdm bar over images when tqdm is installed), False, or progress(images_finished, total).

    Returns BatchStats. Ctrl-C stops at the next step with KeyboardInterrupt: the pass in progress is dropped,
    the journal stays consistent and no partial file is left. Raises ValueError listing every bad job line
    (nothing rendered), FileNotFoundError for a missing job file, BlockingIOError when another run holds
    out_dir (and shard). Images that fail numerically are recorded as failed (a warning says how many)."""
    _check_names(options, exclude=("diversity",))
    model = _model_of(model)
    count = 1 if diversity is None else diversity
    options["init"], init_name = _init(options.get("init"))
    be = model._backend(_backend_options(options))
    tmp = tempfile.mkdtemp(prefix="featvis-jobs-")
    try:
        path, listed = _job_file(jobs, tmp)
        with Reporter(progress, "images", "batch") as cb:
            try:
                r = _featvis.batch(model._c, path, os.fsdecode(out_dir), shard, bool(skip_invalid), count, options,
                                   init_name, be, cb)
            except (ValueError, OSError) as e:
                if listed is None and "(each reported above)" not in str(e):
                    raise
                raise _rename_list_errors(e, listed) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total, skipped, done, failed, passes, journal, log = r
    for line in log.splitlines():
        if line.startswith("warning: "):
            warnings.warn(line[len("warning: "):], RuntimeWarning, stacklevel=2)
    if failed:
        warnings.warn("%d image(s) failed (non-finite values, also with a derived seed); see %s" % (failed, journal),
                      RuntimeWarning, stacklevel=2)
    return BatchStats(total, skipped, done, failed, passes, journal)
