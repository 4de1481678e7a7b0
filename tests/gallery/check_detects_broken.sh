#!/bin/sh
# check_detects_broken.sh GALLERY_DIR OUT_DIR: the browser check's own test. On a copy of a built
# gallery's output folder (GALLERY_DIR/..) with one sprite sheet and one "other" image deleted,
# check_browser.sh must fail, naming both files; on the intact copy it must pass.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 GALLERY_DIR OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$1/.." && pwd)
out=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/fv_check_broken.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/out" || exit 1

pass=0
fail=0
if "$here/check_browser.sh" "$work/out/gallery" "$out/intact" >"$work/intact.txt" 2>&1; then pass=$((pass + 1)); echo "PASS intact copy passes"; else
    fail=$((fail + 1)); echo "FAIL intact copy fails:"; sed 's/^/    /' "$work/intact.txt"; fi

sheet=$(find "$work/out/gallery/sprites" -name '*.png' | sort | head -n 1)
sheet=${sheet##*/}
img=$(sed -n 's/.*<img src="\.\.\/\([^"]*\)".*/\1/p' "$work/out/gallery/index.html" | head -n 1)
if [ -z "$sheet" ] || [ -z "$img" ]; then
    echo "FAIL the gallery needs a sprite sheet and an <img> on its index page for this test"
    echo "$pass passed, $((fail + 1)) failed"
    exit 1
fi
rm "$work/out/gallery/sprites/$sheet" "$work/out/$img"
"$here/check_browser.sh" "$work/out/gallery" "$out/broken" >"$work/broken.txt" 2>&1
rc=$?
for what in "sprites/$sheet" "$img"; do
    if [ $rc -ne 0 ] && grep -q "GALLERY-BROKEN.*$what" "$work/broken.txt"; then
        pass=$((pass + 1)); echo "PASS deleted $what is reported"
    else
        fail=$((fail + 1)); echo "FAIL deleted $what is not reported (rc $rc):"; sed 's/^/    /' "$work/broken.txt"
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
