"""/brief, /story, /whatsnew, /search, /ingest."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import audience_of, refuse, respond
from bot.commands import MAX_QUERY_CHARS, MAX_TOPIC_CHARS, Commands
from bot.render import Reply

log = logging.getLogger(__name__)

Topic = app_commands.Range[str, 1, MAX_TOPIC_CHARS]


class BriefingsCog(commands.Cog):
    """Reading the news: briefings, stories, what is new, search, adding articles."""

    def __init__(self, cmds: Commands) -> None:
        self.cmds = cmds

    @app_commands.command(name="brief")
    @app_commands.describe(topic="Only stories about this (words or names)")
    async def brief(self, interaction: discord.Interaction, topic: Topic | None = None) -> None:
        """The current briefing here: top stories, cited summary, what is new."""
        await respond(interaction, self.cmds.brief(audience_of(interaction), topic), self.cmds)

    @app_commands.command(name="story")
    @app_commands.describe(story="Story number (start typing a title to pick one)")
    async def story(
        self, interaction: discord.Interaction, story: app_commands.Range[int, 1]
    ) -> None:
        """One story in full: summary, what is new, disagreements, sources."""
        await respond(interaction, self.cmds.story(audience_of(interaction), story), self.cmds)

    @story.autocomplete("story")
    async def story_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        choices = await self.cmds.story_choices(str(current))
        return [app_commands.Choice(name=c.name, value=c.value) for c in choices[:25]]

    @app_commands.command(name="whatsnew")
    @app_commands.describe(topic="Only stories about this (words or names)")
    async def whatsnew(self, interaction: discord.Interaction, topic: Topic | None = None) -> None:
        """Only what has not been shown here yet."""
        reply = self.cmds.whats_new(audience_of(interaction), topic)
        await respond(interaction, reply, self.cmds)

    @app_commands.command(name="search")
    @app_commands.describe(query="Words to look for in stored articles")
    async def search(
        self, interaction: discord.Interaction, query: app_commands.Range[str, 1, MAX_QUERY_CHARS]
    ) -> None:
        """Matching articles and stories."""
        await respond(interaction, self.cmds.search(query))

    @app_commands.command(name="ingest")
    @app_commands.describe(
        url="A web page or an RSS/Atom feed",
        text="Article text to paste",
        file="A text or HTML file",
        title="Headline for pasted text",
    )
    async def ingest(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000] | None = None,
        text: app_commands.Range[str, 1, 6000] | None = None,
        file: discord.Attachment | None = None,
        title: app_commands.Range[str, 1, 256] | None = None,
    ) -> None:
        """Add an article: a URL, pasted text or a file."""
        given = [x for x in (url, text, file) if x is not None]
        if len(given) != 1:
            await refuse(interaction, "Give exactly one of url, text or file.")
            return
        if file is not None and file.size > self.cmds.room.config.max_file_bytes:
            limit_mb = self.cmds.room.config.max_file_bytes / 1_000_000
            await refuse(interaction, f"{file.filename} is too large (limit {limit_mb:g} MB).")
            return
        log.info("ingest by user %s in %s", interaction.user.id, audience_of(interaction))
        await respond(interaction, self._ingest(url, text, file, title))

    async def _ingest(
        self,
        url: str | None,
        text: str | None,
        file: discord.Attachment | None,
        title: str | None,
    ) -> Reply:
        if url is not None:
            return await self.cmds.ingest_url(url)
        if text is not None:
            return await self.cmds.ingest_text(text, title=title)
        assert file is not None
        try:
            data = await file.read()
        except discord.HTTPException as err:
            log.warning("could not download the attachment %s: %s", file.filename, err)
            return Reply.fail(f"Could not download {file.filename} from Discord; try again.")
        return await self.cmds.ingest_file(
            data, filename=file.filename, content_type=file.content_type
        )
