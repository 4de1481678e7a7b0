#!/usr/bin/python3
"""The house rules of featvis-cuda's source tree (README, Layout), checked from the files themselves:
- every C/CUDA source and header under host/, models/, cuda/, kernels/, include/, python/ext/ opens with a comment
  saying what it is for;
- no source file over 500 lines and no function over 80 lines (tests, perf and generated files aside);
- includes never climb ("../"), and every include that names a layer ("net/plan.h") points one way: a
  layer may include only the layers listed below it in LAYERS (a file's own folder by plain name);
- no circles between layers follow from that.
Prints every breach as FILE:LINE: rule, then 'N files checked, M breaches'; exits 1 on any breach."""
import os
import re
import sys

# Each layer and the layers it may include (besides itself and the public header featvis/featvis.h).
LAYERS = {
    "core": [],
    "io": ["core"],
    "backend": ["core"],
    "cpu": ["backend", "core"],
    "cuda": ["backend", "core"],  # cuda/ and kernels/ are one layer: the CUDA twins of the op contract
    "device": ["cpu", "cuda", "backend", "core"],
    "net": ["backend", "core"],
    "models": ["net", "backend", "core"],
    "render": ["models", "net", "device", "backend", "io", "core"],
    "app": ["render", "models", "net", "device", "backend", "io", "core"],
    "cli": ["app", "render", "models", "device", "io", "core"],
    "python": ["app", "render", "models", "device", "io", "core"],  # python/ext/: the CPython extension
}
SOURCE_EXT = (".c", ".h", ".cu", ".cuh")
MAX_FILE, MAX_FUNC = 500, 80


def layer_of(rel):
    parts = rel.split("/")
    if parts[0] == "host" and len(parts) > 2:
        return parts[1]
    if parts[0] in ("cuda", "kernels"):
        return "cuda"
    if parts[0] == "models":
        return "models"
    if parts[0] == "include":
        return "include"
    if parts[:2] == ["python", "ext"]:
        return "python"
    return None


def functions(lines):
    """(name, first line, last line) of every function definition: a signature at column 0 ending in ')',
    then '{' alone at column 0, up to the next '}' alone at column 0."""
    out = []
    i = 0
    while i < len(lines):
        if lines[i].rstrip() == "{" and i > 0:
            j = i - 1
            while j > 0 and not re.match(r"^[A-Za-z_]", lines[j]) and lines[j].strip():
                j -= 1
            sig = lines[j]
            m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", sig)
            if m and not re.match(r"^(struct|typedef|enum|union|static const|const)\b", sig) and "=" not in sig:
                k = i + 1
                while k < len(lines) and lines[k].rstrip() != "}":
                    k += 1
                out.append((m.group(1), j + 1, k + 1))
                i = k
        i += 1
    return out


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    breaches, nfiles = [], 0
    for top in ("host", "models", "cuda", "kernels", "include", "python/ext"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith(SOURCE_EXT):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
                nfiles += 1
                if not (lines and (lines[0].startswith("/*") or lines[0].startswith("//"))):
                    breaches.append("%s:1: does not open with a comment saying what it is for" % rel)
                n = len(lines) - (1 if lines and lines[-1] == "" else 0)
                if n > MAX_FILE:
                    breaches.append("%s:%d: %d lines (at most %d)" % (rel, MAX_FILE, n, MAX_FILE))
                for name, a, b in functions(lines):
                    if b - a + 1 > MAX_FUNC:
                        breaches.append("%s:%d: function %s is %d lines (at most %d)" % (rel, a, name, b - a + 1,
                                                                                          MAX_FUNC))
                me = layer_of(rel)
                for no, line in enumerate(lines, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    inc = m.group(1)
                    if inc.startswith("../") or "/../" in inc:
                        breaches.append("%s:%d: include climbs: \"%s\"" % (rel, no, inc))
                        continue
                    if "/" not in inc or inc.startswith("featvis/") or me is None or me == "include":
                        continue  # same folder, the public header, generated protobuf code
                    target = inc.split("/")[0]
                    target = "cuda" if target == "kernels" else target
                    if target == me or target not in LAYERS:
                        continue
                    if target not in LAYERS.get(me, []):
                        breaches.append("%s:%d: layer %s includes layer %s (\"%s\"): not allowed" % (
                            rel, no, me, target, inc))
    for b in breaches:
        print(b)
    print("%d files checked, %d breaches" % (nfiles, len(breaches)))
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
