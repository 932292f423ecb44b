"""Plain data passed between the core and its frontends. Frozen, no behaviour, no formatting.

All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArticleDraft:
    """A cleaned article ready to be stored (output of ingestion, input of the store).

    Attributes:
        text: Cleaned main text, paragraphs separated by blank lines; no page furniture,
            no byline or date lines.
        title: Headline (may be empty when none was found).
        source: What the user gave: a file path, URL, "stdin", "pasted", or a feed URL + entry id.
        url: Canonical URL of the article when it has one.
        outlet: Site or publication name (or domain) when known.
        author: Byline when found.
        published_at: Publication time stated by the page/feed; None when none was found
            (never invented).
        fetched_at: When briefbot read it.
        language: ISO 639-1 code when known.
        place: Where the report was filed (from its dateline), when stated.
        agency: The news agency of its dateline ("AP", "Reuters"), when stated.
        feed: For a feed entry: the feed's source (URL or path).
        entry: For a feed entry: its id.
        from_feed: The text is the feed entry's own content (not its linked page's).
        page_error: Why the linked page's text was not used (it failed), when it was not.
        page_retry: The page failed for a reason that may pass: fetch it again on the next
            poll, and let the page's fuller text replace the entry's.
        feed_problem: The feed was ill-formed (what could be read was used): the reason.
    """

    text: str
    title: str
    source: str
    fetched_at: datetime
    url: str | None = None
    outlet: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    place: str | None = None
    agency: str | None = None
    feed: str | None = None
    entry: str | None = None
    from_feed: bool = False
    page_error: str | None = None
    page_retry: bool = False
    feed_problem: str | None = None


@dataclass(frozen=True)
class Article:
    """A stored article."""

    id: int
    text: str
    title: str
    source: str
    fetched_at: datetime
    url: str | None
    outlet: str | None
    author: str | None
    published_at: datetime | None
    language: str | None
    fingerprint: str
    story_id: int | None = None
    near_duplicate_of: int | None = None
    place: str | None = None
    agency: str | None = None
    from_feed: bool = False
    page_error: str | None = None
    page_retry: bool = False

    @property
    def when(self) -> datetime:
        """Best known time of the article: publication time, else fetch time."""
        return self.published_at or self.fetched_at

    @property
    def label(self) -> str:
        """Outlet name for citations; falls back to the URL's or file's name."""
        return citation_label(self.outlet, self.source)


def citation_label(outlet: str | None, source: str) -> str:
    """How an article is cited: its outlet, else the last part of its URL or file path."""
    if outlet:
        return outlet
    tail = source.rstrip("/").rsplit("/", 1)[-1]
    return tail or source


@dataclass(frozen=True)
class Sentence:
    """One sentence of a stored article, verbatim."""

    id: int
    article_id: int
    position: int
    text: str


IngestStatus = Literal["stored", "updated", "duplicate", "rejected"]


@dataclass(frozen=True)
class IngestResult:
    """What happened to one input of an ingest.

    Attributes:
        input: What the user gave (path, URL, feed entry link, "stdin", "pasted").
        status: stored, updated (the linked page replaced a feed entry's text stored earlier
            as `article_id`), duplicate (of `article_id`) or rejected (with `reason`).
        article_id: The stored article (stored) or the article it duplicates (duplicate).
        reason: One line saying why the input was rejected or what it duplicates.
        near_duplicate_of: For stored articles that are a syndicated copy of an earlier one.
        story_id: The story the article joined.
        kind: Short category of the reason, for counts ("too short", "same URL", ...).
        feed: For a feed entry: the feed's source.
        entry: For a feed entry: its id.
        url: The article's or entry's URL, when known.
        feed_problem: The feed was ill-formed (what could be read was used): the reason.
        note: Extra information on a stored article ("the feed entry's text: the page failed").
    """

    input: str
    status: IngestStatus
    article_id: int | None = None
    reason: str | None = None
    near_duplicate_of: int | None = None
    story_id: int | None = None
    title: str | None = None
    kind: str | None = None
    feed: str | None = None
    entry: str | None = None
    url: str | None = None
    feed_problem: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Citation:
    """Where a sentence came from."""

    article_id: int
    outlet: str
    published_at: datetime | None
    url: str | None
    title: str


@dataclass(frozen=True)
class CitedSentence:
    """A sentence taken verbatim from an article, with its citation."""

    text: str
    sentence_id: int
    citation: Citation
    updates_briefing: int | None = None  # for "what is new": the earlier delivery it updates


@dataclass(frozen=True)
class Discrepancy:
    """Where outlets disagree.

    Attributes:
        kind: "name" (one entity spelled differently), "figure" (different numbers for the same
            thing) or "date" (different dates for the same event).
        subject: What the values are about, e.g. "Lavrov" or "containers of military equipment".
        values: The differing values as written (names) or resolved (dates), one per variant.
        article_ids: For each value, the articles that state it (same order as `values`).
    """

    kind: Literal["name", "figure", "date"]
    subject: str
    values: tuple[str, ...]
    article_ids: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Story:
    """A group of articles about one thing."""

    id: int
    title: str
    article_count: int
    first_seen: datetime
    last_seen: datetime
    outlets: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoryBrief:
    """One story in a briefing: cited summary, what is new, discrepancies, sources."""

    story_id: int
    title: str
    summary: tuple[CitedSentence, ...]
    new: tuple[CitedSentence, ...]
    discrepancies: tuple[Discrepancy, ...]
    sources: tuple[Citation, ...]
    updates_briefing: int | None = None  # the audience's last delivery that covered this story
    new_since: datetime | None = None  # for a story never shown: "new" is coverage after this


@dataclass(frozen=True)
class Briefing:
    """What an audience is shown. `delivery_id` is set once the briefing was recorded.

    `empty_store` says that no article is stored at all; `never_briefed` (what-is-new only)
    that the audience had no briefing yet, so "new" was measured against `since`.
    """

    audience: str
    generated_at: datetime
    stories: tuple[StoryBrief, ...]
    topic: str | None = None
    since: datetime | None = None
    delivery_id: int | None = None
    notes: tuple[str, ...] = field(default=())
    empty_store: bool = False
    never_briefed: bool = False


@dataclass(frozen=True)
class SearchHit:
    """One full-text search result."""

    article: Article
    snippet: str
    rank: float


@dataclass(frozen=True)
class Feed:
    """A polled RSS/Atom feed, owned by an audience (usually a Discord channel)."""

    id: int
    url: str
    audience: str
    interval_s: int | None  # None: the configured default
    etag: str | None = None
    last_modified: str | None = None
    next_poll_at: datetime | None = None
    last_polled_at: datetime | None = None
    last_ok_at: datetime | None = None
    failures: int = 0
    last_error: str | None = None
    created_at: datetime | None = None
    failing_since: datetime | None = None  # first failure of the current failing streak
    warning: str | None = None  # the last poll read an ill-formed feed: why


@dataclass(frozen=True)
class FeedCounts:
    """What became of a feed's entries (their latest outcome each).

    Attributes:
        stored: Entries stored as articles (upgraded ones included).
        duplicate: Entries that duplicate a stored article.
        skipped: Entries that could not be stored.
        reasons: (reason kind, count) for duplicates and skipped entries, most frequent first.
        from_feed: Stored entries whose text is the feed's own (their page failed or was not
            needed); `retrying` of them wait for their page to be fetched again.
    """

    stored: int = 0
    duplicate: int = 0
    skipped: int = 0
    reasons: tuple[tuple[str, int], ...] = ()
    from_feed: int = 0
    retrying: int = 0


@dataclass(frozen=True)
class Explanation:
    """Where one article or URL went (`briefbot explain`).

    Attributes:
        query: What was asked (an article id or a URL).
        article: The stored article, when there is one.
        status: stored, duplicate, rejected, or unknown (never seen).
        reason: Why it was skipped or what it duplicates.
        duplicate_of: The stored article it duplicates.
        source: The feed or input it came from, when recorded.
        seen_at: When the outcome was recorded.
        deliveries: (audience, delivery id, when) of every briefing that showed the article.
    """

    query: str
    article: Article | None
    status: str
    reason: str | None = None
    duplicate_of: int | None = None
    source: str | None = None
    seen_at: datetime | None = None
    deliveries: tuple[tuple[str, int, datetime], ...] = ()


@dataclass(frozen=True)
class Subscription:
    """A daily digest for an audience at a local time in an IANA timezone.

    `local_time` is "HH:MM"; `topics` empty means all stories.
    """

    id: int
    audience: str
    local_time: str
    timezone: str
    topics: tuple[str, ...] = ()
    enabled: bool = True
    last_error: str | None = None
    last_error_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None  # last /digest set|off: runs before it are not owed

    @property
    def changed_at(self) -> datetime | None:
        """When the subscription last took its current settings."""
        return self.updated_at or self.created_at


def quote_order(when: datetime | None, doc: int, position: int) -> tuple[int, int, int, float, int]:
    """Sort key for quoted sentences from several articles: day by day, leads first.

    Within one day the articles' first sentences come before their second ones, so a summary
    opens with what happened rather than with one outlet's details; across days it is
    chronological. Undated articles come last.
    """
    if when is None:
        return (1, 0, position, 0.0, doc)
    return (0, when.date().toordinal(), position, when.timestamp(), doc)
