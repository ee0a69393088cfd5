"""Profile: where one process spends its time on JSON Lines (issue 27 item 1).

Run: uv run python benchmarks/profile_jsonl.py [--cases 20000] [--top 30]
Scores a chunk of generated cases through the CLI's own chunk scorer
(:func:`backclf.cli.sinks.score_chunk`: decoding, the contract check, the decision, the records,
the encoding) in this one process, reports cases per second of CPU time, then a cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time

from backclf.cli.sinks import score_chunk
from backclf.cli.sources import Chunk
from backclf.core.model import load_model
from backclf.synth.sampler import GenerationConfig, sample_rows, sample_table


def lines(n: int) -> list[bytes]:
    table = sample_table(sample_rows(GenerationConfig(seed=1), 0, n)).drop_columns(
        ["label", "true_cause", "atypical", "red_flag_added"]
    )
    table = table.rename_columns(["id" if c == "case_id" else c for c in table.column_names])
    return [
        json.dumps({k: v for k, v in r.items() if v is not None}).encode()
        for r in table.to_pylist()
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    data = lines(args.cases)
    model = load_model()
    chunk = Chunk(list(enumerate(data, 1)))
    score_chunk(Chunk(list(enumerate(data[:100], 1))), model, None)  # warm the caches
    start = time.process_time()
    score_chunk(chunk, model, None)
    cpu = time.process_time() - start
    print(f"{args.cases:,} cases in one process: {cpu:.2f} s CPU = {args.cases / cpu:,.0f} cases/s")
    profile = cProfile.Profile()
    profile.enable()
    score_chunk(chunk, model, None)
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
