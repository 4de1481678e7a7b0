"""Images at the boundary: what the C library takes (planar float32 RGB in [0, 1]) from paths, PIL images and
numpy arrays, and back to numpy (H, W, 3) float32; the PNG writer's 8-bit pixels; PNG files; tiled sheets with
captions for notebooks. The conversions that decide pixels (reading PNG/JPEG, float to 8 bits, PNG encoding,
the contact sheet) are the C library's."""

import os
import tempfile

import numpy as np

from . import _featvis


def _is_pil(image):
    return type(image).__module__.startswith("PIL.") and hasattr(image, "convert")


def as_planar(image):
    """An image as the C library takes it: a C-contiguous float32 array of shape (3, H, W), values in [0, 1].

    Accepts a path (PNG or JPEG, read by the C library exactly as the command line reads it), a PIL image, or a
    numpy array (H, W, 3) of uint8 (0..255) or floats in [0, 1]."""
    if isinstance(image, (str, bytes, os.PathLike)):
        data, w, h = _featvis.read_image(os.fsdecode(image))
        return np.frombuffer(data, dtype=np.float32).reshape(3, h, w)
    if _is_pil(image):
        image = np.asarray(image.convert("RGB"))
    if not isinstance(image, np.ndarray):
        raise TypeError("image: expected a path, a PIL image or a numpy array (H, W, 3), got %s"
                        % type(image).__name__)
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError("image: expected an array of shape (H, W, 3), got %s" % (image.shape,))
    if image.dtype == np.uint8:
        rgb = image.astype(np.float32) / np.float32(255)  # as the PNG reader: v / 255.0f
    elif np.issubdtype(image.dtype, np.floating):
        rgb = image.astype(np.float32)
        if not np.all(np.isfinite(rgb)) or rgb.min() < 0 or rgb.max() > 1:
            raise ValueError("image: float values must lie in [0, 1] (uint8 arrays are read as 0..255)")
    else:
        raise ValueError("image: expected uint8 or float values, got %s" % image.dtype)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))


def from_planar(data, w, h):
    """Planar float32 bytes (3, h, w) from the C library as a numpy array (h, w, 3) float32."""
    return np.ascontiguousarray(np.frombuffer(data, dtype=np.float32).reshape(3, h, w).transpose(1, 2, 0))


def read_image(path):
    """A PNG or JPEG file as a numpy array (H, W, 3) float32 in [0, 1], read by the C library."""
    return np.ascontiguousarray(as_planar(path).transpose(1, 2, 0))


def to_uint8(image):
    """The 8-bit pixels a PNG written by featvis-cuda holds for this image: (H, W, 3) uint8.

    The C library's own conversion (fv_image_to_rgb8, which its PNG writer uses): v * 255 rounded half up,
    clamped to [0, 255], NaN to 0."""
    planar = as_planar(image)
    h, w = planar.shape[1:]
    return np.frombuffer(_featvis.to_rgb8(planar), dtype=np.uint8).reshape(h, w, 3)


def save_png(image, path, text=None):
    """Write an image as a PNG with the C library's writer (atomically: a temporary file renamed into place).

    text: a dict of tEXt chunks to add ({"featvis:objective": "mixed4a:97"}), or None."""
    pairs = tuple((str(k), str(v)) for k, v in (text or {}).items())
    _featvis.write_png(os.fsdecode(path), as_planar(image), pairs)


def png_bytes(image):
    """An image encoded as PNG bytes (the C library's writer), for notebooks' _repr_png_."""
    with tempfile.TemporaryDirectory(prefix="featvis-") as d:
        path = os.path.join(d, "image.png")
        save_png(image, path)
        with open(path, "rb") as f:
            return f.read()


class Sheet:
    """Several images tiled in a grid with a caption under each (the C library's contact sheet, as the
    `figures` command draws them). Jupyter shows it as a PNG; `image` is the sheet as (H, W, 3) float32."""

    def __init__(self, image):
        self.image = image

    def _repr_png_(self):
        return png_bytes(self.image)

    def save(self, path):
        """Write the sheet as a PNG file."""
        save_png(self.image, path)

    def __repr__(self):
        return "<featvis.Sheet %dx%d>" % (self.image.shape[1], self.image.shape[0])


def tile(images, labels=None, title=None, cols=None, cell=None):
    """Tile images (each a path, PIL image or array (H, W, 3)) into a Sheet with captions.

    labels: one caption per image (default none); title: a line above the grid; cols: images per row (default:
    up to 6); cell: pixels per image cell (default: the largest image's width, 96..256)."""
    images = list(images)
    if not images:
        raise ValueError("tile: no images")
    planar = [as_planar(im) for im in images]
    labels = [None] * len(images) if labels is None else [None if s is None else str(s) for s in labels]
    if len(labels) != len(images):
        raise ValueError("tile: %d labels for %d images" % (len(labels), len(images)))
    cols = cols or min(len(images), 6)
    cell = cell or min(max(max(p.shape[2] for p in planar), 96), 256)
    data, w, h = _featvis.contact_sheet(title, int(cols), tuple(zip(planar, labels)), int(cell))
    return Sheet(from_planar(data, w, h))
