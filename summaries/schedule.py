"""Digests and polls on a schedule, exactly once across processes: claims, leases, bookkeeping.

This is the scheduler's core, free of APScheduler and Discord (`bot.scheduler` keeps only the
APScheduler jobs and `bot.discord_app` the posting). Everything goes through the store, so it
works the same on one SQLite file and on a PostgreSQL database shared by several processes.

Exactly once. A digest run is keyed by (subscription, scheduled UTC instant): a unique row in
`deliveries`. `deliver_digest` first *claims* the slot (inserts the row as "pending" with a
claim expiry, inside a write transaction), then builds the briefing, records what it shows,
posts it with a per-delivery nonce and marks the row "sent". A run that finds the slot sent,
or claimed by someone else and not expired, does nothing. A process that dies holding a claim
leaves it "pending": once the claim expires the next leader takes it over, rebuilds the
briefing and posts it with the same nonce (Discord drops a second message with a nonce it saw
in the last few minutes, so a post that went out just before the crash is not shown twice). A
failed post (`DeliveryFailed`: channel deleted, permission lost) marks the row "failed" and the
error on the subscription; it is not retried until the next scheduled run.

Leadership. `Lease` is a row in `leases` with an expiry: the process holding it runs the jobs
(feed polls, digests); the others keep trying to take it and do so within `lease_s` of the
holder's death. Leadership is only about who does the work; correctness does not rest on it:
feed polls are claimed one by one too (`Store.claim_feed_poll`), digests by their slot.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from summaries import digests
from summaries.errors import BriefbotError, DeliveryFailed
from summaries.feeds import feed_interval
from summaries.models import Briefing, Feed, Subscription
from summaries.newsroom import Newsroom

log = logging.getLogger(__name__)

CATCH_UP_LOOKBACK = timedelta(days=7)
"""How far back start-up looks for digests missed while the bot was down (to log them)."""

DigestStatus = Literal[
    "sent", "nothing_new", "silent", "already_delivered", "in_progress", "failed", "skipped"
]


class Post(Protocol):
    """Delivers a digest: `briefing` is None for the one-line "nothing new" message; `text` is
    always its plain-text rendering (what the terminal prints); `nonce` is unique to the
    delivery and the same when a crashed delivery is retried (Discord drops the repeat)."""

    async def __call__(
        self, audience: str, briefing: Briefing | None, text: str | None, /, *, nonce: str | None
    ) -> None: ...


@dataclass(frozen=True)
class DigestRules:
    """How digests are delivered.

    Attributes:
        grace_s: How late a run may still be sent (seconds); later ones are skipped and logged.
        when_nothing_new: "line" posts one short line, "silent" posts nothing.
        claim_s: How long a claimed, unfinished delivery belongs to its claimant; after that
            (the claimant died) another process takes it over.
    """

    grace_s: int = 3 * 3600
    when_nothing_new: Literal["line", "silent"] = "line"
    claim_s: int = 90


def holder_name() -> str:
    """A name for this process in leases and claims: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    """A named lease in the store: at most one holder at a time, taken over when it expires.

    Args:
        room: The open newsroom (its clock decides expiry).
        name: What the lease is for ("scheduler:discord").
        ttl_s: How long a lease lasts without renewal.
        holder: This process's name (default: `holder_name()`).
    """

    def __init__(self, room: Newsroom, name: str, ttl_s: float, holder: str | None = None):
        self.room = room
        self.name = name
        self.ttl_s = ttl_s
        self.holder = holder or holder_name()
        self.held = False

    async def hold(self, now: datetime | None = None) -> bool:
        """Take or renew the lease; whether this process holds it now."""
        moment = now or self.room.clock()
        try:
            held = await self.room.store.acquire_lease(
                self.name, self.holder, moment, moment + timedelta(seconds=self.ttl_s)
            )
        except Exception:  # the database is unreachable: we cannot know, so we do not lead
            log.exception("could not renew the %s lease", self.name)
            held = False
        if held != self.held:
            if held:
                log.info("%s: this process (%s) is now the leader", self.name, self.holder)
            else:
                log.warning("%s: this process (%s) is no longer the leader", self.name, self.holder)
        self.held = held
        return held

    async def release(self) -> None:
        """Give the lease up (on shutdown), so another process takes over at once."""
        if self.held:
            self.held = False
            try:
                await self.room.store.release_lease(self.name, self.holder)
            except Exception:
                log.warning("could not release the %s lease", self.name, exc_info=True)


# ====================================================================== schedules


@dataclass(frozen=True)
class DigestOutcome:
    """What happened to one scheduled (or manual) digest.

    Attributes:
        audience: Who the digest is for.
        subscription_id: The subscription (None for a manual run without one).
        scheduled_for: The scheduled UTC instant (None for a manual run).
        status: sent (stories posted), nothing_new (the one line posted), silent (nothing new,
            nothing posted), already_delivered (another run sent it), in_progress (another
            process holds the claim), failed (claimed but posting failed: a missed digest),
            skipped (later than the grace window).
        detail: One line for logs and the CLI.
        text: The plain text that was (or would have been) posted.
    """

    audience: str
    subscription_id: int | None
    scheduled_for: datetime | None
    status: DigestStatus
    detail: str = ""
    text: str | None = None


@dataclass(frozen=True)
class UpcomingRun:
    """The next run of one job, for `briefbot schedule`.

    Attributes:
        kind: "feed" or "digest".
        id: Feed id or subscription id.
        target: The feed URL, or the audience of the digest.
        audience: The owning audience.
        next_run_utc: When it runs (UTC).
        next_run_local: The same instant in the digest's timezone (feeds: this machine's zone).
        timezone: Name of the zone of `next_run_local`.
        detail: "every 15 min", "failing 3×: …", "08:00 Europe/Berlin, topics: …".
    """

    kind: Literal["feed", "digest"]
    id: int
    target: str
    audience: str
    next_run_utc: datetime
    next_run_local: datetime
    timezone: str
    detail: str


def duration(seconds: float) -> str:
    s = int(seconds)
    if s % 86400 == 0:
        return f"{s // 86400} d"
    if s % 3600 == 0:
        return f"{s // 3600} h"
    if s % 60 == 0:
        return f"{s // 60} min"
    return f"{s} s"


def _local_zone(when: datetime) -> tuple[datetime, str]:
    local = when.astimezone()
    return local, local.tzname() or "local"


def feed_detail(feed: Feed, default_interval_s: int, *, broken: bool = False) -> str:
    """One line about a feed's schedule and health."""
    text = f"every {duration(feed_interval(feed, default_interval_s))}"
    if feed.failures:
        text += f", failing {feed.failures}×: {feed.last_error or 'unknown error'}"
        if broken:
            text += " (flagged: failing for a long time)"
    return text


def digest_detail(sub: Subscription) -> str:
    """One line about a digest's schedule: "08:00 Europe/Berlin, topics: a, b"."""
    text = f"{sub.local_time} {sub.timezone}"
    if sub.topics:
        text += f", topics: {', '.join(sub.topics)}"
    if sub.last_error:
        text += f", last delivery failed: {sub.last_error}"
    return text


def upcoming_runs(
    feeds: Sequence[Feed],
    subscriptions: Sequence[Subscription],
    now: datetime,
    *,
    default_interval_s: int,
    is_broken: Callable[[Feed], bool] | None = None,
) -> list[UpcomingRun]:
    """The next run of every feed and enabled digest, soonest first.

    A feed that is due (or never polled) is listed at `now`.
    """
    runs: list[UpcomingRun] = []
    for feed in feeds:
        at = feed.next_poll_at if feed.next_poll_at and feed.next_poll_at > now else now
        local, zone = _local_zone(at)
        broken = is_broken(feed) if is_broken else False
        runs.append(
            UpcomingRun(
                kind="feed",
                id=feed.id,
                target=feed.url,
                audience=feed.audience,
                next_run_utc=at.astimezone(UTC),
                next_run_local=local,
                timezone=zone,
                detail=feed_detail(feed, default_interval_s, broken=broken),
            )
        )
    for sub in subscriptions:
        if not sub.enabled:
            continue
        try:
            at = digests.next_run(sub.local_time, sub.timezone, now)
        except BriefbotError as err:
            log.warning("digest %s for %s has a bad schedule: %s", sub.id, sub.audience, err)
            continue
        runs.append(
            UpcomingRun(
                kind="digest",
                id=sub.id,
                target=sub.audience,
                audience=sub.audience,
                next_run_utc=at,
                next_run_local=at.astimezone(ZoneInfo(sub.timezone)),
                timezone=sub.timezone,
                detail=digest_detail(sub),
            )
        )
    return sorted(runs, key=lambda r: (r.next_run_utc, r.kind, r.id))


# ====================================================================== digests


async def build_digest(
    room: Newsroom, audience: str, topics: Sequence[str], *, since: datetime | None
) -> Briefing:
    """What is new for `audience` (not recorded): all stories, or those matching any of
    `topics` (without repeats, capped at the configured number of stories), ranked as
    `Newsroom.whats_new` ranks them: followed stories that moved first, then by outlets,
    articles and growth since the baseline."""
    return await room.whats_new(audience, topics=topics, since=since, record=False)


async def digest_since(room: Newsroom, sub: Subscription, scheduled_for: datetime) -> datetime:
    """Baseline for stories the audience never saw: the previous scheduled run, or the last
    delivery when that is older (the bot was down), at most `CATCH_UP_LOOKBACK` back."""
    previous = digests.previous_run(
        sub.local_time, sub.timezone, scheduled_for - timedelta(seconds=1)
    )
    last = await room.store.last_delivery(sub.audience)
    since = min(previous, last[1]) if last else previous
    return max(since, scheduled_for - CATCH_UP_LOOKBACK)


def delivery_nonce(delivery_id: int) -> str:
    """The nonce of a delivery's messages (Discord allows 25 characters)."""
    return f"briefbot-d{delivery_id}"


async def deliver_digest(
    room: Newsroom,
    rules: DigestRules,
    post: Post,
    sub: Subscription,
    scheduled_for: datetime,
    *,
    render: Callable[[Briefing], str],
    holder: str = "",
) -> DigestOutcome:
    """Send the digest of `sub` scheduled at `scheduled_for`, exactly once.

    Claims the (subscription, scheduled_for) slot, builds the briefing, records what it shows,
    posts it, marks the slot sent. A run that cannot claim the slot posts nothing. See the
    module docstring for crash and failure semantics.

    Args:
        render: The plain text of a briefing (what `post` gets as `text`).
        holder: Who claims (for logs and the claim row).
    """
    label = digests.local_label(scheduled_for, sub.timezone)

    def outcome(status: DigestStatus, detail: str, text: str | None = None) -> DigestOutcome:
        return DigestOutcome(
            audience=sub.audience,
            subscription_id=sub.id,
            scheduled_for=scheduled_for,
            status=status,
            detail=detail,
            text=text,
        )

    if await room.store.delivery_state(sub.id, scheduled_for) in ("sent", "failed"):
        # the common case on a restart or a sweep: answered by a read, no write transaction
        return outcome("already_delivered", f"digest for {sub.audience} due {label} already sent")
    now = room.clock()
    claim = await room.store.claim_delivery(
        sub.id,
        sub.audience,
        scheduled_for,
        holder=holder or "briefbot",
        now=now,
        until=now + timedelta(seconds=rules.claim_s),
    )
    if claim.delivery_id is None:
        if claim.state == "pending":
            log.info("digest for %s due %s is being sent by %s", sub.audience, label, claim.holder)
            return outcome("in_progress", f"digest for {sub.audience} due {label} is being sent")
        return outcome("already_delivered", f"digest for {sub.audience} due {label} already sent")
    delivery_id = claim.delivery_id
    if claim.retaken:
        log.warning(
            "digest for %s due %s: taking over delivery %s from %s, which did not finish it",
            sub.audience,
            label,
            delivery_id,
            claim.holder,
        )
    try:
        since = await digest_since(room, sub, scheduled_for)
        briefing = await build_digest(room, sub.audience, sub.topics, since=since)
        await room.record_delivery(sub.audience, briefing, delivery_id=delivery_id)
    except BaseException:
        await room.store.finish_delivery(delivery_id, "failed")
        raise
    text = render(briefing)
    briefing = replace(briefing, delivery_id=delivery_id)
    if not briefing.stories and rules.when_nothing_new == "silent":
        await room.store.finish_delivery(delivery_id, "sent")
        log.info("digest for %s due %s: nothing new (silent)", sub.audience, label)
        return outcome("silent", "nothing new; nothing posted")
    log.info(
        "digest for %s due %s claimed (delivery %s); posting", sub.audience, label, delivery_id
    )
    try:
        await post(
            sub.audience,
            briefing if briefing.stories else None,
            text,
            nonce=delivery_nonce(delivery_id),
        )
    except DeliveryFailed as err:
        await room.store.finish_delivery(delivery_id, "failed")
        return await _failed(room, sub, label, err.reason, outcome)
    except Exception as err:
        log.exception("posting the digest for %s due %s raised", sub.audience, label)
        await room.store.finish_delivery(delivery_id, "failed")
        reason = " ".join(str(err).split()) or type(err).__name__
        return await _failed(room, sub, label, f"could not post: {reason}", outcome)
    await room.store.finish_delivery(delivery_id, "sent")
    if sub.last_error:
        await room.mark_subscription_error(sub.id, None)
    if briefing.stories:
        n = len(briefing.stories)
        log.info("digest for %s due %s posted (%s stories)", sub.audience, label, n)
        return outcome("sent", f"{n} stor{'ies' if n != 1 else 'y'}", text)
    log.info("digest for %s due %s: nothing new (line posted)", sub.audience, label)
    return outcome("nothing_new", "nothing new; one line posted", text)


async def _failed(
    room: Newsroom,
    sub: Subscription,
    label: str,
    reason: str,
    outcome: Callable[[DigestStatus, str], DigestOutcome],
) -> DigestOutcome:
    log.warning(
        "missed digest for %s due %s: %s (next attempt at the next scheduled time)",
        sub.audience,
        label,
        reason,
    )
    await room.mark_subscription_error(sub.id, reason)
    return outcome("failed", reason)


def skip_digest(
    sub: Subscription, scheduled_for: datetime, now: datetime, why: str
) -> DigestOutcome:
    label = digests.local_label(scheduled_for, sub.timezone)
    late = duration(round((now - scheduled_for).total_seconds() / 60) * 60)
    log.warning("skipped digest for %s due %s (%s late): %s", sub.audience, label, late, why)
    return DigestOutcome(
        audience=sub.audience,
        subscription_id=sub.id,
        scheduled_for=scheduled_for,
        status="skipped",
        detail=f"{late} late: {why}",
    )


async def run_due_digests(
    room: Newsroom,
    rules: DigestRules,
    post: Post,
    *,
    since: datetime,
    now: datetime,
    render: Callable[[Briefing], str],
    accepts: Callable[[str], bool] | None = None,
    holder: str = "",
) -> list[DigestOutcome]:
    """Handle every digest run scheduled in the window `since < run <= now`.

    Only subscriptions whose audience `accepts` (default: all) are handled.

    Per subscription, only the latest run in the window can be sent (runs coalesce), and only if
    it is at most `grace_s` late; earlier or later-than-grace runs that were not delivered
    are skipped and logged. Runs before the subscription was created are ignored. One failing
    subscription never stops the others. Running it twice (or in two processes) sends nothing
    twice: every send claims its slot.
    """
    outcomes: list[DigestOutcome] = []
    for sub in await room.subscriptions():
        if accepts is not None and not accepts(sub.audience):
            continue
        try:
            outcomes.extend(
                await _due_for(
                    room, rules, post, sub, since=since, now=now, render=render, holder=holder
                )
            )
        except Exception:
            log.exception("digest for %s could not be handled", sub.audience)
    return outcomes


async def _due_for(
    room: Newsroom,
    rules: DigestRules,
    post: Post,
    sub: Subscription,
    *,
    since: datetime,
    now: datetime,
    render: Callable[[Briefing], str],
    holder: str,
) -> list[DigestOutcome]:
    start = max(since, sub.changed_at) if sub.changed_at else since
    runs = digests.runs_between(sub.local_time, sub.timezone, start, now)
    if not runs:
        return []
    outcomes: list[DigestOutcome] = []
    older, latest = runs[:-1], runs[-1]
    for run in older:
        if not await room.delivered(sub.id, run):
            outcomes.append(skip_digest(sub, run, now, "a later digest is due (runs coalesce)"))
    decision = digests.due(latest, now, rules.grace_s)
    if decision is digests.Due.SEND:
        outcomes.append(
            await deliver_digest(room, rules, post, sub, latest, render=render, holder=holder)
        )
    elif not await room.delivered(sub.id, latest):
        grace = duration(rules.grace_s)
        outcomes.append(skip_digest(sub, latest, now, f"later than the {grace} grace window"))
    return outcomes


async def run_digest_once(
    room: Newsroom,
    audience: str,
    post: Post | None = None,
    *,
    render: Callable[[Briefing], str],
    record: bool = True,
) -> DigestOutcome:
    """Build and send (or just return) a digest for `audience` now (`briefbot digest run`).

    Uses the audience's digest topics when it has a subscription. Not tied to a scheduled slot:
    it never blocks or replaces the scheduled digest. The "nothing new" line is always given (a
    person asked). With `record`, a digest with stories is recorded after it was posted, so the
    next "what is new" starts after it.

    Raises:
        DeliveryFailed: From `post` (nothing is recorded then).
    """
    sub = await room.digest(audience)
    topics = sub.topics if sub is not None and sub.enabled else ()
    last = await room.store.last_delivery(audience)
    briefing = await build_digest(room, audience, topics, since=last[1] if last else None)
    text = render(briefing)
    if post is not None:
        await post(audience, briefing if briefing.stories else None, text, nonce=None)
    if record and briefing.stories:
        delivery_id = await room.record_delivery(audience, briefing)
        briefing = replace(briefing, delivery_id=delivery_id)
    n = len(briefing.stories)
    status: DigestStatus = "sent" if n else "nothing_new"
    detail = f"{n} stor{'ies' if n != 1 else 'y'}" if n else "nothing new"
    return DigestOutcome(
        audience=audience,
        subscription_id=sub.id if sub else None,
        scheduled_for=None,
        status=status,
        detail=detail,
        text=text,
    )
