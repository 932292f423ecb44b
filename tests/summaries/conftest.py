"""The core's tests run twice: on SQLite and on PostgreSQL (the store's contract suite).

Every test here that uses `db_path` (and so `room`, `cli`, `sql`) is parametrized over both
backends; a test that checks something only SQLite has asks for `sqlite_db` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def db_path(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    if request.param == "sqlite":
        yield tmp_path / "briefbot.db"
        return
    yield request.getfixturevalue("pg_url")


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    """A SQLite file, for tests of what only the SQLite backend has (PRAGMAs, FTS5, files)."""
    return tmp_path / "briefbot.db"
