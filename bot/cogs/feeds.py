"""/feed add | remove | list — a channel's feeds (Manage Server)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import (
    audience_of,
    refresh_schedule,
    refuse,
    require_manage,
    respond,
)
from bot.commands import Commands
from bot.render import Reply

log = logging.getLogger(__name__)


class FeedsCog(commands.Cog):
    """RSS/Atom feeds polled for a channel."""

    feed = app_commands.Group(
        name="feed",
        description="This channel's RSS/Atom feeds",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, cmds: Commands) -> None:
        self.cmds = cmds

    async def _feed_ids(self, audience: str) -> set[int]:
        return {f.id for f in await self.cmds.room.feeds(audience=audience)}

    async def _changing(self, audience: str, work: Awaitable[Reply], changed: set[int]) -> Reply:
        """Run a change to the audience's feeds; `changed` gets the ids added or removed."""
        before = await self._feed_ids(audience)
        reply = await work
        changed.update(before ^ await self._feed_ids(audience))
        return reply

    async def _allowed(self, interaction: discord.Interaction) -> bool:
        # default_permissions only hides the command; server admins can override it, so the
        # callback checks again.
        if interaction.guild is None:
            await refuse(interaction, "Feeds belong to server channels: use /feed in a server.")
            return False
        return await require_manage(interaction, "feeds")

    @feed.command(name="add")
    @app_commands.describe(url="The feed's URL (RSS or Atom)")
    async def feed_add(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        """Follow a feed in this channel."""
        if not await self._allowed(interaction):
            return
        audience = audience_of(interaction)
        changed: set[int] = set()
        await respond(
            interaction, self._changing(audience, self.cmds.feed_add(audience, url), changed)
        )
        await refresh_schedule(interaction, feed_ids=changed)

    @feed.command(name="remove")
    @app_commands.describe(feed="Feed number from /feed list, or its URL")
    async def feed_remove(
        self, interaction: discord.Interaction, feed: app_commands.Range[str, 1, 2000]
    ) -> None:
        """Stop following a feed in this channel."""
        if not await self._allowed(interaction):
            return
        audience = audience_of(interaction)
        changed: set[int] = set()
        work = self._changing(audience, self.cmds.feed_remove(audience, feed), changed)
        await respond(interaction, work)
        await refresh_schedule(interaction, feed_ids=changed)

    @feed.command(name="list")
    async def feed_list(self, interaction: discord.Interaction) -> None:
        """This channel's feeds, their status and last error."""
        if not await self._allowed(interaction):
            return
        await respond(interaction, self.cmds.feed_list(audience_of(interaction)))
