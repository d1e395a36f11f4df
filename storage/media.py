"""Local copies of reported files: which wait, which are stored where, which can't be."""

from __future__ import annotations

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


async def stored(tx: Transaction, file_unique_id: str, path: str, size: int) -> None:
    await tx.execute(
        "UPDATE media_files SET state = 'stored', path = ?, size = ?, error = NULL"
        " WHERE file_unique_id = ?",
        (path, size, file_unique_id),
    )


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
        " WHERE file_unique_id = ?",
        (to_db_time(moment), error[:200], file_unique_id),
    )


async def failed(tx: Transaction, file_unique_id: str, error: str) -> None:
    await tx.execute(
        "UPDATE media_files SET state = 'failed', attempts = attempts + 1, error = ?"
        " WHERE file_unique_id = ?",
        (error[:200], file_unique_id),
    )


async def reporters_of(db: Executor, file_unique_id: str) -> list[tuple[int, int]]:
    """(report id, author) of the reports that hold this file."""
    rows = await db.fetch_all(
        "SELECT DISTINCT r.id, r.author_id FROM report_media m"
        " JOIN activity_reports r ON r.id = m.report_id WHERE m.file_unique_id = ?"
        " AND r.state <> 'deleted' ORDER BY r.id",
        (file_unique_id,),
    )
    return [(row["id"], row["author_id"]) for row in rows]
