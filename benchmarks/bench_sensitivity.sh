#!/usr/bin/env bash
# Benchmark: the assumption-sensitivity study (`dvc repro studies/dvc.yaml`) with the default
# grid, from a fresh clone, after the main pipeline (target <= 10 minutes on 2 cores); then
# whether its reports come out byte-identical to the commit. Prints the load average, since
# the machine may be shared. Run from the repository root: bash benchmarks/bench_sensitivity.sh
set -euo pipefail
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/backclf"
cd "$work/backclf"
uv sync -q
uv run dvc repro -q
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
uv run dvc repro -q studies/dvc.yaml
end=$(date +%s.%N)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'sensitivity study (default grid): %.1f s (target <= 600 s)\n' "$(echo "$end - $start" | bc)"
git diff --quiet studies/dvc.lock reports && echo "studies/dvc.lock and reports reproduced byte for byte" \
  || { echo "studies/dvc.lock or reports differ from the commit"; git diff --stat; }
