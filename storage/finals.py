"""Stage 3's final items: what each candidate handed in (a document, a photo or typed text),
the current version of each and the ones it replaced."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage import versions
from storage.db import Executor, Transaction

Content = versions.Content
Final = versions.Version  # a final item, as handed in
TABLE = "final_items"


async def current(db: Executor, project_ids: Iterable[int]) -> dict[int, dict[str, Final]]:
    """Each project's current items, by item key (a project with none is absent)."""
    return await versions.current(db, TABLE, project_ids)


async def history(db: Executor, project_id: int, item: str) -> list[Final]:
    """Every version of an item, the first first."""
    return await versions.history(db, TABLE, project_id, item)


async def submit(
    tx: Transaction, project_id: int, item: str, content: Content, *, by: int
) -> Final | None:
    """The item's new current version (None: it is that already); its file copied."""
    return await versions.submit(tx, TABLE, project_id, item, content, by=by)


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
