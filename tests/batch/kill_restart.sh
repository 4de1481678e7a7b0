#!/usr/bin/env bash
# Crash safety of batch runs, as a user would test it: a small appendix (a few channels of two layers,
# small size, few steps) on the CPU, killed with SIGKILL at random moments and restarted until it
# finishes by itself, must equal an uninterrupted run: the same files with the same bytes, one journal
# line per image, no temporary or partial file. Then SIGTERM (clean stop, exit 4, resumable), a job
# file with bad lines (every one reported, nothing rendered), two shards into one folder, NaN images
# (retried, then recorded as failed) and a full disk (where a tmpfs can be mounted).
# usage: kill_restart.sh FEATVIS_BINARY WEIGHTS
set -uo pipefail
bin=$1
weights=$2
work=$(mktemp -d /tmp/fv_batch_test.XXXXXX)
# Every process this script starts is its own background job, killed here by its own pid if still running.
cleanup() {
  for p in $(jobs -p); do kill -9 "$p" 2> /dev/null; done
  wait 2> /dev/null
  umount "$work/full" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export OMP_WAIT_POLICY=passive
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
common=(--weights "$weights" --backend cpu --size 32 --steps 30 --batch-size 4)

"$bin" appendix --layers mixed3a,mixed4a --channels 3 --write-jobs "$work/jobs.txt" "${common[@]}" > /dev/null ||
  bad "appendix --write-jobs"
njobs=$(grep -cv '^#' "$work/jobs.txt")
[ "$njobs" -eq 24 ] && ok "appendix of 3 channels x 2 layers: $njobs jobs" || bad "expected 24 jobs, got $njobs"

# 1. the uninterrupted reference
"$bin" render --batch "$work/jobs.txt" -o "$work/ref" "${common[@]}" 2> "$work/ref.log"
rc=$?
nref=$(find "$work/ref" -name '*.png' | wc -l)
[ $rc -eq 0 ] && [ "$nref" -eq 42 ] && ok "reference run: $nref images" || bad "reference run rc=$rc images=$nref"

# 2. killed with SIGKILL at random moments, restarted until it finishes
kills=0
for attempt in $(seq 1 40); do
  "$bin" render --batch "$work/jobs.txt" -o "$work/killed" "${common[@]}" 2>> "$work/killed.log" &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  if kill -9 "$pid" 2> /dev/null; then
    wait "$pid" 2> /dev/null
    kills=$((kills + 1))
  else
    wait "$pid"
    rc=$?
    [ $rc -eq 0 ] && break
  fi
done
"$bin" render --batch "$work/jobs.txt" -o "$work/killed" "${common[@]}" 2>> "$work/killed.log"
rc=$?
echo "   (killed $kills times)"
[ $rc -eq 0 ] && ok "killed run completes after $kills kills" || bad "final run rc=$rc"
same=1
while read -r f; do
  cmp -s "$work/ref/$f" "$work/killed/$f" || { same=0; echo "   differs or missing: $f"; }
done < <(cd "$work/ref" && find . -name '*.png' | sort)
nk=$(find "$work/killed" -name '*.png' | wc -l)
[ $same -eq 1 ] && [ "$nk" -eq "$nref" ] && ok "same $nk files, same bytes as the uninterrupted run" ||
  bad "files differ from the reference ($nk vs $nref)"
tmps=$(find "$work/killed" -name '*.tmp*' | wc -l)
[ "$tmps" -eq 0 ] && ok "no temporary files left" || bad "$tmps temporary files left"
lines=$(grep -c '"status": "ok"' "$work/killed/journal.jsonl")
uniq=$(grep '"status": "ok"' "$work/killed/journal.jsonl" | sed 's/.*"file": "\([^"]*\)".*/\1/' | sort -u | wc -l)
[ "$lines" -eq "$nref" ] && [ "$uniq" -eq "$nref" ] && ok "journal: $lines ok lines, no duplicate" ||
  bad "journal has $lines ok lines for $uniq files (want $nref)"

# 3. SIGTERM in the middle of a pass: clean stop with exit 4, journal consistent, a rerun finishes
term=(--weights "$weights" --backend cpu --size 32 --steps 2000 --batch-size 4)
"$bin" render --batch "$work/jobs.txt" -o "$work/term" "${term[@]}" 2> "$work/term.log" &
pid=$!
sleep 1.5
kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc -eq 4 ] && ok "SIGTERM: exit 4" || bad "SIGTERM: exit $rc (want 4)"
# grep -c prints 0 and exits 1 when nothing matches (a SIGTERM before the first image): count, never add a line
nj=$(grep -c '"status": "ok"' "$work/term/journal.jsonl" 2> /dev/null || true)
nj=${nj:-0}
np=$(find "$work/term" -name '*.png' | wc -l)
[ "$nj" -eq "$np" ] && ok "after SIGTERM: $np images, $nj journal lines" || bad "after SIGTERM: $np images, $nj lines"
"$bin" render --batch "$work/jobs.txt" -o "$work/term" "${term[@]}" 2>> "$work/term.log"
nt=$(find "$work/term" -name '*.png' | wc -l)
[ "$nt" -eq "$nref" ] && ok "after SIGTERM the rerun completes ($nt images)" || bad "after SIGTERM: $nt images"

# 4. bad lines: each reported with its line number, nothing rendered, exit 2
printf '# comment\nmixed3a:1\nmixed9z:1\n\nmixed3a:9999\nmixed3a:2 size=banana\nmixed3a:3 colour=red\n' > "$work/bad.txt"
"$bin" render --batch "$work/bad.txt" -o "$work/bad" "${common[@]}" > "$work/bad.log" 2>&1
rc=$?
nb=$(grep -cE "bad.txt:(3|5|6|7):" "$work/bad.log")
[ $rc -eq 2 ] && [ "$nb" -eq 4 ] && [ ! -e "$work/bad/journal.jsonl" ] &&
  ok "bad job file: exit 2, 4 lines reported, nothing rendered" || { bad "bad job file: rc=$rc reported=$nb"; cat "$work/bad.log"; }
"$bin" render --batch "$work/bad.txt" -o "$work/bad" --skip-invalid "${common[@]}" > "$work/bad2.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(find "$work/bad" -name '*.png' | wc -l)" -eq 1 ] && ok "--skip-invalid renders the good line" ||
  bad "--skip-invalid rc=$rc"

# 5. two shards into one folder, at the same time; together they are the whole set
"$bin" render --batch "$work/jobs.txt" -o "$work/shards" --shard 0/2 "${common[@]}" 2> "$work/s0.log" &
p0=$!
JOB_COMPLETION_INDEX=1 "$bin" render --batch "$work/jobs.txt" -o "$work/shards" --shard auto/2 "${common[@]}" 2> "$work/s1.log" &
p1=$!
wait $p0; r0=$?
wait $p1; r1=$?
ns=$(find "$work/shards" -name '*.png' | wc -l)
nj=$(ls "$work/shards"/journal-shard*of2.jsonl 2> /dev/null | wc -l)
same=1
while read -r f; do cmp -s "$work/ref/$f" "$work/shards/$f" || same=0; done < <(cd "$work/ref" && find . -name '*.png')
[ $r0 -eq 0 ] && [ $r1 -eq 0 ] && [ "$ns" -eq "$nref" ] && [ "$nj" -eq 2 ] && [ $same -eq 1 ] &&
  ok "two shards: $ns images, 2 journals, same bytes as one run" || bad "shards rc=$r0/$r1 images=$ns journals=$nj same=$same"
"$bin" gallery "$work/shards" --weights "$weights" > /dev/null 2>&1 && [ -f "$work/shards/gallery/index.html" ] &&
  ok "gallery merges the shards" || bad "gallery"

# 6. NaN/Inf: an absurd learning rate overflows the spectrum; each image is retried once with a derived
# seed, then recorded as failed (exit 3); a rerun does not render them again
printf 'mixed3a:1\nmixed3a:2 diversity=2\n' > "$work/nan.txt"
nan=(--weights "$weights" --backend cpu --size 32 --steps 20 --lr 1e38)
"$bin" render --batch "$work/nan.txt" -o "$work/nan" "${nan[@]}" > "$work/nan.log" 2>&1
rc=$?
nf=$(grep -c '"status": "failed"' "$work/nan/journal.jsonl")
[ $rc -eq 3 ] && [ "$nf" -eq 3 ] && [ "$(find "$work/nan" -name '*.png' | wc -l)" -eq 0 ] &&
  ok "non-finite images: retried, recorded as failed, exit 3" || bad "NaN run: rc=$rc failed lines=$nf"
"$bin" render --batch "$work/nan.txt" -o "$work/nan" "${nan[@]}" > "$work/nan2.log" 2>&1
grep -q "3 already done" "$work/nan2.log" && ok "rerun skips recorded failures" || bad "rerun after failures: $(tail -1 "$work/nan2.log")"

# 7. disk full (a 300 KiB tmpfs, where mounting is allowed): a clear message naming the file, exit 1, the
# journal and the images written so far intact, no temporary file; with space again the rerun completes
mnt="$work/full"
mkdir -p "$mnt"
if mount -t tmpfs -o size=300k tmpfs "$mnt" 2> /dev/null; then
  full=(--weights "$weights" --backend cpu --size 64 --steps 2)
  "$bin" appendix --layers mixed3a --channels 6 -o "$mnt/out" "${full[@]}" > "$work/full.log" 2>&1
  rc=$?
  nimg=$(find "$mnt/out" -name '*.png' | wc -l)
  nok=$(grep -c '"status": "ok"' "$mnt/out/journal.jsonl")
  ntmp=$(find "$mnt/out" -name '*.tmp*' | wc -l)
  [ $rc -eq 1 ] && grep -q "No space left on device" "$work/full.log" && [ "$nimg" -eq "$nok" ] && [ "$ntmp" -eq 0 ] &&
    ok "disk full: exit 1, clear message, $nok images = journal lines, no temporary file" ||
    bad "disk full: rc=$rc images=$nimg journal=$nok tmp=$ntmp"
  mount -o remount,size=4m "$mnt"
  "$bin" appendix --layers mixed3a --channels 6 -o "$mnt/out" "${full[@]}" >> "$work/full.log" 2>&1
  rc=$?
  nimg=$(find "$mnt/out" -name '*.png' | wc -l)
  [ $rc -eq 0 ] && [ "$nimg" -eq 42 ] && ok "after freeing space the rerun completes (42 images)" || bad "after disk full: rc=$rc images=$nimg"
  umount "$mnt"
else
  echo "skip disk-full check: cannot mount a tmpfs here"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
