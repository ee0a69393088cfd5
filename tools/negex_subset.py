"""Select the NegEx test sentences whose concept is a backclf finding (tests/data/negex).

The NegEx test kit (Chapman et al.; 2,376 de-identified sentences from clinical reports, each
with one condition a physician annotated as affirmed or negated) ships in the GeneralNegEx
package of github.com/chapmanbe/negex (Apache License 2.0). The same sentences, annotated
with ConText's temporality and experiencer too, are the repository's
rsAnnotations-1-120-random.txt. This script keeps the sentences whose condition names a
backclf finding (the table below, written by hand), about the patient, now (or, for a
finding about the past such as a cancer, now or before), and writes them with the
polarity the annotation gives the finding.

Run: python tools/negex_subset.py <checkout of chapmanbe/negex> > tests/data/negex/sentences.jsonl
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

KIT = "GeneralNegEx.Java.v.1.2.05092009/Annotations-1-120-random.txt"
CONTEXT = "rsAnnotations-1-120-random.txt"

#: Condition (lower case, single spaces) -> (backclf finding, whether "affirmed" means the
#: finding is present). "afebrile" affirmed is no fever.
CONCEPTS: dict[str, tuple[str, bool]] = {
    **{c: ("fever", True) for c in ("fever", "fevers", "febrile", "high fever",
                                    "fever associated with chill")},
    "afebrile": ("fever", False),
    "chills": ("chills", True),
    **{c: ("nausea_or_vomiting", True) for c in (
        "nausea", "vomiting", "vomited", "nauseated", "nauseous", "mild nausea", "some nausea",
        "emesis", "coffee-ground emesis", "emesis with mild blood streaking")},
    **{c: ("painful_urination", True) for c in ("dysuria", "burning on urination")},
    **{c: ("blood_in_urine", True) for c in ("hematuria", "pink, red, or tea-colored urine")},
    **{c: ("frequent_urination", True) for c in ("frequent urination", "frequency")},
    **{c: ("bladder_or_bowel_control_loss", True) for c in (
        "urinary incontinence", "incontinent", "incontinence")},
    **{c: ("fainting_or_collapse", True) for c in (
        "syncope", "syncopal event", "syncopal episode", "collapse", "fainting",
        "loss of consciousness")},
    **{c: ("confusion", True) for c in (
        "confusion", "confused", "slight confusion", "altered mental status",
        "mental status changes", "decreased mental status", "poor mental status", "lethargy",
        "lethargic")},
    **{c: ("unexplained_weight_loss", True) for c in ("weight loss", "30-pound weight loss")},
    **{c: ("history_of_cancer", True) for c in (
        "cancer", "colon cancer", "colorectal cancer", "breast carcinoma", "adenocarcinoma of lung",
        "gastric adenocarcinoma", "locally extensive gastric adenocarcinoma",
        "marginal cell lymphoma", "atypical follicular lymphoma", "renal cell cancer",
        "bladder cancer", "metastatic disease", "metastatic lesion", "carcinoma of thyroid",
        "malignant thymoma", "progression of metastatic disease", "metastatic disease of the lung",
        "metastatic disease in the pelvis")},
    **{c: ("osteoporosis_or_steroid_use", True) for c in (
        "osteoporosis", "osteoporotic",
        "osteoporosis most likely due to past usage of her psychiatric medications")},
    **{c: ("immunosuppressed", True) for c in (
        "liver transplant", "double lung transplant", "orthotopic heart transplantation",
        "orthotopic heart transplantatio", "transplanted heart", "hiv", "hiv/aids",
        "human immunodeficiency virus/acquired immunodeficiency syndrome")},
    **{c: ("radiating_leg_pain", True) for c in (
        "sciatica", "left leg pain", "sciatic and pain in her left leg", "back and leg pain")},
    "leg weakness": ("leg_weakness", True),
}  # fmt: skip
#: Findings about the past: a historical mention counts.
HISTORY = {"history_of_cancer", "osteoporosis_or_steroid_use", "immunosuppressed"}
#: Sentences left out, each with why (checked by hand after the selection above).
EXCLUDED = {
    1875: "'associated with nausea, no vomiting': the annotation is about the vomiting alone; "
    "backclf's nausea_or_vomiting is one finding, and it is present",
}


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip('"').strip()).lower()


def main(repo: Path) -> None:
    context = {}
    for line in (repo / CONTEXT).read_text(encoding="latin-1").splitlines()[1:]:
        _, concept, sentence, _, temporality, experiencer = line.split("\t")[:6]
        context[(_key(concept), _key(sentence))] = (temporality.strip(), experiencer.strip())
    for line in (repo / KIT).read_text(encoding="latin-1").splitlines():
        number, concept, sentence, status = (part.strip() for part in line.split("\t")[:4])
        mapped = CONCEPTS.get(_key(concept))
        if mapped is None or int(number) in EXCLUDED:
            continue
        finding, affirmed_present = mapped
        temporality, experiencer = context.get((_key(concept), _key(sentence)), (None, None))
        if experiencer != "Patient":
            continue
        if temporality != "Recent" and not (temporality == "Historical" and finding in HISTORY):
            continue
        sentence = re.sub(r"\s+", " ", sentence.strip('"')).strip()
        record = {
            "kit_line": int(number),
            "concept": concept.strip('"'),
            "sentence": sentence,
            "annotation": status,
            "temporality": temporality,
            "finding": finding,
            "present": (status == "Affirmed") == affirmed_present,
        }
        print(json.dumps(record, ensure_ascii=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
