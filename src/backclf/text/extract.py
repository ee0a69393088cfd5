"""Free text in, findings out: a person's own words read into the findings contract.

A blank spaCy English pipeline (nothing is downloaded at run time) of six components, each
registered with spaCy in its own module:

1. ``backclf_sentences`` (:mod:`.normalise`): sentences, a question kept with its answer;
2. ``backclf_normalise`` (:mod:`.normalise`): lemmas to match on (lookup lemmatiser,
   respellings and shorthand from the lexicon, typing slips of red-flag words);
3. ``backclf_findings`` (:mod:`.findings`): the lexicon's phrases, near-patterns and red-flag
   safety net as finding spans;
4. ``backclf_patient`` (:mod:`.people`): whose back the text is about;
5. ``backclf_numbers`` (:mod:`.numbers`): age, temperature, pain score, days since onset,
   weight lost, fall height and speed;
6. ``backclf_context`` (:mod:`.context`): ConText modifiers (negation with list scope,
   question and answer, uncertainty, history, hypotheticals, other people).

:mod:`.reading` then turns the spans into one value per finding. The words are data:
``knowledge/lexicon.yaml`` and ``knowledge/context.yaml``. Needs the ``text`` extra.
"""

from __future__ import annotations

import multiprocessing
import os
from functools import cache

from backclf.text.reading import Reading, read_doc

COMPONENTS = (
    "backclf_sentences",
    "backclf_normalise",
    "backclf_findings",
    "backclf_patient",
    "backclf_numbers",
    "backclf_context",
)


@cache
def pipeline():
    """The spaCy pipeline (built once per process)."""
    import spacy

    # The components register themselves with spaCy when their modules are imported.
    from backclf.text import context, findings, numbers, people  # noqa: F401
    from backclf.text.normalise import PreparingTokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = PreparingTokenizer(nlp.tokenizer)
    for name in COMPONENTS:
        nlp.add_pipe(name)
    return nlp


def extract_findings(text: str) -> Reading:
    """Findings read from ``text``, the words behind each, notes for the person, and the
    red-flag screens the text did not address."""
    return read_doc(pipeline()(text))


#: Below this many texts one process is faster than starting workers.
PARALLEL_FROM = 1000
MAX_WORKERS = 4


def extract_many(
    texts: list[str], batch_size: int = 256, workers: int | None = None
) -> list[Reading]:
    """Batch form of :func:`extract_findings` (spaCy's ``pipe``), in input order. From
    :data:`PARALLEL_FROM` texts on, forked workers (one per core, at most
    :data:`MAX_WORKERS`) read chunks of them; ``workers=1`` keeps one process."""
    texts = list(texts)
    if workers is None:
        workers = _cores() if len(texts) >= PARALLEL_FROM and _can_fork() else 1
    if workers <= 1:
        return _read(texts, batch_size)
    pipeline()  # built once in the parent; the forked workers share it
    size = -(-len(texts) // (workers * 4))
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        parts = pool.map(_read, chunks)
    return [reading for part in parts for reading in part]


def _read(texts: list[str], batch_size: int = 256) -> list[Reading]:
    return [read_doc(doc) for doc in pipeline().pipe(texts, batch_size=batch_size)]


def _cores() -> int:
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, MAX_WORKERS)


def _can_fork() -> bool:
    return _cores() >= 2 and "fork" in multiprocessing.get_all_start_methods()
