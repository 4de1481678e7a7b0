#!/bin/sh
# check_browser.sh GALLERY_DIR OUT_DIR: open every page of a built gallery (index.html first) in headless
# Chromium; a page passes when its self-check script reports GALLERY-OK (every <img> decoded, every sprite
# sheet named in its CSS loads), the console stayed silent and a screenshot (OUT_DIR/<page>.png) was taken.
# Exit 0 only if every check passed; the last line is "N passed, M failed". CHROMIUM overrides the binary.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 GALLERY_DIR OUT_DIR" >&2
    exit 2
fi
gdir=$1
out=$2
browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
    for b in chromium chromium-browser; do
        if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
    done
fi
if [ -z "$browser" ]; then
    echo "check_browser: no chromium found (Debian: apt-get install chromium)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -f "$gdir/index.html" ]; then
    echo "check_browser: $gdir/index.html does not exist" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
mkdir -p "$out" || exit 1
gabs=$(cd "$gdir" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fv_check_browser.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# A profile of its own per run: parallel runs (ctest -j) must not share Chromium's profile lock.
run_browser() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$work/profile" --virtual-time-budget=10000 "$@"
}

# index.html first, then the layer pages (their names are file-name-safe slugs).
for path in "$gabs/index.html" "$gabs"/*.html; do
    page=${path##*/}
    [ "$path" = "$gabs/index.html" ] && [ -n "${seen_index:-}" ] && continue
    seen_index=1
    url="file://$gabs/$page"
    name=${page%.html}
    # 1. The self-check verdict in the DOM after load, with the console on stderr.
    run_browser --enable-logging=stderr --v=0 --dump-dom "$url" >"$work/$name.dom" 2>"$work/$name.log"
    verdict=$(sed -n 's/.*<pre id="selfcheck">\([^<]*\)<\/pre>.*/\1/p' "$work/$name.dom" | head -n 1)
    case $verdict in
    GALLERY-OK*) ok "$page: $verdict" ;;
    *) bad "$page: self-check says '${verdict:-nothing (page did not load or script did not run)}'" ;;
    esac
    # 2. Our pages print nothing, so any console line (Chromium logs them as INFO:CONSOLE whatever their
    #    level) is an error: an uncaught exception, a failed script, a blocked load.
    if grep -q ':CONSOLE' "$work/$name.log"; then
        bad "$page: console output:"
        grep ':CONSOLE' "$work/$name.log" | head -n 20 | sed 's/^/    /'
    else
        ok "$page: console silent"
    fi
    # 3. A screenshot to look at.
    rm -f "$out/$name.png"
    run_browser --window-size=1000,1400 --screenshot="$out/$name.png" "$url" >/dev/null 2>"$work/$name.shot.log"
    if [ -s "$out/$name.png" ]; then
        ok "$page: screenshot $out/$name.png"
    else
        bad "$page: no screenshot"
        tail -n 5 "$work/$name.shot.log" | sed 's/^/    /'
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
