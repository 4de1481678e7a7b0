#!/usr/bin/env python3
"""Project the article's full appendix from a step-time CSV (perf/bench_step.c) and write summary.json.

The appendix: mixed3a..mixed5b of inception5h (256, 480, 508, 512, 512, 528, 832, 832, 1024 channels =
5,484), 7 optimised images per channel, 2,560 steps, 224 px. Per layer, the time per image-step is the
best measured (median step time / batch) at --size; unmeasured layers are interpolated by their forward
multiply-adds (time per MAC of the nearest measured layer by MAC count). The floor is the appendix's
FLOPs (4 x forward MACs per image-step) at --peak-tflops (default 495: an H100's dense TF32 rate, as
ISSUE 5 uses). Peer ratios come from --peer-csv rows (perf/peer/*.py) when given: torch_batched* at the
same layer, size and batch; lucent* (one image at a time) against our best batch; otherwise null.
Only our rows at --precision count (a CSV column since the GPU has TF32; rows without it are FP32), and peers
are compared at the same precision. Standard library only.
usage: appendix_projection.py STEP_CSV OUT_JSON [--size 224] [--precision fp32|tf32] [--peak-tflops 495]
                              [--peer-csv F] [--device NAME]"""
import argparse
import csv
import datetime
import json
import sys

CHANNELS = {"mixed3a": 256, "mixed3b": 480, "mixed4a": 508, "mixed4b": 512, "mixed4c": 512,
            "mixed4d": 528, "mixed4e": 832, "mixed5a": 832, "mixed5b": 1024}
# forward GMAC per image at 224 px (featvis' own count on the graph: fv_net_forward_macs; BVLC widths)
GMAC_224 = {"mixed3a": 0.606, "mixed3b": 0.910, "mixed4a": 0.984, "mixed4b": 1.072, "mixed4c": 1.171,
            "mixed4d": 1.290, "mixed4e": 1.460, "mixed5a": 1.511, "mixed5b": 1.582}
IMAGES_PER_CHANNEL, STEPS = 7, 2560


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--peak-tflops", type=float, default=495.0)
    ap.add_argument("--peer-csv")
    ap.add_argument("--device")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32"])
    a = ap.parse_args()

    def ours(r):
        return int(r["size"]) == a.size and (r.get("precision") or "fp32") == a.precision
    best = {}  # layer -> (seconds per image-step, batch, images/s at 512 steps, device)
    for r in csv.DictReader(open(a.csv)):
        if not ours(r) or r["layer"] not in CHANNELS:
            continue
        t = float(r["median_step_s"]) / int(r["batch"])
        if r["layer"] not in best or t < best[r["layer"]][0]:
            best[r["layer"]] = (t, int(r["batch"]), float(r["images_per_s_at_512_steps"]), r.get("device", ""))
    if not best:
        sys.exit("%s: no %s rows at size %d for mixed3a..mixed5b" % (a.csv, a.precision, a.size))
    scale = (a.size / 224.0) ** 2
    per_mac = {l: best[l][0] / (GMAC_224[l] * scale) for l in best}
    seconds, flops, detail = 0.0, 0.0, {}
    for layer, ch in CHANNELS.items():
        if layer in best:
            t, how = best[layer][0], "measured (batch %d)" % best[layer][1]
        else:
            near = min(per_mac, key=lambda l: abs(GMAC_224[l] - GMAC_224[layer]))
            t, how = per_mac[near] * GMAC_224[layer] * scale, "interpolated from %s by MACs" % near
        n = ch * IMAGES_PER_CHANNEL * STEPS
        seconds += n * t
        flops += n * 4 * GMAC_224[layer] * 1e9 * scale
        detail[layer] = {"seconds_per_image_step": t, "how": how}
    floor_s = flops / (a.peak_tflops * 1e12)
    peers = {}
    if a.peer_csv:
        for r in csv.DictReader(open(a.peer_csv)):
            peers.setdefault(r["name"], []).append(r)

    ours_by_batch = {}  # (layer, batch) -> images/s, at --size
    for r in csv.DictReader(open(a.csv)):
        if ours(r):
            k = (r["layer"], int(r["batch"]))
            ours_by_batch[k] = max(ours_by_batch.get(k, 0), float(r["images_per_s_at_512_steps"]))

    def ratio(prefix, same_batch, precision=a.precision):
        """Mean over layers of ours / the peer's best variant (eager or compiled, any recipe), in images per
        second at the same size and precision (and batch, for batched peers; Lucent renders one image at
        a time, so it is compared with our best batch)."""
        peer_best = {}
        for name, rows in peers.items():
            if not name.startswith(prefix):
                continue
            for r in rows:
                if int(r["size"]) != a.size or r["precision"] != precision or float(r["images_per_s"]) <= 0:
                    continue
                k = (r["layer"], int(r["batch"]) if same_batch else 0)
                peer_best[k] = max(peer_best.get(k, 0), float(r["images_per_s"]))
        rs = []
        for (layer, batch), v in peer_best.items():
            mine = ours_by_batch.get((layer, batch)) if same_batch else (best[layer][2] if layer in best else None)
            if mine:
                rs.append(mine / v)
        return sum(rs) / len(rs) if rs else None

    devices = {v[3] for v in best.values() if v[3]}
    summary = {
        "date": datetime.date.today().isoformat(),
        "gpu": a.device or (", ".join(sorted(devices)) if devices else None),
        "size": a.size,
        "precision": a.precision,
        "appendix_images": sum(CHANNELS.values()) * IMAGES_PER_CHANNEL,
        "appendix_pflop": flops / 1e15,
        "appendix_hours_projected": seconds / 3600,
        "floor_minutes_at_peak": floor_s / 60,
        "peak_tflops_assumed": a.peak_tflops,
        "fraction_of_floor": floor_s / seconds,
        "ratio_vs_torch_batched": ratio("torch_batched", True),
        "ratio_vs_lucent": ratio("lucent", False),
        "layers": detail,
    }
    json.dump(summary, open(a.out, "w"), indent=2)
    print("appendix (%d images, %.0f PFLOP) at %d px: projected %.1f hours; floor %.1f min at %.0f TFLOP/s "
          "(fraction of floor %.2e)" % (summary["appendix_images"], summary["appendix_pflop"], a.size,
                                        summary["appendix_hours_projected"], summary["floor_minutes_at_peak"],
                                        a.peak_tflops, summary["fraction_of_floor"]))


if __name__ == "__main__":
    main()
