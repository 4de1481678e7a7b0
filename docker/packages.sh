#!/usr/bin/env bash
# Reads docker/packages.txt, the one list of featvis-cuda's distribution packages (its header says the format):
#   packages.sh groups STAGE...      each group of those stages as one line of names (no apt needed)
#   packages.sh missing STAGE...     the groups none of whose names is installed (dpkg-query; no apt needed)
#   packages.sh resolve STAGE...|-   one package per group: the first name the archive has a candidate for
#                                    (apt-cache policy; needs apt-get update); "-" reads group lines from stdin
#   packages.sh provides STAGE...    the KIND:WHAT tokens (what CMake may look for) of those stages
# Used by the Dockerfile's stages, scripts/install-deps.sh and docker/check-image.sh. PACKAGES_TXT overrides
# the list's path (the check uses it to try a list with a group removed).
set -euo pipefail
list="${PACKAGES_TXT:-$(dirname "${BASH_SOURCE[0]}")/packages.txt}"
[ -r "$list" ] || { echo "packages.sh: cannot read $list" >&2; exit 1; }

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd="$1"; shift

# lines STAGE...: "LINENO<TAB>names<TAB>provides" for every group of the stages, in file order.
lines() {
  awk -v stages=" $* " '
    { sub(/#.*/, "") }
    NF == 0 { next }
    index(stages, " " $1 " ") == 0 { next }
    { names = ""; prov = ""
      for (i = 2; i <= NF; i++) {
        if ($i ~ /:/) prov = prov (prov == "" ? "" : " ") $i
        else if ($i != "-") names = names (names == "" ? "" : " ") $i
      }
      printf "%d\t%s\t%s\n", NR, names, prov }' "$list"
}

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
# known NAME...: the names the archive has an installable version of, one apt-cache call for all (one call per
# name takes seconds per list).
known() {
  apt-cache policy "$@" 2>/dev/null | awk '/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
    $1 == "Candidate:" && $2 != "(none)" { print p }'
}

case "$cmd" in
  groups)
    lines "$@" | awk -F'\t' '$2 != "" { print $2 }' ;;
  provides)
    lines "$@" | awk -F'\t' '$3 != "" { n = split($3, p, " "); for (i = 1; i <= n; i++) print p[i] }' ;;
  missing)
    lines "$@" | while IFS=$'\t' read -r _ names _; do
      [ -n "$names" ] || continue
      have=0
      for p in $names; do if installed "$p"; then have=1; break; fi; done
      [ "$have" = 1 ] || echo "$names"
    done ;;
  resolve)
    if [ "$1" = - ]; then groups="$(cat)"; where="stdin"
    else groups="$(lines "$@" | awk -F'\t' '$2 != "" { print $2 }')"; where="$list"; fi
    # shellcheck disable=SC2086  # names are split on purpose
    have=" $(known $groups | tr '\n' ' ') "
    bad=0
    while read -r names; do
      [ -n "$names" ] || continue
      found=""
      for p in $names; do case "$have" in *" $p "*) found="$p"; break ;; esac; done
      if [ -n "$found" ]; then echo "$found"
      else echo "packages.sh: no package in the archive for the group '$names' ($where); apt-get update first?" >&2; bad=1; fi
    done <<<"$groups"
    exit "$bad" ;;
  *) usage ;;
esac
