"""A local stand-in for Discord: the REST routes briefbot uses and a gateway websocket.

It runs on 127.0.0.1 (aiohttp) and is what `tests/wire` and `bench/interactions.py` point the
real bot at (`[discord] api_base_url` / `gateway_url`). It plays Discord's side of the wire:

* Gateway: HELLO, heartbeats and their ACKs, IDENTIFY (bad token: close 4004; a privileged
  intent not switched on: close 4014) → READY → GUILD_CREATE, then INTERACTION_CREATE and
  MESSAGE_CREATE as tests make users act; RESUME (missed events replayed, then RESUMED), op 7
  (reconnect) and op 9 (invalid session) on request. Events dispatched while the bot is away
  are kept for its RESUME.
* REST: login (`/users/@me`, `/oauth2/applications/@me`), command registration (global and
  per guild, validated as Discord does), interaction callbacks, follow-up webhooks, channel
  messages, typing, channels, users, DM channels, and attachments (a CDN stand-in).

It enforces Discord's documented rules and answers as Discord does (status, JSON error body with
`code`, `message` and, for form errors, the nested `errors` path): content ≤ 2,000; ≤ 10 embeds;
embed title 256, description 4,096, ≤ 25 fields, field name 256 / value 1,024, footer 2,048,
author 256 and 6,000 across a message's embeds (50035 "Invalid Form Body"); an empty message
(50006); the first interaction response within 3 s (else 404, 10062 "Unknown interaction") and
only one (40060); follow-ups and edits for 15 minutes (then 50027); autocomplete ≤ 25 choices
with names of 1–100 characters; missing access (50001), missing permission (50013), a user who
does not accept DMs (50007), unknown channel / user / webhook / message (10003 / 10013 / 10015 /
10008); 429 with `Retry-After`, `X-RateLimit-*` and `Via` headers when a test asks for a rate
limit, and it notes every request that came back before the `Retry-After` had passed.

Lengths are counted in UTF-16 code units, like briefbot's renderer (never less than Discord).
Undocumented behaviour it assumes: embeds are dropped (not refused) without Embed Links, and a
follow-up after the original response was deleted is a new message with its own flags.

Everything is recorded: every request (`calls`), every message with who could see it (a public
"thinking…" included, even after it was deleted), every interaction with its acknowledgement
time, so tests assert what users saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

API = "/api/v10"
JSON = "application/json"

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 50) - 1
EVERYONE_DEFAULT = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES
EVERYONE_DEFAULT |= READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS

# Intents (https://discord.com/developers/docs/events/gateway#gateway-intents).
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
MESSAGE_CONTENT = 1 << 15
DIRECT_MESSAGES = 1 << 12
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# Interaction types and callback types.
APPLICATION_COMMAND = 2
AUTOCOMPLETE = 4
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
AUTOCOMPLETE_RESULT = 8
EPHEMERAL = 1 << 6

# Option types.
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN = 1, 2, 3, 4, 5
USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 6, 7, 8, 9, 10, 11

DISCORD_EPOCH_MS = 1_420_070_400_000
INTERACTION_DEADLINE_S = 3.0
FOLLOW_UP_WINDOW_S = 15 * 60.0

# Discord's message and embed limits.
MESSAGE_CHARS = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELDS_PER_EMBED = 25
FIELD_NAME, FIELD_VALUE, FOOTER_TEXT, AUTHOR_NAME = 256, 1024, 2048, 256

_NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)


def ulen(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class DiscordError(Exception):
    """An error answer, as Discord shapes it: HTTP status, JSON code and message (and errors)."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


def form_error(errors: dict[str, Any]) -> DiscordError:
    return DiscordError(400, 50035, "Invalid Form Body", errors)


def _nest(path: Iterable[str | int], code: str, message: str) -> dict[str, Any]:
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(list(path)):
        node = {str(key): node}
    return node


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if key in into and isinstance(into[key], dict) and isinstance(value, dict):
            _merge(into[key], value)
        else:
            into[key] = value


def unknown_channel() -> DiscordError:
    return DiscordError(404, 10003, "Unknown Channel")


def missing_access() -> DiscordError:
    return DiscordError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def cannot_dm() -> DiscordError:
    return DiscordError(403, 50007, "Cannot send messages to this user")


# ============================================================================ the world


@dataclass
class User:
    id: int
    name: str
    bot: bool = False
    accepts_dms: bool = True

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (kind 0) or a member (kind 1)."""

    id: int
    kind: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.kind,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class Channel:
    id: int
    name: str
    guild_id: int | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient_id: int | None = None  # DM channels
    deleted: bool = False

    @property
    def is_dm(self) -> bool:
        return self.guild_id is None

    def payload(self, world: World) -> dict[str, Any]:
        if self.is_dm:
            assert self.recipient_id is not None
            return {
                "id": str(self.id),
                "type": 1,
                "last_message_id": None,
                "recipients": [world.users[self.recipient_id].payload()],
                "flags": 0,
            }
        return {
            "id": str(self.id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": 0,
            "permission_overwrites": [o.payload() for o in self.overwrites],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, list[int]] = field(default_factory=dict)  # user id -> role ids

    def member_payload(self, world: World, user_id: int) -> dict[str, Any]:
        return {
            "user": world.users[user_id].payload(),
            "roles": [str(r) for r in self.members[user_id]],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "communication_disabled_until": None,
        }

    def payload(self, world: World, bot_id: int) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "roles": [r.payload() for r in self.roles.values()],
            "channels": [c.payload(world) for c in self.channels.values() if not c.deleted],
            "members": [self.member_payload(world, bot_id)],
            "member_count": len(self.members),
            "large": False,
            "unavailable": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
            "afk_timeout": 300,
            "description": None,
            "banner": None,
            "splash": None,
            "discovery_splash": None,
            "vanity_url_code": None,
            "max_members": 500000,
        }


@dataclass
class World:
    """Who and what exists: users, guilds (roles, channels, members), DM channels."""

    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    dm_channels: dict[int, Channel] = field(default_factory=dict)  # by channel id

    def channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return self.dm_channels.get(channel_id)

    def permissions(self, guild: Guild, user_id: int, channel: Channel | None) -> int:
        """A member's permissions in a channel (Discord's algorithm: roles, then overwrites)."""
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        role_ids = guild.members.get(user_id)
        if role_ids is None:
            return 0
        base = guild.roles[guild.id].permissions
        for role_id in role_ids:
            base |= guild.roles[role_id].permissions
        if base & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return base
        perms = base
        for o in channel.overwrites:
            if o.kind == 0 and o.id == guild.id:
                perms = (perms & ~o.deny) | o.allow
        allow = deny = 0
        for o in channel.overwrites:
            if o.kind == 0 and o.id in role_ids:
                allow |= o.allow
                deny |= o.deny
        perms = (perms & ~deny) | allow
        for o in channel.overwrites:
            if o.kind == 1 and o.id == user_id:
                perms = (perms & ~o.deny) | o.allow
        return perms


# ============================================================================ what was seen


@dataclass(eq=False)
class Message:
    """One message as Discord stores it, with who could see it."""

    id: int
    channel_id: int
    content: str
    embeds: list[dict[str, Any]]
    author_id: int
    guild_id: int | None = None
    visible_to: int | None = None  # None: everyone in the channel; else only this user (ephemeral)
    interaction_id: int | None = None
    loading: bool = False  # a deferred "thinking…" not yet answered
    deleted: bool = False
    embeds_dropped: bool = False
    edits: int = 0
    flags: int = 0
    created: float = field(default_factory=time.monotonic)

    @property
    def ephemeral(self) -> bool:
        return self.visible_to is not None

    def payload(self, world: World, app_id: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": world.users[self.author_id].payload(),
            "content": self.content,
            "embeds": self.embeds,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "pinned": False,
            "type": 20 if self.interaction_id else 0,
            "flags": self.flags
            | (EPHEMERAL if self.ephemeral else 0)
            | (128 if self.loading else 0),
            "components": [],
        }
        if self.guild_id is not None:
            out["guild_id"] = str(self.guild_id)
        if self.interaction_id is not None:
            out["webhook_id"] = str(app_id)
            out["application_id"] = str(app_id)
        return out

    @property
    def titles(self) -> list[str]:
        return [e.get("title", "") for e in self.embeds]

    @property
    def descriptions(self) -> list[str]:
        return [e.get("description", "") for e in self.embeds]

    def text(self) -> str:
        """Everything a reader sees, as one string (content, then each embed's texts)."""
        parts = [self.content] if self.content else []
        for e in self.embeds:
            parts.extend(
                str(x)
                for x in (
                    e.get("title"),
                    e.get("description"),
                    (e.get("footer") or {}).get("text"),
                )
                if x
            )
        return "\n".join(parts)


@dataclass
class Call:
    """One HTTP request the bot made and how it was answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    code: int | None = None
    at: float = field(default_factory=time.monotonic)
    authorized: bool = False

    def __repr__(self) -> str:
        code = f" code {self.code}" if self.code else ""
        return f"<{self.method} {self.path} → {self.status}{code}>"


@dataclass
class Attachment:
    """A file a user attaches to a slash command."""

    filename: str
    data: bytes
    content_type: str | None = "text/plain"


@dataclass
class Interaction:
    """One slash command or autocomplete request a user made, and everything answered to it."""

    id: int
    token: str
    type: int
    name: str
    options: dict[str, Any]
    user_id: int
    channel_id: int
    guild_id: int | None
    dispatched: float = 0.0
    acked_at: float | None = None
    response_type: int | None = None
    ephemeral_response: bool = False
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    refused: list[tuple[str, int]] = field(default_factory=list)  # (what, Discord error code)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ack_s(self) -> float | None:
        """Seconds from dispatch to the first (accepted) response."""
        return None if self.acked_at is None else self.acked_at - self.dispatched

    @property
    def deferred(self) -> bool:
        return self.response_type == DEFERRED_CHANNEL_MESSAGE

    @property
    def messages(self) -> list[Message]:
        """What the user sees now: the original response (once it is not "thinking…") and the
        follow-ups, in order, without deleted ones."""
        out = []
        if self.original is not None and not self.original.deleted and not self.original.loading:
            out.append(self.original)
        out.extend(m for m in self.followups if not m.deleted and m is not self.original)
        return out

    @property
    def ever_public(self) -> list[Message]:
        """Every message anyone else in the channel saw at some point (deleted ones included)."""
        seen = [self.original] if self.original is not None else []
        seen += self.followups
        return [m for m in dict.fromkeys(seen) if not m.ephemeral]

    def _touch(self) -> None:
        self.changed.set()

    async def wait(self, predicate: Callable[[Interaction], bool], within: float = 15.0) -> None:
        """Wait until `predicate(self)` holds."""
        deadline = time.monotonic() + within
        while not predicate(self):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting on /{self.name}: {self.describe()}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=left)

    async def answered(self, messages: int = 1, within: float = 15.0) -> list[Message]:
        """Wait until the user sees at least `messages` messages; return what they see."""
        await self.wait(lambda i: len(i.messages) >= messages, within)
        return self.messages

    async def suggested(self, within: float = 15.0) -> list[dict[str, Any]]:
        """Wait for autocomplete choices; return them."""
        await self.wait(lambda i: i.choices is not None or bool(i.refused), within)
        if self.choices is None:
            raise AssertionError(f"autocomplete was refused: {self.refused}")
        return self.choices

    def describe(self) -> str:
        return (
            f"response={self.response_type} messages="
            f"{[(m.content[:60], m.titles[:3], m.ephemeral) for m in self.messages]} "
            f"refused={self.refused}"
        )


@dataclass
class RateLimit:
    """A test-made rate limit: the next `times` matching requests get 429."""

    method: str
    path: re.Pattern[str]
    times: int
    retry_after: float
    is_global: bool = False
    blocked_until: dict[str, float] = field(default_factory=dict)  # by path
    since: float = 0.0  # the last 429 given
    until: float = 0.0  # ... and when its Retry-After ends
    early: int = 0  # requests that came back before Retry-After had passed


@dataclass
class Session:
    id: str
    shard: tuple[int, int]
    seq: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)
    conn: _Connection | None = None


class _Connection:
    def __init__(self, ws: web.WebSocketResponse, path: str) -> None:
        self.ws = ws
        self.path = path
        self.lock = asyncio.Lock()
        self.session: Session | None = None

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.lock:
            if not self.ws.closed:
                await self.ws.send_str(json.dumps(payload))


# ============================================================================ the stand-in


GUILD_ID = 9001
BRIEFINGS = 7001  # the bot may read, post and embed
READ_ONLY = 7002  # the bot sees it but may not post (50013)
HIDDEN = 7003  # the bot cannot see it (50001)
NO_EMBEDS = 7004  # the bot may post but not embed links
READER = 501  # a member without Manage Server
EDITOR = 502  # a member with Manage Server (the Editors role)
OWNER = 503
CLOSED_DMS = 504  # a user who does not accept DMs from the bot
APP_ID = 4242


def default_world(bot_id: int = APP_ID) -> World:
    """One server ("Newsdesk") with four channels, three people and the bot; one more user."""
    world = World()
    for user in (
        User(bot_id, "briefbot", bot=True),
        User(READER, "reader"),
        User(EDITOR, "editor"),
        User(OWNER, "owner"),
        User(CLOSED_DMS, "private", accepts_dms=False),
    ):
        world.users[user.id] = user
    guild = Guild(GUILD_ID, "Newsdesk", owner_id=OWNER)
    guild.roles[GUILD_ID] = Role(GUILD_ID, "@everyone", EVERYONE_DEFAULT)
    guild.roles[9101] = Role(9101, "Editors", EVERYONE_DEFAULT | MANAGE_GUILD, position=1)
    guild.roles[9102] = Role(9102, "briefbot", EVERYONE_DEFAULT, position=2)
    guild.channels[BRIEFINGS] = Channel(BRIEFINGS, "briefings", GUILD_ID)
    guild.channels[READ_ONLY] = Channel(
        READ_ONLY, "announcements", GUILD_ID, [Overwrite(9102, 0, deny=SEND_MESSAGES)]
    )
    guild.channels[HIDDEN] = Channel(
        HIDDEN, "staff", GUILD_ID, [Overwrite(9102, 0, deny=VIEW_CHANNEL)]
    )
    guild.channels[NO_EMBEDS] = Channel(
        NO_EMBEDS, "plain", GUILD_ID, [Overwrite(9102, 0, deny=EMBED_LINKS)]
    )
    guild.members = {bot_id: [9102], READER: [], EDITOR: [9101], OWNER: [], CLOSED_DMS: []}
    world.guilds[GUILD_ID] = guild
    return world


class DiscordStandIn:
    """Discord's side of the wire for one bot application, on 127.0.0.1.

    Use `async with DiscordStandIn(token) as discord:`; `api_base_url` and `gateway_url` are
    what the bot's configuration points at.
    """

    def __init__(
        self,
        token: str = "standin-token",
        *,
        world: World | None = None,
        app_id: int = APP_ID,
        heartbeat_interval_ms: int = 41250,
        allowed_intents: int = 0,
        strict: bool = True,
    ) -> None:
        self.token = token
        self.app_id = app_id
        self.world = world or default_world(app_id)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allowed_intents = allowed_intents  # privileged intents switched on in the portal
        self.strict = strict
        self.port = 0
        self.calls: list[Call] = []
        self.interactions: dict[int, Interaction] = {}
        self.messages: dict[int, Message] = {}
        self.by_channel: dict[int, list[Message]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.attachments: dict[int, Attachment] = {}
        self.limits: list[RateLimit] = []
        self.sessions: dict[str, Session] = {}
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.gateway_paths: list[str] = []
        self.unknown_routes: list[str] = []
        self.clock_offset = 0.0
        self._last_id = 0
        self._connections: set[_Connection] = set()
        self._inflight = 0
        self._last_request = time.monotonic()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ lifetime

    async def start(self, port: int = 0) -> DiscordStandIn:
        app = web.Application(middlewares=[self._middleware], client_max_size=50 * 2**20)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/resume/", self._gateway)
        app.router.add_get("/attachments/{id}/{filename}", self._attachment)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def now(self) -> float:
        """Monotonic time as the stand-in sees it (tests move it on with `advance`)."""
        return time.monotonic() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Let time pass for deadlines (interaction tokens) without waiting."""
        self.clock_offset += seconds

    def snowflake(self) -> int:
        """A new id that, like Discord's, carries its creation time (ms since 2015)."""
        stamp = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(self._last_id + 1, stamp)
        return self._last_id

    # ------------------------------------------------------------------ what tests ask

    @property
    def connected(self) -> bool:
        return any(s.conn is not None for s in self.sessions.values())

    async def until(
        self, predicate: Callable[[], bool], within: float = 15.0, what: str = ""
    ) -> None:
        """Wait until `predicate()` holds (checked after every request and gateway message)."""
        deadline = time.monotonic() + within
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what or predicate}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(left, 0.05))

    async def ready(self, within: float = 15.0) -> None:
        """Wait until the bot identified (or resumed) and is connected."""
        await self.until(lambda: self.connected, within, "the bot to connect")

    async def idle(self, quiet: float = 0.2, within: float = 15.0) -> None:
        """Wait until no request is in flight and none arrived for `quiet` seconds."""
        await self.until(
            lambda: self._inflight == 0 and time.monotonic() - self._last_request >= quiet,
            within,
            "the bot to go quiet",
        )

    def channel_messages(self, channel_id: int) -> list[Message]:
        """What everyone sees in a channel now (not deleted, not ephemeral, not "thinking…")."""
        return [
            m
            for m in self.by_channel.get(channel_id, [])
            if not m.deleted and not m.ephemeral and not m.loading
        ]

    def ever_public(self, channel_id: int) -> list[Message]:
        """Every message anyone in the channel saw at some point, deleted and "thinking…" ones too."""
        return [m for m in self.by_channel.get(channel_id, []) if not m.ephemeral]

    def _keep(self, message: Message) -> None:
        self.messages[message.id] = message
        self.by_channel.setdefault(message.channel_id, []).append(message)

    def dm_channel_of(self, user_id: int) -> Channel | None:
        for channel in self.world.dm_channels.values():
            if channel.recipient_id == user_id:
                return channel
        return None

    def dms_to(self, user_id: int) -> list[Message]:
        """The messages the bot sent to a user's DMs."""
        channel = self.dm_channel_of(user_id)
        return [] if channel is None else self.channel_messages(channel.id)

    def errors(self) -> list[Call]:
        """Requests answered with an error status (4xx/5xx)."""
        return [c for c in self.calls if c.status >= 400]

    def early_retries(self) -> int:
        """Requests that came back to a rate-limited route before its Retry-After had passed."""
        return sum(limit.early for limit in self.limits)

    def rate_limit(
        self, method: str, path: str, *, times: int, retry_after: float, is_global: bool = False
    ) -> RateLimit:
        """The next `times` requests matching `method` and the regex `path` (under /api/v10)
        get 429 Too Many Requests with `retry_after` seconds; so does any request to the same
        bucket (that path; with `is_global`, any route but interactions and webhooks) that
        comes back before the time is up, and it is counted in `early_retries`."""
        limit = RateLimit(method.upper(), re.compile(path), times, retry_after, is_global)
        self.limits.append(limit)
        return limit

    def delete_channel(self, channel_id: int) -> None:
        """The channel is deleted: later requests get 10003 and the bot is told (CHANNEL_DELETE)."""
        channel = self.world.channel(channel_id)
        assert channel is not None
        channel.deleted = True
        self.dispatch_soon("CHANNEL_DELETE", channel.payload(self.world), guild_id=channel.guild_id)

    # ------------------------------------------------------------------ users act

    def _command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        root = name.split()[0]
        pools = [self.guild_commands.get(guild_id, [])] if guild_id is not None else []
        pools.append(self.global_commands)
        for pool in pools:
            for cmd in pool:
                if cmd["name"] == root:
                    if guild_id is None and not _usable_in_dms(cmd):
                        continue
                    return cmd
        where = f"server {guild_id}" if guild_id else "DMs"
        raise LookupError(f"/{root} is not registered for {where} (did the bot sync?)")

    def _user_can_see(self, cmd: dict[str, Any], user_id: int, guild_id: int | None) -> bool:
        """Discord hides a command from members lacking its default member permissions."""
        needed = cmd.get("default_member_permissions")
        if guild_id is None or needed is None:
            return True
        perms = self.world.permissions(self.world.guilds[guild_id], user_id, None)
        if int(needed) == 0:
            return perms == ALL_PERMISSIONS
        return perms & int(needed) == int(needed)

    def _where(self, user_id: int, channel_id: int | None) -> tuple[Channel, int | None]:
        if channel_id is None:
            channel = self._open_dm(user_id)
            return channel, None
        channel = self.world.channel(channel_id)
        if channel is None or channel.deleted:
            raise LookupError(f"no channel {channel_id}")
        return channel, channel.guild_id

    async def command(
        self,
        name: str,
        *,
        user: int = READER,
        channel: int | None = BRIEFINGS,
        override_permissions: bool = False,
        **options: Any,
    ) -> Interaction:
        """A user runs a slash command ("brief", "digest set") in a channel (None: in DMs).

        Options are checked against the registered command as Discord's client does (types,
        required, lengths, ranges); a command the user's permissions hide (default member
        permissions) cannot be run unless `override_permissions` (a server's own setting).
        """
        where, guild_id = self._where(user, channel)
        cmd = self._command(name, guild_id)
        if not override_permissions and not self._user_can_see(cmd, user, guild_id):
            raise PermissionError(f"/{name} is hidden from user {user} (default permissions)")
        data, resolved = self._command_data(cmd, name.split()[1:], options, focused=None)
        return await self._interact(
            APPLICATION_COMMAND, name, cmd, data, resolved, options, user, where, guild_id
        )

    async def autocomplete(
        self,
        name: str,
        option: str,
        typed: str,
        *,
        user: int = READER,
        channel: int | None = BRIEFINGS,
        **options: Any,
    ) -> Interaction:
        """A user types `typed` into `option` of a command; Discord asks for suggestions."""
        where, guild_id = self._where(user, channel)
        cmd = self._command(name, guild_id)
        data, resolved = self._command_data(
            cmd, name.split()[1:], {**options, option: typed}, focused=option
        )
        return await self._interact(
            AUTOCOMPLETE, name, cmd, data, resolved, options, user, where, guild_id
        )

    async def _interact(
        self,
        kind: int,
        name: str,
        cmd: dict[str, Any],
        data: dict[str, Any],
        resolved: dict[str, Any],
        options: dict[str, Any],
        user: int,
        where: Channel,
        guild_id: int | None,
    ) -> Interaction:
        ix = Interaction(
            id=self.snowflake(),
            token=f"ix-{secrets.token_urlsafe(24)}",
            type=kind,
            name=name,
            options=options,
            user_id=user,
            channel_id=where.id,
            guild_id=guild_id,
        )
        data["id"] = cmd["id"]
        if resolved:
            data["resolved"] = resolved
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        payload: dict[str, Any] = {
            "id": str(ix.id),
            "application_id": str(self.app_id),
            "type": kind,
            "token": ix.token,
            "version": 1,
            "data": data,
            "channel_id": str(where.id),
            "channel": where.payload(self.world),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 2**20,
            "authorizing_integration_owners": {"0": str(guild_id)}
            if guild_id
            else {"1": str(user)},
            "context": 0 if guild_id else 1,
        }
        if guild_id is not None:
            guild = self.world.guilds[guild_id]
            member = guild.member_payload(self.world, user)
            member["permissions"] = str(self.world.permissions(guild, user, where))
            payload["guild_id"] = str(guild_id)
            payload["member"] = member
            payload["guild_locale"] = "en-US"
            payload["app_permissions"] = str(self.world.permissions(guild, self.app_id, where))
        else:
            payload["user"] = self.world.users[user].payload()
            payload["app_permissions"] = str(EVERYONE_DEFAULT)
        self.interactions[ix.id] = ix
        ix.dispatched = self.now()
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id)
        return ix

    def _command_data(
        self,
        cmd: dict[str, Any],
        path: list[str],
        values: dict[str, Any],
        *,
        focused: str | None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        schema = cmd.get("options", [])
        resolved: dict[str, Any] = {}
        top: list[dict[str, Any]] = []
        target = top
        for part in path:
            sub = next((o for o in schema if o["name"] == part), None)
            if sub is None or sub["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP):
                raise LookupError(f"/{cmd['name']} has no subcommand {part}")
            node = {"name": part, "type": sub["type"], "options": []}
            target.append(node)
            target = node["options"]
            schema = sub.get("options", [])
        for opt in schema:
            if opt["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
                raise LookupError(f"/{cmd['name']} needs a subcommand")
        known = {o["name"]: o for o in schema}
        for key in values:
            if key not in known:
                raise LookupError(f"/{cmd['name']} {' '.join(path)} has no option {key!r}")
        for opt in schema:
            value = values.get(opt["name"])
            if value is None:
                if opt.get("required") and focused is None:
                    raise ValueError(f"option {opt['name']!r} is required")
                continue
            entry: dict[str, Any] = {"name": opt["name"], "type": opt["type"]}
            if opt["name"] == focused:
                entry["value"] = str(value)
                entry["focused"] = True
            else:
                entry["value"] = self._option_value(opt, value, resolved)
            target.append(entry)
        return {"name": cmd["name"], "type": 1, "options": top}, resolved

    def _option_value(self, opt: dict[str, Any], value: Any, resolved: dict[str, Any]) -> Any:
        kind = opt["type"]
        name = opt["name"]
        if kind == STRING:
            if not isinstance(value, str):
                raise TypeError(f"{name} takes text")
            if not opt.get("min_length", 0) <= ulen(value) <= opt.get("max_length", 6000):
                raise ValueError(f"{name}: the client refuses {ulen(value)} characters")
        elif kind in (INTEGER, NUMBER):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} takes a number")
            if "min_value" in opt and value < opt["min_value"]:
                raise ValueError(f"{name}: below the minimum {opt['min_value']}")
            if "max_value" in opt and value > opt["max_value"]:
                raise ValueError(f"{name}: above the maximum {opt['max_value']}")
        elif kind == ATTACHMENT:
            if not isinstance(value, Attachment):
                raise TypeError(f"{name} takes an Attachment")
            att_id = self.snowflake()
            self.attachments[att_id] = value
            resolved.setdefault("attachments", {})[str(att_id)] = {
                "id": str(att_id),
                "filename": value.filename,
                "size": len(value.data),
                "url": f"{self.base_url}/attachments/{att_id}/{value.filename}",
                "proxy_url": f"{self.base_url}/attachments/{att_id}/{value.filename}",
                "content_type": value.content_type,
            }
            return str(att_id)
        choices = opt.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"{name}: {value!r} is not one of the choices")
        return value

    async def dm(self, user: int, content: str) -> Message:
        """A user writes to the bot in DMs (MESSAGE_CREATE)."""
        channel = self._open_dm(user)
        message = Message(self.snowflake(), channel.id, content, [], author_id=user)
        payload = message.payload(self.world, self.app_id)
        await self.dispatch("MESSAGE_CREATE", payload)
        return message

    def _open_dm(self, user_id: int) -> Channel:
        channel = self.dm_channel_of(user_id)
        if channel is None:
            channel = Channel(self.snowflake(), "dm", None, recipient_id=user_id)
            self.world.dm_channels[channel.id] = channel
        return channel

    # ------------------------------------------------------------------ gateway

    def _session_for(self, guild_id: int | None) -> Session | None:
        for session in self.sessions.values():
            shard_id, count = session.shard
            if guild_id is None and shard_id == 0:
                return session
            if guild_id is not None and (guild_id >> 22) % count == shard_id:
                return session
        return None

    async def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: int | None = None
    ) -> None:
        """Send a DISPATCH event to the bot's session (kept for RESUME while it is away)."""
        session = self._session_for(guild_id)
        if session is None:
            raise AssertionError(f"{event}: the bot has no gateway session")
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.buffer.append(frame)
        if session.conn is not None:
            await session.conn.send(frame)

    def dispatch_soon(
        self, event: str, data: dict[str, Any], *, guild_id: int | None = None
    ) -> None:
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(self.dispatch(event, data, guild_id=guild_id))

    async def send_reconnect(self) -> None:
        """op 7: ask the bot to reconnect (and resume)."""
        for session in self.sessions.values():
            if session.conn is not None:
                await session.conn.send({"op": 7, "d": None})

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """op 9: the session is invalid; unless `resumable`, it is forgotten (a new IDENTIFY)."""
        for sid, session in list(self.sessions.items()):
            if session.conn is not None:
                await session.conn.send({"op": 9, "d": resumable})
            if not resumable:
                del self.sessions[sid]

    async def drop_connection(self) -> None:
        """The connection breaks without a word (close code 1006-like): the bot must resume."""
        for session in self.sessions.values():
            if session.conn is not None:
                conn = session.conn
                session.conn = None
                await conn.ws.close(code=4000, message=b"stand-in dropped the connection")

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=2**22)
        await ws.prepare(request)
        conn = _Connection(ws, request.path)
        self._connections.add(conn)
        self.gateway_paths.append(request.path)
        await conn.send(
            {
                "op": 10,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                "s": None,
                "t": None,
            }
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                await self._on_frame(conn, frame)
                self._changed.set()
        finally:
            self._connections.discard(conn)
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            self._changed.set()
        return ws

    async def _on_frame(self, conn: _Connection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data = frame.get("d")
        if op == 1:
            self.heartbeats += 1
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, data)
        elif op == 6:
            await self._resume(conn, data)
        elif op in (3, 4, 8, 31):
            return  # presence, voice, member requests: nothing to do here
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: _Connection, data: dict[str, Any]) -> None:
        self.identifies.append(data)
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.allowed_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = tuple(data.get("shard") or (0, 1))
        session = Session(secrets.token_hex(16), (int(shard[0]), int(shard[1])))
        self.sessions[session.id] = session
        session.conn = conn
        conn.session = session
        guilds = [
            g
            for g in self.world.guilds.values()
            if (g.id >> 22) % session.shard[1] == session.shard[0]
        ]
        bot = self.world.users[self.app_id]
        await self._send_dispatch(
            session,
            "READY",
            {
                "v": 10,
                "user": {**bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.id,
                "session_type": "normal",
                "resume_gateway_url": f"ws://127.0.0.1:{self.port}/resume/",
                "shard": list(session.shard),
                "application": {"id": str(self.app_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "user_settings": {},
                "presences": [],
                "geo_ordered_rtc_regions": [],
                "guild_join_requests": [],
            },
        )
        if intents & GUILDS:
            for guild in guilds:
                await self._send_dispatch(
                    session, "GUILD_CREATE", guild.payload(self.world, self.app_id)
                )

    async def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.buffer.append(frame)
        if session.conn is not None:
            await session.conn.send(frame)

    async def _resume(self, conn: _Connection, data: dict[str, Any]) -> None:
        self.resumes.append(data)
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session is None:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        if session.conn is not None and session.conn is not conn:
            old = session.conn
            session.conn = None
            with contextlib.suppress(Exception):
                await old.ws.close(code=4000)
        session.conn = conn
        conn.session = session
        last = int(data.get("seq") or 0)
        for frame in session.buffer:
            if frame["s"] > last:
                await conn.send(frame)
        await self._send_dispatch(session, "RESUMED", {})

    # ------------------------------------------------------------------ REST

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[..., Any]
    ) -> web.StreamResponse:
        if request.path in ("/", "/resume/"):
            return await handler(request)
        self._inflight += 1
        self._last_request = time.monotonic()
        try:
            return await handler(request)
        finally:
            self._inflight -= 1
            self._last_request = time.monotonic()
            self._changed.set()

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        call = Call("GET", request.path, dict(request.query), None)
        self.calls.append(call)
        attachment = self.attachments.get(int(request.match_info["id"]))
        if attachment is None:
            call.status = 404
            return web.Response(status=404, text="not found")
        call.status = 200
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if raw:
                if request.content_type == "multipart/form-data":
                    body = {"_multipart": True}
                else:
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        body = raw.decode("utf-8", "replace")
        call = Call(request.method, path, dict(request.query), body)
        call.authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        self.calls.append(call)
        try:
            if not path.startswith(API + "/"):
                raise DiscordError(404, 0, "404: Not Found")
            limited = self._limited(request.method, path[len(API) :])
            if limited is not None:
                call.status = 429
                return limited
            status, payload = await self._route(
                request.method, path[len(API) :], body, request, call
            )
        except DiscordError as err:
            call.status = err.status
            call.code = err.code
            return _json(err.status, err.body())
        call.status = status
        if status == 204:
            return web.Response(status=204)
        return _json(status, payload)

    def _limited(self, method: str, path: str) -> web.Response | None:
        now = time.monotonic()
        for limit in self.limits:
            # Discord's buckets: a route with its major parameters (one channel, one webhook);
            # a global limit holds every request but interaction callbacks and webhooks.
            if limit.is_global and path.startswith(("/webhooks/", "/interactions/")):
                continue
            matches = limit.method == method and limit.path.fullmatch(path) is not None
            if not matches and not limit.is_global:
                continue
            if now < limit.blocked_until.get(path, 0.0) - 0.005:
                limit.early += 1  # this very request was told to wait, and did not
            elif limit.is_global and limit.since + 0.02 < now < limit.until - 0.005:
                # another route while a global limit holds (requests already on their way
                # when the 429 went out, within 20 ms, are not held against the client)
                limit.early += 1
            elif not matches or limit.times <= 0:
                continue
            else:
                limit.times -= 1
                limit.blocked_until[path] = now + limit.retry_after
                limit.since, limit.until = now, now + limit.retry_after
            headers = {
                "Retry-After": str(max(1, math.ceil(limit.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + limit.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{limit.retry_after:.3f}",
                "X-RateLimit-Bucket": "standin-bucket",
                "X-RateLimit-Scope": "global" if limit.is_global else "user",
                "Via": "1.1 google",
            }
            if limit.is_global:
                headers["X-RateLimit-Global"] = "true"
            body = {
                "message": "You are being rate limited.",
                "retry_after": limit.retry_after,
                "global": limit.is_global,
            }
            return _json(429, body, headers)
        return None

    async def _route(
        self, method: str, path: str, body: Any, request: web.Request, call: Call
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        # Interaction callbacks and webhooks authenticate with the interaction token.
        if (
            parts[0] == "interactions"
            and len(parts) == 4
            and parts[3] == "callback"
            and method == "POST"
        ):
            return self._callback(int(parts[1]), parts[2], body or {})
        if parts[0] == "webhooks" and len(parts) >= 3:
            return self._webhook(method, parts, body or {})
        if not call.authorized:
            raise DiscordError(401, 0, "401: Unauthorized")
        if path == "/users/@me" and method == "GET":
            bot = self.world.users[self.app_id]
            return 200, {**bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0}
        if path == "/oauth2/applications/@me" and method == "GET":
            return 200, self._app_info()
        if path in ("/gateway", "/gateway/bot") and method == "GET":
            return 200, {
                "url": f"ws://127.0.0.1:{self.port}",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        if parts[0] == "applications" and len(parts) >= 3 and parts[2] in ("commands", "guilds"):
            return self._commands(method, parts, body)
        if parts[0] == "channels" and len(parts) >= 2:
            return self._channel(method, int(parts[1]), parts[2:], body)
        if path == "/users/@me/channels" and method == "POST":
            recipient = int((body or {}).get("recipient_id", 0))
            if recipient not in self.world.users:
                raise DiscordError(
                    400,
                    50035,
                    "Invalid Form Body",
                    _nest(["recipient_id"], "USER_UNKNOWN", "Unknown user"),
                )
            return 200, self._open_dm(recipient).payload(self.world)
        if parts[0] == "users" and len(parts) == 2 and method == "GET":
            user = self.world.users.get(int(parts[1])) if parts[1].isdigit() else None
            if user is None:
                raise DiscordError(404, 10013, "Unknown User")
            return 200, user.payload()
        self.unknown_routes.append(f"{method} {path}")
        raise DiscordError(404, 0, "404: Not Found")

    def _app_info(self) -> dict[str, Any]:
        owner = self.world.users[OWNER]
        return {
            "id": str(self.app_id),
            "name": "briefbot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": owner.payload(),
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "summary": "",
            "rpc_origins": [],
            "bot": self.world.users[self.app_id].payload(),
        }

    # ------------------------------------------------------------------ commands

    def _commands(self, method: str, parts: list[str], body: Any) -> tuple[int, Any]:
        if int(parts[1]) != self.app_id:
            raise DiscordError(403, 50001, "Missing Access")
        guild_id: int | None = None
        if parts[2] == "guilds":
            guild_id = int(parts[3])
            if guild_id not in self.world.guilds:
                raise missing_access()
        if method == "GET":
            return 200, self.guild_commands.get(guild_id, []) if guild_id else self.global_commands
        if method != "PUT":
            raise DiscordError(405, 0, "405: Method Not Allowed")
        if not isinstance(body, list):
            raise form_error(
                _nest([], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
            )
        errors = validate_commands(body)
        if errors:
            raise form_error(errors)
        stored = []
        for cmd in body:
            out = {
                **cmd,
                "id": str(self.snowflake()),
                "application_id": str(self.app_id),
                "version": str(self.snowflake()),
                "default_member_permissions": (
                    None
                    if cmd.get("default_member_permissions") is None
                    else str(cmd["default_member_permissions"])
                ),
                "type": cmd.get("type", 1),
            }
            if guild_id is not None:
                out["guild_id"] = str(guild_id)
            stored.append(out)
        if guild_id is None:
            self.global_commands = stored
        else:
            self.guild_commands[guild_id] = stored
        return 200, stored

    # ------------------------------------------------------------------ interactions

    def _interaction(self, interaction_id: int, token: str) -> Interaction:
        ix = self.interactions.get(interaction_id)
        if ix is None or ix.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        return ix

    def _callback(self, interaction_id: int, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        ix = self.interactions.get(interaction_id)
        if ix is None or ix.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        try:
            return self._answer(ix, body)
        except DiscordError as err:
            ix.refused.append(("callback", err.code))
            ix._touch()
            raise

    def _answer(self, ix: Interaction, body: dict[str, Any]) -> tuple[int, Any]:
        now = self.now()
        if ix.response_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if now - ix.dispatched > INTERACTION_DEADLINE_S:
            raise DiscordError(404, 10062, "Unknown interaction")
        kind = body.get("type")
        data = body.get("data") or {}
        if ix.type == AUTOCOMPLETE:
            if kind != AUTOCOMPLETE_RESULT:
                raise form_error(
                    _nest(["type"], "INTERACTION_TYPE_INVALID", "Autocomplete needs type 8")
                )
            choices = data.get("choices")
            errors = validate_choices(choices, self._focused_type(ix))
            if errors:
                raise form_error(errors)
            ix.choices = choices
            ix.response_type = kind
            ix.acked_at = now
            ix._touch()
            return 200, {"interaction": self._callback_interaction(ix, None)}
        if kind not in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            raise form_error(
                _nest(["type"], "INTERACTION_TYPE_INVALID", "Invalid callback type for a command")
            )
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        channel = self.world.channel(ix.channel_id)
        assert channel is not None
        if kind == CHANNEL_MESSAGE:
            errors = validate_message(data, prefix=["data"])
            if errors:
                raise errors
            message = self._new_message(channel, data, ix, ephemeral=ephemeral)
        else:
            message = Message(
                self.snowflake(),
                channel.id,
                "",
                [],
                author_id=self.app_id,
                guild_id=channel.guild_id,
                visible_to=ix.user_id if ephemeral else None,
                interaction_id=ix.id,
                loading=True,
            )
            self._keep(message)
        ix.response_type = kind
        ix.ephemeral_response = ephemeral
        ix.acked_at = now
        ix.original = message
        ix._touch()
        return 200, {
            "interaction": self._callback_interaction(ix, message),
            "resource": {"type": kind, "message": message.payload(self.world, self.app_id)},
        }

    def _focused_type(self, ix: Interaction) -> int:
        cmd = self._command(ix.name, ix.guild_id)
        schema = cmd.get("options", [])
        for part in ix.name.split()[1:]:
            schema = next(o for o in schema if o["name"] == part).get("options", [])
        focused = [o for o in schema if o["name"] not in ix.options]
        return focused[0]["type"] if len(focused) == 1 else STRING

    def _callback_interaction(self, ix: Interaction, message: Message | None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": str(ix.id), "type": ix.type, "activity_instance_id": None}
        if message is not None:
            out["response_message_id"] = str(message.id)
            out["response_message_loading"] = message.loading
            out["response_message_ephemeral"] = message.ephemeral
        return out

    def _new_message(
        self, channel: Channel, data: dict[str, Any], ix: Interaction | None, *, ephemeral: bool
    ) -> Message:
        embeds = list(data.get("embeds") or [])
        dropped = False
        if ix is None and channel.guild_id is not None and embeds:
            guild = self.world.guilds[channel.guild_id]
            if not self.world.permissions(guild, self.app_id, channel) & EMBED_LINKS:
                embeds, dropped = [], True
        message = Message(
            self.snowflake(),
            channel.id,
            data.get("content") or "",
            embeds,
            author_id=self.app_id,
            guild_id=channel.guild_id,
            visible_to=ix.user_id if (ix is not None and ephemeral) else None,
            interaction_id=ix.id if ix is not None else None,
            embeds_dropped=dropped,
            flags=int(data.get("flags") or 0) & ~EPHEMERAL,
        )
        self._keep(message)
        return message

    def _webhook(self, method: str, parts: list[str], body: dict[str, Any]) -> tuple[int, Any]:
        if len(parts) < 3 or not parts[1].isdigit() or int(parts[1]) != self.app_id:
            raise DiscordError(404, 10015, "Unknown Webhook")
        token = parts[2]
        ix = next((i for i in self.interactions.values() if i.token == token), None)
        if ix is None or ix.response_type is None or ix.type == AUTOCOMPLETE:
            raise DiscordError(404, 10015, "Unknown Webhook")
        try:
            return self._webhook_call(ix, method, parts, body)
        except DiscordError as err:
            ix.refused.append((f"{method} webhook", err.code))
            ix._touch()
            raise

    def _webhook_call(
        self, ix: Interaction, method: str, parts: list[str], body: dict[str, Any]
    ) -> tuple[int, Any]:
        if self.now() - ix.dispatched > FOLLOW_UP_WINDOW_S:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        channel = self.world.channel(ix.channel_id)
        assert channel is not None
        if len(parts) == 3 and method == "POST":
            errors = validate_message(body, prefix=[])
            if errors:
                raise errors
            original = ix.original
            if original is not None and original.loading and not original.deleted:
                # The first follow-up after a deferral edits the "thinking…" message; its own
                # ephemeral flag is ignored (the deferral decided who sees it).
                self._edit(original, body)
                ix.followups.append(original)
                ix._touch()
                return 200, original.payload(self.world, self.app_id)
            ephemeral = bool(int(body.get("flags") or 0) & EPHEMERAL)
            message = self._new_message(channel, body, ix, ephemeral=ephemeral)
            ix.followups.append(message)
            ix._touch()
            return 200, message.payload(self.world, self.app_id)
        if len(parts) == 5 and parts[3] == "messages":
            target = self._webhook_message(ix, parts[4])
            if method == "GET":
                return 200, target.payload(self.world, self.app_id)
            if method == "PATCH":
                merged = {"content": target.content, "embeds": target.embeds, **body}
                errors = validate_message(merged, prefix=[])
                if errors:
                    raise errors
                self._edit(target, body)
                ix._touch()
                return 200, target.payload(self.world, self.app_id)
            if method == "DELETE":
                target.deleted = True
                ix._touch()
                return 204, None
        raise DiscordError(405, 0, "405: Method Not Allowed")

    def _webhook_message(self, ix: Interaction, ref: str) -> Message:
        if ref == "@original":
            target = ix.original
        else:
            target = next((m for m in ix.followups if str(m.id) == ref), None)
        if target is None or target.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return target

    def _edit(self, message: Message, body: dict[str, Any]) -> None:
        if "content" in body:
            message.content = body.get("content") or ""
        if "embeds" in body:
            message.embeds = list(body.get("embeds") or [])
        message.loading = False
        message.edits += 1

    # ------------------------------------------------------------------ channels

    def _channel(self, method: str, channel_id: int, rest: list[str], body: Any) -> tuple[int, Any]:
        channel = self.world.channel(channel_id)
        if channel is None or channel.deleted:
            raise unknown_channel()
        if channel.guild_id is not None:
            guild = self.world.guilds[channel.guild_id]
            perms = self.world.permissions(guild, self.app_id, channel)
            if not perms & VIEW_CHANNEL:
                raise missing_access()
        else:
            perms = EVERYONE_DEFAULT
        if not rest and method == "GET":
            return 200, channel.payload(self.world)
        if rest == ["typing"] and method == "POST":
            if channel.guild_id is not None and not perms & SEND_MESSAGES:
                raise missing_permissions()
            return 204, None
        if rest == ["messages"] and method == "POST":
            if channel.is_dm:
                assert channel.recipient_id is not None
                if not self.world.users[channel.recipient_id].accepts_dms:
                    raise cannot_dm()
            elif not perms & SEND_MESSAGES:
                raise missing_permissions()
            data = body if isinstance(body, dict) else {}
            errors = validate_message(data, prefix=[])
            if errors:
                raise errors
            message = self._new_message(channel, data, None, ephemeral=False)
            return 200, message.payload(self.world, self.app_id)
        self.unknown_routes.append(f"{method} /channels/{channel_id}/{'/'.join(rest)}")
        raise DiscordError(404, 0, "404: Not Found")


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py compares the header for equality.
    return web.Response(
        status=status,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": JSON, **(headers or {})},
    )


def _usable_in_dms(cmd: dict[str, Any]) -> bool:
    contexts = cmd.get("contexts")
    if contexts is not None:
        return 1 in contexts
    return cmd.get("dm_permission", True) is not False


# ============================================================================ Discord's rules


def validate_message(data: dict[str, Any], *, prefix: list[str]) -> DiscordError | None:
    """Discord's checks on a message body: the error it would answer, or None."""
    content = data.get("content") or ""
    embeds = data.get("embeds") or []
    errors: dict[str, Any] = {}
    if not isinstance(content, str):
        _merge(
            errors,
            _nest([*prefix, "content"], "STRING_TYPE_CONVERT", "Could not interpret as string."),
        )
    elif ulen(content) > MESSAGE_CHARS:
        _merge(
            errors,
            _nest(
                [*prefix, "content"],
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MESSAGE_CHARS} or fewer in length.",
            ),
        )
    if len(embeds) > EMBEDS_PER_MESSAGE:
        _merge(
            errors,
            _nest(
                [*prefix, "embeds"],
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {EMBEDS_PER_MESSAGE} or fewer in length.",
            ),
        )
    total = 0
    for n, embed in enumerate(embeds):
        where = [*prefix, "embeds", n]
        for key, limit in EMBED_LIMITS.items():
            value = embed.get(key)
            if value is not None:
                total += ulen(str(value))
                if ulen(str(value)) > limit:
                    _merge(
                        errors,
                        _nest(
                            [*where, key],
                            "BASE_TYPE_MAX_LENGTH",
                            f"Must be {limit} or fewer in length.",
                        ),
                    )
        fields = embed.get("fields") or []
        if len(fields) > FIELDS_PER_EMBED:
            _merge(
                errors,
                _nest(
                    [*where, "fields"],
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {FIELDS_PER_EMBED} or fewer in length.",
                ),
            )
        for i, fld in enumerate(fields):
            for key, limit in (("name", FIELD_NAME), ("value", FIELD_VALUE)):
                value = str(fld.get(key) or "")
                total += ulen(value)
                if not value:
                    _merge(
                        errors,
                        _nest(
                            [*where, "fields", i, key],
                            "BASE_TYPE_REQUIRED",
                            "This field is required",
                        ),
                    )
                elif ulen(value) > limit:
                    _merge(
                        errors,
                        _nest(
                            [*where, "fields", i, key],
                            "BASE_TYPE_MAX_LENGTH",
                            f"Must be {limit} or fewer in length.",
                        ),
                    )
        for key, sub, limit in (("footer", "text", FOOTER_TEXT), ("author", "name", AUTHOR_NAME)):
            part = embed.get(key)
            if part and part.get(sub) is not None:
                value = str(part[sub])
                total += ulen(value)
                if ulen(value) > limit:
                    _merge(
                        errors,
                        _nest(
                            [*where, key, sub],
                            "BASE_TYPE_MAX_LENGTH",
                            f"Must be {limit} or fewer in length.",
                        ),
                    )
    if total > EMBED_TOTAL:
        _merge(
            errors,
            _nest(
                [*prefix, "embeds"],
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {EMBED_TOTAL}",
            ),
        )
    if errors:
        return form_error(errors)
    if (
        not content.strip()
        and not embeds
        and not data.get("attachments")
        and not data.get("sticker_ids")
    ):
        return DiscordError(400, 50006, "Cannot send an empty message")
    return None


def validate_choices(choices: Any, option_type: int) -> dict[str, Any]:
    """Discord's checks on autocomplete choices (≤ 25, names 1–100, values of the option's type)."""
    errors: dict[str, Any] = {}
    if not isinstance(choices, list):
        return _nest(["data", "choices"], "BASE_TYPE_REQUIRED", "This field is required")
    if len(choices) > 25:
        _merge(
            errors,
            _nest(["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
        )
    for n, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= ulen(name) <= 100:
            _merge(
                errors,
                _nest(
                    ["data", "choices", n, "name"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                ),
            )
        value = choice.get("value")
        ok = (
            isinstance(value, str) and ulen(value) <= 100
            if option_type == STRING
            else isinstance(value, int | float) and not isinstance(value, bool)
        )
        if not ok:
            _merge(
                errors,
                _nest(
                    ["data", "choices", n, "value"],
                    "BASE_TYPE_INVALID",
                    "Invalid value for the option type.",
                ),
            )
    return errors


def validate_commands(commands: list[dict[str, Any]]) -> dict[str, Any]:
    """Discord's checks on a command list (names, descriptions, option counts and order)."""
    errors: dict[str, Any] = {}
    if len(commands) > 100:
        _merge(errors, _nest([], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
    names = [c.get("name") for c in commands]
    for n, cmd in enumerate(commands):
        _check_named(cmd, [n], errors)
        if names.count(cmd.get("name")) > 1:
            _merge(
                errors,
                _nest(
                    [n, "name"],
                    "APPLICATION_COMMAND_ALREADY_EXISTS",
                    "Application command names must be unique",
                ),
            )
        _check_options(cmd.get("options") or [], [n, "options"], errors, depth=0)
    return errors


def _check_named(item: dict[str, Any], where: list[str | int], errors: dict[str, Any]) -> None:
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name) or name != name.lower():
        _merge(
            errors,
            _nest([*where, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"),
        )
    description = item.get("description")
    if item.get("type", 1) == 1 and (
        not isinstance(description, str) or not 1 <= len(description) <= 100
    ):
        _merge(
            errors,
            _nest(
                [*where, "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ),
        )


def _check_options(
    options: list[dict[str, Any]], where: list[str | int], errors: dict[str, Any], depth: int
) -> None:
    if len(options) > 25:
        _merge(errors, _nest(where, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    seen_optional = False
    for n, opt in enumerate(options):
        _check_named(opt | {"type": 1}, [*where, n], errors)
        if opt.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
            if depth >= 2 or (opt["type"] == SUB_COMMAND_GROUP and depth >= 1):
                _merge(
                    errors,
                    _nest(
                        [*where, n],
                        "APPLICATION_COMMAND_OPTIONS_TOO_DEEP",
                        "Options nested too deeply",
                    ),
                )
            _check_options(opt.get("options") or [], [*where, n, "options"], errors, depth + 1)
            continue
        if opt.get("required"):
            if seen_optional:
                _merge(
                    errors,
                    _nest(
                        [*where, n, "required"],
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    ),
                )
        else:
            seen_optional = True
        if len(opt.get("choices") or []) > 25:
            _merge(
                errors,
                _nest(
                    [*where, n, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                ),
            )
        if opt.get("choices") and opt.get("autocomplete"):
            _merge(
                errors,
                _nest(
                    [*where, n, "autocomplete"],
                    "AUTOCOMPLETE_AND_CHOICES",
                    "Autocomplete and choices are exclusive",
                ),
            )
