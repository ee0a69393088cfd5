"""spaCy component ``backclf_numbers``: numbers with units, read off the text.

The readers (:mod:`.ages`: ages and the sexes written with them; :mod:`.quantities`:
temperature, pain score, how long ago the pain began, weight lost, fall height and speed,
weeks of pregnancy) read the numeral view of the text (:mod:`.numerals`: number words as
digits, by text2num), and each reading is mapped back to the words the writer wrote.

Each reading is a span of ``doc.spans["backclf_findings"]`` labelled ``"<finding>=<value>"``
with span id ``number``, so ConText and the merge treat it like any other mention.
"""

from __future__ import annotations

from bisect import bisect_right

from spacy.language import Language
from spacy.tokens import Doc, Span

from backclf.text.ages import ages
from backclf.text.findings import NUMBER, SPANS
from backclf.text.numerals import numeral_view
from backclf.text.people import Patient
from backclf.text.quantities import READERS
from backclf.text.tokens import tokens


def _label(finding: str, value: object) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"{finding}={value}"


@Language.component("backclf_numbers")
def read_numbers(doc: Doc) -> Doc:
    """Add the numbers with units to the doc's finding spans."""
    tok = tokens(doc)
    view = numeral_view(tok.source)  # the doc's text is lower case already
    text = view.text
    patient = doc._.backclf_patient or Patient("writer")
    found = []
    for reader in READERS:
        found += reader(text)
    measured = {i for start, end, f, _ in found if f == "temperature_c" for i in range(start, end)}
    found += [  # "101 F" is a temperature, not a 101-year-old woman
        a for a in ages(text, patient) if measured.isdisjoint(range(a[0], a[1]))
    ]
    if not found:
        return doc
    spans = list(doc.spans[SPANS]) if SPANS in doc.spans else []
    for start, end, finding, value in found:  # characters to the tokens that hold them
        start, end = view.original_span(start, end)
        first = bisect_right(tok.idx, start) - 1
        last = bisect_right(tok.idx, end - 1)
        if 0 <= first < last:
            spans.append(Span(doc, first, last, _label(finding, value), span_id=NUMBER))
    doc.spans[SPANS] = spans
    return doc


__all__ = ["read_numbers"]
