# mypy: disable-error-code="arg-type"
"""The Discord client: command tree, DMs, error replies, posting digests, start-up checks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
from discord import app_commands
from discord.gateway import DiscordWebSocket
from fakes import (
    FakeChannel,
    FakeClient,
    FakeInteraction,
    FakeMessage,
    FakeUser,
    forbidden,
    not_found,
)
from sample_news import START, add_quay_story, open_room

from bot.commands import Commands
from bot.delivery import DeliveryFailed
from bot.discord_app import (
    SOMETHING_WENT_WRONG,
    BriefBot,
    bot_intents,
    explain_error,
    handle_dm,
    post_briefing,
    run_bot,
    sync_commands,
    use_endpoints,
)
from summaries.errors import InvalidInput
from summaries.models import Briefing
from summaries.newsroom import Newsroom


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Newsroom]:
    async with open_room(tmp_path) as opened:
        yield opened


@dataclass(frozen=True)
class _Settings:
    db_path: Path
    discord_token: str | None = None
    dev_guild_id: int | None = None
    core: None = None


# ------------------------------------------------------------------------------ the bot


async def test_command_tree_is_complete_and_within_discords_rules(room: Newsroom) -> None:
    bot = BriefBot(room)
    await bot.setup_hook()
    commands = {c.name: c for c in bot.tree.get_commands()}
    assert sorted(commands) == [
        "brief",
        "digest",
        "feed",
        "help",
        "ingest",
        "search",
        "story",
        "whatsnew",
    ]
    feed = commands["feed"]
    assert isinstance(feed, app_commands.Group)
    assert feed.guild_only
    assert feed.default_permissions == discord.Permissions(manage_guild=True)
    assert sorted(c.name for c in feed.commands) == ["add", "list", "remove"]
    digest = commands["digest"]
    assert isinstance(digest, app_commands.Group)
    assert not digest.guild_only  # DMs: the user's own digest
    assert sorted(c.name for c in digest.commands) == ["off", "preview", "set", "show"]
    for command in bot.tree.walk_commands():
        assert 1 <= len(command.description) <= 100, command.qualified_name
        command.to_dict(bot.tree)  # what sync would send; raises on invalid options
    await bot.close()


def test_intents_are_minimal() -> None:
    intents = bot_intents()
    assert intents.guilds and intents.dm_messages
    assert not intents.message_content and not intents.members and not intents.guild_messages
    assert not intents.presences


async def test_the_bot_ignores_server_messages_and_other_bots(room: Newsroom) -> None:
    bot = BriefBot(room)
    in_server = FakeMessage("brief me", guild=object())  # type: ignore[arg-type]
    from_bot = FakeMessage("brief me", author=FakeUser(id=9, bot=True))
    await bot.on_message(in_server)  # type: ignore[arg-type]
    await bot.on_message(from_bot)  # type: ignore[arg-type]
    assert in_server.channel.sent == [] and from_bot.channel.sent == []
    await bot.close()


# ------------------------------------------------------------------------------ DMs


async def test_a_dm_question_is_answered_from_the_users_baseline(room: Newsroom) -> None:
    await add_quay_story(room)
    cmds = Commands(room)
    first = FakeMessage("what's new on velmar?", author=FakeUser(id=77))
    await handle_dm(cmds, first)
    (sent,) = first.channel.sent
    assert sent.content == "What's new on “velmar”: 1 story."
    assert sent.titles == ["Velmar quay reopens"]
    assert await room.store.delivery_count("user:77") == 1

    again = FakeMessage("whats new on velmar", author=FakeUser(id=77))
    await handle_dm(cmds, again)
    assert [s.content for s in again.channel.sent] == [
        "Nothing new on “velmar” since your last briefing."
    ]
    # Another user has their own baseline.
    other = FakeMessage("what's new on velmar?", author=FakeUser(id=78))
    await handle_dm(cmds, other)
    assert other.channel.sent[0].content == "What's new on “velmar”: 1 story."


async def test_a_dm_for_a_story_and_an_unknown_request(room: Newsroom) -> None:
    await add_quay_story(room)
    cmds = Commands(room)
    story = FakeMessage("story 1")
    await handle_dm(cmds, story)
    assert story.channel.sent[0].titles == ["Velmar quay reopens"]

    unknown = FakeMessage("banana")
    await handle_dm(cmds, unknown)
    (sent,) = unknown.channel.sent
    assert sent.content == "Sorry, I did not understand “banana”. Try one of these:"
    assert sent.descriptions == [
        "• “what's new on north korea?”\n"
        "• “brief me on lavrov”\n"
        "• “story 12”\n"
        "• “search pipeline”\n"
        "• “help”\n"
        "Slash commands work here too: /brief, /story, /digest set …"
    ]


async def test_a_dm_that_cannot_be_answered_is_logged_not_raised(
    room: Newsroom, caplog: pytest.LogCaptureFixture
) -> None:
    message = FakeMessage("help", channel=FakeChannel(id=5, fail_with=forbidden(50007)))
    with caplog.at_level(logging.WARNING):
        await handle_dm(Commands(room), message)
    assert "could not answer the DM of user 501" in caplog.text


# ------------------------------------------------------------------------------ errors


async def test_unexpected_errors_become_a_short_private_reply_and_a_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    interaction = FakeInteraction()
    await interaction.response.defer(thinking=True)
    boom = app_commands.CommandInvokeError(
        app_commands.Command(name="brief", description="x", callback=_noop),
        RuntimeError("database is locked"),
    )
    with caplog.at_level(logging.ERROR):
        await explain_error(interaction, boom)
    assert [(s.content, s.ephemeral) for s in interaction.sent] == [(SOMETHING_WENT_WRONG, True)]
    assert "database is locked" in caplog.text
    assert "user=501 guild=9001 channel=7001" in caplog.text


async def test_missing_permission_errors_are_explained() -> None:
    interaction = FakeInteraction()
    await explain_error(interaction, app_commands.MissingPermissions(["manage_guild"]))
    assert [(s.via, s.content, s.ephemeral) for s in interaction.sent] == [
        ("send_message", "You need the Manage Server permission for this.", True)
    ]


async def _noop(interaction: discord.Interaction) -> None:
    return None


# ------------------------------------------------------------------------------ posting digests


def _briefing(room: Newsroom, audience: str) -> Briefing:
    return Briefing(audience=audience, generated_at=START, stories=())


async def test_post_briefing_to_a_channel_and_a_user(room: Newsroom) -> None:
    await add_quay_story(room)
    briefing = await room.whats_new("channel:7001")
    client = FakeClient()
    client.channels[7001] = FakeChannel(id=7001)
    await post_briefing(client, "channel:7001", briefing)
    (sent,) = client.channels[7001].sent
    assert sent.content == "Daily digest: 1 story."
    assert sent.titles == ["Velmar quay reopens"]

    client.users[42] = FakeChannel(id=42)
    await post_briefing(client, "user:42", _briefing(room, "user:42"))
    assert [s.content for s in client.users[42].sent] == ["Nothing new since your last briefing."]


@pytest.mark.parametrize(
    ("audience", "error", "reason", "permanent"),
    [
        (
            "channel:7001",
            forbidden(),
            "missing permission to post in channel 7001 "
            "(needs View Channel, Send Messages, Embed Links)",
            True,
        ),
        (
            "channel:7001",
            not_found(),
            "channel 7001 not found (deleted, or the bot was removed)",
            True,
        ),
        (
            "user:42",
            forbidden(50007, "Cannot send messages to this user"),
            "user 42 does not accept direct messages from the bot",
            True,
        ),
    ],
)
async def test_post_briefing_failures_are_one_clear_reason(
    room: Newsroom, audience: str, error: discord.HTTPException, reason: str, permanent: bool
) -> None:
    client = FakeClient()
    client.fetch_error = error
    with pytest.raises(DeliveryFailed) as failed:
        await post_briefing(client, audience, _briefing(room, audience))
    assert (failed.value.reason, failed.value.permanent) == (reason, permanent)


async def test_post_briefing_refuses_a_cli_audience(room: Newsroom) -> None:
    with pytest.raises(DeliveryFailed, match="cli:shell is not a Discord channel or user"):
        await post_briefing(FakeClient(), "cli:shell", _briefing(room, "cli:shell"))


# ------------------------------------------------------------------------------ start-up


async def test_run_without_a_token_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await run_bot(_Settings(db_path=tmp_path / "x.db"))
    assert code == 2
    err = capsys.readouterr().err
    assert err == (
        "briefbot: no Discord token: set BRIEFBOT_DISCORD_TOKEN to your bot's token "
        "(Developer Portal → your app → Bot → Reset Token)\n"
    )
    assert not (tmp_path / "x.db").exists()  # nothing was opened


async def test_sync_without_a_token_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no Discord token: set BRIEFBOT_DISCORD_TOKEN"):
        await sync_commands(_Settings(db_path=tmp_path / "x.db"), None)


def test_endpoints_follow_the_settings_and_return_to_discord_without_them(
    tmp_path: Path,
) -> None:
    @dataclass(frozen=True)
    class _Local(_Settings):
        discord_api_base_url: str | None = "http://127.0.0.1:8300/api/v10"
        discord_gateway_url: str | None = "ws://127.0.0.1:8300/"

    use_endpoints(_Local(db_path=tmp_path / "x.db"))
    assert discord.http.Route.BASE == "http://127.0.0.1:8300/api/v10"
    assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:8300/api/v10/users/@me"
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:8300/"
    use_endpoints(_Settings(db_path=tmp_path / "x.db"))
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"
