#!/usr/bin/python3
"""The parts of docker/check-image.sh that need no root, network or Docker (it runs this first; also alone):
1. every package CMake requires (pkg_check_modules, find_library, find_path, find_program with REQUIRED, in
   CMakeLists.txt and the .cmake files it includes) is provided by a group of docker/packages.txt (its KIND:WHAT
   tokens), and the Dockerfile installs nothing by name (its packages come from that list through stage.sh);
2. the image's weights agree with models/fetch_weights.sh: FEATVIS_WEIGHTS is the folder the Dockerfile fetches
   into plus the file name the script installs;
3. one container command line everywhere: the runtime stage's WORKDIR is /work, docker/README.md shows
   `docker run --gpus all -v "$PWD:/work" featvis-cuda --batch /work/channels.txt -o /work/out`, the Kubernetes
   Indexed Job runs the same arguments (plus --shard and --backend), the gallery Job `gallery /work/out`, and the
   Slurm script the same `--batch JOBS -o OUT --shard auto/N` (its container line with /work paths).
Prints one line per breach and exits 1 on any; usage: check_static.py [REPO_ROOT]."""
import json
import os
import re
import sys

CANONICAL = ["--batch", "/work/channels.txt", "-o", "/work/out"]
README_RUN = 'docker run --gpus all -v "$PWD:/work" featvis-cuda --batch /work/channels.txt -o /work/out'
KEYWORDS = {"REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL", "NO_CMAKE_PATH", "NO_CMAKE_ENVIRONMENT_PATH",
            "NAMES", "HINTS", "PATHS", "PATH_SUFFIXES", "DOC", "NO_DEFAULT_PATH", "NO_CACHE", "NAMES_PER_DIR",
            "REGISTRY_VIEW", "VALIDATOR", "NO_PACKAGE_ROOT_PATH", "NO_SYSTEM_ENVIRONMENT_PATH",
            "NO_CMAKE_SYSTEM_PATH", "CMAKE_FIND_ROOT_PATH_BOTH", "ONLY_CMAKE_FIND_ROOT_PATH",
            "NO_CMAKE_FIND_ROOT_PATH", "ENV"}
KIND_OF = {"pkg_check_modules": "pc", "find_library": "lib", "find_path": "h", "find_program": "bin"}


def read(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


def cmake_files(root):
    """CMakeLists.txt and every .cmake file it includes, recursively."""
    out, todo = [], ["CMakeLists.txt"]
    while todo:
        rel = todo.pop()
        if rel in out or not os.path.exists(os.path.join(root, rel)):
            continue
        out.append(rel)
        text = strip_comments(read(root, rel))
        todo += [m for m in re.findall(r"\binclude\s*\(\s*([^\s)$]+\.cmake)\s*\)", text)]
    return out


def strip_comments(text):
    return "\n".join(re.sub(r"#.*", "", line) for line in text.split("\n"))


def cmake_requirements(root):
    """(kind, what, file:line) for every REQUIRED package look-up."""
    reqs = []
    for rel in cmake_files(root):
        text = strip_comments(read(root, rel))
        for m in re.finditer(r"\b(pkg_check_modules|find_library|find_path|find_program)\s*\(([^)]*)\)", text):
            call, args = m.group(1), m.group(2).split()
            if "REQUIRED" not in args or len(args) < 2:
                continue
            where = "%s:%d" % (rel, text.count("\n", 0, m.start()) + 1)
            if call == "pkg_check_modules":
                names = [a for a in args[1:] if a not in KEYWORDS]
            elif "NAMES" in args:
                i = args.index("NAMES") + 1
                names = []
                while i < len(args) and args[i] not in KEYWORDS:
                    names.append(args[i])
                    i += 1
            else:
                names = [args[1]]
            for n in names:
                n = re.split(r"[<>=]", n)[0]
                if n and "$" not in n:
                    reqs.append((KIND_OF[call], n, where))
    return reqs


def provided(root):
    prov = {}
    for no, line in enumerate(read(root, "docker/packages.txt").split("\n"), 1):
        words = re.sub(r"#.*", "", line).split()
        if not words:
            continue
        for w in words[1:]:
            if ":" in w:
                prov.setdefault(w, (words[0], no))
    return prov


def check_packages(root, breaches):
    prov = provided(root)
    for kind, what, where in cmake_requirements(root):
        token = "%s:%s" % (kind, what)
        if token not in prov:
            breaches.append("%s: CMake requires %s, which no group of docker/packages.txt provides (add the package "
                            "with %s)" % (where, token, token))
    docker = read(root, "docker/Dockerfile")
    if re.search(r"apt-get\s+install", docker):
        breaches.append("docker/Dockerfile: names packages itself (apt-get install); use docker/stage.sh install")
    if "stage.sh install build" not in docker:
        breaches.append("docker/Dockerfile: the build stage does not install the build groups (stage.sh install build)")


def stages(docker):
    """The Dockerfile's instructions per stage: [[(INSTR, args), ...], ...], continuation lines joined."""
    out, cur, buf = [], None, ""
    for line in docker.split("\n"):
        if re.match(r"\s*#", line):  # comment lines go, also inside a continued instruction
            continue
        buf += line.rstrip()
        if buf.endswith("\\"):
            buf = buf[:-1] + " "
            continue
        if buf.strip():
            instr, _, args = buf.strip().partition(" ")
            if instr.upper() == "FROM":
                cur = []
                out.append(cur)
            if cur is not None:
                cur.append((instr.upper(), args.strip()))
        buf = ""
    return out


def check_weights(root, breaches):
    st = stages(read(root, "docker/Dockerfile"))
    env = {}
    for instr, args in st[-1]:
        if instr == "ENV":
            k, _, v = args.partition("=")
            env[k.strip()] = v.strip().strip('"')
    weights = env.get("FEATVIS_WEIGHTS", "")
    dests = [m for instr, args in st[0] if instr == "RUN" and "fetch_weights.sh" in args
             for m in re.findall(r"--dest\s+([^\s;]+)", args)]
    m = re.search(r"^BVLC_FILE=(\S+)", read(root, "models/fetch_weights.sh"), re.M)
    bvlc = m.group(1) if m else "?"
    if not dests:
        breaches.append("docker/Dockerfile: the build stage never runs models/fetch_weights.sh --dest DIR")
    elif weights != os.path.join(dests[0], bvlc):
        breaches.append("docker/Dockerfile: FEATVIS_WEIGHTS=%s, but fetch_weights.sh --dest %s installs %s/%s"
                        % (weights or "(unset)", dests[0], dests[0], bvlc))
    copies = [args for instr, args in st[-1] if instr == "COPY" and "--from=build" in args]
    if dests and not any(a.split()[-1] == dests[0] for a in copies):
        breaches.append("docker/Dockerfile: the runtime stage does not copy %s from the build stage" % dests[0])
    workdir = [args for instr, args in st[-1] if instr == "WORKDIR"]
    if not workdir or workdir[-1] != "/work":
        breaches.append("docker/Dockerfile: the runtime stage's WORKDIR is %s, not /work"
                        % (workdir[-1] if workdir else "unset"))


def yaml_args(text):
    m = re.search(r"^\s*args:\s*(\[.*\])\s*$", text, re.M)
    if not m:
        return None
    try:
        return json.loads(m.group(1))
    except ValueError:
        return None


def check_commands(root, breaches):
    readme = read(root, "docker/README.md")
    if README_RUN not in readme:
        breaches.append("docker/README.md: does not show the container command `%s`" % README_RUN)
    job = yaml_args(read(root, "docker/k8s-indexed-job.yaml"))
    if not job or job[:4] != CANONICAL or "--shard" not in job:
        breaches.append("docker/k8s-indexed-job.yaml: args %s do not start with %s (then --shard auto/N)"
                        % (job, CANONICAL))
    mounts = read(root, "docker/k8s-indexed-job.yaml")
    for path in ("mountPath: /work\n", "mountPath: /work/channels.txt"):
        if path not in mounts:
            breaches.append("docker/k8s-indexed-job.yaml: no volume mounted at %s" % path.split()[1])
    gallery = yaml_args(read(root, "docker/k8s-gallery-job.yaml"))
    if gallery != ["gallery", "/work/out"]:
        breaches.append("docker/k8s-gallery-job.yaml: args %s, not [\"gallery\", \"/work/out\"]" % gallery)
    slurm = read(root, "docker/slurm-array.sh")
    if not re.search(r'^exec "\$bin" --batch "\$jobs_file" -o "\$out" --shard "auto/\$n"', slurm, re.M):
        breaches.append("docker/slurm-array.sh: its exec line is not `\"$bin\" --batch \"$jobs_file\" -o \"$out\" "
                        "--shard \"auto/$n\" ...`")
    if 'featvis-cuda --batch /work/channels.txt -o /work/out --shard "auto/$n"' not in slurm:
        breaches.append("docker/slurm-array.sh: its container line does not run `--batch /work/channels.txt "
                        "-o /work/out`")


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    breaches = []
    check_packages(root, breaches)
    check_weights(root, breaches)
    check_commands(root, breaches)
    for b in breaches:
        print(b)
    print("check_static: %d CMake requirements, %d breaches" % (len(cmake_requirements(root)), len(breaches)))
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
