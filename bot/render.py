"""The only place that decides what users see: replies as Discord messages or terminal text.

The command layer builds a `Reply` (plain text plus `Card`s made of indivisible `Line`s); this
module turns it into Discord messages that respect every Discord limit, or into plain text for
the local shell. A `Line` is never split: when a message or embed is full, the next line starts
the next one. The only thing ever shortened is the text of one line that is longer than a limit
on its own (a 4,000-character sentence); it ends with an ellipsis and keeps its citation link.

Lengths are measured in UTF-16 code units, which is never less than what Discord counts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal
from urllib.parse import quote

import discord

from summaries.models import (
    Briefing,
    Citation,
    CitedSentence,
    Discrepancy,
    Explanation,
    Feed,
    FeedCounts,
    IngestResult,
    SearchHit,
    Story,
    StoryBrief,
    Subscription,
)

log = logging.getLogger(__name__)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
MESSAGE_CHARS = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBED_TOTAL = 6000

# A citation URL longer than this is shown as its outlet name only: no Discord field or
# description could hold it next to its sentence, and browsers reject such URLs anyway.
MAX_LINK_URL = 2000

ELLIPSIS = "…"
CONTINUED = " (continued)"
COLOUR = 0x2B6CB0
ERROR_COLOUR = 0xC53030

LineKind = Literal["item", "heading", "plain"]


@dataclass(frozen=True)
class Line:
    """One indivisible line: a bullet item (optionally cited), a section heading or plain text.

    Attributes:
        text: Plain text, no markdown (it is escaped for Discord).
        link_label: The citation shown after the text (an outlet name).
        link_url: Where the citation points; shown only for http(s) URLs.
        kind: "item" (bullet), "heading" (bold, kept with the line after it) or "plain".
    """

    text: str
    link_label: str | None = None
    link_url: str | None = None
    kind: LineKind = "item"


@dataclass(frozen=True)
class Card:
    """What one embed shows when nothing needs splitting: a title, lines and a footer."""

    title: str
    lines: tuple[Line, ...] = ()
    footer: str | None = None
    colour: int = COLOUR


@dataclass(frozen=True)
class Reply:
    """What a command answers, independent of where it is shown.

    Attributes:
        text: Plain text shown before the cards (one or more lines).
        cards: Embeds (Discord) or blocks of text (shell).
        ephemeral: Only the person who asked sees it (Discord interactions).
        error: The command failed; `text` says why.
        briefing: A briefing to record as delivered once the reply was shown.
    """

    text: str = ""
    cards: tuple[Card, ...] = ()
    ephemeral: bool = False
    error: bool = False
    briefing: Briefing | None = None

    @classmethod
    def fail(cls, message: str) -> Reply:
        """A short error only the asker sees."""
        return cls(text=message, ephemeral=True, error=True)


@dataclass
class OutMessage:
    """One Discord message: content and up to ten embeds."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


# --------------------------------------------------------------------------- lengths & escaping


def ulen(text: str) -> int:
    """Length as Discord's clients count it at most: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def embed_size(embed: discord.Embed) -> int:
    """Characters an embed counts towards the 6,000 per message (title, description, ...)."""
    total = ulen(embed.title or "") + ulen(embed.description or "")
    for f in embed.fields:
        total += ulen(f.name or "") + ulen(f.value or "")
    total += ulen(embed.footer.text or "") + ulen(embed.author.name or "")
    return total


_SPACES = re.compile(r"\s+")


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _escape(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(_one_line(text)))


def _link_ok(url: str | None) -> bool:
    if not url:
        return False
    return url.startswith(("http://", "https://")) and ulen(_markdown_url(url)) <= MAX_LINK_URL


def _markdown_url(url: str) -> str:
    # Parentheses and spaces would end the markdown link early; percent-encoding keeps the target.
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def _link_markdown(label: str, url: str | None) -> str:
    safe_label = _escape(label).replace("[", "(").replace("]", ")") or "source"
    if url and _link_ok(url):
        return f"[{safe_label}]({_markdown_url(url)})"
    return safe_label


def line_markdown(line: Line, text: str | None = None) -> str:
    """A line as Discord markdown (escaped text, cited link), with `text` replacing its text."""
    body = _escape(line.text if text is None else text)
    if line.kind == "heading":
        return f"**{body}**" if body else ""
    out = f"• {body}" if line.kind == "item" else body
    if line.link_label is not None:
        out += f" — {_link_markdown(line.link_label, line.link_url)}"
    return out


def _line_text(line: Line) -> str:
    body = _one_line(line.text)
    if line.kind == "heading":
        return body
    out = f"• {body}" if line.kind == "item" else body
    if line.link_label is not None:
        out += f" — {_one_line(line.link_label)}"
        if line.link_url and line.link_url.startswith(("http://", "https://")):
            out += f" <{line.link_url}>"
    return out


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` UTF-16 units, else cut at a word boundary plus "…"."""
    text = _one_line(text)
    if ulen(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = _prefix_fitting(text, limit - 1)
    return cut + ELLIPSIS


def _prefix_fitting(text: str, limit: int) -> str:
    """The longest prefix of `text`, preferably ending at a word, within `limit` units."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ulen(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    prefix = text[:lo]
    space = prefix.rfind(" ")
    if lo < len(text) and space >= lo * 0.7:
        prefix = prefix[:space]
    return prefix.rstrip()


@lru_cache(maxsize=4096)
def fit_markdown(line: Line, limit: int) -> str:
    """The line's markdown within `limit`, shortening only its text (never its link)."""
    full = line_markdown(line)
    if ulen(full) <= limit:
        return full
    text = _one_line(line.text)
    lo, hi = 0, len(text)
    # Escaping is per character, so a longer prefix never renders shorter: binary search works.
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ulen(line_markdown(line, _cut(text, mid))) <= limit:
            lo = mid
        else:
            hi = mid - 1
    best = _cut(text, lo)
    space = best.rfind(" ")
    if space >= lo * 0.7:
        word_cut = best[:space].rstrip() + ELLIPSIS
        if ulen(line_markdown(line, word_cut)) <= limit:
            best = word_cut
    out = line_markdown(line, best)
    if ulen(out) <= limit:
        return out
    # Even an empty sentence does not fit beside the link (absurd URL): drop the link.
    return shorten(line_markdown(replace(line, link_url=None)), limit)


def _cut(text: str, n: int) -> str:
    return text if n >= len(text) else text[:n].rstrip() + ELLIPSIS


# --------------------------------------------------------------------------- Discord output


def to_messages(reply: Reply) -> list[OutMessage]:
    """Split a reply into Discord messages that respect every limit.

    Text goes into message content (2,000 each), cards become embeds (split into
    "(continued)" embeds when too long), and embeds are packed ten or 6,000 characters to a
    message. Nothing is cut in half except a single line longer than a limit on its own.
    """
    contents = _split_content(reply.text)
    embeds: list[discord.Embed] = []
    for card in reply.cards:
        embeds.extend(card_embeds(card))
    messages: list[OutMessage] = [OutMessage(content=c) for c in contents]
    current = messages.pop() if messages else OutMessage()
    total = 0
    for embed in embeds:
        size = embed_size(embed)
        if current.embeds and (
            len(current.embeds) >= EMBEDS_PER_MESSAGE or total + size > EMBED_TOTAL
        ):
            messages.append(current)
            current = OutMessage()
            total = 0
        current.embeds.append(embed)
        total += size
    if current.content or current.embeds:
        messages.append(current)
    return messages or [OutMessage(content="(nothing to show)")]


def to_text_messages(reply: Reply) -> list[OutMessage]:
    """A reply as messages without embeds, for a channel where the bot may not embed links
    (Discord would drop the embeds silently): each card becomes a bold title, its lines and
    its footer as small text, packed into 2,000-character messages without splitting a line."""
    lines = [shorten(_escape(raw), MESSAGE_CHARS) for raw in reply.text.splitlines() if raw.strip()]
    for card in reply.cards:
        lines.append("")
        lines.append(f"**{_escape(shorten(card.title, EMBED_TITLE))}**")
        lines.extend(md for line in card.lines if (md := fit_markdown(line, MESSAGE_CHARS)))
        if card.footer:
            lines.append(f"-# {_escape(shorten(card.footer, 300))}")
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        need = ulen(line) + (1 if current else 0)
        if current and size + need > MESSAGE_CHARS:
            chunks.append("\n".join(current).strip("\n"))
            current, size, need = [], 0, ulen(line)
        current.append(line)
        size += need
    if current:
        chunks.append("\n".join(current).strip("\n"))
    return [OutMessage(content=c) for c in chunks if c.strip()] or [
        OutMessage(content="(nothing to show)")
    ]


def _split_content(text: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = shorten(_escape(raw), MESSAGE_CHARS) if raw.strip() else ""
        candidate = f"{current}\n{line}" if current else line
        if ulen(candidate) <= MESSAGE_CHARS:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = line
    if current.strip():
        chunks.append(current)
    return chunks


def card_embeds(card: Card) -> list[discord.Embed]:
    """One card as one or more embeds, each within the embed limits."""
    title = shorten(card.title, EMBED_TITLE) or "briefbot"
    # A long title is shortened before " (continued)" so a reader can still tell it is one.
    cont_title = f"{shorten(card.title, EMBED_TITLE - len(CONTINUED))}{CONTINUED}"
    footer = shorten(card.footer, 300) if card.footer else None
    descriptions: list[str] = []
    current: list[str] = []
    size = 0
    lines = list(card.lines)
    for i, line in enumerate(lines):
        md = fit_markdown(line, EMBED_DESCRIPTION)
        if not md:
            continue
        need = ulen(md) + (1 if current else 0)
        if line.kind == "heading" and i + 1 < len(lines):
            # A heading is kept with the line after it.
            nxt = fit_markdown(lines[i + 1], EMBED_DESCRIPTION)
            need_pair = need + 1 + ulen(nxt)
            if current and size + need_pair > EMBED_DESCRIPTION:
                descriptions.append("\n".join(current))
                current, size, need = [], 0, ulen(md)
        elif current and size + need > EMBED_DESCRIPTION:
            descriptions.append("\n".join(current))
            current, size, need = [], 0, ulen(md)
        current.append(md)
        size += need
    if current:
        descriptions.append("\n".join(current))
    if not descriptions:
        descriptions = [""]
    embeds = []
    for n, description in enumerate(descriptions):
        embed = discord.Embed(
            title=title if n == 0 else cont_title,
            description=description or None,
            colour=card.colour,
        )
        if footer and n == len(descriptions) - 1:
            embed.set_footer(text=footer)
        embeds.append(embed)
    return embeds


# --------------------------------------------------------------------------- terminal output


def to_text(reply: Reply) -> str:
    """A reply as plain text for the terminal: same content as Discord, no markdown."""
    parts: list[str] = []
    if reply.text.strip():
        parts.append(reply.text.strip())
    for card in reply.cards:
        block = [f"## {_one_line(card.title)}"]
        for line in card.lines:
            rendered = _line_text(line)
            if line.kind == "heading":
                block.append("")
                block.append(f"{rendered}:")
            else:
                block.append(rendered)
        if card.footer:
            block.append(f"({_one_line(card.footer)})")
        parts.append("\n".join(block))
    return "\n\n".join(parts) + "\n" if parts else ""


# --------------------------------------------------------------------------- models -> replies


def when(moment: datetime | None) -> str:
    """A short UTC timestamp for users: "12 Jan 2024 08:30 UTC"."""
    if moment is None:
        return "unknown time"
    return moment.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")


def _cited(sentence: CitedSentence) -> Line:
    return Line(sentence.text, link_label=sentence.citation.outlet, link_url=sentence.citation.url)


def _source_line(citation: Citation) -> Line:
    title = _one_line(citation.title) or "untitled"
    dated = f"{title} ({when(citation.published_at)})" if citation.published_at else title
    return Line(dated, link_label=citation.outlet, link_url=citation.url)


def _discrepancy_line(item: Discrepancy, outlets: dict[int, str]) -> Line:
    variants = []
    for n, value in enumerate(item.values):
        ids = item.article_ids[n] if n < len(item.article_ids) else ()
        names = sorted({outlets.get(i, f"article {i}") for i in ids})
        variants.append(f"“{value}” ({', '.join(names)})" if names else f"“{value}”")
    kind = {"name": "Name", "figure": "Figure", "date": "Date"}.get(item.kind, item.kind)
    return Line(f"{kind}, {item.subject}: {' vs '.join(variants)}")


NEW_HEADING = "New since your last briefing"
DISAGREE_HEADING = "Where outlets disagree"
SOURCES_HEADING = "Sources"


def story_card(brief: StoryBrief, *, full: bool = True) -> Card:
    """A story as a card: cited summary, what is new, discrepancies and sources.

    `full=False` (briefings) leaves out the sources list, which `/story` shows.
    """
    lines: list[Line] = [_cited(s) for s in brief.summary]
    if brief.new:
        heading = NEW_HEADING
        if brief.updates_briefing is None and brief.new_since is not None:
            heading = f"New since {when(brief.new_since)}"
        lines.append(Line(heading, kind="heading"))
        lines.extend(_cited(s) for s in brief.new)
    if brief.discrepancies:
        outlets = {c.article_id: c.outlet for c in brief.sources}
        for s in (*brief.summary, *brief.new):
            outlets.setdefault(s.citation.article_id, s.citation.outlet)
        lines.append(Line(DISAGREE_HEADING, kind="heading"))
        lines.extend(_discrepancy_line(d, outlets) for d in brief.discrepancies)
    if full and brief.sources:
        lines.append(Line(SOURCES_HEADING, kind="heading"))
        lines.extend(_source_line(c) for c in brief.sources)
    if not lines:
        lines.append(Line("Nothing to summarise yet.", kind="plain"))
    n = len(brief.sources)
    footer = f"Story {brief.story_id} · {n} source{'s' if n != 1 else ''}"
    if not full:
        footer += f" · /story {brief.story_id} for everything"
    return Card(title=brief.title or f"Story {brief.story_id}", lines=tuple(lines), footer=footer)


EMPTY_STORE_HINT = {
    "discord": "Add articles with /ingest or a feed with /feed add.",
    "shell": "Add articles with /ingest or a feed with /feed add.",
    "dm": "Add articles with /ingest or a feed with /feed add.",
    "cli": "Add articles with `briefbot ingest PATH|URL` or a feed with `briefbot feed add URL`.",
}


def briefing_reply(
    briefing: Briefing,
    *,
    whats_new: bool = False,
    label: str | None = None,
    surface: str = "discord",
) -> Reply:
    """A briefing (from /brief or /whatsnew or a digest) as a reply.

    With no stories it says so in one line: "Nothing new since your last briefing." for
    what-is-new ("... since <time>" for an audience never briefed), "No stories yet…" for a
    briefing or an empty store. `label` replaces the first word of the heading ("Briefing" /
    "What's new"), e.g. "Daily digest".
    """
    topic = f" on “{_one_line(briefing.topic)}”" if briefing.topic else ""
    n = len(briefing.stories)
    if n == 0:
        if briefing.empty_store or not (whats_new or briefing.topic):
            text = f"No stories yet. {EMPTY_STORE_HINT.get(surface, EMPTY_STORE_HINT['discord'])}"
        elif whats_new and briefing.never_briefed:
            text = f"Nothing new{topic} since {when(briefing.since)}."
        elif whats_new:
            text = f"Nothing new{topic} since your last briefing."
        else:
            text = f"No stories{topic} yet."
    else:
        label = label or ("What's new" if whats_new else "Briefing")
        text = f"{label}{topic}: {n} stor{'ies' if n != 1 else 'y'}"
        if briefing.since is not None:
            text += f" since {when(briefing.since)}"
        text += "."
    lines = [text, *(_one_line(note) for note in briefing.notes if note.strip())]
    cards = tuple(story_card(s, full=False) for s in briefing.stories)
    return Reply(text="\n".join(lines), cards=cards, briefing=briefing if n else None)


def story_reply(brief: StoryBrief) -> Reply:
    """One story in full (/story)."""
    return Reply(cards=(story_card(brief, full=True),))


def ingest_reply(results: Sequence[IngestResult]) -> Reply:
    """What happened to each input: stored, duplicate or rejected (with the reason)."""
    if not results:
        return Reply.fail("Nothing to ingest.")
    lines = [_ingest_line(r) for r in results]
    if len(results) == 1:
        return Reply(text=lines[0], error=results[0].status == "rejected")
    counts = {
        s: sum(1 for r in results if r.status == s)
        for s in ("stored", "updated", "duplicate", "rejected")
    }
    summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    feeds = feed_summaries(results)
    card = Card(
        title=f"Ingested {len(results)} inputs",
        lines=tuple(Line(line, kind="item") for line in (*feeds, *lines)),
    )
    # nothing taken at all is an error: only the user who tried sees it
    nothing_taken = counts["rejected"] == len(results)
    return Reply(text=f"{summary}.", cards=(card,), error=nothing_taken)


def _ingest_line(result: IngestResult) -> str:
    if result.title:
        title = f"“{_one_line(result.title)}”"
    elif result.input in ("pasted", "stdin"):
        title = f"the {result.input} text"
    else:
        title = _one_line(result.input)
    if result.status == "stored":
        out = f"Stored {title} as article {result.article_id}"
        if result.story_id is not None:
            out += f" (story {result.story_id})"
        if result.near_duplicate_of is not None:
            out += f"; a copy of article {result.near_duplicate_of}"
        if result.note:
            out += f"; {_one_line(result.note)}"
        return out + "."
    if result.status == "updated":
        return (
            f"Updated article {result.article_id} from {title}: the linked page replaced the "
            "feed entry's text."
        )
    if result.status == "duplicate":
        out = f"Duplicate: {title} is already stored as article {result.article_id}"
        return out + (f" ({_one_line(result.reason)})." if result.reason else ".")
    reason = _one_line(result.reason or "no reason given")
    source = _one_line(result.input)
    if source and source in reason:
        return f"Rejected: {reason}"
    return f"Rejected {source}: {reason}"


def search_reply(query: str, hits: Sequence[SearchHit], stories: Sequence[Story] = ()) -> Reply:
    """Matching articles (with snippets) and stories."""
    q = _one_line(query)
    if not hits and not stories:
        return Reply(text=f"Nothing matches “{q}”.")
    lines: list[Line] = []
    if stories:
        lines.append(Line("Stories", kind="heading"))
        lines.extend(_story_line(s) for s in stories)
    if hits:
        lines.append(Line("Articles", kind="heading"))
        lines.extend(_hit_line(h) for h in hits)
    text = f"{len(hits)} article{'s' if len(hits) != 1 else ''}"
    text += f" and {len(stories)} stor{'ies' if len(stories) != 1 else 'y'} match “{q}”."
    return Reply(text=text, cards=(Card(title=f"Search: {q}", lines=tuple(lines)),))


_MARKS = re.compile(r"</?b>|\[|\]")


def _hit_line(hit: SearchHit) -> Line:
    article = hit.article
    title = _one_line(article.title) or "untitled"
    snippet = _one_line(_MARKS.sub("", hit.snippet))
    text = f"Article {article.id}: {title}"
    if article.story_id is not None:
        text += f" (story {article.story_id})"
    if snippet:
        text += f" — {snippet}"
    return Line(text, link_label=article.label, link_url=article.url)


def _story_line(story: Story) -> Line:
    n = story.article_count
    text = f"Story {story.id}: {_one_line(story.title)} ({n} article{'s' if n != 1 else ''}"
    text += f", last {when(story.last_seen)})"
    return Line(text)


def stories_reply(stories: Sequence[Story], *, topic: str | None = None) -> Reply:
    """A list of stories (newest first)."""
    about = f" on “{_one_line(topic)}”" if topic else ""
    if not stories:
        return Reply(text=f"No stories{about} yet.")
    return Reply(
        text=f"{len(stories)} stor{'ies' if len(stories) != 1 else 'y'}{about}.",
        cards=(Card(title="Stories", lines=tuple(_story_line(s) for s in stories)),),
    )


FAILING_FOR = timedelta(days=2)


def feed_status(feed: Feed, now: datetime, *, flag_after: timedelta = FAILING_FOR) -> str:
    """One line: ok / not polled yet / failing N times (last error), flagged after a while."""
    if feed.failures:
        since = feed.failing_since or feed.last_ok_at or feed.created_at
        flagged = since is not None and now - since >= flag_after
        days = f" — failing since {when(since)}" if flagged else ""
        error = _one_line(feed.last_error or "unknown error")
        return f"failing ({feed.failures}×): {error}{days}"
    if feed.last_polled_at is None:
        return "not polled yet"
    return f"ok, last polled {when(feed.last_polled_at)}"


def counts_text(counts: FeedCounts) -> str:
    """What became of a feed's entries, in one line ("no entries read yet" before any).

    E.g. "12 stored (3 from the feed's own text, 1 waiting for its page), 2 duplicate,
    5 skipped: 4 too short, 1 page unavailable".
    """
    if not (counts.stored or counts.duplicate or counts.skipped):
        return "no entries read yet"
    stored = f"{counts.stored} stored"
    if counts.from_feed:
        extra = f"{counts.from_feed} from the feed's own text"
        if counts.retrying:
            extra += (
                f", {counts.retrying} waiting for {'its' if counts.retrying == 1 else 'their'} page"
            )
        stored += f" ({extra})"
    parts = [stored, f"{counts.duplicate} duplicate", f"{counts.skipped} skipped"]
    reasons = [f"{n} {kind}" for kind, n in counts.reasons if kind not in _DUPLICATE_KINDS]
    text = ", ".join(parts)
    return f"{text}: {', '.join(reasons)}" if reasons and counts.skipped else text


_DUPLICATE_KINDS = frozenset({"same URL", "same text", "duplicate"})


def feed_summaries(results: Sequence[IngestResult]) -> list[str]:
    """One line per feed among ingest results: its entries' counts and reasons, and whether
    the feed was ill-formed (what could be read was stored)."""
    by_feed: dict[str, list[IngestResult]] = {}
    for r in results:
        if r.feed:
            by_feed.setdefault(r.feed, []).append(r)
    out = []
    for feed, found in by_feed.items():
        skipped: dict[str, int] = {}
        for r in found:
            if r.status == "rejected":
                skipped[r.kind or "other"] = skipped.get(r.kind or "other", 0) + 1
        counts = FeedCounts(
            stored=sum(r.status in ("stored", "updated") for r in found),
            duplicate=sum(r.status == "duplicate" for r in found),
            skipped=sum(r.status == "rejected" for r in found),
            reasons=tuple(sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))),
            from_feed=sum(r.status == "stored" and r.note is not None for r in found),
            retrying=sum(r.status == "stored" and "fetched again" in (r.note or "") for r in found),
        )
        n = len(found)
        line = f"Feed {feed}: {n} entr{'ies' if n != 1 else 'y'}: {counts_text(counts)}"
        problem = next((r.feed_problem for r in found if r.feed_problem), None)
        if problem:
            line += f". Ill-formed feed ({_one_line(problem)}): what could be read was stored"
        out.append(line + ".")
    return out


def feeds_reply(
    feeds: Sequence[Feed],
    now: datetime,
    *,
    where: str = "this channel",
    flag_after: timedelta = FAILING_FOR,
    counts: Mapping[int, FeedCounts] | None = None,
) -> Reply:
    """The feeds an audience owns with their status, last error, whether the last read was
    ill-formed, and what became of their entries (stored / duplicate / skipped and why)."""
    if not feeds:
        return Reply(text=f"No feeds for {where}. Add one with /feed add.")
    lines: list[Line] = []
    for f in feeds:
        text = f"Feed {f.id}: {f.url} — {feed_status(f, now, flag_after=flag_after)}"
        if f.warning:
            text += f"; ill-formed feed, read as far as it goes ({_one_line(f.warning)})"
        found = counts.get(f.id) if counts is not None else None
        if found is not None and (found.stored or found.duplicate or found.skipped):
            text += f". Entries: {counts_text(found)}"
        lines.append(Line(text))
    n = len(feeds)
    return Reply(
        text=f"{n} feed{'s' if n != 1 else ''} for {where}.",
        cards=(Card(title="Feeds", lines=tuple(lines)),),
    )


def explain_lines(found: Explanation) -> list[str]:
    """Where an article or URL went, one fact per line (`briefbot explain`)."""
    article = found.article
    if found.status == "unknown":
        return [f"{found.query}: never seen (not stored, and no feed or ingest mentioned it)."]
    if found.status == "rejected" or (found.status != "duplicate" and article is None):
        lines = [f"{found.query}: not stored: {_one_line(found.reason or 'no reason recorded')}"]
        if found.source:
            lines.append(f"from: {found.source}, {when(found.seen_at)}")
        return lines
    assert article is not None
    if found.status == "duplicate":
        lines = [
            f"{found.query}: a duplicate of article #{article.id}"
            + (f" ({_one_line(found.reason)})" if found.reason else "")
        ]
        if found.source:
            lines.append(f"from: {found.source}, {when(found.seen_at)}")
    else:
        lines = [f"{found.query}: stored as article #{article.id}"]
        if found.source:
            lines.append(f"from: {found.source}, {when(found.seen_at)}")
    story = f"story {article.story_id}" if article.story_id else "no story"
    lines.append(
        f"#{article.id} “{_one_line(article.title) or 'untitled'}” — {article.label}, {story}"
    )
    if article.near_duplicate_of:
        lines.append(f"a syndicated copy of #{article.near_duplicate_of}")
    if article.from_feed:
        origin = "text: the feed entry's own"
        if article.page_error:
            origin += f" (its page failed: {_one_line(article.page_error)}"
            origin += "; fetched again on the next poll)" if article.page_retry else ")"
        lines.append(origin)
    if found.deliveries:
        audiences: dict[str, list[tuple[int, datetime]]] = {}
        for audience, delivery, at in found.deliveries:
            audiences.setdefault(audience, []).append((delivery, at))
        for audience, shown in audiences.items():
            first = shown[0]
            more = f" (+{len(shown) - 1} later)" if len(shown) > 1 else ""
            lines.append(f"shown to {audience}: briefing {first[0]}, {when(first[1])}{more}")
    else:
        lines.append("not shown to any audience yet")
    return lines


def feed_added_reply(feed: Feed) -> Reply:
    return Reply(text=f"Added feed {feed.id}: {feed.url}. It will be polled shortly.")


def feed_removed_reply(feed: Feed) -> Reply:
    return Reply(text=f"Removed feed {feed.id}: {feed.url}.")


def subscription_reply(sub: Subscription | None, *, where: str = "this channel") -> Reply:
    """The digest settings of an audience, including a delivery error if the last one failed."""
    if sub is None or not sub.enabled:
        return Reply(text=f"No daily digest for {where}. Set one with /digest set.")
    topics = f" on {', '.join(sub.topics)}" if sub.topics else ""
    text = f"Daily digest for {where} at {sub.local_time} ({sub.timezone}){topics}."
    if sub.last_error:
        text += f"\nLast delivery failed ({when(sub.last_error_at)}): {_one_line(sub.last_error)}"
    return Reply(text=text)


def digest_set_reply(sub: Subscription, *, where: str = "this channel") -> Reply:
    topics = f" on {', '.join(sub.topics)}" if sub.topics else ""
    return Reply(text=f"Daily digest for {where} set to {sub.local_time} ({sub.timezone}){topics}.")


def digest_off_reply(sub: Subscription | None, *, where: str = "this channel") -> Reply:
    if sub is None:
        return Reply(text=f"There was no daily digest for {where}.")
    return Reply(text=f"Daily digest for {where} turned off.")


Surface = Literal["discord", "shell", "dm"]

_HELP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("/brief [topic]", "the current briefing: top stories, cited summary, what is new"),
    ("/story <id>", "one story in full: summary, what is new, disagreements, sources"),
    ("/whatsnew [topic]", "only what you have not been shown yet"),
    ("/search <query>", "matching articles and stories"),
    ("/ingest <url | text | file>", "add an article"),
    ("/feed add <url> · /feed remove <id> · /feed list", "this channel's feeds"),
    ("/digest set <HH:MM> <timezone> [topics] · off · show · preview", "a daily digest"),
    ("/help", "this help"),
)

DM_EXAMPLES = (
    "what's new on north korea?",
    "brief me on lavrov",
    "story 12",
    "search pipeline",
    "help",
)


def help_reply(surface: Surface = "discord", *, not_understood: str | None = None) -> Reply:
    """What briefbot can do, phrased for where it is asked."""
    lines = [Line(f"{cmd} — {what}") for cmd, what in _HELP_COMMANDS]
    if surface == "shell":
        lines.append(Line("/quit — leave the shell"))
    lines.append(Line("Or just ask in plain words", kind="heading"))
    lines.extend(Line(f"“{example}”") for example in DM_EXAMPLES)
    if surface == "dm":
        # In a DM plain words are the natural way in; lead with them.
        lines = [Line(f"“{example}”") for example in DM_EXAMPLES]
        lines.append(
            Line("Slash commands work here too: /brief, /story, /digest set …", kind="plain")
        )
    if not_understood is not None:
        text = f"Sorry, I did not understand “{shorten(not_understood, 100)}”. Try one of these:"
    else:
        text = "briefbot keeps track of news stories and tells you what is new."
    return Reply(text=text, cards=(Card(title="briefbot help", lines=tuple(lines)),))
