#!/usr/bin/env bash
# Mutation testing of the safety core with mutmut (configuration: [tool.mutmut] in
# pyproject.toml), then the ten hand-made mutations of issue 20 (tools/mutations.py).
# Results: reports/mutation.md (written by hand from `mutmut results` and the survivors'
# diffs) and reports/mutations.md (written by tools/mutations.py --write).
#   tools/mutation.sh          # both
#   tools/mutation.sh mutmut   # mutmut only
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf mutants
nice -n 15 .venv/bin/mutmut run --max-children 2
.venv/bin/mutmut results > reports/mutmut-results.txt || true
if [ "${1:-all}" != mutmut ]; then
  nice -n 15 .venv/bin/python tools/mutations.py --write
fi
