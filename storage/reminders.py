"""Reminder waves already written (or skipped), and who owes what in the application stage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.db import Executor, Transaction, to_db_time


async def written(db: Executor, waves: Iterable[str]) -> set[str]:
    keys = list(waves)
    if not keys:
        return set()
    rows = await db.fetch_all(
        f"SELECT wave FROM reminder_waves WHERE wave IN ({','.join('?' * len(keys))})", keys
    )
    return {row["wave"] for row in rows}


async def record(
    tx: Transaction,
    wave: str,
    stage: str,
    moment: str,
    deadline: datetime,
    due: datetime,
    *,
    outcome: str,
    messages: int = 0,
) -> None:
    await tx.execute(
        "INSERT OR IGNORE INTO reminder_waves"
        " (wave, stage, moment, deadline, due, outcome, messages, written_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (wave, stage, moment, to_db_time(deadline), to_db_time(due), outcome, messages, tx.stamp),
    )


@dataclass(frozen=True)
class LeadDebt:
    user_id: int
    project_name: str
    status: str | None  # None: not started
    finished: int  # sections done or skipped


async def leads_owing(db: Executor) -> list[LeadDebt]:
    """Leads whose project has no submitted application yet, with how far it got. One query."""
    rows = await db.fetch_all(
        "SELECT r.user_id, p.name, a.status,"
        " (SELECT COUNT(*) FROM answers s WHERE s.application_id = a.id"
        "  AND s.state IN ('done', 'skipped')) AS finished"
        " FROM roles r JOIN projects p ON p.id = r.project_id"
        " LEFT JOIN applications a ON a.project_id = r.project_id"
        " WHERE r.role = 'lead' AND (a.id IS NULL OR a.status IN ('draft', 'returned'))"
        " ORDER BY r.user_id, p.code"
    )
    return [LeadDebt(r["user_id"], r["name"], r["status"], r["finished"] or 0) for r in rows]


async def secretaries_owing(db: Executor) -> dict[int, list[tuple[str, int]]]:
    """Secretaries with submitted applications waiting for their unit: (unit, how many)."""
    rows = await db.fetch_all(
        "SELECT r.user_id, u.name, COUNT(a.id) AS waiting FROM roles r"
        " JOIN units u ON u.id = r.unit_id JOIN projects p ON p.unit_id = r.unit_id"
        " JOIN applications a ON a.project_id = p.id AND a.status = 'submitted'"
        " WHERE r.role = 'secretary' GROUP BY r.user_id, r.unit_id ORDER BY r.user_id, u.code"
    )
    owing: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        owing.setdefault(row["user_id"], []).append((row["name"], row["waiting"]))
    return owing


async def nominations_waiting(db: Executor) -> int:
    return await db.fetch_value("SELECT COUNT(*) FROM applications WHERE status = 'nominated'")
