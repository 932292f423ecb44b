"""Main text and metadata from HTML pages (trafilatura), then furniture cleaning."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import trafilatura

from summaries.errors import IngestError
from summaries.ingest.clean import article_problem, clean_text
from summaries.ingest.decode import decode_bytes
from summaries.ingest.language import detect_language
from summaries.models import ArticleDraft

log = logging.getLogger(__name__)

_HTML_LANG_RE = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2})\b", re.I)
# Full timestamps when the page states them; never guessed from the page's text.
_DATE_PARAMS = {
    "original_date": True,
    "extensive_search": False,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


def extract_html(
    html: bytes | str,
    *,
    url: str | None,
    source: str,
    fetched_at: datetime,
    charset: str | None = None,
) -> ArticleDraft:
    """Extract the article of an HTML page as a cleaned draft.

    Args:
        html: The page, as bytes (decoded with `charset`, a BOM or the page's meta charset) or
            text.
        url: The page's URL, when it came from the web (sets `url` and the outlet fallback).
        source: What the user gave, for the draft and error messages.
        fetched_at: When the page was read.
        charset: Charset declared by the server.

    Returns:
        The draft: main text without furniture, title, author, published date (only when the
        page states one), outlet (site name, else the domain) and language (from `<html lang>`).

    Raises:
        IngestError: "no article text found in <source>" when the page has no article text, or
            the decoding error for bytes that are not text.
    """
    text = decode_bytes(html, source=source, declared=charset) if isinstance(html, bytes) else html
    if not text.strip():
        raise IngestError(f"{source} is empty")
    try:
        doc = trafilatura.bare_extraction(
            text,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            date_extraction_params=_DATE_PARAMS,
        )
    except Exception as exc:  # trafilatura raises assorted parser errors on broken markup
        log.warning("trafilatura failed on %s: %s", source, exc)
        raise IngestError(
            f"no article text found in {source} (the page could not be parsed)",
            kind="no article text",
        ) from None
    body = getattr(doc, "body", None) if doc is not None else None
    main_text = body_text(body) if body is not None else None
    if not main_text:
        main_text = getattr(doc, "text", None) if doc is not None else None
    if not main_text or not main_text.strip():
        raise IngestError(f"no article text found in {source}", kind="no article text")
    title_hint = _clean_str(getattr(doc, "title", None))
    cleaned = clean_text(main_text, title_hint=title_hint)
    if article_problem(cleaned.text) is not None:
        count = len(cleaned.text.split())
        detail = f" (only {count} word{'s' if count != 1 else ''})" if count else ""
        raise IngestError(f"no article text found in {source}{detail}", kind="no article text")
    published = _parse_page_date(_clean_str(getattr(doc, "date", None))) or cleaned.published_at
    sitename = _clean_str(getattr(doc, "sitename", None))
    if sitename and url and sitename.lower() in (urlsplit(url).netloc.lower(), domain_of(url)):
        sitename = None  # trafilatura's fallback: the host name, not a stated site name
    outlet = sitename or cleaned.outlet or domain_of(url)
    author = _clean_str(getattr(doc, "author", None)) or cleaned.author
    language_match = _HTML_LANG_RE.search(text[:5000])
    stated = language_match.group(1).lower() if language_match else cleaned.language
    language = detect_language(cleaned.text) or stated
    return ArticleDraft(
        text=cleaned.text,
        title=cleaned.title,
        source=source,
        fetched_at=fetched_at,
        url=url,
        outlet=outlet,
        author=author,
        published_at=published,
        language=language,
        place=cleaned.place,
        agency=cleaned.agency,
    )


# trafilatura's output elements that hold blocks rather than text
_CONTAINERS = frozenset({"body", "list", "table", "row", "div", "quote", "main"})


def body_text(body: Any) -> str:
    """Paragraphs of trafilatura's main-content tree, one per block, separated by blank lines.

    Whitespace inside a block is collapsed (the page's own line breaks in its HTML source are
    no paragraph breaks); a line break element (`<lb/>`) is kept as a line break and two or
    more in a row as a paragraph break. List items start with "- " as in trafilatura's text.

    Args:
        body: The `body` element of `trafilatura.bare_extraction`'s document.

    Returns:
        The text ("" when the tree holds none).
    """
    blocks: list[str] = []
    _walk_blocks(body, blocks)
    return "\n\n".join(blocks)


def _walk_blocks(element: Any, blocks: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _CONTAINERS and any(isinstance(c.tag, str) and c.tag != "lb" for c in element):
        _add_block(element.text or "", blocks, "")
        for child in element:
            if isinstance(child.tag, str):
                _walk_blocks(child, blocks)
            _add_block(child.tail or "", blocks, "")
        return
    _add_block(_inline_text(element), blocks, "- " if tag == "item" else "")


_BREAK = "\x00"  # a line break element, while the source's own whitespace is collapsed


def _inline_text(element: Any) -> str:
    parts = [element.text or ""]
    for child in element:
        parts.append(_BREAK if child.tag == "lb" else _inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# A newline inside a block's text is the page source's own wrapping when the text goes on in
# lower case ("sed do eiusmod\n incididunt"); before anything else it separates lines that
# trafilatura joined (links of a menu, lines of an address).
_SOFT_BREAK_RE = re.compile(r"[ \t\u00a0]*\n\s*(?=[a-z(,;])")


def _add_block(raw: str, blocks: list[str], prefix: str) -> None:
    raw = re.sub(f"\\s*{_BREAK}\\s*", _BREAK, raw)  # the source's whitespace around a <br>
    raw = _SOFT_BREAK_RE.sub(" ", raw)
    raw = re.sub(r"\s*\n\s*", _BREAK, raw)
    collapsed = " ".join(raw.split())
    for paragraph in re.split(f" ?{_BREAK}(?: ?{_BREAK})+ ?", collapsed):
        lines = [line.strip() for line in paragraph.split(_BREAK)]
        text = "\n".join(line for line in lines if line)
        if text:
            blocks.append(prefix + text)
            prefix = ""


def domain_of(url: str | None) -> str | None:
    """The host name of `url` without "www.", or None.

    Args:
        url: A URL or None.

    Returns:
        E.g. "example.com" for "https://www.example.com/a".
    """
    if not url:
        return None
    host = urlsplit(url).hostname
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def html_fragment_to_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed entry's content): one paragraph per block element.

    Args:
        html: HTML markup, or plain text (returned with whitespace tidied).

    Returns:
        Paragraphs separated by blank lines; scripts, styles and figure captions dropped.
    """
    parser = _FragmentParser()
    parser.feed(html)
    parser.close()
    return parser.text()


class _FragmentParser(HTMLParser):
    _BLOCKS = frozenset(
        "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote tr table section article header footer "
        "figure pre hr dd dt".split()
    )
    _SKIP = frozenset({"script", "style", "figcaption", "noscript", "iframe", "svg", "nav"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag in self._BLOCKS:
            self._parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in self._BLOCKS:
            self._parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._parts.append(data)

    def text(self) -> str:
        raw = "".join(self._parts)
        paragraphs = (" ".join(block.split()) for block in re.split(r"\n\s*\n", raw))
        return "\n\n".join(p for p in paragraphs if p)


def _clean_str(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _parse_page_date(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    log.debug("unparsed page date %r", value)
    return None
