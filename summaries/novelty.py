"""What is new: an update summary of the articles an audience has not been briefed on.

The task is TAC 2008's update summary: the reader has seen earlier coverage; summarize what
later articles add. It runs on the machinery of story summaries (`summaries.summarize`,
Gillick & Favre concept coverage solved as an integer program): the concepts (word pairs) of
every sentence the audience was shown weigh nothing, the fresh articles weigh the rest (by the
number of fresh articles carrying them, more at their leads), and the same solver picks the
fresh sentences covering the most weight within the budget.

Three rules keep old news out, each needed by a user-visible behaviour with its test
(`bench/multidoc.py --ablate` measures them on the update proxy):

- A sentence is new only when it carries at least `UpdateRules.min_novel` content units
  (content-word stems, figures) the audience was not shown, reporting words ("said",
  "officials", weekdays) not counting: a later article restating known facts in other word
  pairs adds nothing.
- A name spelled differently from a shown one ("Choi Song-hee" after "Choe Son Hui") is the
  shown name (`summaries.discrepancies.name_spellings`), and a hyphenated compound is known
  through its words ("Moscow-Pyongyang relations" after Moscow and Pyongyang).
- A sentence that only restates a shown figure in other words
  (`summaries.discrepancies.Restatements`) is never picked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from summaries._dates import looks_back
from summaries.discrepancies import Restatements, name_spellings
from summaries.models import quote_order
from summaries.summarize import (
    COVERAGE,
    Candidate,
    ConceptIndex,
    CoverageRules,
    select_coverage,
)
from summaries.text import (
    WEAK_UNITS,
    content_stems,
    content_units,
    leans_on_context,
    reports_an_action,
    stem,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpdateRules:
    """What an update summary demands of a sentence (each rule is switched off in turn by
    ``bench/multidoc.py --ablate``).

    Attributes:
        min_novel: Content units (stems, figures) a sentence must add, reporting words not
            counting; 0 switches the rule off.
        respell: Whether a name spelled differently from a shown one is the shown name.
        compounds: Whether a hyphenated compound is known through its words.
        restatements: Whether a sentence restating a shown figure in other words is banned.
        commentary: Share of its weight kept by a sentence (not a lead) in which no actor
            does anything (`summaries.text.reports_an_action`): commentary, not news.
        background: Share kept by a sentence about a time well before its article
            ("Earlier in October, ..."): background, not news.
        context: Share kept by a sentence (not a lead) leaning on the one before it ("These
            charges, ...", "Additionally, ..."): alone, the reader cannot tell what it means.
        coverage: The concept weights and sentence rules of story summaries.
    """

    min_novel: int = 2
    respell: bool = True
    compounds: bool = True
    restatements: bool = True
    commentary: float = 0.5
    background: float = 0.5
    context: float = 0.5
    coverage: CoverageRules = COVERAGE


UPDATE = UpdateRules()


def split_compounds(stems: Sequence[str]) -> tuple[str, ...]:
    """Stems with hyphenated compounds split into their words: "Moscow-Pyongyang relations"
    tell nothing new after Moscow and Pyongyang, nor "North Korean-made" after "North Korean".
    """
    if not any("-" in s for s in stems):
        return tuple(stems)
    out: list[str] = []
    for s in stems:
        if "-" in s and not s[:1].isdigit():
            out.extend(stem(part) for part in s.split("-") if part)
        else:
            out.append(s)
    return tuple(out)


@lru_cache(maxsize=262144)  # the same shown sentences, for every audience of a story
def _units(stems: tuple[str, ...], compounds: bool) -> frozenset[str]:
    return content_units(split_compounds(stems) if compounds else stems)


def select_update(
    fresh: Sequence[Candidate],
    shown: Sequence[Candidate],
    *,
    words: int,
    rules: UpdateRules = UPDATE,
    index: ConceptIndex | None = None,
) -> list[Candidate]:
    """What is new: the fresh sentences that best cover what the shown ones did not.

    Args:
        fresh: Sentences of the articles the audience has not been briefed on.
        shown: Sentences it was shown (or all coverage before its baseline).
        words: Word budget (never exceeded).
        rules: See `UpdateRules`.
        index: The story's `summaries.summarize.ConceptIndex`, when kept (it holds every
            sentence's concepts and the story's name spellings: the same answer, faster).

    Returns:
        The picked sentences in reading order (day by day, leads first; undated last).
    """
    if not fresh:
        return []
    texts = [c.text for c in fresh]
    if not rules.respell:
        respelled: dict[str, tuple[str, ...]] = {}
        index = None  # its concepts are respelled
    elif index is not None:
        respelled = index.respelled
    else:
        respelled = name_spellings([*(c.text for c in shown), *texts])

    def stems_of(c: Candidate) -> tuple[str, ...]:
        raw = c.stems if c.stems is not None else tuple(content_stems(c.text))
        if respelled:
            return tuple(k for s in raw for k in respelled.get(s, (s,)))
        return raw

    shown_stems = [stems_of(c) for c in shown]
    fresh_stems = [stems_of(c) for c in fresh]
    known: set[str] = set()
    for st in shown_stems:
        known |= _units(st, rules.compounds)
    allowed: np.ndarray | None = None
    if rules.min_novel > 0:
        allowed = np.fromiter(
            (
                sum(u not in known and u not in WEAK_UNITS for u in _units(st, rules.compounds))
                >= rules.min_novel
                for st in fresh_stems
            ),
            bool,
            len(fresh),
        )
        if not allowed.any():
            return []
    restates = None
    if rules.restatements:

        def restates_check() -> object:
            restatements = Restatements()
            for c, st in zip(shown, shown_stems, strict=True):
                restatements.add(c.text, st)
            units = set(known)
            added = 0

            def check(i: int, kept: list[int]) -> bool:
                nonlocal added
                for j in kept[added:]:
                    restatements.add(texts[j], fresh_stems[j])
                    units.update(_units(fresh_stems[j], rules.compounds))
                added = len(kept)
                return restatements.restates(texts[i], fresh_stems[i], units)

            return check

        restates = restates_check
    prior = np.fromiter(
        (
            (rules.commentary if c.position > 0 and not reports_an_action(c.text) else 1.0)
            * (rules.background if looks_back(c.text, c.when) else 1.0)
            * (rules.context if c.position > 0 and leans_on_context(c.text) else 1.0)
            for c in fresh
        ),
        np.float64,
        len(fresh),
    )
    chosen = select_coverage(
        fresh,
        words_budget=words,
        sentences_budget=None,
        rules=rules.coverage,
        respelled=respelled or None,
        stems=fresh_stems,
        restates=restates,  # type: ignore[arg-type]
        seen=shown,
        allowed=allowed,
        prior=prior,
        index=index,
    )
    picked = [fresh[i] for i in chosen]
    log.debug(
        "update: %d of %d fresh sentences against %d shown", len(picked), len(fresh), len(shown)
    )
    return sorted(picked, key=lambda c: quote_order(c.when, c.doc, c.position))
