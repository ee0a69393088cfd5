"""`dvc plots show/diff` pages work with the network off: the plots are images the page holds
itself (no Vega from a CDN), each narrow enough for the side-by-side view of `dvc plots diff`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

#: pixels: two images side by side in a 1,200-pixel window, with DVC's margins
MAX_WIDTH = 560


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def declared_plots(root: Path) -> list[Path]:
    plots = []
    for dvc_yaml in [root / "dvc.yaml", root / "studies" / "dvc.yaml"]:
        wdir = dvc_yaml.parent
        for stage in yaml.safe_load(dvc_yaml.read_text())["stages"].values():
            for plot in stage.get("plots", []):
                name = next(iter(plot)) if isinstance(plot, dict) else plot
                plots.append((wdir / stage.get("wdir", ".") / name).resolve())
    return plots


def test_every_declared_plot_is_an_image_sized_for_side_by_side(root):
    plots = declared_plots(root)
    assert plots
    for path in plots:
        assert path.suffix == ".png", f"{path.name}: a Vega plot needs JavaScript from a CDN"
        width, _ = png_size(path)
        assert width <= MAX_WIDTH, (path.name, width)


def test_the_plots_page_needs_no_network(root, tmp_path):
    out = tmp_path / "plots"
    subprocess.run(
        [sys.executable, "-m", "dvc", "plots", "show", "-o", str(out)],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=120,
    )
    page = (out / "index.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "a remote asset"
    assert "<script" not in page
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == len(declared_plots(root))
    for src in images:
        assert png_size(out / src)[0] <= MAX_WIDTH
