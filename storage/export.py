"""The reads behind the Excel export (bot/export.py), on a synchronous read-only sqlite3
connection of its own: the workbook is written in a worker thread, and the bot's aiosqlite
connections belong to their own threads. Each sheet is one set-based query (the deliverables'
three: who, what they handed in, their booklet chapters); the reports are read in chunks
(`fetchmany`), so 100,000 of them never sit in memory at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from storage.db import from_db_time
from storage.deliverables import APPROVED, DRAFT

CHUNK = 2_000  # rows fetched at a time: small enough to stay flat, large enough to be quick


@dataclass(frozen=True)
class Scope:
    """Which rows the export takes: the units by code (empty: all) and the reports' days
    (either end open)."""

    units: tuple[str, ...] = ()
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    projects: int
    nominated: int  # applications the unit nominated (whatever the organiser decided)
    accepted: int


@dataclass(frozen=True)
class ApplicationRow:
    unit_code: str
    unit: str
    code: str
    project: str
    status: str
    submitted_at: datetime | None
    decided_at: datetime | None


@dataclass(frozen=True)
class ReportRow:
    unit: str
    code: str
    project: str
    activity: str | None
    day: date | None
    criterion: str | None
    description: str
    photos: int
    author: str
    saved_at: datetime | None


@dataclass(frozen=True)
class HighlightRow:
    unit: str
    code: str
    project: str
    activity: str | None
    day: date | None
    description: str
    marked_at: datetime


@dataclass(frozen=True)
class ScoreRow:
    reviewer_id: int
    reviewer: str
    code: str
    project: str
    unit: str
    criterion: str
    score: int
    submitted_at: datetime | None


def connect(path: Path) -> sqlite3.Connection:
    """Read-only by its URI: the export can't write, whatever a query does."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _units(scope: Scope, column: str = "u.code") -> tuple[str, list[str]]:
    if not scope.units:
        return "1", []
    return f"{column} IN ({', '.join('?' * len(scope.units))})", list(scope.units)


def _days(scope: Scope, column: str = "r.held_on") -> tuple[str, list[str]]:
    clauses, params = ["1"], []
    if scope.first is not None:
        clauses.append(f"{column} >= ?")
        params.append(scope.first.isoformat())
    if scope.last is not None:
        clauses.append(f"{column} <= ?")
        params.append(scope.last.isoformat())
    return " AND ".join(clauses), params


def _name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part)


def units(conn: sqlite3.Connection, scope: Scope) -> list[UnitRow]:
    where, params = _units(scope)
    rows = conn.execute(
        "SELECT u.code, u.name, COUNT(p.id) AS projects,"
        " COUNT(a.id) FILTER (WHERE a.status IN ('nominated', 'accepted', 'declined'))"
        "  AS nominated,"
        " COUNT(a.id) FILTER (WHERE a.status = 'accepted') AS accepted"
        " FROM units u LEFT JOIN projects p ON p.unit_id = u.id"
        " LEFT JOIN applications a ON a.project_id = p.id"
        f" WHERE {where} GROUP BY u.id ORDER BY u.code",
        params,
    ).fetchall()
    return [
        UnitRow(r["code"], r["name"], r["projects"], r["nominated"], r["accepted"]) for r in rows
    ]


def applications(conn: sqlite3.Connection, scope: Scope) -> list[ApplicationRow]:
    where, params = _units(scope)
    rows = conn.execute(
        "SELECT u.code AS unit_code, u.name AS unit, p.code, p.name AS project, a.status,"
        " a.submitted_at, a.decided_at"
        " FROM applications a JOIN projects p ON p.id = a.project_id"
        " JOIN units u ON u.id = p.unit_id"
        f" WHERE {where} ORDER BY u.code, p.code",
        params,
    ).fetchall()
    return [
        ApplicationRow(
            r["unit_code"],
            r["unit"],
            r["code"],
            r["project"],
            r["status"],
            from_db_time(r["submitted_at"]),
            from_db_time(r["decided_at"]),
        )
        for r in rows
    ]


def reports(conn: sqlite3.Connection, scope: Scope, chunk: int = CHUNK) -> Iterator[ReportRow]:
    """Saved reports by unit, project and day, streamed."""
    in_units, unit_params = _units(scope)
    in_days, day_params = _days(scope)
    cursor = conn.execute(
        "SELECT u.name AS unit, p.code, p.name AS project, r.activity, r.held_on,"
        " r.criterion, r.description, r.saved_at, pe.first_name, pe.last_name,"
        " (SELECT COUNT(*) FROM report_media m WHERE m.report_id = r.id AND m.kind = 'photo')"
        "  AS photos"
        " FROM activity_reports r JOIN projects p ON p.id = r.project_id"
        " JOIN units u ON u.id = p.unit_id JOIN people pe ON pe.user_id = r.author_id"
        f" WHERE r.state = 'saved' AND {in_units} AND {in_days}"
        " ORDER BY u.code, p.code, r.held_on, r.id",
        [*unit_params, *day_params],
    )
    try:
        while batch := cursor.fetchmany(chunk):
            for r in batch:
                yield ReportRow(
                    r["unit"],
                    r["code"],
                    r["project"],
                    r["activity"],
                    date.fromisoformat(r["held_on"]) if r["held_on"] else None,
                    r["criterion"],
                    r["description"],
                    r["photos"],
                    _name(r["first_name"], r["last_name"]),
                    from_db_time(r["saved_at"]),
                )
    finally:
        cursor.close()


def highlights(conn: sqlite3.Connection, scope: Scope) -> list[HighlightRow]:
    """The standing highlights of saved reports, in the same scope as the reports."""
    in_units, unit_params = _units(scope)
    in_days, day_params = _days(scope)
    rows = conn.execute(
        "SELECT u.name AS unit, p.code, p.name AS project, r.activity, r.held_on,"
        " r.description, h.marked_at"
        " FROM highlights h JOIN activity_reports r ON r.id = h.report_id"
        " JOIN projects p ON p.id = r.project_id JOIN units u ON u.id = p.unit_id"
        f" WHERE h.unmarked_at IS NULL AND r.state = 'saved' AND {in_units} AND {in_days}"
        " ORDER BY u.code, p.code, r.held_on, r.id",
        [*unit_params, *day_params],
    ).fetchall()
    return [
        HighlightRow(
            r["unit"],
            r["code"],
            r["project"],
            r["activity"],
            date.fromisoformat(r["held_on"]) if r["held_on"] else None,
            r["description"],
            from_db_time(r["marked_at"]),
        )
        for r in rows
    ]


def scores(conn: sqlite3.Connection, scope: Scope) -> list[ScoreRow]:
    """Each submitted review's score on each criterion (recusals and drafts don't count)."""
    where, params = _units(scope)
    rows = conn.execute(
        "SELECT v.reviewer_id, pe.first_name, pe.last_name, p.code, p.name AS project,"
        " u.name AS unit, s.criterion, s.submitted, v.submitted_at"
        " FROM reviews v JOIN review_scores s ON s.review_id = v.id"
        " JOIN projects p ON p.id = v.project_id JOIN units u ON u.id = p.unit_id"
        " JOIN people pe ON pe.user_id = v.reviewer_id"
        f" WHERE v.state = 'submitted' AND s.submitted IS NOT NULL AND {where}"
        " ORDER BY u.code, p.code, v.reviewer_id, s.criterion",
        params,
    ).fetchall()
    return [
        ScoreRow(
            r["reviewer_id"],
            _name(r["first_name"], r["last_name"]),
            r["code"],
            r["project"],
            r["unit"],
            r["criterion"],
            r["submitted"],
            from_db_time(r["submitted_at"]),
        )
        for r in rows
    ]


def reviewer_ids(conn: sqlite3.Connection) -> list[int]:
    """Every reviewer with a submitted review, in id order: "Reviewer n" is the n-th, the same
    number whichever units the export takes."""
    rows = conn.execute(
        "SELECT DISTINCT reviewer_id FROM reviews WHERE state = 'submitted' ORDER BY reviewer_id"
    ).fetchall()
    return [r[0] for r in rows]


# --- stage 4: each pacesetter's deliverables, as /deliverables keeps them --------------------

PREVIEW = 100  # characters of typed text read for its cell; its length is read whole


@dataclass(frozen=True)
class PacesetterRow:
    project_id: int
    unit: str
    code: str
    project: str


@dataclass(frozen=True)
class DeliverableRow:
    """An item's current version: the start of typed text (and its whole length), a link, or
    a file's name and size."""

    kind: str  # text, document, video, link
    text: str | None
    chars: int | None
    file_name: str | None
    size: int | None
    submitted_at: datetime


@dataclass(frozen=True)
class BookletRow:
    """A chapter's latest draft: its state as storage/deliverables.py names them, when the lead
    approved it, and their latest corrections to it."""

    state: str
    approved_at: datetime | None = None
    comment: str | None = None


def pacesetters(conn: sqlite3.Connection, scope: Scope) -> list[PacesetterRow]:
    """The pacesetters of the scope's units, by unit and project."""
    where, params = _units(scope)
    rows = conn.execute(
        "SELECT p.id, u.name AS unit, p.code, p.name AS project FROM pacesetters s"
        " JOIN projects p ON p.id = s.project_id JOIN units u ON u.id = p.unit_id"
        f" WHERE {where} ORDER BY u.code, p.code",
        params,
    ).fetchall()
    return [PacesetterRow(r["id"], r["unit"], r["code"], r["project"]) for r in rows]


def deliverables(conn: sqlite3.Connection, scope: Scope) -> dict[int, dict[str, DeliverableRow]]:
    """The current deliverables of the scope's pacesetters, by project and item key."""
    where, params = _units(scope)
    rows = conn.execute(
        "SELECT d.project_id, d.item, d.kind,"
        " CASE d.kind WHEN 'text' THEN substr(d.text, 1, ?) ELSE d.text END AS text,"
        " length(d.text) AS chars, d.file_name, d.size, d.submitted_at"
        " FROM deliverables d JOIN pacesetters s ON s.project_id = d.project_id"
        " JOIN projects p ON p.id = d.project_id JOIN units u ON u.id = p.unit_id"
        f" WHERE d.replaced_at IS NULL AND {where}",
        [PREVIEW, *params],
    ).fetchall()
    found: dict[int, dict[str, DeliverableRow]] = {}
    for r in rows:
        found.setdefault(r["project_id"], {})[r["item"]] = DeliverableRow(
            r["kind"],
            r["text"],
            r["chars"],
            r["file_name"],
            r["size"],
            from_db_time(r["submitted_at"]),
        )
    return found


def booklets(conn: sqlite3.Connection, scope: Scope) -> dict[int, BookletRow]:
    """The latest chapter draft of each of the scope's pacesetters that has one."""
    where, params = _units(scope)
    rows = conn.execute(
        "SELECT d.project_id,"
        " (SELECT min(v.made_at) FROM booklet_verdicts v WHERE v.draft_id = d.id"
        "  AND v.verdict = 'approved') AS approved_at,"
        " (SELECT v.comment FROM booklet_verdicts v WHERE v.draft_id = d.id"
        "  AND v.verdict = 'corrections' ORDER BY v.id DESC LIMIT 1) AS comment"
        " FROM booklet_drafts d JOIN pacesetters s ON s.project_id = d.project_id"
        " JOIN projects p ON p.id = d.project_id JOIN units u ON u.id = p.unit_id"
        " WHERE d.id IN (SELECT max(id) FROM booklet_drafts GROUP BY project_id)"
        f" AND {where}",
        params,
    ).fetchall()
    return {
        r["project_id"]: BookletRow(
            APPROVED if r["approved_at"] else DRAFT,
            from_db_time(r["approved_at"]),
            r["comment"],
        )
        for r in rows
    }
