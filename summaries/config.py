"""Settings of the core. Frontends build one `CoreConfig` from their TOML file."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from summaries.ingest.fetch import FetchPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoreConfig:
    """Everything the core can be told.

    Attributes:
        fetch: Limits and SSRF policy for every HTTP fetch.
        summary_words: Word budget of a story summary in a briefing.
        story_words: Word budget of the summary of one story shown in full (/story).
        new_words: Word budget of the "what is new" part of a story, at least. A "what is
            new" answer shares `story_words` among its stories, so when one or two stories
            moved, their updates get more room than this.
        max_stories: Stories in one briefing.
        default_since_hours: With no earlier briefing and no `since`, "what is new" is measured
            against coverage older than this many hours.
        feed_interval_s: Default polling interval of a feed.
        feed_max_backoff_s: Cap of the exponential backoff of a failing feed.
        feed_flag_after_s: A feed failing for longer than this is flagged as broken.
        max_file_bytes: Largest file or pasted text accepted.
        algorithm: Default summarizer algorithm.
    """

    fetch: FetchPolicy = field(default_factory=FetchPolicy)
    summary_words: int = 120
    story_words: int = 250
    new_words: int = 120
    max_stories: int = 5
    default_since_hours: int = 24
    feed_interval_s: int = 900
    feed_max_backoff_s: int = 6 * 3600
    feed_flag_after_s: int = 2 * 86400
    max_file_bytes: int = 5_000_000
    algorithm: str | None = None
