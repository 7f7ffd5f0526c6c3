#!/bin/bash
# dvc repro --force -s train, 3 interleaved rounds: libgomp's default
# (MLPROJECT_OMP_POLICY=off) vs the step's policy. Usage: bench/bench_threads_dvc.sh PROJECT_DIR
set -u
PYTHONPATH="$(cd "$(dirname "$0")/.." && pwd)"
export PYTHONPATH
cd "${1:?usage: bench/bench_threads_dvc.sh PROJECT_DIR}" || exit 1
for _ in 1 2 3; do
  for v in off on; do
    l=$(cut -d' ' -f1 /proc/loadavg)
    if [ "$v" = off ]; then e="MLPROJECT_OMP_POLICY=off"; else e="MLPROJECT_OMP_POLICY="; fi
    s=$(date +%s.%N)
    env -u OMP_WAIT_POLICY -u OMP_NUM_THREADS "$e" dvc repro --force -s train >/dev/null 2>&1 || echo FAIL
    t=$(date +%s.%N)
    echo "$v load=$l wall=$(echo "$t - $s" | bc)"
  done
done
