#!/usr/bin/env bash
# Benchmark: `dvc repro` from a fresh clone with the default params (target <= 60 s on 2 quiet
# cores), then each stage once more with its wall and CPU seconds (benchmarks/stage_times.py).
# Run from the repository root: bash benchmarks/bench_pipeline.sh
set -euo pipefail
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/backclf"
cd "$work/backclf"
uv sync -q --compile-bytecode
export MLFLOW_TRACKING_URI="sqlite:///$work/backclf/mlflow.db"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
/usr/bin/time -f 'dvc repro CPU: %U s user + %S s system' uv run dvc repro -q
end=$(date +%s.%N)
printf 'dvc repro (fresh clone, all stages): %.1f s wall (target <= 60 s)\n' "$(echo "$end - $start" | bc)"
git diff --quiet dvc.lock reports && echo "dvc.lock and reports reproduced byte for byte" \
  || { echo "dvc.lock or reports differ from the commit"; git diff --stat; }
echo "each stage again, in order (load before: $(cut -d' ' -f1-3 /proc/loadavg)):"
uv run python benchmarks/stage_times.py
