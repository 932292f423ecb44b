"""Digest timing: local wall-clock times in IANA zones, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from summaries.digests import (
    Due,
    due,
    local_label,
    next_run,
    parse_hhmm,
    previous_run,
    run_on,
    runs_between,
)
from summaries.errors import InvalidInput

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_berlin_0800_stays_0800_local_across_the_march_switch() -> None:
    # EU summer time began on Sunday 31 March 2024 at 01:00 UTC.
    runs = runs_between("08:00", BERLIN, utc(2024, 3, 29), utc(2024, 4, 2))
    assert runs == [
        utc(2024, 3, 29, 7),  # CET, UTC+1
        utc(2024, 3, 30, 7),
        utc(2024, 3, 31, 6),  # CEST, UTC+2
        utc(2024, 4, 1, 6),
    ]
    assert {r.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M") for r in runs} == {"08:00"}


def test_berlin_0800_stays_0800_local_across_the_october_switch() -> None:
    # EU summer time ended on Sunday 27 October 2024 at 01:00 UTC.
    assert next_run("08:00", BERLIN, utc(2024, 10, 26, 6)) == utc(2024, 10, 27, 7)
    assert next_run("08:00", BERLIN, utc(2024, 10, 25, 12)) == utc(2024, 10, 26, 6)


def test_new_york_switches_on_its_own_date() -> None:
    # US daylight time began on Sunday 10 March 2024, three weeks before Europe.
    assert runs_between("08:00", NEW_YORK, utc(2024, 3, 9), utc(2024, 3, 11, 23)) == [
        utc(2024, 3, 9, 13),  # EST, UTC-5
        utc(2024, 3, 10, 12),  # EDT, UTC-4
        utc(2024, 3, 11, 12),
    ]


def test_nonexistent_local_time_runs_once_shifted_by_the_gap() -> None:
    # 02:30 does not exist in Berlin on 31 March 2024 (02:00 -> 03:00): it runs at 03:30 CEST.
    run = run_on(date(2024, 3, 31), "02:30", BERLIN)
    assert run == utc(2024, 3, 31, 1, 30)
    assert run.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M %Z") == "03:30 CEST"
    days = runs_between("02:30", BERLIN, utc(2024, 3, 30), utc(2024, 4, 1, 12))
    assert days == [utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1, 30), utc(2024, 4, 1, 0, 30)]


def test_ambiguous_local_time_runs_once_at_its_first_occurrence() -> None:
    # 02:30 happens twice in Berlin on 27 October 2024; the digest runs at the first (CEST).
    assert run_on(date(2024, 10, 27), "02:30", BERLIN) == utc(2024, 10, 27, 0, 30)
    days = runs_between("02:30", BERLIN, utc(2024, 10, 26, 12), utc(2024, 10, 28, 12))
    assert days == [utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)]


def test_next_run_is_strictly_after_unless_inclusive() -> None:
    at = utc(2024, 1, 15, 7)  # 08:00 Berlin
    assert next_run("08:00", BERLIN, at) == utc(2024, 1, 16, 7)
    assert next_run("08:00", BERLIN, at, inclusive=True) == at
    assert next_run("08:00", BERLIN, at - timedelta(seconds=1)) == at


def test_previous_run_is_at_or_before() -> None:
    assert previous_run("08:00", BERLIN, utc(2024, 1, 15, 7)) == utc(2024, 1, 15, 7)
    assert previous_run("08:00", BERLIN, utc(2024, 1, 15, 6, 59)) == utc(2024, 1, 14, 7)
    # across a date line: 08:00 in Auckland (UTC+13 in January) is 19:00 UTC the day before
    assert previous_run("08:00", "Pacific/Auckland", utc(2024, 1, 15, 12)) == utc(2024, 1, 14, 19)


def test_grace_window_decision() -> None:
    run = utc(2024, 1, 15, 7)
    assert due(run, run - timedelta(seconds=1), 3600) is Due.WAIT
    assert due(run, run, 3600) is Due.SEND
    assert due(run, run + timedelta(hours=1), 3600) is Due.SEND
    assert due(run, run + timedelta(hours=1, seconds=1), 3600) is Due.SKIP


def test_bad_times_and_zones_are_refused_with_a_clear_message() -> None:
    with pytest.raises(InvalidInput, match="is not a time"):
        parse_hhmm("8am")
    with pytest.raises(InvalidInput, match="hours 00-23"):
        parse_hhmm("24:00")
    with pytest.raises(InvalidInput, match="unknown timezone “Mars/Olympus”"):
        next_run("08:00", "Mars/Olympus", utc(2024, 1, 1))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        next_run("08:00", BERLIN, datetime(2024, 1, 1))


def test_local_label_names_the_zone() -> None:
    assert local_label(utc(2024, 3, 31, 6), BERLIN) == "2024-03-31 08:00 CEST (Europe/Berlin)"
