"""Where outlets disagree: name spellings, figures and dates that differ between articles.

Also the two comparisons summaries and what is new share with it: one name spelled several
ways (`name_spellings`, `spelling_key`) and a sentence restating a shown figure in other words
(`Restatements`).

Input is one story's articles as `SourceText` (verbatim sentences plus outlet and date); output is
a list of `summaries.models.Discrepancy`. Precision comes before recall: a briefing that flags
agreeing reports as disagreements loses the reader's trust, so every rule below errs on the side
of saying nothing.

Names (`name_variants`):
    Capitalised runs (`summaries.text.names`) lose leading job titles and nationality adjectives
    ("Russian Foreign Minister Sergey Lavrov" -> "Sergey Lavrov"). Only 2-4 word names with at
    least one word the story never uses in lower case are considered (so headline phrases such
    as "Upcoming Visit" are not names). Spellings that differ only in case, hyphens, spaces,
    apostrophes or accents are one spelling. Two spellings are one entity when their words align
    one to one and each pair of words is equal after romanisation-aware folding: doubled letters,
    x/ks, ph/f, w/v, and the final vowel cluster ("Sergei"/"Sergey"/"Sergi", "Choe"/"Choi",
    "Hui"/"Hee"); for syllabic names (three or more short words, as in Korean names) also o/u/eo
    and a final ng/n ("Son"/"Sun"/"Song"). At most one word of six or more letters may differ
    by one further edit ("Peskov"/"Peskow"). Interior vowels of Western names never vary, so
    "Dan Smith" and "Don Smith", "John Kirby" and "John Kerry" stay apart; different initials
    ("Kim Jong Un"/"Kim Jong Il", "North Korea"/"South Korea") are never compared. A group is
    reported when its spellings appear in different articles.

Figures (`conflicting_facts`, kind "figure"):
    A figure is a number (digits or number words, with "million" etc.) with what it counts: a
    unit ("900 kilometers", "5%", "$3 million") and/or the words right after it ("containers").
    Qualifiers turn it into an interval: "about" +-10 %, "more than"/"over"/"at least" up to
    +50 %, "nearly"/"almost" -15 %, "up to"/"under"/"less than" down to -50 %, decimals with a
    scale word cover their rounding ("1.5 million" is 1.45-1.55 million). Two figures in articles
    by different outlets are about the same thing when they count the same noun/unit, their
    sentences share a name ("Valdmark", "Lavrov") and content words near the number (two when
    nothing is counted but a unit, as in "5%"), the words right before and after them agree
    ("killed" vs "injured"), and they are within a factor `MAX_FIGURE_RATIO`; each figure is
    paired with its best match only (mutual best), so "30 killed and 100 injured" is not
    compared crosswise. Figures from
    articles more than `FIGURE_WINDOW` apart are updates, not disagreements, and are not
    compared. Years, clock times, ordinals and numbers inside names ("Boeing 737") are ignored.

Dates (`conflicting_facts`, kind "date"):
    See `summaries._dates` for what is recognised and how relative dates are resolved against
    the article's own date. Two dates in articles by different outlets are about the same event
    when their sentences share at least two names (actors, places) and the words around the
    dates share at least two content words, one of them an ordinary lower-case word (the event:
    "talks", "met"), again as mutual best matches. They disagree when their days (or ranges)
    do not overlap; "today"/"yesterday"/"tomorrow" get one day of slack (time zones), and the
    same weekday named in both is never a disagreement.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from summaries import _dates
from summaries.models import Discrepancy
from summaries.text import STOP_WORDS, WEAK_UNITS, content_units, names, stem

log = logging.getLogger(__name__)

FIGURE_WINDOW = timedelta(days=7)
"""Figures from articles further apart than this are not compared (numbers move: tolls, counts)."""

MAX_FIGURE_RATIO = 4.0
"""Figures further apart than this factor are taken to count different things."""


@dataclass(frozen=True)
class SourceText:
    """One article's verbatim sentences, in order, with what is needed to cite and date them.

    Attributes:
        article_id: The stored article's id.
        outlet: The outlet's name (its label in citations).
        published_at: Publication time (UTC) or None when unknown.
        sentences: The article's sentences, verbatim, in order.
    """

    article_id: int
    outlet: str
    published_at: datetime | None
    sentences: tuple[str, ...]


def discrepancies(sources: Sequence[SourceText]) -> list[Discrepancy]:
    """All discrepancies of a story: name variants first, then conflicting figures and dates.

    Args:
        sources: The story's articles (order matters only for the order of values).

    Returns:
        Name discrepancies in order of first appearance, then figure/date ones in order of
        first appearance. The same input always gives the same output.
    """
    return name_variants(sources) + conflicting_facts(sources)


# ---------------------------------------------------------------------------------------------
# Names

_TITLE_WORDS: frozenset[str] = frozenset(
    """
president vice prime minister ministers foreign defense defence interior finance trade
secretary general chairman chairwoman chair leader leaders spokesman spokeswoman spokesperson
ambassador deputy chief senator sen rep representative governor mayor king queen prince princess
pope mr mrs ms dr prof professor gen col colonel lt admiral commander premier chancellor supreme
state affairs adviser advisor director coordinator envoy official officials former acting first
lady crown justice judge speaker head commissioner councillor ministry department national
security council correspondent correspondents reporter editor analyst sergeant captain major
lieutenant marshal ayatollah sheikh emir sultan
""".split()
)
_DEMONYMS: frozenset[str] = frozenset(
    """
russian korean american chinese japanese british ukrainian french german israeli iranian
iraqi syrian turkish indian pakistani afghan saudi egyptian palestinian italian spanish polish
canadian australian mexican brazilian belarusian georgian european african asian western
eastern soviet kremlin us uk un eu nato
""".split()
)
_COMPASS: frozenset[str] = frozenset({"north", "south", "east", "west"})
_EAST_ASIAN_SURNAMES: frozenset[str] = frozenset(
    """
kim lee li ri yi rhee park pak choe choi choy cho jo jung chung jeong kang gang yoon yun jang
chang lim im han oh seo suh shin sin kwon hwang ahn an song hong moon mun ko go wang zhang liu
chen yang zhao huang zhou wu xu sun ma zhu hu guo he lin luo xi
""".split()
)
_I_ENDINGS = frozenset({"i", "y", "ei", "ey", "iy", "ii", "ee", "ui", "ie", "yi", "yy"})
_OI_ENDINGS = frozenset({"oe", "oi", "oy"})


_DASHES_RE = re.compile(r"[-‐‑–]")
_NOT_LETTER_RE = re.compile(r"[^a-z ]")
_ENDING_RE = re.compile(r"^(.*?)([aeiouy]*)$")
_REPEAT_RE = re.compile(r"(.)\1+")


@lru_cache(maxsize=65536)  # names recur in every sentence of a story
def _fold(text: str) -> str:
    """Lower-case ASCII letters and spaces: accents dropped, hyphens to spaces, rest removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    ascii_text = _DASHES_RE.sub(" ", ascii_text)
    return " ".join(_NOT_LETTER_RE.sub("", ascii_text).split())


def _canon_token(token: str, syllabic: bool) -> str:
    """Romanisation-aware form of one folded name word (see the module docstring)."""
    t = token.replace("x", "ks").replace("ph", "f").replace("w", "v")
    m = _ENDING_RE.match(t)
    body, ending = (m.group(1), m.group(2)) if m and m.group(1) else (t, "")
    if ending in _I_ENDINGS:
        ending = "I"
    elif ending in _OI_ENDINGS:
        ending = "O"
    if syllabic:
        body = body.replace("eo", "o").replace("u", "o")
        ending = ending.replace("eo", "o").replace("u", "o")
        if not ending and body.endswith("ng") and len(body) > 2:
            body = body[:-1]
    return _REPEAT_RE.sub(r"\1", body + ending)


@dataclass
class _Spelling:
    display: str
    order: int
    tokens: tuple[str, ...]
    canon: tuple[str, ...]
    articles: dict[int, None]  # ordered set
    mentions: int = 0


def _person_name(run: str) -> str | None:
    """The name part of a capitalised run, or None when it does not look like a name."""
    toks = run.split()
    last_title = max((i for i, t in enumerate(toks) if t.lower() in _TITLE_WORDS), default=-1)
    toks = toks[last_title + 1 :]
    while toks:
        low = toks[0].lower()
        if low in _DEMONYMS or (low in _COMPASS and len(toks) > 1 and toks[1].lower() in _DEMONYMS):
            toks = toks[1:]
        else:
            break
    if not 2 <= len(toks) <= 4:
        return None
    for t in toks:
        if t.lower() in STOP_WORDS or (len(t) > 1 and t.isupper()) or not re.search("[a-z]", t):
            return None
    return " ".join(toks)


def _lowercase_vocabulary(sources: Sequence[SourceText]) -> set[str]:
    vocab: set[str] = set()
    for src in sources:
        for sentence in src.sentences:
            vocab.update(re.findall(r"(?<![A-Za-z\-])[a-z]+", sentence))
    return vocab


def _tokens_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Aligned canonical words agree, allowing one long word to differ by one edit."""
    if len(a) != len(b):
        return False
    weak = 0
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        if x[0] != y[0] or min(len(x), len(y)) < 6 or Levenshtein.distance(x, y) != 1:
            return False
        if x.rstrip("s") == y.rstrip("s"):
            return False  # a plural or possessive, not a spelling
        op = next(iter(Levenshtein.editops(x, y)))
        if op.tag != "replace" and op.src_pos >= min(len(x), len(y)) - 1:
            return False  # "America"/"American", "Peskov"/"Peskova": another word or person
        if op.tag == "replace" and x[op.src_pos] in "aeiouy" and y[op.dest_pos] in "aeiouy":
            return False  # "Hansen"/"Hanson": a different vowel makes a different name
        weak += 1
    return weak <= 1


def _surname(display: str) -> str:
    toks = display.replace("-", " ").split()
    if len(toks) >= 2 and _fold(toks[0]) in _EAST_ASIAN_SURNAMES:
        return toks[0]
    return display.split()[-1]


def name_variants(sources: Sequence[SourceText]) -> list[Discrepancy]:
    """Names spelled differently across articles (one entity, several spellings).

    Args:
        sources: The story's articles.

    Returns:
        One `Discrepancy(kind="name")` per entity with at least two spellings used in different
        articles: `subject` is the surname of its most common spelling, `values` the spellings
        in order of first appearance and `article_ids` the articles using each spelling.
    """
    vocab = _lowercase_vocabulary(sources)
    spellings: dict[str, _Spelling] = {}
    order = 0
    for src in sources:
        for sentence in src.sentences:
            for run in names(sentence):
                name = _person_name(run)
                if name is None:
                    continue
                folded = _fold(name)
                tokens = tuple(folded.split())
                if not tokens or all(t in vocab for t in tokens):
                    continue
                key = folded.replace(" ", "")
                sp = spellings.get(key)
                if sp is None:
                    syllabic = len(tokens) >= 3 and all(len(t) <= 5 for t in tokens)
                    canon = tuple(_canon_token(t, syllabic) for t in tokens)
                    sp = _Spelling(name, order, tokens, canon, {})
                    spellings[key] = sp
                    order += 1
                sp.articles[src.article_id] = None
                sp.mentions += 1

    # Group by canonical form, then merge near-identical canonical forms within blocks of the
    # same length and initials (cheap: blocks are tiny).
    parent: dict[str, str] = {k: k for k in spellings}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            first, second = sorted((ra, rb), key=lambda k: spellings[k].order)
            parent[second] = first

    by_canon: dict[tuple[str, ...], str] = {}
    blocks: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for key, sp in spellings.items():
        if sp.canon in by_canon:
            union(by_canon[sp.canon], key)
            continue
        by_canon[sp.canon] = key
        blocks[tuple(t[0] for t in sp.canon)].append(key)
    for block in blocks.values():
        for i, a in enumerate(block):
            for b in block[i + 1 :]:
                sa, sb = spellings[a], spellings[b]
                if _tokens_match(sa.canon, sb.canon) and (
                    fuzz.ratio(" ".join(sa.tokens), " ".join(sb.tokens)) >= 75
                ):
                    union(a, b)

    groups: dict[str, list[_Spelling]] = defaultdict(list)
    for key in spellings:
        groups[find(key)].append(spellings[key])
    out: list[tuple[int, Discrepancy]] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda s: s.order)
        all_articles = {a for s in members for a in s.articles}
        if len(all_articles) < 2:
            continue  # variants inside one article are its own inconsistency, not outlets'
        common = max(members, key=lambda s: (len(s.articles), s.mentions, -s.order))
        out.append(
            (
                members[0].order,
                Discrepancy(
                    kind="name",
                    subject=_surname(common.display),
                    values=tuple(s.display for s in members),
                    article_ids=tuple(tuple(s.articles) for s in members),
                ),
            )
        )
    out.sort(key=lambda item: item[0])
    log.debug("name variants: %d groups from %d spellings", len(out), len(spellings))
    return [d for _, d in out]


# ---------------------------------------------------------------------------------------------
# Figures and dates

_EXTRA_STOP: frozenset[str] = frozenset(
    """
report reported reports reporting state media news agency statement statements announce
announced claim claims claimed alleged allegedly officials official percent per cent
""".split()
)
_NUMBER_WORDS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER_WORDS.update(
    {w: 10 * i for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)}
)
_NUMBER_WORDS.update({"dozen": 12, "hundred": 100, "thousand": 1000})
_SCALES: dict[str, float] = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "bn": 1e9,
    "mn": 1e6,
}
_UNITS: dict[str, str] = {
    "km": "km",
    "kilometer": "km",
    "kilometers": "km",
    "kilometre": "km",
    "kilometres": "km",
    "mile": "mile",
    "miles": "mile",
    "kg": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "ton": "tonne",
    "tons": "tonne",
    "tonne": "tonne",
    "tonnes": "tonne",
    "meter": "m",
    "meters": "m",
    "metre": "m",
    "metres": "m",
    "percent": "%",
    "%": "%",
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
    "hour": "hour",
    "hours": "hour",
    "minute": "minute",
    "minutes": "minute",
}
_DETERMINERS = frozenset(
    {"the", "these", "those", "both", "its", "their", "his", "her", "our", "all"}
)
_CURRENCIES: dict[str, str] = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
# (low factor, high factor) of the interval a qualifier gives around the stated value.
_QUALIFIERS: dict[str, tuple[float, float]] = {
    "about": (0.9, 1.1),
    "around": (0.9, 1.1),
    "approximately": (0.9, 1.1),
    "roughly": (0.9, 1.1),
    "some": (0.9, 1.1),
    "an estimated": (0.9, 1.1),
    "estimated": (0.9, 1.1),
    "close to": (0.85, 1.0),
    "nearly": (0.85, 1.0),
    "almost": (0.85, 1.0),
    "just under": (0.85, 1.0),
    "as many as": (0.85, 1.0),
    "over": (1.0, 1.5),
    "more than": (1.0, 1.5),
    "at least": (1.0, 1.5),
    "just over": (1.0, 1.5),
    "well over": (1.0, 1.5),
    "upwards of": (1.0, 1.5),
    "in excess of": (1.0, 1.5),
    "up to": (0.5, 1.0),
    "under": (0.5, 1.0),
    "less than": (0.5, 1.0),
    "fewer than": (0.5, 1.0),
    "no more than": (0.5, 1.0),
}
_QUAL_RE = "|".join(sorted((re.escape(q) for q in _QUALIFIERS), key=len, reverse=True))
_NUMWORD_RE = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_FIGURE = re.compile(
    r"(?<![\w$€£¥.,:/-])"
    r"(?:(?P<qual>" + _QUAL_RE + r")\s+)?"
    r"(?P<cur>[$€£¥])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|a\s+(?:dozen|hundred|thousand)|(?:"
    + _NUMWORD_RE
    + r"))"
    r"(?![\w,.:]\d)(?!:)"
    r"(?:\s*(?P<scale>hundred|thousand|million|billion|trillion|bn|mn)\b)?"
    r"(?:(?P<pct>\s?%)|-(?P<compound>[a-z]+)\b)?",
    re.IGNORECASE,
)
_MAYBE_FACT = re.compile(
    r"\d|\b(?:"
    + _NUMWORD_RE
    + r"|today|tonight|yesterday|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday"
    r"|sunday|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
)  # searched in the lower-cased sentence: three times faster than with re.IGNORECASE
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*|\d[\d,.]*\d|\d|%|[^\sA-Za-z\d]")


class _Token(NamedTuple):  # (a tuple: sentences with figures have many of them)
    text: str
    start: int
    end: int


def _tokenize(sentence: str) -> list[_Token]:
    return [_Token(m.group(), *m.span()) for m in _WORD.finditer(sentence)]


def _is_content(word: str) -> bool:
    low = word.lower().strip("'’")
    return (
        len(low) > 1
        and low[0].isalpha()
        and low not in STOP_WORDS
        and low not in _EXTRA_STOP
        and low not in _dates.DATE_WORDS
        and low not in _NUMBER_WORDS
        and low not in _SCALES
    )


def _stem_of(word: str) -> str:
    return stem(word[:-2] if word.endswith(("'s", "’s")) else word)


@lru_cache(maxsize=65536)  # the same words recur in every sentence of a story
def _content_stem(word: str) -> str | None:
    return _stem_of(word) if _is_content(word) else None


def _content(tokens: Iterable[_Token]) -> set[str]:
    found = {_content_stem(t.text) for t in tokens}
    found.discard(None)
    return found  # type: ignore[return-value]


def _near(tokens: list[_Token], start: int, end: int, width: int = 6) -> list[_Token]:
    """Like `_window`, but never reaching past another number (the context of that one)."""

    def is_number(t: _Token) -> bool:
        return t.text[:1].isdigit() or t.text.lower() in _NUMBER_WORDS

    before: list[_Token] = []
    for t in reversed([t for t in tokens if t.end <= start]):
        if is_number(t) or len(before) == width:
            break
        before.insert(0, t)
    after: list[_Token] = []
    for t in (t for t in tokens if t.start >= end):
        if is_number(t) or len(after) == width:
            break
        after.append(t)
    return before + after


def _window(tokens: list[_Token], start: int, end: int, width: int = 8) -> list[_Token]:
    """Tokens within `width` words before `start` and after `end` (characters)."""
    before = [t for t in tokens if t.end <= start][-width:]
    after = [t for t in tokens if t.start >= end][:width]
    return before + after


@dataclass(frozen=True)
class _Fact:
    kind: str  # "figure" or "date"
    article_id: int
    outlet: str
    published_at: datetime | None
    order: int
    value: str  # as written (+ resolved day for relative dates)
    subject: str
    key: str  # what is counted (figures); "" for dates
    heads: frozenset[str]
    local: frozenset[str]
    local_lower: frozenset[str]
    sentence: frozenset[str]
    low: float = 0.0
    high: float = 0.0
    date: _dates.DateMention | None = None
    anchors: frozenset[str] = frozenset()  # stems of the sentence's names
    pred: str = ""  # figures: the verb/word right after what is counted ("killed")
    lpred: str = ""  # figures: the word right before the number ("delivered")
    text: str = ""  # the sentence
    at: int = 0  # where the mention starts in it
    surface: tuple[tuple[str, int, int], ...] = ()  # (stem, start, end) of words around it


@dataclass(frozen=True)
class _Figure:
    start: int
    end: int
    value: str  # as written, with its qualifier and unit
    unit: str  # normalised unit or currency, "" when none
    subject: str  # what is counted, as written
    heads: frozenset[str]  # stems of the counted words
    low: float
    high: float
    pred: str
    lpred: str


def _parse_number(raw: str) -> tuple[float, int] | None:
    """Value and number of decimals of a number as written ("1,000", "1.5", "a dozen")."""
    text = raw.lower().removeprefix("a ").strip()
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text]), 0
    clean = text.replace(",", "")
    try:
        value = float(clean)
    except ValueError:
        return None
    decimals = len(clean.split(".", 1)[1]) if "." in clean else 0
    return value, decimals


def _figures_in(sentence: str, tokens: list[_Token], skip: list[tuple[int, int]]) -> list[_Figure]:
    """The figures of a sentence (outside the `skip` spans, which are dates)."""
    out: list[_Figure] = []
    for m in _FIGURE.finditer(sentence):
        start, end = m.start(), m.end()
        if any(start < e and s < end for s, e in skip):
            continue
        num_text = m.group("num")
        parsed = _parse_number(num_text)
        if parsed is None:
            continue
        value, decimals = parsed
        is_word = num_text[0].isalpha()
        scale_word = (m.group("scale") or "").lower()
        if (
            not scale_word
            and not m.group("cur")
            and not is_word
            and decimals == 0
            and "," not in num_text
            and 1900 <= value <= 2100
        ):
            continue  # a year
        if is_word and not scale_word and num_text.lower() in {"zero", "one"}:
            continue  # "one of", "one another": too idiomatic to count anything
        prev = [t for t in tokens if t.end <= m.start("num") - (len(m.group("cur") or ""))]
        if (
            is_word
            and value <= 10
            and not m.group("qual")
            and prev
            and prev[-1].text.lower() in _DETERMINERS
        ):
            continue  # "the two nations": refers back, counts nothing new
        if prev and prev[-1].text[:1].isupper() and len(prev) > 1 and not m.group("qual"):
            if prev[-1].text.lower() not in _QUALIFIERS:
                continue  # "Boeing 737", "Article 5": part of a name
        scale = _SCALES.get(scale_word, 1.0)
        amount = value * scale
        after = [t for t in tokens if t.start >= end]
        if after and after[0].text.lower() in {"am", "pm", "a.m", "p.m", "gmt", "utc", "est"}:
            continue
        unit = ""
        compound = (m.group("compound") or "").lower()
        if m.group("cur"):
            unit = _CURRENCIES[m.group("cur")]
        elif m.group("pct"):
            unit = "%"
        elif compound:
            if compound not in _UNITS:
                continue
            unit = _UNITS[compound]
        elif after and after[0].text.lower() in _UNITS:
            unit = _UNITS[after[0].text.lower()]
            end = after[0].end
            after = after[1:]
        elif after and after[0].text.lower() == "per" and len(after) > 1:
            if after[1].text.lower() == "cent":
                unit = "%"
                end = after[1].end
                after = after[2:]
        # The counted words: up to two lower-case content words right after the number,
        # skipping a leading participle ("200 armed men") and stopping at one ("30 people killed").
        heads: list[_Token] = []
        for t in after:
            w = t.text
            if not re.fullmatch(r"[a-z][a-z\-]*", w) or not _is_content(w) or len(heads) == 2:
                break
            if w.endswith("ed"):
                if heads:
                    break
                continue
            heads.append(t)
        if not heads and not unit:
            continue
        if unit and not compound and heads and not m.group("cur"):
            heads = []  # "900 kilometers away": the unit is what is counted
        subject_end = heads[-1].end if heads else end
        rest = [t for t in after if t.start >= subject_end]
        if heads and len(rest) >= 2 and rest[0].text == "of" and _is_content(rest[1].text):
            extra = [rest[1]]
            if len(rest) >= 3 and _is_content(rest[2].text) and rest[2].text.islower():
                extra.append(rest[2])
            subject_end = extra[-1].end
        if heads:
            subject = sentence[heads[0].start : subject_end]
        else:
            subject = sentence[m.end() : end].strip() or {"%": "percentage"}.get(unit, unit)
        qual = (m.group("qual") or "").lower()
        lo_f, hi_f = _QUALIFIERS.get(qual, (1.0, 1.0))
        half = 0.5 * 10 ** (-decimals) * scale if decimals else 0.0
        low, high = amount * lo_f - half, amount * hi_f + half
        text_value = sentence[start:end].strip()
        head_stems = frozenset(stem(t.text) for t in heads)
        # The verbs next to the figure tell what is counted: "30 people were killed" and
        # "100 people were injured" count different things, as do "killed 30" / "injured 100".
        pred = ""
        for t in [t for t in after if t.start >= subject_end][:3]:
            if not re.fullmatch(r"[A-Za-z][\w'’-]*", t.text):
                break
            if _is_content(t.text):
                pred = _stem_of(t.text) if t.text.islower() else ""
                break
        before_num = [t for t in tokens if t.end <= start]
        lpred = ""
        if before_num and before_num[-1].text.islower() and _is_content(before_num[-1].text):
            lpred = _stem_of(before_num[-1].text)
        out.append(
            _Figure(start, end, text_value, unit, subject, head_stems, low, high, pred, lpred)
        )
    return out


@lru_cache(maxsize=262144)  # the shown sentences of a story, for every audience
def _figures_of(sentence: str) -> tuple[_Figure, ...]:
    """The figures a sentence states (dates are not figures), cached: sentences recur."""
    if not _MAYBE_FACT.search(sentence.lower()):
        return ()
    spans = [(d.start, d.end) for d in _dates.find_dates(sentence, None)]
    return tuple(_figures_in(sentence, _tokenize(sentence), spans))


def _same_quantity(a: _Figure, b: _Figure) -> bool:
    """Whether two figures can be one statement: the same unit, or no unit and the same
    counted words ("40 container cranes", "about 40 cranes"), and values that agree."""
    if a.unit != b.unit or (not a.unit and not (a.heads & b.heads)):
        return False
    return _values_agree(a, b)


def _values_agree(a: _Fact | _Figure, b: _Fact | _Figure) -> bool:
    """Whether two figures' intervals ("about 40", "at least three") overlap."""
    eps = 1e-9 * max(abs(a.low), abs(b.low), 1.0)
    return a.low <= b.high + eps and b.low <= a.high + eps


class Restatements:
    """Recognises a sentence that restates a figure the reader was already shown.

    "Velmar's north quay is open again, three weeks after it was shut." after "The Port of
    Velmar reopened its north quay on Monday after a three-week closure." says one thing twice
    in other words, which word overlap alone cannot see (reopened/open again, closure/shut). A
    figure with what it measures is the anchor: a sentence restates shown material when

    - each of its figures agrees with a shown figure (same unit or counted words, values that
      can be the same: "at least three weeks" and "three weeks") in a shown sentence with
      which it shares at least two other content words ("quay", "Velmar"),
    - it brings no unseen name, and
    - at most a third of its other content words are unseen, "reopened" counting as shown
      "open" and hedges ("expected") not counting (a sentence adding a new event beside the
      known figure is not a restatement).

    A different value ("40 cranes" vs "42 cranes") is not a restatement: it is a disagreement,
    and both versions stay visible.
    """

    def __init__(self) -> None:
        self._shown: list[tuple[str, Iterable[str]]] = []
        self._content: list[frozenset[str]] = []  # built as far as needed

    def add(self, sentence: str, stems: Iterable[str]) -> None:
        """Record a sentence the reader was shown."""
        self._shown.append((sentence, stems))

    def restates(self, sentence: str, stems: Sequence[str], shown_units: Container[str]) -> bool:
        """Whether `sentence` only restates shown figures (see the class docstring).

        Args:
            sentence: The sentence, verbatim.
            stems: Its content stems (`summaries.text.content_stems`).
            shown_units: Content units (`content_units`) of everything shown so far.
        """
        figures = _figures_of(sentence)
        if not figures or not self._shown:
            return False
        own = set(stems)
        for figure in figures:
            own -= {stem(w) for w in _WORD.findall(figure.value)}
        for later in self._shown[len(self._content) :]:
            self._content.append(frozenset(later[1]))
        # only shown sentences sharing two words can state the same thing: look no further
        related = [
            (seen, content)
            for (text, _), content in zip(self._shown, self._content, strict=True)
            if len(own & content) >= 2
            for seen in _figures_of(text)
        ]
        for figure in figures:
            if not any(_same_quantity(figure, seen) for seen, _ in related):
                return False
        for name in _CAPITALISED.finditer(sentence):
            if name.start() > 0 and stem(name.group()) not in shown_units:
                return False  # (the sentence's first word is capitalised anyway)
        unseen = [
            u
            for u in content_units(own)
            if u not in WEAK_UNITS and u not in _HEDGES and not _seen(u, shown_units)
        ]
        return 3 * len(unseen) <= len(own)


_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z’'\-]+")
# "is expected to", "is likely to": how sure the writer is, not what happened.
_HEDGES = frozenset(stem(w) for w in "expected likely probably possibly reportedly".split())


def _seen(unit: str, shown_units: Container[str]) -> bool:
    """Whether a content unit was shown, "reopen" and "open" counting as one."""
    if unit in shown_units:
        return True
    if unit.startswith("re") and len(unit) >= 6:
        return unit[2:] in shown_units
    return "re" + unit in shown_units


def _collect_facts(sources: Sequence[SourceText]) -> list[_Fact]:
    facts: list[_Fact] = []
    order = 0
    for src in sources:
        for sentence in src.sentences:
            if not _MAYBE_FACT.search(sentence.lower()):
                continue  # most sentences state no number and no date: skip the tokenizing
            tokens = _tokenize(sentence)
            sentence_stems = frozenset(_content(tokens))
            anchors = frozenset(
                _content(
                    t
                    for t in tokens[1:]
                    if t.text[:1].isupper() and t.text.lower() not in _TITLE_WORDS
                )
            )
            found_dates = _dates.find_dates(sentence, src.published_at)
            spans = [(d.start, d.end) for d in found_dates]
            # a clock time or a bare year next to a date is part of it
            for d in found_dates:
                win = _window(tokens, d.start, d.end)
                local = [t for t in win if not (d.start <= t.start < d.end)]
                facts.append(
                    _Fact(
                        kind="date",
                        article_id=src.article_id,
                        outlet=src.outlet,
                        published_at=src.published_at,
                        order=order,
                        value=d.label,
                        subject="",
                        key="",
                        heads=frozenset(),
                        local=frozenset(_content(local)),
                        local_lower=frozenset(
                            _content(
                                t for t in local if t.text.islower() and t.text not in _TITLE_WORDS
                            )
                        ),
                        sentence=sentence_stems,
                        anchors=anchors,
                        date=d,
                        text=sentence,
                        at=d.start,
                        surface=tuple(
                            (_stem_of(t.text), t.start, t.end) for t in win if _is_content(t.text)
                        ),
                    )
                )
                order += 1
            for fig in _figures_in(sentence, tokens, spans):
                start, end, heads = fig.start, fig.end, fig.heads
                local = _near(tokens, start, end)
                facts.append(
                    _Fact(
                        kind="figure",
                        article_id=src.article_id,
                        outlet=src.outlet,
                        published_at=src.published_at,
                        order=order,
                        value=fig.value,
                        subject=fig.subject,
                        key=fig.unit,
                        heads=heads,
                        local=frozenset(_content(local)) - heads,
                        local_lower=frozenset(),
                        sentence=sentence_stems - heads,
                        anchors=anchors,
                        low=fig.low,
                        high=fig.high,
                        pred=fig.pred,
                        lpred=fig.lpred,
                    )
                )
                order += 1
    return facts


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _same_thing(a: _Fact, b: _Fact) -> float:
    """Similarity score of two facts, 0.0 when they are not about the same thing."""
    if a.kind != b.kind or not (a.anchors & b.anchors):
        # Without a name in common ("Ostrava", "Lavrov") two sentences may well measure the
        # same kind of thing for different subjects: one firm's sales, another's.
        return 0.0
    if a.kind == "figure":
        if a.key != b.key or (a.pred and b.pred and a.pred != b.pred):
            return 0.0
        if a.lpred and b.lpred and a.lpred != b.lpred:
            return 0.0
        if (a.heads or b.heads) and not (a.heads & b.heads):
            return 0.0
        lo, hi = sorted((max(a.low, 0.0) + max(a.high, 0.0), max(b.low, 0.0) + max(b.high, 0.0)))
        if lo <= 0 or hi / lo > MAX_FIGURE_RATIO:
            return 0.0  # "$2bn" and "$419bn" are not two estimates of one thing
        shared_sentence = a.sentence & b.sentence
        shared_local = a.local & b.local
        # Without counted words ("5%", "$3bn", "three years") only the words around the
        # number say what it measures: demand more of them.
        needed = 1 if a.heads else 2
        if len(shared_sentence) < 2 or len(shared_local) < needed:
            return 0.0
        score = _jaccard(a.sentence, b.sentence)
        if score < 0.2:
            return 0.0
        return score + _jaccard(a.local, b.local)
    # Dates: events of one kind recur (debates, briefings, statements); the same event has
    # the same actors or places, so demand two names in common as well as the event word.
    shared = a.local & b.local
    if len(shared) < 2 or not (a.local_lower & b.local_lower) or len(a.anchors & b.anchors) < 2:
        return 0.0
    score = _jaccard(a.local, b.local)
    if score < 0.25:
        return 0.0
    return score + 0.5 * _jaccard(a.sentence, b.sentence)


def _conflict(a: _Fact, b: _Fact) -> bool:
    if a.kind == "figure":
        return not _values_agree(a, b)
    assert a.date is not None and b.date is not None
    return not _dates.compatible(a.date, b.date)


def _comparable(a: _Fact, b: _Fact) -> bool:
    if a.article_id == b.article_id or a.outlet.strip().lower() == b.outlet.strip().lower():
        return False
    if a.kind == "figure" and a.published_at is not None and b.published_at is not None:
        return abs(a.published_at - b.published_at) <= FIGURE_WINDOW
    return True


def _date_subject(first: _Fact, other: _Fact) -> str:
    """What the two reports share about the event, from the first one ("talks in Moscow").

    The stretch of the first sentence from the first to the last shared word before the date
    (or around it when none precede it); the shared words alone when that stretch is long.
    """
    shared = first.local & other.local
    hits = [(a, b) for s, a, b in first.surface if s in shared]
    before = [h for h in hits if h[1] <= first.at]
    hits = before or hits
    if not hits:
        return "date"
    span = first.text[hits[0][0] : hits[-1][1]]
    if len(span.split()) <= 8:
        return span
    return " ".join(first.text[a:b] for a, b in hits)


def conflicting_facts(sources: Sequence[SourceText]) -> list[Discrepancy]:
    """Figures and dates that outlets state differently for the same thing.

    Args:
        sources: The story's articles.

    Returns:
        `Discrepancy` objects of kind "figure" (`subject` = what is counted, `values` = the
        figures as written) and "date" (`subject` = the words the reports share about the event,
        `values` = the dates as written, relative ones followed by the resolved day, e.g.
        "Tuesday (2024-01-16)"), in order of first appearance. Each value lists the articles
        stating it.
    """
    facts = _collect_facts(sources)
    by_article: dict[int, list[_Fact]] = defaultdict(list)
    for f in facts:
        by_article[f.article_id].append(f)
    article_ids = list(by_article)

    # Mutual best matches between every pair of comparable articles.
    pairs: list[tuple[_Fact, _Fact]] = []
    for i, ai in enumerate(article_ids):
        for aj in article_ids[i + 1 :]:
            fa, fb = by_article[ai], by_article[aj]
            if not _comparable(fa[0], fb[0]):
                continue
            scores: dict[tuple[int, int], float] = {}
            for x, a in enumerate(fa):
                for y, b in enumerate(fb):
                    s = _same_thing(a, b)
                    if s > 0:
                        scores[(x, y)] = s
            if not scores:
                continue
            best_a: dict[int, tuple[float, int]] = {}
            best_b: dict[int, tuple[float, int]] = {}
            for (x, y), s in scores.items():
                if s > best_a.get(x, (0.0, -1))[0]:
                    best_a[x] = (s, y)
                if s > best_b.get(y, (0.0, -1))[0]:
                    best_b[y] = (s, x)
            for x, (_, y) in best_a.items():
                if best_b[y][1] == x:
                    pairs.append((fa[x], fb[y]))

    # Facts linked by matches form one "thing"; report it when some matched pair conflicts.
    parent: dict[int, int] = {}

    def find(k: int) -> int:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in pairs:
        ra, rb = find(a.order), find(b.order)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    conflicts: dict[int, list[tuple[_Fact, _Fact]]] = defaultdict(list)
    for a, b in pairs:
        if _conflict(a, b):
            conflicts[find(a.order)].append((a, b))

    out: list[tuple[int, Discrepancy]] = []
    for bad in conflicts.values():
        involved = sorted(
            {f.order: f for pair in bad for f in pair}.values(), key=lambda f: f.order
        )
        first = involved[0]
        values: dict[str, dict[int, None]] = {}
        for f in involved:
            values.setdefault(f.value, {})[f.article_id] = None
        if len(values) < 2:
            continue
        if first.kind == "figure":
            subject = first.subject
        else:
            partner = next(b if a is first else a for a, b in bad if first in (a, b))
            subject = _date_subject(first, partner)
        kind: Literal["figure", "date"] = "figure" if first.kind == "figure" else "date"
        out.append(
            (
                first.order,
                Discrepancy(
                    kind=kind,
                    subject=subject,
                    values=tuple(values),
                    article_ids=tuple(tuple(ids) for ids in values.values()),
                ),
            )
        )
    out.sort(key=lambda item: item[0])
    log.debug(
        "conflicting facts: %d from %d facts, %d matched pairs", len(out), len(facts), len(pairs)
    )
    return [d for _, d in out]


# ---------------------------------------------------------------------------------------------
# One name, several spellings (for summaries and what is new)


@lru_cache(maxsize=65536)
def _name_key(word: str) -> str:
    """Romanisation-aware key of one name word (as in `name_variants`): "sergi"/"sergey"."""
    folded = _fold(word)
    return _canon_token(folded, syllabic=len(folded) <= 5) if folded else word


def name_spellings(texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """One spelling for the names a story spells several ways, for summaries.

    "Sergey" and "Sergei", "Choi Song-hee" and "Choe Son Hui" are one name; unified, a summary
    sees that a second outlet's lead naming them adds nothing. The words of names
    (`summaries.text.names`) are keyed by romanisation (as in `name_variants`); stems that share a
    key with another stem are mapped to their keys, one per hyphen-separated part
    ("song-he" -> ("son", "hI")). Other stems are left alone.

    Args:
        texts: The story's sentences.

    Returns:
        Stem (as `summaries.text.content_stems` gives it) -> the keys to use instead.
    """
    parts_of: dict[str, tuple[str, ...]] = {}
    for text in texts:
        for name in names(text):
            for word in name.split():
                stemmed = stem(word)
                if stemmed not in parts_of:
                    parts_of[stemmed] = _name_keys(word)
    by_key: dict[str, set[str]] = defaultdict(set)
    for stemmed, keys in parts_of.items():
        for key in keys:
            by_key[key].add(stemmed)
    return {
        stemmed: parts_of[stemmed]
        for members in by_key.values()
        if len(members) > 1
        for stemmed in members
        if parts_of[stemmed]
    }


def spelling_key(name: str) -> str:
    """A name in a form shared by its spellings: "Choi Song-hee" and "Choe Son Hui" alike."""
    return " ".join(_name_keys(name))


def _name_keys(name: str) -> tuple[str, ...]:
    """`_name_key` of each word of a name, hyphenated parts apart ("Song-hee": "son", "hI")."""
    return tuple(_name_key(part) for part in _fold(name).split())
