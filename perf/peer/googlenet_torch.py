"""InceptionV1_caffe (BVLC GoogLeNet) as a PyTorch module, for the peer benchmarks: the same layers and
conventions as featvis' graph (explicit pads, ceil-mode pooling, Caffe LRN, BGR*255 - mean input,
global average before the classifier). Weights: the raw OHWI files of shared/models/bvlc_googlenet/weights,
or seeded random weights of the same shapes (speed does not depend on the values). Module names are
the article's layer names (conv2d0.., mixed3a..mixed5b, softmax2) so Lucent objectives like
"mixed4a:97" address them."""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BLOCKS = {  # 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj (BVLC widths)
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64), "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128), "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


class ConvReLU(nn.Module):
    def __init__(self, cin, cout, k, stride=1, pad=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, pad)

    def forward(self, x):
        return F.relu(self.conv(x))


class Inception(nn.Module):
    def __init__(self, cin, w):
        super().__init__()
        c1, c3r, c3, c5r, c5, cp = w
        self.b1 = ConvReLU(cin, c1, 1)
        self.b3r, self.b3 = ConvReLU(cin, c3r, 1), ConvReLU(c3r, c3, 3, pad=1)
        self.b5r, self.b5 = ConvReLU(cin, c5r, 1), ConvReLU(c5r, c5, 5, pad=2)
        self.bp = ConvReLU(cin, cp, 1)
        self.out_channels = c1 + c3 + c5 + cp

    def forward(self, x):
        p = F.max_pool2d(x, 3, 1, 1, ceil_mode=True)
        return torch.cat([self.b1(x), self.b3(self.b3r(x)), self.b5(self.b5r(x)), self.bp(p)], 1)


class Identity(nn.Module):
    """A named point in the graph (Lucent hooks modules by name)."""

    def forward(self, x):
        return x


class GoogLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv2d0 = ConvReLU(3, 64, 7, 2, 3)
        self.conv2d1 = ConvReLU(64, 64, 1)
        self.conv2d2 = ConvReLU(64, 192, 3, pad=1)
        cin = 192
        for name, w in BLOCKS.items():
            blk = Inception(cin, w)
            setattr(self, "mixed" + name, blk)
            cin = blk.out_channels
        self.softmax2 = nn.Linear(1024, 1000)
        self.register_buffer("mean_bgr", torch.tensor([104.0, 117.0, 123.0]).view(1, 3, 1, 1))
        self.stop_after = None  # truncate the forward pass after this block (the deepest target)

    def forward(self, rgb01):
        x = rgb01.flip(1) * 255.0 - self.mean_bgr
        x = self.conv2d0(x)
        x = F.local_response_norm(F.max_pool2d(x, 3, 2, ceil_mode=True), 5, 1e-4, 0.75, 1.0)
        x = F.local_response_norm(self.conv2d2(self.conv2d1(x)), 5, 1e-4, 0.75, 1.0)
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)
        for name in BLOCKS:
            if name in ("4a", "5a"):
                x = F.max_pool2d(x, 3, 2, ceil_mode=True)
            x = getattr(self, "mixed" + name)(x)
            if self.stop_after == "mixed" + name:
                return x
        return self.softmax2(x.mean((2, 3)))


CAFFE_NAMES = {"conv2d0": "conv1/7x7_s2", "conv2d1": "conv2/3x3_reduce", "conv2d2": "conv2/3x3"}
BRANCH = {"b1": "1x1", "b3r": "3x3_reduce", "b3": "3x3", "b5r": "5x5_reduce", "b5": "5x5", "bp": "pool_proj"}


def load(weights_dir=None, seed=0):
    """The network with the BVLC weights from weights_dir (raw OHWI .bin files), else seeded random ones."""
    net = GoogLeNet()
    g = torch.Generator().manual_seed(seed)
    for mname, m in net.named_modules():
        if not isinstance(m, (nn.Conv2d, nn.Linear)):
            continue
        if weights_dir:
            parts = mname.split(".")
            if parts[0] == "softmax2":
                base = "loss3/classifier"
            elif parts[0] in CAFFE_NAMES:
                base = CAFFE_NAMES[parts[0]]
            else:
                base = "inception_%s/%s" % (parts[0][5:], BRANCH[parts[1]])
            w = np.fromfile(os.path.join(weights_dir, base + "_filter.bin"), "<f4")
            b = np.fromfile(os.path.join(weights_dir, base + "_bias.bin"), "<f4")
            if isinstance(m, nn.Conv2d):
                o, i, kh, kw = m.weight.shape
                w = w.reshape(o, kh, kw, i).transpose(0, 3, 1, 2)
            m.weight.data = torch.from_numpy(np.ascontiguousarray(w)).reshape(m.weight.shape)
            m.bias.data = torch.from_numpy(b.copy())
        else:
            fan_in = m.weight[0].numel()
            m.weight.data = torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5
            m.bias.data = torch.zeros(m.bias.shape)
    return net.eval().requires_grad_(False)
