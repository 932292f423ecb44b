"""What every cog does the same way: whose audience, deferring, answering, permission checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable
from datetime import UTC, datetime
from typing import Any

import discord

from bot import render
from bot.commands import Commands
from bot.render import Reply
from summaries.newsroom import audience_for_channel, audience_for_user

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
MANAGE_GUILD_NEEDED = "You need the Manage Server permission to change this channel's {what}."


def audience_of(interaction: Any) -> str:
    """The audience an interaction speaks for: the channel in a server, the user in DMs."""
    if interaction.guild is None:
        return audience_for_user(interaction.user.id)
    return audience_for_channel(interaction.channel_id)


def can_manage(interaction: Any) -> bool:
    """Whether the user may change server-wide settings (feeds, channel digests)."""
    if interaction.guild is None:
        return True
    return bool(interaction.permissions.manage_guild)


async def require_manage(interaction: Any, what: str) -> bool:
    """True when the user may change this channel's `what`; otherwise refuses privately."""
    if can_manage(interaction):
        return True
    log.info("%s change refused for user %s: no manage_guild", what, interaction.user.id)
    await refuse(interaction, MANAGE_GUILD_NEEDED.format(what=what))
    return False


QUICK_ANSWER_S = 0.25
"""How soon after the user acted (the interaction's own timestamp) an answer must be ready to be
sent directly, in one message. A slower one is deferred first (Discord's 3-second deadline) and
answered as a follow-up. Answering quick ones directly means their errors are private from the
start: no public "thinking…" ever appears before an error only the user sees."""


async def defer(interaction: Any) -> None:
    """Acknowledge now (Discord's 3-second deadline) with a public "thinking…"; the answer follows."""
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=True)


async def respond(
    interaction: Any,
    work: Awaitable[Reply],
    commands: Commands | None = None,
    *,
    wait: float | None = None,
) -> Reply:
    """Answer with the reply `work` produces: directly when it is ready within `wait` seconds
    of the user's action (default `QUICK_ANSWER_S`), else after a public deferral. Returns the
    reply.

    An error reply that comes after a public deferral still reaches only the user (`answer`
    removes the "thinking…" first); predictable errors (unknown story, bad input) come back
    well within `wait`, so that only happens for slow failures such as a page that times out.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=_budget(interaction, wait))
        if not done:
            await defer(interaction)
        reply = await task
    finally:
        if not task.done():
            task.cancel()
    await answer(interaction, reply, commands)
    return reply


def _budget(interaction: Any, wait: float | None) -> float:
    """What is left of the quick-answer time: the interaction may have waited in the gateway or
    behind other work already (its id carries Discord's creation time). A clock running ahead
    only makes the bot defer sooner; one running behind counts as no wait."""
    budget = QUICK_ANSWER_S if wait is None else wait
    created = getattr(interaction, "created_at", None)
    if isinstance(created, datetime):
        age = (datetime.now(UTC) - created).total_seconds()
        budget -= min(max(age, 0.0), budget)
    return budget


async def answer(interaction: Any, reply: Reply, commands: Commands | None = None) -> None:
    """Send a reply as one or more messages, then record the briefing it showed.

    The first message answers the interaction (or the deferral); the rest are follow-ups, so
    long briefings paginate into several messages. An error after a public deferral removes
    the public "thinking…" message and answers privately instead.
    """
    messages = render.to_messages(reply)
    ephemeral = reply.ephemeral or reply.error
    if ephemeral and interaction.response.is_done():
        # Deferrals here are public; the first follow-up would inherit that visibility.
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.debug("could not delete the deferred response", exc_info=True)
    for n, message in enumerate(messages):
        kwargs: dict[str, Any] = {
            "embeds": message.embeds,
            "ephemeral": ephemeral,
            "allowed_mentions": NO_MENTIONS,
        }
        if n == 0 and not interaction.response.is_done():
            await interaction.response.send_message(message.content, **kwargs)
        else:
            await interaction.followup.send(message.content, **kwargs)
    if commands is not None and not ephemeral:
        await commands.record(reply)


async def refresh_schedule(
    interaction: Any, *, audience: str | None = None, feed_ids: Iterable[int] = ()
) -> None:
    """Tell a running scheduler (if any) about a changed digest or feeds at once.

    Without this the scheduler still picks the change up at its next resync with the database.
    """
    scheduler = getattr(interaction.client, "scheduler", None)
    if scheduler is None:
        return
    try:
        if audience is not None:
            await scheduler.refresh_subscription(audience)
        for feed_id in feed_ids:
            await scheduler.refresh_feed(feed_id)
    except Exception:
        log.exception(
            "refreshing the schedule after a change by user %s failed", interaction.user.id
        )


async def refuse(interaction: Any, message: str) -> None:
    """A short error only the user sees."""
    await answer(interaction, Reply.fail(message))
