#!/usr/bin/env bash
# Benchmark: `dvc repro` from a fresh clone with the default params (target <= 3 minutes).
# Run from the repository root: bash benchmarks/bench_pipeline.sh
set -euo pipefail
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/backclf"
cd "$work/backclf"
uv sync -q --compile-bytecode
start=$(date +%s.%N)
uv run dvc repro -q
end=$(date +%s.%N)
printf 'dvc repro (fresh clone, all stages): %.1f s (target <= 180 s)\n' "$(echo "$end - $start" | bc)"
git diff --quiet dvc.lock reports && echo "dvc.lock and reports reproduced byte for byte" \
  || { echo "dvc.lock or reports differ from the commit"; git diff --stat; }
