"""The Discord client: cogs, direct messages, posting briefings, `briefbot run` and `sync`.

Gateway intents are minimal: `guilds` (slash commands and channels) and `dm_messages` (plain-
words questions in DMs). Message content is not a privileged intent in DMs with the bot, so
the Developer Portal needs no privileged intent switched on.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import discord
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from bot import render
from bot.cogs.briefings import BriefingsCog
from bot.cogs.common import NO_MENTIONS, answer
from bot.cogs.digests import DigestsCog
from bot.cogs.feeds import FeedsCog
from bot.cogs.help import HelpCog
from bot.commands import Commands
from bot.delivery import DeliveryFailed, parse_audience
from bot.render import Reply
from summaries.models import Briefing
from summaries.newsroom import Newsroom, audience_for_user

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_CONFIG = 2
TOKEN_ENV = "BRIEFBOT_DISCORD_TOKEN"
DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"
ANSWER_GRACE_S = 10.0
"""When the bot stops, how long the answers in flight (follow-ups, DM replies) may take."""
RESTARTING = "briefbot is restarting; please try again in a minute."
SOMETHING_WENT_WRONG = (
    "Something went wrong on my side; it has been logged. Please try again later."
)


class Service(Protocol):
    """Background work started with the bot (e.g. the scheduler) and stopped when it closes."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


ServiceFactory = Callable[["BriefBot"], Service]


def bot_intents() -> discord.Intents:
    """Only what briefbot needs: servers/channels and DM messages (no privileged intent)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    return intents


class BriefTree(app_commands.CommandTree[Any]):
    """Command tree whose unexpected errors become short ephemeral replies.

    Every interaction's task is registered with the bot, so stopping it lets the answers in
    flight finish; one arriving while the bot stops is told so privately.
    """

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        client = self.client
        if isinstance(client, BriefBot):
            if client.stopping:
                await _refuse_while_stopping(interaction)
                return False
            client.track_current_task()
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await explain_error(interaction, error)


class BriefBot(commands.Bot):
    """briefbot in Discord: owns the command layer over one Newsroom.

    `services` are started in `setup_hook` (inside the running loop, after login) and stopped in
    `close`; the scheduler is one of them.
    """

    def __init__(
        self,
        room: Newsroom,
        settings: Any = None,
        *,
        services: Sequence[ServiceFactory] = (),
        **client_options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(),
            tree_cls=BriefTree,
            help_command=None,
            allowed_mentions=NO_MENTIONS,
            **client_options,
        )
        self.room = room
        self.settings = settings
        self.cmds = Commands(room)
        self._service_factories = list(services)
        self._services: list[Service] = []
        self._in_flight: set[asyncio.Task[Any]] = set()
        self.stopping = False

    def track_current_task(self) -> None:
        """Register the running task (one command or DM answer) so `close` lets it finish."""
        task = asyncio.current_task()
        if task is not None and task not in self._in_flight:
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _finish_answers(self) -> None:
        """Let the answers in flight finish (up to ANSWER_GRACE_S), then cancel the rest."""
        current = asyncio.current_task()
        pending = {t for t in self._in_flight if not t.done() and t is not current}
        if not pending:
            return
        log.info("stopping: finishing %d answer(s) in flight", len(pending))
        _, late = await asyncio.wait(pending, timeout=ANSWER_GRACE_S)
        if late:
            log.warning("stopping: %d answer(s) did not finish in time; cancelled", len(late))
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def setup_hook(self) -> None:
        for cog in (BriefingsCog, FeedsCog, DigestsCog, HelpCog):
            await self.add_cog(cog(self.cmds))
        for factory in self._service_factories:
            service = factory(self)
            await service.start()
            self._services.append(service)

    async def close(self) -> None:
        # Answers in flight need the HTTP session and the store, so they finish first; new
        # commands are refused meanwhile. Then the scheduler stops (it waits for a digest being
        # posted), then discord.py closes the gateway and the HTTP session.
        self.stopping = True
        await self._finish_answers()
        for service in reversed(self._services):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %r failed", service)
        self._services.clear()
        await super().close()

    async def on_ready(self) -> None:
        user = self.user
        log.info(
            "connected as %s (id %s) to %d servers",
            user,
            user.id if user else "?",
            len(self.guilds),
        )

    async def on_message(self, message: discord.Message) -> None:
        # Only direct messages: the bot never reads server channels.
        if message.guild is not None or message.author.bot:
            return
        if self.user is not None and message.author.id == self.user.id:
            return
        if self.stopping:
            try:
                await message.channel.send(RESTARTING, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                log.debug("could not tell user %s the bot is stopping", message.author.id)
            return
        self.track_current_task()
        await handle_dm(self.cmds, message)


async def _refuse_while_stopping(interaction: discord.Interaction) -> None:
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        else:
            await interaction.response.send_message(RESTARTING, ephemeral=True)
    except discord.HTTPException:
        log.debug("could not tell user %s the bot is stopping", interaction.user.id)


class ShardedBriefBot(BriefBot, commands.AutoShardedBot):
    """briefbot on some of the bot's shards (`briefbot run --shards 0,1 --shard-count 4`).

    Discord sends each shard the events of its own servers (guild id >> 22 % shard count) and
    direct messages to shard 0, so a process answers the interactions of the shards it runs.
    Digests are posted over HTTP by whichever process leads the scheduler.
    """


@dataclass(frozen=True)
class Shards:
    """Which shards this process runs: `ids` of `count` (None: one unsharded connection)."""

    ids: tuple[int, ...]
    count: int

    @property
    def label(self) -> str:
        return f"shards {','.join(map(str, self.ids))} of {self.count}"


def parse_shards(shards: str | None, shard_count: int | None) -> Shards | None:
    """Validate `--shards` / `--shard-count`.

    Raises:
        InvalidInput: One clear line for a bad list, a missing count, or an id out of range.
    """
    from summaries.errors import InvalidInput

    if shards is None and shard_count is None:
        return None
    if shard_count is None:
        raise InvalidInput("--shards needs --shard-count (the total number of shards of the bot)")
    if shard_count < 1:
        raise InvalidInput(f"--shard-count must be at least 1, got {shard_count}")
    if shards is None:
        return Shards(tuple(range(shard_count)), shard_count)
    ids: list[int] = []
    for part in shards.split(","):
        part = part.strip()
        if not part.isdigit():
            raise InvalidInput(
                f"--shards {shards!r}: {part!r} is not a shard id (use numbers: --shards 0,1)"
            )
        value = int(part)
        if value >= shard_count:
            raise InvalidInput(
                f"--shards {shards!r}: shard {value} does not exist with --shard-count "
                f"{shard_count} (ids are 0 to {shard_count - 1})"
            )
        if value in ids:
            raise InvalidInput(f"--shards {shards!r}: shard {value} is listed twice")
        ids.append(value)
    return Shards(tuple(sorted(ids)), shard_count)


def build_bot(
    room: Newsroom,
    settings: Any,
    *,
    services: Sequence[ServiceFactory] = (),
    shards: Shards | None = None,
) -> BriefBot:
    """The client for `briefbot run`: one connection, or an AutoShardedBot on `shards`."""
    if shards is None:
        return BriefBot(room, settings, services=services)
    return ShardedBriefBot(
        room, settings, services=services, shard_ids=list(shards.ids), shard_count=shards.count
    )


async def handle_dm(cmds: Commands, message: Any) -> None:
    """Answer a direct message in plain words, from that user's own baseline ("user:<id>")."""
    if message.guild is not None or getattr(message.author, "bot", False):
        return
    audience = audience_for_user(message.author.id)
    text = message.content or ""
    # The text itself is not logged: it is a private message.
    log.info("DM from user %s (%d characters)", message.author.id, len(text))
    try:
        async with message.channel.typing():
            reply = await cmds.ask(audience, text, surface="dm")
    except Exception:
        log.exception("answering a DM from user %s failed", message.author.id)
        reply = Reply.fail(SOMETHING_WENT_WRONG)
    try:
        for out in render.to_messages(reply):
            await message.channel.send(out.content, embeds=out.embeds, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as err:
        log.warning("could not answer the DM of user %s: %s", message.author.id, err)
        return
    await cmds.record(reply)


async def explain_error(interaction: Any, error: BaseException) -> None:
    """Turn a command error into a short ephemeral reply; unexpected ones are logged in full."""
    command = getattr(getattr(interaction, "command", None), "qualified_name", "?")
    context = (
        f"/{command} user={interaction.user.id} guild={interaction.guild_id} "
        f"channel={interaction.channel_id}"
    )
    if isinstance(error, app_commands.MissingPermissions):
        message = "You need the Manage Server permission for this."
    elif isinstance(error, app_commands.NoPrivateMessage):
        message = "This command only works in a server channel."
    elif isinstance(error, app_commands.TransformerError):
        message = f"“{error.value}” is not a valid value here."
    elif isinstance(error, app_commands.CheckFailure):
        message = "You cannot use this command here."
    else:
        original = getattr(error, "original", error)
        if isinstance(original, discord.Forbidden):
            message = "I am missing a permission in this channel (Send Messages, Embed Links)."
        else:
            message = SOMETHING_WENT_WRONG
        log.error("%s failed", context, exc_info=original)
        try:
            await answer(interaction, Reply.fail(message))
        except discord.HTTPException:
            log.warning("%s: could not report the error to the user", context)
        return
    log.info("%s refused: %s", context, message)
    try:
        await answer(interaction, Reply.fail(message))
    except discord.HTTPException:
        log.warning("%s: could not report the error to the user", context)


async def post_briefing(
    client: Any,
    audience: str,
    briefing: Briefing,
    *,
    label: str = "Daily digest",
    nonce: str | None = None,
) -> None:
    """Post a briefing (a digest) to a channel ("channel:<id>") or a user's DMs ("user:<id>").

    Only posts; recording the delivery is the caller's job (it knows the schedule key).
    With a `nonce`, each message carries `nonce-<n>` with enforce_nonce: Discord creates no
    second message with a nonce it saw in the last minutes, so a digest retried after a crash
    (same delivery, same nonce) is not shown twice.

    Raises:
        DeliveryFailed: With a one-line reason; `permanent` for Forbidden/NotFound (fix the
            permission or the subscription, do not retry every minute).
    """
    try:
        kind, ident = parse_audience(audience)
    except ValueError as err:
        raise DeliveryFailed(str(err)) from err
    if kind == "cli":
        raise DeliveryFailed(f"{audience} is not a Discord channel or user")
    assert isinstance(ident, int)
    reply = render.briefing_reply(briefing, whats_new=True, label=label)
    where = f"channel {ident}" if kind == "channel" else f"user {ident}"
    try:
        if kind == "channel":
            target = client.get_channel(ident) or await client.fetch_channel(ident)
            if not hasattr(target, "send"):
                raise DeliveryFailed(f"channel {ident} cannot receive messages")
        else:
            target = client.get_user(ident) or await client.fetch_user(ident)
        messages = (
            render.to_messages(reply) if _may_embed(target) else render.to_text_messages(reply)
        )
        for n, out in enumerate(messages):
            extra: dict[str, Any] = {"nonce": f"{nonce}-{n}"[-25:]} if nonce else {}
            await target.send(out.content, embeds=out.embeds, allowed_mentions=NO_MENTIONS, **extra)
    except discord.Forbidden as err:
        if kind == "user" or err.code == 50007:
            reason = f"{where} does not accept direct messages from the bot"
        else:
            reason = (
                f"missing permission to post in {where} "
                "(needs View Channel, Send Messages, Embed Links)"
            )
        raise DeliveryFailed(reason) from err
    except discord.NotFound as err:
        raise DeliveryFailed(f"{where} not found (deleted, or the bot was removed)") from err
    except discord.HTTPException as err:
        raise DeliveryFailed(
            f"Discord refused the message to {where} (HTTP {err.status})",
            permanent=err.status < 500,
        ) from err
    log.info("posted %d stories to %s", len(briefing.stories), audience)


def _may_embed(target: Any) -> bool:
    """Whether the bot may embed links where it posts (Discord drops embeds silently if not).

    Unknown (no cached member for the bot, a DM): assume it may.
    """
    guild = getattr(target, "guild", None)
    me = getattr(guild, "me", None)
    if me is None or not hasattr(target, "permissions_for"):
        return True
    return bool(target.permissions_for(me).embed_links)


def _default_services() -> list[ServiceFactory]:
    """The scheduler, when bot.scheduler offers `discord_service(bot) -> Service`."""
    try:
        scheduler = importlib.import_module("bot.scheduler")
    except ImportError:
        return []
    factory = getattr(scheduler, "discord_service", None)
    return [factory] if callable(factory) else []


def use_endpoints(settings: Any) -> None:
    """Point discord.py at Discord, or at `[discord] api_base_url` / `gateway_url` when set.

    These two class attributes are the only discord.py internals briefbot touches: every REST
    and webhook route is built on `Route.BASE`, and a client that is not auto-sharded connects
    to `DiscordWebSocket.DEFAULT_GATEWAY` (READY then names the resume address).
    """
    api = getattr(settings, "discord_api_base_url", None) or DISCORD_API_BASE
    gateway = getattr(settings, "discord_gateway_url", None) or DISCORD_GATEWAY
    discord.http.Route.BASE = api
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    if api != DISCORD_API_BASE or gateway != DISCORD_GATEWAY:
        log.warning("Discord endpoints overridden by the config: REST %s, gateway %s", api, gateway)


def _no_token() -> int:
    print(
        f"briefbot: no Discord token: set {TOKEN_ENV} to your bot's token "
        "(Developer Portal → your app → Bot → Reset Token)",
        file=sys.stderr,
    )
    return EXIT_CONFIG


async def run_bot(
    settings: Any,
    *,
    services: Sequence[ServiceFactory] | None = None,
    shards: Shards | None = None,
) -> int:
    """`briefbot run`: connect to Discord until stopped. Returns the exit code.

    Exit code 2 with one line on stderr when the token is missing or rejected. Commands are not
    synced here (use `briefbot sync`). With `shards`, only those shards connect; run one
    process per group of shards, all on one PostgreSQL database (one of them leads the
    scheduler).
    """
    token = settings.discord_token
    if not token:
        return _no_token()
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    use_endpoints(settings)
    factories = _default_services() if services is None else list(services)
    async with Newsroom(settings.db_path, config=settings.core) as room:
        bot = build_bot(room, settings, services=factories, shards=shards)
        if shards is not None:
            log.info("connecting %s", shards.label)
        try:
            async with bot:
                await bot.start(token)
        except discord.LoginFailure:
            print(f"briefbot: Discord rejected the token in {TOKEN_ENV}", file=sys.stderr)
            return EXIT_CONFIG
        except discord.PrivilegedIntentsRequired:
            print("briefbot: Discord refused a privileged intent", file=sys.stderr)
            return EXIT_CONFIG
    return EXIT_OK


async def sync_commands(settings: Any, guild_id: int | None) -> list[str]:
    """`briefbot sync [--guild ID]`: publish the slash commands; returns their names.

    With a guild id the commands are copied to that server (visible at once, for testing);
    without, they are synced globally (Discord may take a while to show them everywhere).

    Raises:
        InvalidInput: When the token is missing.
    """
    from summaries.errors import InvalidInput

    token = settings.discord_token
    if not token:
        raise InvalidInput(f"no Discord token: set {TOKEN_ENV} to your bot's token")
    use_endpoints(settings)
    async with Newsroom(settings.db_path, config=settings.core) as room:
        bot = BriefBot(room, settings, services=())
        async with bot:
            try:
                await bot.login(token)
            except discord.LoginFailure as err:
                raise InvalidInput(f"Discord rejected the token in {TOKEN_ENV}") from err
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
            else:
                synced = await bot.tree.sync()
    names = [c.name for c in synced]
    log.info("synced %d commands (%s)", len(names), f"guild {guild_id}" if guild_id else "global")
    return names
