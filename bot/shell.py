"""`briefbot shell`: a terminal chat on the local database with the same commands as Discord.

Lines starting with "/" are the slash commands (`/brief`, `/story 3`, …); anything else is a
plain-words question, as in a DM. Replies are the same text Discord shows, without markdown.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any, TextIO

from bot import render
from bot.commands import Commands
from bot.render import Reply
from summaries.newsroom import Newsroom

log = logging.getLogger(__name__)

GREETING = "briefbot shell: type /help for commands, /quit to leave, or just ask."
PROMPT = "briefbot> "

_USAGE = {
    "story": "usage: /story <number>",
    "search": "usage: /search <words>",
    "ingest": "usage: /ingest <url | path | text>",
    "feed": "usage: /feed add <url> | /feed remove <id or url> | /feed list",
    "digest": "usage: /digest set <HH:MM> <timezone> [topics, comma separated] | off | show | preview",
}


async def run_shell(
    room: Newsroom,
    stdin: TextIO,
    stdout: TextIO,
    *,
    audience: str = "cli:shell",
    settings: Any = None,
    scheduler: bool = False,
) -> int:
    """Read commands from `stdin` until EOF or /quit, writing replies to `stdout`.

    Args:
        room: An open Newsroom.
        stdin: Where lines are read (a prompt is shown only when it is a terminal).
        stdout: Where replies are written.
        audience: Whose baseline "what is new" uses (default "cli:shell").
        settings: Passed to the scheduler service when `scheduler` is set.
        scheduler: Also run the scheduler, printing digests here (needs
            `bot.scheduler.shell_service(room, settings, stdout)`).

    Returns:
        The exit code (0).
    """
    cmds = Commands(room)
    interactive = _isatty(stdin)
    service = await _start_scheduler(room, settings, stdout) if scheduler else None
    _write(stdout, GREETING + "\n")
    try:
        while True:
            if interactive:
                _write(stdout, PROMPT)
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                if interactive:
                    _write(stdout, "\n")
                break
            line = line.strip()
            if not line:
                continue
            if line.lower() in ("/quit", "/exit", "/q", "quit", "exit"):
                break
            try:
                reply = await handle_line(cmds, audience, line)
            except Exception as err:  # the shell keeps going after a bug
                log.exception("shell command %r failed", line[:80])
                reply = Reply.fail(f"Something went wrong: {err}")
            text = render.to_text(reply)
            _write(stdout, text + ("\n" if text else ""))
            await cmds.record(reply)
    finally:
        if service is not None:
            await service.stop()
    return 0


async def handle_line(cmds: Commands, audience: str, line: str) -> Reply:
    """One line of the shell: a slash command or a plain-words question."""
    if not line.startswith("/"):
        return await cmds.ask(audience, line, surface="shell")
    name, _, rest = line[1:].partition(" ")
    name = name.lower()
    rest = rest.strip()
    if name == "brief":
        return await cmds.brief(audience, rest or None)
    if name in ("whatsnew", "new"):
        return await cmds.whats_new(audience, rest or None)
    if name == "story":
        number = rest.lstrip("#")
        if not number.isdigit():
            return Reply.fail(_USAGE["story"])
        return await cmds.story(audience, int(number))
    if name == "search":
        return await cmds.search(rest) if rest else Reply.fail(_USAGE["search"])
    if name == "ingest":
        return await cmds.ingest_any(rest) if rest else Reply.fail(_USAGE["ingest"])
    if name == "feed":
        return await _feed(cmds, audience, rest)
    if name == "digest":
        return await _digest(cmds, audience, rest)
    if name == "help":
        return cmds.help("shell")
    return Reply.fail(f"Unknown command /{name}. Type /help for the list.")


async def _feed(cmds: Commands, audience: str, rest: str) -> Reply:
    sub, _, arg = rest.partition(" ")
    arg = arg.strip()
    if sub == "add" and arg:
        return await cmds.feed_add(audience, arg)
    if sub == "remove" and arg:
        return await cmds.feed_remove(audience, arg)
    if sub in ("list", ""):
        return await cmds.feed_list(audience)
    return Reply.fail(_USAGE["feed"])


async def _digest(cmds: Commands, audience: str, rest: str) -> Reply:
    sub, _, args = rest.partition(" ")
    if sub == "set":
        parts = args.split(maxsplit=2)
        if len(parts) < 2:
            return Reply.fail(_USAGE["digest"])
        topics = parts[2] if len(parts) == 3 else ""
        return await cmds.digest_set(audience, parts[0], parts[1], topics)
    if sub == "off":
        return await cmds.digest_off(audience)
    if sub in ("show", ""):
        return await cmds.digest_show(audience)
    if sub == "preview":
        return await cmds.digest_preview(audience)
    return Reply.fail(_USAGE["digest"])


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _write(stdout: TextIO, text: str) -> None:
    stdout.write(text)
    stdout.flush()


async def _start_scheduler(room: Newsroom, settings: Any, stdout: TextIO) -> Any:
    try:
        module = importlib.import_module("bot.scheduler")
    except ImportError:
        module = None
    factory = getattr(module, "shell_service", None)
    if not callable(factory):
        _write(stdout, "(the scheduler is not available in this build; continuing without it)\n")
        return None
    service = factory(room, settings, stdout)
    await service.start()
    return service
