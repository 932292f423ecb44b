"""Shared fixtures: a fixed clock, a Newsroom on a temporary database, the CLI, sample texts.

Every article text here is invented for the tests. The real seed articles and the BBC set are
only read from ``../shared`` beside the repository and the tests using them skip when absent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from summaries.newsroom import Newsroom

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
BBC = SHARED / "datasets" / "bbc-news-summary-dev" / "News Articles"

FIXED_NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the Newsroom: `clock()` returns `clock.now`."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The test's database: a SQLite file (tests/summaries run each test on PostgreSQL too)."""
    return tmp_path / "briefbot.db"


@pytest.fixture(scope="session")
def pg_pool() -> Iterator[Any]:
    """The session's throw-away PostgreSQL: `pg_pool.take()` gives a fresh migrated database."""
    from bench.pgcluster import PostgresMissing
    from tests.pg import start_cluster, unavailable

    try:
        cluster, pool = start_cluster()
    except PostgresMissing as err:
        unavailable(err)
        return
    try:
        yield pool
    finally:
        pool.close()
        cluster.stop()


@pytest.fixture
def pg_url(pg_pool: Any) -> Iterator[str]:
    """A fresh migrated PostgreSQL database of its own for this test."""
    url = pg_pool.take()
    yield url
    pg_pool.give_back(url)


@pytest.fixture
async def room(db_path: Path, clock: Clock) -> AsyncIterator[Newsroom]:
    async with Newsroom(db_path, clock=clock) as newsroom:
        yield newsroom


@pytest.fixture
def seeds_dir() -> Path:
    if not SEEDS.is_dir() or len(list(SEEDS.glob("*.txt"))) < 5:
        pytest.skip(f"seed articles not found at {SEEDS}")
    return SEEDS


@pytest.fixture
def bbc_dir() -> Path:
    if not BBC.is_dir():
        pytest.skip(f"BBC dataset not found at {BBC}")
    return BBC


@pytest.fixture
def bbc_files(bbc_dir: Path) -> list[Path]:
    """The first 30 articles of each BBC category (150 in all)."""
    out: list[Path] = []
    for category in sorted(p for p in bbc_dir.iterdir() if p.is_dir()):
        out.extend(sorted(category.glob("*.txt"))[:30])
    return out


def _query(db: Path | str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    if str(db).startswith("postgresql://"):
        import psycopg

        from summaries.sqldialect import to_postgres

        with psycopg.connect(str(db), autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(to_postgres(sql), tuple(params)).fetchall()]  # type: ignore[arg-type]
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, tuple(params)).fetchall()
    finally:
        con.close()


@pytest.fixture
def sql() -> Callable[..., list[tuple[Any, ...]]]:
    """`sql(db, "SELECT ...", params)`: rows read with a plain sqlite3 (or psycopg) connection."""
    return _query


@dataclass
class CliRun:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture
def cli(
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., CliRun]]:
    """Run `briefbot --db <tmp db> ARGS...` in-process; returns exit code, stdout and stderr."""
    from bot.cli import main

    monkeypatch.delenv("BRIEFBOT_CONFIG", raising=False)
    monkeypatch.delenv("BRIEFBOT_DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*args: str | Path, db: Path | None = None) -> CliRun:
        capsys.readouterr()
        code = main(["--db", str(db or db_path), *[str(a) for a in args]])
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    yield run


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def write() -> Callable[[Path, str, str], Path]:
    """`write(folder, name, text)`: write one article file, return its path."""
    return _write


@pytest.fixture
def samples() -> Samples:
    """The invented sample articles below."""
    return Samples()


# ------------------------------------------------------------------------ invented articles
# One story told by three outlets on day one (the Kestrel reservoir spillway), an update the
# next day, and unrelated news. Names, places and figures are made up.

RESERVOIR_RIDGEWAY = """Kestrel Reservoir Spillway Opened as Heavy Rain Swells Dam

Engineers opened the emergency spillway of the Kestrel Reservoir on Monday after three days of heavy rain pushed the water level to within forty centimetres of the dam crest, the regional water authority said.

Authority director Halvard Osterby said the dam itself was sound but that the spillway would stay open until the level fell by at least two metres. "We are releasing water in a controlled way so that nobody downstream is surprised," he told reporters in Brennmoor.

About 2,300 residents of the village of Brennmoor, which lies six kilometres below the dam, were asked to move to higher ground as a precaution. Schools in Brennmoor and neighbouring Sollholt were closed for the day.

The river Tavel, which carries the released water to the coast, is expected to peak on Tuesday evening near the market town of Edderly.
"""

RESERVOIR_LOWLAND = """Brennmoor Villagers Leave Homes as Kestrel Dam Releases Water

Published: June 2, 2025 at 9:15 am EST

Thousands of people left the village of Brennmoor on Monday as engineers released water from the swollen Kestrel Reservoir through its emergency spillway.

Regional water authority director Halvard Osterby said the dam was not in danger but that the level had come within forty centimetres of the crest after three days of rain. Buses took residents without cars to a sports hall in Sollholt, where the Red Cross set up beds for about 400 people.

Farmers along the river Tavel moved livestock away from the water meadows, and the authority warned that fields near Edderly could flood when the river peaks on Tuesday.
"""

RESERVOIR_EASTFOLD = """Kestrel Dam: Spillway Release Forces Brennmoor Precautions

By: Ingrid Sandvik

Water was pouring through the emergency spillway of the Kestrel Reservoir dam on Monday, three days of downpours having filled the reservoir almost to its crest.

The water authority, led by Halvard Osterby, asked some 2,300 residents of Brennmoor to leave their homes as a precaution and closed the road along the river Tavel between Brennmoor and Edderly. Osterby said inspectors had found no damage to the dam wall.

Meteorologists expect the rain to ease on Wednesday, which would let the authority close the spillway gates later in the week.
"""

RESERVOIR_UPDATE = """Kestrel Spillway Gate Jams, Army Engineers Called In

Engineers at the Kestrel Reservoir discovered on Tuesday that one of the three spillway gates had jammed half open, and the regional water authority asked army engineers to help free it, director Halvard Osterby said.

The jammed gate means the authority cannot fully control the release, and the evacuation of Brennmoor will last at least until Friday, Osterby said. A temporary footbridge will be built over the Tavel at Edderly so that children can reach the school in Sollholt.

Insurers estimated the flood damage to farmland near Edderly at 14 million crowns, the first estimate of the cost of the release.
"""

ORCHARD = """Hillside Orchards Report Record Cherry Harvest

Cherry growers in the Marrow Hills picked a record 9,400 tonnes of fruit this season, the growers' cooperative announced on Thursday, helped by a warm spring without late frosts.

Cooperative chair Benedetta Quill said prices had held up despite the large crop because exporters found new buyers in the northern markets. Several orchards hired twice as many seasonal pickers as last year.

The cooperative plans to open a second cold store near the town of Vesk next spring.
"""

LIBRARY = """City Library Opens Robotics Workshop for Teenagers

The central library of Oakhaven opened a robotics workshop on Saturday where teenagers can build and program small machines free of charge, librarian Tobiah Wren said.

The workshop has twelve workbenches, three 3D printers and a collection of sensor kits donated by a local electronics firm. Sessions run on weekday afternoons and are led by volunteer engineers from the technical college.

More than 150 young people signed up in the first week, and a waiting list has been opened.
"""

COMET = """Amateur Astronomers Track Bright Comet Over Northern Skies

A comet discovered in March by an amateur astronomer in the town of Lindqvist has become bright enough to see with binoculars shortly after sunset, the national astronomy society said on Wednesday.

The comet, catalogued as C/2025 K4, will pass closest to the Sun in early July and may briefly become visible to the naked eye. Society spokesperson Oriane Falk advised observers to look low in the north-western sky about an hour after sunset.

Observatories in the mountains reported a faint blue tail about two degrees long.
"""


@dataclass(frozen=True)
class Samples:
    ridgeway: str = RESERVOIR_RIDGEWAY
    lowland: str = RESERVOIR_LOWLAND
    eastfold: str = RESERVOIR_EASTFOLD
    update: str = RESERVOIR_UPDATE
    orchard: str = ORCHARD
    library: str = LIBRARY
    comet: str = COMET

    @property
    def unrelated(self) -> dict[str, str]:
        return {"orchard": self.orchard, "library": self.library, "comet": self.comet}
