"""Benchmark: the free-text reader's throughput on generated narratives, and its time on
long and pathological texts.

1. Throughput (a warm batch of generated narratives): texts per second for one process and
   for the forked workers `extract_many` uses on large batches; each the median of
   --repeats runs, run in turn (one process, workers, one process, ...) so a busy shared
   machine weighs on both alike. CPU-seconds per text are printed beside the wall clock: on
   a shared machine they move less. Target: at least 500 texts/s per core.
2. Long texts (issue 26): one text of 100,000 characters (the blind rounds' texts one after
   another), the same at a quarter of the length (reading is linear when the ratio is about
   4), and 100,000 characters of each kind of pathological input (50 KB of "(" took 270 s
   before). Each is the median of --long-repeats readings (wall and CPU). Target: under 1 s
   each.

The load average is printed at the start and the end: figures taken on a shared machine
are provisional.

Run: uv run python benchmarks/bench_text.py [--n 2000] [--repeats 5] [--long-repeats 3]
     [--only throughput|long]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from backclf.synth.narrative import render_texts
from backclf.synth.sampler import GenerationConfig, sample_rows
from backclf.text.extract import _cores, extract_findings, extract_many, pipeline

TARGET = 500
LONG = 100_000
LONG_TARGET_S = 1.0
WRITTEN = Path(__file__).resolve().parent.parent / "tests" / "data" / "written_texts"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def written_text(length: int) -> str:
    """The blind rounds' texts, one per line, repeated to ``length`` characters."""
    texts = [
        json.loads(line)["text"]
        for path in sorted(WRITTEN.glob("round*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    out, i = [], 0
    while sum(map(len, out)) < length:
        out.append(texts[i % len(texts)] + "\n")
        i += 1
    return "".join(out)[:length]


def pathological(length: int) -> dict[str, str]:
    """Inputs built to find any part of the reader that grows faster than the text."""

    def fill(unit: str) -> str:
        return (unit * (length // len(unit) + 1))[:length]

    return {
        "open brackets": fill("("),
        "one digit then spaces": "1" + " " * (length - 1),
        "one word": fill("a"),
        "short words": fill("a "),
        "digits and spaces": fill("1 "),
        "a list of noes": fill("no fever, "),
        "'and' lists": fill("fever and "),
        "question marks": fill("? "),
        "no punctuation": fill("back pain numb legs weak fever no "),
        "people": fill("my husband "),
        "ages": fill("1 year old "),
        "full stops": fill("."),
        "line breaks": fill("\n"),
        "emoji": fill("\U0001f633"),
        "curly apostrophes, capitals": fill("I CAN’T FEEL MY BUM "),
        "zero-width characters": fill("n\u200bu\u200bm\u200bb "),
    }


def throughput(n: int, repeats: int) -> None:
    sample = sample_rows(GenerationConfig(seed=3), 0, n)
    texts = render_texts(sample.columns, 3, 0, "heldout")
    start = time.perf_counter()
    pipeline()
    load = time.perf_counter() - start
    extract_many(texts[:100], workers=1)  # warm
    runs: dict[int, list[tuple[float, float]]] = {1: [], _cores(): []}
    for _ in range(repeats):
        for workers in runs:
            wall, cpu = time.perf_counter(), time.process_time()
            extract_many(texts, workers=workers)
            runs[workers].append((time.perf_counter() - wall, time.process_time() - cpu))
    print(f"text reader: pipeline loads in {load:.2f} s; {n:,} texts a run")
    for workers, times in runs.items():
        wall = statistics.median(t for t, _ in times)
        cpu = statistics.median(c for _, c in times)
        print(
            f"  {workers} process{'es' if workers > 1 else ''}: {n / wall:,.0f} texts/s "
            f"(median of {len(times)}; {1000 * cpu / n:.2f} ms CPU a text in the parent)"
            f" target >= {TARGET}"
        )


def _time_one(text: str, repeats: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        extract_findings(text)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def long_texts(repeats: int) -> None:
    pipeline()
    extract_findings(written_text(2000))  # warm
    print(f"long texts: median of {repeats} readings each, target < {LONG_TARGET_S:.0f} s")
    quarter = _time_one(written_text(LONG // 4), repeats)
    whole = _time_one(written_text(LONG), repeats)
    print(
        f"  {'written texts':<28} {LONG:>7,} chars: {whole[0]:.3f} s wall, {whole[1]:.3f} s CPU"
        f" ({LONG // 4:,} chars: {quarter[1]:.3f} s CPU, ratio {whole[1] / quarter[1]:.1f})"
    )
    worst = whole[0]
    for name, text in pathological(LONG).items():
        wall, cpu = _time_one(text, repeats)
        worst = max(worst, wall)
        print(f"  {name:<28} {len(text):>7,} chars: {wall:.3f} s wall, {cpu:.3f} s CPU")
    verdict = "yes" if worst < LONG_TARGET_S else "no"
    print(f"  slowest: {worst:.3f} s wall; every text under {LONG_TARGET_S:.0f} s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--long-repeats", type=int, default=3)
    parser.add_argument("--only", choices=["throughput", "long"])
    args = parser.parse_args()
    print(_load())
    if args.only in (None, "throughput"):
        throughput(args.n, args.repeats)
    if args.only in (None, "long"):
        long_texts(args.long_repeats)
    print(_load())


if __name__ == "__main__":
    main()
