"""Our own long-polling loop: updates are stored before they are confirmed, then handled in
one lane per chat.

PTB's run_polling confirms a batch as soon as it is queued, so a crash mid-handler would lose
it. Here a fetched batch is first written to the inbox table; only then does the next
getUpdates confirm it to Telegram. From the inbox every update is handled once: after a crash
the unhandled ones are handled on start, and a redelivered update that was handled is dropped.

Updates of one chat are handled in order; different chats run side by side, so a slow update
(or one person's burst) delays only its own chat. Confirming stored updates rather than handled
ones is what allows that: getUpdates returns the oldest 100 unconfirmed updates, so holding
the offset at an unfinished one would hide everyone else's behind one chat's backlog.

An update whose handling failed because the database could not be written is not marked
handled: its lane retries it every few seconds until it is stored (and after a restart, too).

An update that takes the whole process down (out of memory, a crash) is not replayed for
ever: each handling of an update is counted as it begins (an update waiting in its lane
behind another has not begun), and at start one that MAX_ATTEMPTS handlings began and none
finished is set aside (kept, listed by `pacesetter updates`), its sender and the admins told
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from telegram import Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.outage import WriteOutage, retry_delay
from bot.set_aside import MAX_ATTEMPTS
from storage import inbox
from storage.audit import current_update_id
from storage.db import Database, Transaction

log = logging.getLogger(__name__)
REFUSALS_BEFORE_GIVING_UP = 3  # a 4xx that persists is a configuration problem, not the network
MAX_BACKOFF = 60.0


class PollingRefused(Exception):
    """Telegram keeps refusing getUpdates: the bot stops with this one line."""


def lane_of(update: Update) -> int:
    """Updates from one chat (or one user) are handled in order; others run side by side."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else 0


class KeepsBody(HTTPXRequest):
    """PTB's request for getUpdates alone, keeping the last response's body: the inbox stores
    what Telegram sent instead of re-serialising PTB's objects, which cost more CPU than
    anything else in storing an update. Only the poller calls getUpdates, one call at a time."""

    def __init__(self, **kwargs) -> None:
        super().__init__(connection_pool_size=1, **kwargs)
        self.last_body: bytes | None = None

    async def do_request(self, *args, **kwargs) -> tuple[int, bytes]:
        self.last_body = None
        code, body = await super().do_request(*args, **kwargs)
        self.last_body = body
        return code, body


def _as_sent(batch: Sequence[Update], body: bytes | None) -> list[dict]:
    """Each update as Telegram sent it (from the response body), else re-serialised."""
    sent = {}
    if body:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            sent = {item["update_id"]: item for item in json.loads(body)["result"]}
    return [sent.get(update.update_id) or update.to_dict() for update in batch]


class Poller:
    def __init__(
        self,
        app: Application,
        db: Database,
        clock: Callable[[], datetime],
        *,
        allowed_updates: Sequence[str],
        timeout: float = 25.0,
        storage_failures: dict[int, int],
        outage: WriteOutage,
        on_set_aside: Callable[[Transaction, list[inbox.SetAside]], Awaitable[None]],
        updates_request: KeepsBody | None = None,
    ) -> None:
        self.app, self.db, self.clock = app, db, clock
        self.outage = outage
        self.on_set_aside = on_set_aside  # writes the notices, in the transaction
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        # Counted by the error handler: how often an update's changes could not be written.
        self.storage_failures = storage_failures
        self.updates_request = updates_request
        self._lanes: dict[int, asyncio.Queue[Update]] = {}
        self._lane_tasks: set[asyncio.Task] = set()
        self._seen: set[int] = set()  # dispatched in this process: never twice
        self._stopping = False
        self.idle = asyncio.Event()
        self.idle.set()

    def busy(self) -> bool:
        return bool(self._lanes)

    # --- fetching --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch, store, confirm, handle, until `stop` is set; then finish the lanes."""
        for item in await self._replay():  # what a crash interrupted
            self._dispatch(Update.de_json(item.payload, self.app.bot))
        offset, backoff, refusals = 0, 1.0, 0
        store_delay: float | None = None
        try:
            while not stop.is_set():
                try:
                    batch = await self._fetch(offset, stop)
                except (InvalidToken, Conflict):
                    raise
                except RetryAfter as error:
                    await _sleep(stop, error.retry_after.total_seconds())
                    continue
                except (BadRequest, Forbidden) as error:  # subclasses of NetworkError: first
                    refusals += 1
                    if refusals >= REFUSALS_BEFORE_GIVING_UP:
                        raise PollingRefused(f"Telegram refuses getUpdates: {error}") from None
                    await _sleep(stop, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                except (TimedOut, NetworkError) as error:
                    log.warning("getUpdates failed (%s); retrying in %.0f s", error, backoff)
                    await _sleep(stop, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                if batch is None:
                    break  # stopping
                refusals = 0
                if not batch:
                    backoff = 1.0
                    continue
                try:
                    fresh = await self._store(batch)
                except sqlite3.Error as error:
                    # Not stored, so not confirmed: Telegram keeps them and gives them again.
                    store_delay = retry_delay(store_delay)
                    log.error(
                        "could not store updates (%s); retrying in %.0f s", error, store_delay
                    )
                    await self.outage.failed(error)
                    await self.outage.tell_waiting(batch)
                    await _sleep(stop, store_delay)
                    continue
                await self.outage.recovered()
                backoff, store_delay = 1.0, None
                offset = batch[-1].update_id + 1
                for update in batch:
                    if update.update_id in fresh:
                        self._dispatch(update)
                    else:
                        log.info("update %s was already handled; dropped", update.update_id)
        finally:
            # No last getUpdates to confirm the final batch: it could race the long poll just
            # abandoned. Given again after a restart, the inbox knows those were handled.
            await self._finish_lanes()

    async def _fetch(self, offset: int, stop: asyncio.Event) -> tuple[Update, ...] | None:
        fetch = asyncio.ensure_future(
            self.app.bot.get_updates(
                offset=offset, timeout=self.timeout, allowed_updates=self.allowed_updates
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            return None
        return fetch.result()

    async def _replay(self) -> list[inbox.Received]:
        """What a crash left unhandled, but for what kept killing the process: that is set
        aside, and its sender and the admins are told."""
        try:
            async with self.db.transaction(self.clock()) as tx:
                aside = await inbox.set_aside_stuck(tx, MAX_ATTEMPTS)
                if aside:
                    await self.on_set_aside(tx, aside)
        except sqlite3.Error as error:
            # A write: with a full disk, replay what waits rather than nothing.
            log.error("could not set aside the updates that kept failing (%s)", error)
            aside = []
        for update in aside:
            log.error(
                "update %s set aside: %s starts began it and none finished it"
                " (pacesetter updates list)",
                update.update_id,
                update.attempts,
            )
        return await inbox.unhandled(self.db)

    async def _store(self, batch: Sequence[Update]) -> set[int]:
        body = self.updates_request.last_body if self.updates_request else None
        received = [
            inbox.Received(update.update_id, lane_of(update), payload)
            for update, payload in zip(batch, _as_sent(batch, body), strict=True)
        ]
        async with self.db.statement(self.clock()) as tx:
            return set(await inbox.store(tx, received))

    # --- handling ------------------------------------------------------------------------

    def _dispatch(self, update: Update) -> None:
        if update.update_id in self._seen:
            return
        self._seen.add(update.update_id)
        if len(self._seen) > 20_000:  # Telegram's ids grow: the old ones can't come back
            self._seen = {i for i in self._seen if i > update.update_id - 10_000}
        key = lane_of(update)
        queue = self._lanes.get(key)
        if queue is None:
            queue = self._lanes[key] = asyncio.Queue()
            task = asyncio.create_task(self._run_lane(key, queue), name=f"lane-{key}")
            self._lane_tasks.add(task)
            task.add_done_callback(self._lane_tasks.discard)
            self.idle.clear()
        queue.put_nowait(update)

    async def _run_lane(self, key: int, queue: asyncio.Queue[Update]) -> None:
        try:
            # Stopping, a lane finishes the update in hand; the rest wait in the inbox.
            while not queue.empty() and not self._stopping:
                update = queue.get_nowait()
                try:
                    await self._handle(update)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Handler errors never get here (the error handler has them): this is our
                    # own bookkeeping failing. The update stays in the inbox for the next start.
                    log.exception("update %s could not be processed", update.update_id)
        finally:
            del self._lanes[key]
            if not self._lanes:
                self.idle.set()

    async def _handle(self, update: Update) -> None:
        await self._count_attempt(update.update_id)
        delay: float | None = None
        while True:
            failures = self.storage_failures.get(update.update_id, 0)
            token = current_update_id.set(update.update_id)
            try:
                await self.app.process_update(update)  # errors go to the error handler
            finally:
                current_update_id.reset(token)
            if self.storage_failures.get(update.update_id, 0) == failures:
                break  # this attempt was stored
            if self._stopping:
                return  # still unhandled in the inbox: the next start tries again
            # Its changes were not written: try again (the person was told it would be).
            delay = retry_delay(delay)
            log.warning("update %s not stored; retrying in %.0f s", update.update_id, delay)
            await asyncio.sleep(delay)
        if self.storage_failures.pop(update.update_id, None):
            await self.outage.recovered()
        while True:
            try:
                async with self.db.statement(self.clock()) as tx:
                    await inbox.mark_handled(tx, update.update_id)
                return
            except sqlite3.OperationalError as error:
                log.warning("update %s: could not mark it handled (%s)", update.update_id, error)
                await self.outage.failed(error)
                delay = retry_delay(delay)
                await asyncio.sleep(delay)

    async def _count_attempt(self, update_id: int) -> None:
        try:
            async with self.db.statement(self.clock()) as tx:
                await inbox.began(tx, update_id)
        except sqlite3.Error as error:  # a full disk: handling it will say so
            log.warning("update %s: could not count this attempt (%s)", update_id, error)

    async def _finish_lanes(self) -> None:
        """On stop: the updates in hand are finished (a retrying one stays in the inbox)."""
        self._stopping = True
        if not self._lane_tasks:
            return
        _, pending = await asyncio.wait(set(self._lane_tasks), timeout=20)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def forget_old_updates(db: Database, now: datetime) -> int:
    # Telegram redelivers for at most 24 h; two days of memory is plenty.
    async with db.transaction(now) as tx:
        return await inbox.forget_handled_before(tx, now - timedelta(days=2))


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
