"""Stage 4's deliverables: each pacesetter's experience write-up and micro-video (typed text, a
document, a video or a link, the current version of each and the ones it replaced), the results
booklet's chapter drafts with the leads' approval or corrections, and who was told a checklist
is complete."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage import versions
from storage.db import Executor, Transaction, from_db_time

Content = versions.Content
Delivered = versions.Version  # a deliverable, as handed in
TABLE = "deliverables"


def _marks(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


async def current(db: Executor, project_ids: Iterable[int]) -> dict[int, dict[str, Delivered]]:
    """Each project's current deliverables, by item key (a project with none is absent)."""
    return await versions.current(db, TABLE, project_ids)


async def history(db: Executor, project_id: int, item: str) -> list[Delivered]:
    """Every version of a deliverable, the first first."""
    return await versions.history(db, TABLE, project_id, item)


async def submit(
    tx: Transaction, project_id: int, item: str, content: Content, *, by: int
) -> Delivered | None:
    """The item's new current version (None: it is that already); its file copied, for the
    results booklet."""
    return await versions.submit(tx, TABLE, project_id, item, content, by=by)


# --- the booklet: a chapter's drafts and the lead's word on the latest ----------------------

NOT_BUILT, DRAFT, APPROVED = "none", "draft", "approved"


@dataclass(frozen=True)
class Booklet:
    project_id: int
    state: str  # NOT_BUILT, DRAFT (waiting for the lead's word, or corrected), APPROVED
    draft_id: int | None = None
    path: str | None = None
    built_at: datetime | None = None
    corrections: int = 0  # comments sent on this draft
    fingerprint: str | None = None  # what the draft's chapter says, digested (handlers/booklet.py)


async def add_draft(
    tx: Transaction, project_id: int, path: str, *, fingerprint: str | None = None
) -> int:
    """A new chapter draft (the booklet's builder writes it); it waits for the lead's word."""
    return await tx.fetch_value(
        "INSERT INTO booklet_drafts (project_id, path, built_at, fingerprint) VALUES (?, ?, ?, ?)"
        " RETURNING id",
        (project_id, path, tx.stamp, fingerprint),
    )


async def booklets(db: Executor, project_ids: Iterable[int]) -> dict[int, Booklet]:
    """Each project's booklet chapter as it stands: one query, however many."""
    ids = sorted(set(project_ids))
    if not ids:
        return {}
    rows = await db.fetch_all(
        "SELECT d.project_id, d.id, d.path, d.built_at, d.fingerprint,"
        " EXISTS (SELECT 1 FROM booklet_verdicts v WHERE v.draft_id = d.id"
        "  AND v.verdict = 'approved') AS approved,"
        " (SELECT count(*) FROM booklet_verdicts v WHERE v.draft_id = d.id"
        "  AND v.verdict = 'corrections') AS corrections"
        " FROM booklet_drafts d WHERE d.id IN (SELECT max(id) FROM booklet_drafts"
        f" WHERE project_id IN ({_marks(ids)}) GROUP BY project_id)",
        ids,
    )
    found = {project_id: Booklet(project_id, NOT_BUILT) for project_id in ids}
    for r in rows:
        state = APPROVED if r["approved"] else DRAFT
        found[r["project_id"]] = Booklet(
            r["project_id"],
            state,
            r["id"],
            r["path"],
            from_db_time(r["built_at"]),
            r["corrections"],
            r["fingerprint"],
        )
    return found


async def judge(
    tx: Transaction, draft_id: int, verdict: str, *, by: int, comment: str | None = None
) -> bool:
    """The lead's word on a draft; False (nothing written) if it was approved already."""
    approved = await tx.fetch_value(
        "SELECT count(*) FROM booklet_verdicts WHERE draft_id = ? AND verdict = 'approved'",
        (draft_id,),
    )
    if approved:
        return False
    await tx.execute(
        "INSERT INTO booklet_verdicts (draft_id, verdict, comment, made_by, made_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (draft_id, verdict, comment, by, tx.stamp),
    )
    return True


# --- the pacesetters, with their units, and who was told of a complete checklist -------------


@dataclass(frozen=True)
class Pacesetter:
    project_id: int
    code: str
    name: str
    unit_id: int
    unit_name: str


async def pacesetters(
    db: Executor,
    project_ids: Iterable[int] | None = None,
    *,
    unit_ids: Iterable[int] | None = None,
) -> list[Pacesetter]:
    """The pacesetters (those of `project_ids`, of `unit_ids`: None is no limit, an empty
    collection none), ordered by unit."""
    where: str = ""
    params: list[int] = []
    for column, limit in (("p.id", project_ids), ("p.unit_id", unit_ids)):
        if limit is None:
            continue
        ids = sorted(set(limit))
        if not ids:
            return []
        where += f" AND {column} IN ({_marks(ids)})"
        params += ids
    rows = await db.fetch_all(
        "SELECT p.id, p.code, p.name, u.id AS unit_id, u.name AS unit_name FROM pacesetters s"
        " JOIN projects p ON p.id = s.project_id JOIN units u ON u.id = p.unit_id"
        " WHERE 1 = 1" + where + " ORDER BY u.code, p.code",
        params,
    )
    return [Pacesetter(r["id"], r["code"], r["name"], r["unit_id"], r["unit_name"]) for r in rows]


async def told_complete(db: Executor) -> set[int]:
    rows = await db.fetch_all("SELECT project_id FROM deliverables_complete")
    return {row["project_id"] for row in rows}


async def mark_complete(tx: Transaction, project_id: int) -> bool:
    """Record that the checklist's completion was told; False if it was already."""
    changed = await tx.execute(
        "INSERT INTO deliverables_complete (project_id, told_at) VALUES (?, ?)"
        " ON CONFLICT (project_id) DO NOTHING",
        (project_id, tx.stamp),
    )
    return bool(changed)


async def secretaries(db: Executor, unit_id: int) -> set[int]:
    rows = await db.fetch_all(
        "SELECT DISTINCT user_id FROM roles WHERE role = 'secretary' AND unit_id = ?", (unit_id,)
    )
    return {row["user_id"] for row in rows}


async def pacesetter_leads(db: Executor) -> dict[int, set[int]]:
    """Each pacesetter's leads, by project."""
    rows = await db.fetch_all(
        "SELECT DISTINCT r.project_id, r.user_id FROM roles r"
        " JOIN pacesetters s ON s.project_id = r.project_id WHERE r.role = 'lead'"
    )
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(row["project_id"], set()).add(row["user_id"])
    return found


async def pacesetter_chats(db: Executor) -> list[tuple[int, int, int]]:
    """The bound chats (chat, topic, project) the bot is in, of a pacesetter project."""
    rows = await db.fetch_all(
        "SELECT b.chat_id, b.thread_id, b.project_id FROM chat_bindings b"
        " JOIN chats c ON c.chat_id = b.chat_id AND c.bot_status IN ('member', 'administrator')"
        " JOIN pacesetters s ON s.project_id = b.project_id ORDER BY b.chat_id, b.thread_id"
    )
    return [(r["chat_id"], r["thread_id"], r["project_id"]) for r in rows]
