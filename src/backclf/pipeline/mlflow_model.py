"""The MLflow pyfunc model ("models from code"): a thin adapter over ``assess``.

Whatever serves it (``mlflow models serve``, ``mlflow models predict``, a Spark UDF), each
row goes through the same validation and :func:`backclf.core.decide.assess_batch`, so the
red-flag override applies. Input: one column per finding (missing or null = unknown),
optionally ``id``. Output: one row per case with the triage, cause and the full assessment
as JSON (or the error for a case that could not be read).
"""

from __future__ import annotations

import json
import math
from typing import Any

import mlflow
from mlflow.pyfunc import PythonModel

OUTPUT_COLUMNS = (
    "triage_level",
    "overridden",
    "cause",
    "probability",
    "red_flags",
    "assessment",
    "error",
)


def _plain(value: Any) -> Any:
    """numpy/pandas scalars to plain Python; NaN and None to None (unknown)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def rows_from_input(model_input: Any) -> list[dict[str, Any]]:
    if hasattr(model_input, "to_dict"):
        records = model_input.to_dict(orient="records")
    elif isinstance(model_input, dict):
        records = [model_input]
    else:
        records = list(model_input)
    return [
        {k: v for k, v in ((k, _plain(v)) for k, v in r.items()) if v is not None} for r in records
    ]


class BackclfModel(PythonModel):
    def load_context(self, context) -> None:
        from backclf.core.model import load_model

        self._model = load_model(context.artifacts["model_file"])

    def predict(self, context, model_input, params=None):
        import pandas as pd

        from backclf.io.parse import Item
        from backclf.io.score import assess_items

        items = [Item(i + 1, row) for i, row in enumerate(rows_from_input(model_input))]
        out = []
        for record in assess_items(items, self._model):
            if "error" in record:
                out.append({c: None for c in OUTPUT_COLUMNS} | {"error": record["error"]})
                continue
            cause = record["cause"]
            out.append(
                {
                    "triage_level": record["triage"]["level"],
                    "overridden": record["triage"]["overridden"],
                    "cause": cause["id"] if cause else None,
                    "probability": record["differential"][0]["probability"],
                    "red_flags": ",".join(f["id"] for f in record["red_flags"]),
                    "assessment": json.dumps(record, ensure_ascii=False),
                    "error": None,
                }
            )
        return pd.DataFrame(out, columns=list(OUTPUT_COLUMNS))


mlflow.models.set_model(BackclfModel())
