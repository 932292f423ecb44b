"""RSS and Atom feeds: recognising them, parsing entries and turning entries into drafts."""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import re
import time
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

import feedparser

from summaries.errors import IngestError
from summaries.ingest.clean import article_problem, clean_text
from summaries.ingest.extract import html_fragment_to_text
from summaries.ingest.language import detect_language
from summaries.models import ArticleDraft

log = logging.getLogger(__name__)

TEASER_CHARS = 400
_FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/feed+xml",
        "application/feed+json",
    }
)
_FEED_ROOT_RE = re.compile(rb"<(?:rss|feed|rdf:RDF)\b", re.I)
_JSON_FEED_RE = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/1', re.I)
_WHITESPACE = b"\xef\xbb\xbf \t\r\n"
_HTML_ROOT_RE = re.compile(rb"<(?:!doctype\s+html|html)\b", re.I)


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed.

    Attributes:
        id: The entry's id (guid), else its link, else a hash of its title and content.
        link: The article's URL.
        title: Entry title ("" when missing).
        published_at: Publication (else update) time, UTC; None when the feed gives none.
        content_html: Full content (Atom content / content:encoded), when present.
        summary_html: Summary / description, when present.
        is_teaser: True when the entry has no full text (short summary only): the linked page
            should be fetched and extracted instead.
        author: The entry's author, when given.
    """

    id: str
    link: str | None
    title: str
    published_at: datetime | None
    content_html: str | None
    summary_html: str | None
    is_teaser: bool
    author: str | None = None


def looks_like_feed(data: bytes, content_type: str | None) -> bool:
    """Whether a body is an RSS/Atom feed (by media type, else by its root element).

    Args:
        data: The body (only the first few KB are looked at).
        content_type: The media type, when known.

    Returns:
        True for feeds; False for HTML pages, text and everything else.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _FEED_TYPES:
        return True
    head = data[:4096].lstrip(_WHITESPACE)
    if media in ("text/html", "application/xhtml+xml") or _HTML_ROOT_RE.match(head):
        return False
    if head.startswith(b"{"):
        return _JSON_FEED_RE.search(data[:65536]) is not None
    if not head.startswith(b"<"):
        return False
    return _FEED_ROOT_RE.search(head) is not None


@dataclass(frozen=True)
class ParsedFeed:
    """A feed document read by `read_feed`.

    Attributes:
        title: The feed's title (None when missing).
        entries: Its entries in document order.
        problem: Why the document is ill-formed when it is (what could be read was read);
            None for a well-formed feed.
        kind: "rss", "atom" or "json" (feedparser's version for XML feeds, e.g. "rss20").
    """

    title: str | None
    entries: tuple[FeedEntry, ...]
    problem: str | None
    kind: str


def parse_feed(data: bytes, *, source: str) -> tuple[str | None, list[FeedEntry]]:
    """Parse an RSS, Atom or JSON Feed document (see `read_feed`).

    Returns:
        The feed's title (None when missing) and its entries in document order.

    Raises:
        IngestError: "<source> is not an RSS/Atom feed: <reason>" for anything else.
    """
    parsed = read_feed(data, source=source)
    return parsed.title, list(parsed.entries)


def read_feed(data: bytes, *, source: str, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS, Atom or JSON Feed (1.0 / 1.1) document, leniently.

    An ill-formed XML feed (a broken tag, an undeclared entity, a wrong encoding declaration)
    is read as far as feedparser's lenient parser gets: its entries are returned and
    `problem` says what is wrong, as feed readers do. Only a document with nothing to read is
    refused.

    Args:
        data: The feed document.
        source: Where it came from (for messages).
        content_type: The HTTP Content-Type it was served with (its charset decodes the
            document; a feed served as text/plain is flagged).

    Returns:
        The parsed feed.

    Raises:
        IngestError: "<source> is not an RSS/Atom feed: <reason>" (kind "not a feed") when no
            entry or feed element can be read.
    """
    body = data.lstrip(_WHITESPACE)
    if not body:
        raise IngestError(f"{source} is not an RSS/Atom feed: it is empty", kind="not a feed")
    if body.startswith(b"{"):
        return _read_json_feed(body, source)
    if not body.startswith(b"<"):
        raise IngestError(f"{source} is not an RSS/Atom feed: it is not XML", kind="not a feed")
    # whitespace or a byte-order mark before the XML declaration is a common slip that
    # makes the strict parser give up: it is dropped first
    headers = {"content-type": content_type} if content_type else None
    parsed: Any = feedparser.parse(
        body, sanitize_html=True, resolve_relative_uris=True, response_headers=headers
    )
    entries = [e for e in parsed.get("entries") or [] if _has_substance(e)]
    problem = _xml_reason(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not entries and (problem or not parsed.get("version")):
        reason = problem or "no RSS or Atom elements found"
        raise IngestError(f"{source} is not an RSS/Atom feed: {reason}", kind="not a feed")
    if problem:
        log.info("%s: ill-formed feed, %s entries read: %s", source, len(entries), problem)
    feed_title = _text(parsed.get("feed", {}).get("title")) or None
    return ParsedFeed(
        title=feed_title,
        entries=tuple(_entry(e) for e in entries),
        problem=problem,
        kind=str(parsed.get("version") or "xml"),
    )


def _read_json_feed(body: bytes, source: str) -> ParsedFeed:
    """A JSON Feed (https://jsonfeed.org/version/1 or /1.1) as entries."""
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(
            f"{source} is not a feed: not valid JSON ({_one_line(exc)})", kind="not a feed"
        ) from None
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/1" not in version:
        raise IngestError(
            f"{source} is not a feed: JSON without a JSON Feed version", kind="not a feed"
        )
    items = doc.get("items")
    if not isinstance(items, list):
        raise IngestError(f"{source} is not a feed: JSON Feed without items", kind="not a feed")
    problem = None
    entries: list[FeedEntry] = []
    for item in items:
        if not isinstance(item, dict):
            problem = "an item is not a JSON object"
            continue
        entry = _json_entry(item, doc)
        if entry is not None:
            entries.append(entry)
    title = _text(doc.get("title")) or None
    return ParsedFeed(title=title, entries=tuple(entries), problem=problem, kind="json")


def _json_entry(item: dict[str, Any], doc: dict[str, Any]) -> FeedEntry | None:
    link = item.get("url") or item.get("external_url")
    link = str(link) if isinstance(link, str) and re.match(r"(?i)https?://", link) else None
    title = _text(item.get("title"))
    content_html = item.get("content_html") if isinstance(item.get("content_html"), str) else None
    if not content_html and isinstance(item.get("content_text"), str):
        paragraphs = re.split(r"\n\s*\n", item["content_text"])
        content_html = "".join(f"<p>{escape(p.strip())}</p>" for p in paragraphs if p.strip())
    summary = item.get("summary") if isinstance(item.get("summary"), str) else None
    summary_html = f"<p>{escape(summary)}</p>" if summary else None
    if not (title or link or content_html or summary_html):
        return None
    body = content_html or summary_html or ""
    is_teaser = (
        link is not None
        and not content_html
        and len(html_fragment_to_text(summary_html or "")) < TEASER_CHARS
    )
    entry_id = item.get("id")
    entry_id = str(entry_id) if entry_id not in (None, "") else (link or _hash_id(title, body))
    return FeedEntry(
        id=entry_id,
        link=link,
        title=title,
        published_at=_json_time(item.get("date_published"))
        or _json_time(item.get("date_modified")),
        content_html=content_html or None,
        summary_html=summary_html,
        is_teaser=is_teaser,
        author=_json_author(item) or _json_author(doc),
    )


def _json_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _json_author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")  # 1.1
    if isinstance(authors, list):
        found = [a.get("name") for a in authors if isinstance(a, dict)]
        names = [n.strip() for n in found if isinstance(n, str) and n.strip()]
        if names:
            return ", ".join(names)
    author = obj.get("author")  # 1.0
    if isinstance(author, dict) and isinstance(author.get("name"), str):
        return author["name"].strip() or None
    return None


def draft_from_entry(
    entry: FeedEntry, *, feed_title: str | None, source: str, fetched_at: datetime
) -> ArticleDraft:
    """Turn a feed entry's own content into a draft (for teasers, extract the linked page instead).

    Args:
        entry: The entry.
        feed_title: The feed's title, used as the outlet.
        source: Where the feed came from; the draft's source is "<source> [<entry id>]".
        fetched_at: When the feed was read.

    Returns:
        The draft, with the entry's title, link, author and date (else those stated in the text).

    Raises:
        IngestError: When the entry has no usable text.
    """
    label = entry_source(source, entry)
    html = entry.content_html or entry.summary_html or ""
    text = html_fragment_to_text(html)
    cleaned = clean_text(text, title_hint=entry.title or None)
    problem = article_problem(cleaned.text)
    if problem is not None:
        raise IngestError(
            f"{label}: feed entry text is {problem}",
            kind="too short" if cleaned.text else "no text",
            feed=source,
            entry=entry.id,
            url=entry.link,
            title=entry.title or None,
        )
    return ArticleDraft(
        text=cleaned.text,
        title=cleaned.title,
        source=label,
        fetched_at=fetched_at,
        url=entry.link,
        outlet=feed_title or cleaned.outlet or cleaned.agency,
        author=entry.author or cleaned.author,
        published_at=entry.published_at or cleaned.published_at,
        language=detect_language(cleaned.text) or cleaned.language,
        place=cleaned.place,
        agency=cleaned.agency,
        feed=source,
        entry=entry.id,
        from_feed=True,
    )


def entry_source(source: str, entry: FeedEntry) -> str:
    """The `source` recorded for a draft made from a feed entry.

    Args:
        source: The feed's source (URL or path).
        entry: The entry.

    Returns:
        "<source> [<entry id>]".
    """
    return f"{source} [{entry.id}]"


def _entry(raw: Any) -> FeedEntry:
    title = _text(raw.get("title"))
    link = raw.get("link") or None
    if link and not re.match(r"(?i)https?://", str(link)):
        link = None  # RSS guids that are not URLs are mirrored into `link` by feedparser
    content_html = _best_content(raw.get("content") or [])
    summary_html = raw.get("summary") or None
    if content_html and summary_html and _same_text(content_html, summary_html):
        summary_html = None  # RSS descriptions are mirrored into content by feedparser
    if content_html and summary_html:
        # a short content element (a media caption, a lead) beside the full description
        content_text = html_fragment_to_text(content_html)
        if len(html_fragment_to_text(summary_html)) > 2 * len(content_text):
            content_html, summary_html = summary_html, content_html
    body = content_html or summary_html or ""
    is_teaser = (
        link is not None
        and content_html is None
        and len(html_fragment_to_text(summary_html or "")) < TEASER_CHARS
    )
    entry_id = raw.get("id") or link or _hash_id(title, body)
    return FeedEntry(
        id=str(entry_id),
        link=str(link) if link else None,
        title=title,
        published_at=_entry_time(raw),
        content_html=content_html,
        summary_html=summary_html,
        is_teaser=is_teaser,
        author=_text(raw.get("author")) or None,
    )


def _best_content(contents: list[Any]) -> str | None:
    values = [str(c.get("value") or "") for c in contents]
    values = [v for v in values if v.strip()]
    return max(values, key=len) if values else None


def _same_text(a: str, b: str) -> bool:
    return html_fragment_to_text(a) == html_fragment_to_text(b)


def _entry_time(raw: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(key)
        if isinstance(value, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _hash_id(title: str, body: str) -> str:
    digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()[:16]
    return f"sha256:{digest}"


def _text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return " ".join(html_fragment_to_text(value).split())


def _has_substance(raw: Any) -> bool:
    return bool(raw.get("title") or raw.get("link") or raw.get("summary") or raw.get("content"))


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split())


def _xml_reason(exc: object) -> str:
    """A short reason from feedparser's parse error."""
    if isinstance(exc, xml.sax.SAXParseException):
        return f"not well-formed XML ({exc.getMessage()} at line {exc.getLineNumber()})"
    text = " ".join(str(exc or "").split())
    return text or "not well-formed XML"
