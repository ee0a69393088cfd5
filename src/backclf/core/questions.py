"""``next_questions``: a plan (:mod:`backclf.core.policy`) in words, for each assessment.

The questions are JSON-ready dicts in the shape of
:class:`backclf.contract.assessment.NextQuestion`, built from ``questions.yaml`` once and
shared by every record that asks them; a checklist is its pending items, picked per record.
"""

from __future__ import annotations

from functools import cache
from itertools import compress
from typing import Any

import numpy as np
import orjson

from backclf import knowledge
from backclf.contract.fields import FIELDS
from backclf.core.encoded import Encoded
from backclf.core.policy import Plan
from backclf.core.screen import screen

#: The number of decimals of an expected gain.
GAIN_DIGITS = 4


def _option(label: str, value: Any) -> dict[str, Any]:
    return {"label": label, "value": value}


@cache
def _dont_know() -> dict[str, Any]:
    return _option(knowledge.question_bank().answers.dont_know, None)


@cache
def options(finding: str) -> list[dict[str, Any]]:
    """A finding's answers: its options (yes/no for a yes/no finding), then "don't know"."""
    bank = knowledge.question_bank()
    spec = FIELDS[finding]
    if spec.kind == "bool":
        own = [_option(bank.answers.yes, True), _option(bank.answers.no, False)]
    else:
        own = [_option(o.label, o.value) for o in bank.questions[finding].options]
    return [*own, _dont_know()]


@cache
def single_question(finding: str) -> dict[str, Any]:
    """One finding's question, without its reason."""
    spec = FIELDS[finding]
    asked = knowledge.question_bank().questions[finding]
    question: dict[str, Any] = {
        "kind": "number" if spec.numeric and not asked.options else "choice",
        "question": asked.question,
        "finding": finding,
        "options": options(finding),
    }
    if question["kind"] == "number":
        question["minimum"], question["maximum"] = spec.minimum, spec.maximum
    return question


@cache
def _follow_up(finding: str) -> dict[str, Any]:
    why = knowledge.question_bank().why.follow_up
    return {**single_question(finding), "why": why, "expected_gain": None}


@cache
def _checklist_parts() -> tuple[dict[str, Any], list[tuple[int, str, list]]]:
    """What every checklist says (its ``findings`` and ``items`` are filled per case), and
    the screen's lines answered otherwise than yes / no / don't know (``item_options``)."""
    bank = knowledge.question_bank()
    fixed = {
        "kind": "checklist",
        "question": bank.checklist,
        "findings": [],
        "items": [],
        "options": [_option(bank.answers.yes, True), _option(bank.answers.no, False), _dont_know()],
        "why": bank.why.screen,
        "expected_gain": None,
    }
    findings = screen().checklist
    own = [(j, f, options(f)) for j, f in enumerate(findings) if FIELDS[f].kind != "bool"]
    return fixed, own


@cache
def _screen_parts() -> tuple[tuple[str, ...], tuple, list[str], list[dict[str, Any]]]:
    """The screen's case-independent parts, built once: the checklist's findings, groups and
    items, and the follow-up questions."""
    s = screen()
    bank = knowledge.question_bank().questions
    return s.checklist, s.groups, [bank[f].item for f in s.checklist], [
        _follow_up(f) for f in s.follow_up
    ]


@cache
def _discrimination_questions(findings: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each answer table finding's question (its ``expected_gain`` filled per case), built
    once per table."""
    why = knowledge.question_bank().why.discriminate
    return [{**single_question(f), "why": why} for f in findings]


class QuestionWriter:
    """Turns the rows of a plan into ``next_questions`` lists, at most ``listed`` long."""

    def __init__(self, plan: Plan, listed: int, lean: bool = False, encoded: bool = False) -> None:
        self.listed = listed
        self.lean = lean
        self._by_groups = _checklist_encoded if encoded else _checklist_by_groups
        self._names, self._groups, self._items, self._follow_ups = _screen_parts()
        self._pending = plan.checklist.any(axis=1).tolist()
        self._follow = plan.follow_up.tolist()
        self._any_follow = plan.follow_up.any(axis=1).tolist()
        self._any_ranked = (plan.ranked[:, :1] >= 0).any(axis=1).tolist()
        self._ranked = plan.ranked.tolist()
        self._gains = np.round(plan.gain, GAIN_DIGITS).tolist()
        self._asks = _discrimination_questions(plan.table.findings if plan.table else ())
        if lean:  # each question's case-dependent parts only (see ``question_wording``)
            self._follow_ups = [_lean(q) for q in self._follow_ups]
            self._asks = [_lean(q) for q in self._asks]
        if encoded:
            self._follow_ups = [Encoded.of(q) for q in self._follow_ups]
        self._asked: dict[tuple[bool, ...], dict[str, Any]] = {}
        self._keys: list[int] | None = None
        if lean:
            self._checklist = plan.checklist.tolist()
        elif _group_spans() is not None and plan.checklist.shape[1] < 63:
            # Per case, one integer: bit j says line j of the checklist is pending.
            self._keys = (plan.checklist @ _bits(plan.checklist.shape[1])).tolist()
        else:
            self._checklist = plan.checklist.tolist()

    def __call__(self, i: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self._pending[i]:
            if self.lean:
                out.append(self._lean_checklist(i))
            elif self._keys is not None:
                out.append(self._by_groups(self._keys[i]))
            else:
                row = self._checklist[i]  # the screen's findings still to ask, in its order
                key = tuple(row)
                if key not in self._asked:  # the same lines make the same checklist
                    self._asked[key] = self._checklist_of(row)
                out.append(self._asked[key])
        elif self._any_follow[i]:  # after the checklist: its answers change what to ask
            out.extend(compress(self._follow_ups, self._follow[i]))
        if not self._any_ranked[i]:
            return out[: self.listed]
        for g, gain in zip(self._ranked[i], self._gains[i], strict=True):
            if g < 0 or len(out) >= self.listed:
                break
            out.append({**self._asks[g], "expected_gain": gain})
        return out[: self.listed]

    def _lean_checklist(self, i: int) -> dict[str, Any]:
        """A lean record's checklist: its findings."""
        findings = list(compress(self._names, self._checklist[i]))
        return {"kind": "checklist", "findings": findings, "expected_gain": None}

    def _checklist_of(self, row: list[bool]) -> dict[str, Any]:
        """The checklist of the lines of ``row``. Built once per batch and set of lines, and
        shared by the records that ask it (records are never changed once built)."""
        fixed, own = _checklist_parts()
        asked = {
            **fixed,
            "findings": list(compress(self._names, row)),
            "items": list(compress(self._items, row)),
        }
        for j, finding, answers in own:
            if row[j]:
                asked.setdefault("item_options", {})[finding] = answers
        pending = set(asked["findings"])
        asked["groups"] = [
            {"title": title, "findings": [f for f in members if f in pending]}
            for title, members in self._groups
            if pending.intersection(members)
        ]
        return asked


@cache
def _group_spans() -> tuple[tuple[int, int], ...] | None:
    """Each group's lines as a span of the checklist, when the groups list the checklist's
    findings in its order, one after another (``None`` otherwise: each checklist is then
    built line by line)."""
    names, groups, _, _ = _screen_parts()
    if tuple(f for _, members in groups for f in members) != tuple(names):
        return None
    spans, start = [], 0
    for _, members in groups:
        spans.append((start, start + len(members)))
        start += len(members)
    return tuple(spans)


#: Checklists by their groups' pending lines, kept across batches (the same lines make the
#: same checklist; records are never changed once built). Bounded: cleared when full.
_CHECKLISTS: dict[int, dict[str, Any]] = {}
_CHECKLISTS_KEPT = 4096
_GROUP_PARTS: list[dict[int, tuple[list[str], list[str], list, dict | None]]] = []


def _group_part(g: int, key: int) -> tuple[list[str], list[str], list, dict | None]:
    """Group ``g``'s part of a checklist when its pending lines are the bits of ``key``: its
    findings, their items, their own answers (``item_options``) and its ``groups`` entry."""
    names, groups, items, _ = _screen_parts()
    _, own = _checklist_parts()
    start, end = _group_spans()[g]
    lines = [j for j in range(start, end) if key >> (j - start) & 1]
    findings = [names[j] for j in lines]
    answers = [(f, a) for j, f, a in own if start <= j < end and key >> (j - start) & 1]
    entry = {"title": groups[g][0], "findings": findings} if findings else None
    part = (findings, [items[j] for j in lines], answers, entry)
    while len(_GROUP_PARTS) <= g:
        _GROUP_PARTS.append({})
    _GROUP_PARTS[g][key] = part
    return part


@cache
def _bits(width: int) -> np.ndarray:
    return 1 << np.arange(width, dtype=np.int64)


def _checklist_by_groups(lines: int) -> dict[str, Any]:
    """The checklist whose pending lines are the bits of ``lines``: the same dict as
    :meth:`QuestionWriter._checklist_of` builds from the whole row, assembled from parts
    built once per group and set of its lines."""
    asked = _CHECKLISTS.get(lines)
    if asked is not None:
        return asked
    keys = [lines >> start & ((1 << (end - start)) - 1) for start, end in _group_spans()]
    fixed, _ = _checklist_parts()
    findings: list[str] = []
    items: list[str] = []
    answers: list = []
    entries = []
    parts = _GROUP_PARTS
    for g, key in enumerate(keys):
        if key:
            part = (parts[g].get(key) if g < len(parts) else None) or _group_part(g, key)
            findings += part[0]
            items += part[1]
            if part[2]:
                answers += part[2]
            entries.append(part[3])
    asked = {**fixed, "findings": findings, "items": items}
    if answers:
        asked["item_options"] = dict(answers)
    asked["groups"] = entries
    if len(_CHECKLISTS) >= _CHECKLISTS_KEPT:
        _CHECKLISTS.clear()
    _CHECKLISTS[lines] = asked
    return asked


def _checklist_encoded(lines: int) -> Encoded:
    """:func:`_checklist_by_groups`'s checklist as JSON, joined from its groups' encoded
    parts."""
    head, middle, tail = _encoded_frame()
    findings, items, answers, entries = [], [], [], []
    parts = _GROUP_BYTES
    for g, (start, end) in enumerate(_group_spans()):
        key = lines >> start & ((1 << (end - start)) - 1)
        if key:
            part = (parts[g].get(key) if g < len(parts) else None) or _group_bytes(g, key)
            findings.append(part[0])
            items.append(part[1])
            if part[2]:
                answers.append(part[2])
            entries.append(part[3])
    data = b"".join([
        head, b",".join(findings), middle, b",".join(items), tail,
        b',"item_options":{' + b",".join(answers) + b"}" if answers else b"",
        b',"groups":[', b",".join(entries), b"]}",
    ])
    return Encoded(data)


#: Each group's encoded parts by its pending lines (see :func:`_group_bytes`).
_GROUP_BYTES: list[dict[int, tuple[bytes, bytes, bytes, bytes]]] = []


@cache
def _encoded_frame() -> tuple[bytes, bytes, bytes]:
    """A checklist's JSON around its ``findings`` and ``items`` (up to ``item_options``)."""
    fixed, _ = _checklist_parts()
    mark_findings, mark_items = "\0findings", "\0items"
    data = orjson.dumps({**fixed, "findings": [mark_findings], "items": [mark_items]})
    head, rest = data.split(orjson.dumps(mark_findings))
    middle, tail = rest.split(orjson.dumps(mark_items))
    return head, middle, tail.removesuffix(b"}")


def _group_bytes(g: int, key: int) -> tuple[bytes, bytes, bytes, bytes]:
    """Group ``g``'s part of a checklist (:func:`_group_part`) as JSON: its findings, items
    and own answers (each comma-separated), and its ``groups`` entry."""
    findings, items, answers, entry = _group_part(g, key)
    part = (
        b",".join(map(orjson.dumps, findings)),
        b",".join(map(orjson.dumps, items)),
        b",".join(orjson.dumps(f) + b":" + orjson.dumps(a) for f, a in answers),
        orjson.dumps(entry),
    )
    while len(_GROUP_BYTES) <= g:
        _GROUP_BYTES.append({})
    _GROUP_BYTES[g][key] = part
    return part


# -- lean records ----------------------------------------------------------------------------

#: What a lean record keeps of a question: what changes from case to case.
LEAN_KEYS = ("kind", "finding", "findings", "expected_gain")


def _lean(question: dict[str, Any]) -> dict[str, Any]:
    return {k: question[k] for k in LEAN_KEYS if k in question}


def question_wording() -> dict[str, Any]:
    """Every question's fixed wording, which lean records leave out (``backclf questions
    --format json``, served once): the checklist's question, answers, reason, lines (its
    ``items``, by finding), the lines answered otherwise (``item_options``) and its groups;
    each finding's own question; and why a follow-up or a question that settles the cause is
    asked. A lean record's question is the entry here with its ``kind``, ``finding`` or
    ``findings`` and ``expected_gain`` (see docs/contract.md, "Lean records")."""
    bank = knowledge.question_bank()
    fixed, own = _checklist_parts()
    names, groups, items, _ = _screen_parts()
    checklist = {
        "question": fixed["question"],
        "options": fixed["options"],
        "why": fixed["why"],
        "items": dict(zip(names, items, strict=True)),
        "item_options": {finding: answers for _, finding, answers in own},
        "groups": [{"title": title, "findings": list(members)} for title, members in groups],
    }
    questions = {}
    for finding in bank.questions:
        if finding in FIELDS:
            question = dict(single_question(finding))
            del question["finding"]
            questions[finding] = question
    why = {"follow_up": bank.why.follow_up, "discriminate": bank.why.discriminate}
    return {"checklist": checklist, "questions": questions, "why": why}
