"""The outbox sender: delivers what handlers and jobs wrote to the outbox table, at our pace.

A row is marked in flight before its request and done after it, each in its own short
transaction (the write lock is never held across the network). After a kill -9 the rows that
were in flight are sent again: Telegram has no idempotency key, so each of those may arrive
twice. The sender keeps one message per chat in flight, so that window is at most one message
per chat. A TimedOut send may also have been delivered; it is retried all the same (a
duplicate is better than a notice lost).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.pacing import BULK, Pacer
from storage import chats, outbox, people
from storage.db import Database, Transaction
from storage.outbox import AFTER, FOLLOWS, PROGRESS, Cause, Outgoing, Report, Row

log = logging.getLogger(__name__)
# Time-outs and 5xx: a row is given up after this many tries, the back-off between them
# (1, 2, 4 … 512 s, then 600 s) adding up to about an hour (57 minutes).
MAX_ATTEMPTS = 15
IDLE_CHECK = 1.0  # seconds: how often the sender looks for rows that became due by time
METHODS = {  # the Bot method of each outbox method name
    "sendMessage": "send_message",
    "sendPhoto": "send_photo",
    "sendDocument": "send_document",
    "sendVideo": "send_video",
    "editMessageText": "edit_message_text",
    "editMessageCaption": "edit_message_caption",
    "editMessageMedia": "edit_message_media",  # a report card's photo, taken out (issue 16)
    "deleteMessage": "delete_message",
}
PROGRESS_EVERY = 2.0  # seconds between two edits of a progress message

# Renders a report, finished or in progress, as messages for its chat (the sender knows no
# words).
ReportWriter = Callable[[Report], list[Outgoing]]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 600))


class Sender:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        pacer: Pacer,
        clock: Callable[[], datetime],
        write_report: ReportWriter,
        *,
        concurrency: int = 8,
    ) -> None:
        self.bot, self.db, self.pacer, self.clock = bot, db, pacer, clock
        self.write_report = write_report
        self.concurrency = concurrency
        self.progress_every = PROGRESS_EVERY
        self._progress_shown: dict[str, float] = {}  # cause -> when its progress was last edited
        self._in_flight: dict[int, asyncio.Task] = {}  # chat id -> its one send
        self._looking = True  # between a wake-up and the end of the look at what is due
        self._due_seen = False
        self._changed = asyncio.Event()

    def busy(self) -> bool:
        in_hand = self._looking or self._due_seen or bool(self._in_flight)
        return in_hand or self.db.outbox_written.is_set()

    def wake(self) -> None:
        """Look at the outbox now (e.g. after a test moved the clock on)."""
        self._looking = True
        self._changed.set()

    async def run(self, stop: asyncio.Event) -> None:
        async with self.db.transaction(self.clock()) as tx:
            again = await outbox.release_in_flight(tx)
        if again:
            log.warning("%d message(s) were in flight at the last stop; sending them again", again)
        await self._seed_pace()
        try:
            while not stop.is_set():
                self._looking = True
                self.db.outbox_written.clear()
                self._changed.clear()
                try:
                    wait = await self._start_due()
                except Exception:  # the database unreadable for a moment: look again soon
                    log.exception("could not look at the outbox")
                    wait = 5.0
                # A send that ended during the look wakes another one at once: busy till then.
                self._looking = self._changed.is_set()
                waiters = [
                    asyncio.ensure_future(event.wait())
                    for event in (stop, self.db.outbox_written, self._changed)
                ]
                await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            if self._in_flight:
                await asyncio.wait(list(self._in_flight.values()), timeout=10)

    async def _seed_pace(self) -> None:
        """Telegram still counts what the last run sent in its last minute: so does the pacer."""
        now = self.clock()
        try:
            recent = await outbox.sent_since(self.db, now - timedelta(minutes=1))
        except Exception:  # a pace started afresh is better than no sender
            log.exception("could not read the last minute's sends")
            return
        self.pacer.seed([(sent.chat_id, (now - sent.at).total_seconds()) for sent in recent])

    async def _start_due(self) -> float:
        """Start a send for each due row whose chat is ready; seconds until it's worth looking
        again (a chat becomes ready, or a row due by time)."""
        room = self.concurrency - len(self._in_flight)
        if room <= 0:
            self._due_seen = True
            return IDLE_CHECK
        rows = await outbox.due(
            self.db, self.clock(), limit=room * 4 + 50, skip=list(self._in_flight)
        )
        self._due_seen = bool(rows)
        soonest = IDLE_CHECK
        for row in rows:
            if room <= 0:
                break
            ready_in = self.pacer.ready_in(row.chat_id)
            if ready_in > 0:
                soonest = min(soonest, ready_in)
                continue
            task = asyncio.create_task(self._deliver(row), name=f"outbox-{row.id}")
            self._in_flight[row.chat_id] = task
            task.add_done_callback(lambda _, chat=row.chat_id: self._done(chat))
            room -= 1
        return soonest

    def _done(self, chat_id: int) -> None:
        self._in_flight.pop(chat_id, None)
        # Busy until the look this wakes is over: what the send left due (a retry, a row moved
        # to a group's new id) is seen there, and nobody waiting on busy() looks in between.
        self._looking = True
        self._changed.set()

    async def _deliver(self, found: Row) -> None:
        async with self.db.transaction(self.clock()) as tx:
            row = await outbox.claim(tx, found.id)  # as it is now: renewed, maybe, since found
        if row is None:
            return
        outcome = await self._send(row)

        async def with_reports(tx: Transaction) -> None:
            await outcome(tx=tx)
            await self._show_progress(tx, row.cause)
            for report in await outbox.finished_reports(tx):
                self._progress_shown.pop(report.cause, None)
                await outbox.enqueue(tx, self.write_report(report))

        # What came of it must be written: a row left in flight would hold back the edits that
        # follow it until a restart. If the reports can't be written, the outcome goes alone;
        # if that can't either, the row is given up.
        given_up = partial(outbox.failed, row_id=row.id, error="error: outcome not recorded")
        for record in (with_reports, outcome, given_up):
            if await self._record(row, record):
                return

    async def _record(self, row: Row, record: Callable[..., Awaitable[Any]]) -> bool:
        """Write `record` in a transaction of its own; a full disk delays it, any other error
        makes it False."""
        pause = 1.0
        while True:
            try:
                async with self.db.transaction(self.clock()) as tx:
                    await record(tx=tx)
                return True
            except sqlite3.OperationalError as error:
                log.warning("outbox %s: could not record the outcome (%s)", row.id, error)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 60.0)
            except Exception:
                log.exception("outbox %s: could not record the outcome", row.id)
                return False

    async def _show_progress(self, tx: Transaction, cause: str) -> None:
        """Edit the progress message of `cause`'s report, if it has one, at most every
        `progress_every` seconds (a wave's rows finish many times a second)."""
        shown = self._progress_shown.get(cause)
        if shown is not None and time.monotonic() - shown < self.progress_every:
            return
        report = await outbox.progress(tx, cause)
        if report is not None:
            self._progress_shown[cause] = time.monotonic()
            await outbox.renew(tx, self.write_report(report))

    async def _send(self, row: Row) -> Callable[[Transaction], Awaitable[Any]]:
        """Make the request; returns how to record what came of it."""
        try:
            message_id = await self._request(row)
        except _NothingToChange:
            return partial(
                outbox.failed, row_id=row.id, error="refused: its message was never sent"
            )
        except RetryAfter as error:  # the pacer has cooled the chat down already
            return partial(self._retry, row, error.retry_after, "429")
        except ChatMigrated as error:
            return partial(self._migrated, row, error.new_chat_id)
        except Forbidden as error:
            return partial(self._unreachable, row, str(error))
        except BadRequest as error:  # the request itself is wrong: sending again won't help
            log.warning("outbox %s to %s refused: %s", row.id, row.chat_id, error)
            return partial(outbox.failed, row_id=row.id, error=f"refused: {error}")
        except (TimedOut, NetworkError) as error:
            return partial(self._later, row, str(error))
        except Exception as error:
            log.exception("outbox %s could not be sent", row.id)
            return partial(outbox.failed, row_id=row.id, error=f"error: {error!r}")
        return partial(outbox.sent, row_id=row.id, message_id=message_id)

    async def _retry(self, row: Row, wait: timedelta, error: str, tx: Transaction) -> None:
        await outbox.retry_at(tx, row.id, tx.now + wait, error)

    async def _request(self, row: Row) -> int | None:
        """Make the row's request; the id of the message it made, if it made one."""
        kwargs = dict(row.payload)
        if kwargs.get("reply_markup") is not None:
            kwargs["reply_markup"] = InlineKeyboardMarkup.de_json(kwargs["reply_markup"], self.bot)
        kwargs.pop(AFTER, None)  # order only: the sender's query saw to it
        follows = kwargs.pop(FOLLOWS, None)
        if follows is not None:  # an edit or deletion of a message the outbox sent earlier
            message_id = await outbox.sent_message(self.db, follows, row.chat_id, row.thread_id)
            if message_id is None:
                raise _NothingToChange
            kwargs.pop("message_thread_id", None)
            kwargs["message_id"] = message_id
        method = getattr(self.bot, METHODS[row.method])
        try:
            result = await method(chat_id=row.chat_id, **kwargs, rate_limit_args=BULK)
        except BadRequest as error:
            reason = str(error).lower()
            if row.method.startswith("edit") and "not modified" in reason:
                return None  # it shows that already
            if row.method == "deleteMessage" and "not found" in reason:
                return None  # gone already
            progress = Cause.parse(row.cause).kind == PROGRESS
            if row.method != "editMessageText" or follows or progress:
                raise
            # The message to turn into the report is gone (deleted): the report comes anew.
            del kwargs["message_id"]
            result = await self.bot.send_message(
                chat_id=row.chat_id, **kwargs, rate_limit_args=BULK
            )
        return result.message_id if isinstance(result, Message) else None

    async def _later(self, row: Row, error: str, tx: Transaction) -> None:
        if row.attempts >= MAX_ATTEMPTS:  # counted at claim: this try included
            await outbox.failed(tx, row.id, f"gave up: {error}")
            return
        await outbox.retry_at(tx, row.id, tx.now + backoff(row.attempts), error)

    async def _unreachable(self, row: Row, error: str, tx: Transaction) -> None:
        # Blocked by the person, or removed from the group: nothing more goes there.
        await outbox.failed(tx, row.id, "unreachable")
        await outbox.fail_chat(tx, row.chat_id, "unreachable")
        if row.chat_id > 0:
            await people.set_blocked(tx, row.chat_id, True)
        else:
            await chats.mark_gone(tx, row.chat_id, error)

    async def _migrated(self, row: Row, new_chat_id: int, tx: Transaction) -> None:
        await chats.migrate(tx, row.chat_id, new_chat_id, "")
        await outbox.move_chat(tx, row.chat_id, new_chat_id)


class _NothingToChange(Exception):
    """An edit or deletion of a message that was never sent (it failed, or was withdrawn)."""
