"""/digest set | off | show | preview — a daily digest for a channel, or for yourself in DMs."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import (
    audience_of,
    refresh_schedule,
    require_manage,
    respond,
)
from bot.commands import Commands


class DigestsCog(commands.Cog):
    """Daily digests: what is new, posted at a local time."""

    digest = app_commands.Group(name="digest", description="A daily digest here (in DMs: your own)")

    def __init__(self, cmds: Commands) -> None:
        self.cmds = cmds

    async def _allowed(self, interaction: discord.Interaction) -> bool:
        return await require_manage(interaction, "digest")

    @digest.command(name="set")
    @app_commands.describe(
        time="Local time, 24-hour HH:MM (e.g. 08:00)",
        timezone="IANA timezone, e.g. Europe/Berlin (start typing to pick)",
        topics="Only these topics, separated by commas (default: everything)",
    )
    async def digest_set(
        self,
        interaction: discord.Interaction,
        time: app_commands.Range[str, 1, 5],
        timezone: app_commands.Range[str, 1, 64],
        topics: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        """Post a daily digest here at a local time."""
        if not await self._allowed(interaction):
            return
        audience = audience_of(interaction)
        work = self.cmds.digest_set(audience, time, timezone, topics or "")
        reply = await respond(interaction, work)
        if not reply.error:
            await refresh_schedule(interaction, audience=audience)

    @digest_set.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = self.cmds.timezone_choices(str(current))
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]

    @digest.command(name="off")
    async def digest_off(self, interaction: discord.Interaction) -> None:
        """Stop the daily digest here."""
        if not await self._allowed(interaction):
            return
        audience = audience_of(interaction)
        await respond(interaction, self.cmds.digest_off(audience))
        await refresh_schedule(interaction, audience=audience)

    @digest.command(name="show")
    async def digest_show(self, interaction: discord.Interaction) -> None:
        """The digest settings here and whether the last one could be delivered."""
        await respond(interaction, self.cmds.digest_show(audience_of(interaction)))

    @digest.command(name="preview")
    async def digest_preview(self, interaction: discord.Interaction) -> None:
        """What the digest would contain right now (nothing is marked as seen)."""
        await respond(interaction, self.cmds.digest_preview(audience_of(interaction)))
