"""Benchmark: the fixed cost of one call, one case through ``assess_items`` (issue 27 item 2).

Run: uv run python benchmarks/bench_single.py [--calls 3000] [--profile]
- the median wall time of one call of ``backclf.io.score.assess_items`` on a single case,
  for a few typical cases (a plain mechanical case, an empty one, a red flag, an interview
  part-way through), and per case in a batch of 1,000 of the same cases for comparison;
- with ``--profile``: the top lines of a cProfile of 2,000 single-case calls (cumulative).

Target (issue 27): one case in <= 0.2 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time

from backclf.core.model import load_model
from backclf.io.parse import Item
from backclf.io.score import assess_items

CASES = {
    "mechanical": {"age": 40, "trigger": "lifting_heavy_object", "fever": False},
    "empty": {},
    "red flag": {"age": 55, "saddle_numbness": True, "bladder_or_bowel_control_loss": True},
    "part-way": {
        "age": 30, "trigger": "lifting_heavy_object", "fever": False, "saddle_numbness": False,
        "bladder_or_bowel_control_loss": False, "pain_severity": 6, "radiating_leg_pain": "none",
        "history_of_cancer": None,
    },
}


def per_call(items: list[Item], model, calls: int) -> tuple[float, float]:
    """Median wall time and median CPU time (of this thread) of one call."""
    times, cpu = [], []
    for _ in range(calls):
        start, start_cpu = time.perf_counter(), time.thread_time()
        assess_items(items, model)
        cpu.append(time.thread_time() - start_cpu)
        times.append(time.perf_counter() - start)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} (1 min)")
    model = load_model()
    for _ in range(50):  # warm the caches built once per model
        assess_items([Item(1, c) for c in CASES.values()], model)
    for name, case in CASES.items():
        one, one_cpu = per_call([Item(1, case)], model, args.calls)
        batch, _ = per_call([Item(i, case) for i in range(1000)], model, 20)
        print(
            f"{name:>11}: one case {one * 1e3:.3f} ms a call, CPU {one_cpu * 1e3:.3f} ms "
            f"(target <= 0.2 ms); in a batch of 1,000 {batch * 1e3:.0f} us a case"
        )
    if args.profile:
        items = [Item(1, CASES["mechanical"])]
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(2000):
            assess_items(items, model)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
