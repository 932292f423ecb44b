"""Page furniture removal and metadata lines: turn scraped article text into clean paragraphs.

Scraped or copied news text carries lines that are not the article: navigation and widgets
("Trending Now", "Related Articles"), photo credits, category and tag lines, the headline repeated,
byline and date lines, the outlet's self-promotion paragraph. `clean_text` drops them and turns
the ones that carry information (byline, date, outlet, language) into metadata.

The rules are patterns over whole lines, never site-specific strings. A line is only dropped when
it is recognisably furniture or metadata; ordinary content lines (including short section
sub-headings) are kept, each as its own paragraph so they never merge into a sentence.
"""

from __future__ import annotations

import html
import itertools
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from summaries.text import count_words, ends_like_sentence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cleaned:
    """Cleaned article text and the metadata found in its furniture.

    Attributes:
        text: Paragraphs separated by blank lines; furniture, byline and date lines removed.
        title: The headline ("" when none was found).
        author: Byline when found.
        published_at: Publication time stated in the text (UTC), None when none was stated.
        outlet: Publication name when the text names itself (self-promotion, copyright line).
        language: ISO 639-1 code when the text states it.
        place: Where the report was filed, from a dateline ("SOFIA, Bulgaria").
        agency: The news agency of a wire dateline ("AP", "Xinhua", "Reuters").
    """

    text: str
    title: str
    author: str | None
    published_at: datetime | None
    outlet: str | None
    language: str | None
    place: str | None = None
    agency: str | None = None


# --- furniture ---------------------------------------------------------------------------------

# Whole lines (case-insensitive, optional trailing colon) that are widgets or navigation.
_FURNITURE_LINES = frozenset(
    s.lower()
    for s in """
trending now|trending|most read|most popular|most viewed|most shared|popular now|popular posts
related articles|related articles and posts|related posts|related stories|related news|related
read more|read next|read also|see also|more stories|more news|more from|top stories|latest news
latest|recommended|recommended for you|you may also like|you might also like|also read
back to top|back to top button|scroll to top|go to top|skip to content|skip to main content
advertisement|advertisements|sponsored|sponsored content|ad|ads|promoted|promoted stories
share|share this|share this article|share this story|share on facebook|share on twitter
share on x|share via email|tweet|email|print|copy link|facebook|twitter|whatsapp|linkedin
comments|leave a comment|leave a reply|post a comment|show comments|view comments|0 comments
subscribe|subscribe now|sign up|sign in|log in|login|register|newsletter|follow us
loading|loading...|close|menu|search|home|next article|previous article|next|previous
listen to this article|listen|watch|play video|video|gallery|view gallery|open gallery
continue reading|click here|tags|topics|categories|filed under|breaking news|live|updated
""".replace("\n", "|").split("|")
    if s.strip()
)

# Lines starting like these are furniture whatever follows (credits, promos, tag lists).
_FURNITURE_PREFIX_RE = re.compile(
    r"""^(?:
        (?:photo|photos|image|images|picture|pictures|photograph|illustration|graphic|video|
           file\ photo|cover\ photo|featured\ image|header\ image|credit|photo\ credit|
           image\ credit|image\ source|source\ image)s?\s*(?:credit)?\s*[:|]
      | \(?(?:photo|image|picture|video)s?\s+(?:by|courtesy|credit|:)\b
      | (?:read\ more|read\ also|also\ read|see\ also|related|more|watch|listen|recommended|
           read\ next|must\ read|don'?t\ miss)\s*[:|»›>]
      | (?:tags?|topics?|categor(?:y|ies)|filed\ under|keywords?|section)\s*[:|]
      | (?:follow|like)\ us\ on\b
      | (?:sign\ up|subscribe)\ (?:to|for|now)\b
      | (?:share\ (?:this|on|via)|click\ here|tap\ here)\b
      | (?:copyright|©|\(c\))
      | all\ rights\ reserved
      | (?:updated|published|posted)?\s*\d+\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago$
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Breadcrumbs: "Home > World > Asia", "News / Politics": a path of short section names (at most
# three words each, in any script).
_BREADCRUMB_RE = re.compile(r"^[\w .&'’-]{1,30}(?:\s+[>›»/|]\s+[\w .&'’-]{1,30}){1,6}$")
_BREADCRUMB_SEP_RE = re.compile(r"\s+[>›»/|]\s+")

# The outlet's description of itself (only recognised in the tail of an article).
_PROMO_START_RE = re.compile(
    r"^(?:Founded\s+(?:in\s+\d{4}\s+)?by\b|Founded\s+in\s+\d{4}\b|Established\s+in\s+\d{4}\b"
    r"|About\s+(?:us|the\s+publication)\b)",
    re.IGNORECASE,
)
_OUTLET_NAME = r"(?P<outlet>(?:The\s+)?[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,4})"
_PROMO_OUTLET_RES = (
    re.compile(r"^Founded\b[^,]{0,120},\s+" + _OUTLET_NAME + r"\s+(?:has|is|was|provides)\b"),
    re.compile(
        r"^" + _OUTLET_NAME + r"\s+is\s+(?:a|an|the)\b[^.]{0,120}?\b"
        r"(?:news|media|newsroom|journalism|publication|publisher|newspaper|magazine|outlet|"
        r"broadcaster|wire)\b"
    ),
)
_PROMO_WORDS_RE = re.compile(
    r"\b(?:newsroom|journalism|news\s+(?:desk|outlet|organi[sz]ation|agency|platform|site)|"
    r"media\s+(?:company|group|outlet|platform)|our\s+(?:readers|audience|journalists|mission)|"
    r"breaking\s+news|subscribe|newsletter|unbiased\s+reporting)\b",
    re.IGNORECASE,
)
_COPYRIGHT_OUTLET_RE = re.compile(
    r"(?:copyright|©|\(c\))\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*,?\s*"
    r"(?P<outlet>[A-Z][\w&.'’ -]{1,60}?)\s*(?:[.,|]|all\s+rights|$)",
    re.IGNORECASE,
)

# --- bylines -----------------------------------------------------------------------------------

_NAME_WORD = r"(?:[A-Z][\w.'’-]*|(?:de|van|von|der|den|da|di|du|la|le|bin|ibn|al|el|and|&))"
_NAME = rf"[A-Z][\w.'’-]*(?:\s+{_NAME_WORD}){{0,6}}"
_BYLINE_RE = re.compile(
    rf"^(?i:(?:(?:written|reported|words|story|text|posted|compiled|edited)\s+)?by)\s*:?\s+"
    rf"(?P<name>{_NAME}(?:\s*,\s*{_NAME})*?)"
    rf"(?:\s*(?:[|•·–—]|,|\s-\s)\s*(?P<rest>.{{0,80}}))?$"
)
_AUTHOR_LABEL_RE = re.compile(r"^(?:author|authors|byline|reporter)\s*:\s*(?P<name>.{2,60})$", re.I)
_LONE_NAME_RE = re.compile(rf"^{_NAME}$")

# --- dates -------------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE_RES = (
    re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?=\b|T)", re.I),
    re.compile(
        _MONTH + r"\.?\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?\s*(?:,|-|–|/)?\s*(?P<year>\d{4})\b",
        re.I,
    ),
    re.compile(
        r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s*(?:of\s+)?"
        + _MONTH
        + r"\.?\s*,?\s*(?P<year>\d{4})\b",
        re.I,
    ),
)
_TIME_RE = re.compile(
    r"(?:\bat\s+|T|\b)(?P<h>\d{1,2})[:.](?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?(?=Z\b|\W|$)",
    re.I,
)
_OFFSET_RE = re.compile(
    r"(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<oh>\d{1,2}):?(?P<om>\d{2})?\b|(?<=\d)Z\b"
)
_FIXED_TZ = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MET": 1,
    "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "PKT": 5, "ICT": 7, "WIB": 7,
    "HKT": 8, "SGT": 8, "AWST": 8, "PHT": 8, "JST": 9, "KST": 9, "ACST": 9.5, "AEST": 10,
    "AEDT": 11, "NZST": 12, "NZDT": 13, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
    "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3,
}  # fmt: skip
# Abbreviations that switch with daylight saving: resolved through the IANA database.
_ZONE_TZ = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
            "PT": "America/Los_Angeles", "UK": "Europe/London"}  # fmt: skip
_TZ_WORD_RE = re.compile(
    r"\b(?P<tz>" + "|".join(sorted({*_FIXED_TZ, *_ZONE_TZ}, key=len, reverse=True)) + r")\b"
)
_DATE_PREFIX_RE = re.compile(
    r"^(?:(?P<kind>published|posted|updated|last\s+updated|modified|last\s+modified|date|"
    r"dated|first\s+published|created|released)\b\s*(?:on|at)?\s*:?\s*)",
    re.I,
)
_WEEKDAY_RE = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\b\.?", re.I
)
_FILLER_RE = re.compile(
    r"\b(?:on|at|published|updated|posted|am|pm|a\.m\.|p\.m\.|hrs|h)\b|[\s,|•·/()\[\]:.–—-]", re.I
)
# A leading " date 2024-01-15 en English" or " date 2024-01-15 <Headline>" line.
_DATE_HEADER_RE = re.compile(r"^\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})\b\s*(?P<rest>.*)$", re.I)
_LANG_NAMES = {
    "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "ru": "russian", "uk": "ukrainian", "pl": "polish",
    "ko": "korean", "ja": "japanese", "zh": "chinese", "ar": "arabic", "tr": "turkish",
    "sv": "swedish", "da": "danish", "no": "norwegian", "fi": "finnish", "hi": "hindi",
}  # fmt: skip
_LANG_RE = re.compile(r"^(?P<code>[a-z]{2})(?:[-_][A-Za-z]{2})?(?:\s+(?P<name>[A-Za-z]+))?$")

# --- shapes of lines ---------------------------------------------------------------------------

_CONNECTORS = frozenset({"and", "of", "the", "in", "on", "for", "a", "an", "to", "at", "by", "&"})
_BULLET_RE = re.compile(r"^(?:[-–•*▪·]\s|\d{1,3}[.)-]\s?)")
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_WORD_RE = re.compile(r"[^\W_][\w'’.-]*")
_HAS_WORD_RE = re.compile(r"[^\W_]")
_TAG_LINE_RE = re.compile(r"^[^\W\d_][^\W\d_ '’&-]*(?:[ '’&-]+[^\W\d_]+)*$")
# "&amp;", "&#8217;", "&#x2019;" and unknown codes such as "&QL;" (never "AT&T" or "&c").
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")


def clean_text(raw: str, *, title_hint: str | None = None) -> Cleaned:
    """Remove page furniture from article text and turn metadata lines into fields.

    Furniture is looked for at the edges of the article only: in the header (the lines before
    its first paragraph of prose) and in the tail (the lines after its last one). Inside the
    article, between two paragraphs of prose, every line is kept except a bare widget word
    ("Advertisement", "Share this article") and a repeat of the headline: lists of dates or
    prices, credits, sub-headings and links there are the article's own.

    Args:
        raw: Text as copied or extracted from a page: one paragraph per line or per block.
        title_hint: Headline known from elsewhere (HTML metadata, feed entry). It becomes the
            title, and lines repeating it are dropped.

    Returns:
        The cleaned text (paragraphs separated by blank lines) and the metadata found. No date
        is ever invented: `published_at` is None unless the text states one. A wire dateline
        opening the text ("SOFIA, Bulgaria (AP) -") becomes `place` and `agency`.
    """
    lines = _paragraphs(raw)
    meta = _Meta()
    title = _norm_title(title_hint) if title_hint else ""
    first = next((i for i, line in enumerate(lines) if _is_body(line)), len(lines))
    tail_start = len(lines)
    while tail_start > first + 1 and _is_tail_furniture(lines[tail_start - 1]):
        tail_start -= 1
    header = _clean_header(lines[:first], meta)
    body = [line for line in lines[first:tail_start] if not _is_widget(line)]
    tail = lines[tail_start:]
    _read_tail(tail, meta)

    if not title:
        title = _pick_title(header)
    content: list[str] = []
    title_at = next((i for i, line in enumerate(header) if title and _same(line, title)), -1)
    for i, line in enumerate(header):
        if title and _same(line, title):
            continue
        if i < title_at and _count(line) <= 3 and not ends_like_sentence(line):
            continue  # a category or section label above the headline
        content.append(line)
    content.extend(line for line in body if not (title and _same(line, title)))
    opening = 0
    if content:
        # "SEOUL: Foreign ministers met..." - the dateline is where, not what, was reported
        stripped, place, agency = split_dateline(content[opening])
        if stripped != content[opening]:
            content[opening] = stripped
            meta.place = meta.place or place
            meta.agency = meta.agency or agency

    text = "\n\n".join(line for line in content if line)
    return Cleaned(
        text=text,
        title=title,
        author=meta.author,
        published_at=meta.published_at(),
        outlet=meta.outlet,
        language=meta.language,
        place=meta.place,
        agency=meta.agency,
    )


def _clean_header(lines: list[str], meta: _Meta) -> list[str]:
    """The lines before the first paragraph: furniture dropped, metadata read."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        header = _DATE_HEADER_RE.match(line) if index < 3 else None
        if header:
            meta.add_date(_parse_iso_day(header["date"]), has_time=False, kind="date")
            rest = header["rest"].strip()
            lang = _language(rest)
            if lang:
                meta.language = meta.language or lang
            elif rest:
                kept.append(rest)
            continue
        if _is_furniture(line):
            outlet = _copyright_outlet(line)
            if outlet:
                meta.outlet = meta.outlet or outlet
            continue
        if _metadata_line(line, meta):
            continue
        stripped, place, agency = split_dateline(line)
        if not stripped and (place or agency):
            meta.place = meta.place or place  # a dateline on a line of its own
            meta.agency = meta.agency or agency
            continue
        if kept and _same(line, kept[-1]) and len(line) < 200:
            continue  # duplicated widget/credit line
        kept.append(line)
    return kept


def _metadata_line(line: str, meta: _Meta) -> bool:
    """Read a byline or date line into `meta`; False for any other line."""
    byline = _byline(line)
    if byline is not None:
        name, rest = byline
        meta.author = meta.author or name
        if rest:
            parsed = _date_line(rest)
            if parsed:
                meta.add_date(*parsed)
        return True
    parsed = _date_line(line)
    if parsed:
        meta.add_date(*parsed)
        return True
    return False


def _is_tail_furniture(line: str) -> bool:
    """A line that can close an article without being part of it: widgets, credits, tag lines,
    a sign-off name, byline or date lines, the outlet's self-promotion."""
    return (
        _is_furniture(line)
        or _promo_outlet(line) is not None
        or _is_tag_line(line)
        or _byline(line) is not None
        or _date_line(line) is not None
    )


def _read_tail(tail: list[str], meta: _Meta) -> None:
    """Metadata in the tail: copyright and promotion name the outlet; a byline, or a lone name
    just before the outlet's self-description, is the author; date lines are dates."""
    for line in tail:
        promo = _promo_outlet(line)
        if promo is not None:
            meta.outlet = meta.outlet or promo or None
            continue
        outlet = _copyright_outlet(line) if _is_furniture(line) else None
        if outlet:
            meta.outlet = meta.outlet or outlet
            continue
        if not _is_tag_line(line):
            _metadata_line(line, meta)
    for line, following in itertools.pairwise(tail):
        if (
            meta.author is None
            and _promo_outlet(following) is not None
            and _LONE_NAME_RE.match(line)
            and 2 <= len(_words(line)) <= 4
        ):
            meta.author = line


class _Meta:
    """Metadata collected while reading the lines."""

    def __init__(self) -> None:
        self.author: str | None = None
        self.outlet: str | None = None
        self.language: str | None = None
        self.place: str | None = None
        self.agency: str | None = None
        self._dates: list[tuple[int, int, int, datetime]] = []

    def add_date(self, when: datetime | None, has_time: bool, kind: str) -> None:
        if when is None:
            return
        # Prefer a publication date over an update date, then one with a time of day, then the
        # first one stated.
        rank = 0 if kind.startswith(("updated", "last", "modified")) else 1
        self._dates.append((rank, int(has_time), -len(self._dates), when))

    def published_at(self) -> datetime | None:
        if not self._dates:
            return None
        return max(self._dates)[3]


def _paragraphs(raw: str) -> list[str]:
    """Split text into paragraph lines, unwrapping hard-wrapped blocks.

    Character references are decoded ("&amp;", "&#8217;"); entity references no HTML knows,
    such as the typesetting codes of wire copy ("&QL;", "&UR;"), are removed. Lines with no
    letter or digit (rules of dashes, "* * *") are dropped.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if "&" in text:
        text = _ENTITY_RE.sub(_entity, text)
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_SPACES_RE.sub(" ", line).strip() for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        wrapped = len(lines) >= 3 and all(40 <= len(line) <= 100 for line in lines[:-1])
        current = lines[0]
        for line in lines[1:]:
            if _continues(current, line, wrapped):
                current = (
                    current[:-1] + line
                    if current.endswith("-") and wrapped
                    else current + " " + line
                )
            else:
                out.append(current)
                current = line
        out.append(current)
    return [line for line in out if _HAS_WORD_RE.search(line)]


def _entity(match: re.Match[str]) -> str:
    decoded = html.unescape(match.group(0))
    return "" if decoded == match.group(0) else decoded


def _continues(line: str, following: str, wrapped: bool) -> bool:
    """Whether `following` continues the sentence of `line` (a wrapped line, not a new one)."""
    if ends_like_sentence(line) or _BULLET_RE.match(following) or _BULLET_RE.match(line):
        return False
    if wrapped and len(line) >= 40:
        return True
    return (
        bool(re.match(r"[a-z(]", following))
        and bool(re.search(r"[\w,;–-]$", line))
        and len(line) > 60
    )


def _pick_title(header: list[str]) -> str:
    """The headline among the lines before the body: the first line that reads like a
    headline of four words or more, else the last short one (a label in capitals is not one)."""
    candidates = [line for line in header if _headline_like(line)]
    for line in candidates:
        if _count(line) >= 4:
            return _norm_title(line)
    for line in reversed(candidates):
        if _count(line) >= 2 and not line.isupper():
            return _norm_title(line)
    return ""


def _headline_like(line: str) -> bool:
    if line.rstrip("\"'”’)").endswith((".", "…", ":", ",", ";")):
        return False
    return 1 <= _count(line) <= 25


def _is_tag_line(line: str) -> bool:
    """A short line of capitalised words and nothing else: a tag list, a desk or author name
    ("International Relations North Korea Russia", "Metro Desk Staff").

    Figures and punctuation make it article content instead: a list of dates or venues
    ("June 24 -- Riverside Arena, Tallin"), prices ("Balcony: 40 crowns"), a credit line
    ("Reporting by ...; editing by ...").
    """
    if len(line) > 120 or not _TAG_LINE_RE.match(line):
        return False
    found = _words(line)
    return 0 < len(found) <= 10 and all(
        word[0].isupper() or word.lower() in _CONNECTORS for word in found
    )


def _words(line: str) -> list[str]:
    return _WORD_RE.findall(line)


def _count(line: str) -> int:
    return count_words(line)


def _norm_title(title: str) -> str:
    return _SPACES_RE.sub(" ", title).strip()


def _key(line: str) -> str:
    return re.sub(r"[\W_]+", " ", line.casefold()).strip()


def _same(a: str, b: str) -> bool:
    return _key(a) == _key(b)


def _is_body(line: str) -> bool:
    """A line that reads as article prose (as opposed to a heading, label or metadata)."""
    n = _count(line)
    return (n >= 8 and (ends_like_sentence(line) or line.endswith(":"))) or n >= 25


def _is_widget(line: str) -> bool:
    """A line that is only a widget's or navigation's words ("Advertisement", "Most Read")."""
    return line.casefold().rstrip(":").strip() in _FURNITURE_LINES


def _is_furniture(line: str) -> bool:
    if _is_widget(line):
        return True
    if len(line) > 300:
        return False
    if _FURNITURE_PREFIX_RE.match(line):
        return True
    if (
        _BREADCRUMB_RE.match(line)
        and not ends_like_sentence(line)
        and all(count_words(part) <= 3 for part in _BREADCRUMB_SEP_RE.split(line))
    ):
        return True
    return False


def _copyright_outlet(line: str) -> str | None:
    match = _COPYRIGHT_OUTLET_RE.match(line)
    if not match:
        return None
    outlet = match["outlet"].strip(" .,")
    return outlet if outlet and not outlet[0].isdigit() else None


def _promo_outlet(line: str) -> str | None:
    """For an outlet self-promotion paragraph: the outlet's name ("" when unnamed); else None."""
    starts = _PROMO_START_RE.match(line) is not None
    named = None
    for pattern in _PROMO_OUTLET_RES:
        match = pattern.match(line)
        if match:
            named = match["outlet"]
            break
    if not starts and not (named and _PROMO_WORDS_RE.search(line)):
        return None
    return named or ""


def _byline(line: str) -> tuple[str, str | None] | None:
    """(author, rest of the line) for a byline line, else None."""
    if len(line) > 160:
        return None
    match = _AUTHOR_LABEL_RE.match(line)
    if match:
        return match["name"].strip(), None
    match = _BYLINE_RE.match(line)
    if not match:
        return None
    name = match["name"].strip()
    rest = (match["rest"] or "").strip() or None
    if rest and ends_like_sentence(rest) and _count(rest) > 6:
        return None  # "By Tuesday, officials said ..." is a sentence
    return name, rest


def _language(rest: str) -> str | None:
    match = _LANG_RE.match(rest)
    if not match:
        return None
    code = match["code"]
    name = match["name"]
    if name is None:
        return code if code in _LANG_NAMES else None
    return code if _LANG_NAMES.get(code) == name.lower() else None


def _parse_iso_day(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def _date_line(line: str) -> tuple[datetime, bool, str] | None:
    """Parse a line that is only a date (with optional label, weekday, time and zone).

    Returns:
        (UTC datetime, whether a time of day was given, label kind) or None when the line is
        not a date line.
    """
    if len(line) > 90:
        return None
    prefix = _DATE_PREFIX_RE.match(line)
    kind = prefix["kind"].lower() if prefix else "date"
    body = line[prefix.end() :] if prefix else line
    for pattern in _DATE_RES:
        date_match = pattern.search(body)
        if date_match:
            break
    else:
        return None
    try:
        year = int(date_match["year"])
        groups = date_match.groupdict()
        month = int(groups["month"]) if "month" in groups else _MONTHS[groups["mon"].lower()[:3]]
        day = int(date_match["day"])
        hour = minute = second = 0
        leftover = body[: date_match.start()] + " " + body[date_match.end() :]
        time_match = _TIME_RE.search(leftover)
        has_time = time_match is not None
        if time_match:
            hour, minute = int(time_match["h"]), int(time_match["m"])
            second = int(time_match["s"] or 0)
            ampm = (time_match["ampm"] or "").lower().replace(".", "")
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            leftover = leftover[: time_match.start()] + " " + leftover[time_match.end() :]
        zone, leftover = _zone(leftover)
        local = datetime(year, month, day, hour, minute, second)
    except (ValueError, KeyError):
        return None
    leftover = _WEEKDAY_RE.sub(" ", leftover)
    if _FILLER_RE.sub("", leftover):
        return None  # more than a date on the line: it is prose
    if isinstance(zone, ZoneInfo):
        when = local.replace(tzinfo=zone)
    else:
        when = local.replace(tzinfo=zone or UTC)
    return when.astimezone(UTC), has_time, kind


def _zone(text: str) -> tuple[tzinfo | None, str]:
    """Find a timezone abbreviation or offset in `text`; return it and the text without it."""
    match = _TZ_WORD_RE.search(text)
    if match:
        name = match["tz"]
        rest = text[: match.start()] + " " + text[match.end() :]
        if name in _ZONE_TZ:
            return ZoneInfo(_ZONE_TZ[name]), rest
        return timezone(timedelta(hours=_FIXED_TZ[name])), rest
    match = _OFFSET_RE.search(text)
    if match:
        rest = text[: match.start()] + " " + text[match.end() :]
        if match.group(0) == "Z":
            return UTC, rest
        sign = -1 if match["sign"] == "-" else 1
        delta = timedelta(hours=int(match["oh"]), minutes=int(match["om"] or 0))
        return timezone(sign * delta), rest
    return None, text


def is_heading(paragraph: str) -> bool:
    """Whether a paragraph of cleaned text is a section sub-heading rather than prose.

    Cleaned text keeps sub-headings ("Concerns from fishermen") as their own paragraphs; a
    summarizer should not quote them as sentences.

    Args:
        paragraph: One paragraph (line) of `Cleaned.text`.

    Returns:
        True for a short line (at most 12 words) that does not end like a sentence.
    """
    line = paragraph.strip()
    if not line or ends_like_sentence(line) or line.endswith(":"):
        return False
    return _count(line) <= 12 and not _BULLET_RE.match(line)


MIN_ARTICLE_WORDS = 20


def article_problem(text: str) -> str | None:
    """Why cleaned text cannot be stored as an article, or None when it can.

    Args:
        text: Cleaned article text.

    Returns:
        A phrase such as "too short to be an article (7 words; at least 20 needed)".
    """
    count = _count(text)
    if count == 0:
        return "empty after removing page furniture"
    if count < MIN_ARTICLE_WORDS:
        return f"too short to be an article ({count} words; at least {MIN_ARTICLE_WORDS} needed)"
    return None


# --- datelines ---------------------------------------------------------------------------------

_CAPS_WORD = r"[A-Z][A-Z.'’\-]*[A-Z.]"
_CAP_WORD = r"[A-Z][\w.'’\-]*"
_DATELINE_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATELINE_DATE = (
    rf"(?:{_DATELINE_MONTH}\s*\d{{1,2}}|\d{{1,2}}\s+{_DATELINE_MONTH})(?:,?\s*\d{{4}})?"
)
_REGION = rf"{_CAP_WORD}(?:\s+{_CAP_WORD}){{0,2}}"
# "(AP)", "(Reuters)", "(dpa)"; wire copy sometimes drops the closing bracket: "(AP --"
_AGENCY = r"\((?:[A-Za-z][\w&.'’\-]*(?:[ /][A-Za-z][\w&.'’\-]*){0,3})\)?"
# "--", "—", "–", "-" and the underscore that stands for a dash in wire copy; or a colon
_DATELINE_SEP = r"\s*(?:-{1,2}|—|–|_|:)(?:\s+|$)"
# ", Bulgaria", ", Fla.", or "(Hebei)" after the place
_IN_REGION = rf"(?:,\s*(?!{_DATELINE_DATE}\b){_REGION}|\s*\([A-Z][\w.' ]{{1,30}}\)(?=\s*,))?"
_ON_DATE = rf"(?:,\s*{_DATELINE_DATE})?"
# Wire and newspaper datelines opening a report: an all-caps place, maybe a region and a date,
# maybe an agency ("WASHINGTON (Reuters) -", "SOFIA, Bulgaria (AP) -", "BANGKOK, November 10
# (Xinhua) --", "LONDON —", "NEW YORK, Jan. 5 -", "PORT ALDER:"); a capitalised place with an
# agency ("Sofia, Bulgaria (AP) -"); one capitalised place name and a colon ("Moscow:"); an
# agency alone ("(AP) -").
_DATELINE_RE = re.compile(
    rf"^(?:(?P<caps>{_CAPS_WORD}(?:\s+{_CAPS_WORD}){{0,3}}{_IN_REGION}){_ON_DATE}"
    rf"(?:\s*(?P<a1>{_AGENCY}))?"
    rf"|(?P<place>{_CAP_WORD}(?:\s+{_CAP_WORD}){{0,3}}{_IN_REGION}){_ON_DATE}\s*(?P<a2>{_AGENCY})"
    rf"|(?P<a3>{_AGENCY})){_DATELINE_SEP}"
    rf"|^(?P<colon>[A-Z][a-z’'\-]+):\s+"
)
# Words that open a line with a colon or dash without being a place.
_NOT_PLACES = frozenset(
    """result results update updated note correction editor analysis opinion comment review watch
    listen read live breaking warning exclusive video photo photos obituary profile preview
    interview explainer timeline q&a editors advisory urgent flash bulletin summary""".split()
)
_AFTER_DATELINE_RE = re.compile(r"[A-Z0-9“\"‘'(«`]")


def split_dateline(line: str) -> tuple[str, str | None, str | None]:
    """Split a dateline off the start of a paragraph.

    Args:
        line: The first paragraph of an article (or a line holding only a dateline).

    Returns:
        (the paragraph without its dateline, place, agency); the paragraph unchanged and
        (None, None) when it does not open with a dateline.
    """
    match = _DATELINE_RE.match(line)
    if not match:
        return line, None, None
    place = match["caps"] or match["place"] or match["colon"]
    tag = match["a1"] or match["a2"] or match["a3"]
    if place and re.split(r"[,\s]", place, maxsplit=1)[0].casefold() in _NOT_PLACES:
        return line, None, None
    rest = line[match.end() :]
    if rest and not tag and not _AFTER_DATELINE_RE.match(rest):
        return line, None, None  # "NATO - the alliance ...": no report starts there
    if not rest and match["colon"]:
        return line, None, None  # "Moscow:" alone is a label
    place = " ".join(place.split()).strip(" ,") if place else None
    return rest, place or None, tag.strip("() ") if tag else None
