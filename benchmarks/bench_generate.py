"""Benchmark: the vignette generator (1,000,000 structured; 100,000 with narrative text).

Run: uv run python benchmarks/bench_generate.py [--structured 1000000] [--text 100000]
Each figure is the median of --repeat runs, writing Parquet to a temporary directory.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from backclf.synth.sampler import GenerationConfig, write_parquet


def timed(n: int, family: str | None, repeat: int) -> float:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeat):
            start = time.perf_counter()
            write_parquet(
                GenerationConfig(n=n, seed=r), Path(tmp) / "v.parquet", text_family=family
            )
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--structured", type=int, default=1_000_000)
    parser.add_argument("--text", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    structured = timed(args.structured, None, args.repeat)
    print(f"generate {args.structured:,} structured vignettes: {structured:.2f} s (target <= 15 s)")
    text = timed(args.text, "train", args.repeat)
    print(f"generate {args.text:,} vignettes with text: {text:.2f} s (target <= 20 s)")


if __name__ == "__main__":
    main()
