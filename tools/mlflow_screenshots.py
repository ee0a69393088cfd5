"""Screenshots of the MLflow UI as a reviewer opens it (issue 28): the runs table through the
shared "headline" view, the latest registration's run, the registered model. Run from the
checkout after `dvc repro`, with Debian's chromium installed:

    uv run python tools/mlflow_screenshots.py

Writes reports/ui/mlflow-runs.png, mlflow-run.png and mlflow-model.png. The UI's "Model
training" switch is clicked first (a browser setting of the UI, not of the store) and the
assistant panel closed; the pictures are not byte-reproducible (times, run ids).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path.cwd()
PORT = 5055


def main() -> None:
    import mlflow
    from mlflow import MlflowClient
    from playwright.sync_api import sync_playwright

    uri = f"sqlite:///{ROOT / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    experiment = client.get_experiment_by_name("backclf")
    run = client.search_runs(
        [experiment.experiment_id], "tags.registered_version != ''", max_results=1
    )[0]
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    server = subprocess.Popen(
        [
            str(mlflow_cli),
            "ui",
            "--backend-store-uri",
            uri,
            "--host",
            "127.0.0.1",
            "--port",
            f"{PORT}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{PORT}/#"
    pages = {
        "mlflow-runs": f"{base}/experiments/{experiment.experiment_id}/runs"
        "?viewStateShareKey=headline",
        "mlflow-run": f"{base}/experiments/{experiment.experiment_id}/runs/{run.info.run_id}",
        "mlflow-model": f"{base}/models/backclf",
    }
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=1)
                break
            except OSError:
                time.sleep(1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
            page = browser.new_page(viewport={"width": 1900, "height": 1000})
            for name, url in pages.items():
                page.goto(url)
                page.wait_for_load_state("load")
                time.sleep(8)
                _click(page.get_by_text("Model training", exact=True).first)
                _click(page.locator('[aria-label*="Close"]').last)
                page.goto(url)  # the switch navigates away from the shared view
                page.wait_for_load_state("load")
                time.sleep(8)
                page.screenshot(path=str(ROOT / "reports/ui" / f"{name}.png"))
                print(f"wrote reports/ui/{name}.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)


def _click(locator) -> None:
    try:
        locator.click(timeout=3000)
        time.sleep(2)
    except Exception:  # not every page has it (a timeout, whatever the page)
        pass


if __name__ == "__main__":
    main()
