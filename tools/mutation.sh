#!/usr/bin/env bash
# Mutation testing of the safety core with mutmut ([tool.mutmut] in pyproject.toml), then the
# ten hand-made mutations of issue 20 (tools/mutations.py, which rewrites reports/mutations.md).
# reports/mutation.md explains the last run's survivors; tools/mutmut_survivors.py lists them.
#   tools/mutation.sh          # both (about 20 minutes on 2 quiet cores, longer when shared)
#   tools/mutation.sh mutmut   # mutmut only
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf mutants
nice -n 15 .venv/bin/mutmut run --max-children 2
.venv/bin/python tools/mutmut_survivors.py
if [ "${1:-all}" != mutmut ]; then
  nice -n 15 .venv/bin/python tools/mutations.py --write
fi
