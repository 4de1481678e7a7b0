#!/usr/bin/env bash
# One renderer per output folder and shard, and journals that survive torn writes, as a user meets them:
# 1. eight runs of the same job file into one folder started at once: the others stop at once (exit 5, one line
#    naming the holder), every image is rendered once and has one journal line;
# 2. while one run works, a second into the same folder and shard exits 5 naming the first's pid and host, and
#    writes nothing; another shard into the same folder runs beside it;
# 3. a run killed with SIGKILL leaves no lock behind that blocks the next one;
# 4. a torn last journal line (a write cut short) is moved to journal.jsonl.torn with a warning and its image
#    rendered again; a complete last record that lost only its newline loses nothing;
# 5. a corrupt line in the middle is reported with its line number, its image rendered again, and the journal's
#    existing bytes left exactly as they were.
# usage: lock_and_journal.sh FEATVIS_BINARY WEIGHTS
set -uo pipefail
bin=$1
weights=$2
work=$(mktemp -d /tmp/fv_lock_test.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; done
  wait 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS=1
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
common=(--weights "$weights" --backend cpu --size 32 --steps 20 --batch-size 4)
printf 'mixed3a:1\nmixed3a:2\nmixed3a:3\nmixed3a:4 diversity=2\n' > "$work/jobs.txt" # 5 images
nimg=5
ok_lines() { grep -c '"status": "ok"' "$1" 2> /dev/null || true; }

# 1. eight at once into one folder
for i in $(seq 1 8); do
  "$bin" --batch "$work/jobs.txt" -o "$work/crowd" "${common[@]}" > "$work/crowd$i.log" 2>&1 &
  pids+=($!)
  cp=$!
  eval "p$i=$cp"
done
codes=""
for i in $(seq 1 8); do
  eval "wait \$p$i"
  codes="$codes $?"
done
pids=()
nz=$(echo "$codes" | tr ' ' '\n' | grep -c '^0$')
n5=$(echo "$codes" | tr ' ' '\n' | grep -c '^5$')
lines=$(ok_lines "$work/crowd/journal.jsonl")
uniq=$(grep '"status": "ok"' "$work/crowd/journal.jsonl" | sed 's/.*"file": "\([^"]*\)".*/\1/' | sort -u | wc -l)
rendered=$(cat "$work"/crowd*.log | grep -o '[0-9]* rendered now' | awk '{s += $1} END {print s + 0}')
[ "$nz" -ge 1 ] && [ $((nz + n5)) -eq 8 ] && [ "$lines" -eq $nimg ] && [ "$uniq" -eq $nimg ] && [ "$rendered" -eq $nimg ] &&
  ok "8 runs at once: exits$codes; $lines journal lines for $uniq images, $rendered renders in all" ||
  bad "8 runs at once: exits$codes; $lines lines, $uniq files, $rendered renders (want $nimg each)"
busy=$(grep -l "another run is rendering here (pid [0-9]* on " "$work"/crowd*.log | wc -l)
[ "$busy" -eq "$n5" ] && ok "each run that stopped said who holds the folder ($busy)" || bad "$n5 exits 5 but $busy messages"

# 2. a second run while the first works; another shard beside it
long=(--weights "$weights" --backend cpu --size 32 --steps 400 --batch-size 1)
"$bin" --batch "$work/jobs.txt" -o "$work/busy" "${long[@]}" > "$work/first.log" 2>&1 &
first=$!
pids+=($first)
for _ in $(seq 1 100); do grep -q "pid $first " "$work/busy/journal.jsonl.lock" 2> /dev/null && break; sleep 0.1; done
"$bin" --batch "$work/jobs.txt" -o "$work/busy" "${common[@]}" > "$work/second.log" 2>&1
rc=$?
[ $rc -eq 5 ] && grep -q "another run is rendering here (pid $first on $(hostname)" "$work/second.log" &&
  [ "$(wc -l < "$work/second.log")" -eq 1 ] && ! grep -q '^batch:' "$work/second.log" &&
  ok "a second run exits 5 at once, naming pid $first: $(cat "$work/second.log")" ||
  { bad "second run: exit $rc"; cat "$work/second.log"; }
"$bin" --batch "$work/jobs.txt" -o "$work/busy" --shard 1/2 "${common[@]}" > "$work/shard.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ -s "$work/busy/journal-shard1of2.jsonl" ] && ok "shard 1/2 runs beside the unsharded run" ||
  bad "another shard into the busy folder: exit $rc"

# 3. SIGKILL the holder: nothing blocks the next run
kill -9 "$first" 2> /dev/null
wait "$first" 2> /dev/null
pids=()
grep -q "pid $first " "$work/busy/journal.jsonl.lock" && ok "the killed holder's lock file is still there" ||
  bad "lock file after SIGKILL: $(cat "$work/busy/journal.jsonl.lock")"
"$bin" --batch "$work/jobs.txt" -o "$work/busy" "${common[@]}" > "$work/after.log" 2>&1
rc=$?
done_files=$(cat "$work"/busy/journal*.jsonl | grep '"status": "ok"' | sed 's/.*"file": "\([^"]*\)".*/\1/' | sort -u | wc -l)
[ $rc -eq 0 ] && [ "$done_files" -eq $nimg ] &&
  ok "after SIGKILL of the holder the next run completes (the journals of both shards: $done_files images)" ||
  bad "after SIGKILL: exit $rc, $done_files images in the journals"

# 4. torn last line, and a complete last record without its newline
"$bin" --batch "$work/jobs.txt" -o "$work/j" "${common[@]}" > /dev/null 2>&1
J=$work/j/journal.jsonl
cp "$J" "$work/full.jsonl"
last=$(tail -1 "$J")
head -n $((nimg - 1)) "$work/full.jsonl" > "$J"
printf '%s' "${last:0:60}" >> "$J"
"$bin" --batch "$work/jobs.txt" -o "$work/j" "${common[@]}" > "$work/torn.log" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "journal.jsonl:$nimg: incomplete last line" "$work/torn.log" &&
  grep -q '1 rendered now' "$work/torn.log" && [ "$(cat "$J.torn")" = "${last:0:60}" ] &&
  [ "$(ok_lines "$J")" -eq $nimg ] && [ "$(tail -c 1 "$J" | od -An -c | tr -d ' ')" = '\n' ] &&
  ok "torn last line: warned, kept in journal.jsonl.torn, its image rendered again, $nimg clean lines" ||
  { bad "torn last line: exit $rc"; cat "$work/torn.log"; }
head -c -1 "$work/full.jsonl" > "$J" # the whole record, only its newline lost
"$bin" --batch "$work/jobs.txt" -o "$work/j" "${common[@]}" > "$work/nl.log" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '0 rendered now' "$work/nl.log" && cmp -s "$J" "$work/full.jsonl" &&
  ! grep -q warning "$work/nl.log" && ok "a last record without its newline counts; the newline is added" ||
  { bad "record without newline: exit $rc"; cat "$work/nl.log"; }

# 5. a corrupt line in the middle: reported with its number, left where it is
{ sed -n 1p "$work/full.jsonl"; echo '{"key": "mixed3a:2", "index": 0, "stat'; sed -n '3,$p' "$work/full.jsonl"; } > "$J"
cp "$J" "$work/corrupt.jsonl"
"$bin" --batch "$work/jobs.txt" -o "$work/j" "${common[@]}" > "$work/corrupt.log" 2>&1
rc=$?
size=$(stat -c %s "$work/corrupt.jsonl")
[ $rc -eq 0 ] && grep -q "journal.jsonl:2: corrupt journal line" "$work/corrupt.log" &&
  grep -q '1 rendered now' "$work/corrupt.log" && cmp -s <(head -c "$size" "$J") "$work/corrupt.jsonl" &&
  [ "$(ok_lines "$J")" -eq $nimg ] &&
  ok "corrupt line 2: reported, left as it was, its image rendered again and appended" ||
  { bad "corrupt middle line: exit $rc"; cat "$work/corrupt.log"; }

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
