"""Errors and helpers shared by everything that posts to an audience (commands, scheduler)."""

from __future__ import annotations

import logging

from summaries.errors import DeliveryFailed

__all__ = ["DeliveryFailed", "parse_audience"]

log = logging.getLogger(__name__)


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
