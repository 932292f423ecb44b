"""SIGKILL in the middle of `briefbot ingest`: the database stays consistent and nothing is lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Sql = Callable[..., list[tuple[Any, ...]]]

FILES = 300
KILL_AFTER = 15  # committed articles

PLACES = ["Tarnby", "Velmora", "Oskfield", "Brisa", "Quellin", "Dornach", "Halvik", "Myrren"]
SUBJECTS = [
    "council", "ferry operator", "hospital board", "football club", "school district",
    "weather service", "railway company", "museum", "harbour authority", "farmers' union",
]  # fmt: skip
VERBS = ["approved", "postponed", "announced", "criticised", "welcomed", "rejected", "reviewed"]
OBJECTS = [
    "a new budget", "the summer timetable", "a plan for cycle lanes", "higher parking fees",
    "a festival on the river bank", "repairs to the old bridge", "a recycling scheme",
    "longer opening hours", "a study of flood risks", "a merger with a neighbouring town",
]  # fmt: skip


def _article(i: int) -> str:
    rng = random.Random(i)
    place = rng.choice(PLACES)
    code = f"zq{i:04d}x"  # one searchable word unique to this article
    lines = [f"{place} {rng.choice(SUBJECTS).title()} Decision {code}", ""]
    for _ in range(6):
        lines.append(
            f"The {rng.choice(SUBJECTS)} in {rng.choice(PLACES)} {rng.choice(VERBS)} "
            f"{rng.choice(OBJECTS)} on {rng.choice(['Monday', 'Tuesday', 'Friday'])}, "
            f"and officials said about {rng.randint(12, 9000)} people would be affected "
            f"by the change in case {code}."
        )
        lines.append("")
    return "\n".join(lines)


def _count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0  # not created or not migrated yet


def _ingest_cmd(db: Path, folder: Path) -> list[str]:
    return [sys.executable, "-m", "bot", "--db", str(db), "ingest", "--no-progress", str(folder)]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_mid_ingest_leaves_a_consistent_database(tmp_path: Path, sql: Sql) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"{i:04d}.txt").write_text(_article(i), encoding="utf-8")
    db = tmp_path / "crash.db"
    proc = subprocess.Popen(
        _ingest_cmd(db, folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(),
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while _count(db) < KILL_AFTER:
            assert proc.poll() is None, "ingest ended before it could be killed"
            assert time.monotonic() < deadline, "no article was committed within 60 s"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # ---- the file as it was left
    assert sql(db, "PRAGMA integrity_check") == [("ok",)]
    sql(db, "INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")  # raises if bad
    committed = sql(db, "SELECT id, source, story_id FROM articles ORDER BY id")
    k = len(committed)
    assert KILL_AFTER <= k < FILES, f"{k} articles committed: the kill came too late"
    for article_id, source, story_id in committed:
        n = sql(db, "SELECT COUNT(*) FROM sentences WHERE article_id = ?", [article_id])[0][0]
        assert n == 6, f"article {article_id} has {n} sentences"
        code = f"zq{int(Path(source).stem):04d}x"
        assert sql(db, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [code]) == [
            (article_id,)
        ]
        assert story_id is not None, f"article {article_id} has no story"
        assert sql(db, "SELECT COUNT(*) FROM stories WHERE id = ?", [story_id]) == [(1,)]
    live = sql(db, "SELECT COALESCE(SUM(article_count), 0) FROM stories WHERE merged_into IS NULL")
    assert live == [(k,)]
    assert sql(
        db, "SELECT COUNT(*) FROM sentences WHERE article_id NOT IN (SELECT id FROM articles)"
    ) == [(0,)]

    # ---- running the same ingest again finishes the job, storing nothing twice
    again = subprocess.run(
        _ingest_cmd(db, folder),
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == f"{FILES - k} stored, {k} duplicate, 0 rejected"
    assert sql(
        db, "SELECT COUNT(*), COUNT(DISTINCT source), COUNT(DISTINCT fingerprint) FROM articles"
    ) == [(FILES, FILES, FILES)]
    assert sql(db, "SELECT COUNT(*) FROM articles WHERE story_id IS NULL") == [(0,)]
    assert sql(db, "PRAGMA integrity_check") == [("ok",)]
    # the articles committed before the kill are unchanged
    assert sql(
        db, "SELECT id, source FROM articles WHERE id <= ? ORDER BY id", [committed[-1][0]]
    ) == [(a, s) for a, s, _ in committed]
