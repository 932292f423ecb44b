"""/help."""

from __future__ import annotations

import logging
from dataclasses import replace

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import answer
from bot.commands import Commands

log = logging.getLogger(__name__)


class HelpCog(commands.Cog):
    """What briefbot can do."""

    def __init__(self, cmds: Commands) -> None:
        self.cmds = cmds

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What briefbot can do and how to ask it."""
        reply = self.cmds.help("dm" if interaction.guild is None else "discord")
        await answer(interaction, replace(reply, ephemeral=True))
