"""Benchmark: the free-text reader's throughput on generated narratives (a warm batch).

Prints the pipeline's load time, then texts per second for one process and for the forked
workers `extract_many` uses on large batches; each is the median of --repeats runs, run in
turn (one process, workers, one process, ...) so a busy shared machine weighs on both alike.
CPU-seconds per text are printed beside the wall clock: on a shared machine they move less.

Run: uv run python benchmarks/bench_text.py [--n 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from backclf.synth.narrative import render_texts
from backclf.synth.sampler import GenerationConfig, sample_rows
from backclf.text.extract import _cores, extract_many, pipeline

TARGET = 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sample = sample_rows(GenerationConfig(seed=3), 0, args.n)
    texts = render_texts(sample.columns, 3, 0, "heldout")
    start = time.perf_counter()
    pipeline()
    load = time.perf_counter() - start
    extract_many(texts[:100], workers=1)  # warm
    runs: dict[int, list[tuple[float, float]]] = {1: [], _cores(): []}
    for _ in range(args.repeats):
        for workers in runs:
            wall, cpu = time.perf_counter(), time.process_time()
            extract_many(texts, workers=workers)
            runs[workers].append((time.perf_counter() - wall, time.process_time() - cpu))
    print(f"text reader: pipeline loads in {load:.2f} s; {args.n:,} texts a run")
    for workers, times in runs.items():
        wall = statistics.median(t for t, _ in times)
        cpu = statistics.median(c for _, c in times)
        print(
            f"  {workers} process{'es' if workers > 1 else ''}: {args.n / wall:,.0f} texts/s "
            f"(median of {len(times)}; {1000 * cpu / args.n:.2f} ms CPU a text in the parent)"
            f" target >= {TARGET}"
        )


if __name__ == "__main__":
    main()
