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
    """An input that cannot become an article (empty, binary, no article text, not a feed...).

    Attributes:
        kind: A short category for counts ("too short", "page unavailable", "no article text",
            "refused", "not a feed", ...), None when unclassified.
        feed: For a feed entry: the feed's source (URL or path).
        entry: For a feed entry: its id.
        url: The entry's link or the page's URL, when known.
        title: The entry's title, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str | None = None,
        feed: str | None = None,
        entry: str | None = None,
        url: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.feed = feed
        self.entry = entry
        self.url = url
        self.title = title


class FetchError(IngestError):
    """A URL that was refused or could not be fetched (SSRF guard, size/time limits, HTTP errors).

    Attributes:
        temporary: True when trying again later may work (time-out, connection or DNS failure,
            HTTP 5xx, 408 or 429); False for refusals and lasting HTTP errors (404, 410...).
    """

    def __init__(self, message: str, *, temporary: bool = False, kind: str | None = None) -> None:
        super().__init__(message, kind=kind or ("page unavailable" if temporary else "refused"))
        self.temporary = temporary


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
