#!/usr/bin/env python3
"""The strong peer: a plain, well-written batched PyTorch implementation of the article's recipe (FFT
parameterisation with 1/f scaling, colour decorrelation, sigmoid, per-image random transforms as one
affine_grid/grid_sample, network truncated at the target, channel objectives, Adam lr 0.05), B images
with B different channels per pass. Eager or torch.compile; fp32, tf32 or bf16 autocast. Prints and
appends one CSV row: name,layer,size,batch,precision,steps_per_s,images_per_s (images/s at 512 steps,
the unit perf/bench_step.c uses).
usage: torch_batched.py --layer mixed4a --size 224 --batch 32 --steps 20 [--device cuda] [--compile]
                        [--precision fp32|tf32|bf16] [--weights-dir DIR] [--csv OUT.csv]"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import googlenet_torch  # noqa: E402

COLOR = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR = COLOR / COLOR.norm(dim=0).max()


def spectrum_scale(h, w):
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.rfftfreq(w)[None, :]
    freqs = torch.sqrt(fx * fx + fy * fy)
    return (1.0 / torch.clamp(freqs, min=1.0 / max(h, w))) * math.sqrt(h * w)


def to_image(spec, scale, h, w):
    z = torch.complex(spec[..., 0], spec[..., 1]) * scale
    t = torch.fft.irfft2(z, s=(h, w)) / 4.0
    t = torch.einsum("bchw,dc->bdhw", t, COLOR.to(t.device))
    return torch.sigmoid(t)


def random_affines(b, size, gen, device):
    """Article chain per image: jitter 16, scale {1,.975,1.025,.95,1.05}, rotate -5..5 deg, jitter 8,
    composed into one affine map (normalised coordinates for affine_grid), padding value 0.5."""
    scales = torch.tensor([1, 0.975, 1.025, 0.95, 1.05])[torch.randint(0, 5, (b,), generator=gen)]
    ang = torch.randint(-5, 6, (b,), generator=gen).float() * math.pi / 180
    t = (torch.randint(0, 17, (b, 2), generator=gen).float() - 8 + torch.randint(0, 9, (b, 2), generator=gen) - 4)
    t = t * 2 / size
    cos, sin = torch.cos(ang) / scales, torch.sin(ang) / scales
    theta = torch.stack([torch.stack([cos, -sin, t[:, 0]], 1), torch.stack([sin, cos, t[:, 1]], 1)], 1)
    return theta.to(device)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layer", default="mixed4a")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"])
    ap.add_argument("--weights-dir")
    ap.add_argument("--csv")
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = a.precision == "tf32"
    net = googlenet_torch.load(a.weights_dir).to(dev)
    net.stop_after = a.layer
    B, S = a.batch, a.size
    gen = torch.Generator().manual_seed(0)
    spec = (torch.randn(B, 3, S, S // 2 + 1, 2, generator=gen) * 0.01).to(dev).requires_grad_(True)
    scale = spectrum_scale(S, S).to(dev)
    channels = torch.arange(B, device=dev) % 64
    opt = torch.optim.Adam([spec], lr=0.05)

    def objective(img, theta):
        grid = F.affine_grid(theta, img.shape, align_corners=False)
        x = F.grid_sample(img - 0.5, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 0.5
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            act = net(x)
        return act.float()[torch.arange(B, device=dev), channels].mean((1, 2)).sum()

    def step():
        opt.zero_grad(set_to_none=True)
        img = to_image(spec, scale, S, S)
        loss = -objective(img, random_affines(B, S, gen, dev))
        loss.backward()
        opt.step()
        return loss

    run = torch.compile(step) if a.compile else step
    for _ in range(a.warmup):
        run()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = run()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    dt = (time.perf_counter() - t0) / a.steps
    name = "torch_batched" + ("_compile" if a.compile else "")
    row = "%s,%s,%d,%d,%s,%.4f,%.5f" % (name, a.layer, S, B, a.precision, 1 / dt, B / (512 * dt))
    print("%s: %.4f s/step, objective %.4g" % (row, dt, -float(loss.detach())))
    if a.csv:
        new = not os.path.exists(a.csv)
        with open(a.csv, "a") as f:
            if new:
                f.write("name,layer,size,batch,precision,steps_per_s,images_per_s\n")
            f.write(row + "\n")


if __name__ == "__main__":
    main()
