"""Stage 2's highlights: saved reports a unit secretary or an admin picked to make
known; a mark taken back is kept, with who took it back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage import audit, reports
from storage.db import Executor, Transaction, from_db_time


@dataclass(frozen=True)
class Highlight:
    id: int
    report_id: int
    marked_by: int
    marked_at: datetime
    unmarked_by: int | None
    unmarked_at: datetime | None


def _highlight(row) -> Highlight:
    return Highlight(
        id=row["id"],
        report_id=row["report_id"],
        marked_by=row["marked_by"],
        marked_at=from_db_time(row["marked_at"]),
        unmarked_by=row["unmarked_by"],
        unmarked_at=from_db_time(row["unmarked_at"]),
    )


async def standing(db: Executor, report_id: int) -> Highlight | None:
    row = await db.fetch_one(
        "SELECT * FROM highlights WHERE report_id = ? AND unmarked_at IS NULL", (report_id,)
    )
    return _highlight(row) if row else None


async def all_of(db: Executor, report_id: int) -> list[Highlight]:
    """Every mark the report has had, the oldest first (at most the last stands)."""
    rows = await db.fetch_all(
        "SELECT * FROM highlights WHERE report_id = ? ORDER BY id", (report_id,)
    )
    return [_highlight(row) for row in rows]


async def marks_of(db: Executor, report_id: int) -> int:
    """How often the report was marked (taken back or standing)."""
    row = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM highlights WHERE report_id = ?", (report_id,)
    )
    return row["n"]


async def standing_of(db: Executor, report_ids: Sequence[int]) -> set[int]:
    """Which of these reports are highlights now."""
    if not report_ids:
        return set()
    rows = await db.fetch_all(
        "SELECT report_id FROM highlights WHERE unmarked_at IS NULL AND report_id IN"
        f" ({','.join('?' * len(report_ids))})",
        list(report_ids),
    )
    return {row["report_id"] for row in rows}


async def mark(tx: Transaction, report_id: int, *, by: int) -> Highlight | None:
    """The report becomes a highlight; None if it is one already (a double tap, or two
    secretaries at once) or is not a saved report."""
    new_id = await tx.insert(
        "INSERT INTO highlights (report_id, marked_by, marked_at)"
        " SELECT id, ?, ? FROM activity_reports WHERE id = ? AND state = 'saved'"
        " ON CONFLICT (report_id) WHERE unmarked_at IS NULL DO NOTHING",
        (by, tx.stamp, report_id),
    )
    if new_id is None:
        return None
    await audit.record(tx, by, "highlight.mark", f"report:{report_id}")
    return await standing(tx, report_id)


async def unmark(tx: Transaction, report_id: int, *, by: int) -> Highlight | None:
    """The report's standing mark is taken back; the mark, now saying who took it back, or
    None if none stood."""
    old = await standing(tx, report_id)
    if old is None:
        return None
    await tx.execute(
        "UPDATE highlights SET unmarked_by = ?, unmarked_at = ? WHERE id = ?",
        (by, tx.stamp, old.id),
    )
    await audit.record(tx, by, "highlight.unmark", f"report:{report_id}", marked_by=old.marked_by)
    row = await tx.fetch_one("SELECT * FROM highlights WHERE id = ?", (old.id,))
    return _highlight(row)


async def listed(
    db: Executor, *, unit_id: int | None = None, criterion: str | None = None
) -> list[reports.Listed]:
    """The saved reports that are highlights now, the newest mark first; of one unit, or
    supporting one criterion."""
    where, params = "", []
    if unit_id is not None:
        where, params = " AND p.unit_id = ?", [unit_id]
    elif criterion is not None:
        where, params = " AND r.criterion = ?", [criterion]
    # CROSS JOIN keeps the highlights outermost here and below: the planner would otherwise
    # walk every saved report to find the few marked ones (bench/progress.py: 280 ms at
    # 100,000 reports).
    rows = await db.fetch_all(
        "SELECT r.*, p.name AS project_name, u.id AS unit_id, u.name AS unit_name"
        " FROM highlights h"
        " CROSS JOIN activity_reports r ON r.id = h.report_id AND r.state = 'saved'"
        " JOIN projects p ON p.id = r.project_id JOIN units u ON u.id = p.unit_id"
        f" WHERE h.unmarked_at IS NULL{where} ORDER BY h.marked_at DESC, h.id DESC",
        params,
    )
    return [reports.listed_of(row) for row in rows]


async def units_with_some(db: Executor) -> list[tuple[int, str]]:
    """(id, name) of the units with a standing highlight, by code: the filter's choices."""
    rows = await db.fetch_all(
        "SELECT DISTINCT u.id, u.name, u.code FROM highlights h"
        " CROSS JOIN activity_reports r ON r.id = h.report_id AND r.state = 'saved'"
        " JOIN projects p ON p.id = r.project_id JOIN units u ON u.id = p.unit_id"
        " WHERE h.unmarked_at IS NULL ORDER BY u.code"
    )
    return [(row["id"], row["name"]) for row in rows]


async def count_by_project(db: Executor, project_ids: Sequence[int]) -> dict[int, int]:
    """How many standing highlights each of these projects has (absent: none)."""
    if not project_ids:
        return {}
    marks = ",".join("?" * len(project_ids))
    rows = await db.fetch_all(
        "SELECT r.project_id, COUNT(*) AS n FROM highlights h"
        " CROSS JOIN activity_reports r ON r.id = h.report_id AND r.state = 'saved'"
        f" WHERE h.unmarked_at IS NULL AND r.project_id IN ({marks}) GROUP BY r.project_id",
        list(project_ids),
    )
    return {row["project_id"]: row["n"] for row in rows}
