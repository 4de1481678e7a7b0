#!/usr/bin/env bash
# Checks docker/Dockerfile without Docker (issue 14): run by scripts/test.sh, or alone as root.
#  1. docker/check_static.py: CMake's required packages are in docker/packages.txt; the image's weights path
#     agrees with models/fetch_weights.sh; docker/README.md, the Kubernetes Jobs and the Slurm script share one
#     command line.
#  2. Two clean root file systems of Debian 12 (or, FV_CHECK_DISTRO=ubuntu, the base images' own Ubuntu 24.04;
#     mmdebstrap --variant=apt, the distribution's packages only) stand in for the nvidia/cuda base images: the host's CUDA toolkit (cuDNN included) bind-mounted read-only into the build
#     root as the devel image's /usr/local/cuda, its libraries alone into the runtime root as the runtime
#     image's. Then this script runs the Dockerfile itself, instruction by instruction (ARG, ENV, SHELL,
#     WORKDIR, COPY from the context or --from=build, RUN under the Dockerfile's SHELL): the build groups of
#     docker/packages.txt installed by the Dockerfile's own RUN, the CUDA parts compiled (tests off), the weights
#     fetched into the image by models/fetch_weights.sh from a file:// copy of the shared weights, the runtime
#     packages derived from ldd, the binary and weights copied in as the Dockerfile copies them.
#  3. As the container's entry point (the Dockerfile's ENV, WORKDIR and ENTRYPOINT, user 1000:1000, your folder
#     at /work): ldd has no "not found", `featvis-cuda --version`, one 64 px render with --backend cpu, and the
#     docker README's `--batch /work/channels.txt -o /work/out` of a two-line job file, then `gallery /work/out`.
# NOT proven: the nvidia/cuda base images themselves (their CUDA and cuDNN packages; by default also Ubuntu
# 24.04 and its package names: Debian 12 stands in unless FV_CHECK_DISTRO=ubuntu), a real GPU or driver (the renders run on the CPU), Docker's own
# behaviour (layers, .dockerignore as BuildKit reads it, --gpus), and by default the Dockerfile's default
# CUDA_ARCHS: the check compiles for sm_90 only (FV_CHECK_CUDA_ARCHS=dockerfile: its 80;90, about twice as long).
#
# Environment: FV_IMAGE_CHECK=run (default) | optional (a missing prerequisite: root, the mirror, the CUDA
# toolkit, the shared weights, disk, is a loud skip, exit 0, instead of exit 3) | skip (do nothing, say so);
# FV_CHECK_DISTRO=debian (default) | ubuntu; FV_CHECK_CUDA_ARCHS (default 90); FV_CHECK_CUDA (default
# /usr/local/cuda); FV_CHECK_MIRROR (Debian: the host's /etc/apt/sources.list.d/debian.sources, else
# http://deb.debian.org/debian; Ubuntu: http://archive.ubuntu.com/ubuntu); FV_CHECK_DIR (where the
# roots go, default /tmp); FV_CHECK_KEEP=1 keeps them (unmounted); FV_SHARED_DIR (default ../shared).
# Exit: 0 the image checks out; 1 it does not (one FAILED line says where); 3 could not check (one line says what
# is missing); 2 bad usage.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
t_start=$SECONDS
say() { printf 'check-image: %s\n' "$*"; }
failed() { say "FAILED: $*"; exit 1; }
cannot() {
  if [ "${FV_IMAGE_CHECK:-run}" = optional ]; then
    say "SKIPPED (FV_IMAGE_CHECK=optional), the docker image is NOT checked: could not $*"; exit 0
  fi
  say "COULD NOT CHECK the docker image: could not $* (FV_IMAGE_CHECK=optional makes this a skip)"; exit 3
}
not_proven() {
  say "not proven here: the nvidia/cuda base images themselves (NVIDIA's packages; ${distro_name:-Debian 12}"
  say "  and the host's CUDA toolkit stood in), a real GPU (every render ran on the CPU), Docker itself, and"
  say "  CUDA_ARCHS other than ${archs} (the Dockerfile's default is ${dockerfile_archs:-80;90})"
}
[ $# -eq 0 ] || { echo "usage: docker/check-image.sh (no arguments; see its opening comment)" >&2; exit 2; }
case "${FV_IMAGE_CHECK:-run}" in
  run|optional) ;;
  skip) say "SKIPPED by FV_IMAGE_CHECK=skip: the docker image is NOT checked"; exit 0 ;;
  *) echo "check-image: FV_IMAGE_CHECK must be run, optional or skip" >&2; exit 2 ;;
esac

# ---- 1. static ----------------------------------------------------------------------------------------
command -v python3 >/dev/null || cannot "run docker/check_static.py: no python3"
if ! python3 docker/check_static.py "$repo" >/tmp/check-static.$$ 2>&1; then
  cat /tmp/check-static.$$; rm -f /tmp/check-static.$$
  failed "docker/check_static.py (above)"
fi
say "static: $(tail -n 1 /tmp/check-static.$$)"; rm -f /tmp/check-static.$$

# ---- prerequisites ------------------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then exec sudo -n -E "$repo/docker/check-image.sh"; fi
  cannot "build root file systems: chroot and bind mounts need root (run it as root or with sudo)"
fi
dockerfile_archs="$(sed -n 's/^ARG CUDA_ARCHS="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' docker/Dockerfile | head -n 1)"
archs="${FV_CHECK_CUDA_ARCHS:-90}"
[ "$archs" = dockerfile ] && archs="$dockerfile_archs"
cuda="${FV_CHECK_CUDA:-/usr/local/cuda}"
[ -x "$cuda/bin/nvcc" ] || cannot "compile the CUDA parts: no nvcc in $cuda/bin (FV_CHECK_CUDA)"
cuda_real="$(readlink -f "$cuda")"
cuda_lib="$(readlink -f "$cuda/lib64")"
ls "$cuda_lib"/libcudnn.so* >/dev/null 2>&1 || cannot "find cuDNN in $cuda_lib (the devel image has it)"
shared="${FV_SHARED_DIR:-$(dirname "$repo")/shared}"
weights="$shared/models/bvlc_googlenet/bvlc_googlenet.caffemodel"
[ -r "$weights" ] || cannot "find the shared weights $weights (FV_SHARED_DIR)"
weights_sha="$(awk '$2 ~ /bvlc_googlenet\.caffemodel$/ { print $1 }' "$(dirname "$weights")/SHA256SUMS" 2>/dev/null)"
[ -n "$weights_sha" ] || weights_sha="$(sha256sum "$weights" | cut -d' ' -f1)"
if ! command -v mmdebstrap >/dev/null; then
  say "installing mmdebstrap (docker/packages.txt, stage check)"
  scripts/install-deps.sh check >/tmp/check-deps.$$ 2>&1 || {
    cannot "install mmdebstrap (scripts/install-deps.sh check: $(grep -v '^$' /tmp/check-deps.$$ | tail -n 1))"; }
  rm -f /tmp/check-deps.$$
fi
# The distribution of the two roots: Debian 12 (default), or with FV_CHECK_DISTRO=ubuntu the nvidia/cuda images'
# own, Ubuntu 24.04 (noble, main and universe; Ubuntu's archive key from the host or, pinned by its SHA-256, from
# the ubuntu-keyring package of the archive).
distro="${FV_CHECK_DISTRO:-debian}"
case "$distro" in
  debian) suite=bookworm; components=main; distro_name="Debian 12"; keyring_opt=()
    if [ -n "${FV_CHECK_MIRROR:-}" ]; then mirror="$FV_CHECK_MIRROR"
    elif [ -r /etc/apt/sources.list.d/debian.sources ]; then mirror=/etc/apt/sources.list.d/debian.sources
    else mirror=http://deb.debian.org/debian; fi ;;
  ubuntu) suite=noble; components="main universe"; distro_name="Ubuntu 24.04"; keyring_opt=()
    mirror="${FV_CHECK_MIRROR:-http://archive.ubuntu.com/ubuntu}" ;;
  *) echo "check-image: FV_CHECK_DISTRO must be debian or ubuntu" >&2; exit 2 ;;
esac
parent="${FV_CHECK_DIR:-/tmp}"
mkdir -p "$parent"
avail_kb="$(df -Pk "$parent" | awk 'NR == 2 { print $4 }')"
[ "$avail_kb" -ge 3000000 ] || cannot "build the roots: under 3 GB free in $parent (FV_CHECK_DIR)"

# ---- work folder, mounts, cleanup (also on failure or a signal) -------------------------------------------
W="$(mktemp -d "$parent/featvis-image-check.XXXXXX")"
B="$W/build-root"; R="$W/runtime-root"; mkdir -p "$W/logs"
mounts=(); bg_pids=()
mnt() { # mnt [mount options...] SOURCE TARGET: mount and remember it
  mount "$@" || return 1
  mounts+=("${*: -1}")
}
cleanup() {
  local rc=$? p i left
  trap - EXIT INT TERM
  for p in "${bg_pids[@]+"${bg_pids[@]}"}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null || true
  done
  left="$(findmnt -rn -o TARGET | grep -F "$W/" || true)"
  if [ -n "$left" ]; then # mounts mmdebstrap or a stopped run left behind: deepest first
    sort -r <<<"$left" | while read -r p; do umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null || true; done
    left="$(findmnt -rn -o TARGET | grep -F "$W/" || true)"
  fi
  if [ -n "$left" ]; then
    say "WARNING: still mounted, $W left in place: $(tr '\n' ' ' <<<"$left")"
  elif [ "${FV_CHECK_KEEP:-0}" = 1 ]; then
    say "kept (unmounted): $W"
  else
    rm -rf --one-file-system "$W"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
step() { say "$(printf '[%4ds] ' $((SECONDS - t_start)))$*"; }

# ---- 2a. the build context (docker/Dockerfile.dockerignore's patterns) ------------------------------------
excludes=()
while read -r pat; do
  case "$pat" in ''|'#'*) continue ;; '**/'*) excludes+=("--exclude=${pat#\*\*/}") ;; *) excludes+=("--exclude=./$pat") ;; esac
done <docker/Dockerfile.dockerignore
mkdir -p "$W/context"
tar -C "$repo" "${excludes[@]}" -cf - . | tar -C "$W/context" -xf -

# ---- 2b. two clean roots of the distribution (in parallel) ---------------------------------------------------
mmdebstrap_root() { # mmdebstrap_root DIR LOG
  timeout 600 mmdebstrap --quiet --variant=apt --aptopt='Acquire::Languages "none"' \
    --dpkgopt=force-unsafe-io --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --components="$components" "${keyring_opt[@]}" "$suite" "$1" "$mirror" >"$2" 2>&1
}
# Ubuntu's archive keyring for mmdebstrap: the host's, else the one in ubuntu-keyring 2023.11.28.1 (noble).
UBUNTU_KEYRING_DEB=pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb
UBUNTU_KEYRING_SHA256=36de43b15853ccae0028e9a767613770c704833f82586f28eb262f0311adb8a8
ubuntu_keyring() {
  local k=/usr/share/keyrings/ubuntu-archive-keyring.gpg
  if [ ! -r "$k" ]; then
    curl -fsS --max-time 120 -o "$W/ubuntu-keyring.deb" "$mirror/$UBUNTU_KEYRING_DEB" ||
      cannot "fetch Ubuntu's archive keyring from $mirror/$UBUNTU_KEYRING_DEB"
    echo "$UBUNTU_KEYRING_SHA256  $W/ubuntu-keyring.deb" | sha256sum -c --quiet - ||
      failed "$mirror/$UBUNTU_KEYRING_DEB: not the pinned SHA-256 $UBUNTU_KEYRING_SHA256"
    dpkg-deb -x "$W/ubuntu-keyring.deb" "$W/ubuntu-keyring"
    k="$W/ubuntu-keyring/usr/share/keyrings/ubuntu-archive-keyring.gpg"
  fi
  keyring_opt=(--keyring="$k")
}
if [ "$distro" = ubuntu ]; then ubuntu_keyring; fi
step "mmdebstrap: two $distro_name roots (build, runtime) from $mirror"
mmdebstrap_root "$B" "$W/logs/mmdebstrap-build.log" & bg_pids+=($!)
mmdebstrap_root "$R" "$W/logs/mmdebstrap-runtime.log" & bg_pids+=($!)
mm_fail=""
for log in build runtime; do
  wait "${bg_pids[0]}" || mm_fail="$mm_fail $log"
  bg_pids=("${bg_pids[@]:1}")
done
if [ -n "$mm_fail" ]; then
  log="$W/logs/mmdebstrap-$(awk '{print $1}' <<<"$mm_fail").log"
  why="$(grep -E 'Could not resolve|Temporary failure|Failed to fetch|Unable to connect|Could not connect|No route|Connection (refused|timed out)' "$log" | head -n 1)"
  [ -n "$why" ] && cannot "reach $distro_name's packages ($mirror) to build the roots: ${why}"
  cannot "build the $distro_name roots with mmdebstrap:$mm_fail ($(grep -E '^E:' "$log" | head -n 1 || tail -n 1 "$log"))"
fi

# The nvidia/cuda images' part: the CUDA toolkit (devel) or its libraries (runtime), the dynamic linker told
# where they are, CUDA's PATH; /proc and the resolver as Docker provides them.
base_env=(PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
          LD_LIBRARY_PATH=/usr/local/nvidia/lib:/usr/local/nvidia/lib64 HOME=/root)
mkdir -p "$B$cuda_real" "$R/usr/local/cuda/lib64" "$B/opt/featvis-check/weights"
[ "$cuda_real" = /usr/local/cuda ] || ln -sfn "$cuda_real" "$B/usr/local/cuda"
mnt --bind -o ro "$cuda_real" "$B$cuda_real"
mnt --bind -o ro "$cuda_lib" "$R/usr/local/cuda/lib64"
mnt --bind -o ro "$(dirname "$weights")" "$B/opt/featvis-check/weights"
for root in "$B" "$R"; do
  mnt -t proc proc "$root/proc"
  echo /usr/local/cuda/lib64 >"$root/etc/ld.so.conf.d/000-cuda-base-image.conf"
  chroot "$root" ldconfig
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
done

# ---- 2c. the Dockerfile, instruction by instruction ---------------------------------------------------------
declare -A build_args=([CUDA_ARCHS]="$archs" [FETCH_WEIGHTS]=1 [FETCH_MODELS]=bvlc
  [BVLC_URL]="file:///opt/featvis-check/weights/bvlc_googlenet.caffemodel" [BVLC_SHA256]="$weights_sha")
parse_dockerfile() { # LINE<TAB>INSTRUCTION<TAB>ARGUMENTS, continuation lines joined, comment lines dropped
  awk '/^[[:space:]]*#/ { next }
    { line = $0; sub(/[[:space:]]+$/, "", line) }
    buf == "" && line == "" { next }
    { if (buf == "") start = NR
      if (line ~ /\\$/) { buf = buf substr(line, 1, length(line) - 1) " "; next }
      buf = buf line; sub(/^[[:space:]]+/, "", buf)
      i = index(buf, " "); args = substr(buf, i + 1); sub(/^[[:space:]]+/, "", args)
      printf "%d\t%s\t%s\n", start, toupper(substr(buf, 1, i - 1)), args; buf = "" }' "$1"
}
json_words() { python3 -c 'import json, sys; print("\n".join(json.loads(sys.argv[1])))' "$1"; }
unquote() { local v="$1"; v="${v#\"}"; v="${v%\"}"; printf '%s' "$v"; }
copy_in() { # copy_in FROM_DIR ROOT WORKDIR ARGS...: Docker's COPY (no globs, no --chown)
  local from="$1" root="$2" wd="$3"; shift 3
  local dest="${*: -1}" n=$(($# - 1)) s
  [[ "$dest" = /* ]] || dest="$wd/$dest"
  for s in "${@:1:n}"; do
    [ -e "$from/$s" ] || return 1
    if [ -d "$from/$s" ]; then mkdir -p "$root$dest"; cp -a "$from/$s/." "$root$dest/"
    elif [[ "$dest" = */ ]] || [ "$n" -gt 1 ]; then mkdir -p "$root$dest"; cp -a "$from/$s" "$root$dest/"
    else mkdir -p "$(dirname "$root$dest")"; cp -a "$from/$s" "$root$dest"; fi
  done
}
stage=-1; root=""; wd=/; shell=(/bin/sh -c); stage_env=(); entrypoint=(); image_env=()
while IFS=$'\t' read -r -u 3 no instr args; do
  where="docker/Dockerfile:$no ($instr ${args:0:70})"
  case "$instr" in
    FROM)
      stage=$((stage + 1)); wd=/; shell=(/bin/sh -c); stage_env=()
      case "$stage" in 0) root="$B" ;; 1) root="$R" ;; *) failed "$where: a third stage; teach check-image.sh" ;; esac
      step "stage $stage: FROM $args (stood in for: a $distro_name root + the host's CUDA)" ;;
    ARG)
      [ "$stage" -ge 0 ] || continue # ARGs before FROM only name the base images
      name="${args%%=*}"; value=""
      [[ "$args" = *=* ]] && value="$(unquote "${args#*=}")"
      if [ -n "${build_args[$name]+x}" ]; then value="${build_args[$name]}"; fi
      stage_env+=("$name=$value") ;;
    ENV)
      [[ "$args" = *=* ]] || failed "$where: only ENV NAME=VALUE is understood here"
      stage_env+=("${args%%=*}=$(unquote "${args#*=}")") ;;
    SHELL) mapfile -t shell < <(json_words "$args") ;;
    WORKDIR) [[ "$args" = /* ]] && wd="$args" || wd="$wd/$args"; mkdir -p "$root$wd" ;;
    COPY)
      from="$W/context"
      if [[ "$args" = --from=* ]]; then
        [ "${args%% *}" = --from=build ] || failed "$where: only --from=build is understood here"
        from="$B"; args="${args#* }"
      fi
      [[ "$args" = -* || "$args" = \[* || "$args" = *[*?]* ]] && failed "$where: COPY form not understood here"
      # shellcheck disable=SC2086  # the Dockerfile's words
      copy_in "$from" "$root" "$wd" $args || failed "$where: a source is missing"
      step "  COPY $args" ;;
    RUN)
      [[ "$args" = \[* ]] && failed "$where: exec-form RUN not understood here"
      t0=$SECONDS; log="$W/logs/dockerfile-$no.log"
      if ! timeout 900 chroot "$root" /usr/bin/env -i -C "$wd" "${base_env[@]}" "${stage_env[@]}" \
           "${shell[@]}" "$args" >"$log" 2>&1 </dev/null; then
        tail -n 25 "$log" | sed 's/^/    | /'
        why="$(grep -E 'CMake Error at|A required package|stage: |^E: |error:|not found' "$log" | head -n 2 | tr '\n' ' ')"
        if grep -qE 'Temporary failure resolving|Could not resolve|Failed to fetch' "$log"; then
          cannot "reach Debian's packages from the root ($where): $why"
        fi
        failed "$where exited non-zero: ${why:-see the lines above}"
      fi
      step "  RUN ${args:0:90} ($((SECONDS - t0)) s)" ;;
    ENTRYPOINT) mapfile -t entrypoint < <(json_words "$args") ;;
    CMD|LABEL|EXPOSE|VOLUME|USER|STOPSIGNAL) ;;
    *) failed "$where: instruction $instr not understood by check-image.sh" ;;
  esac
  if [ "$stage" = 1 ]; then image_env=("${stage_env[@]}"); image_wd="$wd"; fi
done 3< <(parse_dockerfile docker/Dockerfile)
[ "$stage" = 1 ] || failed "docker/Dockerfile: expected two stages, found $((stage + 1))"
grep -c . "$B/opt/featvis/runtime-packages.txt" >/dev/null || failed "the build stage derived no runtime packages"
say "runtime packages derived in the build stage: $(tr '\n' ' ' <"$B/opt/featvis/runtime-packages.txt")"

# ---- 3. the runtime root as a container: ENV, WORKDIR, ENTRYPOINT, --user 1000:1000, -v WORK:/work ---------
mkdir -p "$W/work" "$R/work"
chown 1000:1000 "$W/work"
mnt --bind "$W/work" "$R/work"
bin="$(chroot "$R" /usr/bin/env "${base_env[@]}" sh -c "command -v ${entrypoint[0]}")" ||
  failed "the entry point ${entrypoint[0]} is not on the image's PATH"
lddout="$(chroot "$R" ldd "$bin")"
if grep -q 'not found' <<<"$lddout"; then
  failed "ldd $bin in the runtime root: $(grep 'not found' <<<"$lddout" | awk '{print $1}' | tr '\n' ' ')not found"
fi
say "ldd: $(grep -c '=>' <<<"$lddout") libraries resolve, none missing; from the CUDA stand-in: $(grep -oE '^\s*lib(cu|nv)[^ ]*' <<<"$lddout" | tr -d '\t ' | tr '\n' ' ')"
container() { # container ARGS...: docker run --user 1000:1000 -v "$W/work:/work" IMAGE ARGS...
  chroot --userspec=1000:1000 "$R" /usr/bin/env -i -C "$image_wd" "${base_env[@]}" HOME=/ "${image_env[@]}" \
    "${entrypoint[@]}" "$@"
}
run_in() { # run_in WHAT ARGS...: one container run; its output into a log, the tail shown on failure
  local what="$1" log="$W/logs/run-${1// /_}.log" t0=$SECONDS; shift
  if ! container "$@" >"$log" 2>&1; then
    tail -n 15 "$log" | sed 's/^/    | /'
    failed "featvis-cuda $* (as the image's entry point, user 1000:1000): exit non-zero; $what"
  fi
  step "  featvis-cuda $* ($((SECONDS - t0)) s)"
}
step "container runs (entry point ${entrypoint[*]}, WORKDIR $image_wd, $(printf '%s ' "${image_env[@]}"))"
run_in version --version
grep -q '^featvis-cuda ' "$W/logs/run-version.log" || failed "--version printed no version line"
run_in render render mixed4a:97 --size 64 --steps 4 --backend cpu -o /work/one.png
[ "$(head -c 8 "$W/work/one.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  failed "render --backend cpu wrote no PNG at /work/one.png"
printf '%s\n' 'mixed4a:97 size=64 steps=4' 'mixed3b:5 size=64 steps=4' >"$W/work/channels.txt"
run_in batch --batch /work/channels.txt -o /work/out
pngs="$(find "$W/work/out" -name '*.png' | wc -l)"
oks="$(grep -c '"status": "ok"' "$W/work/out/journal.jsonl" 2>/dev/null || true)"
[ "$pngs" = 2 ] && [ "$oks" = 2 ] || failed "--batch of two jobs left $pngs PNGs and ${oks:-0} ok journal lines (want 2 and 2)"
run_in gallery gallery /work/out
[ -s "$W/work/out/gallery/index.html" ] || failed "gallery /work/out wrote no gallery/index.html"
say "OK in $((SECONDS - t_start)) s on ${distro_name}: the Dockerfile builds (CUDA parts for ${archs}) and its runtime stage runs \
featvis-cuda as the entry point: ldd complete, --version, a CPU render, --batch of 2 jobs, gallery"
not_proven
