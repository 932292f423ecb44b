# Commands are called as `Cog.command.callback(cog, fake_interaction, ...)`; mypy cannot see
# that a fake is an Interaction, nor the arguments of a decorated callback.
# mypy: disable-error-code="arg-type, call-arg, misc"
"""Slash-command callbacks with fake interactions against a real Newsroom on a temp database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import FakeAttachment, FakeInteraction, FakeUser
from sample_news import QUAY_UNION, add_quay_story, add_union_article, advance, open_room

from bot import render
from bot.cogs import common
from bot.cogs.briefings import BriefingsCog
from bot.cogs.digests import DigestsCog
from bot.cogs.feeds import FeedsCog
from bot.cogs.help import HelpCog
from bot.commands import Commands
from summaries.models import IngestResult
from summaries.newsroom import Newsroom

QUAY_SUMMARY = (
    "• The Port of Velmar reopened its north quay on Monday after a three-week closure."
    " — [Coast Times](https://coast.example/velmar)\n"
    "• Harbour master Ilse Varga said 40 container cranes were inspected before the reopening."
    " — [Coast Times](https://coast.example/velmar)\n"
    "• Harbour master Ilse Warga told reporters that 42 cranes had been checked."
    " — [Bay Herald](https://herald.example/velmar)\n"
    "**Where outlets disagree**\n"
    "• Name, Varga: “Ilse Varga” (Coast Times) vs “Ilse Warga” (Bay Herald)"
)


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Newsroom]:
    async with open_room(tmp_path) as opened:
        yield opened


@pytest.fixture
def cmds(room: Newsroom) -> Commands:
    return Commands(room)


# ------------------------------------------------------------------------------ briefings


async def test_a_quick_brief_is_answered_at_once_and_recorded_for_the_channel(
    room: Newsroom, cmds: Commands
) -> None:
    await add_quay_story(room)
    cog = BriefingsCog(cmds)
    interaction = FakeInteraction()
    await BriefingsCog.brief.callback(cog, interaction, None)

    assert not interaction.deferred  # ready within QUICK_ANSWER_S: one message, no "thinking…"
    (sent,) = interaction.sent
    assert (sent.via, sent.ephemeral, sent.content) == ("send_message", False, "Briefing: 1 story.")
    assert sent.titles == ["Velmar quay reopens"]
    assert sent.descriptions == [QUAY_SUMMARY]
    assert sent.embeds[0].footer.text == "Story 1 · 2 sources · /story 1 for everything"
    assert await room.store.delivery_count("channel:7001") == 1
    assert await room.store.delivery_count("user:501") == 0


async def test_a_slow_brief_defers_publicly_then_answers_as_a_follow_up(
    room: Newsroom, cmds: Commands, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "QUICK_ANSWER_S", 0.0)  # nothing is quick enough
    await add_quay_story(room)
    interaction = FakeInteraction()
    await BriefingsCog.brief.callback(BriefingsCog(cmds), interaction, None)

    assert interaction.response.deferred == [{"ephemeral": False, "thinking": True}]
    (sent,) = interaction.sent
    assert (sent.via, sent.ephemeral, sent.content) == ("followup", False, "Briefing: 1 story.")
    assert sent.titles == ["Velmar quay reopens"]
    assert await room.store.delivery_count("channel:7001") == 1


async def test_a_command_that_already_waited_is_deferred_at_once(
    room: Newsroom, cmds: Commands
) -> None:
    """Time spent before the bot saw the interaction counts against the quick-answer time."""
    await add_quay_story(room)
    interaction = FakeInteraction()
    interaction.created_at = datetime.now(UTC) - timedelta(seconds=1)  # type: ignore[attr-defined]
    await BriefingsCog.brief.callback(BriefingsCog(cmds), interaction, None)
    assert interaction.response.deferred == [{"ephemeral": False, "thinking": True}]
    assert [s.via for s in interaction.sent] == ["followup"]


async def test_whatsnew_after_brief_shows_only_the_new_article(
    room: Newsroom, cmds: Commands
) -> None:
    await add_quay_story(room)
    cog = BriefingsCog(cmds)
    await BriefingsCog.brief.callback(cog, FakeInteraction(), None)
    advance(room, hours=2)
    await add_union_article(room)

    interaction = FakeInteraction()
    await BriefingsCog.whatsnew.callback(cog, interaction, None)
    (sent,) = interaction.sent
    assert sent.content == "What's new: 1 story."
    description = sent.descriptions[0]
    assert description.startswith(
        "**New since your last briefing**\n"
        "• A dockworkers' union in Velmar called for an independent safety review on Tuesday."
        " — [Dock Daily](https://dock.example/u)\n"
        "• The union said the crane that collapsed had missed two scheduled inspections."
        " — [Dock Daily](https://dock.example/u)"
    )
    assert "Coast Times](" not in description.split("**Where outlets disagree**")[0]

    # Shown once: asking again right away has nothing new.
    again = FakeInteraction()
    await BriefingsCog.whatsnew.callback(cog, again, None)
    assert [s.content for s in again.sent] == ["Nothing new since your last briefing."]


async def test_in_dms_the_baseline_is_the_users_own(room: Newsroom, cmds: Commands) -> None:
    await add_quay_story(room)
    cog = BriefingsCog(cmds)
    dm = FakeInteraction(guild=None, user=FakeUser(id=42))
    await BriefingsCog.brief.callback(cog, dm, None)
    assert dm.sent[0].content == "Briefing: 1 story."
    assert await room.store.delivery_count("user:42") == 1
    assert await room.store.delivery_count("channel:7001") == 0


async def test_unknown_story_is_a_private_error(room: Newsroom, cmds: Commands) -> None:
    await add_quay_story(room)
    interaction = FakeInteraction()
    await BriefingsCog.story.callback(BriefingsCog(cmds), interaction, 99)
    assert not interaction.deferred  # no public "thinking…" before a private error
    (sent,) = interaction.sent
    assert (sent.via, sent.content, sent.ephemeral, sent.embeds) == (
        "send_message",
        "no story with id 99",
        True,
        [],
    )
    assert await room.store.delivery_count() == 0


async def test_story_shows_sources_and_autocomplete_suggests_titles(
    room: Newsroom, cmds: Commands
) -> None:
    await add_quay_story(room)
    cog = BriefingsCog(cmds)
    interaction = FakeInteraction()
    await BriefingsCog.story.callback(cog, interaction, 1)
    (sent,) = interaction.sent
    assert sent.descriptions[0].endswith(
        "**Sources**\n"
        "• Velmar quay reopens — [Coast Times](https://coast.example/velmar)\n"
        "• North quay open again — [Bay Herald](https://herald.example/velmar)"
    )
    choices = await cog.story_autocomplete(FakeInteraction(), "quay")
    assert [(c.name, c.value) for c in choices] == [("1 · Velmar quay reopens", 1)]
    assert await cog.story_autocomplete(FakeInteraction(), "volcano") == []


async def test_search_finds_articles(room: Newsroom, cmds: Commands) -> None:
    await add_quay_story(room)
    interaction = FakeInteraction()
    await BriefingsCog.search.callback(BriefingsCog(cmds), interaction, "cranes")
    (sent,) = interaction.sent
    assert "Something went wrong" not in (sent.content or "")
    assert sent.titles == ["Search: cranes"]
    assert "Article 1: Velmar quay reopens (story 1)" in sent.descriptions[0]


# ------------------------------------------------------------------------------ ingest


async def test_ingest_needs_exactly_one_input(cmds: Commands) -> None:
    interaction = FakeInteraction()
    await BriefingsCog.ingest.callback(BriefingsCog(cmds), interaction)
    assert not interaction.deferred
    assert [(s.via, s.content, s.ephemeral) for s in interaction.sent] == [
        ("send_message", "Give exactly one of url, text or file.", True)
    ]


async def test_ingest_text_and_file(room: Newsroom, cmds: Commands) -> None:
    cog = BriefingsCog(cmds)
    pasted = FakeInteraction()
    await BriefingsCog.ingest.callback(cog, pasted, text=QUAY_UNION, title="Union wants review")
    assert [s.content for s in pasted.sent] == [
        "Stored “Union wants review” as article 1 (story 1)."
    ]

    again = FakeInteraction()
    await BriefingsCog.ingest.callback(cog, again, text=QUAY_UNION)
    assert again.sent[0].content is not None
    assert again.sent[0].content.startswith("Duplicate: ")

    upload = FakeInteraction()
    data = (
        b"Harbour fees\n\nVelmar raised its harbour fees by 4 percent on Friday, the port said."
        b" Two shipping lines objected and asked the town council to review the increase."
    )
    await BriefingsCog.ingest.callback(cog, upload, file=FakeAttachment("fees.txt", data))
    assert upload.sent[0].content is not None
    assert upload.sent[0].content.startswith("Stored “Harbour fees” as article 2")
    assert len(await room.articles()) == 2


async def test_ingest_refuses_a_file_over_the_limit(cmds: Commands) -> None:
    interaction = FakeInteraction()
    big = FakeAttachment("huge.txt", b"x" * (cmds.room.config.max_file_bytes + 1))
    await BriefingsCog.ingest.callback(BriefingsCog(cmds), interaction, file=big)
    assert interaction.sent[0].content == "huge.txt is too large (limit 5 MB)."
    assert interaction.sent[0].ephemeral


# ------------------------------------------------------------------------------ feeds


async def test_feed_add_requires_manage_server(room: Newsroom, cmds: Commands) -> None:
    interaction = FakeInteraction(manage_guild=False)
    await FeedsCog.feed_add.callback(FeedsCog(cmds), interaction, "https://coast.example/rss")
    assert [(s.content, s.ephemeral) for s in interaction.sent] == [
        ("You need the Manage Server permission to change this channel's feeds.", True)
    ]
    assert await room.feeds() == []


async def test_feed_add_list_remove_for_this_channel(room: Newsroom, cmds: Commands) -> None:
    cog = FeedsCog(cmds)
    add = FakeInteraction(manage_guild=True)
    await FeedsCog.feed_add.callback(cog, add, "https://coast.example/rss")
    assert (
        add.sent[-1].content
        == "Added feed 1: https://coast.example/rss. It will be polled shortly."
    )
    (feed,) = await room.feeds()
    assert feed.audience == "channel:7001"

    listing = FakeInteraction(manage_guild=True)
    await FeedsCog.feed_list.callback(cog, listing)
    assert listing.sent[0].content == "1 feed for this channel."
    assert listing.sent[0].descriptions == ["• Feed 1: https://coast.example/rss — not polled yet"]

    other_channel = FakeInteraction(manage_guild=True, channel=None)
    other_channel.channel.id = 7002
    await FeedsCog.feed_remove.callback(cog, other_channel, "1")
    assert other_channel.sent[0].content == "no feed with id 1 here"
    assert other_channel.sent[0].ephemeral

    remove = FakeInteraction(manage_guild=True)
    await FeedsCog.feed_remove.callback(cog, remove, "1")
    assert remove.sent[0].content == "Removed feed 1: https://coast.example/rss."
    assert await room.feeds() == []


async def test_feed_add_rejects_a_bad_url(room: Newsroom, cmds: Commands) -> None:
    interaction = FakeInteraction(manage_guild=True)
    await FeedsCog.feed_add.callback(FeedsCog(cmds), interaction, "ftp://coast.example/rss")
    (sent,) = interaction.sent
    assert sent.ephemeral and sent.content
    assert await room.feeds() == []


# ------------------------------------------------------------------------------ digests


async def test_digest_set_validates_timezone_and_needs_permission_in_servers(
    room: Newsroom, cmds: Commands
) -> None:
    cog = DigestsCog(cmds)
    no_perm = FakeInteraction(manage_guild=False)
    await DigestsCog.digest_set.callback(cog, no_perm, "08:00", "Europe/Paris", None)
    assert no_perm.sent[0].content == (
        "You need the Manage Server permission to change this channel's digest."
    )

    bad = FakeInteraction(manage_guild=True)
    await DigestsCog.digest_set.callback(cog, bad, "08:00", "Europe/Pariss", None)
    assert bad.sent[0].content == (
        "unknown timezone “Europe/Pariss”: use an IANA name such as Europe/Berlin"
    )
    assert bad.sent[0].ephemeral
    assert await room.digest("channel:7001") is None

    good = FakeInteraction(manage_guild=True)
    await DigestsCog.digest_set.callback(cog, good, "7:30", "Europe/Paris", "velmar, cranes")
    assert good.sent[0].content == (
        "Daily digest for this channel set to 07:30 (Europe/Paris) on velmar, cranes."
    )
    sub = await room.digest("channel:7001")
    assert sub is not None
    assert (sub.local_time, sub.timezone, sub.topics) == (
        "07:30",
        "Europe/Paris",
        ("velmar", "cranes"),
    )

    show = FakeInteraction()  # anyone may look
    await DigestsCog.digest_show.callback(cog, show)
    assert show.sent[0].content == (
        "Daily digest for this channel at 07:30 (Europe/Paris) on velmar, cranes."
    )


async def test_in_dms_the_digest_is_the_users_own(room: Newsroom, cmds: Commands) -> None:
    cog = DigestsCog(cmds)
    dm = FakeInteraction(guild=None, user=FakeUser(id=42))
    await DigestsCog.digest_set.callback(cog, dm, "06:00", "Asia/Tokyo", None)
    assert dm.sent[0].content == "Daily digest for you set to 06:00 (Asia/Tokyo)."
    off = FakeInteraction(guild=None, user=FakeUser(id=42))
    await DigestsCog.digest_off.callback(cog, off)
    assert off.sent[0].content == "Daily digest for you turned off."
    sub = await room.digest("user:42")
    assert sub is not None and not sub.enabled


async def test_digest_preview_records_nothing(room: Newsroom, cmds: Commands) -> None:
    await add_quay_story(room)
    cog = DigestsCog(cmds)
    await DigestsCog.digest_set.callback(
        cog, FakeInteraction(manage_guild=True), "08:00", "UTC", None
    )
    preview = FakeInteraction()
    await DigestsCog.digest_preview.callback(cog, preview)
    assert preview.sent[0].content == "Preview of the digest:\nWhat's new: 1 story."
    assert await room.store.delivery_count("channel:7001") == 0


async def test_timezone_autocomplete_is_capped_and_matches(cmds: Commands) -> None:
    cog = DigestsCog(cmds)
    paris = await cog.timezone_autocomplete(FakeInteraction(), "paris")
    assert [c.value for c in paris] == ["Europe/Paris"]
    everything = await cog.timezone_autocomplete(FakeInteraction(), "")
    assert len(everything) == 25


# ------------------------------------------------------------------------------ help


async def test_help_is_private(cmds: Commands) -> None:
    interaction = FakeInteraction()
    await HelpCog.help.callback(HelpCog(cmds), interaction)
    (sent,) = interaction.sent
    assert sent.ephemeral and sent.via == "send_message"
    assert sent.content == "briefbot keeps track of news stories and tells you what is new."
    assert sent.titles == ["briefbot help"]
    assert sent.descriptions[0].startswith("• /brief [topic] — the current briefing")


# ------------------------------------------------------------------------------ live scheduler


class RecordingScheduler:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def refresh_subscription(self, audience: str) -> None:
        self.calls.append(("subscription", audience))

    async def refresh_feed(self, feed_id: int) -> None:
        self.calls.append(("feed", feed_id))


class BotWithScheduler:
    def __init__(self) -> None:
        self.scheduler = RecordingScheduler()


async def test_changes_reach_a_running_scheduler_at_once(cmds: Commands) -> None:
    client = BotWithScheduler()
    await FeedsCog.feed_add.callback(
        FeedsCog(cmds),
        FakeInteraction(manage_guild=True, client=client),
        "https://coast.example/rss",
    )
    await FeedsCog.feed_remove.callback(
        FeedsCog(cmds), FakeInteraction(manage_guild=True, client=client), "1"
    )
    await DigestsCog.digest_set.callback(
        DigestsCog(cmds), FakeInteraction(manage_guild=True, client=client), "08:00", "UTC", None
    )
    await DigestsCog.digest_set.callback(  # refused: nothing to refresh
        DigestsCog(cmds), FakeInteraction(manage_guild=True, client=client), "25:00", "UTC", None
    )
    assert client.scheduler.calls == [
        ("feed", 1),
        ("feed", 1),
        ("subscription", "channel:7001"),
    ]


# ------------------------------------------------------------------------------ long answers


async def test_a_long_answer_paginates_into_follow_ups_and_is_recorded_once(
    room: Newsroom, cmds: Commands
) -> None:
    from bot.cogs.common import answer
    from bot.render import Card, Line, Reply
    from summaries.models import Briefing

    sentence = "The harbour board met again to discuss the quay. " * 70  # ~3,500 characters
    cards = tuple(
        Card(title=f"Story {n}", lines=(Line(sentence, "Coast Times", "https://coast.example/a"),))
        for n in range(12)
    )
    await add_quay_story(room)
    brief = await room.story(1)
    shown = Briefing(audience="channel:7001", generated_at=room.clock(), stories=(brief,))
    interaction = FakeInteraction()
    await interaction.response.defer(thinking=True)
    await answer(
        interaction, Reply(text="Briefing: 12 stories.", cards=cards, briefing=shown), cmds
    )

    assert [s.via for s in interaction.sent] == ["followup"] * 12  # one ~3,500-char embed each
    assert interaction.sent[0].content == "Briefing: 12 stories."
    assert [t for s in interaction.sent for t in s.titles] == [f"Story {n}" for n in range(12)]
    assert await room.store.delivery_count("channel:7001") == 1


async def test_a_rejected_ingest_is_answered_privately(room: Newsroom, cmds: Commands) -> None:
    interaction = FakeInteraction()
    blob = FakeAttachment("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    await BriefingsCog.ingest.callback(BriefingsCog(cmds), interaction, file=blob)
    assert not interaction.deferred  # the refusal is private from the start
    [sent] = interaction.sent
    assert sent.ephemeral and sent.via == "send_message"
    assert sent.content == "Rejected: photo.txt is a binary file, not text"
    assert await room.articles() == []


def test_a_feed_whose_every_entry_was_rejected_is_an_error() -> None:
    results = [
        IngestResult(input=f"https://coast.example/{n}", status="rejected", reason="no article")
        for n in (1, 2)
    ]
    reply = render.ingest_reply(results)
    assert reply.error and reply.text == "2 rejected."
    stored = IngestResult(input="https://coast.example/3", status="stored", article_id=1)
    assert not render.ingest_reply([*results, stored]).error
