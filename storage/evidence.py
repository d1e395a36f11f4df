"""What a scoring card reads of a candidate (bot/evidence.py): the heads of its application's
sections, its saved reports per criterion, its highlights and their photos. Each a fixed
number of queries however many reports there are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from storage import orgs
from storage.db import Executor

HEAD_CHARS = 200  # of each message of a section: more than any glimpse shows


@dataclass(frozen=True)
class SectionHead:
    section: str
    state: str  # writing, done, skipped
    amount: Decimal | None
    heads: tuple[str, ...]  # the start of each text message, in order
    chars: int  # the text's whole length, its messages joined by blank lines


@dataclass(frozen=True)
class Tally:
    criterion: str | None  # as the reports name it; None for none
    count: int
    latest: date | None  # the latest day a report is about


@dataclass(frozen=True)
class HighlightPhoto:
    report_id: int
    activity: str | None
    held_on: date | None
    file_id: str


async def project_and_unit(db: Executor, project_id: int) -> tuple[orgs.Project, orgs.Unit] | None:
    """The project and its unit, or None: one query."""
    row = await db.fetch_one(
        "SELECT p.id, p.unit_id, p.code, p.name, u.code AS unit_code, u.name AS unit_name"
        " FROM projects p JOIN units u ON u.id = p.unit_id WHERE p.id = ?",
        (project_id,),
    )
    if row is None:
        return None
    project = orgs.Project(row["id"], row["unit_id"], row["code"], row["name"])
    return project, orgs.Unit(row["unit_id"], row["unit_code"], row["unit_name"])


async def section_heads(
    db: Executor, project_id: int, sections: Sequence[str]
) -> dict[str, SectionHead]:
    """The project's answers to these sections, each message's text cut to its first
    characters (a section may be fifteen pages): two queries."""
    if not sections:
        return {}
    marks = ",".join("?" * len(sections))
    states = await db.fetch_all(
        "SELECT s.section, s.state, s.amount FROM answers s JOIN applications a"
        f" ON a.id = s.application_id WHERE a.project_id = ? AND s.section IN ({marks})",
        (project_id, *sections),
    )
    parts = await db.fetch_all(
        "SELECT t.section, substr(t.text, 1, ?) AS head, length(t.text) AS chars"
        " FROM answer_parts t JOIN applications a ON a.id = t.application_id"
        f" WHERE a.project_id = ? AND t.section IN ({marks}) AND t.kind = 'text'"
        " AND t.text != '' ORDER BY t.id",
        (HEAD_CHARS, project_id, *sections),
    )
    heads: dict[str, list[str]] = {}
    chars: dict[str, int] = {}
    for row in parts:
        heads.setdefault(row["section"], []).append(row["head"])
        # Joined by a blank line, as an answer's text is (storage.applications.Answer.text).
        chars[row["section"]] = chars.get(row["section"], -2) + 2 + row["chars"]
    return {
        row["section"]: SectionHead(
            row["section"],
            row["state"],
            Decimal(row["amount"]) if row["amount"] is not None else None,
            tuple(heads.get(row["section"], ())),
            chars.get(row["section"], 0),
        )
        for row in states
    }


async def report_tallies(db: Executor, project_id: int) -> list[Tally]:
    """The project's saved reports by the criterion they name: how many, the latest day."""
    rows = await db.fetch_all(
        "SELECT criterion, COUNT(*) AS n, MAX(held_on) AS latest FROM activity_reports"
        " WHERE project_id = ? AND state = 'saved' GROUP BY criterion",
        (project_id,),
    )
    return [
        Tally(
            row["criterion"],
            row["n"],
            date.fromisoformat(row["latest"]) if row["latest"] else None,
        )
        for row in rows
    ]


async def highlight_counts(db: Executor, project_id: int) -> tuple[int, int]:
    """The project's standing highlights and the photos they hold."""
    row = await db.fetch_one(
        "SELECT COUNT(DISTINCT r.id) AS highlights, COUNT(m.id) AS photos"
        " FROM activity_reports r"
        " JOIN highlights h ON h.report_id = r.id AND h.unmarked_at IS NULL"
        " LEFT JOIN report_media m ON m.report_id = r.id AND m.kind = 'photo'"
        " WHERE r.project_id = ? AND r.state = 'saved'",
        (project_id,),
    )
    return row["highlights"], row["photos"]


async def highlight_photos(db: Executor, project_id: int) -> list[HighlightPhoto]:
    """The photos of the project's standing highlights: the newest mark's first, each
    report's in the order they came."""
    rows = await db.fetch_all(
        "SELECT r.id, r.activity, r.held_on, m.file_id FROM activity_reports r"
        " JOIN highlights h ON h.report_id = r.id AND h.unmarked_at IS NULL"
        " JOIN report_media m ON m.report_id = r.id AND m.kind = 'photo'"
        " WHERE r.project_id = ? AND r.state = 'saved'"
        " ORDER BY h.marked_at DESC, h.id DESC, m.id",
        (project_id,),
    )
    return [
        HighlightPhoto(
            row["id"],
            row["activity"],
            date.fromisoformat(row["held_on"]) if row["held_on"] else None,
            row["file_id"],
        )
        for row in rows
    ]
