"""``backclf generate``: write vignettes with a progress bar, then a summary table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from backclf.core.red_flags import rule_set
from backclf.knowledge import CAUSE_IDS
from backclf.synth.config import GenerationConfig
from backclf.synth.posterior import posterior
from backclf.synth.sampler import Sample, write_parquet


class Summary:
    """Running counts over generated chunks."""

    def __init__(self, config: GenerationConfig) -> None:
        self.config = config
        self.n = 0
        self.counts = np.zeros(len(CAUSE_IDS), dtype=np.int64)
        self.unknown = 0.0
        self.red_flag = 0
        self.bayes_correct = 0

    def add(self, sample: Sample) -> None:
        n = len(sample.label)
        self.n += n
        self.counts += np.bincount(sample.label, minlength=len(CAUSE_IDS))
        unknown = [
            np.isnan(c) if c.dtype == np.float64 else c == -1 for c in sample.columns.values()
        ]
        self.unknown += float(np.mean(unknown)) * n
        self.red_flag += int(rule_set().fired(sample.columns).any(axis=1).sum())
        best = posterior(sample.columns, self.config).argmax(axis=1)
        self.bayes_correct += int((best == sample.label).sum())

    def table(self) -> Table:
        table = Table(title=f"{self.n:,} vignettes (seed {self.config.seed})")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for cause, count in zip(CAUSE_IDS, self.counts, strict=True):
            table.add_row(cause, f"{count:,} ({count / max(self.n, 1):.1%})")
        table.add_row("unknown findings", f"{self.unknown / max(self.n, 1):.1%}")
        table.add_row("cases with a red flag", f"{self.red_flag / max(self.n, 1):.1%}")
        table.add_row("Bayes ceiling (accuracy)", f"{self.bayes_correct / max(self.n, 1):.2%}")
        return table


def run_generate(
    *, n: int, seed: int, out: Path, text: str | None, chunk_size: int, **knobs
) -> Summary:
    if text not in (None, "train", "heldout"):
        raise ValueError("--text takes train or heldout")
    config = GenerationConfig(n=n, seed=seed, **knobs)
    summary = Summary(config)
    console = Console(stderr=True)
    with Progress(
        TextColumn("generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("generate", total=n)

        def on_chunk(sample: Sample) -> None:
            summary.add(sample)
            progress.advance(task, len(sample.label))

        write_parquet(config, out, chunk_size=chunk_size, text_family=text, on_chunk=on_chunk)
    console.print(summary.table())
    console.print(f"wrote {out}")
    return summary
