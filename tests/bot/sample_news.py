"""Invented sample articles (one story about a harbour in a made-up town) and a test Newsroom."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from summaries.newsroom import Newsroom

START = datetime(2024, 3, 5, 9, 30, tzinfo=UTC)

QUAY_COAST = (
    "The Port of Velmar reopened its north quay on Monday after a three-week closure. "
    "Harbour master Ilse Varga said 40 container cranes were inspected before the reopening."
)
QUAY_HERALD = (
    "Velmar's north quay is open again, three weeks after it was shut. "
    "Harbour master Ilse Warga told reporters that 42 cranes had been checked."
)
QUAY_UNION = (
    "A dockworkers' union in Velmar called for an independent safety review on Tuesday. "
    "The union said the crane that collapsed had missed two scheduled inspections."
)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@asynccontextmanager
async def open_room(tmp_path: Path, clock: Clock | None = None) -> AsyncIterator[Newsroom]:
    """A Newsroom on a fresh SQLite file."""
    async with Newsroom(tmp_path / "briefbot.db", clock=clock or Clock()) as room:
        yield room


async def add_quay_story(room: Newsroom) -> None:
    """Two outlets on the quay reopening: they spell the harbour master differently, and tell
    the three-week closure in other words. (Their crane counts differ too, but under different
    verbs, "inspected" and "checked", which briefbot does not risk calling one thing.)"""
    await room.ingest_text(
        QUAY_COAST,
        title="Velmar quay reopens",
        outlet="Coast Times",
        url="https://coast.example/velmar",
    )
    await room.ingest_text(
        QUAY_HERALD,
        title="North quay open again",
        outlet="Bay Herald",
        url="https://herald.example/velmar",
    )


async def add_union_article(room: Newsroom) -> None:
    """A later article in the same story, with new facts."""
    await room.ingest_text(
        QUAY_UNION, title="Union wants review", outlet="Dock Daily", url="https://dock.example/u"
    )


def advance(room: Newsroom, **delta: float) -> None:
    """Move the test clock of a room opened with `open_room`."""
    clock = room.clock
    assert isinstance(clock, Clock)
    clock.advance(**delta)
