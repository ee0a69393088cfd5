"""The ``backclf`` program: the console script and ``python -m backclf``.

Settings that suit a short-lived command-line process are made here, before the library is
imported, so code that imports :mod:`backclf` as a library keeps its own environment. Each is
a default: a variable already set in the environment wins.
"""

from __future__ import annotations

import gc
import os
import sys

PROCESS_DEFAULTS = {
    # The CLI multiplies small matrices (large batches fork their own workers), so OpenBLAS's
    # thread pool buys nothing; starting it costs ~100 ms of CPU on two cores.
    "OPENBLAS_NUM_THREADS": "1",
    # Otherwise pydantic reads the entry points of every installed distribution, looking for
    # plugins, when the first model is built (~30 ms in the development environment).
    # Set PYDANTIC_DISABLE_PLUGINS="" to let plugins load.
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
}


#: Start-up creates ~70,000 objects the collector tracks, nearly all living as long as the
#: process (modules, classes, schemas). At the default threshold (700) it ran ~100 collections
#: over them in a one-case `backclf predict`, freeing almost nothing: ~3% of its instructions.
#: Batches set their own thresholds (`backclf.cli.sinks`).
GC_THRESHOLD = (100_000, 20, 20)


def main() -> None:
    for name, value in PROCESS_DEFAULTS.items():
        os.environ.setdefault(name, value)
    gc.set_threshold(*GC_THRESHOLD)
    if sys.argv[1:2] == ["predict"]:  # the common forms without building the Typer command
        from backclf.cli.quick import quick_predict

        options = quick_predict(sys.argv[1:])
        if options is not None:
            from backclf.cli.predict import run_predict

            sys.exit(run_predict(**options))
    from backclf.cli.app import app

    app()


if __name__ == "__main__":
    main()
