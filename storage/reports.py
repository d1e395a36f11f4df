"""Stage 2's activity reports: drafts as they are written, saved reports, and their media."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from storage import audit, media
from storage.db import Executor, Transaction, from_db_time


@dataclass(frozen=True)
class ActivityReport:
    id: int
    project_id: int | None
    author_id: int
    state: str
    activity: str | None
    held_on: date | None
    participants: int | None
    description: str
    criterion: str | None
    media_done: bool
    saved_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Media:
    kind: str  # photo, video, document
    file_id: str
    file_unique_id: str
    file_name: str | None
    size: int | None
    caption: str
    message_id: int
    id: int = 0  # its row, once stored (a button names it)


@dataclass(frozen=True)
class Candidate:
    """A candidate project (its application accepted) that someone may report for."""

    project_id: int
    project_name: str
    unit_name: str


def _report(row) -> ActivityReport:
    return ActivityReport(
        id=row["id"],
        project_id=row["project_id"],
        author_id=row["author_id"],
        state=row["state"],
        activity=row["activity"],
        held_on=date.fromisoformat(row["held_on"]) if row["held_on"] else None,
        participants=row["participants"],
        description=row["description"],
        criterion=row["criterion"],
        media_done=bool(row["media_done"]),
        saved_at=from_db_time(row["saved_at"]) if row["saved_at"] else None,
        updated_at=from_db_time(row["updated_at"]),
    )


def _media(row) -> Media:
    return Media(
        kind=row["kind"],
        file_id=row["file_id"],
        file_unique_id=row["file_unique_id"],
        file_name=row["file_name"],
        size=row["size"],
        caption=row["caption"],
        message_id=row["message_id"],
        id=row["id"],
    )


async def candidates_of(db: Executor, user_id: int) -> list[Candidate]:
    """The candidate projects this person leads or is a member of, by unit and name."""
    rows = await db.fetch_all(
        "SELECT DISTINCT p.id, p.name, u.name AS unit_name FROM roles r"
        " JOIN projects p ON p.id = r.project_id JOIN units u ON u.id = p.unit_id"
        " JOIN applications a ON a.project_id = p.id AND a.status = 'accepted'"
        " WHERE r.user_id = ? AND r.role IN ('lead', 'member') ORDER BY u.code, p.code",
        (user_id,),
    )
    return [Candidate(row["id"], row["name"], row["unit_name"]) for row in rows]


async def get(db: Executor, report_id: int) -> ActivityReport | None:
    row = await db.fetch_one("SELECT * FROM activity_reports WHERE id = ?", (report_id,))
    return _report(row) if row else None


async def draft_of(db: Executor, author_id: int) -> ActivityReport | None:
    row = await db.fetch_one(
        "SELECT * FROM activity_reports WHERE author_id = ? AND state = 'draft'", (author_id,)
    )
    return _report(row) if row else None


async def start_draft(
    tx: Transaction, author_id: int, project_id: int | None, *, media_done: bool
) -> ActivityReport:
    """The author's draft: the one already open, or a new one."""
    await tx.execute(
        "INSERT INTO activity_reports (project_id, author_id, media_done, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (author_id) WHERE state = 'draft' DO NOTHING",
        (project_id, author_id, int(media_done), tx.stamp, tx.stamp),
    )
    return await draft_of(tx, author_id)


_FIELDS = {"project_id", "activity", "held_on", "participants", "description", "criterion"}


async def update(tx: Transaction, report_id: int, **fields: Any) -> None:
    """Set a report's answers (project_id, activity, held_on, participants, description,
    criterion, media_done): a draft's, or a saved one's its author is changing."""
    unknown = set(fields) - _FIELDS - {"media_done"}
    if unknown:
        raise ValueError(f"not a report field: {sorted(unknown)}")
    values = {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in fields.items()
    }
    assignments = ", ".join(f"{key} = ?" for key in values)
    await tx.execute(
        f"UPDATE activity_reports SET {assignments}, updated_at = ? WHERE id = ?"
        " AND state <> 'deleted'",
        (*values.values(), tx.stamp, report_id),
    )


async def add_to_description(tx: Transaction, report_id: int, text: str) -> None:
    """A further message of the description, after a blank line."""
    await tx.execute(
        "UPDATE activity_reports SET description = CASE WHEN description = '' THEN ?"
        " ELSE description || char(10) || char(10) || ? END, updated_at = ?"
        " WHERE id = ? AND state <> 'deleted'",
        (text, text, tx.stamp, report_id),
    )


async def add_media(tx: Transaction, report_id: int, items: Sequence[Media]) -> None:
    """Files for a report; one it has already (by unique id) is kept once. A saved report's
    files are queued for their local copies; a draft's wait for it to be saved."""
    await tx.execute_many(
        "INSERT OR IGNORE INTO report_media (report_id, kind, file_id, file_unique_id, file_name,"
        " size, caption, message_id, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                report_id,
                m.kind,
                m.file_id,
                m.file_unique_id,
                m.file_name,
                m.size,
                m.caption,
                m.message_id,
                tx.stamp,
            )
            for m in items
        ],
    )
    await media.hold(tx, report_id)


async def remove_media(tx: Transaction, report_id: int, file_unique_id: str, *, by: int) -> bool:
    """A file taken out of a report (its copy goes unless another saved report holds it);
    False if it was not in it."""
    changed = await tx.execute(
        "DELETE FROM report_media WHERE report_id = ? AND file_unique_id = ?",
        (report_id, file_unique_id),
    )
    if changed:
        await tx.execute(
            "UPDATE activity_reports SET updated_at = ? WHERE id = ?", (tx.stamp, report_id)
        )
        await audit.record(tx, by, "report.remove_file", f"report:{report_id}", file=file_unique_id)
        await media.release(tx, [file_unique_id])
    return bool(changed)


async def media_of(db: Executor, report_id: int) -> list[Media]:
    rows = await db.fetch_all(
        "SELECT * FROM report_media WHERE report_id = ? ORDER BY id", (report_id,)
    )
    return [_media(row) for row in rows]


async def photo_counts(db: Executor, report_ids: Sequence[int]) -> dict[int, int]:
    """How many photos each of these reports has (absent: none)."""
    if not report_ids:
        return {}
    rows = await db.fetch_all(
        "SELECT report_id, COUNT(*) AS n FROM report_media WHERE kind = 'photo' AND report_id"
        f" IN ({','.join('?' * len(report_ids))}) GROUP BY report_id",
        list(report_ids),
    )
    return {row["report_id"]: row["n"] for row in rows}


async def discard_draft(tx: Transaction, report_id: int) -> None:
    await tx.execute(
        "DELETE FROM report_media WHERE report_id IN"
        " (SELECT id FROM activity_reports WHERE id = ? AND state = 'draft')",
        (report_id,),
    )
    await tx.execute("DELETE FROM activity_reports WHERE id = ? AND state = 'draft'", (report_id,))


async def save(tx: Transaction, report_id: int, *, by: int) -> bool:
    """The draft becomes a saved report; False if it was saved already (a double tap)."""
    changed = await tx.execute(
        "UPDATE activity_reports SET state = 'saved', saved_at = ?, updated_at = ?"
        " WHERE id = ? AND state = 'draft'",
        (tx.stamp, tx.stamp, report_id),
    )
    if changed:
        await audit.record(tx, by, "report.save", f"report:{report_id}")
        await media.hold(tx, report_id)  # its files are copied from now on
    return bool(changed)


async def delete(tx: Transaction, report_id: int, *, by: int) -> bool:
    """A saved report is deleted (kept, marked, for the record); False if it was already."""
    changed = await tx.execute(
        "UPDATE activity_reports SET state = 'deleted', deleted_at = ?, deleted_by = ?,"
        " updated_at = ? WHERE id = ? AND state = 'saved'",
        (tx.stamp, by, tx.stamp, report_id),
    )
    if changed:
        await audit.record(tx, by, "report.delete", f"report:{report_id}")
        held = await media_of(tx, report_id)  # their copies go, unless another report holds them
        await media.release(tx, [m.file_unique_id for m in held])
    return bool(changed)


@dataclass(frozen=True)
class Progress:
    """Where a candidate stands in cultivation: facts, never a score."""

    project_id: int
    project_name: str
    unit_id: int
    unit_name: str
    by_month: dict[str, int]  # YYYY-MM -> saved reports about that month
    criteria: frozenset[str]  # criterion keys some saved report supports
    last_day: date | None  # the latest day a saved report is about


async def candidates(
    db: Executor, *, unit_ids: Sequence[int] | None = None, project_ids: Sequence[int] | None = None
) -> list[tuple[int, str, int, str]]:
    """(project id, name, unit id, unit name) of the candidate projects, all or of these units
    or projects, by unit and project code."""
    where, params = "", []
    for column, values in (("p.unit_id", unit_ids), ("p.id", project_ids)):
        if values is not None:
            where += f" AND {column} IN ({','.join('?' * len(values))})"
            params += list(values)
    rows = await db.fetch_all(
        "SELECT p.id, p.name, u.id AS unit_id, u.name AS unit_name FROM applications a"
        " JOIN projects p ON p.id = a.project_id JOIN units u ON u.id = p.unit_id"
        f" WHERE a.status = 'accepted'{where} ORDER BY u.code, p.code",
        params,
    )
    return [(r["id"], r["name"], r["unit_id"], r["unit_name"]) for r in rows]


async def progress(db: Executor, projects: Sequence[tuple[int, str, int, str]]) -> list[Progress]:
    """The facts of each candidate, in two set-based queries however many there are: the
    tallies the triggers keep (migration 0014), and one index seek per candidate for its
    last day."""
    if not projects:
        return []
    ids = [p[0] for p in projects]
    marks = ",".join("?" * len(ids))
    months: dict[int, dict[str, int]] = {i: {} for i in ids}
    criteria: dict[int, set[str]] = {i: set() for i in ids}
    for row in await db.fetch_all(
        "SELECT project_id, month, criterion, n FROM report_tallies"
        f" WHERE project_id IN ({marks}) ORDER BY 1, 2",
        ids,
    ):
        by_month = months[row["project_id"]]
        by_month[row["month"]] = by_month.get(row["month"], 0) + row["n"]
        if row["criterion"]:
            criteria[row["project_id"]].add(row["criterion"])
    last = {
        row["id"]: date.fromisoformat(row["day"])
        for row in await db.fetch_all(
            "SELECT p.id, (SELECT MAX(r.held_on) FROM activity_reports r WHERE r.project_id = p.id"
            f" AND r.state = 'saved') AS day FROM projects p WHERE p.id IN ({marks})",
            ids,
        )
        if row["day"]
    }
    return [
        Progress(
            pid, name, unit_id, unit_name, months[pid], frozenset(criteria[pid]), last.get(pid)
        )
        for pid, name, unit_id, unit_name in projects
    ]


@dataclass(frozen=True)
class Listed:
    """A saved report as a list shows it."""

    report: ActivityReport
    project_name: str
    unit_id: int
    unit_name: str


def listed_of(row) -> Listed:
    """A report row with its project's name and its unit (unit_id, unit_name) as a list
    shows it."""
    return Listed(_report(row), row["project_name"], row["unit_id"], row["unit_name"])


async def newest(
    db: Executor,
    *,
    unit_ids: Sequence[int] | None = None,
    project_ids: Sequence[int] | None = None,
    page: int = 0,
    page_size: int = 8,
) -> tuple[list[Listed], int, int]:
    """Saved reports, the newest saved first (of these units or projects only, if given): one
    page of them (0-based, kept in range), how many there are in all, and the page shown."""
    where, params = "", []
    for column, values in (("p.unit_id", unit_ids), ("p.id", project_ids)):
        if values is not None:
            where += f" AND {column} IN ({','.join('?' * len(values))})"
            params += list(values)
    source = (
        " FROM activity_reports r JOIN projects p ON p.id = r.project_id"
        f" JOIN units u ON u.id = p.unit_id WHERE r.state = 'saved'{where}"
    )
    # Counted from the tallies (migration 0014), not by walking every saved report.
    total = await db.fetch_value(
        "SELECT IFNULL(SUM(t.n), 0) FROM report_tallies t JOIN projects p ON p.id = t.project_id"
        f" WHERE 1{where}",
        params,
    )
    page = min(max(page, 0), max(0, (total - 1) // page_size))
    rows = await db.fetch_all(
        f"SELECT r.*, p.name AS project_name, u.id AS unit_id, u.name AS unit_name{source}"
        " ORDER BY r.saved_at DESC, r.id DESC LIMIT ? OFFSET ?",
        [*params, page_size, page * page_size],
    )
    return [listed_of(row) for row in rows], total, page
