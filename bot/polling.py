"""Our own long-polling loop: an update is confirmed to Telegram only after it was handled.

PTB's run_polling confirms a batch as soon as it is queued, so a crash mid-handler would lose
it. Here the offset moves past a batch only once every update in it has been handled, and
each handled update_id is remembered in SQLite so a redelivered one changes nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from storage import updates
from storage.audit import current_update_id
from storage.db import Database

log = logging.getLogger(__name__)


async def handle_once(app: Application, db: Database, update: Update) -> None:
    if await updates.was_handled(db, update.update_id):
        log.info("update %s was already handled; dropped", update.update_id)
        return
    token = current_update_id.set(update.update_id)
    try:
        await app.process_update(update)  # errors go to the error handler, not here
    finally:
        current_update_id.reset(token)
    await updates.mark_handled(db, update.update_id)


def _key(update: Update) -> int:
    """Updates from one chat (or one user) are handled in order; others run side by side."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else 0


async def handle_batch(app: Application, db: Database, batch: Sequence[Update]) -> None:
    lanes: dict[int, list[Update]] = defaultdict(list)
    for update in batch:
        lanes[_key(update)].append(update)

    async def run_lane(lane: list[Update]) -> None:
        for update in lane:
            try:
                await handle_once(app, db, update)
            except Exception:
                # Handler errors never get here (the error handler has them); this is our own
                # bookkeeping failing, e.g. a full disk. Keep serving the others.
                log.exception("update %s could not be processed", update.update_id)

    await asyncio.gather(*(run_lane(lane) for lane in lanes.values()))


async def poll(
    app: Application,
    db: Database,
    stop: asyncio.Event,
    *,
    allowed_updates: Sequence[str],
    timeout: float = 25.0,
) -> None:
    """Fetch, handle, confirm, until `stop` is set. Offset 0 on start: every unconfirmed
    update comes back, including one that was mid-handler when the last process died."""
    offset = 0
    backoff = 1.0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            app.bot.get_updates(offset=offset, timeout=timeout, allowed_updates=allowed_updates)
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            break
        try:
            batch = fetch.result()
        except (InvalidToken, Conflict):
            raise
        except RetryAfter as error:
            await _sleep(stop, error.retry_after.total_seconds())
            continue
        except (TimedOut, NetworkError) as error:
            log.warning("getUpdates failed (%s); retrying in %.0f s", error, backoff)
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 1.0
        if batch:
            await handle_batch(app, db, batch)
            offset = batch[-1].update_id + 1
    if offset:
        await _confirm(app, offset)


async def _confirm(app: Application, offset: int) -> None:
    try:
        await app.bot.get_updates(offset=offset, timeout=0, limit=1)
    except NetworkError as error:
        log.warning("could not confirm the last updates (%s); they will be redelivered", error)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
