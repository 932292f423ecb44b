"""Messages the bot sends on its own or in DMs through the real stack: plain-words DMs, scheduled
digests (and the channels and users they cannot reach), Discord's rate limits, gateway
reconnects, answers longer than any one message, and stopping with answers in flight."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from news import add_ferry_story, add_long_stories
from standin import (
    BRIEFINGS,
    CLOSED_DMS,
    EDITOR,
    HIDDEN,
    NO_EMBEDS,
    READ_ONLY,
    READER,
    DiscordStandIn,
    Message,
    validate_message,
)

from bot.settings import Settings
from summaries.newsroom import Newsroom


def _rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _body(message: Message) -> dict[str, Any]:
    return {"content": message.content, "embeds": message.embeds}


# ------------------------------------------------------------------------------ DMs


async def test_plain_words_in_a_dm_are_answered_in_the_dm(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    await add_ferry_story(settings.db_path)
    bot = await start_bot(settings)

    await discord.dm(READER, "what's new on the ferry strike?")
    await discord.until(lambda: len(discord.dms_to(READER)) == 1, what="the DM answer")
    [answer] = discord.dms_to(READER)
    assert answer.content == "What's new on “ferry strike”: 1 story."
    assert answer.titles == ["Oskarholm ferry crews strike"]
    dm = discord.dm_channel_of(READER)
    assert dm is not None
    assert any(c.path == f"/api/v10/channels/{dm.id}/typing" for c in discord.calls)

    await discord.dm(READER, "banana")
    await discord.until(lambda: len(discord.dms_to(READER)) == 2, what="the second answer")
    assert discord.dms_to(READER)[1].content == (
        "Sorry, I did not understand “banana”. Try one of these:"
    )
    await discord.dm(READER, "story 1")
    await discord.until(lambda: len(discord.dms_to(READER)) == 3, what="the story")
    assert discord.dms_to(READER)[2].titles == ["Oskarholm ferry crews strike"]
    await discord.idle()
    # Another user asking the same gets the story as new: every user has their own baseline.
    await discord.dm(EDITOR, "whats new on ferry strike")
    await discord.until(lambda: len(discord.dms_to(EDITOR)) == 1, what="the editor's answer")
    assert discord.dms_to(EDITOR)[0].content == "What's new on “ferry strike”: 1 story."
    await discord.idle()
    assert _rows(bot.db, "SELECT audience, count(*) FROM deliveries GROUP BY audience") == [
        (f"user:{READER}", 2),
        (f"user:{EDITOR}", 1),
    ]


# ------------------------------------------------------------------------------ digests


async def _subscribe(db: Path, audience: str, when: datetime) -> None:
    """A digest at `when`'s UTC time of day, set up two days ago (so today's run is due)."""
    async with Newsroom(db, clock=lambda: when - timedelta(days=2)) as room:
        await room.set_digest(audience, local_time=when.strftime("%H:%M"), timezone="UTC")


async def test_a_scheduled_digest_is_posted_to_the_channel_exactly_once(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    await _subscribe(settings.db_path, f"channel:{BRIEFINGS}", due)
    await add_ferry_story(settings.db_path)

    bot = await start_bot(settings)  # the digest was due 10 minutes ago: sent on start
    await discord.until(lambda: discord.channel_messages(BRIEFINGS), what="the digest")
    [digest] = discord.channel_messages(BRIEFINGS)
    assert digest.content.startswith("Daily digest: 1 story since ")
    assert digest.titles == ["Oskarholm ferry crews strike"]
    assert digest.interaction_id is None  # posted to the channel, not as an answer
    await discord.idle()
    [(sub_id, scheduled)] = _rows(
        bot.db,
        "SELECT subscription_id, scheduled_for FROM deliveries WHERE audience = ?",
        (f"channel:{BRIEFINGS}",),
    )
    assert sub_id == 1 and scheduled == due.isoformat(timespec="seconds")

    await bot.stop()
    await start_bot(settings)  # restarted: the same digest is never posted twice
    await discord.idle(quiet=0.5)
    assert len(discord.channel_messages(BRIEFINGS)) == 1


async def test_digests_that_cannot_be_delivered_record_why(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    gone = BRIEFINGS
    for audience in (
        f"channel:{gone}",
        f"channel:{READ_ONLY}",
        f"channel:{HIDDEN}",
        f"user:{CLOSED_DMS}",
        f"user:{READER}",
    ):
        await _subscribe(settings.db_path, audience, due)
    await add_ferry_story(settings.db_path)
    discord.world.channel(gone).deleted = True  # type: ignore[union-attr]

    bot = await start_bot(settings)
    await discord.until(lambda: discord.dms_to(READER), what="the one deliverable digest")
    await discord.idle(quiet=0.5)
    errors = dict(_rows(bot.db, "SELECT audience, last_error FROM subscriptions"))
    assert errors == {
        f"channel:{gone}": f"channel {gone} not found (deleted, or the bot was removed)",
        f"channel:{READ_ONLY}": f"missing permission to post in channel {READ_ONLY} "
        "(needs View Channel, Send Messages, Embed Links)",
        f"channel:{HIDDEN}": f"missing permission to post in channel {HIDDEN} "
        "(needs View Channel, Send Messages, Embed Links)",
        f"user:{CLOSED_DMS}": f"user {CLOSED_DMS} does not accept direct messages from the bot",
        f"user:{READER}": None,
    }
    codes = sorted(c.code for c in discord.errors() if c.code)
    assert codes == [10003, 50001, 50007, 50013]
    assert discord.dms_to(READER)[0].content.startswith("Daily digest: 1 story since ")

    # The user whose DMs are closed can still see why in /digest show (an interaction reply).
    ix = await discord.command("digest show", user=CLOSED_DMS, channel=None)
    [shown] = await ix.answered()
    assert shown.content.startswith("Daily digest for you at ")
    assert shown.content.endswith(
        f"): user {CLOSED_DMS} does not accept direct messages from the bot"
    )
    assert "\nLast delivery failed (" in shown.content


async def test_a_digest_in_a_channel_without_embed_links_is_sent_as_text(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure()
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    await _subscribe(settings.db_path, f"channel:{NO_EMBEDS}", due)
    await add_ferry_story(settings.db_path)
    await start_bot(settings)
    await discord.until(lambda: discord.channel_messages(NO_EMBEDS), what="the digest")
    await discord.idle()
    messages = discord.channel_messages(NO_EMBEDS)
    assert not any(m.embeds_dropped or m.embeds for m in messages)  # nothing silently lost
    text = "\n".join(m.content for m in messages)
    assert text.startswith("Daily digest: 1 story since ")
    assert "\n\n**Oskarholm ferry crews strike**\n" in text
    assert "Ferry crews in the port of Oskarholm walked out on Monday" in text
    assert text.endswith("\n-# Story 1 · 2 sources · /story 1 for everything")
    assert "Ferry crews in the port of Oskarholm walked out on Monday" in text


# ------------------------------------------------------------------------------ limits


async def test_a_very_long_briefing_is_split_within_every_limit(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure(summaries={"max_stories": 12, "summary_words": 700})
    titles = await add_long_stories(settings.db_path)
    await start_bot(settings)

    ix = await discord.command("brief")
    await ix.wait(lambda i: i.refused or len(i.messages) >= 13, within=30)
    await discord.idle()
    assert ix.refused == []  # the stand-in accepted every message
    messages = ix.messages
    assert messages[0].content == "Briefing: 12 stories."
    for message in messages:
        assert validate_message(_body(message), prefix=[]) is None
        assert all(len(e.get("description", "")) <= 4096 for e in message.embeds)
    embeds = [e for m in messages for e in m.embeds]
    assert any(e["title"].endswith("(continued)") for e in embeds)  # one story over 4,096
    firsts = [e["title"] for e in embeds if not e["title"].endswith("(continued)")]
    assert len(firsts) == 12
    assert all(len(t) <= 256 for t in firsts)
    assert any(t.endswith("…") for t in firsts)  # the 300-character title, shortened
    stems = {t.split()[0] for t in titles}
    assert {t.split()[0] for t in firsts} == stems
    await discord.idle()

    # The same briefing asked for in a DM goes out as channel messages, within the same limits.
    await discord.dm(READER, "brief me")
    await discord.until(lambda: len(discord.dms_to(READER)) >= 13, within=30, what="the DMs")
    await discord.idle()
    assert discord.errors() == []


# ------------------------------------------------------------------------------ rate limits


async def test_a_429_storm_delays_answers_but_loses_and_repeats_nothing(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure(summaries={"summary_words": 700})
    await add_long_stories(settings.db_path, count=2)  # long enough for follow-ups
    await add_ferry_story(settings.db_path)
    await start_bot(settings)
    discord.rate_limit("POST", r"/channels/\d+/messages", times=4, retry_after=0.3)
    discord.rate_limit("POST", r"/webhooks/\d+/[^/]+", times=2, retry_after=0.2)
    discord.rate_limit("POST", r"/channels/\d+/typing", times=1, retry_after=0.2, is_global=True)

    users = (READER, EDITOR, CLOSED_DMS)
    for user in users:
        await discord.dm(user, "help")
    brief = await discord.command("brief", user=EDITOR)
    search = await discord.command("search", query="ferry")
    await discord.until(
        lambda: all(len(discord.dms_to(u)) == 1 for u in (READER, EDITOR)),
        within=20,
        what="both DM answers",
    )
    await brief.wait(lambda i: sum(len(m.embeds) for m in i.messages) >= 3, within=20)
    [found] = await search.answered()
    await discord.idle(quiet=0.5)
    assert brief.messages[0].content == "Briefing: 3 stories."
    assert len(brief.followups) >= 2 and brief.refused == []
    assert [len(discord.dms_to(u)) for u in users] == [1, 1, 0]  # 504 does not accept DMs
    assert found.content.startswith("2 articles and 1 story match “ferry”")
    limited = [c for c in discord.calls if c.status == 429]
    assert sum(1 for c in limited if c.path.endswith("/messages")) >= 4
    assert sum(1 for c in limited if "/webhooks/" in c.path) == 2
    assert discord.early_retries() == 0  # every retry waited for Retry-After


# ------------------------------------------------------------------------------ the gateway


async def test_the_gateway_reconnects_and_resumes_without_losing_events(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    discord.heartbeat_interval_ms = 250
    settings = configure()
    await add_ferry_story(settings.db_path)
    await start_bot(settings)
    [session] = discord.sessions.values()
    await discord.until(lambda: discord.heartbeats >= 3, what="heartbeats")

    await discord.send_reconnect()  # op 7
    await discord.dm(READER, "help")  # dispatched while the bot reconnects
    await discord.until(lambda: discord.dms_to(READER), what="the DM after the resume")
    assert [r["session_id"] for r in discord.resumes] == [session.id]
    assert discord.gateway_paths == ["/", "/resume/"]  # READY's resume_gateway_url
    assert len(discord.identifies) == 1

    await discord.drop_connection()  # the connection breaks: resumed again
    await discord.until(lambda: len(discord.resumes) == 2 and discord.connected, what="resume")
    ix = await discord.command("brief")
    assert [m.content for m in await ix.answered()] == ["Briefing: 1 story."]
    await discord.idle()  # recorded once shown

    await discord.invalidate_session(resumable=True)  # op 9, resumable: resumed once more
    await discord.until(lambda: len(discord.resumes) == 3 and discord.connected, what="resume")
    later = await discord.command("whatsnew")
    assert [m.content for m in await later.answered()] == ["Nothing new since your last briefing."]
    assert len(discord.identifies) == 1
    beats = discord.heartbeats
    await discord.until(lambda: discord.heartbeats > beats, what="heartbeats after resuming")


async def test_an_invalid_session_is_identified_afresh(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    await start_bot(configure())
    await discord.invalidate_session(resumable=False)  # op 9: the session is gone
    # discord.py waits 5 s before identifying again (its own pacing of IDENTIFY).
    await discord.until(
        lambda: len(discord.identifies) == 2 and discord.connected, within=20, what="identify"
    )
    ix = await discord.command("help")
    assert [m.titles for m in await ix.answered()] == [["briefbot help"]]


async def test_a_rejected_token_stops_run_with_exit_code_2(
    discord: DiscordStandIn, configure: Callable[..., Settings], capsys: Any
) -> None:
    from bot.discord_app import run_bot

    discord.token = "the-portal-reset-it"
    assert await asyncio.wait_for(run_bot(configure()), timeout=20) == 2
    assert capsys.readouterr().err == (
        "briefbot: Discord rejected the token in BRIEFBOT_DISCORD_TOKEN\n"
    )


# ------------------------------------------------------------------------------ stopping


async def test_stopping_with_answers_in_flight_finishes_them_cleanly(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    settings = configure(summaries={"max_stories": 12, "summary_words": 200})
    await add_long_stories(settings.db_path, count=8)
    bot = await start_bot(settings)
    # Slow answers: follow-ups and DM messages are rate limited now and then.
    discord.rate_limit("POST", r"/webhooks/\d+/[^/]+", times=3, retry_after=0.25)
    discord.rate_limit("POST", r"/channels/\d+/messages", times=3, retry_after=0.25)
    ix = await discord.command("brief")
    await discord.dm(READER, "brief me")
    await ix.answered(1)
    dm_typing = f"/api/v10/channels/{discord.dm_channel_of(READER).id}/typing"  # type: ignore[union-attr]
    await discord.until(lambda: any(c.path == dm_typing for c in discord.calls), what="typing")
    await bot.stop()  # Ctrl-C while follow-ups and the DM answer are still going out

    assert bot.task.cancelled()
    assert ix.refused == []
    # Every story reached the channel and the DM, and both briefings were recorded.
    assert sum(len(m.embeds) for m in ix.messages) == 8
    assert sum(len(m.embeds) for m in discord.dms_to(READER)) == 8
    assert sorted(_rows(bot.db, "SELECT audience FROM deliveries")) == [
        (f"channel:{BRIEFINGS}",),
        (f"user:{READER}",),
    ]


async def test_while_stopping_new_requests_are_told_to_come_back(
    discord: DiscordStandIn, start_bot: Any, configure: Callable[..., Settings]
) -> None:
    bot = await start_bot(configure())
    bot.client.stopping = True  # as during close(): answers in flight finish, new ones wait
    ix = await discord.command("help")
    assert [(m.content, m.ephemeral) for m in await ix.answered()] == [
        ("briefbot is restarting; please try again in a minute.", True)
    ]
    typing = await discord.autocomplete("story", "story", "fer")
    assert await typing.suggested() == []
    await discord.dm(READER, "brief me")
    await discord.until(lambda: discord.dms_to(READER), what="the DM answer")
    assert [m.content for m in discord.dms_to(READER)] == [
        "briefbot is restarting; please try again in a minute."
    ]
    bot.client.stopping = False
