"""DVC stage `headline`: the dozen figures of `reports/headline.json` (the pipeline's only DVC
metric) from the evaluation, text and interview reports."""

import json
from pathlib import Path

from backclf.pipeline.headline import REPORTS as NAMES
from backclf.pipeline.headline import headline_figures

REPORTS = Path("reports")


def main() -> None:
    reports = {name: json.loads((REPORTS / f"{name}.json").read_text()) for name in NAMES}
    figures = headline_figures(reports)
    (REPORTS / "headline.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("headline: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
