#!/usr/bin/env bash
# The same bytes on any machine (issue 24): rerun the stages that do floating-point work under
# other OpenBLAS kernels, thread counts and numpy SIMD levels, and check after each that the
# checkout still equals its commit (dvc.lock, reports, the packaged model: byte for byte).
#
#   tools/same_bytes.sh            the train_*, evaluate* stages (CI runs this)
#   tools/same_bytes.sh --study    the sensitivity study (studies/dvc.yaml), its own check: slow
#
# Each configuration stands for another machine: OPENBLAS_CORETYPE picks the BLAS kernel a CPU
# of that family would get (OpenBLAS's dynamic dispatch; x86-64 only), OPENBLAS_NUM_THREADS the
# number of cores summing in parallel, and NPY_DISABLE_CPU_FEATURES="<every dispatched feature>"
# numpy's baseline code paths (an older CPU without AVX2/AVX-512). Run from the repository
# root, after `uv run dvc repro`, with a clean checkout.
set -euo pipefail
if [ "$(uname -m)" != x86_64 ]; then
  echo "same bytes: OPENBLAS_CORETYPE names x86-64 kernels; nothing to check on $(uname -m)"
  exit 0
fi
if [ "${1:-}" = --study ]; then
  run() { uv run dvc repro -f studies/dvc.yaml; }
  what="the sensitivity study"
else
  stages=(train_logistic train_tree train_points choose evaluate_candidates evaluate
    evaluate_text evaluate_interview headline)
  run() { uv run dvc repro -f -s "${stages[@]}"; }
  what="the train_*, choose, evaluate* and headline stages"
fi
[ -z "$(git status --porcelain --untracked-files=no)" ] \
  || { echo "same bytes: the checkout has changes; commit or stash them first"; exit 1; }
dispatched=$(uv run python -c \
  "from numpy._core._multiarray_umath import __cpu_dispatch__; print(' '.join(__cpu_dispatch__))")

# kernel threads numpy-paths
configurations=(
  "Haswell 1 dispatched"
  "SkylakeX 2 dispatched"
  "Sandybridge 2 baseline"
)
for configuration in "${configurations[@]}"; do
  read -r kernel threads paths <<< "$configuration"
  disabled=""
  [ "$paths" = baseline ] && disabled="$dispatched"
  start=$(date +%s)
  OPENBLAS_CORETYPE=$kernel OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
    NPY_DISABLE_CPU_FEATURES="$disabled" run > /dev/null
  took=$(( $(date +%s) - start ))
  changed=$(git status --porcelain --untracked-files=no)
  if [ -n "$changed" ]; then
    echo "same bytes: FAILED: $what under OpenBLAS $kernel, $threads thread(s), numpy $paths paths:"
    echo "$changed"
    git --no-pager diff --stat
    exit 1
  fi
  echo "same bytes: $what under OpenBLAS $kernel, $threads thread(s), numpy $paths paths: identical (${took} s)"
done
