"""RSS and Atom feeds: recognising them, parsing entries and turning entries into drafts."""

from __future__ import annotations

import calendar
import hashlib
import logging
import re
import time
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from summaries.errors import IngestError
from summaries.ingest.clean import article_problem, clean_text
from summaries.ingest.extract import html_fragment_to_text
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
    }
)
_FEED_ROOT_RE = re.compile(rb"<(?:rss|feed|rdf:RDF)\b", re.I)
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
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if media in ("text/html", "application/xhtml+xml") or _HTML_ROOT_RE.match(head):
        return False
    if not head.startswith(b"<"):
        return False
    return _FEED_ROOT_RE.search(head) is not None


def parse_feed(data: bytes, *, source: str) -> tuple[str | None, list[FeedEntry]]:
    """Parse an RSS or Atom document.

    Args:
        data: The feed document.
        source: Where it came from (for messages).

    Returns:
        The feed's title (None when missing) and its entries in document order.

    Raises:
        IngestError: "<source> is not an RSS/Atom feed: <reason>" for anything else.
    """
    if not data.strip():
        raise IngestError(f"{source} is not an RSS/Atom feed: it is empty")
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise IngestError(f"{source} is not an RSS/Atom feed: it is not XML")
    parsed: Any = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True)
    entries = [e for e in parsed.get("entries") or [] if _has_substance(e)]
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        if parsed.get("bozo"):
            reason = _xml_reason(parsed.get("bozo_exception"))
        else:
            reason = "no RSS or Atom elements found"
        raise IngestError(f"{source} is not an RSS/Atom feed: {reason}")
    if parsed.get("bozo"):
        log.info(
            "%s: feed has errors but entries were read: %s", source, parsed.get("bozo_exception")
        )
    feed_title = _text(parsed.get("feed", {}).get("title")) or None
    return feed_title, [_entry(e) for e in entries]


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
        raise IngestError(f"{label}: feed entry text is {problem}")
    return ArticleDraft(
        text=cleaned.text,
        title=cleaned.title,
        source=label,
        fetched_at=fetched_at,
        url=entry.link,
        outlet=feed_title or cleaned.outlet,
        author=entry.author or cleaned.author,
        published_at=entry.published_at or cleaned.published_at,
        language=cleaned.language,
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


def _xml_reason(exc: object) -> str:
    """A short reason from feedparser's parse error."""
    if isinstance(exc, xml.sax.SAXParseException):
        return f"not well-formed XML ({exc.getMessage()} at line {exc.getLineNumber()})"
    text = " ".join(str(exc or "").split())
    return text or "not well-formed XML"
