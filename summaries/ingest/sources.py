"""Every way an article arrives: text, files, directories, stdin, web pages and feeds.

`read_input` is what `briefbot ingest` and the Discord /ingest call for each input; it returns
one draft per article, or an `IngestError` per input or feed entry that could not be read, so one
bad input never stops a batch.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from summaries.errors import FetchError, IngestError
from summaries.ingest.clean import article_problem, clean_text
from summaries.ingest.decode import decode_bytes
from summaries.ingest.extract import domain_of, extract_html
from summaries.ingest.feeds import (
    FeedEntry,
    draft_from_entry,
    entry_source,
    looks_like_feed,
    read_feed,
)
from summaries.ingest.fetch import FetchPolicy, FetchResult, fetch, format_size
from summaries.ingest.language import detect_language
from summaries.models import ArticleDraft

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20_000_000
"""Largest file or stdin input read (web bodies are limited by `FetchPolicy.max_bytes`)."""

INPUT_EXTENSIONS = frozenset(
    {".txt", ".text", ".md", ".html", ".htm", ".xhtml", ".xml", ".rss", ".atom"}
)
"""Files picked up when a directory is given."""

TEASER_FETCH_CONCURRENCY = 4

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HTML_SNIFF_RE = re.compile(
    r"<(?:!doctype\s+html|html|head|body|article|p|div|title|meta)\b", re.IGNORECASE
)
_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


def draft_from_text(
    text: str,
    *,
    source: str,
    fetched_at: datetime,
    title: str | None = None,
    url: str | None = None,
    outlet: str | None = None,
) -> ArticleDraft:
    """Clean plain text (a file, stdin, or text pasted in Discord) into a draft.

    Args:
        text: The article as plain text, furniture and all.
        source: What it is ("pasted", "stdin", a path); used in messages.
        fetched_at: When it was read.
        title: Headline given separately (else the first headline line of the text).
        url: The article's URL when the user gave one.
        outlet: Outlet name when the user gave one (else one named in the text, else the URL's
            domain).

    Returns:
        The cleaned draft.

    Raises:
        IngestError: "<source> is empty", or "<source> is too short to be an article (...)".
    """
    if not text.strip():
        raise IngestError(f"{source} is empty")
    cleaned = clean_text(text, title_hint=title)
    problem = article_problem(cleaned.text)
    if problem is not None:
        raise IngestError(f"{source} is {problem}", kind="too short")
    return ArticleDraft(
        text=cleaned.text,
        title=cleaned.title,
        source=source,
        fetched_at=fetched_at,
        url=url,
        outlet=outlet or cleaned.outlet or domain_of(url) or cleaned.agency,
        author=cleaned.author,
        published_at=cleaned.published_at,
        language=detect_language(cleaned.text) or cleaned.language,
        place=cleaned.place,
        agency=cleaned.agency,
    )


def draft_from_bytes(
    data: bytes,
    *,
    source: str,
    fetched_at: datetime,
    content_type: str | None = None,
    url: str | None = None,
    charset: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> ArticleDraft:
    """Read a file's or stream's bytes as an HTML page or plain text.

    Feeds are not handled here (see `read_input`).

    Args:
        data: The bytes.
        source: What they are (path, "stdin"); used in messages and as the draft's source.
        fetched_at: When they were read.
        content_type: Media type when known ("text/html" routes to HTML extraction); else
            sniffed from the content.
        url: The URL when the bytes came from the web.
        charset: Declared charset, when known.
        max_bytes: Largest input accepted.

    Returns:
        The cleaned draft.

    Raises:
        IngestError: Too large, binary, unreadable encoding, empty, no article text.
    """
    if len(data) > max_bytes:
        raise IngestError(
            f"{source} is too large: {format_size(len(data))} (limit {format_size(max_bytes)})"
        )
    if not data.strip():
        raise IngestError(f"{source} is empty")
    text = decode_bytes(data, source=source, declared=charset)
    if not text.strip():
        raise IngestError(f"{source} is empty")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("application/json", "application/feed+json") or (
        not media and text.lstrip().startswith(("{", "["))
    ):
        raise IngestError(f"{source} is JSON data, not a web page, text or feed", kind="refused")
    is_html = media in ("text/html", "application/xhtml+xml") or (
        media != "text/plain" and _HTML_SNIFF_RE.search(text[:4096]) is not None
    )
    if is_html:
        return extract_html(text, url=url, source=source, fetched_at=fetched_at)
    return draft_from_text(text, source=source, fetched_at=fetched_at, url=url)


def expand_inputs(inputs: Sequence[str]) -> list[str]:
    """Expand directories into the article files they hold.

    Args:
        inputs: Paths, URLs and "-" as the user gave them.

    Returns:
        The inputs in order, each directory replaced by its files (recursive, sorted, hidden
        files and folders skipped, only text/HTML/XML extensions). URLs, "-" and paths that do
        not exist are kept as they are (they are reported when read).
    """
    out: list[str] = []
    for item in inputs:
        if item == "-" or _URL_RE.match(item):
            out.append(item)
            continue
        path = Path(item)
        if not path.is_dir():
            out.append(item)
            continue
        found: list[Path] = []
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith(".") or Path(name).suffix.lower() not in INPUT_EXTENSIONS:
                    continue
                found.append(Path(root) / name)
        out.extend(str(p) for p in sorted(found))
    return out


async def read_input(
    item: str,
    policy: FetchPolicy,
    *,
    fetched_at: datetime,
    stdin: BinaryIO | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> list[ArticleDraft | IngestError]:
    """Read one input: a file, "-" (stdin), a web page URL, or a feed (URL or file).

    Args:
        item: The input as the user gave it (after `expand_inputs`).
        policy: Limits for every web fetch (pages, feeds and the pages of teaser entries).
        fetched_at: The time recorded as `fetched_at` on every draft.
        stdin: Stream read for "-" (default: the process's standard input).
        max_file_bytes: Largest file or stdin input accepted.

    Returns:
        One draft per article found (a feed gives one per entry) or an `IngestError` for the
        input or for each entry that failed; never raises for bad input.
    """
    try:
        if item == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = await asyncio.to_thread(stream.read, max_file_bytes + 1)
            return await _read_local(data, "stdin", policy, fetched_at, None, max_file_bytes)
        if _URL_RE.match(item):
            return await _read_url(item, policy, fetched_at)
        path = Path(item)
        if await asyncio.to_thread(path.is_dir):
            results: list[ArticleDraft | IngestError] = []
            files = await asyncio.to_thread(expand_inputs, [item])
            if not files:
                return [IngestError(f"{item}: directory holds no text, HTML or feed files")]
            for file in files:
                results.extend(await read_input(file, policy, fetched_at=fetched_at))
            return results
        data = await asyncio.to_thread(_read_file, path, max_file_bytes)
        suffix = path.suffix.lower()
        media = "text/html" if suffix in _HTML_SUFFIXES else None
        return await _read_local(data, item, policy, fetched_at, media, max_file_bytes)
    except IngestError as exc:
        return [exc]
    except Exception as exc:
        log.exception("unexpected error reading %s", item)
        return [
            IngestError(
                f"{item}: unexpected error: {' '.join(str(exc).split()) or type(exc).__name__}"
            )
        ]


def _read_file(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise IngestError(
                f"{path} is too large: {format_size(size)} (limit {format_size(limit)})"
            )
        with path.open("rb") as handle:
            return handle.read(limit + 1)
    except FileNotFoundError:
        raise IngestError(f"{path}: no such file") from None
    except PermissionError:
        raise IngestError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise IngestError(f"{path} is a directory") from None
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror or exc})") from None


async def _read_local(
    data: bytes,
    source: str,
    policy: FetchPolicy,
    fetched_at: datetime,
    media: str | None,
    limit: int,
) -> list[ArticleDraft | IngestError]:
    if len(data) > limit:
        raise IngestError(
            f"{source} is too large: more than {format_size(limit)} (limit {format_size(limit)})"
        )
    if looks_like_feed(data, media):
        return await _read_feed(data, source, policy, fetched_at)
    return [
        draft_from_bytes(
            data, source=source, fetched_at=fetched_at, content_type=media, max_bytes=limit
        )
    ]


async def _read_url(
    url: str, policy: FetchPolicy, fetched_at: datetime
) -> list[ArticleDraft | IngestError]:
    result = await fetch(url, policy)
    if looks_like_feed(result.body, result.content_type):
        return await _read_feed(
            result.body, url, policy, fetched_at, content_type=served_type(result)
        )
    return [
        draft_from_bytes(
            result.body,
            source=url,
            fetched_at=fetched_at,
            content_type=result.content_type or None,
            url=result.url,
            charset=result.charset,
            max_bytes=policy.max_bytes,
        )
    ]


def served_type(result: FetchResult) -> str | None:
    """The Content-Type a response was served with, charset included ("text/xml; charset=x")."""
    if not result.content_type:
        return None
    return result.content_type + (f"; charset={result.charset}" if result.charset else "")


async def _read_feed(
    data: bytes,
    source: str,
    policy: FetchPolicy,
    fetched_at: datetime,
    *,
    content_type: str | None = None,
) -> list[ArticleDraft | IngestError]:
    parsed = read_feed(data, source=source, content_type=content_type)
    if not parsed.entries:
        return [IngestError(f"{source}: feed has no entries", kind="no entries", feed=source)]
    semaphore = asyncio.Semaphore(TEASER_FETCH_CONCURRENCY)

    async def one(entry: FeedEntry) -> ArticleDraft | IngestError:
        try:
            draft = await draft_of_entry(
                entry,
                feed_title=parsed.title,
                source=source,
                policy=policy,
                fetched_at=fetched_at,
                semaphore=semaphore,
            )
            return replace(draft, feed_problem=parsed.problem)
        except IngestError as exc:
            exc.feed, exc.entry = source, entry.id
            exc.url = exc.url or entry.link
            exc.title = exc.title or entry.title or None
            return exc

    return list(await asyncio.gather(*(one(e) for e in parsed.entries)))


async def draft_of_entry(
    entry: FeedEntry,
    *,
    feed_title: str | None,
    source: str,
    policy: FetchPolicy,
    fetched_at: datetime,
    semaphore: asyncio.Semaphore,
) -> ArticleDraft:
    """One feed entry as an article: its own content, or its linked page for a teaser.

    When a teaser's page fails (DNS, refused connection, time-out, HTTP error, no article text)
    and the entry's own text is long enough to be an article, that text is stored, marked as
    the feed's (`from_feed`, with the page's error); `page_retry` says the failure may pass, so
    a later poll fetches the page again. `semaphore` bounds how many linked pages are fetched
    at once.

    Raises:
        IngestError: When neither the page nor the entry's own text can be stored.
    """
    if entry.is_teaser and entry.link:
        async with semaphore:
            try:
                return await draft_from_linked_page(
                    entry,
                    feed_title=feed_title,
                    source=source,
                    policy=policy,
                    fetched_at=fetched_at,
                )
            except IngestError as exc:
                page_error = exc
        label = entry_source(source, entry)
        reason = str(page_error).removeprefix(f"{label}: ")
        try:
            own = draft_from_entry(
                entry, feed_title=feed_title, source=source, fetched_at=fetched_at
            )
        except IngestError as short:
            detail = str(short).removeprefix(f"{label}: feed entry text is ")
            raise IngestError(
                f"{label}: {reason}; the entry's own text is {detail}",
                kind=page_error.kind or "page unavailable",
                feed=source,
                entry=entry.id,
                url=entry.link,
                title=entry.title or None,
            ) from None
        return replace(
            own,
            page_error=reason,
            page_retry=isinstance(page_error, FetchError) and page_error.temporary,
        )
    return draft_from_entry(entry, feed_title=feed_title, source=source, fetched_at=fetched_at)


async def draft_from_linked_page(
    entry: FeedEntry,
    *,
    feed_title: str | None,
    source: str,
    policy: FetchPolicy,
    fetched_at: datetime,
) -> ArticleDraft:
    """Fetch and extract the page a teaser feed entry links to.

    The entry's title, date and author fill in what the page does not state; the feed's title
    is the outlet when the page names no site.

    Args:
        entry: A feed entry with a link.
        feed_title: The feed's title.
        source: Where the feed came from.
        policy: Fetch limits.
        fetched_at: When the feed was read.

    Returns:
        The draft of the linked article, with `source` "<feed source> [<entry id>]".

    Raises:
        IngestError: Prefixed with the entry's source, when the page cannot be fetched or has no
            article.
    """
    label = entry_source(source, entry)
    if not entry.link:
        raise IngestError(f"{label}: teaser entry has no link to fetch")
    try:
        result = await fetch(entry.link, policy)
        draft = draft_from_bytes(
            result.body,
            source=label,
            fetched_at=fetched_at,
            content_type=result.content_type or "text/html",
            url=result.url,
            charset=result.charset,
            max_bytes=policy.max_bytes,
        )
    except IngestError as exc:
        message = str(exc)
        shown = message if message.startswith(label) else f"{label}: {message}"
        if isinstance(exc, FetchError):
            raise FetchError(shown, temporary=exc.temporary, kind=exc.kind) from None
        raise IngestError(shown, kind=exc.kind) from None
    outlet = draft.outlet
    if feed_title and (outlet is None or outlet == domain_of(draft.url)):
        outlet = feed_title
    return replace(
        draft,
        title=draft.title or entry.title,
        source=label,
        fetched_at=fetched_at,
        url=draft.url or entry.link,
        outlet=outlet,
        author=draft.author or entry.author,
        published_at=draft.published_at or entry.published_at,
        feed=source,
        entry=entry.id,
    )
