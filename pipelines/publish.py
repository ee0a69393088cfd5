"""DVC stage `publish`: package the champion and track the run in MLflow (registered)."""

import hashlib
import json
import shutil
from pathlib import Path

from backclf.pipeline.params import params_or_exit
from backclf.pipeline.tracking import log_pipeline_run

PACKAGED = Path("src/backclf/published/champion.json")


def main() -> None:
    params = params_or_exit().model_dump()
    champion = Path("models/champion.json")
    shutil.copyfile(champion, PACKAGED)
    print(f"packaged {champion} -> {PACKAGED}")
    metrics = json.loads(Path("reports/metrics.json").read_text())
    hashes = {
        p.stem: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path("data").glob("*.parquet"))
    }
    plots = sorted(Path("reports/plots").glob("*.png"))
    candidates = {p.stem: p for p in sorted(Path("models").glob("*.json")) if p.stem != "champion"}
    run_id = log_pipeline_run(
        Path.cwd(),
        params,
        metrics,
        champion,
        Path("reports/model_card.md"),
        plots,
        hashes,
        candidates,
        details=json.loads(Path("reports/evaluation.json").read_text()),
    )
    print(
        f"MLflow run {run_id}: registered {params['publish']['registered_model']}"
        f"@{params['publish']['alias']}"
    )


if __name__ == "__main__":
    main()
