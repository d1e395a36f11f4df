"""Stage 2's coaching comments: a unit secretary or an admin to a candidate's lead, about one
report or the project as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage import audit
from storage.db import Executor, Transaction, from_db_time


@dataclass(frozen=True)
class Comment:
    id: int
    project_id: int
    report_id: int | None
    author_id: int
    text: str
    created_at: datetime


def _comment(row) -> Comment:
    return Comment(
        id=row["id"],
        project_id=row["project_id"],
        report_id=row["report_id"],
        author_id=row["author_id"],
        text=row["text"],
        created_at=from_db_time(row["created_at"]),
    )


async def add(
    tx: Transaction, project_id: int, report_id: int | None, text: str, *, by: int
) -> Comment:
    new_id = await tx.insert(
        "INSERT INTO coaching_comments (project_id, report_id, author_id, text, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (project_id, report_id, by, text, tx.stamp),
    )
    subject = f"report:{report_id}" if report_id else f"project:{project_id}"
    await audit.record(tx, by, "coaching.comment", subject, comment=new_id)
    row = await tx.fetch_one("SELECT * FROM coaching_comments WHERE id = ?", (new_id,))
    return _comment(row)


async def latest_of(db: Executor, project_ids: Sequence[int]) -> dict[int, Comment]:
    """The newest comment to each of these projects (absent: none yet)."""
    if not project_ids:
        return {}
    marks = ",".join("?" * len(project_ids))
    rows = await db.fetch_all(
        "SELECT c.* FROM coaching_comments c WHERE c.id IN (SELECT MAX(id) FROM"
        f" coaching_comments WHERE project_id IN ({marks}) GROUP BY project_id)",
        list(project_ids),
    )
    return {row["project_id"]: _comment(row) for row in rows}
