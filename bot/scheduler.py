"""The scheduler: feed polling and daily digests on APScheduler 3 (the only apscheduler import).

The database is the source of truth. `BriefingScheduler.start()` (inside the running loop)
rebuilds every job from the stored feeds and subscriptions (`replace_existing=True`), sends the
digests that were due while the bot was down (once, if within the grace window; otherwise they
are skipped and logged), and resynchronises with the database every few minutes so feeds and
digests changed by another process (the CLI) are picked up too.

Jobs:
* `feed:<id>` — one date-triggered job per feed at its stored `next_poll_at`; after each poll it is
  re-added at the new `next_poll_at` (interval, backoff and jitter are decided by
  `summaries.feeds`). Polls run at most `MAX_CONCURRENT_POLLS` at a time and each has the fetch
  timeout, so a slow or broken feed never delays the others.
* `digest:<subscription id>` — one job per enabled subscription on a daily trigger that computes
  its fire times with `summaries.digests.next_run` (08:00 local stays 08:00 local across DST;
  nonexistent/ambiguous local times as documented there). `coalesce=True`, `max_instances=1`,
  `misfire_grace_time` = the digest grace.

Exactly once. A digest is keyed by (subscription, scheduled UTC instant). A run builds the
"what is new" briefing, then *claims* the slot with `Newsroom.record_delivery(...,
subscription_id=, scheduled_for=)` — an INSERT guarded by the deliveries table's UNIQUE key —
and only the run that got the claim posts. So two overlapping runs (a late job and the start-up
catch-up, two processes, a restart) never double-post. The claim comes *before* posting: a
crash or a failed post after the claim means that digest is missed (logged, and for failures
recorded on the subscription), never sent twice. The price: its stories count as shown, so the
next digest does not repeat them.

Failures. A post raising `bot.delivery.DeliveryFailed` (channel deleted, permission lost, DMs
closed) or anything else is recorded with `Newsroom.mark_subscription_error` (shown by
`/digest show`) and logged as a missed digest. It is not retried every minute: the next attempt is
the next day's scheduled run, and `/digest set` clears the error. A later successful delivery
clears it too.

Nothing new: with `when_nothing_new = "line"` one short line is posted ("Nothing new since your
last briefing."); with "silent" nothing is posted. Either way the slot is recorded, so it is not
tried again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bot import render
from bot.delivery import DeliveryFailed
from bot.settings import Settings
from summaries import digests
from summaries.errors import BriefbotError, NotFound
from summaries.feeds import MAX_CONCURRENT_POLLS, feed_interval, poll_due_feeds, poll_feed
from summaries.models import Briefing, Feed, Subscription
from summaries.newsroom import FeedPoll, Newsroom

log = logging.getLogger(__name__)

Post = Callable[[str, Briefing | None, str | None], Awaitable[None]]
"""`post(audience, briefing, text)`: deliver a digest. `briefing` is None for the one-line
"nothing new" message; `text` is always the plain-text rendering (what the terminal prints)."""

CATCH_UP_LOOKBACK = timedelta(days=7)
"""How far back start-up looks for digests missed while the bot was down (to log them)."""

RESYNC_INTERVAL_S = 60
"""How often jobs are reconciled with the database (picks up /feed add, /digest set, the CLI)."""

SHUTDOWN_WAIT_S = 10.0
"""How long shutdown waits for a running poll or digest before cancelling it."""

DigestStatus = Literal["sent", "nothing_new", "silent", "already_delivered", "failed", "skipped"]


@dataclass(frozen=True)
class DigestOutcome:
    """What happened to one scheduled (or manual) digest.

    Attributes:
        audience: Who the digest is for.
        subscription_id: The subscription (None for a manual run without one).
        scheduled_for: The scheduled UTC instant (None for a manual run).
        status: sent (stories posted), nothing_new (the one line posted), silent (nothing new,
            nothing posted), already_delivered (another run claimed it), failed (claimed but
            posting failed: a missed digest), skipped (later than the grace window).
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


@dataclass(frozen=True)
class TickReport:
    """What one `BriefingScheduler.tick` did."""

    polls: tuple[FeedPoll, ...] = ()
    digests: tuple[DigestOutcome, ...] = field(default=())


# ====================================================================== pure helpers


def _duration(seconds: float) -> str:
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
    text = f"every {_duration(feed_interval(feed, default_interval_s))}"
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


def upcoming_json(run: UpcomingRun) -> dict[str, Any]:
    """A run as the JSON object of `briefbot schedule --json`."""
    return {
        "kind": run.kind,
        "id": run.id,
        "target": run.target,
        "audience": run.audience,
        "next_run_utc": run.next_run_utc.isoformat(),
        "next_run_local": run.next_run_local.isoformat(),
        "timezone": run.timezone,
        "detail": run.detail,
        "utc": run.next_run_utc.strftime("%Y-%m-%d %H:%M UTC"),
        "local": f"{run.next_run_local.strftime('%Y-%m-%d %H:%M')} {run.timezone}",
    }


async def schedule_rows(
    room: Newsroom, settings: Settings, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Upcoming runs (feeds and digests) read from the database, as JSON-ready rows.

    Works without a running scheduler (`briefbot schedule`): the database is the source of truth.
    Each row: kind, id, target, audience, next_run_utc / next_run_local (ISO-8601), timezone,
    detail, and utc / local (the same instants for people: "2024-03-31 06:00 UTC",
    "2024-03-31 08:00 Europe/Berlin").
    """
    moment = now or room.clock()
    runs = upcoming_runs(
        await room.feeds(),
        await room.subscriptions(),
        moment,
        default_interval_s=settings.core.feed_interval_s,
        is_broken=room.feed_is_broken,
    )
    return [upcoming_json(r) for r in runs]


def schedule_text(rows: Sequence[dict[str, Any]]) -> str:
    """`briefbot schedule` as text: one line per run with its UTC and local time."""
    if not rows:
        return "Nothing scheduled: no feeds and no digests.\n"
    lines = []
    for row in rows:
        utc = datetime.fromisoformat(row["next_run_utc"]).strftime("%Y-%m-%d %H:%M UTC")
        local = datetime.fromisoformat(row["next_run_local"]).strftime("%Y-%m-%d %H:%M")
        name = f"{row['kind']} {row['id']}"
        lines.append(
            f"{utc}  ({local} {row['timezone']})  {name}: {row['target']} — {row['detail']}"
        )
    return "\n".join(lines) + "\n"


def digest_text(briefing: Briefing) -> str:
    """The plain text of a digest (what the terminal prints)."""
    return render.to_text(render.briefing_reply(briefing, whats_new=True)).rstrip("\n")


def print_post(write: Callable[[str], object]) -> Post:
    """A `Post` for the terminal: writes each digest's text (shell, `briefbot run` without Discord)."""

    async def post(audience: str, briefing: Briefing | None, text: str | None) -> None:
        body = text if text is not None else (digest_text(briefing) if briefing else "")
        write(f"[digest for {audience}]\n{body}\n")

    return post


# ====================================================================== digests (no APScheduler)


async def build_digest(
    room: Newsroom, audience: str, topics: Sequence[str], *, since: datetime | None
) -> Briefing:
    """What is new for `audience` (not recorded): all stories, or those matching any of
    `topics` (in topic order, without repeats, capped at the configured number of stories)."""
    return await room.whats_new(audience, topics=topics, since=since, record=False)


async def _digest_since(room: Newsroom, sub: Subscription, scheduled_for: datetime) -> datetime:
    """Baseline for stories the audience never saw: the previous scheduled run, or the last
    delivery when that is older (the bot was down), at most `CATCH_UP_LOOKBACK` back."""
    previous = digests.previous_run(
        sub.local_time, sub.timezone, scheduled_for - timedelta(seconds=1)
    )
    last = await room.store.last_delivery(sub.audience)
    since = min(previous, last[1]) if last else previous
    return max(since, scheduled_for - CATCH_UP_LOOKBACK)


async def deliver_digest(
    room: Newsroom,
    settings: Settings,
    post: Post,
    sub: Subscription,
    scheduled_for: datetime,
) -> DigestOutcome:
    """Send the digest of `sub` scheduled at `scheduled_for`, exactly once.

    Builds the briefing, claims the (subscription, scheduled_for) slot, then posts. A run that
    loses the claim posts nothing. See the module docstring for crash and failure semantics.
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

    if await room.delivered(sub.id, scheduled_for):
        return outcome("already_delivered", f"digest for {sub.audience} due {label} already sent")
    since = await _digest_since(room, sub, scheduled_for)
    briefing = await build_digest(room, sub.audience, sub.topics, since=since)
    text = digest_text(briefing)
    delivery_id = await room.record_delivery(
        sub.audience, briefing, subscription_id=sub.id, scheduled_for=scheduled_for
    )
    if delivery_id is None:
        log.info("digest for %s due %s was claimed by another run", sub.audience, label)
        return outcome("already_delivered", f"digest for {sub.audience} due {label} already sent")
    briefing = replace(briefing, delivery_id=delivery_id)
    if not briefing.stories and settings.when_nothing_new == "silent":
        log.info("digest for %s due %s: nothing new (silent)", sub.audience, label)
        return outcome("silent", "nothing new; nothing posted")
    log.info(
        "digest for %s due %s claimed (delivery %s); posting", sub.audience, label, delivery_id
    )
    try:
        await post(sub.audience, briefing if briefing.stories else None, text)
    except DeliveryFailed as err:
        return await _failed(room, sub, label, err.reason, outcome)
    except Exception as err:
        log.exception("posting the digest for %s due %s raised", sub.audience, label)
        reason = " ".join(str(err).split()) or type(err).__name__
        return await _failed(room, sub, label, f"could not post: {reason}", outcome)
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


def _skip(sub: Subscription, scheduled_for: datetime, now: datetime, why: str) -> DigestOutcome:
    label = digests.local_label(scheduled_for, sub.timezone)
    late = _duration(round((now - scheduled_for).total_seconds() / 60) * 60)
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
    settings: Settings,
    post: Post,
    *,
    since: datetime,
    now: datetime,
    accepts: Callable[[str], bool] | None = None,
) -> list[DigestOutcome]:
    """Handle every digest run scheduled in the window `since < run <= now`.

    Only subscriptions whose audience `accepts` (default: all) are handled.

    Per subscription, only the latest run in the window can be sent (runs coalesce), and only if
    it is at most `digest_grace_s` late; earlier or later-than-grace runs that were not delivered
    are skipped and logged. Runs before the subscription was created are ignored. One failing
    subscription never stops the others.
    """
    outcomes: list[DigestOutcome] = []
    for sub in await room.subscriptions():
        if accepts is not None and not accepts(sub.audience):
            continue
        try:
            outcomes.extend(await _due_for(room, settings, post, sub, since=since, now=now))
        except Exception:
            log.exception("digest for %s could not be handled", sub.audience)
    return outcomes


async def _due_for(
    room: Newsroom,
    settings: Settings,
    post: Post,
    sub: Subscription,
    *,
    since: datetime,
    now: datetime,
) -> list[DigestOutcome]:
    start = max(since, sub.changed_at) if sub.changed_at else since
    runs = digests.runs_between(sub.local_time, sub.timezone, start, now)
    if not runs:
        return []
    outcomes: list[DigestOutcome] = []
    older, latest = runs[:-1], runs[-1]
    for run in older:
        if not await room.delivered(sub.id, run):
            outcomes.append(_skip(sub, run, now, "a later digest is due (runs coalesce)"))
    decision = digests.due(latest, now, settings.digest_grace_s)
    if decision is digests.Due.SEND:
        outcomes.append(await deliver_digest(room, settings, post, sub, latest))
    elif not await room.delivered(sub.id, latest):
        grace = _duration(settings.digest_grace_s)
        outcomes.append(_skip(sub, latest, now, f"later than the {grace} grace window"))
    return outcomes


async def run_digest_once(
    room: Newsroom,
    settings: Settings,
    audience: str,
    post: Post | None = None,
    *,
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
    text = digest_text(briefing)
    if post is not None:
        await post(audience, briefing if briefing.stories else None, text)
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


# ====================================================================== APScheduler adapter


class _DailyTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires at a local "HH:MM" in an IANA zone every day, DST-correct (summaries.digests)."""

    def __init__(self, local_time: str, timezone: str) -> None:
        self.local_time = local_time
        self.timezone = timezone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is not None:
            return digests.next_run(self.local_time, self.timezone, previous_fire_time)
        return digests.next_run(self.local_time, self.timezone, now, inclusive=True)

    def __str__(self) -> str:
        return f"daily at {self.local_time} {self.timezone}"

    def __repr__(self) -> str:
        return f"<_DailyTrigger {self.local_time} {self.timezone}>"


def feed_job_id(feed_id: int) -> str:
    """APScheduler job id of a feed."""
    return f"feed:{feed_id}"


def digest_job_id(subscription_id: int) -> str:
    """APScheduler job id of a digest subscription."""
    return f"digest:{subscription_id}"


class BriefingScheduler:
    """Feed polling and digests for one newsroom, on an `AsyncIOScheduler`.

    Args:
        room: The open newsroom; its clock is the scheduler's notion of now.
        settings: Grace window, nothing-new policy, feed jitter, feed defaults.
        post: Delivers a digest (Discord adapter, or `print_post` for the terminal).
        rng: Randomness for feed jitter (tests pass a seeded one).
        paused: Start APScheduler paused: jobs are built but never fire (tests drive `tick`).
        audiences: Which digests this scheduler delivers (default: all). The Discord bot takes
            "channel:"/"user:" audiences and the shell "cli:" ones, so a terminal never claims (and
            so steals) a Discord channel's digest, and Discord never tries to post a CLI one.
            Feeds are polled by every scheduler.
    """

    def __init__(
        self,
        room: Newsroom,
        settings: Settings,
        post: Post,
        *,
        rng: random.Random | None = None,
        paused: bool = False,
        audiences: Callable[[str], bool] | None = None,
    ) -> None:
        self.room = room
        self.settings = settings
        self.post = post
        self.rng = rng or random.Random()
        self.paused = paused
        self.accepts: Callable[[str], bool] = audiences or (lambda _audience: True)
        self._scheduler: AsyncIOScheduler | None = None
        self._feeds: dict[int, Feed] = {}
        self._subs: dict[int, Subscription] = {}
        self._last_check: datetime | None = None
        self._poll_slots = asyncio.Semaphore(MAX_CONCURRENT_POLLS)
        self._running: set[asyncio.Task[Any]] = set()
        self._polling: set[int] = set()  # feeds being polled right now (their date job is gone)

    # ------------------------------------------------------------------ lifetime

    @property
    def running(self) -> bool:
        """Whether `start` was called and `shutdown` not yet."""
        return self._scheduler is not None

    async def start(self, *, catch_up: bool = True) -> list[DigestOutcome]:
        """Start inside the running loop: rebuild jobs from the database, then catch up.

        Returns:
            What happened to digests that were due while the bot was down.
        """
        if self._scheduler is not None:
            return []
        scheduler = AsyncIOScheduler(timezone=ZoneInfo("UTC"))
        scheduler.start(paused=self.paused)
        self._scheduler = scheduler
        await self._resync()
        scheduler.add_job(
            self._resync_job,
            "interval",
            seconds=RESYNC_INTERVAL_S,
            id="resync",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        log.info("scheduler started: %s feeds, %s digests", len(self._feeds), len(self._subs))
        return await self.catch_up() if catch_up else []

    async def shutdown(self) -> None:
        """Stop firing jobs; wait briefly for running ones, then cancel them."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # let the scheduler process its (loop-deferred) shutdown
        pending = {t for t in self._running if not t.done()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=SHUTDOWN_WAIT_S)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        log.info("scheduler stopped")

    async def __aenter__(self) -> BriefingScheduler:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    # ------------------------------------------------------------------ driving by hand

    async def catch_up(self, now: datetime | None = None) -> list[DigestOutcome]:
        """Send digests due while the bot was down (within the grace window), log the others."""
        moment = now or self.room.clock()
        outcomes = await run_due_digests(
            self.room,
            self.settings,
            self.post,
            since=moment - CATCH_UP_LOOKBACK,
            now=moment,
            accepts=self.accepts,
        )
        self._last_check = moment
        return outcomes

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Do everything due at `now` (default: the room's clock), without APScheduler.

        Polls the due feeds and handles the digest runs scheduled since the previous tick (the
        first tick looks back one grace window). Tests time-travel with this; the jobs do the
        same work one feed / one digest at a time.
        """
        moment = now or self.room.clock()
        polls = await poll_due_feeds(
            self.room, now=moment, jitter_s=self.settings.feed_jitter_s, rng=self.rng
        )
        for poll in polls:
            self._feeds[poll.feed.id] = poll.feed
        since = self._last_check or moment - timedelta(seconds=self.settings.digest_grace_s)
        outcomes = await run_due_digests(
            self.room, self.settings, self.post, since=since, now=moment, accepts=self.accepts
        )
        self._last_check = max(moment, self._last_check or moment)
        return TickReport(polls=tuple(polls), digests=tuple(outcomes))

    async def run_digest_now(self, audience: str) -> str:
        """Send a digest to `audience` now (`briefbot digest run`); returns its text."""
        outcome = await run_digest_once(self.room, self.settings, audience, self.post)
        return outcome.text or ""

    def upcoming(self, now: datetime) -> list[UpcomingRun]:
        """The next run of every known feed and digest (as of the last database sync)."""
        return upcoming_runs(
            list(self._feeds.values()),
            list(self._subs.values()),
            now,
            default_interval_s=self.settings.core.feed_interval_s,
            is_broken=self.room.feed_is_broken,
        )

    def jobs(self) -> dict[str, datetime | None]:
        """Job id -> next run time (UTC) of the scheduled APScheduler jobs."""
        if self._scheduler is None:
            return {}
        return {
            job.id: (job.next_run_time.astimezone(UTC) if job.next_run_time else None)
            for job in self._scheduler.get_jobs()
        }

    # ------------------------------------------------------------------ changes

    async def refresh_subscription(self, audience: str) -> None:
        """Re-read an audience's digest after `/digest set|off` and (re)schedule or drop its job."""
        sub = await self.room.digest(audience)
        if sub is None:
            for sid, known in list(self._subs.items()):
                if known.audience == audience:
                    self._drop_digest(sid)
            return
        if sub.enabled and self.accepts(sub.audience):
            self._schedule_digest(sub)
        else:
            self._drop_digest(sub.id)

    async def refresh_feed(self, feed_id: int) -> None:
        """Re-read a feed after `/feed add|remove` and (re)schedule or drop its job."""
        try:
            feed = await self.room.store.feed(feed_id)
        except NotFound:
            self._drop_feed(feed_id)
            return
        self._schedule_feed(feed)

    # ------------------------------------------------------------------ jobs

    def _now(self) -> datetime:
        return self.room.clock()

    def _schedule_feed(self, feed: Feed) -> None:
        self._feeds[feed.id] = feed
        if self._scheduler is None:
            return
        now = self._now()
        at = feed.next_poll_at if feed.next_poll_at and feed.next_poll_at > now else now
        self._scheduler.add_job(
            self._feed_job,
            "date",
            run_date=at,
            args=(feed.id,),
            id=feed_job_id(feed.id),
            name=f"poll feed {feed.id} {feed.url}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    def _drop_feed(self, feed_id: int) -> None:
        self._feeds.pop(feed_id, None)
        self._remove_job(feed_job_id(feed_id))

    def _schedule_digest(self, sub: Subscription) -> None:
        self._subs[sub.id] = sub
        if self._scheduler is None:
            return
        try:
            first = digests.next_run(sub.local_time, sub.timezone, self._now())
        except BriefbotError as err:
            log.warning("digest for %s not scheduled: %s", sub.audience, err)
            return
        self._scheduler.add_job(
            self._digest_job,
            _DailyTrigger(sub.local_time, sub.timezone),
            args=(sub.id,),
            id=digest_job_id(sub.id),
            name=f"digest for {sub.audience}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self.settings.digest_grace_s,
            next_run_time=first,
        )

    def _drop_digest(self, subscription_id: int) -> None:
        self._subs.pop(subscription_id, None)
        self._remove_job(digest_job_id(subscription_id))

    def _remove_job(self, job_id: str) -> None:
        if self._scheduler is not None and self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    async def _resync(self) -> None:
        """Make the jobs match the database (feeds and enabled subscriptions)."""
        feeds = {f.id: f for f in await self.room.feeds()}
        subs = {s.id: s for s in await self.room.subscriptions() if self.accepts(s.audience)}
        for fid in set(self._feeds) - set(feeds):
            self._drop_feed(fid)
        for sid in set(self._subs) - set(subs):
            self._drop_digest(sid)
        have = self.jobs()
        for feed in feeds.values():
            if feed.id in self._polling:
                continue  # the running poll re-adds its job when it ends
            if feed_job_id(feed.id) not in have or self._scheduler is None:
                self._schedule_feed(feed)
            else:
                self._feeds[feed.id] = feed
        for sub in subs.values():
            known = self._subs.get(sub.id)
            changed = known is None or (known.local_time, known.timezone) != (
                sub.local_time,
                sub.timezone,
            )
            if changed or digest_job_id(sub.id) not in have:
                self._schedule_digest(sub)
            else:
                self._subs[sub.id] = sub

    async def _tracked(self, work: Awaitable[None]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await work
        finally:
            if task is not None:
                self._running.discard(task)

    async def _resync_job(self) -> None:
        try:
            await self._tracked(self._resync())
        except Exception:
            log.exception("could not resynchronise the schedule with the database")

    async def _feed_job(self, feed_id: int) -> None:
        await self._tracked(self._poll_and_reschedule(feed_id))

    async def _poll_and_reschedule(self, feed_id: int) -> None:
        self._polling.add(feed_id)
        try:
            await self._poll_then_reschedule(feed_id)
        finally:
            self._polling.discard(feed_id)

    async def _poll_then_reschedule(self, feed_id: int) -> None:
        try:
            async with self._poll_slots:
                poll = await poll_feed(
                    self.room, feed_id, jitter_s=self.settings.feed_jitter_s, rng=self.rng
                )
            self._feeds[feed_id] = poll.feed
        except NotFound:
            self._drop_feed(feed_id)
            return
        except Exception:
            log.exception("polling feed %s failed unexpectedly", feed_id)
        if self._scheduler is None:
            return
        try:
            feed = await self.room.store.feed(feed_id)
        except NotFound:
            self._drop_feed(feed_id)
            return
        if feed.next_poll_at is None or feed.next_poll_at <= self._now():
            # the poll could not record its outcome: try again after the normal interval
            interval = feed_interval(feed, self.settings.core.feed_interval_s)
            feed = replace(feed, next_poll_at=self._now() + timedelta(seconds=interval))
        self._schedule_feed(feed)

    async def _digest_job(self, subscription_id: int) -> None:
        await self._tracked(self._run_digest_job(subscription_id))

    async def _run_digest_job(self, subscription_id: int) -> None:
        try:
            sub = await self.room.subscription(subscription_id)
        except NotFound:
            self._drop_digest(subscription_id)
            return
        if not sub.enabled:
            self._drop_digest(subscription_id)
            return
        now = self._now()
        try:
            scheduled = digests.previous_run(sub.local_time, sub.timezone, now)
            if sub.changed_at is not None and scheduled <= sub.changed_at:
                return
            decision = digests.due(scheduled, now, self.settings.digest_grace_s)
            if decision is digests.Due.SEND:
                await deliver_digest(self.room, self.settings, self.post, sub, scheduled)
            elif decision is digests.Due.SKIP and not await self.room.delivered(sub.id, scheduled):
                grace = _duration(self.settings.digest_grace_s)
                _skip(sub, scheduled, now, f"later than the {grace} grace window")
        except Exception:
            log.exception("digest for %s failed unexpectedly", sub.audience)


# ====================================================================== entry points


class SchedulerService:
    """The scheduler as a start/stop service (for `BriefBot` and the shell).

    `start` rebuilds the jobs and returns at once; the start-up catch-up of missed digests runs in
    the background so the Discord connection or the shell prompt is not held up.
    """

    def __init__(self, scheduler: BriefingScheduler) -> None:
        self.scheduler = scheduler
        self._catch_up: asyncio.Task[list[DigestOutcome]] | None = None

    async def start(self) -> None:
        """Start the scheduler and the background catch-up."""
        await self.scheduler.start(catch_up=False)
        self._catch_up = asyncio.create_task(self.scheduler.catch_up(), name="digest catch-up")

    async def stop(self) -> None:
        """Stop the catch-up (if still running) and the scheduler."""
        task, self._catch_up = self._catch_up, None
        if task is not None and not task.done():
            task.cancel()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.scheduler.shutdown()


def is_discord_audience(audience: str) -> bool:
    """Digests the Discord bot delivers: channels and users."""
    return audience.startswith(("channel:", "user:"))


def is_cli_audience(audience: str) -> bool:
    """Digests the terminal delivers (`briefbot shell --scheduler`): "cli:" audiences."""
    return audience.startswith("cli:")


def discord_service(bot: Any) -> SchedulerService:
    """The scheduler for `BriefBot` (found by `bot.discord_app`): digests are posted to Discord.

    The scheduler is also reachable as `bot.scheduler` (to refresh a subscription at once after
    `/digest set|off`; otherwise the next resync, within a minute, picks the change up).
    """
    from bot.discord_app import post_briefing  # the Discord adapter imports this module lazily

    room: Newsroom = bot.room
    settings: Settings = bot.settings or Settings()

    async def post(audience: str, briefing: Briefing | None, text: str | None) -> None:
        # The one-line "nothing new" is an empty briefing: post_briefing renders that line.
        shown = briefing or Briefing(audience=audience, generated_at=room.clock(), stories=())
        await post_briefing(bot, audience, shown)

    scheduler = BriefingScheduler(room, settings, post, audiences=is_discord_audience)
    bot.scheduler = scheduler
    return SchedulerService(scheduler)


def shell_service(room: Newsroom, settings: Settings | None, stdout: Any) -> SchedulerService:
    """The scheduler for `briefbot shell --scheduler`: "cli:" digests are printed to the terminal.

    Digests of Discord channels and users are left to the bot (printing them here would claim
    their slot); feeds are polled.
    """

    def write(text: str) -> None:
        stdout.write(text)
        stdout.flush()

    scheduler = BriefingScheduler(
        room, settings or Settings(), print_post(write), audiences=is_cli_audience
    )
    return SchedulerService(scheduler)


async def run_digest_cli(
    room: Newsroom, settings: Settings, audience: str, *, print_only: bool, out: Any
) -> int:
    """`briefbot digest run --audience A [--print]`. Returns the exit code.

    `--print` prints the digest and records nothing (a preview). Without it, a `cli:` audience
    gets it printed (and recorded: printing is its delivery); a Discord channel or user gets it
    posted through Discord's HTTP API with $BRIEFBOT_DISCORD_TOKEN (no gateway connection), then
    recorded. Exit codes: 0 done, 1 delivery failed, 2 no token.
    """
    if print_only or audience.startswith("cli:"):
        outcome = await run_digest_once(room, settings, audience, record=not print_only)
        out.write((outcome.text or "") + "\n")
        return 0
    token = settings.discord_token
    if not token:
        out.write(
            f"briefbot: cannot send to {audience}: no Discord token (set BRIEFBOT_DISCORD_TOKEN),"
            " or use --print\n"
        )
        return 2
    import discord  # only this path needs it

    from bot.discord_app import post_briefing

    client = discord.Client(intents=discord.Intents.none())

    async def post(to: str, briefing: Briefing | None, text: str | None) -> None:
        shown = briefing or Briefing(audience=to, generated_at=room.clock(), stories=())
        await post_briefing(client, to, shown)

    try:
        await client.login(token)
        outcome = await run_digest_once(room, settings, audience, post)
    except DeliveryFailed as err:
        out.write(f"briefbot: could not deliver the digest to {audience}: {err.reason}\n")
        return 1
    except discord.LoginFailure:
        out.write("briefbot: Discord rejected the token in BRIEFBOT_DISCORD_TOKEN\n")
        return 2
    finally:
        await client.close()
    out.write(f"digest sent to {audience}: {outcome.detail}\n")
    return 0
