"""Finding dates in a sentence and resolving them to calendar days (private to summaries.discrepancies).

Recognised forms (month names are matched case-sensitively, so "may" the verb is never a month):

- absolute: "January 16", "Jan. 16", "16 January", with an optional year ("January 16, 2024");
- ranges: "from January 15 to 17", "January 15-17", "between September 7 and October 1",
  "15-17 January";
- relative: "today", "tonight", "yesterday", "tomorrow", and weekday names ("on Tuesday",
  "Tuesday", "last Tuesday", "next Tuesday", "this Tuesday").

Resolution rules, against the article's own publication day (UTC):

- a date without a year takes the year that puts it closest to the publication day;
  without a publication day its year stays unknown and only month and day are compared;
- "yesterday"/"today"/"tomorrow" are the day before/of/after publication;
- a weekday is the most recent such day on or before publication, unless the sentence speaks
  of the future ("will", "is set to", "is scheduled", "is expected to", "is due to", "plans to",
  "upcoming"), then the first such day on or after publication; "last Tuesday" is strictly
  before, "next Tuesday" strictly after;
- relative dates in an article without a publication day are not resolved (not compared).

Month-only and week-level phrases ("in October", "last week") are too vague to compare and are
ignored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

log = logging.getLogger(__name__)

_MONTHS: dict[str, int] = {}
for _i, _name in enumerate(
    "January February March April May June July August September October November December".split(),
    start=1,
):
    _MONTHS[_name] = _i
    _MONTHS[_name[:3]] = _i
_MONTHS["Sept"] = 9

WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
MONTH_WORDS: frozenset[str] = frozenset(m.lower() for m in _MONTHS)
DATE_WORDS: frozenset[str] = (
    MONTH_WORDS
    | frozenset(w.lower() for w in WEEKDAYS)
    | frozenset({"today", "tonight", "yesterday", "tomorrow", "from", "to", "between"})
)

_MON = r"(?P<{g}>(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))\.?"
_DAY = r"(?P<{g}>[0-3]?\d)(?:st|nd|rd|th)?(?![\d:])"
_YEAR = r"(?:,?\s*(?P<{g}>(?:19|20)\d\d)\b)?"


_MD_RANGE = re.compile(
    r"\b(?P<lead>from|between)?\s*"
    + _MON.format(g="m1")
    + r"\s*"
    + _DAY.format(g="d1")
    + _YEAR.format(g="y1")
    + r"\s*(?:-|–|—|to|through|until|till|and)\s*(?:"
    + _MON.format(g="m2")
    + r"\s*)?"
    + _DAY.format(g="d2")
    + _YEAR.format(g="y2")
)
_DM_RANGE = re.compile(
    r"\b(?P<lead>from|between)?\s*"
    + _DAY.format(g="d1")
    + r"\s*(?:-|–|—|to|and)\s*"
    + _DAY.format(g="d2")
    + r"\s+(?:of\s+)?"
    + _MON.format(g="m1")
    + _YEAR.format(g="y1")
)
_MD = re.compile(r"\b" + _MON.format(g="m1") + r"\s*" + _DAY.format(g="d1") + _YEAR.format(g="y1"))
_DM = re.compile(
    r"\b"
    + _DAY.format(g="d1")
    + r"\s+(?:of\s+)?"
    + _MON.format(g="m1")
    + r"\b"
    + _YEAR.format(g="y1")
)
_RELATIVE = re.compile(r"\b(?P<word>today|tonight|yesterday|tomorrow)\b", re.IGNORECASE)
_WEEKDAY = re.compile(
    r"\b(?:(?P<mod>[Oo]n|[Ll]ast|[Nn]ext|[Tt]his)\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"(?!,?\s*(?:the\s+)?(?:\d|January|February|March|April|May|June|July|August|September|October|November|December))"
)
_FUTURE = re.compile(
    r"\b(?:will|shall|won't|(?:is|are|was|were)\s+(?:set|scheduled|expected|due|slated|to)\b|"
    r"plans?\s+to|planned\s+for|upcoming|forthcoming|impending)\b|'ll\b|’ll\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMention:
    """A date found in a sentence.

    Attributes:
        start: Character offset of the mention in the sentence.
        end: End offset (exclusive).
        text: The mention as written, without a leading "on"/"from"/"between".
        first: First day of the mention (year 2000 as a placeholder when `year_known` is False).
        last: Last day (same as `first` for a single day).
        year_known: Whether the year was stated or inferred from the article's date.
        relative: Whether the mention was relative ("Tuesday", "yesterday").
        slack: Days of tolerance: 1 for "today"/"yesterday"/"tomorrow", whose day depends on
            the time zone the article was written in.
        weekday: The weekday named, for weekday mentions.
    """

    start: int
    end: int
    text: str
    first: date
    last: date
    year_known: bool
    relative: bool
    slack: int = 0
    weekday: str | None = None

    @property
    def label(self) -> str:
        """The mention as written, plus the resolved day for relative dates."""
        if self.relative:
            return f"{self.text} ({self.first.isoformat()})"
        return self.text


def _make_day(month: int, day: int, year: int | None, published: date | None) -> tuple[date, bool]:
    """Build a date; infer a missing year from the publication day (closest candidate)."""
    if year is not None:
        return date(year, month, day), True
    if published is None:
        return date(2000, month, day), False  # 2000 is a leap year: Feb 29 is valid
    best: date | None = None
    for y in (published.year - 1, published.year, published.year + 1):
        try:
            cand = date(y, month, day)
        except ValueError:
            continue
        if best is None or abs((cand - published).days) < abs((best - published).days):
            best = cand
    if best is None:
        raise ValueError("no valid year")
    return best, True


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)


def find_dates(sentence: str, published_at: datetime | None) -> list[DateMention]:
    """Find and resolve the date mentions of a sentence.

    Args:
        sentence: One sentence, verbatim.
        published_at: The article's publication time (UTC) or None when unknown.

    Returns:
        Date mentions in order of position; relative ones only when `published_at` is known.
    """
    published = published_at.date() if published_at is not None else None
    found: list[DateMention] = []
    spans: list[tuple[int, int]] = []

    def add(m: re.Match[str], first: tuple[date, bool], last: tuple[date, bool]) -> None:
        start, end = m.start(), m.end()
        text = m.group(0).strip()
        lead = m.groupdict().get("lead")
        if lead:
            text = text[len(lead) :].strip()
            start = m.start() + m.group(0).index(text)
        else:
            start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        if _overlaps(spans, start, end):
            return
        d1, k1 = first
        d2, k2 = last
        if d2 < d1:
            d1, d2 = d2, d1
        spans.append((start, end))
        found.append(DateMention(start, end, text, d1, d2, k1 and k2, relative=False))

    for m in _MD_RANGE.finditer(sentence):
        word = m.group(0)
        if not m.group("lead") and re.search(r"\band\b", word):
            continue  # "January 2 and January 5" lists two days, it is not a range
        try:
            y2 = int(m.group("y2")) if m.group("y2") else None
            y1 = int(m.group("y1")) if m.group("y1") else y2
            m1 = _MONTHS[m.group("m1")]
            m2 = _MONTHS[m.group("m2")] if m.group("m2") else m1
            d1, d2 = int(m.group("d1")), int(m.group("d2"))
            first = _make_day(m1, d1, y1, published)
            if y2 is None and first[1]:
                last_year = first[0].year if (m2, d2) >= (m1, d1) else first[0].year + 1
                last = (date(last_year, m2, d2), True)
            else:
                last = _make_day(m2, d2, y2, published)
                if not first[1]:
                    last = (date(2000, m2, d2), False)
        except ValueError:
            continue
        add(m, first, last)
    for m in _DM_RANGE.finditer(sentence):
        if not m.group("lead") and re.search(r"\band\b", m.group(0)):
            continue
        try:
            y1 = int(m.group("y1")) if m.group("y1") else None
            mon = _MONTHS[m.group("m1")]
            first = _make_day(mon, int(m.group("d1")), y1, published)
            last = (date(first[0].year, mon, int(m.group("d2"))), first[1])
        except ValueError:
            continue
        add(m, first, last)
    for rx in (_MD, _DM):
        for m in rx.finditer(sentence):
            try:
                y1 = int(m.group("y1")) if m.group("y1") else None
                one = _make_day(_MONTHS[m.group("m1")], int(m.group("d1")), y1, published)
            except ValueError:
                continue
            add(m, one, one)
    if published is not None:
        future = bool(_FUTURE.search(sentence))
        for m in _RELATIVE.finditer(sentence):
            if _overlaps(spans, m.start(), m.end()):
                continue
            if m.group("word")[0].isupper() and sentence[: m.start()].strip():
                continue  # "the Today programme": a name, not a day
            word = m.group("word").lower()
            offset = {"yesterday": -1, "tomorrow": 1}.get(word, 0)
            day = published + timedelta(days=offset)
            spans.append((m.start(), m.end()))
            found.append(DateMention(m.start(), m.end(), m.group(0), day, day, True, True, slack=1))
        for m in _WEEKDAY.finditer(sentence):
            if _overlaps(spans, m.start(), m.end()):
                continue
            mod = (m.group("mod") or "").lower()
            target = WEEKDAYS.index(m.group("wd"))
            back = (published.weekday() - target) % 7
            ahead = (target - published.weekday()) % 7
            if mod == "last":
                day = published - timedelta(days=back or 7)
            elif mod == "next":
                day = published + timedelta(days=ahead or 7)
            elif future:
                day = published + timedelta(days=ahead)
            else:
                day = published - timedelta(days=back)
            text = m.group("wd") if mod == "on" else m.group(0)
            start = m.start("wd") if mod == "on" else m.start()
            spans.append((start, m.end()))
            found.append(
                DateMention(start, m.end(), text, day, day, True, True, weekday=m.group("wd"))
            )
    found.sort(key=lambda d: d.start)
    return found


def compatible(a: DateMention, b: DateMention) -> bool:
    """Whether two date mentions can describe the same day (their spans overlap).

    Two mentions of the same weekday ("on Sunday") are always compatible: resolved in articles
    a week apart they are most likely one event dated loosely, or a recurring one.
    """
    if a.weekday is not None and a.weekday == b.weekday:
        return True
    if a.year_known and b.year_known:
        slack = timedelta(days=max(a.slack, b.slack))
        return a.first - slack <= b.last and b.first - slack <= a.last

    def md(d: date) -> tuple[int, int]:
        return (d.month, d.day)

    a1, a2, b1, b2 = md(a.first), md(a.last), md(b.first), md(b.last)
    if a1 > a2 or b1 > b2:  # a range over New Year without a year: do not judge
        return True
    return a1 <= b2 and b1 <= a2


# ---------------------------------------------------------------------------------------------
# Background: sentences that tell what happened well before the article

BACKGROUND_DAYS = 30
"""A time reference more than this many days before the article's date is background."""

_LOOKS_BACK = re.compile(
    r"\b(?:last|previous|past)\s+(?:year|decade)\b|\b\d+\s+years?\s+ago\b|\ba\s+year\s+ago\b|"
    r"\bover\s+the\s+(?:past|last)\s+(?:year|decade|\w+\s+(?:years|months))\b|"
    r"\b(?:last|previous)\s+(?:spring|summer|autumn|fall|winter)\b",
    re.IGNORECASE,
)
_MONTH_ONLY = re.compile(
    r"\b(?P<mod>[Ll]ast|[Ii]n|[Ss]ince|[Ee]arlier\s+in|[Ll]ate|[Ee]arly|[Mm]id-?|[Oo]f|[Tt]his)\s+"
    r"(?P<month>January|February|March|April|June|July|August|September|October|November|December)"
    r"\b(?!\s*\d)"
)
_YEAR_ONLY = re.compile(
    r"\b(?:(?:in|since|of|from|until|by)\s+|(?P<month>January|February|March|April|May|June|"
    r"July|August|September|October|November|December)\s+)(?P<year>(?:19|20)\d\d)\b(?!\s*\d)"
)


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


@lru_cache(maxsize=65536)  # asked again for the same fresh sentences by every audience
def looks_back(sentence: str, published_at: datetime | None) -> bool:
    """Whether a sentence tells of a time well before its article (background, not news).

    True when it speaks of "last year", "over the past year" and the like, or when its time
    references (days, months, years) lie more than `BACKGROUND_DAYS` before the article's
    date and none is recent or ahead. A sentence in the future tense ("will start in
    September") does not look back. Without an article date only the phrases count.

    Args:
        sentence: One sentence, verbatim.
        published_at: The article's date (UTC), or None when unknown.
    """
    if _LOOKS_BACK.search(sentence):
        return True
    if published_at is None or _FUTURE.search(sentence):
        return False
    published = published_at.date()
    cutoff = published - timedelta(days=BACKGROUND_DAYS)
    old = recent = False
    for mention in find_dates(sentence, published_at):
        if not mention.year_known:
            continue
        if mention.last < cutoff:
            old = True
        else:
            recent = True
    for m in _MONTH_ONLY.finditer(sentence):
        month = _MONTHS[m.group("month")]
        year = published.year if month <= published.month else published.year - 1
        if m.group("mod").lower() == "last" and month == published.month:
            year -= 1
        end = _month_end(year, month)
        if end < cutoff:
            old = True
        else:
            recent = True
    for m in _YEAR_ONLY.finditer(sentence):
        year = int(m.group("year"))
        month = _MONTHS[m.group("month")] if m.group("month") else 12
        end = _month_end(year, month)
        if end < cutoff:
            old = True
        else:
            recent = True
    return old and not recent
