"""The one command layer shared by Discord and the local shell.

Every command is: parse (done by the adapter) -> one Newsroom call -> a `Reply` from
`bot.render`. The adapters only send the reply and, once it was shown, call `record` so the
audience's "what is new" baseline moves on. Errors the user can act on (`BriefbotError`) become
short error replies here, so Discord and the shell show the same words.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Concatenate, ParamSpec

from bot import render
from bot.dm import parse_intent
from bot.render import Reply, Surface
from summaries.errors import BriefbotError, InvalidInput
from summaries.models import Briefing
from summaries.newsroom import Newsroom, timezone_names

log = logging.getLogger(__name__)

P = ParamSpec("P")

MAX_TOPIC_CHARS = 200
MAX_QUERY_CHARS = 300


def _existing_path(arg: str) -> str | None:
    if "\n" in arg or len(arg) > 4096:
        return None
    try:
        path = Path(arg).expanduser()
        return str(path) if path.exists() else None
    except OSError:
        return None


def where_label(audience: str) -> str:
    """How replies refer to an audience: "this channel", "you", "this shell"."""
    kind = audience.partition(":")[0]
    return {"channel": "this channel", "user": "you", "cli": "this shell"}.get(kind, audience)


def _guarded(
    func: Callable[Concatenate[Commands, P], Awaitable[Reply]],
) -> Callable[Concatenate[Commands, P], Awaitable[Reply]]:
    """Turn errors the user can act on into a short error reply, logged with context."""

    @functools.wraps(func)
    async def wrapper(self: Commands, *args: P.args, **kwargs: P.kwargs) -> Reply:
        try:
            return await func(self, *args, **kwargs)
        except BriefbotError as err:
            log.info("%s%r refused: %s", func.__name__, args, err)
            return Reply.fail(str(err))

    return wrapper


def _topic(topic: str | None) -> str | None:
    if topic is None or not topic.strip():
        return None
    topic = " ".join(topic.split())
    if len(topic) > MAX_TOPIC_CHARS:
        raise InvalidInput(f"a topic is at most {MAX_TOPIC_CHARS} characters")
    return topic


@dataclass(frozen=True)
class StoryChoice:
    """One autocomplete suggestion: what the user sees (<= 100 chars) and the story id."""

    name: str
    value: int


class Commands:
    """briefbot's commands, independent of where they are typed."""

    def __init__(self, room: Newsroom) -> None:
        self.room = room

    # ------------------------------------------------------------------ briefings

    @_guarded
    async def brief(self, audience: str, topic: str | None = None) -> Reply:
        """/brief [topic]: top stories, cited summary, what is new (recorded once shown)."""
        briefing = await self.room.brief(audience, topic=_topic(topic), record=False)
        return render.briefing_reply(briefing)

    @_guarded
    async def whats_new(self, audience: str, topic: str | None = None) -> Reply:
        """/whatsnew [topic]: only what this audience has not been shown (recorded once shown)."""
        briefing = await self.room.whats_new(audience, topic=_topic(topic), record=False)
        return render.briefing_reply(briefing, whats_new=True)

    @_guarded
    async def story(self, audience: str, story_id: int) -> Reply:
        """/story id: one story in full; what it shows counts as seen by the audience."""
        brief = await self.room.story(story_id, audience=audience)
        reply = render.story_reply(brief)
        shown = Briefing(audience=audience, generated_at=self.room.clock(), stories=(brief,))
        return Reply(text=reply.text, cards=reply.cards, briefing=shown)

    async def record(self, reply: Reply) -> int | None:
        """Record the briefing a reply showed, once it was shown. Returns the delivery id."""
        if reply.briefing is None or not reply.briefing.stories:
            return None
        return await self.room.record_delivery(reply.briefing.audience, reply.briefing)

    # ------------------------------------------------------------------ search & ingest

    @_guarded
    async def search(self, query: str) -> Reply:
        """/search query: matching articles and stories."""
        query = " ".join((query or "").split())
        if not query:
            raise InvalidInput("search for something: /search <words>")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidInput(f"a search is at most {MAX_QUERY_CHARS} characters")
        hits = await self.room.search(query, limit=10)
        stories = await self.room.stories(topic=query, limit=5)
        return render.search_reply(query, hits, stories)

    @_guarded
    async def ingest_url(self, url: str) -> Reply:
        """/ingest url: a page or every entry of a feed."""
        return render.ingest_reply(await self.room.ingest_url(url.strip()))

    @_guarded
    async def ingest_text(self, text: str, *, title: str | None = None) -> Reply:
        """/ingest text: pasted article text."""
        if not text.strip():
            raise InvalidInput("paste the article text after /ingest")
        return render.ingest_reply([await self.room.ingest_text(text, title=title)])

    @_guarded
    async def ingest_file(
        self, data: bytes, *, filename: str, content_type: str | None = None
    ) -> Reply:
        """/ingest file: an uploaded text or HTML file."""
        result = await self.room.ingest_bytes(data, filename=filename, content_type=content_type)
        return render.ingest_reply([result])

    @_guarded
    async def ingest_any(self, arg: str) -> Reply:
        """Shell `/ingest <url | path | text>`: a URL, a local file or directory, else text."""
        arg = arg.strip()
        if not arg:
            raise InvalidInput("usage: /ingest <url | path | text>")
        if arg.startswith(("http://", "https://")) and " " not in arg:
            return render.ingest_reply(await self.room.ingest_url(arg))
        path = await asyncio.to_thread(_existing_path, arg)
        if path is not None:
            return render.ingest_reply(await self.room.ingest([path]))
        return render.ingest_reply([await self.room.ingest_text(arg)])

    # ------------------------------------------------------------------ feeds

    @_guarded
    async def feed_add(self, audience: str, url: str) -> Reply:
        """/feed add url."""
        return render.feed_added_reply(await self.room.add_feed(url.strip(), audience=audience))

    @_guarded
    async def feed_remove(self, audience: str, feed: str) -> Reply:
        """/feed remove id-or-url (only this audience's feeds)."""
        feed = feed.strip().lstrip("#")
        if not feed:
            raise InvalidInput("usage: /feed remove <feed id or URL>")
        return render.feed_removed_reply(await self.room.remove_feed(feed, audience=audience))

    @_guarded
    async def feed_list(self, audience: str) -> Reply:
        """/feed list: this audience's feeds with status and last error."""
        feeds = await self.room.feeds(audience=audience)
        return render.feeds_reply(
            feeds,
            self.room.clock(),
            where=where_label(audience),
            flag_after=timedelta(seconds=self.room.config.feed_flag_after_s),
            counts=await self.room.feed_counts(feeds),
        )

    # ------------------------------------------------------------------ digests

    @_guarded
    async def digest_set(
        self, audience: str, local_time: str, timezone: str, topics: str | Sequence[str] = ()
    ) -> Reply:
        """/digest set time timezone [topics]: topics separated by commas."""
        if isinstance(topics, str):
            topic_list = [t.strip() for t in topics.split(",") if t.strip()]
        else:
            topic_list = [t.strip() for t in topics if t.strip()]
        for topic in topic_list:
            _topic(topic)
        sub = await self.room.set_digest(
            audience, local_time=local_time, timezone=timezone.strip(), topics=topic_list
        )
        return render.digest_set_reply(sub, where=where_label(audience))

    @_guarded
    async def digest_off(self, audience: str) -> Reply:
        """/digest off."""
        sub = await self.room.digest_off(audience)
        return render.digest_off_reply(sub, where=where_label(audience))

    @_guarded
    async def digest_show(self, audience: str) -> Reply:
        """/digest show: settings and the last delivery error."""
        sub = await self.room.digest(audience)
        return render.subscription_reply(sub, where=where_label(audience))

    @_guarded
    async def digest_preview(self, audience: str) -> Reply:
        """/digest preview: what the digest would contain now (nothing is recorded)."""
        sub = await self.room.digest(audience)
        if sub is None or not sub.enabled:
            return render.subscription_reply(sub, where=where_label(audience))
        from bot.scheduler import build_digest  # the digest's own recipe, not a copy of it

        briefing = await build_digest(self.room, audience, sub.topics, since=None)
        reply = render.briefing_reply(briefing, whats_new=True)
        return Reply(text=f"Preview of the digest:\n{reply.text}", cards=reply.cards)

    # ------------------------------------------------------------------ help, plain words

    def help(self, surface: Surface = "discord") -> Reply:
        """/help."""
        return render.help_reply(surface)

    async def ask(self, audience: str, text: str, *, surface: Surface = "dm") -> Reply:
        """A plain-words request (DM or shell): mapped to a command; unknown -> short help."""
        intent = parse_intent(text)
        if intent.kind == "brief":
            return await self.brief(audience, intent.topic)
        if intent.kind == "whatsnew":
            return await self.whats_new(audience, intent.topic)
        if intent.kind == "story" and intent.story_id is not None:
            return await self.story(audience, intent.story_id)
        if intent.kind == "search" and intent.topic:
            return await self.search(intent.topic)
        if intent.kind == "digest":
            return await self.digest_show(audience)
        if intent.kind == "help":
            return render.help_reply(surface)
        return render.help_reply(surface, not_understood=text.strip())

    # ------------------------------------------------------------------ autocomplete

    async def story_choices(self, current: str) -> list[StoryChoice]:
        """Up to 25 stories whose title contains (or whose id is) what was typed."""
        try:
            stories = await self.room.story_titles(current.strip().lstrip("#"), limit=25)
        except BriefbotError:
            return []
        return [StoryChoice(render.shorten(f"{s.id} · {s.title}", 100), s.id) for s in stories[:25]]

    def timezone_choices(self, current: str) -> list[str]:
        """Up to 25 IANA timezone names containing what was typed."""
        return timezone_names(current, limit=25)[:25]
