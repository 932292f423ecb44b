"""Running at scale: the PostgreSQL store from the command line, `briefbot migrate`, settings.

Process-level tests (several schedulers, several ingest processes) are in test_processes.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.demo import run_demo
from bot.settings import load_settings
from summaries.errors import InvalidInput

Sql = Callable[..., list[tuple[Any, ...]]]


async def _demo_store(path: Path) -> None:
    assert await run_demo(io.StringIO(), db_path=path) == 0


def test_migrate_copies_the_demo_store_and_brief_reads_the_same(
    tmp_path: Path, pg_url: str, cli: Any, sql: Sql
) -> None:
    import asyncio

    demo = tmp_path / "demo.db"
    asyncio.run(_demo_store(demo))
    before = {t: sql(demo, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("articles", "sentences")}

    done = cli("migrate", f"sqlite:{demo}", pg_url, "--no-progress")
    assert done.code == 0, done.err
    lines = done.lines
    assert lines[0] == f"copied {demo} to {pg_url}"
    rows = {line.split()[0]: line.split() for line in lines[2:-1]}
    assert set(rows) >= {"articles", "sentences", "stories", "deliveries", "delivery_sentences"}
    for table, cells in rows.items():
        assert cells[1] == cells[2], table  # same row count on both sides
        assert cells[-1] == "same", table
    assert int(rows["articles"][1]) == before["articles"]
    assert lines[-1].startswith(f"all {len(rows)} tables match")
    assert sql(pg_url, "SELECT COUNT(*) FROM sentences") == [(before["sentences"],)]

    on_sqlite = cli("brief", "--audience", "demo", "--dry-run", db=demo)
    on_postgres = cli("brief", "--audience", "demo", "--dry-run", db=pg_url)  # type: ignore[arg-type]
    assert on_sqlite.code == on_postgres.code == 0
    assert on_postgres.out == on_sqlite.out
    assert "Nothing new" not in on_sqlite.out and on_sqlite.out.count("\n") > 5
    # the copy goes on where the original stopped: new ids follow the copied ones
    assert cli("stories", "--json", db=pg_url).out == cli("stories", "--json", db=demo).out  # type: ignore[arg-type]
    extra = tmp_path / "extra.txt"
    extra.write_text(
        "Tram Line Extension Opens in Norrvik\n\nThe new tram line to the Norrvik harbour "
        "opened on Monday with trams every eight minutes, the transport board said. The "
        "extension has four stops and cost 120 million crowns, the board added.\n"
    )
    added = cli("ingest", str(extra), db=pg_url)  # type: ignore[arg-type]
    assert added.code == 0, added.out + added.err
    assert added.lines[0].startswith(f"stored     #{before['articles'] + 1}  ")


def test_migrate_refuses_a_database_that_holds_data(tmp_path: Path, pg_url: str, cli: Any) -> None:
    import asyncio

    demo = tmp_path / "demo.db"
    asyncio.run(_demo_store(demo))
    assert cli("migrate", f"sqlite:{demo}", pg_url, "--no-progress").code == 0
    again = cli("migrate", f"sqlite:{demo}", pg_url, "--no-progress")
    assert again.code == 2
    assert again.err.startswith(f"briefbot: {pg_url} already holds data (table ")
    assert again.err.rstrip().endswith("is not empty): migrate into an empty database")


def test_migrate_explains_wrong_arguments(tmp_path: Path, cli: Any) -> None:
    missing = cli("migrate", f"sqlite:{tmp_path}/none.db", "postgresql://u@127.0.0.1:1/x")
    assert (missing.code, missing.err) == (
        2,
        f"briefbot: no SQLite database at {tmp_path}/none.db\n",
    )
    secret = cli("migrate", "sqlite:x.db", "postgresql://u:hunter2@127.0.0.1:1/x")
    assert secret.code == 2 and "hunter2" not in secret.err
    assert "contains a password" in secret.err


def test_store_url_in_the_config_and_db_flag(tmp_path: Path) -> None:
    config = tmp_path / "b.toml"
    config.write_text('[store]\nurl = "postgresql://bot@db.internal:5432/news"\n')
    settings = load_settings(config, environ={})
    assert settings.db_path == "postgresql://bot@db.internal:5432/news"
    assert load_settings(config, db_path="local.db", environ={}).db_path == Path("local.db")
    config.write_text('[store]\nurl = "postgresql://bot:pw@db.internal/news"\n')
    with pytest.raises(InvalidInput, match=r"store.url: the database URL postgresql://bot:\*\*\*@"):
        load_settings(config, environ={})
    config.write_text('[store]\nurl = "mysql://db/news"\n')
    with pytest.raises(InvalidInput, match="mysql:// is not a database briefbot knows"):
        load_settings(config, environ={})
    config.write_text('[store]\nurl = "a.db"\npath = "b.db"\n')
    with pytest.raises(InvalidInput, match=r"set either store\.path or store\.url, not both"):
        load_settings(config, environ={})


# ------------------------------------------------------------------------------ sharding


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--shards", "0,1"],
            "--shards needs --shard-count (the total number of shards of the bot)",
        ),
        (
            ["--shards", "0,4", "--shard-count", "4"],
            "--shards '0,4': shard 4 does not exist with --shard-count 4 (ids are 0 to 3)",
        ),
        (["--shards", "1,1", "--shard-count", "4"], "--shards '1,1': shard 1 is listed twice"),
        (
            ["--shards", "0,x", "--shard-count", "2"],
            "--shards '0,x': 'x' is not a shard id (use numbers: --shards 0,1)",
        ),
    ],
)
def test_run_refuses_bad_shard_flags_before_connecting(
    cli: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], error: str
) -> None:
    monkeypatch.setenv("BRIEFBOT_DISCORD_TOKEN", "not-used")
    done = cli("run", *args)
    assert (done.code, done.err) == (2, f"briefbot: {error}\n")


def test_shard_count_must_be_positive(cli: Any) -> None:
    done = cli("run", "--shard-count", "0")
    assert done.code == 2 and "'0' must be greater than 0" in done.err


async def test_sharded_run_builds_an_autosharded_client_on_its_shards(tmp_path: Path) -> None:
    import discord

    from bot.discord_app import BriefBot, Shards, build_bot, parse_shards
    from summaries.newsroom import Newsroom

    assert parse_shards(None, None) is None
    assert parse_shards(None, 3) == Shards((0, 1, 2), 3)
    shards = parse_shards("3, 1", 4)
    assert shards == Shards((1, 3), 4) and shards.label == "shards 1,3 of 4"
    async with Newsroom(tmp_path / "x.db") as room:
        plain = build_bot(room, None)
        sharded = build_bot(room, None, shards=shards)
        assert not isinstance(plain, discord.AutoShardedClient)
        assert isinstance(sharded, discord.AutoShardedClient) and isinstance(sharded, BriefBot)
        assert (sharded.shard_ids, sharded.shard_count) == ([1, 3], 4)
        assert sharded.intents.value == plain.intents.value  # the same minimal intents
