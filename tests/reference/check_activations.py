#!/usr/bin/python3
"""Independent check of featvis-cuda's forward pass: a float64 numpy GoogLeNet (written from
shared/models/bvlc_googlenet/PROVENANCE.md and deploy.prototxt, reading the raw OHWI weight files, not
the .caffemodel our loader reads) against `featvis-cuda activations` on images this script makes
(smooth colour fields, a non-square image, hard edges). Criterion: max |ours - numpy| / max |numpy|
< 1e-4 for every layer and image. Prints one line per comparison and a closing 'N passed, M failed'."""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def write_png(path, rgb):
    """8-bit RGB PNG (rgb: H x W x 3 uint8), with Pillow."""
    from PIL import Image
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(path)


def read_npy(path):
    return np.load(path)


class GoogLeNet:
    def __init__(self, wdir):
        self.wdir = wdir

    def weights(self, name):
        o = np.fromfile(os.path.join(self.wdir, name + "_filter.bin"), "<f4")
        b = np.fromfile(os.path.join(self.wdir, name + "_bias.bin"), "<f4").astype(np.float64)
        if name == "loss3/classifier":
            return o.reshape(1000, 1024).astype(np.float64), b
        cout = b.size
        k = {"7x7": 7, "5x5": 5, "3x3": 3}
        kk = 1
        for key, v in k.items():
            if name.endswith("/" + key) or name.endswith("/" + key + "_s2"):
                kk = v
        cin = o.size // (cout * kk * kk)
        return o.reshape(cout, kk, kk, cin).transpose(0, 3, 1, 2).astype(np.float64), b

    @staticmethod
    def conv(x, w, b, stride=1, pad=0):
        c, kh, kw = w.shape[1:]
        xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
        win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
        return np.tensordot(w, win, axes=([1, 2, 3], [0, 3, 4])) + b[:, None, None]

    @staticmethod
    def maxpool_ceil(x, k, s, pad=0):
        c, h, w = x.shape
        outs = []
        for n in (h, w):
            o = -(-(n + 2 * pad - k) // s) + 1
            if pad > 0 and (o - 1) * s >= n + pad:
                o -= 1
            outs.append(o)
        oh, ow = outs
        hi_h = max((oh - 1) * s + k - h - pad, 0)
        hi_w = max((ow - 1) * s + k - w - pad, 0)
        xp = np.pad(x, ((0, 0), (pad, hi_h), (pad, hi_w)), constant_values=-np.inf)
        win = sliding_window_view(xp, (k, k), axis=(1, 2))[:, ::s, ::s][:, :oh, :ow]
        return win.max(axis=(3, 4))

    @staticmethod
    def lrn(x, n=5, alpha=1e-4, beta=0.75, k=1.0):
        sq = np.pad(x * x, ((n // 2, n // 2), (0, 0), (0, 0)))
        s = sum(sq[i:i + x.shape[0]] for i in range(n))
        return x * (k + alpha / n * s) ** -beta

    def cr(self, name, x, stride=1, pad=0):
        w, b = self.weights(name)
        return np.maximum(self.conv(x, w, b, stride, pad), 0)

    def inception(self, p, x):
        b1 = self.cr(p + "/1x1", x)
        b3 = self.cr(p + "/3x3", self.cr(p + "/3x3_reduce", x), pad=1)
        b5 = self.cr(p + "/5x5", self.cr(p + "/5x5_reduce", x), pad=2)
        bp = self.cr(p + "/pool_proj", self.maxpool_ceil(x, 3, 1, 1))
        return np.concatenate([b1, b3, b5, bp])

    def forward(self, rgb01):
        """rgb01: 3 x H x W in [0,1] -> dict of layer name -> activations (C x H x W)."""
        out = {}
        x = rgb01[::-1] * 255.0 - np.array([104.0, 117.0, 123.0])[:, None, None]  # BGR minus mean
        x = self.cr("conv1/7x7_s2", x, 2, 3)
        out["conv1/7x7_s2"] = x
        x = self.lrn(self.maxpool_ceil(x, 3, 2))
        out["pool1/norm1"] = x
        x = self.cr("conv2/3x3", self.cr("conv2/3x3_reduce", x), pad=1)
        x = self.lrn(x)
        out["conv2/norm2"] = x
        x = self.maxpool_ceil(x, 3, 2)
        for blk in ("3a", "3b", "pool", "4a", "4b", "4c", "4d", "4e", "pool", "5a", "5b"):
            if blk == "pool":
                x = self.maxpool_ceil(x, 3, 2)
                continue
            x = self.inception("inception_" + blk, x)
            out["inception_%s/output" % blk] = x
        feat = x.mean(axis=(1, 2))  # the classifier's average pool, global (7x7 at 224 px)
        w, b = self.weights("loss3/classifier")
        logits = w @ feat + b
        e = np.exp(logits - logits.max())
        out["prob"] = (e / e.sum())[:, None, None]
        return out


def test_images(rng):
    """Images that are not the cat: smooth colour fields, a non-square one, hard edges."""
    yy, xx = np.mgrid[0:224, 0:224] / 224.0
    smooth = np.stack([0.5 + 0.5 * np.sin(6 * xx + 2 * yy), 0.5 + 0.5 * np.cos(9 * yy * xx + 1),
                       (xx + yy) / 2], axis=-1)
    yy, xx = np.mgrid[0:170, 0:203] / 100.0
    nonsquare = np.stack([0.5 + 0.5 * np.sin(13 * xx), 0.5 + 0.5 * np.sin(11 * yy + 3 * xx), 0.3 + 0.2 * xx / 2],
                         axis=-1)
    edges = ((np.indices((224, 224)).sum(axis=0) // 16) % 2)[..., None] * np.array([0.9, 0.2, 0.6]) + \
        rng.uniform(0, 0.1, (224, 224, 3))
    return {"smooth": smooth, "nonsquare": nonsquare, "edges": edges}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--model-dir", required=True, help="shared/models/bvlc_googlenet")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    net = GoogLeNet(os.path.join(args.model_dir, "weights"))
    caffemodel = os.path.join(args.model_dir, "bvlc_googlenet.caffemodel")
    layers = ["conv1/7x7_s2", "pool1/norm1", "conv2/norm2", "inception_3a/output", "inception_4a/output",
              "inception_4d/output", "inception_5b/output", "prob"]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, img in test_images(np.random.default_rng(1)).items():
            u8 = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
            png = os.path.join(tmp, name + ".png")
            write_png(png, u8)
            ref = net.forward(u8.transpose(2, 0, 1).astype(np.float64) / 255.0)
            for layer in layers:
                npy = os.path.join(tmp, "a.npy")
                r = subprocess.run([args.binary, "activations", png, "--layer", layer, "-o", npy, "--weights",
                                    caffemodel, "--backend", "cpu"], capture_output=True, text=True)
                if r.returncode != 0:
                    print("FAIL %-10s %-22s featvis-cuda exited %d: %s" % (name, layer, r.returncode, r.stderr.strip()))
                    failed += 1
                    continue
                ours = read_npy(npy)[0].astype(np.float64)
                want = ref[layer]
                if ours.shape != want.shape:
                    print("FAIL %-10s %-22s shape %s, numpy %s" % (name, layer, ours.shape, want.shape))
                    failed += 1
                    continue
                rel = np.abs(ours - want).max() / np.abs(want).max()
                ok = rel < args.tol
                passed += ok
                failed += not ok
                print("%s %-10s %-22s %-16s max rel err %.2e" % ("ok  " if ok else "FAIL", name, layer,
                                                                  "x".join(map(str, want.shape)), rel))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
