"""`briefbot demo`: the whole product on the built-in samples, as a newcomer first sees it."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.demo import run_demo

Sql = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def demo_output() -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["demo"])
    return code, out.getvalue()


def _section(text: str, heading: str) -> str:
    """The lines after `== heading ==` up to the next `==` heading."""
    start = text.index(f"== {heading} ==")
    rest = text[start:].split("\n", 1)[1]
    end = rest.find("\n== ")
    return rest if end < 0 else rest[:end]


def _sentences(section: str) -> list[str]:
    """Quoted-sentence bullets of a section (not the "Where outlets disagree:" bullets)."""
    out: list[str] = []
    in_disagreements = False
    for line in section.splitlines():
        if line == "Where outlets disagree:":
            in_disagreements = True
        elif not line.startswith("• "):
            in_disagreements = False
        elif not in_disagreements:
            out.append(line)
    return out


def test_demo_exits_0_and_cleans_up_its_temporary_database(demo_output: tuple[int, str]) -> None:
    code, text = demo_output
    assert code == 0
    first = text.splitlines()[0]
    match = re.fullmatch(r"briefbot demo: a temporary database at (.+)", first)
    assert match, first
    assert not Path(match.group(1)).exists()
    assert not Path(match.group(1)).parent.exists()


def test_demo_day_one_stores_the_samples_and_briefs(demo_output: tuple[int, str]) -> None:
    _, text = demo_output
    stored = _section(text, "Day 1: storing the morning's articles")
    assert len(re.findall(r"^stored     #\d+  samples/day1/", stored, re.M)) == 5
    assert "story 1: Port Alder bridge shut after storm cracks pier (4 articles" in stored
    briefing = _section(text, "Day 1: the briefing channel #newsroom receives")
    lines = briefing.strip().splitlines()
    assert lines[0] == "Briefing: 2 stories."
    assert "## Port Alder bridge shut after storm cracks pier" in lines
    assert "## Valley Orchestra Names New Conductor" in lines
    bullets = _sentences(briefing)
    assert len(bullets) >= 6
    assert all(re.search(r" — [A-Z][\w ]+$", b) for b in bullets), "every sentence is cited"
    assert "ferry" not in briefing  # the ferry only arrives on day two


def test_demo_day_two_shows_only_what_is_new(demo_output: tuple[int, str]) -> None:
    _, text = demo_output
    stored = _section(text, "Day 2: the next day's coverage arrives")
    assert len(re.findall(r"^stored     #\d+  samples/day2/", stored, re.M)) == 2
    update = _section(text, "Day 2: what is new for #newsroom since its briefing")
    assert "New since your last briefing:" in update
    new = _sentences(update.split("New since your last briefing:", 1)[1])
    assert any("ferry" in line for line in new)
    day_one = _section(text, "Day 1: the briefing channel #newsroom receives")
    shown = set(_sentences(day_one))
    assert not shown & set(new), "a day-one sentence was repeated as new"
    assert "Valley Orchestra" not in update


def test_demo_ends_with_nothing_new(demo_output: tuple[int, str]) -> None:
    _, text = demo_output
    again = _section(text, "Asking again: nothing new")
    assert again.strip().splitlines()[0] == "Nothing new since your last briefing."


async def test_demo_records_the_briefing_and_the_update(tmp_path: Path, sql: Sql) -> None:
    db = tmp_path / "demo.db"
    out = io.StringIO()
    assert await run_demo(out, db_path=db) == 0
    assert db.exists()  # a database the caller gave is kept
    assert sql(db, "SELECT id, audience FROM deliveries ORDER BY id") == [
        (1, "cli:demo"),
        (2, "cli:demo"),
    ]
    assert sql(db, "SELECT COUNT(*) FROM articles") == [(7,)]


def test_demo_recognises_the_syndicated_copy(demo_output: tuple[int, str]) -> None:
    _, text = demo_output
    stored = _section(text, "Day 1: storing the morning's articles")
    [line] = [x for x in stored.splitlines() if "04_harbour_daily_syndicated" in x]
    assert line.endswith("syndicated copy of #1")
    [story] = [x for x in stored.splitlines() if x.startswith("story 1:")]
    assert "Harbour Daily" not in story
    assert "(Story 1 · 3 sources" in _section(
        text, "Day 1: the briefing channel #newsroom receives"
    )
