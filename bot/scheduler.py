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

Exactly once, several processes, failover: see `summaries.schedule` (the core of it). Every
process builds its jobs, but only the holder of the `scheduler:<kind>` lease runs them: the
lease is renewed every `lease_s / 3`; when the holder dies another process takes it within
`lease_s`, rebuilds the jobs and catches up on the digests that fell due meanwhile. Digest
slots and feed polls are claimed in the database, so an overlap during a failover sends
nothing twice.

Failures. A post raising `DeliveryFailed` (channel deleted, permission lost, DMs closed) or
anything else is recorded with `Newsroom.mark_subscription_error` (shown by `/digest show`) and
logged as a missed digest. It is not retried every minute: the next attempt is the next day's
scheduled run, and `/digest set` clears the error. A later successful delivery clears it too.

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
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bot import render
from bot.settings import Settings
from summaries import digests
from summaries import schedule as core
from summaries.errors import BriefbotError, NotFound
from summaries.feeds import MAX_CONCURRENT_POLLS, feed_interval, poll_due_feeds, poll_feed
from summaries.models import Briefing, Feed, Subscription
from summaries.newsroom import FeedPoll, Newsroom
from summaries.schedule import (
    CATCH_UP_LOOKBACK,
    DigestOutcome,
    DigestRules,
    DigestStatus,
    Lease,
    Post,
    UpcomingRun,
    build_digest,
    digest_detail,
    feed_detail,
    upcoming_runs,
)

__all__ = [
    "CATCH_UP_LOOKBACK",
    "BriefingScheduler",
    "DigestOutcome",
    "DigestStatus",
    "Post",
    "UpcomingRun",
    "build_digest",
    "deliver_digest",
    "digest_detail",
    "feed_detail",
    "run_digest_once",
    "run_due_digests",
    "upcoming_runs",
]

log = logging.getLogger(__name__)

RESYNC_INTERVAL_S = 60
"""How often jobs are reconciled with the database (picks up /feed add, /digest set, the CLI)."""

SHUTDOWN_WAIT_S = 10.0
"""How long shutdown waits for a running poll or digest before cancelling it."""

_duration = core.duration


@dataclass(frozen=True)
class TickReport:
    """What one `BriefingScheduler.tick` did."""

    polls: tuple[FeedPoll, ...] = ()
    digests: tuple[DigestOutcome, ...] = field(default=())
    leader: bool = True


def rules_of(settings: Settings) -> DigestRules:
    """The digest rules of the settings."""
    return DigestRules(
        grace_s=settings.digest_grace_s,
        when_nothing_new=settings.when_nothing_new,
        claim_s=settings.digest_claim_s,
    )


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

    async def post(
        audience: str, briefing: Briefing | None, text: str | None, *, nonce: str | None = None
    ) -> None:
        body = text if text is not None else (digest_text(briefing) if briefing else "")
        write(f"[digest for {audience}]\n{body}\n")

    return post


# ====================================================================== digests (the core, with the
# bot's settings and plain-text rendering)


async def _digest_since(room: Newsroom, sub: Subscription, scheduled_for: datetime) -> datetime:
    return await core.digest_since(room, sub, scheduled_for)


async def deliver_digest(
    room: Newsroom,
    settings: Settings,
    post: Post,
    sub: Subscription,
    scheduled_for: datetime,
    *,
    holder: str = "",
) -> DigestOutcome:
    """`summaries.schedule.deliver_digest` with the settings' rules and the terminal text."""
    return await core.deliver_digest(
        room, rules_of(settings), post, sub, scheduled_for, render=digest_text, holder=holder
    )


async def run_due_digests(
    room: Newsroom,
    settings: Settings,
    post: Post,
    *,
    since: datetime,
    now: datetime,
    accepts: Callable[[str], bool] | None = None,
    holder: str = "",
) -> list[DigestOutcome]:
    """`summaries.schedule.run_due_digests` with the settings' rules and the terminal text."""
    return await core.run_due_digests(
        room,
        rules_of(settings),
        post,
        since=since,
        now=now,
        render=digest_text,
        accepts=accepts,
        holder=holder,
    )


async def run_digest_once(
    room: Newsroom,
    settings: Settings,
    audience: str,
    post: Post | None = None,
    *,
    record: bool = True,
) -> DigestOutcome:
    """`summaries.schedule.run_digest_once` with the terminal text (`briefbot digest run`)."""
    return await core.run_digest_once(room, audience, post, render=digest_text, record=record)


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
        lease: Run the jobs only while holding this lease (several processes on one database:
            one leader). None: always run them (one process).
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
        lease: Lease | None = None,
    ) -> None:
        self.room = room
        self.lease = lease
        self.holder = lease.holder if lease is not None else ""
        self._leading = lease is None
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
        # digest slots another process had claimed when this one looked: tried again on each
        # tick until sent (a claimant that died is taken over when its claim expires)
        self._waiting: dict[tuple[int, datetime], Subscription] = {}

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
        if self.lease is not None:
            self._leading = await self.lease.hold()
            scheduler.add_job(
                self._leadership_job,
                "interval",
                seconds=max(self.lease.ttl_s / 3, 0.2),
                id="leadership",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
            )
            if not self._leading:
                log.info(
                    "scheduler standing by: another process holds the %s lease", self.lease.name
                )
                return []
        await self._start_jobs()
        return await self.catch_up() if catch_up else []

    async def _start_jobs(self) -> None:
        assert self._scheduler is not None
        await self._resync()
        self._scheduler.add_job(
            self._resync_job,
            "interval",
            seconds=RESYNC_INTERVAL_S,
            id="resync",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        log.info("scheduler started: %s feeds, %s digests", len(self._feeds), len(self._subs))

    def _stop_jobs(self) -> None:
        if self._scheduler is not None:
            for job in self._scheduler.get_jobs():
                if job.id != "leadership":
                    job.remove()
        self._feeds.clear()
        self._subs.clear()
        self._last_check = None

    async def _leadership_job(self) -> None:
        """Renew (or try to take) the lease; start or stop the jobs when leadership changes."""
        if self.lease is None:
            return
        try:
            held = await self.lease.hold()
            if held and not self._leading:
                self._leading = True
                await self._start_jobs()
                task = asyncio.create_task(self._tracked(self._catch_up_quietly()))
                self._running.add(task)
            elif not held and self._leading:
                self._leading = False
                self._stop_jobs()
                log.warning("scheduler stopped its jobs: the %s lease was lost", self.lease.name)
        except Exception:
            log.exception("leadership check failed")

    async def _catch_up_quietly(self) -> None:
        try:
            await self.catch_up()
        except Exception:
            log.exception("catching up on missed digests failed")

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
        if self.lease is not None:
            await self.lease.release()  # a standby takes over at its next check
            self._leading = False
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
            holder=self.holder,
        )
        self._last_check = moment
        return outcomes

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Do everything due at `now` (default: the room's clock), without APScheduler.

        Polls the due feeds and handles the digest runs scheduled since the previous tick (the
        first tick looks back one grace window). Tests time-travel with this; the jobs do the
        same work one feed / one digest at a time. With a lease, it first renews (or tries to
        take) it, and does nothing while another process leads.
        """
        moment = now or self.room.clock()
        if self.lease is not None:
            self._leading = await self.lease.hold(moment)
            if not self._leading:
                self._last_check = None  # when this process leads again, look back a grace
                return TickReport(leader=False)
        polls = await poll_due_feeds(
            self.room, now=moment, jitter_s=self.settings.feed_jitter_s, rng=self.rng
        )
        for poll in polls:
            self._feeds[poll.feed.id] = poll.feed
        since = self._last_check or moment - timedelta(seconds=self.settings.digest_grace_s)
        outcomes = await run_due_digests(
            self.room,
            self.settings,
            self.post,
            since=since,
            now=moment,
            accepts=self.accepts,
            holder=self.holder,
        )
        self._last_check = max(moment, self._last_check or moment)
        outcomes = [*await self._retry_waiting(moment), *outcomes]
        for o in outcomes:
            if o.status == "in_progress" and o.subscription_id and o.scheduled_for:
                sub = await self.room.subscription(o.subscription_id)
                self._waiting[(o.subscription_id, o.scheduled_for)] = sub
        return TickReport(polls=tuple(polls), digests=tuple(outcomes))

    async def _retry_waiting(self, moment: datetime) -> list[DigestOutcome]:
        out: list[DigestOutcome] = []
        for key, sub in list(self._waiting.items()):
            del self._waiting[key]
            if digests.due(key[1], moment, self.settings.digest_grace_s) is digests.Due.SEND:
                outcome = await deliver_digest(
                    self.room, self.settings, self.post, sub, key[1], holder=self.holder
                )
                if outcome.status != "in_progress":
                    out.append(outcome)
                else:
                    self._waiting[key] = sub
        return out

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
        try:
            # A digest whose claimant died, or that fell due during a failover, is sent here:
            # every run due within the grace window and not sent yet (claims keep it once).
            now = self._now()
            await self._tracked(
                self._sweep(now - timedelta(seconds=self.settings.digest_grace_s), now)
            )
        except Exception:
            log.exception("could not check for unsent digests")

    async def _sweep(self, since: datetime, now: datetime) -> None:
        await run_due_digests(
            self.room,
            self.settings,
            self.post,
            since=since,
            now=now,
            accepts=self.accepts,
            holder=self.holder,
        )

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
                    self.room,
                    feed_id,
                    jitter_s=self.settings.feed_jitter_s,
                    rng=self.rng,
                    claim=True,
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
                await deliver_digest(
                    self.room, self.settings, self.post, sub, scheduled, holder=self.holder
                )
            elif decision is digests.Due.SKIP and not await self.room.delivered(sub.id, scheduled):
                grace = _duration(self.settings.digest_grace_s)
                core.skip_digest(sub, scheduled, now, f"later than the {grace} grace window")
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

    async def post(
        audience: str, briefing: Briefing | None, text: str | None, *, nonce: str | None = None
    ) -> None:
        # The one-line "nothing new" is an empty briefing: post_briefing renders that line.
        shown = briefing or Briefing(audience=audience, generated_at=room.clock(), stories=())
        await post_briefing(bot, audience, shown, nonce=nonce)

    lease = Lease(room, "scheduler:discord", settings.lease_s)
    scheduler = BriefingScheduler(room, settings, post, audiences=is_discord_audience, lease=lease)
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

    chosen = settings or Settings()
    scheduler = BriefingScheduler(
        room,
        chosen,
        print_post(write),
        audiences=is_cli_audience,
        lease=Lease(room, "scheduler:cli", chosen.lease_s),
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

    from bot.discord_app import post_briefing, use_endpoints

    use_endpoints(settings)
    client = discord.Client(intents=discord.Intents.none())

    async def post(
        to: str, briefing: Briefing | None, text: str | None, *, nonce: str | None = None
    ) -> None:
        shown = briefing or Briefing(audience=to, generated_at=room.clock(), stories=())
        await post_briefing(client, to, shown)

    try:
        await client.login(token)
        outcome = await run_digest_once(room, settings, audience, post)
    except core.DeliveryFailed as err:
        out.write(f"briefbot: could not deliver the digest to {audience}: {err.reason}\n")
        return 1
    except discord.LoginFailure:
        out.write("briefbot: Discord rejected the token in BRIEFBOT_DISCORD_TOKEN\n")
        return 2
    finally:
        await client.close()
    out.write(f"digest sent to {audience}: {outcome.detail}\n")
    return 0
