"""Slash commands through the real stack: gateway INTERACTION_CREATE → discord.py's command tree →
briefbot's cogs → interaction callbacks and follow-up webhooks, answered by the stand-in as
Discord would. Every test runs briefbot's own `run_bot` pointed at the stand-in by its config."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from news import FERRY_TALKS, MARKET, add_ferry_story, add_talks, add_unrelated
from standin import (
    BRIEFINGS,
    EDITOR,
    GUILD_ID,
    READER,
    Attachment,
    DiscordStandIn,
    Interaction,
)

from bot.discord_app import sync_commands
from bot.settings import Settings
from summaries.errors import InvalidInput
from summaries.newsroom import Newsroom

ALL_COMMANDS = ["brief", "digest", "feed", "help", "ingest", "search", "story", "whatsnew"]


def nobody_else_saw_anything(ix: Interaction) -> bool:
    """True when nothing the interaction produced was ever visible to anyone but its user."""
    return ix.ever_public == []


# ------------------------------------------------------------------------------ sync


async def test_sync_publishes_every_command_within_discords_rules(
    discord: DiscordStandIn, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    names = await sync_commands(settings, GUILD_ID)
    assert sorted(names) == ALL_COMMANDS
    [put] = [c for c in discord.calls if c.method == "PUT"]
    assert put.path == f"/api/v10/applications/4242/guilds/{GUILD_ID}/commands"
    assert put.status == 200  # the stand-in validated names, descriptions and options
    assert sorted(c["name"] for c in discord.guild_commands[GUILD_ID]) == ALL_COMMANDS
    # Synced to one server only: nothing exists in DMs yet.
    with pytest.raises(LookupError, match="not registered for DMs"):
        await discord.command("brief", channel=None)

    assert sorted(await sync_commands(settings, None)) == ALL_COMMANDS
    feed = next(c for c in discord.global_commands if c["name"] == "feed")
    assert feed["default_member_permissions"] == str(1 << 5)  # Manage Server
    assert discord.errors() == []


async def test_sync_with_a_rejected_token_is_one_clear_error(
    discord: DiscordStandIn, configure: Callable[..., Settings]
) -> None:
    discord.token = "another-token"
    with pytest.raises(InvalidInput, match="Discord rejected the token in BRIEFBOT_DISCORD_TOKEN"):
        await sync_commands(configure(), None)


# ------------------------------------------------------------------------------ reading


async def test_brief_in_a_channel_is_public_and_moves_the_channels_baseline(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    await add_ferry_story(settings.db_path)
    bot = await start_bot(settings)

    ix = await discord.command("brief")
    [message] = await ix.answered()
    assert ix.ack_s is not None and ix.ack_s < 3
    assert message.content == "Briefing: 1 story."
    assert message.titles == ["Oskarholm ferry crews strike"]
    assert not message.ephemeral
    assert "Where outlets disagree" in message.descriptions[0]
    assert message.embeds[0]["footer"]["text"] == "Story 1 · 2 sources · /story 1 for everything"
    assert discord.channel_messages(BRIEFINGS) == [message]  # everyone in the channel sees it
    await discord.idle()
    async with Newsroom(bot.db) as room:
        assert await room.store.delivery_count(f"channel:{BRIEFINGS}") == 1
        assert await room.store.delivery_count(f"user:{READER}") == 0


async def test_brief_in_a_dm_uses_the_users_own_baseline(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    await add_ferry_story(settings.db_path)
    bot = await start_bot(settings)

    ix = await discord.command("brief", channel=None)
    [message] = await ix.answered()
    assert message.content == "Briefing: 1 story."
    dm = discord.dm_channel_of(READER)
    assert dm is not None and message.channel_id == dm.id
    await discord.idle()  # the briefing is recorded once it was shown
    again = await discord.command("whatsnew", channel=None)
    assert [m.content for m in await again.answered()] == ["Nothing new since your last briefing."]
    await discord.idle()
    async with Newsroom(bot.db) as room:
        assert await room.store.delivery_count(f"user:{READER}") == 1
        assert await room.store.delivery_count(f"channel:{BRIEFINGS}") == 0


async def test_whatsnew_shows_only_what_the_channel_was_not_shown(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    await add_ferry_story(settings.db_path)
    await start_bot(settings)
    await (await discord.command("brief")).answered()
    await discord.idle()

    nothing = await discord.command("whatsnew")
    assert [m.content for m in await nothing.answered()] == [
        "Nothing new since your last briefing."
    ]
    await add_talks(settings.db_path)
    ix = await discord.command("whatsnew")
    [message] = await ix.answered()
    assert message.content == "What's new: 1 story."
    new_part = message.descriptions[0].split("**New since your last briefing**\n")[1]
    assert new_part.startswith("• Talks to end the Oskarholm ferry strike opened on Tuesday")
    assert "— [Labour Wire](https://labour.example/talks)" in new_part
    assert FERRY_TALKS.split(". ")[0] in message.text()


async def test_story_autocomplete_then_the_story_in_full(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    await add_ferry_story(settings.db_path)
    await add_unrelated(settings.db_path)
    await start_bot(settings)

    typing = await discord.autocomplete("story", "story", "ferr")
    assert await typing.suggested() == [{"name": "1 · Oskarholm ferry crews strike", "value": 1}]
    assert typing.ack_s is not None and typing.ack_s < 3
    everything = await (await discord.autocomplete("story", "story", "")).suggested()
    assert sorted(c["value"] for c in everything) == [1, 2, 3]
    by_id = await (await discord.autocomplete("story", "story", "2")).suggested()
    assert by_id[0] == {"name": "2 · Observatory reopens", "value": 2}

    ix = await discord.command("story", story=1)
    [message] = await ix.answered()
    assert message.titles == ["Oskarholm ferry crews strike"]
    assert message.descriptions[0].endswith(
        "**Sources**\n"
        "• Oskarholm ferry crews strike — [Harbour Post](https://harbour.example/ferry-strike)\n"
        "• Tessaly cut off as ferries stop — [Island Gazette](https://gazette.example/ferries)"
    )
    assert message.embeds[0]["footer"]["text"] == "Story 1 · 2 sources"


async def test_an_unknown_story_is_an_error_nobody_else_ever_sees(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    await add_ferry_story(settings.db_path)
    await start_bot(settings)

    ix = await discord.command("story", story=99)
    [message] = await ix.answered()
    assert (message.content, message.ephemeral) == ("no story with id 99", True)
    assert not ix.deferred  # answered at once: no public "thinking…" came first
    assert nobody_else_saw_anything(ix)
    assert discord.ever_public(BRIEFINGS) == []


async def test_search_lists_matching_stories_and_articles(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    await add_ferry_story(settings.db_path)
    await add_unrelated(settings.db_path)
    await start_bot(settings)

    ix = await discord.command("search", query="ferries")
    [message] = await ix.answered()
    assert message.content == "2 articles and 1 story match “ferries”."
    assert message.titles == ["Search: ferries"]
    assert message.descriptions[0].startswith(
        "**Stories**\n• Story 1: Oskarholm ferry crews strike (2 articles, last "
    )
    nothing = await discord.command("search", query="zeppelin")
    assert [m.content for m in await nothing.answered()] == ["Nothing matches “zeppelin”."]


async def test_help_is_private(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    await start_bot(configure())
    ix = await discord.command("help")
    [message] = await ix.answered()
    assert message.ephemeral and message.titles == ["briefbot help"]
    assert nobody_else_saw_anything(ix)


# ------------------------------------------------------------------------------ ingest

ARTICLE_PAGE = """<!doctype html><html><head><title>Lighthouse keepers return to Skarvik</title>
<meta property="og:site_name" content="Coastline Review"></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> Trending Now</nav>
<article><h1>Lighthouse keepers return to Skarvik</h1>
<p>The lighthouse on the island of Skarvik will have resident keepers again from next spring,
the coastal authority announced on Wednesday, forty years after the light was automated.</p>
<p>Authority spokesperson Hedda Brun said two keepers would live on the island year-round to
maintain the lamp, run a weather station and guide visitors during the summer months.</p>
<p>The old keepers' cottage is being restored with a grant of 3.2 million crowns, and the
first guided tours are planned for June.</p>
</article><footer>Back to top button · Most Read</footer></body></html>"""

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Coastline Review</title>
<link>{base}/</link><description>Coast news</description>
<item><title>Lighthouse keepers return to Skarvik</title><link>{base}/lighthouse.html</link>
<description>The lighthouse on Skarvik will have keepers again.</description>
<pubDate>Wed, 02 Dec 2026 08:00:00 GMT</pubDate></item>
</channel></rss>"""


@pytest.fixture
async def pages() -> AsyncIterator[str]:
    """A local web server with one article page and a feed (fetch.allow_private is set)."""
    app = web.Application()

    async def lighthouse(_: web.Request) -> web.Response:
        return web.Response(text=ARTICLE_PAGE, content_type="text/html")

    async def feed(request: web.Request) -> web.Response:
        base = f"http://{request.host}"
        return web.Response(text=FEED.format(base=base), content_type="application/rss+xml")

    app.router.add_get("/lighthouse.html", lighthouse)
    app.router.add_get("/feed.xml", feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_ingest_a_url_a_text_and_a_file(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings], pages: str
) -> None:
    bot = await start_bot(configure())

    page = await discord.command("ingest", url=f"{pages}/lighthouse.html")
    [stored] = await page.answered()
    assert stored.content == "Stored “Lighthouse keepers return to Skarvik” as article 1 (story 1)."
    assert not stored.ephemeral

    pasted = await discord.command("ingest", text=FERRY_TALKS, title="Ferry strike talks open")
    assert [m.content for m in await pasted.answered()] == [
        "Stored “Ferry strike talks open” as article 2 (story 2)."
    ]
    again = await discord.command("ingest", text=FERRY_TALKS)
    [duplicate] = await again.answered()
    assert duplicate.content.startswith("Duplicate: the pasted text is already stored as article 2")

    upload = Attachment("market.txt", b"Brannvik market report\n\n" + MARKET.encode())
    uploaded = await discord.command("ingest", file=upload)
    [from_file] = await uploaded.answered()
    assert from_file.content.startswith("Stored “Brannvik market report” as article 3")
    downloads = [c for c in discord.calls if c.path.startswith("/attachments/")]
    assert [c.status for c in downloads] == [200]  # the bot fetched the file from the "CDN"

    await discord.idle()
    async with Newsroom(bot.db) as room:
        titles = [a.title for a in await room.articles()]
    assert titles == [
        "Lighthouse keepers return to Skarvik",
        "Ferry strike talks open",
        "Brannvik market report",
    ]


async def test_ingest_errors_are_private_from_the_start(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings], pages: str
) -> None:
    bot = await start_bot(configure())
    missing = await discord.command("ingest", url=f"{pages}/no-such-page.html")
    [message] = await missing.answered()
    assert message.ephemeral
    assert message.content.startswith("Rejected")
    assert "404" in message.content
    neither = await discord.command("ingest")
    assert [(m.content, m.ephemeral) for m in await neither.answered()] == [
        ("Give exactly one of url, text or file.", True)
    ]
    binary = Attachment("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    refused = await discord.command("ingest", file=binary)
    assert [(m.content, m.ephemeral) for m in await refused.answered()] == [
        ("Rejected: photo.txt is a binary file, not text", True)
    ]
    for ix in (missing, neither, refused):
        assert not ix.deferred and nobody_else_saw_anything(ix)
    async with Newsroom(bot.db) as room:
        assert await room.articles() == []


# ------------------------------------------------------------------------------ feeds & digests


async def test_feed_commands_need_manage_server(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings], pages: str
) -> None:
    bot = await start_bot(configure())
    url = f"{pages}/feed.xml"
    # Discord hides /feed from members without Manage Server (its default permissions) ...
    with pytest.raises(PermissionError):
        await discord.command("feed add", user=READER, url=url)
    # ... and where a server's own settings show it anyway, the bot still refuses, privately.
    shown = await discord.command("feed add", user=READER, url=url, override_permissions=True)
    [refusal] = await shown.answered()
    assert (refusal.content, refusal.ephemeral) == (
        "You need the Manage Server permission to change this channel's feeds.",
        True,
    )
    assert nobody_else_saw_anything(shown)
    with pytest.raises(LookupError, match="not registered for DMs"):
        await discord.command("feed list", channel=None)

    added = await discord.command("feed add", user=EDITOR, url=url)
    [message] = await added.answered()
    assert message.content == f"Added feed 1: {url}. It will be polled shortly."
    # The running scheduler polls the new feed at once and stores its entry's page.
    await discord.until(lambda: _polled(bot.db), what="the scheduler to poll the new feed")
    async with Newsroom(bot.db) as room:
        [article] = await room.articles()
    assert article.title == "Lighthouse keepers return to Skarvik"
    listing = await discord.command("feed list", user=EDITOR)
    [listed] = await listing.answered()
    assert listed.content == "1 feed for this channel."
    assert listed.descriptions[0].startswith(f"• Feed 1: {url} — ok, last polled ")
    removed = await discord.command("feed remove", user=EDITOR, feed="1")
    assert [m.content for m in await removed.answered()] == [f"Removed feed 1: {url}."]


def _polled(db: Path) -> bool:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return bool(con.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        con.close()


async def test_digest_commands_in_a_server_need_manage_server_but_not_in_dms(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    bot = await start_bot(configure())
    refused = await discord.command("digest set", user=READER, time="08:00", timezone="UTC")
    assert [(m.content, m.ephemeral) for m in await refused.answered()] == [
        ("You need the Manage Server permission to change this channel's digest.", True)
    ]
    assert nobody_else_saw_anything(refused)

    zones = await (
        await discord.autocomplete("digest set", "timezone", "berl", user=EDITOR, time="08:00")
    ).suggested()
    assert zones == [{"name": "Europe/Berlin", "value": "Europe/Berlin"}]
    ix = await discord.command(
        "digest set", user=EDITOR, time="08:00", timezone="Europe/Berlin", topics="ferry, harbour"
    )
    assert [m.content for m in await ix.answered()] == [
        "Daily digest for this channel set to 08:00 (Europe/Berlin) on ferry, harbour."
    ]
    show = await discord.command("digest show", user=READER)
    assert [m.content for m in await show.answered()] == [
        "Daily digest for this channel at 08:00 (Europe/Berlin) on ferry, harbour."
    ]
    assert not show.deferred

    mine = await discord.command(
        "digest set", user=READER, channel=None, time="07:30", timezone="UTC"
    )
    assert [m.content for m in await mine.answered()] == [
        "Daily digest for you set to 07:30 (UTC)."
    ]
    bad = await discord.command(
        "digest set", user=READER, channel=None, time="25:00", timezone="UTC"
    )
    [error] = await bad.answered()
    assert error.ephemeral and nobody_else_saw_anything(bad)
    await discord.idle()
    async with Newsroom(bot.db) as room:
        channel = await room.digest(f"channel:{BRIEFINGS}")
        user = await room.digest(f"user:{READER}")
    assert channel is not None and (channel.local_time, channel.topics) == (
        "08:00",
        ("ferry", "harbour"),
    )
    assert user is not None and (user.local_time, user.timezone) == ("07:30", "UTC")
    # The running scheduler was told at once: both digests have a job.
    assert {f"digest:{channel.id}", f"digest:{user.id}"} <= set(bot.client.scheduler.jobs())
