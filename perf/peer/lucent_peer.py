#!/usr/bin/env python3
"""The peer users run today: Lucent (the PyTorch port of Lucid), one image per render, on the same
GoogLeNet module as the batched peer (perf/peer/googlenet_torch.py), at Lucent's defaults (128 px FFT
image with decorrelation, standard_transforms, Adam 0.05) and at the article recipe (224 px; pad 16,
jitter 16, scale {1,.975,1.025,.95,1.05}, rotate -5..5, jitter 8). Times --steps steps after one
warm-up render and appends name,layer,size,batch,precision,steps_per_s,images_per_s (batch 1;
images/s at 512 steps, the unit of perf/bench_step.c).
usage: lucent_peer.py --layer mixed4a --recipe defaults|article --steps 20 [--device cuda] [--csv F]"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import googlenet_torch  # noqa: E402
from lucent.optvis import param, render, transform  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layer", default="mixed4a")
    ap.add_argument("--channel", type=int, default=97)
    ap.add_argument("--recipe", default="defaults", choices=["defaults", "article"])
    ap.add_argument("--size", type=int)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--weights-dir")
    ap.add_argument("--csv")
    a = ap.parse_args()
    dev = torch.device(a.device)
    net = googlenet_torch.load(a.weights_dir).to(dev)
    size = a.size or (128 if a.recipe == "defaults" else 224)
    if a.recipe == "defaults":
        transforms = transform.standard_transforms
    else:
        transforms = [transform.pad(16, mode="constant", constant_value=0.5), transform.jitter(16),
                      transform.random_scale([1, 0.975, 1.025, 0.95, 1.05]),
                      transform.random_rotate(list(range(-5, 6))), transform.jitter(8)]
    obj = "%s:%d" % (a.layer, a.channel)

    def run(steps):
        t0 = time.perf_counter()
        render.render_vis(net, obj, lambda: param.image(size), transforms=transforms, thresholds=(steps,),
                          preprocess=False, progress=False, show_image=False)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0

    run(2)  # warm-up: hooks, cuDNN choices
    dt = run(a.steps) / a.steps
    row = "lucent_%s,%s,%d,1,fp32,%.4f,%.6f" % (a.recipe, a.layer, size, 1 / dt, 1 / (512 * dt))
    print("%s: %.4f s/step" % (row, dt))
    if a.csv:
        new = not os.path.exists(a.csv)
        with open(a.csv, "a") as f:
            if new:
                f.write("name,layer,size,batch,precision,steps_per_s,images_per_s\n")
            f.write(row + "\n")


if __name__ == "__main__":
    main()
