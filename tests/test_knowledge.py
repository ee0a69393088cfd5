"""The article as data: fidelity to the article's own words, and the shape of every file."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from backclf import knowledge
from backclf.knowledge import CAUSE_IDS

KNOWLEDGE = Path(__file__).resolve().parents[1] / "src" / "backclf" / "knowledge"


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("正规", " licensed ")).strip()


def test_the_article_is_in_the_repository_and_its_hash_matches():
    source = knowledge.article().source
    path = KNOWLEDGE / source.file
    assert path.is_file(), f"article.yaml names {source.file}, which is not beside it"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == source.sha256
    assert source.title in path.read_text(encoding="utf-8")


def test_every_advice_sentence_is_in_the_article(article_text):
    article = knowledge.article()
    body = normalise(article_text)
    sentences = [article.summary, article.seek_care, article.infection_rule, *article.daily_life]
    for cause in article.causes:
        sentences += [cause.mechanism, *cause.advice]
        sentences += [s for s in (cause.medication, cause.surgery) if s]
    for sentence in sentences:
        assert normalise(sentence) in body, sentence


def test_licensed_is_the_only_edit():
    assert "licensed hospital" in knowledge.article().seek_care
    assert "正规" not in knowledge.read_yaml("article.yaml").__repr__()


def test_every_numbered_cause_of_the_article_is_present(article_text):
    headings = re.findall(r"^(\d)\. ([^:]+):", article_text, flags=re.M)
    article = knowledge.article()
    assert [int(n) for n, _ in headings] == [c.number for c in article.causes] == [1, 2, 3, 4, 5]
    for (_, heading), cause in zip(headings, article.causes, strict=True):
        assert cause.name == heading.strip()
    assert tuple(c.id for c in article.causes) == CAUSE_IDS


def test_medicines_keep_the_articles_condition(article_text):
    body = normalise(article_text)
    for cause in knowledge.article().causes:
        for medicine in cause.medicines:
            assert medicine.name in body
            assert medicine.condition in cause.medication.lower()


def test_facet_joint_surgery_is_mentioned():
    assert "surgery" in knowledge.article().cause("facet_joint_dysfunction").surgery


def test_pyelonephritis_needs_a_doctor_within_24_hours():
    article = knowledge.article()
    assert article.cause("pyelonephritis").default_triage == "consultation_24"
    assert {article.cause(c).default_triage for c in CAUSE_IDS[:4]} == {"self_care"}


def test_every_generator_probability_has_a_source_and_sums_to_one():
    spec = knowledge.generator_spec()  # validation itself checks sums and sources
    rows = [spec.priors]
    for table in spec.findings.values():
        rows += list((table.by_cause or {}).values()) + list((table.table or {}).values())
        rows += [table.all_causes] if table.all_causes else []
    assert len(rows) > 100
    for row in rows:
        assert abs(sum(row.p.values()) - 1) < 1e-9
        assert row.source.startswith(("article", "assumption", "contract")) or re.search(
            r"[A-Z][a-z]+|clinical-sources\.md", row.source
        ), row.source
    for scenario in spec.red_flag_scenarios:
        assert scenario.source


def test_generator_covers_every_finding_of_the_contract():
    from backclf.contract.fields import FIELD_NAMES

    assert set(knowledge.generator_spec().findings) == set(FIELD_NAMES)


def test_every_red_flag_rule_cites_a_source_and_compiles():
    from backclf.core.red_flags import rule_set

    rules = rule_set().rules
    assert len(rules) >= 13
    assert all(rule.source and rule.message for rule in rules)
    article_rule = next(r for r in rules if r.id == "fever_or_frequent_urination")
    assert article_rule.source == "article"
    assert article_rule.message == knowledge.article().infection_rule


def _citations(source: str) -> list[str]:
    """A rule's ``source`` split at the semicolons between citations (not those inside a
    citation's parentheses)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(source):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == ";" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    return [part.strip() for part in [*parts, source[start:]] if part.strip()]


def test_citations_split_between_sources_only():
    assert _citations("Will 2018 (AFP; red flag); Lee 2021 (90 days)") == [
        "Will 2018 (AFP; red flag)",
        "Lee 2021 (90 days)",
    ]


def test_every_red_flag_source_is_in_the_repositorys_reference_lists():
    """A rule cites its sources by author or body and year (or "article"); each must be a
    reference of docs/clinical-sources.md or of the clinical review's verified list
    (docs/clinical-review.md): one line naming the first author or body, the year and any
    guideline code (NG156)."""
    from backclf.core.red_flags import rule_set

    docs = KNOWLEDGE.parents[2] / "docs"
    lines = [
        line
        for name in ("clinical-sources.md", "clinical-review.md")
        for line in (docs / name).read_text(encoding="utf-8").splitlines()
    ]
    for rule in rule_set().rules:
        if rule.source == "article":
            continue
        for cited in _citations(rule.source):
            words = re.match(r"(?:(?:[A-Z][\w/]*|\d{4}|and)\s*)+", cited)
            assert words, (rule.id, cited)
            tokens = words.group(0).split()
            name = tokens[0].split("/")[0]
            keys = [name, *(t for t in tokens if re.fullmatch(r"\d{4}|[A-Z]+\d+", t))]
            assert any(all(key in line for key in keys) for line in lines), (rule.id, keys)


def test_an_unanswered_question_carries_no_evidence_about_the_cause():
    """Every cause-dependent finding leaves the same mass unanswered under every cause, so
    "not asked" is not evidence (the contract: absent is unknown, not false)."""
    for name, table in knowledge.generator_spec().findings.items():
        if table.by_cause is not None:
            unknown = {row.p["unknown"] for row in table.by_cause.values()}
            assert len(unknown) == 1, (name, unknown)
