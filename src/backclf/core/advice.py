"""The ``advice`` block of an assessment: the article's words, fitted to the person and never
contradicting the triage (``knowledge/guidance.yaml`` holds every note and reason, with its
source; the article's words are quoted whole, never cut).

- **Instructions come from the top level only.** ``urgent`` holds the messages of the rules
  at the triage level (and, when the model's likely kidney infection or an unusual
  presentation set the level, a message saying so); lower rules' messages, whose opening
  would contradict the banner ("Book a doctor's appointment" under "Call an ambulance"), are
  listed in ``also_tell`` without their opening instruction: what to tell the doctor.
- **A red flag at ``consultation_24`` or above withholds the article's home care and
  medicines**, and ``general`` keeps only its care-seeking sentences. When a kidney infection
  is possible then, a note on pain relief and fluids (paracetamol, no NSAIDs) is shown instead,
  below emergency level and unless the person cannot keep fluids down.
- **Medicines that do not fit the person are withheld with the reason**: all of them in
  pregnancy or under 18; the anti-inflammatory painkillers (NSAIDs) when a kidney infection
  raised the triage. The article's kidney-infection advice (antibiotics) is withheld when no
  sign of infection was told.
- **Cautions**: NSAIDs at 65 or over, a woman who may be pregnant, levofloxacin's restriction,
  surgery for facet joints, keeping active where the article says rest.
- **A safety net** (the signs that mean "get help now") on every answer below
  ``consultation_24``, and "do not drive yourself" at emergency levels.

A block depends on a few facts of the case (:class:`AdviceCase`), so the distinct blocks are
few; each is built once and shared by every record that needs it.
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

import numpy as np

from backclf import knowledge
from backclf.contract.columns import UNKNOWN, Columns
from backclf.contract.fields import FIELDS
from backclf.core.encoded import Encoded
from backclf.core.red_flags import infection_signs
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

#: Ranks at or above this withhold the article's advice when a red flag sets them.
URGENT_RANK = TRIAGE_LEVELS.index("consultation_24")
EMERGENCY_RANK = TRIAGE_LEVELS.index("emergency")
_ADULT_AGE = 18
_FEMALE = FIELDS["sex"].values.index("female")
PYELONEPHRITIS = CAUSE_IDS.index("pyelonephritis")
#: How a rule's message opens (its instruction), left out where it is listed as
#: something to tell the doctor.
OPENINGS = (
    "Call an ambulance now.",
    "Go to an emergency department or your maternity unit now.",
    "Go to an emergency department now.",
    "See a doctor within 24 hours.",
    "Book a doctor's appointment.",
    "Do not drive yourself.",
)


class AdviceCase(NamedTuple):
    """What a case's advice block depends on (the key of the shared blocks)."""

    cause: int | None  # the named cause (None when none is named)
    red_flag: bool  # a rule at consultation_24 or above fired
    pregnant: bool
    under_18: bool
    caution: bool  # a woman who may be pregnant
    also: tuple[int, ...]  # other causes that raised the triage
    older: bool = False  # 65 or over (the NSAID caution's ages)
    infection_sign: bool = False  # a sign of the pyelonephritis picture was told
    fluids_ok: bool = True  # not "unable to keep fluids down"
    band: int = 0  # 0 below consultation_24, 1 at it, 2 at emergency or above


def explanation(message: str) -> str:
    """A rule's message without its opening instruction (what to tell the doctor)."""
    text = message
    for opening in OPENINGS * 2:  # an opening can be followed by "Do not drive yourself."
        if text.startswith(opening):
            text = text[len(opening) :].lstrip()
    return text or message


@cache
def _nsaids() -> frozenset[str]:
    return frozenset(knowledge.guidance().nsaids)


class AdviceBlocks:
    """Every distinct ``advice`` block, built on first use and shared between records."""

    def __init__(self, disclaimer: str):
        article = knowledge.article()
        self._article = article
        self._guidance = knowledge.guidance()
        self._disclaimer = disclaimer
        self._general = [article.infection_rule, article.seek_care, *article.daily_life]
        self._care_seeking = [article.infection_rule, article.seek_care]
        self._blocks: dict[AdviceCase, dict[str, Any]] = {}
        self._encoded: dict[AdviceCase, Encoded] = {}

    def get(self, urgent: list[str], also_tell: list[str], case: AdviceCase) -> dict[str, Any]:
        """The advice block; ``urgent`` and ``also_tell`` are the only per-case parts."""
        block = self._blocks.get(case)
        if block is None:
            block = self._blocks[case] = self._build(case)
        if not urgent and not also_tell:
            return block
        return {**block, "urgent": urgent, "also_tell": also_tell}

    def encoded(self, case: AdviceCase) -> Encoded:
        """The shared block (no ``urgent`` or ``also_tell``), encoded once."""
        block = self._encoded.get(case)
        if block is None:
            block = self._encoded[case] = Encoded.of(self.get([], [], case))
        return block

    def _build(self, case: AdviceCase) -> dict[str, Any]:
        reasons = self._reasons(case)
        no_medicines = any(r in reasons for r in ("red_flag", "pregnant", "under_18"))
        shown: list[int] = []
        advice = medication = None
        if not case.red_flag and case.cause is not None and self._may_show(case, case.cause):
            shown.append(case.cause)
            without = no_medicines or "kidney_infection" in reasons
            advice, medication = self._cause_advice(case.cause, without)
        also_consider = []
        for k in () if case.red_flag else case.also:
            if not self._may_show(case, k):
                continue
            text, medicine = self._cause_advice(k, no_medicines)
            name = self._article.causes[k].name
            also_consider.append(
                {"cause": CAUSE_IDS[k], "name": name, "advice": text, "medication": medicine}
            )
            shown.append(k)
        medicines = [m for m in (medication, *(a["medication"] for a in also_consider)) if m]
        return {
            "urgent": [],
            "also_tell": [],
            "cause": advice,
            "medication": medication,
            "also_consider": also_consider,
            "withheld": [self._withheld(r) for r in reasons],
            "notes": self._notes(case, shown, medicines),
            "general": self._care_seeking if case.red_flag else self._general,
            "disclaimer": self._disclaimer,
        }

    def _may_show(self, case: AdviceCase, k: int) -> bool:
        """The article's kidney-infection advice needs a sign of infection."""
        return k != PYELONEPHRITIS or case.infection_sign

    def _reasons(self, case: AdviceCase) -> list[str]:
        """Why parts of the article's advice are not shown (guidance.yaml, withheld)."""
        if case.red_flag:
            return ["red_flag"]
        reasons = [
            r for r, why in (("pregnant", case.pregnant), ("under_18", case.under_18)) if why
        ]
        named = [] if case.cause is None else [case.cause]
        if (
            not reasons
            and PYELONEPHRITIS in case.also
            and any(self._names_nsaids(k) for k in named)
        ):
            reasons.append("kidney_infection")
        if not case.infection_sign and PYELONEPHRITIS in (*named, *case.also):
            reasons.append("no_infection_sign")
        return reasons

    def _withheld(self, reason: str) -> dict[str, Any]:
        why = getattr(self._guidance.withheld, reason)
        return {"id": reason, "withholds": why.withholds, "reason": why.text, "source": why.source}

    def _names_nsaids(self, k: int) -> bool:
        return any(m.name in _nsaids() for m in self._article.causes[k].medicines)

    def _notes(
        self, case: AdviceCase, shown: list[int], medicines: list[str]
    ) -> list[dict[str, Any]]:
        g = self._guidance
        notes = []
        for note in g.notes:
            after = [k for k in shown if CAUSE_IDS[k] in note.after_causes]
            if note.with_medicines:
                after = [k for k in after if self._article.causes[k].medication in medicines]
            kidney_instead = (
                note.id == "kidney_pain_relief"
                and case.red_flag
                and case.infection_sign
                and case.fluids_ok
                and case.band < 2
            )
            if after or kidney_instead:
                notes.append({"id": note.id, "text": note.text, "source": note.source})
        nsaids_shown = any(self._names_nsaids(k) for k in shown) and bool(medicines)
        if case.caution and medicines:
            notes.append(_note("may_be_pregnant", g.may_be_pregnant))
        if case.older and nsaids_shown:
            notes.append(_note("older_nsaids", g.older_nsaids))
        if case.band == 0:
            notes.append(_note("safety_net", g.safety_net))
        if case.band == 2:
            notes.append(_note("travel", g.travel))
        return notes

    def _cause_advice(self, k: int, no_medicines: bool) -> tuple[str | None, str | None]:
        """The article's advice and medicines for cause ``k``; without medicines, the
        sentences that name them are left out whole (the article's words are never cut)."""
        cause = self._article.causes[k]
        if not no_medicines:
            return " ".join(cause.advice), cause.medication
        kept = [s for s in cause.advice if s != cause.medication]
        return (" ".join(kept) or None), None


def _note(note_id: str, note: Any) -> dict[str, Any]:
    return {"id": note_id, "text": note.text, "source": note.source}


def person_flags(
    columns: Columns, level: np.ndarray, infection_sign: np.ndarray | None = None
) -> dict[str, list[bool] | list[int]]:
    """Per case, the facts of :class:`AdviceCase` read off the findings and the level
    (``infection_sign``: :func:`~backclf.core.red_flags.infection_signs`, if already read)."""
    age = columns["age"]
    low, high = knowledge.guidance().may_be_pregnant.ages
    older_from = knowledge.guidance().older_nsaids.ages[0]
    with np.errstate(invalid="ignore"):
        under_18 = age < _ADULT_AGE
        of_age = np.isnan(age) | ((age >= low) & (age <= high))
        older = age >= older_from
    pregnant = columns["pregnant"] == 1
    caution = (columns["sex"] == _FEMALE) & (columns["pregnant"] == UNKNOWN) & of_age
    band = np.where(level >= EMERGENCY_RANK, 2, np.where(level >= URGENT_RANK, 1, 0))
    return {
        "pregnant": pregnant.tolist(),
        "under_18": under_18.tolist(),
        "caution": caution.tolist(),
        "older": older.tolist(),
        "infection_sign": (
            infection_signs()(columns) if infection_sign is None else infection_sign
        ).tolist(),
        "fluids_ok": (columns["unable_to_keep_fluids_down"] != 1).tolist(),
        "band": band.tolist(),
    }
