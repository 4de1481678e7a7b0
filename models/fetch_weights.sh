#!/usr/bin/env bash
# Downloads the public GoogLeNet model files featvis-cuda reads (BVLC bvlc_googlenet.caffemodel, TensorFlow
# inception5h.zip -> tensorflow_inception_graph.pb + labels) into the weights cache, checks their hashes,
# installs them atomically, and checks that featvis-cuda can load them. Run with --help for the options.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: models/fetch_weights.sh [--model bvlc|inception5h|all] [--dest DIR] [--force]

  --model M   which model to fetch (default all)
                bvlc         bvlc_googlenet.caffemodel (BVLC Caffe model zoo; featvis-cuda's default model)
                inception5h  tensorflow_inception_graph.pb and imagenet_comp_graph_label_strings.txt,
                             unpacked from TensorFlow's inception5h.zip
  --dest DIR  where to put them (default $XDG_CACHE_HOME/featvis, else ~/.cache/featvis: the folder
              featvis-cuda looks in when neither --weights nor FEATVIS_WEIGHTS is given)
  --force     download again even when a verified copy is already there (replaced only once the new
              one has passed its checks)

environment:
  FEATVIS_BVLC_URL, FEATVIS_INCEPTION5H_URL        download from a mirror (http, https or file URL)
  FEATVIS_BVLC_SHA1, FEATVIS_BVLC_SHA256           expected hashes of the caffemodel; setting either one
  FEATVIS_INCEPTION5H_SHA1, FEATVIS_INCEPTION5H_SHA256   (of the zip) replaces the published hashes:
                                                   a value of "" or "none" means "do not check"
  FEATVIS_BIN              the featvis-cuda used for the load check (default: build/featvis-cuda of this
                           repository, then featvis-cuda on PATH); "none" skips the check
  FEATVIS_FETCH_MAX_TIME   seconds one download may take (default 1800)

exit status: 0 all fetched (or already there) and verified; 1 a check failed (hash mismatch, a file that
does not load, no unzip); 2 bad usage; 3 a download failed (no network, server error) and nothing else did.
EOF
}

# Published download locations and hashes.
#  - BVLC: models/bvlc_googlenet/readme.md of BVLC/caffe (caffemodel_url, sha1).
#  - inception5h: TensorFlow's WORKSPACE (new_http_archive "inception5h": urls, sha256).
BVLC_FILE=bvlc_googlenet.caffemodel
BVLC_DEFAULT_URL=http://dl.caffe.berkeleyvision.org/bvlc_googlenet.caffemodel
BVLC_PUBLISHED_SHA1=405fc5acd08a3bb12de8ee5e23a96bec22f08204
I5H_ZIP=inception5h.zip
I5H_GRAPH=tensorflow_inception_graph.pb
I5H_LABELS=imagenet_comp_graph_label_strings.txt
I5H_DEFAULT_URL=https://storage.googleapis.com/download.tensorflow.org/models/inception5h.zip
I5H_PUBLISHED_SHA256=d13569f6a98159de37e92e9c8ec4dae8f674fbf475f69fe6199b514f756d4364
I5H_STAMP=inception5h.sha256   # sha256sum of the two unpacked files, written after a verified fetch

model=all
dest=""
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --model) [ $# -ge 2 ] || { echo "fetch_weights: --model needs a value" >&2; exit 2; }; model="$2"; shift 2 ;;
    --model=*) model="${1#*=}"; shift ;;
    --dest) [ $# -ge 2 ] || { echo "fetch_weights: --dest needs a value" >&2; exit 2; }; dest="$2"; shift 2 ;;
    --dest=*) dest="${1#*=}"; shift ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fetch_weights: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$model" in
  bvlc|inception5h|all) ;;
  *) echo "fetch_weights: --model must be bvlc, inception5h or all, not '$model'" >&2; exit 2 ;;
esac
if [ -z "$dest" ]; then
  if [ -n "${XDG_CACHE_HOME:-}" ]; then dest="$XDG_CACHE_HOME/featvis"
  elif [ -n "${HOME:-}" ]; then dest="$HOME/.cache/featvis"
  else echo "fetch_weights: neither XDG_CACHE_HOME nor HOME is set; pass --dest DIR" >&2; exit 2
  fi
fi
mkdir -p "$dest" || { echo "fetch_weights: cannot create $dest" >&2; exit 1; }
dest="$(cd "$dest" && pwd)"
max_time="${FEATVIS_FETCH_MAX_TIME:-1800}"
case "$max_time" in ''|*[!0-9]*) echo "fetch_weights: FEATVIS_FETCH_MAX_TIME must be a number of seconds" >&2; exit 2 ;; esac

say() { printf 'fetch_weights: %s\n' "$*"; }
err() { printf 'fetch_weights: %s\n' "$*" >&2; }

# Temporary folders live inside $dest (same filesystem, so the final mv is an atomic rename) and are
# removed however the script ends.
tmpdirs=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { local d; for d in "${tmpdirs[@]+"${tmpdirs[@]}"}"; do rm -rf -- "$d"; done; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
new_tmpdir() { # sets $tmp
  tmp="$(mktemp -d "$dest/.fetch.XXXXXX")" || { err "cannot create a temporary folder in $dest"; return 1; }
  tmpdirs+=("$tmp")
}

# ---- hashes ------------------------------------------------------------------------------------------
hash_of() { # hash_of sha1|sha256 FILE
  local algo="$1" f="$2" bits
  if command -v "${algo}sum" >/dev/null 2>&1; then "${algo}sum" -- "$f" | cut -d' ' -f1; return; fi
  bits="${algo#sha}"
  if command -v shasum >/dev/null 2>&1; then shasum -a "$bits" -- "$f" | cut -d' ' -f1; return; fi
  err "neither ${algo}sum nor shasum is installed"; return 1
}
# check_hashes LABEL FILE WANT_SHA1 WANT_SHA256: prints both computed hashes; returns 0 when every expected
# (non-empty) hash matches, 1 on a mismatch. Sets $checked to the list of algorithms compared.
check_hashes() {
  local label="$1" f="$2" want1="$3" want256="$4" got1 got256 bad=0
  got1="$(hash_of sha1 "$f")"; got256="$(hash_of sha256 "$f")"
  say "$label: sha1 $got1  sha256 $got256"
  checked=""
  if [ -n "$want1" ]; then
    checked="sha1"
    [ "$got1" = "$want1" ] || { err "$label: sha1 mismatch: expected $want1, got $got1"; bad=1; }
  fi
  if [ -n "$want256" ]; then
    checked="${checked:+$checked, }sha256"
    [ "$got256" = "$want256" ] || { err "$label: sha256 mismatch: expected $want256, got $got256"; bad=1; }
  fi
  return "$bad"
}
# expected_hashes PREFIX PUBLISHED_SHA1 PUBLISHED_SHA256: sets want1/want256 from FEATVIS_<PREFIX>_SHA1/_SHA256
# when either is set (""/none = no check), else to the published ones.
expected_hashes() {
  local p="$1" v1="FEATVIS_${1}_SHA1" v256="FEATVIS_${1}_SHA256"
  if [ -n "${!v1+x}" ] || [ -n "${!v256+x}" ]; then
    want1="${!v1:-}"; want256="${!v256:-}"
    [ "$want1" != none ] || want1=""
    [ "$want256" != none ] || want256=""
    hash_source="from FEATVIS_${p}_SHA1/_SHA256"
  else
    want1="$2"; want256="$3"; hash_source="the published hash"
  fi
  want1="$(printf '%s' "$want1" | tr 'A-F' 'a-f')"; want256="$(printf '%s' "$want256" | tr 'A-F' 'a-f')"
}
describe_check() { # after check_hashes succeeded
  if [ -n "$checked" ]; then say "$1: $checked as expected ($hash_source)"
  else say "$1: hash not checked ($hash_source set to none)"; fi
}

# ---- download ----------------------------------------------------------------------------------------
# download URL OUT NAME: 0, or prints the one-line reason and returns 3.
download() {
  local url="$1" out="$2" name="$3" log reason rc=0
  log="$(dirname "$out")/.download.log"
  if command -v curl >/dev/null 2>&1; then
    curl --fail --location --silent --show-error --connect-timeout 15 --max-time "$max_time" \
         --retry 2 --retry-delay 3 --output "$out" -- "$url" 2>"$log" || rc=$?
  elif command -v wget >/dev/null 2>&1; then
    case "$url" in
      http://*|https://*) ;;
      *) echo "wget cannot fetch this kind of URL (install curl)" >"$log"; rc=1 ;;
    esac
    if [ "$rc" -eq 0 ]; then
      if command -v timeout >/dev/null 2>&1; then
        timeout "$max_time" wget --no-verbose --tries=3 --connect-timeout=15 --read-timeout=60 \
          --output-document="$out" -- "$url" 2>"$log" || rc=$?
      else
        wget --no-verbose --tries=3 --connect-timeout=15 --read-timeout=60 --output-document="$out" -- "$url" 2>"$log" || rc=$?
      fi
      [ "$rc" -ne 124 ] || echo "timed out after ${max_time} s" >>"$log"
    fi
  else
    echo "neither curl nor wget is installed" >"$log"; rc=1
  fi
  if [ "$rc" -ne 0 ]; then
    reason="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | sed -e 's/^curl: //' -e 's/^wget: //' -e 's/\.$//')"
    [ -n "$reason" ] || reason="exit status $rc"
    err "cannot download $name from $url: $reason; check your network or pass --weights to use a file you have"
    return 3
  fi
  rm -f -- "$log"
}

# ---- load check --------------------------------------------------------------------------------------
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(dirname "$script_dir")"
find_bin() {
  bin=""; bin_why="no featvis-cuda binary: set FEATVIS_BIN or build into build/"
  if [ -n "${FEATVIS_BIN:-}" ]; then
    [ "$FEATVIS_BIN" = none ] && { bin_why="FEATVIS_BIN=none"; return 0; }
    if [ -x "$FEATVIS_BIN" ]; then bin="$FEATVIS_BIN"
    elif command -v "$FEATVIS_BIN" >/dev/null 2>&1; then bin="$(command -v "$FEATVIS_BIN")"
    else err "FEATVIS_BIN=$FEATVIS_BIN is not an executable"; fi
    return 0
  fi
  if [ -x "$repo_root/build/featvis-cuda" ]; then bin="$repo_root/build/featvis-cuda"
  elif command -v featvis-cuda >/dev/null 2>&1; then bin="$(command -v featvis-cuda)"; fi
}
find_bin
# load_check LABEL FILE: 0 loads (or no binary: skipped), 1 does not load.
load_check() {
  local label="$1" f="$2" out rc=0 n
  if [ -z "$bin" ]; then
    say "$label: load check skipped ($bin_why)"
    return 0
  fi
  out="$("$bin" layers --weights "$f" --backend cpu 2>&1)" || rc=$?
  if [ "$rc" -ne 0 ]; then
    err "$label: $bin layers --weights ... failed (exit $rc): $(printf '%s\n' "$out" | tail -n 1)"
    return 1
  fi
  n="$(printf '%s\n' "$out" | grep -vc '^#' || true)"
  say "$label: loads ($bin layers: $(printf '%s\n' "$out" | head -n 1 | sed 's/^# *//'); $n layers)"
}

# ---- models ------------------------------------------------------------------------------------------
status=0 # 0 ok, 1 check failed, 3 download failed
note_fail() { if [ "$1" -eq 1 ] || [ "$status" -eq 1 ]; then status=1; else status=3; fi; }

fetch_bvlc() {
  local url="${FEATVIS_BVLC_URL:-$BVLC_DEFAULT_URL}" final="$dest/$BVLC_FILE" tmp rc=0
  expected_hashes BVLC "$BVLC_PUBLISHED_SHA1" ""
  if [ -e "$final" ] && [ "$force" -eq 0 ]; then
    if check_hashes "$BVLC_FILE" "$final" "$want1" "$want256"; then
      if [ -n "$checked" ]; then say "$BVLC_FILE: already present and verified ($checked), kept: $final"
      else say "$BVLC_FILE: already present (no hash to check against), kept: $final"; fi
      load_check "$BVLC_FILE" "$final" || return 1
      return 0
    fi
    err "$BVLC_FILE: $final is there but is not the expected file; left untouched (rerun with --force to replace it)"
    return 1
  fi
  new_tmpdir || return 1
  say "$BVLC_FILE: downloading $url"
  download "$url" "$tmp/$BVLC_FILE" "$BVLC_FILE" || return $?
  check_hashes "$BVLC_FILE" "$tmp/$BVLC_FILE" "$want1" "$want256" || { err "$BVLC_FILE: not installed"; return 1; }
  describe_check "$BVLC_FILE"
  load_check "$BVLC_FILE" "$tmp/$BVLC_FILE" || rc=1
  if [ "$rc" -ne 0 ] && [ -z "$checked" ]; then
    err "$BVLC_FILE: not installed (unverified download that does not load)"; return 1
  fi
  mv -f -- "$tmp/$BVLC_FILE" "$final" || { err "$BVLC_FILE: cannot move it into $dest"; return 1; }
  say "$BVLC_FILE: installed $final"
  [ "$rc" -eq 0 ] || err "$BVLC_FILE: installed because its hash matches, but this featvis-cuda cannot load it (see above)"
  return "$rc"
}

unzip_member() { # unzip_member ZIP MEMBER OUT
  if command -v unzip >/dev/null 2>&1; then
    unzip -p -- "$1" "$2" >"$3"
  else
    python3 - "$1" "$2" "$3" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  fi
}

fetch_inception5h() {
  local url="${FEATVIS_INCEPTION5H_URL:-$I5H_DEFAULT_URL}" tmp rc=0 f
  expected_hashes INCEPTION5H "" "$I5H_PUBLISHED_SHA256"
  if [ -e "$dest/$I5H_GRAPH" ] && [ -e "$dest/$I5H_LABELS" ] && [ "$force" -eq 0 ]; then
    if [ -e "$dest/$I5H_STAMP" ]; then
      if (cd "$dest" && sha256sum --check --quiet "$I5H_STAMP" >/dev/null 2>&1); then
        say "$I5H_GRAPH, $I5H_LABELS: already present and verified (sha256 recorded in $I5H_STAMP at fetch time), kept"
        load_check "$I5H_GRAPH" "$dest/$I5H_GRAPH" || return 1
        return 0
      fi
      err "inception5h: $dest/$I5H_GRAPH or $I5H_LABELS no longer matches $I5H_STAMP; left untouched (rerun with --force to replace them)"
      return 1
    fi
    say "$I5H_GRAPH, $I5H_LABELS: already present (not fetched by this script: no $I5H_STAMP), kept; --force fetches them anew"
    load_check "$I5H_GRAPH" "$dest/$I5H_GRAPH" || return 1
    return 0
  fi
  if ! command -v unzip >/dev/null 2>&1 && ! command -v python3 >/dev/null 2>&1; then
    err "inception5h: need unzip (or python3) to unpack $I5H_ZIP"; return 1
  fi
  new_tmpdir || return 1
  say "$I5H_ZIP: downloading $url"
  download "$url" "$tmp/$I5H_ZIP" "$I5H_ZIP" || return $?
  check_hashes "$I5H_ZIP" "$tmp/$I5H_ZIP" "$want1" "$want256" || { err "inception5h: not installed"; return 1; }
  describe_check "$I5H_ZIP"
  for f in "$I5H_GRAPH" "$I5H_LABELS"; do
    if ! unzip_member "$tmp/$I5H_ZIP" "$f" "$tmp/$f" || [ ! -s "$tmp/$f" ]; then
      err "inception5h: $I5H_ZIP has no readable $f; not installed"; return 1
    fi
  done
  (cd "$tmp" && sha256sum "$I5H_GRAPH" "$I5H_LABELS" >"$I5H_STAMP") || { err "inception5h: sha256sum failed"; return 1; }
  while read -r h f; do say "$f: sha256 $h"; done <"$tmp/$I5H_STAMP"
  load_check "$I5H_GRAPH" "$tmp/$I5H_GRAPH" || rc=1
  if [ "$rc" -ne 0 ] && [ -z "$checked" ]; then
    err "inception5h: not installed (unverified download that does not load)"; return 1
  fi
  # The stamp goes last: files without a matching stamp are never taken as verified.
  if ! { rm -f -- "$dest/$I5H_STAMP" && mv -f -- "$tmp/$I5H_LABELS" "$dest/$I5H_LABELS" &&
         mv -f -- "$tmp/$I5H_GRAPH" "$dest/$I5H_GRAPH" && mv -f -- "$tmp/$I5H_STAMP" "$dest/$I5H_STAMP"; }; then
    err "inception5h: cannot move the files into $dest"; return 1
  fi
  say "inception5h: installed $dest/$I5H_GRAPH and $dest/$I5H_LABELS (use --model inception5h --weights $dest/$I5H_GRAPH)"
  [ "$rc" -eq 0 ] || err "inception5h: installed because the zip's hash matches, but this featvis-cuda cannot load the graph (see above)"
  return "$rc"
}

say "destination $dest"
if [ "$model" = bvlc ] || [ "$model" = all ]; then
  fetch_bvlc || note_fail $?
fi
if [ "$model" = inception5h ] || [ "$model" = all ]; then
  fetch_inception5h || note_fail $?
fi
exit "$status"
