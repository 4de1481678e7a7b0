"""A float64 numpy port of the formulas of Lucid's render recipe (tensorflow/lucid: optvis/param/spatial.py,
param/color.py, transform.py, objectives.py, render.py's Adam), written from Lucid's and TensorFlow 1.x's
published source, not from featvis-cuda's C code. Functions only; layout NCHW (Lucid's NHWC differs only in
index order). Where TensorFlow computes in float32 in a way that decides an integer (a canvas size, a
nearest-neighbour index, a bilinear weight), the port repeats that float32 arithmetic; everything else is float64."""
import numpy as np

F32 = np.float32

# ---------------------------------------------------------------------------------------------------------------
# FFT parameterisation (param/spatial.py fft_image, even widths only)


def rfft2d_freqs(h, w):
    """sqrt(fx^2 + fy^2) on the (h, w//2+1) half spectrum (Lucid keeps w//2+2 columns for odd w; not ported)."""
    if w % 2:
        raise ValueError("odd widths are not ported (Lucid keeps an extra column and crops)")
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[: w // 2 + 1]
    return np.sqrt(fx * fx + fy * fy)


def fft_scale(h, w, decay_power=1.0):
    """The per-frequency spectrum scale: energy normalisation times sqrt(w*h) (so that the map is unitary-ish)."""
    return 1.0 / np.maximum(rfft2d_freqs(h, w), 1.0 / max(w, h)) ** decay_power * np.sqrt(w * h)


def _hermitian_weights(w):
    """c_k of a real inverse FFT along the last axis (even w): the DC and Nyquist columns count once, the others
    twice (their conjugate twins are implied)."""
    c = np.full(w // 2 + 1, 2.0)
    c[0] = c[-1] = 1.0
    return c


def fft_image(spec):
    """spec (..., 3, h, w//2+1, 2) real/imaginary parts -> image (..., 3, h, w): irfft2d(scale*spectrum) / 4.
    tf.signal.irfft2d, like numpy's irfft2 with s=(h, w), applies 1/(h*w) and takes only the real part of the
    DC and Nyquist columns after the inverse transform along the rows."""
    spec = np.asarray(spec, np.float64)
    h, wh = spec.shape[-3], spec.shape[-2]
    w = 2 * (wh - 1)
    x = (spec[..., 0] + 1j * spec[..., 1]) * fft_scale(h, w)
    return np.fft.irfft2(x, s=(h, w), axes=(-2, -1)) / 4.0


def fft_image_direct(spec):
    """fft_image as an explicit sum of cosines (slow; the self-test's independent check of the numpy semantics):
    image[n, m] = 1/(4hw) sum_{ky, kx} c_kx Re(X[ky, kx] exp(2 pi i (ky n / h + kx m / w)))."""
    spec = np.asarray(spec, np.float64)
    h, wh = spec.shape[-3], spec.shape[-2]
    w = 2 * (wh - 1)
    x = (spec[..., 0] + 1j * spec[..., 1]) * fft_scale(h, w) * _hermitian_weights(w)
    ey = np.exp(2j * np.pi * np.outer(np.arange(h), np.arange(h)) / h)       # (n, ky)
    ex = np.exp(2j * np.pi * np.outer(np.arange(wh), np.arange(w)) / w)      # (kx, m)
    return np.real(np.einsum("nk,...kl,lm->...nm", ey, x, ex)) / (4.0 * h * w)


def fft_image_adjoint(dimg):
    """Exact transpose of fft_image wrt the real parameters: d spec = scale * c_kx * rfft2(d image) / (4 h w),
    split into real and imaginary parts (the same as TF's registered IRFFT2D gradient followed by tf.complex's)."""
    dimg = np.asarray(dimg, np.float64)
    h, w = dimg.shape[-2:]
    g = np.fft.rfft2(dimg, axes=(-2, -1)) * (fft_scale(h, w) * _hermitian_weights(w) / (4.0 * h * w))
    return np.stack([g.real, g.imag], axis=-1)


# ---------------------------------------------------------------------------------------------------------------
# Colour (param/color.py to_valid_rgb(decorrelate=True, sigmoid=True))

COLOR_SVD_SQRT = np.array([[0.26, 0.09, 0.02],
                           [0.27, 0.00, -0.05],
                           [0.27, -0.09, 0.03]], dtype=np.float32).astype(np.float64)
COLOR_MN = COLOR_SVD_SQRT / np.max(np.linalg.norm(COLOR_SVD_SQRT, axis=0))


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def to_valid_rgb(t):
    """t (..., 3, H, W) decorrelated colour -> rgb: per pixel sigmoid(Mn @ t) (Lucid: t_flat @ Mn.T, NHWC)."""
    return sigmoid(np.einsum("cj,...jhw->...chw", COLOR_MN, np.asarray(t, np.float64)))


def to_valid_rgb_backward(drgb, rgb):
    """d t from d rgb, given the forward output rgb: Mn^T @ (drgb * rgb * (1 - rgb))."""
    rgb = np.asarray(rgb, np.float64)
    dpre = np.asarray(drgb, np.float64) * rgb * (1.0 - rgb)
    return np.einsum("cj,...chw->...jhw", COLOR_MN, dpre)


# ---------------------------------------------------------------------------------------------------------------
# Transforms (transform.py standard_transforms): pad(12, constant 0.5), jitter(8), random_scale, random_rotate,
# jitter(4). Single images (3, H, W); the random draws are given.

LUCID_SCALES = [1 + (i - 5) / 50. for i in range(11)]
LUCID_ANGLES = list(range(-10, 11)) + 5 * [0]


def round_half_away(x):
    """C's std::round: halves go away from zero (np.round goes to even)."""
    x = np.asarray(x)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def pad(img, p, value):
    return np.pad(np.asarray(img, np.float64), ((0, 0), (p, p), (p, p)), constant_values=value)


def pad_adjoint(g, p):
    return g[:, p:g.shape[1] - p, p:g.shape[2] - p]


def crop(img, ox, oy, size):
    """tf.random_crop with the offset drawn: out[y, x] = in[y + oy, x + ox]."""
    return img[:, oy:oy + size, ox:ox + size]


def crop_adjoint(g, ox, oy, in_size):
    out = np.zeros((g.shape[0], in_size, in_size))
    out[:, oy:oy + g.shape[1], ox:ox + g.shape[2]] = g
    return out


def scaled_size(scale, n):
    """random_scale's output size: tf.cast(scale * tf.cast(n, float32), int32) -- a float32 product, truncated.
    (The scale list holds Python floats that tf.constant turns into float32.)"""
    return int(F32(scale) * F32(n))


def resize_bilinear_matrix(n_in, n_out):
    """(n_out, n_in) matrix of TF 1.x tf.image.resize_bilinear along one axis (align_corners=False, legacy
    sampling): scale = float(n_in) / float(n_out) in float32; src = float32(i) * scale; lo = floor(src),
    hi = min(ceil(src), n_in - 1), lerp = src - floor(src) (all float32, as the kernel does)."""
    scale = F32(n_in) / F32(n_out)
    r = np.zeros((n_out, n_in))
    for i in range(n_out):
        src = F32(i) * scale
        lo = int(np.floor(src))
        hi = min(int(np.ceil(src)), n_in - 1)
        lerp = float(src - F32(np.floor(src)))
        r[i, lo] += 1.0 - lerp
        r[i, hi] += lerp
    return r


def resize_bilinear(img, n_out):
    r = resize_bilinear_matrix(img.shape[-1], n_out)
    rh = resize_bilinear_matrix(img.shape[-2], n_out)
    return rh @ img @ r.T


def resize_bilinear_adjoint(g, n_in):
    """The exact transpose (TF's ResizeBilinearGrad scatters the same weights)."""
    r = resize_bilinear_matrix(n_in, g.shape[-1])
    rh = resize_bilinear_matrix(n_in, g.shape[-2])
    return rh.T @ g @ r


def lucid_angle_rad(deg):
    """_angle2rads: tf.cast(deg, float32), then 3.14 * angle / 180. -- two float32 operations in that order
    (Lucid uses 3.14, not pi)."""
    return (F32(3.14) * F32(deg)) / F32(180.0)


def rotate_source_coords(m, deg):
    """tf.contrib.image.rotate on an m x m image: the float32 input point (y', x') each output pixel (y, x) reads.

    Computed in float32 in TensorFlow's operation order: angles_to_projective_transforms builds
    [cos, -sin, x_off, sin, cos, y_off, 0, 0] in float32 with x_off = ((W-1) - (cos*(W-1) - sin*(H-1))) / 2 and
    y_off = ((H-1) - (sin*(W-1) + cos*(H-1))) / 2, and the kernel evaluates ((t0*x + t1*y) + t2) / 1 in float.
    Why float32: nearest-neighbour takes std::round of these coordinates, and they often land exactly on a .5
    tie or within float32 rounding of one (e.g. the centre of an even canvas is a fixed point at k + 0.5);
    float64 arithmetic rounds some of those the other way and moves a pixel. Repeating TF's float32 steps picks
    TF's pixel. Remaining caveats: TF's float32 cos/sin could differ by an ulp from numpy's (for the 21 Lucid
    angles numpy's are the correctly rounded values), and a GPU build of TF may contract a*x + b into an FMA."""
    a = lucid_angle_rad(deg)
    c, s = np.cos(a), np.sin(a)                      # float32 in, float32 out
    w1 = F32(m) - F32(1.0)
    h1 = F32(m) - F32(1.0)
    x_off = (w1 - (c * w1 - s * h1)) / F32(2.0)
    y_off = (h1 - (s * w1 + c * h1)) / F32(2.0)
    yy, xx = np.meshgrid(np.arange(m, dtype=np.float32), np.arange(m, dtype=np.float32), indexing="ij")
    in_x = (c * xx + (-s) * yy) + x_off
    in_y = (s * xx + c * yy) + y_off
    assert in_x.dtype == np.float32 and in_y.dtype == np.float32
    return in_y, in_x


def rotate_source_indices(m, deg):
    """NEAREST: (round(y'), round(x')) with std::round, and whether it lies inside the image (outside reads
    TF's fill value 0, not the pad value)."""
    in_y, in_x = rotate_source_coords(m, deg)
    ix = round_half_away(in_x).astype(np.int64)
    iy = round_half_away(in_y).astype(np.int64)
    valid = (ix >= 0) & (ix < m) & (iy >= 0) & (iy < m)
    return iy, ix, valid


def rotate(img, deg):
    m = img.shape[-1]
    iy, ix, valid = rotate_source_indices(m, deg)
    out = img[:, np.where(valid, iy, 0), np.where(valid, ix, 0)]
    return np.where(valid[None], out, 0.0)


def rotate_adjoint(g, deg):
    """Exact transpose of the nearest-neighbour gather: scatter-add each output gradient to the pixel it read.
    (TF1's registered gradient instead rotates the gradient back, an approximation; this is the transpose.)"""
    m = g.shape[-1]
    iy, ix, valid = rotate_source_indices(m, deg)
    flat = (iy * m + ix)[valid]
    return np.stack([np.bincount(flat, weights=gc[valid], minlength=m * m).reshape(m, m) for gc in g])


def transform_sizes(s, scale, p=12, j1=8, j2=4):
    """(padded, after jitter 1, after scale M, after jitter 2 N) for an s x s image."""
    c1 = s + 2 * p - j1
    m = scaled_size(scale, c1)
    return s + 2 * p, c1, m, m - j2


def standard_transforms(img, scale, crop1, angle_deg, crop2, p=12, pad_value=0.5, j1=8, j2=4):
    """Lucid's standard_transforms on one (3, s, s) image with its draws: crop1/crop2 = (ox, oy)."""
    _, c1, m, n = transform_sizes(img.shape[-1], scale, p, j1, j2)
    x = pad(img, p, pad_value)
    x = crop(x, crop1[0], crop1[1], c1)
    x = resize_bilinear(x, m)
    x = rotate(x, angle_deg)
    return crop(x, crop2[0], crop2[1], n)


def standard_transforms_adjoint(g, s, scale, crop1, angle_deg, crop2, p=12, j1=8, j2=4):
    """Transpose of the linear part of standard_transforms (the constant pad value gets no gradient)."""
    padded, c1, m, _ = transform_sizes(s, scale, p, j1, j2)
    g = crop_adjoint(np.asarray(g, np.float64), crop2[0], crop2[1], m)
    g = rotate_adjoint(g, angle_deg)
    g = resize_bilinear_adjoint(g, c1)
    g = crop_adjoint(g, crop1[0], crop1[1], padded)
    return pad_adjoint(g, p)


# ---------------------------------------------------------------------------------------------------------------
# Objectives (objectives.py) on activations act (B, C, h, w); each returns (value, d value / d act).


def channel(act, c):
    """channel(layer, c) over the batch it is given: mean over images and positions of act[:, c]."""
    act = np.asarray(act, np.float64)
    g = np.zeros_like(act)
    g[:, c] = 1.0 / act[:, c].size
    return act[:, c].mean(), g


def neuron(act, c):
    """neuron(layer, c) at Lucid's default position: _extract_act_pos takes acts[:, H//2, W//2] in NHWC (its x
    is the row), i.e. act[:, c, h//2, w//2]; mean over the images given."""
    act = np.asarray(act, np.float64)
    b, _, h, w = act.shape
    g = np.zeros_like(act)
    g[:, c, h // 2, w // 2] = 1.0 / b
    return act[:, c, h // 2, w // 2].mean(), g


def l2_normalize(x, eps=1e-10):
    """tf.nn.l2_normalize over all of x: x / sqrt(max(sum x^2, eps))."""
    return x / np.sqrt(max(np.sum(x * x), eps))


def l2_normalize_backward(x, gy, eps=1e-10):
    ss = np.sum(x * x)
    if ss <= eps:
        return gy / np.sqrt(eps)
    r = np.sqrt(ss)
    y = x / r
    return (gy - y * np.sum(y * gy)) / r


def diversity(act):
    """diversity(layer): G_b = F_b^T F_b (C x C, F_b the (h*w) x C matrix of image b), each G_b l2-normalised
    over both axes (eps 1e-10); value = sum_{i != j} <G_i, G_j> / B."""
    act = np.asarray(act, np.float64)
    b = act.shape[0]
    f = act.reshape(b, act.shape[1], -1)                     # (B, C, hw) = F_b^T
    grams = np.einsum("bcp,bdp->bcd", f, f)
    norm = np.stack([l2_normalize(gm) for gm in grams])
    tot = norm.sum(axis=0)
    value = (np.sum(tot * tot) - np.sum(norm * norm)) / b
    g = np.empty_like(f)
    for i in range(b):
        dn = 2.0 * (tot - norm[i]) / b
        dg = l2_normalize_backward(grams[i], dn)
        g[i] = (dg + dg.T) @ f[i]
    return value, g.reshape(act.shape)


def channel_interpolate(act1, c1, act2, c2):
    """sum_n (1 - w_n) mean(act1[n, c1]) + w_n mean(act2[n, c2]), w_n = n / (B - 1). Returns (value, g1, g2,
    per-frame values)."""
    act1 = np.asarray(act1, np.float64)
    act2 = np.asarray(act2, np.float64)
    b = act1.shape[0]
    wts = np.arange(b) / float(b - 1)
    per = (1 - wts) * act1[:, c1].mean(axis=(1, 2)) + wts * act2[:, c2].mean(axis=(1, 2))
    g1 = np.zeros_like(act1)
    g2 = np.zeros_like(act2)
    g1[:, c1] = ((1 - wts) / act1[0, c1].size)[:, None, None]
    g2[:, c2] = (wts / act2[0, c2].size)[:, None, None]
    return per.sum(), g1, g2, per


def alignment(act, decay_ratio=2.0):
    """-sum_{d=1..4} sum_{i+d<B} mean((act[i] - act[i+d])^2) / decay_ratio^d (mean over an image's tensor)."""
    act = np.asarray(act, np.float64)
    b = act.shape[0]
    n = act[0].size
    value = 0.0
    g = np.zeros_like(act)
    for d in (1, 2, 3, 4):
        k = float(decay_ratio) ** float(d)
        for i in range(b - d):
            diff = act[i] - act[i + d]
            value -= np.mean(diff * diff) / k
            g[i] -= 2.0 * diff / (n * k)
            g[i + d] += 2.0 * diff / (n * k)
    return value, g


# ---------------------------------------------------------------------------------------------------------------
# tf.train.AdamOptimizer, one update minimising loss = -objective


def adam_update(p, m, v, dobj, t, lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8):
    """t is the 1-based update count; dobj = d objective / d p, so the loss gradient is -dobj."""
    g = -np.asarray(dobj, np.float64)
    m = beta1 * np.asarray(m, np.float64) + (1 - beta1) * g
    v = beta2 * np.asarray(v, np.float64) + (1 - beta2) * g * g
    lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return np.asarray(p, np.float64) - lr_t * m / (np.sqrt(v) + eps), m, v
