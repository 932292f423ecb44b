"""Several briefbot processes on one database (SQLite file and PostgreSQL).

* Two schedulers; the leader is killed with SIGKILL after claiming a digest and before
  posting it: the other takes over, and every digest is posted exactly once.
* Two `briefbot ingest` processes over overlapping files at once: every article stored once,
  none lost, the overlap reported as duplicates.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from summaries.newsroom import Newsroom

Sql = Callable[..., list[tuple[Any, ...]]]
REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("scheduler_worker.py")

T0 = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)
SPEED = 600.0  # simulated seconds per real second (a lease is half a real second)
DIGESTS = 10  # one every STEP simulated minutes from 07:10
STEP = 3
PAUSE_ON = 4  # the leader dies claiming its fourth digest


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    if request.param == "sqlite":
        yield tmp_path / "shared.db"
        return
    yield request.getfixturevalue("pg_url")


def _wait(what: Callable[[], bool], seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.02)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


async def _subscribe(db: Path | str) -> None:
    async with Newsroom(db, clock=lambda: T0 - timedelta(days=1)) as room:
        for i in range(DIGESTS):
            at = (T0 + timedelta(minutes=10 + STEP * i)).strftime("%H:%M")
            await room.set_digest(f"channel:{100 + i}", local_time=at, timezone="UTC")


def test_leader_killed_mid_digest_another_takes_over_nothing_missed_or_twice(
    shared_db: Path | str, tmp_path: Path, sql: Sql
) -> None:
    asyncio.run(_subscribe(shared_db))
    sink, marker, go = tmp_path / "posted.jsonl", tmp_path / "paused", tmp_path / "go"
    # the workers stop ten simulated minutes after the last digest (a second)
    end = T0 + timedelta(minutes=10 + STEP * DIGESTS + 10)

    def worker(name: str, delay_s: int, *extra: str) -> subprocess.Popen[bytes]:
        args = [str(shared_db), str(sink), name, T0.isoformat(), str(go), str(SPEED)]
        return subprocess.Popen(
            [sys.executable, str(WORKER), *args, end.isoformat(), str(delay_s), *extra],
            cwd=REPO,
            stderr=open(tmp_path / f"{name}.log", "wb"),
        )

    # the second starts a simulated minute later, so the first is the leader
    leader = worker("first", 0, str(PAUSE_ON), str(marker))
    standby: subprocess.Popen[bytes] | None = worker("second", 60)
    try:
        ready = [Path(f"{go}.first"), Path(f"{go}.second")]
        _wait(lambda: all(p.exists() for p in ready), 120, "the schedulers did not start")
        go.write_text(str(time.time()))
        _wait(lambda: bool(sql(shared_db, "SELECT holder FROM leases")), 30, "no leader")
        assert sql(shared_db, "SELECT holder FROM leases") == [("first",)]
        _wait(marker.exists, 90, "the leader never reached its fourth digest")
        os.kill(leader.pid, signal.SIGKILL)  # after the claim, before the post
        leader.wait(timeout=30)
        paused = int(marker.read_text().removeprefix("briefbot-d"))
        assert sql(
            shared_db, "SELECT state, claimed_by FROM deliveries WHERE id = ?", [paused]
        ) == [("pending", "first")]
        assert standby is not None
        assert standby.wait(timeout=120) == 0, (tmp_path / "second.log").read_text()[-3000:]
    finally:
        _kill(leader)
        if standby is not None:
            _kill(standby)

    posted = [json.loads(line) for line in sink.read_text().splitlines()]
    nonces = [p["nonce"] for p in posted]
    assert len(nonces) == len(set(nonces)) == DIGESTS  # none twice, none missed
    assert sorted(p["audience"] for p in posted) == [f"channel:{100 + i}" for i in range(DIGESTS)]
    by_worker = {w: sum(p["worker"] == w for p in posted) for w in ("first", "second")}
    assert by_worker == {"first": PAUSE_ON - 1, "second": DIGESTS - PAUSE_ON + 1}
    rows = sql(
        shared_db,
        "SELECT subscription_id, scheduled_for, state, claimed_by FROM deliveries ORDER BY id",
    )
    assert len(rows) == DIGESTS and {r[2] for r in rows} == {"sent"}
    assert len({(r[0], r[1]) for r in rows}) == DIGESTS
    # the digest the leader died on was taken over and sent by the other process
    assert sql(shared_db, "SELECT state, claimed_by FROM deliveries WHERE id = ?", [paused]) == [
        ("sent", "second")
    ]
    assert f"briefbot-d{paused}" in nonces
    assert "taking over delivery" in (tmp_path / "second.log").read_text()


# ------------------------------------------------------------------------------ ingest


PLACES = ["Tarnby", "Velmora", "Oskfield", "Brisa", "Quellin", "Dornach", "Halvik", "Myrren"]
SUBJECTS = ["council", "ferry operator", "hospital board", "school district", "museum"]
OBJECTS = ["a new budget", "the summer timetable", "repairs to the old bridge", "longer hours"]


def _article(i: int) -> str:
    rng = random.Random(i)
    code = f"qx{i:04d}z"
    lines = [f"{rng.choice(PLACES)} {rng.choice(SUBJECTS).title()} Decision {code}", ""]
    for _ in range(5):
        lines.append(
            f"The {rng.choice(SUBJECTS)} in {rng.choice(PLACES)} approved {rng.choice(OBJECTS)} "
            f"on Monday, and about {rng.randint(12, 9000)} people will notice in case {code}."
        )
        lines.append("")
    return "\n".join(lines)


def test_two_ingest_processes_at_once_store_every_article_once(
    shared_db: Path | str, tmp_path: Path, sql: Sql
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    files = []
    for i in range(90):
        path = folder / f"a{i:03d}.txt"
        path.write_text(_article(i), encoding="utf-8")
        files.append(str(path))
    asyncio.run(_subscribe(shared_db))  # creates and migrates the database first
    halves = [files[:60], files[30:]]  # 30 files given to both
    env = {**os.environ, "BRIEFBOT_CONFIG": ""}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "--db", str(shared_db), "ingest", "--no-progress", *half],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for half in halves
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
    lines = [line for out, _ in outputs for line in out.decode().splitlines() if "#" in line]
    stored = [line for line in lines if line.startswith("stored")]
    duplicates = [line for line in lines if line.startswith("duplicate")]
    assert len(lines) == 120 and not [line for line in lines if line.startswith("rejected")]
    assert len(stored) == 90 and len(duplicates) == 30
    titles = [r[0] for r in sql(shared_db, "SELECT title FROM articles")]
    assert len(titles) == 90
    assert sorted(t.split()[-1] for t in titles) == [f"qx{i:04d}z" for i in range(90)]
    [(counted,)] = sql(shared_db, "SELECT value FROM meta WHERE key = 'doc_count'")
    assert int(counted) == 90  # every article counted once in the document frequencies
