"""What a candidate or a pacesetter hands in, version by version: stage 3's final items and
stage 4's deliverables keep the same columns, each in its own table. The current version of an
item is the one not replaced; the ones it replaced are kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage import media
from storage.db import Executor, Transaction, from_db_time

TABLES = frozenset({"final_items", "deliverables"})  # our names: the only ones put in SQL


@dataclass(frozen=True)
class Content:
    """What an item holds: typed text (or a link), or a file Telegram keeps (its ids and
    name)."""

    kind: str  # text, document, photo; a deliverable: text, document, video, link
    text: str | None = None  # the typed text, or the link's URL
    file_id: str | None = None
    file_unique_id: str | None = None
    file_name: str | None = None
    size: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class Version:
    id: int
    project_id: int
    item: str
    content: Content
    submitted_by: int
    submitted_at: datetime
    replaced_at: datetime | None = None


def _version(row) -> Version:
    content = Content(
        row["kind"],
        row["text"],
        row["file_id"],
        row["file_unique_id"],
        row["file_name"],
        row["size"],
        row["mime_type"],
    )
    return Version(
        row["id"],
        row["project_id"],
        row["item"],
        content,
        row["submitted_by"],
        from_db_time(row["submitted_at"]),
        from_db_time(row["replaced_at"]),
    )


def _table(name: str) -> str:
    if name not in TABLES:
        raise ValueError(f"not a table of handed-in items: {name!r}")
    return name


async def current(
    db: Executor, table: str, project_ids: Iterable[int]
) -> dict[int, dict[str, Version]]:
    """Each project's current items, by item key (a project with none is absent)."""
    ids = sorted(set(project_ids))
    if not ids:
        return {}
    rows = await db.fetch_all(
        f"SELECT * FROM {_table(table)} WHERE replaced_at IS NULL AND project_id IN"
        f" ({','.join('?' * len(ids))}) ORDER BY project_id, item",
        ids,
    )
    found: dict[int, dict[str, Version]] = {}
    for row in rows:
        found.setdefault(row["project_id"], {})[row["item"]] = _version(row)
    return found


async def history(db: Executor, table: str, project_id: int, item: str) -> list[Version]:
    """Every version of an item, the first first."""
    rows = await db.fetch_all(
        f"SELECT * FROM {_table(table)} WHERE project_id = ? AND item = ? ORDER BY id",
        (project_id, item),
    )
    return [_version(row) for row in rows]


async def submit(
    tx: Transaction, table: str, project_id: int, item: str, content: Content, *, by: int
) -> Version | None:
    """The item's new current version; the one it replaces is kept, marked replaced. None if
    the current version is this very one already (a second tap, a redelivery). Its file is
    copied to the media folder, as a saved report's files are."""
    table, now = _table(table), tx.stamp
    old = await tx.fetch_one(
        f"SELECT * FROM {table} WHERE project_id = ? AND item = ? AND replaced_at IS NULL",
        (project_id, item),
    )
    if old is not None and _version(old).content == content:
        return None
    await tx.execute(
        f"UPDATE {table} SET replaced_at = ? WHERE project_id = ? AND item = ?"
        " AND replaced_at IS NULL",
        (now, project_id, item),
    )
    row = await tx.fetch_one(
        f"INSERT INTO {table} (project_id, item, kind, text, file_id, file_unique_id,"
        " file_name, size, mime_type, submitted_by, submitted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (
            project_id,
            item,
            content.kind,
            content.text,
            content.file_id,
            content.file_unique_id,
            content.file_name,
            content.size,
            content.mime_type,
            by,
            now,
        ),
    )
    await media.hold_item(tx, table, row["id"])
    return _version(row)
