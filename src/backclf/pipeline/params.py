"""Reading ``params.yaml`` (the pipeline's parameters) for the pipeline scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from backclf.synth.sampler import GenerationConfig


def load_params(path: Path = Path("params.yaml")) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def generation_config(params: dict[str, Any], split: str) -> GenerationConfig:
    """The generator config of one split: the shared knobs, overridden by the split's own."""
    section = params["generate"]
    merged = {**section["knobs"], **section[split]}
    merged.pop("family", None)
    return GenerationConfig(**merged)
