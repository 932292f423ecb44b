"""When daily digests are due: local wall-clock times in IANA zones, as UTC instants.

A digest is set as "HH:MM" in a timezone ("08:00", "Europe/Berlin") and stays at that local
time on both sides of a daylight-saving change: 08:00 Berlin is 07:00 UTC in winter and 06:00
UTC in summer. Everything here is pure (no clock, no store) so it can be tested exhaustively.

Local times that do not exist or exist twice are handled deliberately (PEP 495, `fold=0`):

* **Nonexistent** (the spring-forward gap, e.g. 02:30 on the last Sunday of March in
  Europe/Berlin, when clocks jump from 02:00 to 03:00): the digest runs once that day, shifted
  forward by the length of the gap (02:30 → 03:30 CEST). It is never skipped.
* **Ambiguous** (the fall-back hour, e.g. 02:30 on the last Sunday of October in Berlin, which
  happens twice): the digest runs once, at the first occurrence (02:30 CEST = 00:30 UTC). It is
  never sent twice.

A scheduled run is identified by its UTC instant; deliveries are keyed by (subscription,
scheduled instant), so the same run computed twice is the same key.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from summaries.errors import InvalidInput

log = logging.getLogger(__name__)

ZoneLike = str | ZoneInfo
TimeLike = str | time


class Due(Enum):
    """What to do about a scheduled run at a given moment."""

    WAIT = "wait"  # not due yet
    SEND = "send"  # due, and not later than the grace window
    SKIP = "skip"  # due, but later than the grace window: log it as missed, do not send


def parse_hhmm(text: TimeLike) -> time:
    """Parse a 24-hour "HH:MM" local time.

    Args:
        text: "08:00" (or a `datetime.time`, returned with seconds dropped).

    Returns:
        The time of day.

    Raises:
        InvalidInput: When the text is not HH:MM with hours 00-23 and minutes 00-59.
    """
    if isinstance(text, time):
        return time(text.hour, text.minute)
    hour_s, sep, minute_s = text.strip().partition(":")
    if not sep or not hour_s.isdigit() or not minute_s.isdigit() or len(minute_s) != 2:
        raise InvalidInput(f"“{text}” is not a time: use 24-hour HH:MM, e.g. 08:00")
    hour, minute = int(hour_s), int(minute_s)
    if hour > 23 or minute > 59:
        raise InvalidInput(f"“{text}” is not a time: hours 00-23, minutes 00-59")
    return time(hour, minute)


def zone_of(zone: ZoneLike) -> ZoneInfo:
    """The `ZoneInfo` for an IANA name (or the zone itself).

    Raises:
        InvalidInput: For an unknown timezone name.
    """
    if isinstance(zone, ZoneInfo):
        return zone
    try:
        return ZoneInfo(zone)
    except (ValueError, KeyError, OSError) as err:  # ZoneInfoNotFoundError is a KeyError
        raise InvalidInput(f"unknown timezone “{zone}”") from err


def run_on(day: date, local_time: TimeLike, zone: ZoneLike) -> datetime:
    """The UTC instant of the run scheduled for local date `day`.

    Args:
        day: The local calendar date.
        local_time: "HH:MM" in the zone.
        zone: IANA zone name or `ZoneInfo`.

    Returns:
        An aware UTC datetime. A nonexistent local time is shifted forward by the DST gap; an
        ambiguous one resolves to its first occurrence (see the module docstring).
    """
    local = datetime.combine(day, parse_hhmm(local_time), tzinfo=zone_of(zone))  # fold=0
    return local.astimezone(UTC)


def _check_aware(when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("naive datetime given to digest timing")


def next_run(
    local_time: TimeLike, zone: ZoneLike, after: datetime, *, inclusive: bool = False
) -> datetime:
    """The first scheduled run after `after` (or at it, with `inclusive`).

    Args:
        local_time: "HH:MM" in the zone.
        zone: IANA zone name or `ZoneInfo`.
        after: An aware instant.
        inclusive: Also accept a run exactly at `after`.

    Returns:
        The run's UTC instant.
    """
    _check_aware(after)
    tz = zone_of(zone)
    start = after.astimezone(tz).date()
    for offset in range(-1, 3):
        candidate = run_on(start + timedelta(days=offset), local_time, tz)
        if candidate > after or (inclusive and candidate == after):
            return candidate
    raise AssertionError("unreachable: a daily run exists within two days")  # pragma: no cover


def previous_run(local_time: TimeLike, zone: ZoneLike, at: datetime) -> datetime:
    """The latest scheduled run at or before `at`.

    Args:
        local_time: "HH:MM" in the zone.
        zone: IANA zone name or `ZoneInfo`.
        at: An aware instant.

    Returns:
        The run's UTC instant.
    """
    _check_aware(at)
    tz = zone_of(zone)
    start = at.astimezone(tz).date()
    for offset in range(1, -3, -1):
        candidate = run_on(start + timedelta(days=offset), local_time, tz)
        if candidate <= at:
            return candidate
    raise AssertionError("unreachable: a daily run exists within two days")  # pragma: no cover


def runs_between(
    local_time: TimeLike, zone: ZoneLike, start: datetime, end: datetime
) -> list[datetime]:
    """Every scheduled run in the window `start < run <= end`, oldest first.

    Used at start-up to find the runs that were due while the bot was down.

    Args:
        local_time: "HH:MM" in the zone.
        zone: IANA zone name or `ZoneInfo`.
        start: Exclusive lower bound (aware).
        end: Inclusive upper bound (aware).

    Returns:
        UTC instants, one per local day at most.
    """
    _check_aware(start)
    _check_aware(end)
    if end <= start:
        return []
    tz = zone_of(zone)
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    runs: list[datetime] = []
    while day <= last:
        candidate = run_on(day, local_time, tz)
        if start < candidate <= end:
            runs.append(candidate)
        day += timedelta(days=1)
    return runs


def due(scheduled_for: datetime, now: datetime, grace_s: float) -> Due:
    """Decide what to do about a run scheduled at `scheduled_for` when it is `now`.

    Args:
        scheduled_for: The run's instant.
        now: The current instant.
        grace_s: How late a run may still be sent (seconds).

    Returns:
        `Due.WAIT` before the run, `Due.SEND` from the run until `grace_s` after it (inclusive),
        `Due.SKIP` later than that.
    """
    _check_aware(scheduled_for)
    _check_aware(now)
    if now < scheduled_for:
        return Due.WAIT
    if (now - scheduled_for).total_seconds() <= grace_s:
        return Due.SEND
    return Due.SKIP


def local_label(when: datetime, zone: ZoneLike) -> str:
    """A run's local time for people: "2024-03-31 08:00 CEST (Europe/Berlin)"."""
    tz = zone_of(zone)
    local = when.astimezone(tz)
    return f"{local.strftime('%Y-%m-%d %H:%M')} {local.tzname()} ({tz.key})"
