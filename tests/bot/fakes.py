"""Hand-written fakes of the discord.py objects our callbacks touch.

They record what a user would see (deferrals, messages, embeds, ephemeral flags) so tests can
assert it exactly. Autospec mocks would miss properties such as `response.is_done()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import discord


@dataclass
class Sent:
    """One message a user sees: how it was sent, its text, embeds and visibility."""

    via: str  # "send_message", "followup", "channel", "dm"
    content: str | None
    embeds: list[discord.Embed]
    ephemeral: bool = False

    @property
    def titles(self) -> list[str]:
        return [e.title or "" for e in self.embeds]

    @property
    def descriptions(self) -> list[str]:
        return [e.description or "" for e in self.embeds]


class FakeResponse:
    def __init__(self, log: list[Sent]) -> None:
        self._log = log
        self._done = False
        self.deferred: list[dict[str, Any]] = []

    def is_done(self) -> bool:
        return self._done

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        if self._done:
            raise discord.InteractionResponded(None)  # type: ignore[arg-type]
        self._done = True
        self.deferred.append({"ephemeral": ephemeral, "thinking": thinking})

    async def send_message(
        self,
        content: str | None = None,
        *,
        embed: discord.Embed | None = None,
        embeds: list[discord.Embed] | None = None,
        ephemeral: bool = False,
        allowed_mentions: discord.AllowedMentions | None = None,
        **_: Any,
    ) -> None:
        if self._done:
            raise discord.InteractionResponded(None)  # type: ignore[arg-type]
        self._done = True
        all_embeds = list(embeds or []) + ([embed] if embed else [])
        self._log.append(Sent("send_message", content, all_embeds, ephemeral))

    async def autocomplete(self, choices: list[Any]) -> None:
        self._done = True
        self._log.append(Sent("autocomplete", None, [], False))


class FakeWebhook:
    def __init__(self, log: list[Sent], response: FakeResponse) -> None:
        self._log = log
        self._response = response

    async def send(
        self,
        content: str | None = None,
        *,
        embed: discord.Embed | None = None,
        embeds: list[discord.Embed] | None = None,
        ephemeral: bool = False,
        allowed_mentions: discord.AllowedMentions | None = None,
        **_: Any,
    ) -> None:
        if not self._response.is_done():
            raise AssertionError("followup.send before the interaction was answered or deferred")
        all_embeds = list(embeds or []) + ([embed] if embed else [])
        self._log.append(Sent("followup", content, all_embeds, ephemeral))


@dataclass
class FakeUser:
    id: int = 501
    name: str = "reader"
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def __str__(self) -> str:
        return self.name


@dataclass
class FakeGuild:
    id: int = 9001
    name: str = "Newsdesk"


class _Typing:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


@dataclass
class FakeChannel:
    """A text channel or a DM channel; `send` records what was posted."""

    id: int = 7001
    name: str = "briefings"
    sent: list[Sent] = field(default_factory=list)
    fail_with: BaseException | None = None

    def typing(self) -> _Typing:
        return _Typing()

    async def send(
        self,
        content: str | None = None,
        *,
        embed: discord.Embed | None = None,
        embeds: list[discord.Embed] | None = None,
        allowed_mentions: discord.AllowedMentions | None = None,
        **_: Any,
    ) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        all_embeds = list(embeds or []) + ([embed] if embed else [])
        self.sent.append(Sent("channel", content, all_embeds))


class FakeInteraction:
    """A slash-command interaction in a guild channel (default) or a DM (`guild=None`)."""

    def __init__(
        self,
        *,
        user: FakeUser | None = None,
        channel: FakeChannel | None = None,
        guild: FakeGuild | None = FakeGuild(),  # noqa: B008 - immutable enough for tests
        manage_guild: bool = False,
        client: Any = None,
    ) -> None:
        self.sent: list[Sent] = []
        self.response = FakeResponse(self.sent)
        self.followup = FakeWebhook(self.sent, self.response)
        self.user = user or FakeUser()
        self.channel = channel or FakeChannel()
        self.guild = guild
        self.permissions = discord.Permissions(manage_guild=manage_guild)
        self.client = client
        self.command = None
        self.deleted_original = False

    async def delete_original_response(self) -> None:
        self.deleted_original = True

    @property
    def channel_id(self) -> int:
        return self.channel.id

    @property
    def guild_id(self) -> int | None:
        return self.guild.id if self.guild else None

    @property
    def deferred(self) -> bool:
        return bool(self.response.deferred)


@dataclass
class FakeMessage:
    """An incoming message; a DM when `guild` is None."""

    content: str
    author: FakeUser = field(default_factory=FakeUser)
    channel: FakeChannel = field(default_factory=lambda: FakeChannel(id=8001, name="dm"))
    guild: FakeGuild | None = None


@dataclass
class FakeAttachment:
    """An uploaded file."""

    filename: str
    data: bytes
    content_type: str | None = "text/plain"

    @property
    def size(self) -> int:
        return len(self.data)

    async def read(self) -> bytes:
        return self.data


class FakeHTTPResponse:
    """Enough of aiohttp's response for discord.HTTPException subclasses."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


def forbidden(code: int = 50013, message: str = "Missing Permissions") -> discord.Forbidden:
    return discord.Forbidden(FakeHTTPResponse(403, "Forbidden"), {"code": code, "message": message})  # type: ignore[arg-type]


def not_found(code: int = 10003, message: str = "Unknown Channel") -> discord.NotFound:
    return discord.NotFound(FakeHTTPResponse(404, "Not Found"), {"code": code, "message": message})  # type: ignore[arg-type]


class FakeClient:
    """What post_briefing uses of a discord.Client: cached and fetched channels and users."""

    def __init__(self) -> None:
        self.channels: dict[int, FakeChannel] = {}
        self.users: dict[int, FakeChannel] = {}
        self.fetch_error: BaseException | None = None

    def get_channel(self, channel_id: int) -> FakeChannel | None:
        return None

    async def fetch_channel(self, channel_id: int) -> FakeChannel:
        if self.fetch_error is not None:
            raise self.fetch_error
        return self.channels[channel_id]

    def get_user(self, user_id: int) -> FakeChannel | None:
        return self.users.get(user_id)

    async def fetch_user(self, user_id: int) -> FakeChannel:
        if self.fetch_error is not None:
            raise self.fetch_error
        return self.users[user_id]
