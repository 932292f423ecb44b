"""`briefbot demo`: the whole product on built-in sample articles, in a temporary database.

Day one: three outlets (and a syndicated copy) report a storm closing a bridge, plus an
unrelated arts story. The demo ingests them, prints the briefing a channel would get, then
ingests the next day's coverage and prints only what is new for that channel.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TextIO

from bot import render
from bot.cli import demo_db_path, ingest_line
from summaries.config import CoreConfig
from summaries.newsroom import Newsroom, audience_for_cli

log = logging.getLogger(__name__)

# The plain-text samples carry no machine-readable outlet line, as pasted articles often do
# not; the demo passes the outlet the way the Python API and Discord /ingest allow.
OUTLETS = {
    "01_alder_gazette.txt": "Alder Gazette",
    "02_coastline_news.txt": None,  # the cleaner finds "Coastline News" in the text itself
    "03_northern_wire.txt": "Northern Wire",
    "04_harbour_daily_syndicated.txt": "Harbour Daily",
    "05_valley_times_unrelated.txt": "Valley Times",
    "06_alder_gazette_update.txt": "Alder Gazette",
    "07_coastline_news_update.txt": None,
}

AUDIENCE = audience_for_cli("demo")


def sample_files(day: str) -> list[Path]:
    """The sample articles of `day` ("day1" or "day2") shipped with the package."""
    folder = resources.files("summaries") / "samples" / day
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".txt"))


async def run_demo(out: TextIO, *, db_path: Path | None = None) -> int:
    """Run the demo, printing to `out`. Returns the exit code."""
    path = db_path or demo_db_path()
    clock_day = [datetime(2025, 3, 3, 19, 0, tzinfo=UTC)]
    try:
        async with Newsroom(path, config=CoreConfig(), clock=lambda: clock_day[0]) as room:
            _say(out, f"briefbot demo: a temporary database at {path}\n")
            _say(out, "== Day 1: storing the morning's articles ==")
            await _ingest_day(room, "day1", out)
            _say(out, "")
            stories = await room.stories()
            for story in stories:
                _say(
                    out,
                    f"story {story.id}: {story.title} ({story.article_count} article{'s' if story.article_count != 1 else ''}: "
                    f"{', '.join(story.outlets)})",
                )
            _say(out, "\n== Day 1: the briefing channel #newsroom receives ==")
            briefing = await room.brief(AUDIENCE)
            out.write(render.to_text(render.briefing_reply(briefing)))

            clock_day[0] = datetime(2025, 3, 4, 19, 0, tzinfo=UTC)
            _say(out, "\n== Day 2: the next day's coverage arrives ==")
            await _ingest_day(room, "day2", out)
            _say(out, "\n== Day 2: what is new for #newsroom since its briefing ==")
            update = await room.whats_new(AUDIENCE, record=True)
            out.write(render.to_text(render.briefing_reply(update, whats_new=True)))
            _say(out, "\n== Asking again: nothing new ==")
            again = await room.whats_new(AUDIENCE)
            out.write(render.to_text(render.briefing_reply(again, whats_new=True)))
        _say(
            out,
            "\nTry it yourself:  briefbot --db my.db ingest PATH_OR_URL ...  then  "
            "briefbot --db my.db shell",
        )
    finally:
        if db_path is None:
            shutil.rmtree(path.parent, ignore_errors=True)
    return 0


async def _ingest_day(room: Newsroom, day: str, out: TextIO) -> None:
    for path in sample_files(day):
        outlet = OUTLETS.get(path.name)
        result = await room.ingest_text(
            path.read_text(encoding="utf-8"), source=f"samples/{day}/{path.name}", outlet=outlet
        )
        _say(out, ingest_line(result))


def _say(out: TextIO, line: str) -> None:
    out.write(line + "\n")
