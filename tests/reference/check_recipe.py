#!/usr/bin/python3
"""Checks featvis-cuda's render recipe, stage by stage, against lucid_recipe.py (a float64 numpy port of Lucid's
formulas): the tensors `dump_recipe WEIGHTS OUTDIR` writes for one ordinary batch (render/) and one interpolation
(interp/). Each stage starts from OUR previous stage's dumped value, so a failure names one stage. Criterion:
max |ours - ref| / max(max |ref|, 1e-12) <= 1e-5 for every quantity. Prints one line per comparison and a
closing 'N passed, M failed'; exits non-zero on any failure. --self-test checks the port itself (no dump)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean when ctest runs this
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lucid_recipe as lr  # noqa: E402

TOL = 1e-5


class Report:
    def __init__(self, tol):
        self.tol = tol
        self.passed = 0
        self.failed = 0

    def ok(self, name, cond, detail=""):
        print("%-44s %s%s" % (name, "PASS" if cond else "FAIL", ("  " + detail) if detail else ""))
        if cond:
            self.passed += 1
        else:
            self.failed += 1
        return cond

    def compare(self, name, ours, ref, tol=None):
        """max |ours - ref| / max(max |ref|, 1e-12) <= tol; on failure the worst element and its index."""
        tol = self.tol if tol is None else tol
        ours = np.asarray(ours, np.float64)
        ref = np.asarray(ref, np.float64)
        if ours.shape != ref.shape:
            return self.ok(name, False, "shape ours %s ref %s" % (ours.shape, ref.shape))
        if ours.size == 0:
            return self.ok(name, True, "empty")
        if not np.all(np.isfinite(ours)):
            bad = np.unravel_index(np.argmax(~np.isfinite(ours)), ours.shape)
            return self.ok(name, False, "non-finite value at %s" % (tuple(int(i) for i in bad),))
        diff = np.abs(ours - ref)
        scale = max(float(np.max(np.abs(ref))), 1e-12)
        rel = float(np.max(diff)) / scale
        worst = np.unravel_index(np.argmax(diff), diff.shape)
        detail = "max rel err %.3e" % rel
        if rel > tol:
            detail += "  worst at %s: ours %.9g ref %.9g (max|ref| %.6g)" % (
                tuple(int(i) for i in worst), ours[worst], ref[worst], scale)
        return self.ok(name, rel <= tol, detail)


def layer_file(layer):
    return layer.replace("/", "_")


# ---------------------------------------------------------------------------------------------------------------
# Objectives as the dump describes them (Lucid's semantics composed per group)

def render_objective(acts, groups):
    """acts: layer -> (B, C, h, w). A group's objective is sum_terms weight * term(batch=None over its images)
    - diversity.weight * diversity(layer over its images); the total is the sum over groups.
    Returns (total, grads per layer, per-image values (own terms on the image alone), diversity values)."""
    any_act = next(iter(acts.values()))
    nb = any_act.shape[0]
    grads = {k: np.zeros(np.shape(a)) for k, a in acts.items()}
    per_image = np.zeros(nb)
    div_values = []
    total = 0.0
    for grp in groups:
        idx = list(grp["images"])
        for term in grp["terms"]:
            fn = {"channel": lr.channel, "neuron": lr.neuron}[term["kind"]]
            a = acts[term["layer"]]
            w = float(term.get("weight", 1.0))
            val, g = fn(a[idx], term["channel"])
            total += w * val
            grads[term["layer"]][idx] += w * g
            for b in idx:
                per_image[b] += w * fn(a[[b]], term["channel"])[0]
        div = grp.get("diversity")
        if div:
            val, g = lr.diversity(acts[div["layer"]][idx])
            total -= float(div["weight"]) * val
            grads[div["layer"]][idx] -= float(div["weight"]) * g
            div_values.append(val)
    return total, grads, per_image, div_values


def interp_objective(acts, obj):
    """channel_interpolate(a, b) + alignment.weight * sum over alignment layers of alignment(layer, decay)."""
    la, ca = obj["a"]["layer"], obj["a"]["channel"]
    lb, cb = obj["b"]["layer"], obj["b"]["channel"]
    grads = {k: np.zeros(np.shape(a)) for k, a in acts.items()}
    total, g1, g2, per = lr.channel_interpolate(acts[la], ca, acts[lb], cb)
    grads[la] += g1
    grads[lb] += g2
    al = obj.get("alignment")
    if al:
        for layer in al["layers"]:
            val, g = lr.alignment(acts[layer], al["decay"])
            total += float(al["weight"]) * val
            grads[layer] += float(al["weight"]) * g
    return total, grads, per


def objective_layers(groups):
    names = []
    for grp in groups:
        names += [t["layer"] for t in grp["terms"]]
        if grp.get("diversity"):
            names.append(grp["diversity"]["layer"])
    return sorted(set(names))


# ---------------------------------------------------------------------------------------------------------------
# Dump checks

def draw_args(draws, img):
    return dict(scale=draws["scale"], crop1=img["crop1"], angle_deg=img["angle_deg"], crop2=img["crop2"],
                p=draws.get("pad", 12), j1=draws.get("jitter1", 8), j2=draws.get("jitter2", 4))


def check_sizes(rep, tag, draws, s):
    _, _, m, n = lr.transform_sizes(s, draws["scale"], draws.get("pad", 12), draws.get("jitter1", 8),
                                    draws.get("jitter2", 4))
    rep.ok("%s/draws canvas M, out N" % tag, (m, n) == (draws.get("canvas", m), draws.get("out", n)),
           "ours (%s, %s) ref (%d, %d) for S=%d scale=%r" % (draws.get("canvas"), draws.get("out"), m, n, s,
                                                            draws["scale"]))
    rep.ok("%s/draws pad value 0.5" % tag, float(draws.get("pad_value", 0.5)) == 0.5,
           "ours %r" % draws.get("pad_value"))


def check_forward_x(rep, tag, d, draws):
    rgb = np.load(os.path.join(d, "rgb.npy"))
    x = np.load(os.path.join(d, "x.npy"))
    check_sizes(rep, tag, draws, rgb.shape[-1])
    ref = np.stack([lr.standard_transforms(rgb[b].astype(np.float64), pad_value=draws.get("pad_value", 0.5),
                                           **draw_args(draws, img)) for b, img in enumerate(draws["images"])])
    rep.compare("%s/x from rgb + draws" % tag, x, ref)


def check_render(rep, d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    ld = lambda name: np.load(os.path.join(d, name + ".npy"))  # noqa: E731
    draws = meta["draws"]
    spec, t, rgb = ld("spec"), ld("t"), ld("rgb")
    rep.compare("render/t from spec (fft_image)", t, lr.fft_image(spec))
    rep.compare("render/rgb from t (colour + sigmoid)", rgb, lr.to_valid_rgb(t))
    check_forward_x(rep, "render", d, draws)

    groups = meta["objective"]["groups"]
    acts = {layer: ld("act_" + layer_file(layer)).astype(np.float64) for layer in objective_layers(groups)}
    _, grads, per_image, div_values = render_objective(acts, groups)
    for layer in sorted(grads):
        rep.compare("render/grad_%s" % layer_file(layer), ld("grad_" + layer_file(layer)), grads[layer])
    rep.compare("render/values.per_image", meta["values"]["per_image"], per_image)
    rep.compare("render/values.diversity", meta["values"].get("diversity", []), div_values)

    dx = ld("dx")
    drgb_ref = np.stack([lr.standard_transforms_adjoint(dx[b], rgb.shape[-1], **draw_args(draws, img))
                         for b, img in enumerate(draws["images"])])
    drgb = ld("drgb")
    rep.compare("render/drgb from dx (transform adjoint)", drgb, drgb_ref)
    dt = ld("dt")
    rep.compare("render/dt from drgb + rgb (colour backward)", dt, lr.to_valid_rgb_backward(drgb, rgb))
    dspec = ld("dspec")
    rep.compare("render/dspec from dt (fft_image adjoint)", dspec, lr.fft_image_adjoint(dt))

    p, m, v = lr.adam_update(spec, ld("m"), ld("v"), dspec, meta["t"], meta.get("lr", 0.05),
                             meta.get("beta1", 0.9), meta.get("beta2", 0.999), meta.get("eps", 1e-8))
    ok = rep.compare("render/spec_after (Adam, t=%d)" % meta["t"], ld("spec_after"), p)
    ok &= rep.compare("render/m_after", ld("m_after"), m)
    ok &= rep.compare("render/v_after", ld("v_after"), v)
    if not ok:
        # Diagnosis only (the reference stays TF's): does ours keep the first moment of +d objective (the
        # opposite sign to TF's m, the moment of the loss gradient) and step up it? Same trajectory, other m.
        p2, m2, v2 = lr.adam_update(spec, -ld("m"), ld("v"), dspec, meta["t"], meta.get("lr", 0.05),
                                    meta.get("beta1", 0.9), meta.get("beta2", 0.999), meta.get("eps", 1e-8))
        errs = [float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))
                for a, b in ((ld("spec_after"), p2), (-ld("m_after"), m2), (ld("v_after"), v2))]
        if max(errs) <= rep.tol:
            print("note: with m read as the moment of +d objective (TF's m negated) ours matches TF's update: "
                  "spec_after %.1e, -m_after %.1e, v_after %.1e" % tuple(errs))


def check_interp(rep, d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    ld = lambda name: np.load(os.path.join(d, name + ".npy"))  # noqa: E731
    draws = meta["draws"]
    imgs = draws["images"]
    same = all(img == imgs[0] for img in imgs)
    rep.ok("interp/draws shared by all %d frames" % len(imgs), same and len(imgs) == meta["frames"],
           "" if same else "frame draws %s" % imgs)
    if os.path.exists(os.path.join(d, "x.npy")) and os.path.exists(os.path.join(d, "rgb.npy")):
        check_forward_x(rep, "interp", d, draws)
    obj = meta["objective"]
    layers = {obj["a"]["layer"], obj["b"]["layer"]} | set(obj.get("alignment", {}).get("layers", []))
    acts = {layer: ld("act_" + layer_file(layer)).astype(np.float64) for layer in sorted(layers)}
    _, grads, per = interp_objective(acts, obj)
    for layer in sorted(grads):
        rep.compare("interp/grad_%s" % layer_file(layer), ld("grad_" + layer_file(layer)), grads[layer])
    rep.compare("interp/values.per_image", meta["values"]["per_image"], per)


def check_chain(rep, d):
    """The transform chain alone, with draws that hit float32 rounding ties: forward and exact adjoint."""
    meta = json.load(open(os.path.join(d, "meta.json")))
    draws = meta["draws"]
    check_forward_x(rep, "chain", d, draws)
    rgb, dx, drgb = (np.load(os.path.join(d, n + ".npy")) for n in ("rgb", "dx", "drgb"))
    ties = 0
    for img in draws["images"]:
        cy, cx = lr.rotate_source_coords(draws["canvas"], img["angle_deg"])
        ties += int(np.sum((cy - np.floor(cy)) == np.float32(0.5)) + np.sum((cx - np.floor(cx)) == np.float32(0.5)))
    rep.ok("chain/draws hit float32 rounding ties", ties > 0, "%d tied source coordinates" % ties)
    ref = np.stack([lr.standard_transforms_adjoint(dx[b], rgb.shape[-1], **draw_args(draws, img))
                    for b, img in enumerate(draws["images"])])
    rep.compare("chain/drgb from dx (transform adjoint)", drgb, ref)


# ---------------------------------------------------------------------------------------------------------------
# Self-test of the port

def numeric_grad(f, x, h=1e-5):
    g = np.zeros_like(x)
    flat, gf = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        fp = f(x)
        flat[i] = keep - h
        fm = f(x)
        flat[i] = keep
        gf[i] = (fp - fm) / (2 * h)
    return g


def self_test(rep):
    rng = np.random.default_rng(7)
    dot = lambda a, b: float(np.sum(a * b))  # noqa: E731

    # fft_image: numpy's irfft2 semantics against an explicit sum, and the adjoint
    for h, w in ((6, 8), (8, 6), (16, 16)):
        spec = rng.normal(size=(2, 3, h, w // 2 + 1, 2))
        rep.compare("self/fft_image %dx%d vs explicit sum" % (h, w), lr.fft_image(spec), lr.fft_image_direct(spec),
                    1e-12)
        y = rng.normal(size=(2, 3, h, w))
        lhs, rhs = dot(lr.fft_image(spec), y), dot(spec, lr.fft_image_adjoint(y))
        rep.compare("self/fft_image adjoint <Ax,y>=<x,A'y> %dx%d" % (h, w), lhs, rhs, 1e-12)
    h, w = 4, 6
    n_in = h * (w // 2 + 1) * 2
    cols = [lr.fft_image(e.reshape(h, w // 2 + 1, 2)).ravel() for e in np.eye(n_in)]
    a = np.stack(cols, axis=1)                                          # (h*w, n_in)
    adj = np.stack([lr.fft_image_adjoint(e.reshape(h, w)).ravel() for e in np.eye(h * w)], axis=1)
    rep.compare("self/fft_image adjoint == basis transpose 4x6", adj, a.T, 1e-12)

    # colour
    t = rng.normal(size=(2, 3, 5, 4))
    rep.compare("self/colour Mn matches RECIPE numbers", lr.COLOR_MN, np.array(
        [[0.562829, 0.194825, 0.043295], [0.584476, 0.0, -0.108236], [0.584476, -0.194825, 0.064942]]), 1e-5)
    drgb = rng.normal(size=t.shape)
    num = numeric_grad(lambda tt: dot(lr.to_valid_rgb(tt), drgb), t.copy())
    rep.compare("self/colour backward vs central differences", lr.to_valid_rgb_backward(drgb, lr.to_valid_rgb(t)),
                num, 1e-8)

    # resize_bilinear, TF 1.x legacy sampling, hand-computed
    rep.compare("self/resize [0,1] -> 4 = [0,.5,1,1] (legacy)",
                lr.resize_bilinear(np.array([[[0.0, 1.0]]]).repeat(2, 1), 4)[0, 0], [0, 0.5, 1, 1], 1e-12)
    rep.compare("self/resize [0,1,2,3] -> 3 = [0,4/3,8/3]",
                lr.resize_bilinear(np.tile(np.arange(4.0), (1, 4, 1)), 3)[0, 0], [0, 4 / 3, 8 / 3], 1e-7)
    rep.compare("self/resize 2x2 -> 3x3 hand values",
                lr.resize_bilinear(np.array([[[0.0, 1.0], [2.0, 3.0]]]), 3)[0],
                [[0, 2 / 3, 1], [4 / 3, 2, 7 / 3], [2, 8 / 3, 3]], 1e-7)
    rep.ok("self/scaled size is a float32 product", lr.scaled_size(1.06, 150) == 158 and int(1.06 * 150) == 159,
           "int(f32(1.06)*f32(150)) = %d (float64: %d)" % (lr.scaled_size(1.06, 150), int(1.06 * 150)))

    # rotation
    for m in (7, 8):
        img = rng.normal(size=(3, m, m))
        rep.compare("self/rotate by 0 deg is identity (%dx%d)" % (m, m), lr.rotate(img, 0), img, 0.0)
    img = np.arange(25.0).reshape(1, 5, 5)
    r90 = lr.rotate(img, 90.0 * np.pi / 3.14)  # Lucid converts degrees with 3.14
    rep.compare("self/rotate ~90 deg = np.rot90 (TF's sense)", r90, np.rot90(img, 1, axes=(1, 2)), 0.0)
    rep.compare("self/std::round ties away from zero", lr.round_half_away([0.5, 1.5, 2.5, -0.5, -2.5, 0.49]),
                [1, 2, 3, -1, -3, 0], 0.0)
    rep.ok("self/np.round would differ at ties", np.round(2.5) == 2.0 and lr.round_half_away(2.5) == 3.0)
    # exact float32 ties occur (at even k + 0.5 in these cases, where np.round would go down)
    ties = wrong = 0
    for m, deg in ((48, 2), (64, 3), (72, -3), (79, 5), (83, 9)):
        cy, cx = lr.rotate_source_coords(m, deg)
        iy, ix, _ = lr.rotate_source_indices(m, deg)
        for c, i in ((cy, iy), (cx, ix)):
            tie = (c - np.floor(c)) == np.float32(0.5)
            ties += int(tie.sum())
            wrong += int(np.sum(i[tie] != np.where(c[tie] > 0, c[tie] + 0.5, c[tie] - 0.5)))
    rep.ok("self/rotation ties go away from zero", ties > 0 and wrong == 0,
           "%d exact float32 ties, %d rounded otherwise" % (ties, wrong))
    rep.ok("self/angle: (f32(3.14) * deg) / 180 in float32", lr.lucid_angle_rad(10) != np.float32(3.14 * 10 / 180.0)
           and lr.lucid_angle_rad(10) == np.float32(np.float32(3.14) * np.float32(10)) / np.float32(180))
    iy, ix, valid = lr.rotate_source_indices(40, 10)
    rep.ok("self/rotate 10 deg zero-fills the corners", not valid[0, 0] and valid[20, 20])

    # transforms: exact adjoint of the linear part
    s = 20
    for scale, ang in ((0.9, 10), (1.1, -7), (1.0, 0), (0.96, 3)):
        c1 = (np.int64(rng.integers(0, 9)), np.int64(rng.integers(0, 9)))
        c2 = (np.int64(rng.integers(0, 5)), np.int64(rng.integers(0, 5)))
        kw = dict(scale=scale, crop1=c1, angle_deg=ang, crop2=c2)
        xin = rng.normal(size=(3, s, s))
        base = lr.standard_transforms(np.zeros_like(xin), **kw)
        fx = lr.standard_transforms(xin, **kw) - base
        y = rng.normal(size=fx.shape)
        rep.compare("self/transforms adjoint scale %.2f angle %d" % (scale, ang), dot(fx, y),
                    dot(xin, lr.standard_transforms_adjoint(y, s, **kw)), 1e-12)
    xin = rng.normal(size=(3, s, s))
    out = lr.standard_transforms(xin, 1.0, (4, 4), 0, (2, 2))
    # the image sits at 12 - 4 - 2 = 6 after pad 12 and the two crops at (4, 4) and (2, 2)
    rep.compare("self/transforms at scale 1, angle 0 = shift", out[:, 6:6 + s, 6:6 + s], xin, 0.0)
    rep.ok("self/transforms pad value 0.5 around it", np.all(out[:, :6] == 0.5) and np.all(out[:, :, 6 + s:] == 0.5))

    # objectives vs central differences
    act1 = rng.normal(size=(4, 5, 3, 4))
    act2 = np.maximum(rng.normal(size=(4, 6, 4, 3)), 0) + 0.1
    for name, fn in (("channel", lambda a: lr.channel(a, 2)), ("neuron", lambda a: lr.neuron(a, 3)),
                     ("diversity", lr.diversity), ("alignment decay 5", lambda a: lr.alignment(a, 5.0)),
                     ("alignment decay 2", lambda a: lr.alignment(a, 2.0))):
        a = act1.copy()
        rep.compare("self/%s grad vs central differences" % name, fn(a)[1], numeric_grad(lambda z: fn(z)[0], a),
                    1e-6)
    _, g1, g2, _ = lr.channel_interpolate(act1, 1, act2, 4)
    rep.compare("self/channel_interpolate grad 1", g1,
                numeric_grad(lambda z: lr.channel_interpolate(z, 1, act2, 4)[0], act1.copy()), 1e-6)
    rep.compare("self/channel_interpolate grad 2", g2,
                numeric_grad(lambda z: lr.channel_interpolate(act1, 1, z, 4)[0], act2.copy()), 1e-6)
    # diversity by its definition (pairwise loop), incl. the / B
    f = act1.reshape(4, 5, -1)
    grams = [fb @ fb.T for fb in f]
    grams = [gm / np.sqrt(np.sum(gm * gm)) for gm in grams]
    pair = sum(np.sum(grams[i] * grams[j]) for i in range(4) for j in range(4) if i != j) / 4
    rep.compare("self/diversity value = pairwise definition", lr.diversity(act1)[0], pair, 1e-12)
    rep.compare("self/neuron reads act[:, c, h//2, w//2]", lr.neuron(act1, 3)[0], act1[:, 3, 1, 2].mean(), 0.0)

    # the dump's group semantics: a diversity group, a one-image group
    groups = [{"images": [0, 1, 2], "terms": [{"kind": "channel", "layer": "L1", "channel": 2, "weight": 1.0},
                                               {"kind": "neuron", "layer": "L1", "channel": 4, "weight": 0.5}],
               "diversity": {"layer": "L2", "weight": 100.0}},
              {"images": [3], "terms": [{"kind": "channel", "layer": "L2", "channel": 1, "weight": -1.0}]}]
    acts = {"L1": act1.copy(), "L2": act2.copy()}
    _, grads, per, divs = render_objective(acts, groups)
    for layer in ("L1", "L2"):
        def tot(z, layer=layer):
            return render_objective(dict(acts, **{layer: z}), groups)[0]
        rep.compare("self/group objective grad %s vs central differences" % layer, grads[layer],
                    numeric_grad(tot, acts[layer].copy()), 1e-6)
    rep.compare("self/group per-image values", per, [act1[b, 2].mean() + 0.5 * act1[b, 4, 1, 2] for b in range(3)]
                + [-act2[3, 1].mean()], 1e-12)
    obj = {"a": {"layer": "L1", "channel": 1}, "b": {"layer": "L2", "channel": 4},
           "alignment": {"layers": ["L1", "L2"], "decay": 5.0, "weight": 0.1}}
    _, grads, _ = interp_objective(acts, obj)
    for layer in ("L1", "L2"):
        def tot(z, layer=layer):
            return interp_objective(dict(acts, **{layer: z}), obj)[0]
        rep.compare("self/interp objective grad %s vs central diff" % layer, grads[layer],
                    numeric_grad(tot, acts[layer].copy()), 1e-6)

    # Adam: the first update moves every parameter by about lr in the direction of d objective
    p = rng.normal(size=10)
    dobj = rng.choice([-1.0, 1.0], size=10) * (1.0 + np.abs(rng.normal(size=10)))  # |g| >> eps
    p1, m1, v1 = lr.adam_update(p, np.zeros(10), np.zeros(10), dobj, 1)
    rep.compare("self/Adam first step = lr * sign(dobj)", p1 - p, 0.05 * np.sign(dobj), 1e-6)
    p2, _, _ = lr.adam_update(p1, m1, v1, dobj, 2)
    rep.compare("self/Adam second step, same gradient", p2 - p1, 0.05 * np.sign(dobj), 1e-6)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dumper", help="path to the dump_recipe binary (run into a temporary directory)")
    ap.add_argument("--weights", help="path to bvlc_googlenet.caffemodel, passed to the dumper")
    ap.add_argument("--dir", help="check an existing dump (the OUTDIR given to dump_recipe)")
    ap.add_argument("--self-test", action="store_true", help="check the port itself; no dump needed")
    ap.add_argument("--tol", type=float, default=TOL)
    args = ap.parse_args()
    rep = Report(args.tol)
    if args.self_test:
        self_test(rep)
    if args.dir:
        check_render(rep, os.path.join(args.dir, "render"))
        check_interp(rep, os.path.join(args.dir, "interp"))
        check_chain(rep, os.path.join(args.dir, "chain"))
    if args.dumper:
        if not args.weights:
            ap.error("--dumper needs --weights")
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([args.dumper, args.weights, tmp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True)
            if r.returncode != 0:
                print(r.stdout)
                rep.ok("dump_recipe ran", False, "exit status %d" % r.returncode)
            else:
                check_render(rep, os.path.join(tmp, "render"))
                check_interp(rep, os.path.join(tmp, "interp"))
                check_chain(rep, os.path.join(tmp, "chain"))
    if not (args.self_test or args.dir or args.dumper):
        ap.error("give --self-test, --dir or --dumper/--weights")
    print("%d passed, %d failed" % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
