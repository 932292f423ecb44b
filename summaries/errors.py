"""Errors the core raises. Every message is one line a user can read and act on."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class BriefbotError(Exception):
    """Base class: `str(error)` is a short, specific, user-facing message."""


class NotFound(BriefbotError):
    """An id (story, article, feed, subscription) that does not exist."""


class InvalidInput(BriefbotError):
    """A value the user gave that cannot be used (bad time, unknown timezone, empty query...)."""


class IngestError(BriefbotError):
    """An input that cannot become an article (empty, binary, no article text, not a feed...)."""


class FetchError(IngestError):
    """A URL that was refused or could not be fetched (SSRF guard, size/time limits, HTTP errors)."""


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
