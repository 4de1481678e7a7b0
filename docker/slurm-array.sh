#!/usr/bin/env bash
# featvis-cuda on Slurm: a job array of N tasks, one GPU each, that together render a job file into one shared
# folder with the container's command line (docker/README.md) plus the shard: `--batch JOBS -o OUT --shard auto/N
# --backend cuda`, K = SLURM_ARRAY_TASK_ID; requeued tasks resume from their shard journals.
# Submit from the repository root: sbatch docker/slurm-array.sh JOBS.txt OUT [render options]
# Exit 5: another process holds this shard of OUT (the same array submitted twice into one folder, or a
# predecessor still running on a node Slurm lost); nothing was done: requeue the task once that one has gone.
#
# N is the array size: --array=0-(N-1) below (0-7: N = 8), or on the command line, e.g. sbatch --array=0-31 ...
# The script takes N from Slurm, so --shard always matches the array. Throttling (--array=0-31%8) is fine.
#SBATCH --job-name=featvis
#SBATCH --array=0-7
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --mem=32G
#SBATCH --time=24:00:00
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=featvis-%A_%a.log
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: sbatch docker/slurm-array.sh JOBS.txt OUT [render options...]" >&2
  exit 2
fi
jobs_file="$1"; out="$2"; shift 2

: "${SLURM_ARRAY_TASK_ID:?not a Slurm array task: submit with sbatch (--array=0-(N-1))}"
n="${SLURM_ARRAY_TASK_COUNT:?Slurm did not set SLURM_ARRAY_TASK_COUNT}"
if [ "${SLURM_ARRAY_TASK_MIN:-0}" != 0 ] || [ "${SLURM_ARRAY_TASK_MAX:-}" != "$((n - 1))" ]; then
  echo "featvis: the array must be 0-(N-1) with no gaps (got ${SLURM_ARRAY_TASK_MIN:-?}-${SLURM_ARRAY_TASK_MAX:-?}, $n tasks)" >&2
  exit 2
fi

# The binary: FEATVIS_BIN, else this repository's build (the script itself runs from Slurm's spool folder,
# so the repository is found through the submit folder), else featvis-cuda on PATH.
bin="${FEATVIS_BIN:-}"
if [ -z "$bin" ]; then
  if [ -x "${SLURM_SUBMIT_DIR:-.}/build/featvis-cuda" ]; then bin="${SLURM_SUBMIT_DIR:-.}/build/featvis-cuda"
  else bin="$(command -v featvis-cuda || true)"; fi
fi
[ -n "$bin" ] || { echo "featvis: no featvis-cuda (set FEATVIS_BIN, or build with scripts/build.sh)" >&2; exit 1; }

# Weights: FEATVIS_WEIGHTS, else the cache folder. Compute nodes often have no internet: fetch on a login
# node first (models/fetch_weights.sh) into a cache every node sees (a shared home or XDG_CACHE_HOME).
if [ -z "${FEATVIS_WEIGHTS:-}" ]; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/featvis/bvlc_googlenet.caffemodel"
  [ -r "$cache" ] || { echo "featvis: no weights at $cache: run models/fetch_weights.sh on a login node, or set FEATVIS_WEIGHTS" >&2; exit 1; }
fi

mkdir -p "$out"
export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-8}"
echo "featvis: task $SLURM_ARRAY_TASK_ID of $n on $(hostname) (restart count ${SLURM_RESTART_COUNT:-0}), $bin" >&2

# exec: featvis-cuda itself gets Slurm's SIGTERM on preemption or time-out, closes its journal and exits;
# the requeued task (--requeue) runs this same command again and renders only what is missing.
# --backend cuda: a task that was given a GPU must use it, not fall back to the CPU unnoticed.
exec "$bin" --batch "$jobs_file" -o "$out" --shard "auto/$n" --backend cuda "$@"

# The same run from the container image (apptainer build featvis-cuda.sif docker-daemon://featvis-cuda:latest),
# laid out as docker/README.md's `docker run -v "$PWD:/work"`: a shared folder WORK holding channels.txt, the
# images into WORK/out (sbatch docker/slurm-array.sh WORK/channels.txt WORK/out). Slurm's variables pass into
# the container, so --shard auto/N works unchanged. Use it instead of the exec line above:
# exec apptainer exec --nv --bind "$(dirname "$out"):/work" featvis-cuda.sif \
#   featvis-cuda --batch /work/channels.txt -o /work/out --shard "auto/$n" --backend cuda "$@"
