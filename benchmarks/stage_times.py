"""Each stage of dvc.yaml run once more, in order, with its wall and CPU seconds.

Run in a checkout whose `dvc repro` has just finished (benchmarks/bench_pipeline.sh does it on
a fresh clone): every stage's inputs exist, so each command runs as DVC would run it, and its
outputs come out byte-identical (the pipeline is deterministic). `publish` finds its model
registered and logs nothing, so its figure is below its first run's. Prints a Markdown table.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(dvc_yaml: Path = Path("dvc.yaml")) -> int:
    stages = yaml.safe_load(dvc_yaml.read_text())["stages"]
    rows, total_wall, total_cpu = [], 0.0, 0.0
    for name, stage in stages.items():
        cpu, start = cpu_seconds(), time.perf_counter()
        result = subprocess.run(stage["cmd"], shell=True, capture_output=True, env=os.environ)
        wall, used = time.perf_counter() - start, cpu_seconds() - cpu
        if result.returncode:
            sys.stderr.write(result.stderr.decode(errors="replace")[-2000:])
            return result.returncode
        rows.append((name, wall, used))
        total_wall, total_cpu = total_wall + wall, total_cpu + used
    print("| stage | wall s | CPU s |\n|---|---:|---:|")
    for name, wall, used in rows:
        print(f"| {name} | {wall:.1f} | {used:.1f} |")
    print(f"| all | {total_wall:.1f} | {total_cpu:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
