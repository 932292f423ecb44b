"""The greedy "what is new" briefbot used before the update summaries of issue 11 part 3.

Kept as a baseline for ``bench/multidoc.py --update`` and ``--ablate`` only (the product uses
`summaries.novelty.select_update`): sentences of fresh articles ranked greedily by the unseen
word pairs they add, with hand-written discounts (given/new, background, commentary,
leaning on context, one lead). Each discount is a field of `UpdateRules` (1.0 switches a
discount off).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol, TypeVar

from summaries import _dates
from summaries.discrepancies import Restatements, _fold, _name_key
from summaries.models import quote_order
from summaries.text import (
    STOP_WORDS,
    WEAK_UNITS,
    content_stems,
    content_units,
    leans_on_context,
    reports_an_action,
    stem,
)


@dataclass(frozen=True)
class UpdateRules:
    """Knobs of the update selection.

    Attributes:
        min_novel: Content units (stems, figures) a sentence must add to count as new.
        min_words: Shorter sentences are never picked (datelines, "Here's why.").
        length_power: Gain is divided by words ** length_power.
        corroboration_power: A word pair reported by k fresh articles weighs k ** this.
        lead_bonus: An article's sentence at position p weighs 1 + lead_bonus / (1 + p), until
            the first article lead is picked: the articles of one story open with the same
            main event, so once it is told, openings no longer mark news.
        background_discount: Gain factor for a sentence about a time well before its article
            ("Earlier in October, ...", "last year"): background, not news.
        context_discount: Gain factor for a sentence that leans on the one before it ("These
            charges...", "This visit..."): quoted alone, the reader cannot tell what it means.
        commentary_discount: Gain factor for a sentence (other than a lead) in which no actor
            does anything (`summaries.text.reports_an_action`): commentary, not news.
        one_lead: Whether the lead bonus ends once one article's lead is picked.
        given_discount: Weight a word pair loses when the writer presents its words as known
            (inside a definite noun phrase: "confirmed the impending negotiations",
            `presented_as_known`): half of this per such word, so a pair of two weighs
            1 - given_discount.
    """

    min_novel: int = 2
    min_words: int = 6
    length_power: float = 0.5
    corroboration_power: float = 1.0
    lead_bonus: float = 1.0
    context_discount: float = 0.5
    background_discount: float = 0.5
    commentary_discount: float = 0.5
    one_lead: bool = True
    given_discount: float = 0.5


@lru_cache(maxsize=262144)  # the same shown sentences, for every audience of a story
def known_units(stems: tuple[str, ...]) -> frozenset[str]:
    """What a shown sentence makes known: its content units and its word pairs."""
    parts = _split_compounds(stems)
    return content_units(parts) | _bigrams(parts)


def _split_compounds(stems: Sequence[str]) -> tuple[str, ...]:
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


def _bigrams(stems: Sequence[str]) -> frozenset[str]:
    return frozenset(f"{a} {b}" for a, b in itertools.pairwise(stems))


def select_new(
    fresh: Sequence[C],
    known: Iterable[str],
    *,
    words: int,
    rules: UpdateRules | None = None,
    shown: Iterable[NewCandidate] = (),
) -> list[C]:
    """What is new: sentences of not-yet-briefed articles that add unseen information.

    A sentence qualifies when it carries at least `min_novel` content units (stems, figures)
    the audience was not shown, not counting reporting words ("said", "officials",
    weekdays). Qualifying sentences are ranked as in the ICSI update summarizer: by the
    weight of the word pairs they add that were not shown (a pair reported by several fresh
    articles weighs more: corroboration; figures and capitalised names weigh double), with a
    bonus for an article's lead sentences (news leads with what happened), per square root of
    length. Each pick's units and pairs then count as shown, so no two picks bring the same
    news. A name spelled differently from a shown one ("Choi Song-hee" after "Choe Son Hui",
    "Sergi" after "Sergei") is the shown name, not a new one. Discounted (see `UpdateRules`):
    a sentence that leans on the one before it ("These charges, ..."), background from well
    before its article ("Earlier in October, ..."), and commentary where no actor does
    anything; the lead bonus ends once one article's lead is picked. A sentence that only
    restates a shown figure in other words (`Restatements`) is never picked.

    Args:
        fresh: Sentences of the articles the audience has not been briefed on.
        known: Content units (`content_units`) and word pairs of everything it was briefed on.
        words: Word budget (never exceeded).
        rules: Thresholds (defaults: `UpdateRules()`).
        shown: The sentences behind `known`, for `Restatements`: a fresh sentence that only
            restates a shown figure in other words is not new.

    Returns:
        The picked sentences in reading order (date, article, position; undated last).
    """
    rules = rules or UpdateRules()
    covered = set(known)
    restatements = Restatements()
    for c in shown:
        restatements.add(
            c.text, _split_compounds(c.stems if c.stems is not None else content_stems(c.text))
        )
    spelling = _KnownSpellings(covered)
    capitalised = [_CAPITALISED.findall(c.text) for c in fresh]
    stems = [
        _split_compounds(
            spelling.respell(
                c.stems if c.stems is not None else content_stems(c.text),
                {stem(w): w for w in written},
            )
        )
        for c, written in zip(fresh, capitalised, strict=True)
    ]
    units = [content_units(st) for st in stems]
    pairs = [_bigrams(st) for st in stems]
    support: dict[str, set[int]] = defaultdict(set)
    for c, carried, paired in zip(fresh, units, pairs, strict=True):
        for item in carried | paired:
            support[item].add(c.doc)
    lengths = [len(c.text.split()) for c in fresh]
    capitals = [
        {stem(part) for w in written[1:] for part in w.split("-") if part[:1].isupper()}
        for written in capitalised
    ]
    lead = [1.0 + rules.lead_bonus / (1.0 + c.position) for c in fresh]
    # what each unseen word pair of a sentence is worth: corroboration, less when presented
    # as known (worked out once; the loop below asks for it at every pick)
    pair_weights = []
    for c, paired in zip(fresh, pairs, strict=True):
        given = presented_as_known(c.text)
        pair_weights.append(
            [
                (
                    pair,
                    len(support[pair]) ** rules.corroboration_power
                    * _told_as_new(pair, given, rules.given_discount),
                )
                for pair in paired
            ]
        )
    quality = [
        (rules.context_discount if c.position > 0 and leans_on_context(c.text) else 1.0)
        * (rules.background_discount if _dates.looks_back(c.text, c.when) else 1.0)
        * (1.0 if c.position == 0 or reports_an_action(c.text) else rules.commentary_discount)
        for c in fresh
    ]
    lead_told = False
    chosen: list[int] = []
    used = 0
    available = [n >= rules.min_words for n in lengths]
    while True:
        best, best_gain = -1, 0.0
        for i in range(len(fresh)):
            if not available[i] or used + lengths[i] > words:
                continue
            strong = [u for u in units[i] if u not in covered and u not in WEAK_UNITS]
            if len(strong) < rules.min_novel:
                continue
            gain = 0.0
            for pair, weight in pair_weights[i]:
                if pair not in covered:
                    gain += weight
            for u in strong:
                if u.startswith("#") or u in capitals[i]:
                    gain += 2.0 * len(support[u]) ** rules.corroboration_power
            prior = quality[i] if lead_told else quality[i] * lead[i]
            gain *= prior / max(lengths[i], 1) ** rules.length_power
            if gain > best_gain:
                best, best_gain = i, gain
        if best < 0:
            break
        available[best] = False
        if restatements.restates(fresh[best].text, stems[best], covered):
            continue
        chosen.append(best)
        used += lengths[best]
        covered |= units[best] | pairs[best]
        restatements.add(fresh[best].text, stems[best])
        lead_told = lead_told or (rules.one_lead and fresh[best].position == 0)
    picked = [fresh[i] for i in chosen]
    picked.sort(key=_reading_key)
    return picked


_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z’'\-]+")


_DEFINITE = frozenset("the this that these those its their his her our".split())
_NP_WORD = re.compile(r"[A-Za-z][\w’'\-]*|[^\w\s]")


@lru_cache(maxsize=65536)
def presented_as_known(sentence: str) -> frozenset[str]:
    """Stems of the common nouns and adjectives a sentence presents as known to the reader.

    A definite noun phrase refers to something the writer takes as given ("the impending
    negotiations", "its intent"); an indefinite one introduces something new ("a new
    solid-fuel missile"). The phrase runs from the determiner to the next function word or
    punctuation; names are left out (they are weighed as names).
    """
    out: set[str] = set()
    inside = False
    for token in _NP_WORD.findall(sentence):
        low = token.lower()
        if low in _DEFINITE:
            inside = True
        elif not token[0].isalpha() or low in STOP_WORDS:
            inside = False
        elif inside and not token[0].isupper():
            out.add(stem(low))
    return frozenset(out)


def _told_as_new(pair: str, given: frozenset[str], discount: float) -> float:
    """Weight factor of a word pair: 1, less for each of its words presented as known."""
    if not given:
        return 1.0
    first, _, second = pair.partition(" ")
    return 1.0 - discount * ((first in given) + (second in given)) / 2


class _KnownSpellings:
    """Maps name words of fresh sentences to the spelling the audience was shown."""

    def __init__(self, known: Iterable[str]) -> None:
        self._known = known if isinstance(known, set) else set(known)
        self._keys: dict[str, str] | None = None  # built when first needed

    def _by_key(self) -> dict[str, str]:
        if self._keys is None:
            self._keys = {}
            for unit in self._known:
                if " " not in unit and not unit.startswith("#") and len(unit) > 1:
                    key = _name_key(unit)
                    shown = self._keys.get(key)
                    if shown is None or unit < shown:  # the same choice whatever the set order
                        self._keys[key] = unit
        return self._keys

    def respell(self, stems: Sequence[str], capitalised: dict[str, str]) -> tuple[str, ...]:
        """`stems` with each unseen capitalised word that is a shown name's variant replaced
        by the shown spelling ("Song-hee" -> "son", "hui" when "Choe Son Hui" was shown).

        Args:
            stems: A fresh sentence's content stems.
            capitalised: Stem -> word as written, for its capitalised words (names are
                compared as written: stemming cuts "Hee" to "he").
        """
        out: list[str] = []
        for s in stems:
            written = capitalised.get(s)
            if written is not None and s not in self._known:
                parts = _fold(written).split()
                by_key = self._by_key()
                shown = [by_key.get(_name_key(p)) for p in parts if len(p) > 1]
                if parts and len(shown) == len(parts) and all(shown):
                    out.extend(x for x in shown if x)
                    continue
            out.append(s)
        return tuple(out)


C = TypeVar("C", bound="NewCandidate")


class NewCandidate(Protocol):
    """A sentence that may be reported as new (`summarize.Candidate` with its stems)."""

    @property
    def key(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def doc(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def when(self) -> datetime | None: ...
    @property
    def stems(self) -> tuple[str, ...] | None: ...


def _reading_key(c: NewCandidate) -> tuple[int, int, int, float, int]:
    return quote_order(c.when, c.doc, c.position)
