"""Stage 3's final items: what each candidate handed in (a document, a photo or typed text),
the current version of each and the ones it replaced."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage import media
from storage.db import Executor, Transaction, from_db_time


@dataclass(frozen=True)
class Content:
    """What a final item or a deliverable holds: typed text (or a link), or a file Telegram
    keeps (its ids and name)."""

    kind: str  # text, document, photo; a deliverable: text, document, video, link
    text: str | None = None  # the typed text, or the link's URL
    file_id: str | None = None
    file_unique_id: str | None = None
    file_name: str | None = None
    size: int | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class Final:
    id: int
    project_id: int
    item: str
    content: Content
    submitted_by: int
    submitted_at: datetime
    replaced_at: datetime | None = None


def content_of(row) -> Content:
    """A row's content (final_items and deliverables share these columns)."""
    return Content(
        row["kind"],
        row["text"],
        row["file_id"],
        row["file_unique_id"],
        row["file_name"],
        row["size"],
        row["mime_type"],
    )


def _final(row) -> Final:
    return Final(
        row["id"],
        row["project_id"],
        row["item"],
        content_of(row),
        row["submitted_by"],
        from_db_time(row["submitted_at"]),
        from_db_time(row["replaced_at"]),
    )


async def current(db: Executor, project_ids: Iterable[int]) -> dict[int, dict[str, Final]]:
    """Each project's current items, by item key (a project with none is absent)."""
    ids = sorted(set(project_ids))
    if not ids:
        return {}
    rows = await db.fetch_all(
        "SELECT * FROM final_items WHERE replaced_at IS NULL AND project_id IN"
        f" ({','.join('?' * len(ids))}) ORDER BY project_id, item",
        ids,
    )
    found: dict[int, dict[str, Final]] = {}
    for row in rows:
        found.setdefault(row["project_id"], {})[row["item"]] = _final(row)
    return found


async def history(db: Executor, project_id: int, item: str) -> list[Final]:
    """Every version of an item, the first first."""
    rows = await db.fetch_all(
        "SELECT * FROM final_items WHERE project_id = ? AND item = ? ORDER BY id",
        (project_id, item),
    )
    return [_final(row) for row in rows]


async def submit(
    tx: Transaction, project_id: int, item: str, content: Content, *, by: int
) -> Final | None:
    """The item's new current version; the one it replaces is kept, marked replaced. None if
    the current version is this very one already (a second tap, a redelivery)."""
    now = tx.stamp
    old = await tx.fetch_one(
        "SELECT * FROM final_items WHERE project_id = ? AND item = ? AND replaced_at IS NULL",
        (project_id, item),
    )
    if old is not None and _final(old).content == content:
        return None
    await tx.execute(
        "UPDATE final_items SET replaced_at = ? WHERE project_id = ? AND item = ?"
        " AND replaced_at IS NULL",
        (now, project_id, item),
    )
    row = await tx.fetch_one(
        "INSERT INTO final_items (project_id, item, kind, text, file_id, file_unique_id,"
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
    await media.hold_final(tx, row["id"])  # a local copy, as a saved report's files get
    return _final(row)


# --- the candidates (their application accepted), for /final and the reminders -------------

_CANDIDATE = (
    " JOIN applications a ON a.project_id = p.id AND a.status = 'accepted'"
    " JOIN units u ON u.id = p.unit_id"
)


@dataclass(frozen=True)
class Candidate:
    project_id: int
    code: str
    name: str
    unit_name: str
    handed_in: frozenset[str]  # the item keys it has a current version of


async def candidates(db: Executor, project_ids: Iterable[int] | None = None) -> list[Candidate]:
    """Every candidate (or those of `project_ids` that are candidates) with the items it
    handed in: one query."""
    where, params = "", []
    if project_ids is not None:
        ids = sorted(set(project_ids))
        if not ids:
            return []
        where, params = f" WHERE p.id IN ({','.join('?' * len(ids))})", ids
    rows = await db.fetch_all(
        "SELECT p.id, p.code, p.name, u.name AS unit_name,"
        " (SELECT group_concat(f.item, ' ') FROM final_items f"
        "  WHERE f.project_id = p.id AND f.replaced_at IS NULL) AS items"
        " FROM projects p" + _CANDIDATE + where + " ORDER BY u.code, p.code",
        params,
    )
    return [
        Candidate(
            r["id"], r["code"], r["name"], r["unit_name"], frozenset((r["items"] or "").split())
        )
        for r in rows
    ]


async def candidate_leads(db: Executor) -> dict[int, set[int]]:
    """Each candidate's leads, by project."""
    rows = await db.fetch_all(
        "SELECT DISTINCT r.project_id, r.user_id FROM roles r JOIN projects p"
        " ON p.id = r.project_id" + _CANDIDATE + " WHERE r.role = 'lead'"
    )
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(row["project_id"], set()).add(row["user_id"])
    return found


async def candidate_chats(db: Executor) -> list[tuple[int, int, int]]:
    """The bound chats (chat, topic, project) the bot is in, of a candidate project."""
    rows = await db.fetch_all(
        "SELECT b.chat_id, b.thread_id, b.project_id FROM chat_bindings b"
        " JOIN chats c ON c.chat_id = b.chat_id AND c.bot_status IN ('member', 'administrator')"
        " JOIN projects p ON p.id = b.project_id" + _CANDIDATE + " ORDER BY b.chat_id, b.thread_id"
    )
    return [(r["chat_id"], r["thread_id"], r["project_id"]) for r in rows]
