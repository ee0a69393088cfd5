"""The findings of the contract (``docs/contract.md``) as one table: the source of truth.

Each finding has a name, a kind (``bool``, ``enum`` with its ``values``, ``int`` or ``float``
with a range), a description of what it means, and a plain ``label`` for people. Everything
else is derived from this table: the pydantic model and its JSON Schema
(:mod:`backclf.contract.findings`), the validation rules (:mod:`backclf.contract.rules`), the
column codes (:mod:`backclf.contract.columns`) and the command line's finding options.

It is plain data, so the predict path reads it without building any pydantic model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Contract: "38.0 or more counts as fever".
FEVER_THRESHOLD_C = 38.0

Kind = Literal["bool", "enum", "int", "float"]


@dataclass(frozen=True)
class FieldSpec:
    """What one finding can be: ``bool``, ``enum`` (one of ``values``), ``int`` or ``float``
    (between ``minimum`` and ``maximum``, both included)."""

    name: str
    kind: Kind
    label: str
    description: str = ""
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")


def _yes_no(name: str, label: str, description: str = "") -> FieldSpec:
    return FieldSpec(name, "bool", label, description)


_TABLE = (
    FieldSpec("age", "int", "age", "years", minimum=1, maximum=120),
    FieldSpec("sex", "enum", "sex", values=("female", "male")),
    _yes_no("pregnant", "pregnant"),
    FieldSpec("onset", "enum", "onset", "how this episode began", values=("sudden", "gradual")),
    FieldSpec(
        "days_since_onset",
        "float",
        "days since onset",
        "days since this episode began",
        minimum=0,
        maximum=36500,
    ),
    FieldSpec(
        "trigger",
        "enum",
        "trigger",
        "what set this episode off",
        values=(
            "bending_or_twisting",
            "lifting_heavy_object",
            "prolonged_posture",
            "minor_fall_or_bump",
            "none",
        ),
    ),
    _yes_no("major_trauma", "major trauma", "car crash, fall from height, heavy blow"),
    FieldSpec(
        "pain_side", "enum", "side of the pain", values=("central", "one_side", "both_sides")
    ),
    FieldSpec(
        "pain_severity",
        "int",
        "pain severity (0-10)",
        "0 (none) to 10 (worst)",
        minimum=0,
        maximum=10,
    ),
    _yes_no("spasm", "muscle spasm", "cramping, spasmodic pain or felt muscle spasm"),
    _yes_no(
        "restricted_movement",
        "restricted movement",
        "cannot bend or turn freely; back feels locked or stuck",
    ),
    _yes_no(
        "worse_on_extension_or_twisting",
        "worse leaning back or twisting",
        "leaning back or turning makes it worse",
    ),
    _yes_no("eased_by_rest", "eased by rest", "lying down or resting eases it"),
    _yes_no(
        "constant_night_pain",
        "constant night pain",
        "pain at night that changing position does not ease",
    ),
    FieldSpec(
        "radiating_leg_pain",
        "enum",
        "pain going down the leg",
        values=("none", "one_leg", "both_legs"),
    ),
    _yes_no(
        "chronic_strain_history",
        "long-standing back strain",
        "long-standing back strain or ache (work, posture) before this episode",
    ),
    _yes_no("previous_episodes", "similar episodes before", "similar episodes before"),
    _yes_no("fever", "fever"),
    FieldSpec(
        "temperature_c",
        "float",
        "temperature",
        "38.0 or more counts as fever",
        minimum=30,
        maximum=45,
    ),
    _yes_no("chills", "chills", "chills, shivering, rigors"),
    _yes_no("frequent_urination", "frequent urination"),
    _yes_no("painful_urination", "painful urination"),
    _yes_no("blood_in_urine", "blood in the urine"),
    _yes_no("nausea_or_vomiting", "nausea or vomiting"),
    _yes_no(
        "flank_tenderness", "tenderness over a kidney", "pain when the area over a kidney is tapped"
    ),
    _yes_no("confusion", "new confusion", "new confusion or drowsiness"),
    _yes_no("unable_to_keep_fluids_down", "unable to keep fluids down"),
    _yes_no(
        "saddle_numbness",
        "saddle numbness",
        "numbness or altered feeling around the genitals, anus, buttocks or inner thighs "
        "(the saddle area), including new loss of feeling in the genitals",
    ),
    _yes_no(
        "bladder_or_bowel_control_loss",
        "loss of bladder or bowel control",
        "new trouble passing urine, or loss of bladder or bowel control",
    ),
    _yes_no(
        "leg_weakness",
        "leg weakness",
        "new or worsening weakness of a leg or foot (e.g. foot drop)",
    ),
    _yes_no(
        "bilateral_leg_weakness",
        "weakness of both legs",
        "new weakness of both legs (implies leg_weakness)",
    ),
    _yes_no(
        "new_sexual_dysfunction",
        "new erection or ejaculation problems",
        "new problems with erections or ejaculation (new numbness of the genitals is "
        "saddle_numbness)",
    ),
    _yes_no("history_of_cancer", "history of cancer"),
    _yes_no("unexplained_weight_loss", "unexplained weight loss"),
    _yes_no(
        "osteoporosis_or_steroid_use",
        "osteoporosis or long-term steroids",
        "osteoporosis, or long-term steroid tablets",
    ),
    _yes_no("iv_drug_use", "injecting drug use"),
    _yes_no(
        "immunosuppressed",
        "weakened immune system",
        "chemotherapy, transplant drugs, HIV, other immune suppression",
    ),
    _yes_no(
        "recent_spinal_procedure",
        "recent spinal procedure",
        "spinal surgery, an epidural or spinal injection, or a lumbar puncture "
        "in the last 3 months",
    ),
    _yes_no("fainting_or_collapse", "fainting or collapse"),
    _yes_no("pulsating_abdominal_mass", "pulsating lump in the abdomen"),
)

FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in _TABLE}
FIELD_NAMES: tuple[str, ...] = tuple(FIELDS)
