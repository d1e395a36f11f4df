"""Local copies of reported files: which wait, which are stored where, which can't be, and
which no saved report holds any more (dropped: the copy is to be removed).

A file is copied only while a saved report holds it: a draft's files are not, and a file is
dropped when the last saved report holding it is deleted or lets it go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Executor, Transaction, from_db_time, to_db_time


@dataclass(frozen=True)
class MediaFile:
    file_unique_id: str
    file_id: str
    kind: str
    file_name: str | None
    size: int | None
    state: str
    path: str | None
    attempts: int
    error: str | None = None


def _file(row) -> MediaFile:
    return MediaFile(
        file_unique_id=row["file_unique_id"],
        file_id=row["file_id"],
        kind=row["kind"],
        file_name=row["file_name"],
        size=row["size"],
        state=row["state"],
        path=row["path"],
        attempts=row["attempts"],
        error=row["error"],
    )


async def waiting(db: Executor, now: datetime, *, limit: int) -> list[MediaFile]:
    """Files due for a download attempt, oldest first."""
    rows = await db.fetch_all(
        "SELECT * FROM media_files WHERE state = 'waiting' AND next_try <= ?"
        " ORDER BY next_try LIMIT ?",
        (to_db_time(now), limit),
    )
    return [_file(row) for row in rows]


async def soonest(db: Executor) -> datetime | None:
    """When the next waiting file is due, if any waits."""
    value = await db.fetch_value("SELECT MIN(next_try) FROM media_files WHERE state = 'waiting'")
    return from_db_time(value) if value else None


async def get(db: Executor, file_unique_id: str) -> MediaFile | None:
    row = await db.fetch_one(
        "SELECT * FROM media_files WHERE file_unique_id = ?", (file_unique_id,)
    )
    return _file(row) if row else None


async def stored(tx: Transaction, file_unique_id: str, path: str, size: int) -> bool:
    """The copy is in place; False if the file was dropped while it was being downloaded."""
    changed = await tx.execute(
        "UPDATE media_files SET state = 'stored', path = ?, size = ?, error = NULL"
        " WHERE file_unique_id = ? AND state = 'waiting'",
        (path, size, file_unique_id),
    )
    return bool(changed)


async def too_big(tx: Transaction, file_unique_id: str) -> bool:
    """Marked as too big to download; False if it was already."""
    changed = await tx.execute(
        "UPDATE media_files SET state = 'too_big' WHERE file_unique_id = ? AND state <> 'too_big'",
        (file_unique_id,),
    )
    return bool(changed)


async def retry_at(tx: Transaction, file_unique_id: str, moment: datetime, error: str) -> None:
    await tx.execute(
        "UPDATE media_files SET attempts = attempts + 1, next_try = ?, error = ?"
        " WHERE file_unique_id = ? AND state = 'waiting'",
        (to_db_time(moment), error[:200], file_unique_id),
    )


async def failed(tx: Transaction, file_unique_id: str, error: str) -> bool:
    """Given up; False if the file was dropped meanwhile (nobody needs to hear of it)."""
    changed = await tx.execute(
        "UPDATE media_files SET state = 'failed', attempts = attempts + 1, error = ?"
        " WHERE file_unique_id = ? AND state = 'waiting'",
        (error[:200], file_unique_id),
    )
    return bool(changed)


async def reporters_of(db: Executor, file_unique_id: str) -> list[tuple[int, int]]:
    """(report id, author) of the reports that hold this file."""
    rows = await db.fetch_all(
        "SELECT DISTINCT r.id, r.author_id FROM report_media m"
        " JOIN activity_reports r ON r.id = m.report_id WHERE m.file_unique_id = ?"
        " AND r.state <> 'deleted' ORDER BY r.id",
        (file_unique_id,),
    )
    return [(row["id"], row["author_id"]) for row in rows]


_SAVED_HOLDS = (
    "EXISTS (SELECT 1 FROM report_media m JOIN activity_reports r ON r.id = m.report_id"
    " WHERE m.file_unique_id = media_files.file_unique_id AND r.state = 'saved')"
)


async def hold(tx: Transaction, report_id: int) -> None:
    """A saved report's files are to be copied: queued if new, queued again if they were
    dropped (a copy being removed is downloaded anew). A draft's: nothing."""
    added = await tx.execute(
        "INSERT OR IGNORE INTO media_files (file_unique_id, file_id, kind, file_name, size,"
        " next_try, added_at) SELECT file_unique_id, file_id, kind, file_name, size, ?, ?"
        " FROM report_media WHERE report_id = ? AND report_id IN"
        " (SELECT id FROM activity_reports WHERE state = 'saved') ORDER BY id",
        (tx.stamp, tx.stamp, report_id),
    )
    again = await tx.execute(
        "UPDATE media_files SET state = 'waiting', path = NULL, attempts = 0, next_try = ?,"
        " error = NULL WHERE state = 'dropped' AND file_unique_id IN"
        " (SELECT file_unique_id FROM report_media WHERE report_id = ?) AND " + _SAVED_HOLDS,
        (tx.stamp, report_id),
    )
    if added or again:
        tx.wrote_media = True


# A candidate's final item (any version: the record keeps what the reviewers had) holds its file.
_FINAL_HOLDS = (
    "EXISTS (SELECT 1 FROM final_items f WHERE f.file_unique_id = media_files.file_unique_id)"
)


async def hold_item(tx: Transaction, table: str, row_id: int) -> None:
    """The file of this row of `table` (final_items, deliverables: our names, never a
    user's) is to be copied: queued if new, queued again if it was dropped; over the
    download limit the downloader records it too big. A row with no file: nothing."""
    added = await tx.execute(
        "INSERT OR IGNORE INTO media_files (file_unique_id, file_id, kind, file_name, size,"
        " next_try, added_at) SELECT file_unique_id, file_id, kind, file_name, size, ?, ?"
        f" FROM {table} WHERE id = ? AND file_unique_id IS NOT NULL",
        (tx.stamp, tx.stamp, row_id),
    )
    again = await tx.execute(
        "UPDATE media_files SET state = 'waiting', path = NULL, attempts = 0, next_try = ?,"
        " error = NULL WHERE state = 'dropped' AND file_unique_id IN"
        f" (SELECT file_unique_id FROM {table} WHERE id = ?)",
        (tx.stamp, row_id),
    )
    if added or again:
        tx.wrote_media = True


# A pacesetter's deliverable (any version) holds its file: the results booklet is made of copies.
_DELIVERABLE_HOLDS = (
    "EXISTS (SELECT 1 FROM deliverables d WHERE d.file_unique_id = media_files.file_unique_id)"
)


async def release(tx: Transaction, file_unique_ids: Sequence[str]) -> int:
    """Of these files, those no saved report (nor final item) holds any more are dropped
    (their copies go); one still held stays. How many were dropped."""
    if not file_unique_ids:
        return 0
    changed = await tx.execute(
        "UPDATE media_files SET state = 'dropped' WHERE state <> 'dropped' AND file_unique_id"
        f" IN ({','.join('?' * len(file_unique_ids))}) AND NOT "
        + _SAVED_HOLDS
        + " AND NOT "
        + _FINAL_HOLDS
        + " AND NOT "
        + _DELIVERABLE_HOLDS,
        list(file_unique_ids),
    )
    if changed:
        tx.wrote_media = True
    return changed


async def dropped(db: Executor, *, limit: int) -> list[MediaFile]:
    """Files whose copies are to be removed."""
    rows = await db.fetch_all("SELECT * FROM media_files WHERE state = 'dropped' LIMIT ?", (limit,))
    return [_file(row) for row in rows]


async def forget(tx: Transaction, file_unique_ids: Sequence[str]) -> int:
    """Dropped files whose copies are gone: so are their rows (unless a saved report took one
    again meanwhile); how many."""
    if not file_unique_ids:
        return 0
    return await tx.execute(
        "DELETE FROM media_files WHERE state = 'dropped' AND file_unique_id"
        f" IN ({','.join('?' * len(file_unique_ids))})",
        list(file_unique_ids),
    )


async def person_bytes(db: Executor, author_id: int, *, at_most: int) -> int:
    """What this person's saved reports and draft hold, in bytes, each file once; files over
    `at_most` are left out (they are never copied)."""
    value = await db.fetch_value(
        "SELECT IFNULL(SUM(size), 0) FROM (SELECT m.file_unique_id, MAX(m.size) AS size"
        " FROM report_media m JOIN activity_reports r ON r.id = m.report_id"
        " WHERE r.author_id = ? AND r.state IN ('draft', 'saved') GROUP BY m.file_unique_id)"
        " WHERE size <= ?",
        (author_id, at_most),
    )
    return int(value)


async def held_bytes(db: Executor) -> int:
    """What the copies stored or to be made take, in bytes."""
    value = await db.fetch_value(
        "SELECT IFNULL(SUM(size), 0) FROM media_files WHERE state IN ('waiting', 'stored')"
    )
    return int(value)


@dataclass(frozen=True)
class Tally:
    files: int
    bytes: int


async def tallies(db: Executor) -> dict[str, Tally]:
    """Files and bytes by state (absent: none)."""
    rows = await db.fetch_all(
        "SELECT state, COUNT(*) AS n, IFNULL(SUM(size), 0) AS b FROM media_files GROUP BY state"
    )
    return {row["state"]: Tally(row["n"], row["b"]) for row in rows}


async def retry_failed(tx: Transaction) -> int:
    """Files given up are tried again from the start (the running downloader finds them at
    its next look); how many."""
    changed = await tx.execute(
        "UPDATE media_files SET state = 'waiting', attempts = 0, next_try = ?, error = NULL"
        " WHERE state = 'failed'",
        (tx.stamp,),
    )
    if changed:
        tx.wrote_media = True
    return changed
