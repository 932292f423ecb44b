"""Errors and helpers shared by everything that posts to an audience (commands, scheduler)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A message could not be posted to an audience.

    `reason` is one line a user can read ("missing permission to post in this channel",
    "channel not found", "this user does not accept direct messages"). `permanent` is True when
    retrying will not help until someone changes something (Forbidden, NotFound); the scheduler
    records it and stops retrying, instead of trying again every minute.
    """

    def __init__(self, reason: str, *, permanent: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def parse_audience(audience: str) -> tuple[str, int | str]:
    """Split "channel:123" / "user:5" / "cli:shell" into its kind and id.

    Discord audiences get an int id; `cli:` audiences keep their name.

    Raises:
        ValueError: for a string that is not an audience.
    """
    kind, sep, ident = audience.partition(":")
    if not sep or not ident:
        raise ValueError(f"not an audience: {audience!r}")
    if kind in ("channel", "user"):
        if not ident.isdigit():
            raise ValueError(f"not an audience: {audience!r}")
        return kind, int(ident)
    if kind == "cli":
        return kind, ident
    raise ValueError(f"not an audience: {audience!r}")
