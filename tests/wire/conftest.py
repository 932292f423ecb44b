"""Fixtures for the wire tests: the Discord stand-in, a configuration pointing at it, and
briefbot's own `run_bot` running against it until the test stops it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from standin import DiscordStandIn

from bot.discord_app import run_bot, sync_commands
from bot.scheduler import discord_service
from bot.settings import TOKEN_ENV, Settings, load_settings

TOKEN = "wire-test-token"


@pytest.fixture
async def discord() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn(TOKEN) as standin:
        yield standin


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def configure(tmp_path: Path, discord: DiscordStandIn) -> Callable[..., Settings]:
    """`configure(section={key: value})`: a config file pointing at the stand-in, loaded."""

    def make(**sections: dict[str, Any]) -> Settings:
        base: dict[str, dict[str, Any]] = {
            "store": {"path": str(tmp_path / "briefbot.db")},
            "fetch": {"allow_private": True, "timeout_s": 5},
            "discord": {"api_base_url": discord.api_base_url, "gateway_url": discord.gateway_url},
            "log": {"level": "INFO"},
        }
        for name, values in sections.items():
            base.setdefault(name, {}).update(values)
        text = "".join(
            f"[{name}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in values.items())
            for name, values in base.items()
        )
        path = tmp_path / "briefbot.toml"
        path.write_text(text, encoding="utf-8")
        return load_settings(path, environ={TOKEN_ENV: TOKEN})

    return make


@dataclass
class RunningBot:
    """briefbot's `run_bot` in a task; `stop()` is Ctrl-C (the task is cancelled)."""

    settings: Settings
    task: asyncio.Task[int]
    client: Any = None  # the BriefBot run_bot made (seen by its scheduler service)
    expect_errors: bool = False
    stopped: bool = field(default=False)

    @property
    def db(self) -> Path:
        return self.settings.db_path

    async def stop(self, within: float = 20.0) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.task.cancel()
        done, _ = await asyncio.wait({self.task}, timeout=within)
        assert done, "the bot did not stop"
        if not self.task.cancelled() and self.task.exception() is not None:
            raise self.task.exception()  # type: ignore[misc]


_SYNCED: list[dict[str, Any]] = []


@pytest.fixture
async def start_bot(
    discord: DiscordStandIn,
    configure: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Callable[..., Any]]:
    """`await start_bot(settings=None)`: commands published (the first time by `briefbot sync`,
    later from its cached answer), then `run_bot` connected and ready. At the end the bot is
    stopped, and the test fails if anything was logged as an error, or the bot called a route
    the stand-in does not know."""
    bots: list[RunningBot] = []
    caplog.set_level(logging.INFO)

    async def start(settings: Settings | None = None, *, sync: bool = True) -> RunningBot:
        settings = settings or configure()
        if sync:
            if not _SYNCED:
                await sync_commands(settings, None)
                _SYNCED.extend(discord.global_commands)
            else:
                discord.global_commands = [dict(c) for c in _SYNCED]
        running: RunningBot

        def scheduler(client: Any) -> Any:
            # run_bot's own scheduler service; the test only keeps a handle on the client
            running.client = client
            return discord_service(client)

        task = asyncio.create_task(run_bot(settings, services=[scheduler]), name="briefbot run")
        running = RunningBot(settings, task)
        bots.append(running)
        connected = asyncio.ensure_future(discord.ready(within=20))
        await asyncio.wait({task, connected}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            connected.cancel()
            raise AssertionError(f"run_bot ended before connecting: exit code {task.result()}")
        await connected
        return running

    yield start
    for running in bots:
        await running.stop()
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and not any(b.expect_errors for b in bots)
    ]
    assert not errors, "errors were logged:\n" + "\n".join(r.getMessage() for r in errors)
    assert not discord.unknown_routes, discord.unknown_routes
