#!/usr/bin/python3
"""The appendix as a user runs it, checked on the images and the journal it writes: a small appendix (the
first channel of mixed3b and mixed4a at 64 px, 96 steps, CPU) where every image must develop. On post-ReLU
tensors (the old default, still there as --post-relu) negative images stay flat grey (pixel sd 0.003,
objective 0 -> 0) and diversity members die; on the pre-ReLU tensors Lucid's notebooks use, none may.
Checks per image: pixel standard deviation above 0.03 (read from the PNG with Pillow),
objective_last > objective_first; per diversity group: its diversity value recorded and falling.
--post-relu runs the same check on the post-ReLU appendix, where it must find failures (the proof that the
check can fail): it then exits 0 only if the run completed and some image failed to develop.
Prints one line per image and 'N passed, M failed'; exits non-zero on any failure."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def read_png_rgb8(path):
    """An 8-bit RGB PNG -> (h, w, 3) floats in [0, 1] (Pillow: python3-pil)."""
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--post-relu", action="store_true", help="the post-ReLU appendix: expected to fail")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fv_appendix_") as out:
        cmd = [args.binary, "appendix", "--layers", "mixed3b,mixed4a", "--channels", "1", "--size", "64",
               "--steps", "96", "--backend", "cpu", "--weights", args.weights, "-o", out]
        if args.post_relu:
            cmd.append("--post-relu")
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(r.stdout)
            print("appendix exited %d" % r.returncode)
            return 1
        lines = [json.loads(l) for l in open(os.path.join(out, "journal.jsonl"))]
        passed = failed = 0
        groups = {}
        for j in lines:
            img = read_png_rgb8(os.path.join(out, j["file"]))
            sd = float(img.std())
            ok = j["status"] == "ok" and sd > 0.03 and j["objective_last"] > j["objective_first"]
            if j["count"] > 1:
                groups.setdefault(j["key"], set()).add((j.get("diversity_first"), j.get("diversity_last")))
            print("%-34s #%d  objective %9.3f -> %9.3f  pixel sd %.3f  %s" % (
                j["objective"], j["index"], j["objective_first"], j["objective_last"], sd, "ok" if ok else "FAIL"))
            passed, failed = passed + ok, failed + (not ok)
        for key, vals in sorted(groups.items()):
            (d0, d1), = vals if len(vals) == 1 else [(None, None)]
            ok = d0 is not None and d1 is not None and d1 < d0
            print("%-34s diversity %s -> %s  %s" % (key.split("|")[0], d0, d1, "ok" if ok else "FAIL"))
            passed, failed = passed + ok, failed + (not ok)
        print("%d passed, %d failed" % (passed, failed))
        if len(lines) != 14:
            print("expected 14 images (2 layers x 7), the journal has %d" % len(lines))
            return 1
        if args.post_relu:
            print("post-ReLU appendix: %s" % ("images that do not develop, as expected" if failed else
                                                "every image developed: the check did not find the known failure"))
            return 0 if failed else 1
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
