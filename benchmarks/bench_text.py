"""Benchmark: the free-text reader's throughput on generated narratives (batch, warm).

Run: uv run python benchmarks/bench_text.py [--n 2000]
"""

from __future__ import annotations

import argparse
import time

from backclf.synth.narrative import render_texts
from backclf.synth.sampler import GenerationConfig, sample_rows
from backclf.text.extract import extract_many, pipeline


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    sample = sample_rows(GenerationConfig(seed=3), 0, args.n)
    texts = render_texts(sample.columns, 3, 0, "heldout")
    start = time.perf_counter()
    pipeline()
    load = time.perf_counter() - start
    start = time.perf_counter()
    extract_many(texts)
    elapsed = time.perf_counter() - start
    print(
        f"text reader: pipeline loads in {load:.2f} s; {args.n:,} texts in {elapsed:.2f} s = "
        f"{args.n / elapsed:,.0f} texts/s (target >= 200)"
    )


if __name__ == "__main__":
    main()
