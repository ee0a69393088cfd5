"""The packaged champion: what `backclf predict` serves, and whether it agrees with the
registry. Needs the ``pipeline`` extra.

Three things name "the champion": the registry's ``@champion`` alias (this machine's MLflow
store), the packaged model ``src/backclf/published/champion.json`` (what git ships and the CLI
serves) and its card, ``src/backclf/published/model_card.md``. Only a promotion writes the
package, model and card together (:func:`package`), and every ``publish`` ends by checking
that the three name one model (:func:`agreement`), saying why not and how to mend it if they
do not. What the registry says of the model as a whole (its description) is
:func:`model_description`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from backclf import knowledge
from backclf.pipeline.provenance import sha256_file

if TYPE_CHECKING:
    from backclf.pipeline.registry import Store

PUBLISHED = Path("src/backclf/published")
PACKAGED = PUBLISHED / "champion.json"
PACKAGED_CARD = PUBLISHED / "model_card.md"
#: How a model card names the model it describes (written by ``model_card.py``).
CARD_SHA = re.compile(r"Model file sha256: `([0-9a-f]{64})`")


def package(model_file: Path, card: Path) -> None:
    """Write the promoted model and its card into the package (only what changed)."""
    for source, target in ((model_file, PACKAGED), (card, PACKAGED_CARD)):
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)


def card_sha(card: Path) -> str | None:
    """The model sha256 a card names, or None (no card, or one that names no model)."""
    if not card.exists():
        return None
    found = CARD_SHA.search(card.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def agreement(store: Store) -> str:
    """One line: the registry's @champion, the packaged model and its card name the same
    model; or which differ, why that happens, and how to make them agree."""
    packaged = sha256_file(PACKAGED) if PACKAGED.exists() else None
    card = card_sha(PACKAGED_CARD)
    champion = store.champion_version()
    registry = champion.model_sha256 if champion else None
    if packaged and packaged == card == registry:
        return (
            f"champion: @champion version {champion.version}, the packaged model and its card "
            f"agree (model {packaged[:12]})"
        )
    problems = []
    if champion is None:
        problems.append("the registry has no @champion yet")
    elif registry != packaged:
        commit = champion.git_commit[:12] or "unknown"
        problems.append(
            f"@champion is version {champion.version} (model {str(registry)[:12]}, commit "
            f"{commit}) but the packaged model is {str(packaged)[:12]}: the package is what this "
            "checkout ships, the registry this machine's history. To make them agree, check out "
            f"the champion's package (git checkout {commit} -- {PUBLISHED}) or run `dvc repro` "
            "at the commit you mean to ship (an empty store takes its package as the champion)"
        )
    if packaged != card:
        problems.append(
            f"the packaged card {PACKAGED_CARD} names model {str(card)[:12]}, not the packaged "
            f"{str(packaged)[:12]}: both are written by a promotion; restore them together "
            f"(git checkout -- {PUBLISHED})"
        )
    return "champion: NOT in agreement: " + "; ".join(problems)


def model_description() -> str:
    """What the registered model is, where it comes from, how a version is chosen, and the
    article's disclaimer (Markdown, as the MLflow UI renders it)."""
    article = knowledge.article()
    return (
        "**backclf**: an interpretable classifier of the likely cause of sudden lower back "
        "soreness and the triage level that follows, built from one health article, "
        f'"{article.source.title}" (`src/backclf/knowledge/{article.source.file}`, sha256 '
        f"`{article.source.sha256[:12]}`): its five causes, advice and warnings are versioned "
        "data. Trained on synthetic vignettes generated from the article and the cited "
        "clinical sources (`docs/clinical-sources.md`), never on patient data. Red-flag rules "
        "override the model: a case with a red flag is sent to care whatever the model says.\n\n"
        "**How a version is chosen.** `dvc repro` trains the candidates (logistic regression, "
        "points scorecard, shallow tree; nested runs) and registers the pipeline's model as a "
        "new version. The promotion gate scores it beside the current `@champion` on the same "
        "reference data (`params.yaml` publish.gate): no red-flag case may end at self-care, "
        "and reference accuracy, calibration (ECE), pyelonephritis under-triage, development "
        "vignettes and dangerous presentations may not be worse beyond the tolerances. It "
        "becomes `@champion` only if it passes, else `@challenger`; each version's "
        "description says why. A `dvc exp run` model is never promoted.\n\n"
        "**Each version** is a pyfunc model that reads a table of findings as `backclf "
        "predict` reads JSON (`docs/contract.md`), with the package's wheel among its "
        "artifacts.\n\n"
        f"**Disclaimer.** {article.disclaimer}"
    )
