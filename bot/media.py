"""The downloader: keeps a local copy of every file a saved report holds, in the background,
so the results booklet can be made without Telegram; and removes the copies no saved report
holds any more (a report deleted, a photo taken out of one).

Files go under the media folder beside the database, one per Telegram file (its unique id),
written whole or not at all. Telegram lets bots download up to 20 MB: a larger file stays a
reference (its file id), and the people who reported it are told. Time-outs and server errors
are tried again with a growing pause; a file Telegram refuses is given up, and the admins are
told (`pacesetter media --retry` tries the given-up files again).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePath

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot import notices
from bot.access import admin_ids
from storage import media
from storage.db import Database, Transaction
from storage.media import MediaFile
from storage.outbox import Cause

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
DOWNLOAD_LIMIT = 20 * 2**20  # bytes: the most a bot may download from Telegram
SEND_LIMIT = 50 * 2**20  # bytes: the most a bot may send as a document
IDLE_CHECK = 30.0  # seconds: the longest wait between two looks when nothing was written
_EXTENSIONS = {"photo": ".jpg", "video": ".mp4", "document": ""}
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")

# Writes the notices to the people who reported a file too big to copy, or to the admins of
# a file given up (the downloader knows no words).
TooBig = Callable[[Transaction, str], Awaitable[None]]
GaveUp = Callable[[Transaction, str], Awaitable[None]]


# Bytes always left free on the disk of the media folder, which is the database's too: SQLite
# can't write (not even the outbox) on a full disk, whatever the quotas say.
DISK_RESERVE = 2**30


@dataclass(frozen=True)
class Quota:
    """How much the copies may take: each person's (their saved reports and draft) and all
    of them together."""

    person: int
    total: int


def over_quota(
    quota: Quota, *, person: int, total: int, size: int | None, free: int | None = None
) -> str | None:
    """Why a file of `size` bytes can't join a report, given what the person's reports and all
    saved reports hold now (and the disk has `free`): "person", "total", "disk", or None if it
    can. A file too big to download is never copied, so it takes nothing; one of unknown size
    is counted as nothing (Telegram gives the size of nearly every file)."""
    size = size or 0
    if size > DOWNLOAD_LIMIT:
        return None
    if person + size > quota.person:
        return "person"
    if total + size > quota.total:
        return "total"
    if free is not None and free - size < DISK_RESERVE:
        return "disk"
    return None


def free_space(folder: Path) -> int:
    """Bytes free on the folder's file system (its parent's, before it exists)."""
    return shutil.disk_usage(folder if folder.exists() else folder.parent).free


def folder_of(db_path: Path) -> Path:
    """The media folder: beside the database."""
    return db_path.resolve().parent / "media"


def disk_used(folder: Path) -> int:
    """Bytes the files under the folder take (0 if there is none yet)."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


def local_path(item: MediaFile) -> str:
    """Where a file goes under the media folder: by kind, then by the first two characters
    of its unique id (no folder grows to tens of thousands)."""
    suffix = PurePath(item.file_name or "").suffix
    extension = suffix.lower() if _SAFE_SUFFIX.match(suffix) else _EXTENSIONS[item.kind]
    unique = re.sub(r"[^A-Za-z0-9_-]", "_", item.file_unique_id)
    return f"{item.kind}s/{unique[:2]}/{unique}{extension}"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts, 0), 3600))


class Downloader:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        folder: Path,
        clock: Callable[[], datetime],
        too_big: TooBig,
        gave_up: GaveUp | None = None,
    ) -> None:
        self.bot, self.db, self.folder, self.clock = bot, db, folder, clock
        self.too_big, self.gave_up = too_big, gave_up
        self._working = True  # between a wake-up and the end of the look at what is due
        self._wake = asyncio.Event()

    def busy(self) -> bool:
        return self._working or self.db.media_written.is_set()

    def wake(self) -> None:
        self._working = True
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._working = True
            self.db.media_written.clear()
            self._wake.clear()
            try:
                await self._remove_dropped()
                due = await media.waiting(self.db, self.clock(), limit=10)
                for item in due:
                    if stop.is_set():
                        return
                    await self._fetch(item)
            except Exception:  # the database unreadable for a moment: look again soon
                log.exception("could not look at the files to copy")
                due = []
            if due:
                continue  # there may be more
            self._working = False
            wait = IDLE_CHECK
            soonest = await media.soonest(self.db)
            if soonest is not None:
                wait = min(wait, max((soonest - self.clock()).total_seconds(), 0.05))
            waiters = [
                asyncio.ensure_future(event.wait())
                for event in (stop, self.db.media_written, self._wake)
            ]
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def _fetch(self, item: MediaFile) -> None:
        relative = local_path(item)
        if (item.size or 0) > DOWNLOAD_LIMIT:  # known from the message: not even asked for
            await self._too_big(item)
            return
        try:
            telegram_file = await self.bot.get_file(item.file_id)
            data = bytes(await telegram_file.download_as_bytearray())
            await asyncio.to_thread(self._write, relative, data)
        except BadRequest as error:
            if "too big" in str(error).lower():
                await self._too_big(item)
                return
            log.warning("file %s refused: %s", item.file_unique_id, error)
            await self._failed(item, f"refused: {error}")
            return
        except (RetryAfter, TimedOut, NetworkError, OSError) as error:
            if item.attempts + 1 >= MAX_ATTEMPTS:
                await self._failed(item, f"gave up: {error}")
                return
            async with self.db.transaction(self.clock()) as tx:
                moment = tx.now + backoff(item.attempts + 1)
                await media.retry_at(tx, item.file_unique_id, moment, str(error))
            return
        async with self.db.transaction(self.clock()) as tx:
            kept = await media.stored(tx, item.file_unique_id, relative, len(data))
        if not kept:  # let go while it was downloading: the copy goes at once
            await asyncio.to_thread(self._remove, relative)

    async def _failed(self, item: MediaFile, error: str) -> None:
        async with self.db.transaction(self.clock()) as tx:
            if await media.failed(tx, item.file_unique_id, error) and self.gave_up:
                await self.gave_up(tx, item.file_unique_id)

    async def _remove_dropped(self) -> None:
        """The copies no saved report holds any more: removed from the disk, then forgotten
        (a crash between the two removes the file again, which is gone already)."""
        while gone := await media.dropped(self.db, limit=50):
            for item in gone:
                if item.path:
                    await asyncio.to_thread(self._remove, item.path)
            async with self.db.transaction(self.clock()) as tx:
                await media.forget(tx, [item.file_unique_id for item in gone])

    async def _too_big(self, item: MediaFile) -> None:
        async with self.db.transaction(self.clock()) as tx:
            if await media.too_big(tx, item.file_unique_id):
                await self.too_big(tx, item.file_unique_id)

    def _remove(self, relative: str) -> None:
        (self.folder / relative).unlink(missing_ok=True)

    def _write(self, relative: str, data: bytes) -> None:
        """The whole file or none: written aside, then renamed into place."""
        target = self.folder / relative
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        aside = target.with_name(target.name + ".part")
        aside.write_bytes(data)
        os.replace(aside, target)


async def tell_too_big(tx: Transaction, writer: notices.Writer, file_unique_id: str) -> None:
    """The people who reported a file too big to copy hear it is kept only in Telegram."""
    item = await media.get(tx, file_unique_id)
    authors = {author_id for _, author_id in await media.reporters_of(tx, file_unique_id)}
    await notices.to_people(
        tx,
        writer,
        authors,
        "report/too_big",
        f"media:{file_unique_id}:too_big",
        kind=item.kind if item else "document",
    )


async def tell_gave_up(
    tx: Transaction, writer: notices.Writer, admins: Iterable[int], file_unique_id: str
) -> None:
    """The admins hear that a reported file could not be copied, so they can try again
    (`pacesetter media --retry`) once Telegram or the disk is back."""
    item = await media.get(tx, file_unique_id)
    if item is None:
        return
    holders = await media.reporters_of(tx, file_unique_id)
    everyone = await admin_ids(tx, admins)
    await notices.to_people(
        tx,
        writer,
        everyone,
        "report/copy_failed",
        notices.cause(tx, Cause("media", file_unique_id, "failed")),  # each time given up
        kind=item.kind,
        reports=[report_id for report_id, _ in holders],
        error=item.error or "",
    )
