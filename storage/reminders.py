"""Reminder waves already written (or skipped), and who owes what in the application stage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.db import Executor, Transaction, from_db_time, to_db_time


async def written(db: Executor, waves: Iterable[str]) -> set[str]:
    keys = list(waves)
    if not keys:
        return set()
    rows = await db.fetch_all(
        f"SELECT wave FROM reminder_waves WHERE wave IN ({','.join('?' * len(keys))})", keys
    )
    return {row["wave"] for row in rows}


BY_HAND = "now"  # the moment of a reminder an admin sent with /remind


async def stages_recorded(db: Executor) -> set[str]:
    """The stages with a scheduled wave written or skipped, for whatever deadline."""
    rows = await db.fetch_all(
        "SELECT DISTINCT stage FROM reminder_waves WHERE moment <> ?", (BY_HAND,)
    )
    return {row["stage"] for row in rows}


async def by_hand(db: Executor) -> dict[str, list[datetime]]:
    """When each stage's reminders sent by hand went (or go) out."""
    rows = await db.fetch_all(
        "SELECT stage, due FROM reminder_waves WHERE moment = ? ORDER BY due", (BY_HAND,)
    )
    found: dict[str, list[datetime]] = {}
    for row in rows:
        found.setdefault(row["stage"], []).append(from_db_time(row["due"]))
    return found


async def last_reminded(db: Executor, stage: str, until: datetime) -> datetime | None:
    """When the stage's latest reminder written (on schedule or by hand; not a closing
    summary) went out, up to `until`."""
    due = await db.fetch_value(
        "SELECT MAX(due) FROM reminder_waves WHERE stage = ? AND outcome = 'written'"
        " AND moment <> 'closed' AND due <= ?",
        (stage, to_db_time(until)),
    )
    return from_db_time(due)


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
    project_id: int = 0


async def leads_owing(db: Executor) -> list[LeadDebt]:
    """Leads whose project has no submitted application yet, with how far it got. One query."""
    rows = await db.fetch_all(
        "SELECT r.user_id, r.project_id, p.name, a.status,"
        " (SELECT COUNT(*) FROM answers s WHERE s.application_id = a.id"
        "  AND s.state IN ('done', 'skipped')) AS finished"
        " FROM roles r JOIN projects p ON p.id = r.project_id"
        " LEFT JOIN applications a ON a.project_id = r.project_id"
        " WHERE r.role = 'lead' AND (a.id IS NULL OR a.status IN ('draft', 'returned'))"
        " ORDER BY r.user_id, p.code"
    )
    return [
        LeadDebt(r["user_id"], r["name"], r["status"], r["finished"] or 0, r["project_id"])
        for r in rows
    ]


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


# Bound chats the bot is in, with where their project or unit stands in the application stage.
_PRESENT = (
    " FROM chat_bindings b JOIN chats c ON c.chat_id = b.chat_id"
    " AND c.bot_status IN ('member', 'administrator')"
)


@dataclass(frozen=True)
class ProjectChat:
    chat_id: int
    thread_id: int
    project_id: int
    project_name: str
    status: str | None  # its application's; None: not started
    finished: int


@dataclass(frozen=True)
class UnitChat:
    chat_id: int
    thread_id: int
    unit_name: str
    projects: int
    not_submitted: int  # no application submitted yet (none, draft, returned)
    waiting: int  # submitted, waiting for the unit's decision
    used: int  # nominated or accepted: places taken


async def project_chats(db: Executor) -> list[ProjectChat]:
    rows = await db.fetch_all(
        "SELECT b.chat_id, b.thread_id, p.id AS project_id, p.name, a.status,"
        " (SELECT COUNT(*) FROM answers s WHERE s.application_id = a.id"
        "  AND s.state IN ('done', 'skipped')) AS finished"
        + _PRESENT
        + " JOIN projects p ON p.id = b.project_id"
        " LEFT JOIN applications a ON a.project_id = p.id ORDER BY b.chat_id, b.thread_id"
    )
    return [
        ProjectChat(
            r["chat_id"], r["thread_id"], r["project_id"], r["name"], r["status"], r["finished"]
        )
        for r in rows
    ]


async def unit_chats(db: Executor) -> list[UnitChat]:
    rows = await db.fetch_all(
        "SELECT b.chat_id, b.thread_id, u.name, COUNT(p.id) AS projects,"
        " SUM(a.id IS NULL OR a.status IN ('draft', 'returned')) AS not_submitted,"
        " SUM(a.status = 'submitted') AS waiting,"
        " SUM(a.status IN ('nominated', 'accepted')) AS used"
        + _PRESENT
        + " JOIN units u ON u.id = b.unit_id LEFT JOIN projects p ON p.unit_id = u.id"
        " LEFT JOIN applications a ON a.project_id = p.id"
        " WHERE b.project_id IS NULL GROUP BY b.chat_id, b.thread_id ORDER BY b.chat_id"
    )
    return [
        UnitChat(
            r["chat_id"],
            r["thread_id"],
            r["name"],
            r["projects"],
            r["not_submitted"] or 0,
            r["waiting"] or 0,
            r["used"] or 0,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class UnitDelivery:
    unit_id: int
    unit_name: str
    projects: int
    missing: tuple[str, ...]  # its projects with no application submitted, by code


async def deliveries(db: Executor) -> list[UnitDelivery]:
    """Every unit with its projects that delivered no application: two queries."""
    units = await db.fetch_all(
        "SELECT u.id, u.name, COUNT(p.id) AS projects FROM units u"
        " LEFT JOIN projects p ON p.unit_id = u.id GROUP BY u.id ORDER BY u.code"
    )
    missing = await db.fetch_all(
        "SELECT p.unit_id, p.name FROM projects p LEFT JOIN applications a"
        " ON a.project_id = p.id WHERE a.id IS NULL OR a.status IN ('draft', 'returned')"
        " ORDER BY p.unit_id, p.code"
    )
    by_unit: dict[int, list[str]] = {}
    for row in missing:
        by_unit.setdefault(row["unit_id"], []).append(row["name"])
    return [
        UnitDelivery(r["id"], r["name"], r["projects"], tuple(by_unit.get(r["id"], ())))
        for r in units
    ]


async def secretaries_by_unit(db: Executor) -> dict[int, set[int]]:
    rows = await db.fetch_all("SELECT user_id, unit_id FROM roles WHERE role = 'secretary'")
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(row["unit_id"], set()).add(row["user_id"])
    return found


# --- cultivation: the candidates (their application accepted) --------------------------------

_CANDIDATE = " JOIN applications a ON a.project_id = p.id AND a.status = 'accepted'"


async def candidate_people(db: Executor) -> dict[int, list[str]]:
    """Each lead and member of a candidate project, with the candidates they report for."""
    rows = await db.fetch_all(
        "SELECT DISTINCT r.user_id, p.name, u.code, p.code FROM roles r"
        " JOIN projects p ON p.id = r.project_id JOIN units u ON u.id = p.unit_id"
        + _CANDIDATE
        + " WHERE r.role IN ('lead', 'member') ORDER BY r.user_id, u.code, p.code"
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row["user_id"], []).append(row["name"])
    return found


@dataclass(frozen=True)
class CandidateChat:
    chat_id: int
    thread_id: int
    projects: tuple[str, ...]  # the candidates it is bound to (a unit's: all of the unit's)


async def candidate_chats(db: Executor) -> list[CandidateChat]:
    """Bound chats the bot is in, of a candidate or of a unit with candidates."""
    rows = await db.fetch_all(
        "SELECT b.chat_id, b.thread_id, p.name"
        + _PRESENT
        + " JOIN projects p ON p.id = b.project_id"
        " OR (b.project_id IS NULL AND p.unit_id = b.unit_id)"
        + _CANDIDATE
        + " ORDER BY b.chat_id, b.thread_id, p.code"
    )
    found: dict[tuple[int, int], list[str]] = {}
    for row in rows:
        found.setdefault((row["chat_id"], row["thread_id"]), []).append(row["name"])
    return [CandidateChat(chat, thread, tuple(names)) for (chat, thread), names in found.items()]


@dataclass(frozen=True)
class CandidateReports:
    project_name: str
    unit_name: str
    reports: int  # saved activity reports


async def candidate_reports(db: Executor) -> list[CandidateReports]:
    """Every candidate with how many activity reports it saved, by unit and project."""
    rows = await db.fetch_all(
        "SELECT p.name, u.name AS unit_name, COUNT(r.id) AS reports FROM projects p"
        " JOIN units u ON u.id = p.unit_id"
        + _CANDIDATE
        + " LEFT JOIN activity_reports r ON r.project_id = p.id AND r.state = 'saved'"
        " GROUP BY p.id ORDER BY u.code, p.code"
    )
    return [CandidateReports(r["name"], r["unit_name"], r["reports"]) for r in rows]


# --- assessment: the reviewers ---------------------------------------------------------------


async def reviewers_owing(db: Executor) -> dict[int, int]:
    """Each reviewer with reviews not yet submitted (recused ones owe nothing): how many.
    Someone no longer a reviewer owes nothing, whatever was left."""
    rows = await db.fetch_all(
        "SELECT reviewer_id, COUNT(*) AS left FROM reviews"
        " WHERE state IN ('assigned', 'draft')"
        " AND reviewer_id IN (SELECT user_id FROM roles WHERE role = 'reviewer')"
        " GROUP BY reviewer_id ORDER BY reviewer_id"
    )
    return {row["reviewer_id"]: row["left"] for row in rows}
