"""What the results booklet reads, for many pacesetters at once: a few set-based
queries, whatever the number of reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from storage.db import Executor


@dataclass(frozen=True)
class Project:
    id: int
    code: str
    name: str
    unit_code: str
    unit_name: str


@dataclass(frozen=True)
class Report:
    id: int
    project_id: int
    activity: str | None
    held_on: date | None
    participants: int | None
    description: str
    criterion: str | None
    highlighted: bool


@dataclass(frozen=True)
class Photo:
    report_id: int
    file_unique_id: str
    file_name: str | None
    caption: str
    path: str | None  # under the media folder; None: no local copy (yet, or ever)


@dataclass(frozen=True)
class Answer:
    project_id: int
    section: str
    text: str  # the text parts, in order
    amount: Decimal | None


def _marks(values: Sequence) -> str:
    return ", ".join("?" * len(values))


async def projects(db: Executor, project_ids: Sequence[int]) -> list[Project]:
    """The projects with their units, by unit code then project code."""
    if not project_ids:
        return []
    rows = await db.fetch_all(
        "SELECT p.id, p.code, p.name, u.code AS unit_code, u.name AS unit_name"
        " FROM projects p JOIN units u ON u.id = p.unit_id"
        f" WHERE p.id IN ({_marks(project_ids)}) ORDER BY u.code, p.code",
        tuple(project_ids),
    )
    return [Project(r["id"], r["code"], r["name"], r["unit_code"], r["unit_name"]) for r in rows]


async def reports(db: Executor, project_ids: Sequence[int]) -> list[Report]:
    """The projects' saved reports, each project's by the day they took place."""
    if not project_ids:
        return []
    rows = await db.fetch_all(
        "SELECT r.id, r.project_id, r.activity, r.held_on, r.participants, r.description,"
        " r.criterion, h.id IS NOT NULL AS highlighted FROM activity_reports r"
        " LEFT JOIN highlights h ON h.report_id = r.id AND h.unmarked_at IS NULL"
        f" WHERE r.state = 'saved' AND r.project_id IN ({_marks(project_ids)})"
        " ORDER BY r.project_id, r.held_on, r.id",
        tuple(project_ids),
    )
    return [
        Report(
            r["id"],
            r["project_id"],
            r["activity"],
            date.fromisoformat(r["held_on"]) if r["held_on"] else None,
            r["participants"],
            r["description"],
            r["criterion"],
            bool(r["highlighted"]),
        )
        for r in rows
    ]


async def photos(db: Executor, project_ids: Sequence[int]) -> list[Photo]:
    """The photos of the projects' saved reports, in the order sent, with their local copies."""
    if not project_ids:
        return []
    rows = await db.fetch_all(
        "SELECT m.report_id, m.file_unique_id, m.file_name, m.caption,"
        " CASE WHEN f.state = 'stored' THEN f.path END AS path"
        " FROM report_media m JOIN activity_reports r ON r.id = m.report_id"
        " LEFT JOIN media_files f ON f.file_unique_id = m.file_unique_id"
        f" WHERE m.kind = 'photo' AND r.state = 'saved' AND r.project_id IN ({_marks(project_ids)})"
        " ORDER BY m.report_id, m.id",
        tuple(project_ids),
    )
    return [
        Photo(r["report_id"], r["file_unique_id"], r["file_name"], r["caption"], r["path"])
        for r in rows
    ]


async def answers(db: Executor, project_ids: Sequence[int]) -> list[Answer]:
    """The projects' applications' answered sections: text parts joined, and amounts."""
    if not project_ids:
        return []
    rows = await db.fetch_all(
        "SELECT a.project_id, s.section, s.amount,"
        " (SELECT group_concat(t.text, char(10) || char(10)) FROM"
        "   (SELECT text FROM answer_parts p WHERE p.application_id = s.application_id"
        "    AND p.section = s.section AND p.kind = 'text' AND p.text != '' ORDER BY p.id) t"
        " ) AS text"
        " FROM answers s JOIN applications a ON a.id = s.application_id"
        f" WHERE a.project_id IN ({_marks(project_ids)}) AND s.state = 'done'",
        tuple(project_ids),
    )
    return [
        Answer(
            r["project_id"],
            r["section"],
            r["text"] or "",
            Decimal(r["amount"]) if r["amount"] is not None else None,
        )
        for r in rows
    ]
