"""Applications, their answers section by section, and the unit's and organiser's decisions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from storage import audit
from storage.db import Executor, Transaction, from_db_time, to_db_time

# The places a unit has used: what it nominated, and what the organiser then accepted.
PLACE_TAKING = ("nominated", "accepted")


@dataclass(frozen=True)
class Application:
    id: int
    project_id: int
    status: str
    comment: str | None
    submitted_by: int | None
    submitted_at: datetime | None
    decided_by: int | None
    decided_at: datetime | None
    created_by: int


@dataclass(frozen=True)
class Part:
    author_id: int  # message ids are per chat: with the author they name one message
    message_id: int
    kind: str  # text, photo, document, video
    text: str  # the text, or a file's caption
    file_id: str | None = None
    file_name: str | None = None


@dataclass(frozen=True)
class Answer:
    section: str
    state: str  # writing, done, skipped
    amount: Decimal | None
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.parts if p.kind == "text" and p.text)

    @property
    def files(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.kind != "text")


def _application(row) -> Application:
    return Application(
        id=row["id"],
        project_id=row["project_id"],
        status=row["status"],
        comment=row["comment"],
        submitted_by=row["submitted_by"],
        submitted_at=from_db_time(row["submitted_at"]),
        decided_by=row["decided_by"],
        decided_at=from_db_time(row["decided_at"]),
        created_by=row["created_by"],
    )


async def get(db: Executor, application_id: int) -> Application | None:
    row = await db.fetch_one("SELECT * FROM applications WHERE id = ?", (application_id,))
    return _application(row) if row else None


async def of_project(db: Executor, project_id: int) -> Application | None:
    row = await db.fetch_one("SELECT * FROM applications WHERE project_id = ?", (project_id,))
    return _application(row) if row else None


async def open_for(tx: Transaction, project_id: int, by: int) -> Application:
    """The project's application, started as a draft if there is none yet (one per project)."""
    created = await tx.execute(
        "INSERT OR IGNORE INTO applications (project_id, created_by, created_at, updated_at)"
        " VALUES (?, ?, ?, ?)",
        (project_id, by, tx.stamp, tx.stamp),
    )
    application = await of_project(tx, project_id)
    if created:
        await audit.record(tx, by, "application.start", f"application:{application.id}")
    return application


async def places_used(db: Executor, unit_id: int) -> int:
    marks = ",".join("?" * len(PLACE_TAKING))
    return await db.fetch_value(
        "SELECT COUNT(*) FROM applications a JOIN projects p ON p.id = a.project_id"
        f" WHERE p.unit_id = ? AND a.status IN ({marks})",
        (unit_id, *PLACE_TAKING),
    )


@dataclass(frozen=True)
class UnitTally:
    unit_id: int
    projects: int
    submitted: int  # waiting for the unit's decision
    nominated: int  # waiting for the organiser's
    accepted: int
    unit_code: str = ""
    unit_name: str = ""
    returned: int = 0
    declined: int = 0

    @property
    def anything_sent(self) -> bool:
        """Has the unit's organiser anything to look at: drafts are the leads' own."""
        return bool(self.submitted + self.nominated + self.accepted + self.returned + self.declined)


async def tallies(db: Executor) -> list[UnitTally]:
    """Every unit: its name, how many projects, its applications by status (drafts not
    counted), in code order."""
    rows = await db.fetch_all(
        "SELECT u.id AS unit_id, u.code, u.name,"
        " (SELECT COUNT(*) FROM projects WHERE unit_id = u.id) AS projects,"
        " COALESCE(SUM(a.status = 'submitted'), 0) AS submitted,"
        " COALESCE(SUM(a.status = 'nominated'), 0) AS nominated,"
        " COALESCE(SUM(a.status = 'accepted'), 0) AS accepted,"
        " COALESCE(SUM(a.status = 'returned'), 0) AS returned,"
        " COALESCE(SUM(a.status = 'declined'), 0) AS declined"
        " FROM units u LEFT JOIN projects p ON p.unit_id = u.id LEFT JOIN applications a"
        " ON a.project_id = p.id AND a.status != 'draft' GROUP BY u.id ORDER BY u.code"
    )
    return [
        UnitTally(
            r["unit_id"],
            r["projects"],
            r["submitted"],
            r["nominated"],
            r["accepted"],
            r["code"],
            r["name"],
            r["returned"],
            r["declined"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Listed:
    """An application with its project's name, for lists of buttons."""

    application: Application
    project_name: str


async def listed(
    db: Executor, statuses: Iterable[str], *, unit_id: int | None = None
) -> list[Listed]:
    """Applications in `statuses` (of one unit, or all) with their project names, in the order
    they were submitted: one query."""
    statuses = list(statuses)
    sql = (
        "SELECT a.*, p.name AS project_name FROM applications a"
        " JOIN projects p ON p.id = a.project_id"
        f" WHERE a.status IN ({','.join('?' * len(statuses))})"
    )
    params: list = list(statuses)
    if unit_id is not None:
        sql += " AND p.unit_id = ?"
        params.append(unit_id)
    rows = await db.fetch_all(sql + " ORDER BY a.submitted_at, a.id", params)
    return [Listed(_application(row), row["project_name"]) for row in rows]


async def move(
    tx: Transaction,
    application: Application,
    to: str,
    *,
    by: int,
    allowed_from: Iterable[str],
    comment: str | None = None,
) -> bool:
    """Change the status if it is still one of allowed_from; False if someone got there first.
    Submitting stamps who and when; a unit's or organiser's decision stamps the decider; taking
    a nomination back clears the decision (the submission stays as it was)."""
    allowed = list(allowed_from)
    stamp = tx.stamp
    fields, params = "status = ?, updated_at = ?, comment = ?", [to, stamp, comment]
    if to == "submitted" and application.status in ("draft", "returned"):
        fields += ", submitted_by = ?, submitted_at = ?, decided_by = NULL, decided_at = NULL"
        params += [by, stamp]
    elif to == "submitted":
        fields += ", decided_by = NULL, decided_at = NULL"
    elif to in ("nominated", "returned", "accepted", "declined"):
        fields += ", decided_by = ?, decided_at = ?"
        params += [by, stamp]
    changed = await tx.execute(
        f"UPDATE applications SET {fields} WHERE id = ?"
        f" AND status IN ({','.join('?' * len(allowed))})",
        (*params, application.id, *allowed),
    )
    if changed:
        await audit.record(
            tx,
            by,
            f"application.{to}",
            f"application:{application.id}",
            was=application.status,
            comment=comment,
        )
    return bool(changed)


# --- answers ---------------------------------------------------------------------------------


async def answers(db: Executor, application_id: int) -> dict[str, Answer]:
    states = await db.fetch_all(
        "SELECT section, state, amount FROM answers WHERE application_id = ?", (application_id,)
    )
    parts = await db.fetch_all(
        "SELECT * FROM answer_parts WHERE application_id = ? ORDER BY id", (application_id,)
    )
    by_section: dict[str, list[Part]] = {}
    for row in parts:
        by_section.setdefault(row["section"], []).append(
            Part(
                row["author_id"],
                row["message_id"],
                row["kind"],
                row["text"],
                row["file_id"],
                row["file_name"],
            )
        )
    return {
        row["section"]: Answer(
            row["section"],
            row["state"],
            Decimal(row["amount"]) if row["amount"] is not None else None,
            tuple(by_section.get(row["section"], ())),
        )
        for row in states
    }


async def set_state(
    tx: Transaction,
    application_id: int,
    section: str,
    state: str,
    *,
    by: int,
    amount: Decimal | None = None,
) -> None:
    await tx.execute(
        "INSERT INTO answers (application_id, section, state, amount, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (application_id, section) DO UPDATE SET"
        " state = excluded.state, amount = COALESCE(excluded.amount, amount),"
        " updated_at = excluded.updated_at",
        (
            application_id,
            section,
            state,
            None if amount is None else str(amount),
            tx.stamp,
        ),
    )
    await audit.record(
        tx, by, "answer.state", f"application:{application_id}", section=section, state=state
    )


async def add_part(
    tx: Transaction,
    application_id: int,
    section: str,
    part: Part,
    *,
    file_unique_id: str | None = None,
) -> bool:
    """Append one message to a section's answer; False if that message was already stored."""
    added = await tx.execute(
        "INSERT OR IGNORE INTO answer_parts (application_id, section, author_id, message_id,"
        " kind, text, file_id, file_unique_id, file_name, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            application_id,
            section,
            part.author_id,
            part.message_id,
            part.kind,
            part.text,
            part.file_id,
            file_unique_id,
            part.file_name,
            tx.stamp,
        ),
    )
    if added:
        await tx.execute(
            "INSERT INTO answers (application_id, section, state, updated_at)"
            " VALUES (?, ?, 'writing', ?) ON CONFLICT (application_id, section) DO UPDATE SET"
            " state = CASE WHEN state = 'skipped' THEN 'writing' ELSE state END,"
            " updated_at = excluded.updated_at",
            (application_id, section, tx.stamp),
        )
        await audit.record(
            tx,
            part.author_id,
            "answer.part",
            f"application:{application_id}",
            section=section,
            kind=part.kind,
            message_id=part.message_id,
        )
    return bool(added)


async def text_length(db: Executor, application_id: int, section: str) -> int:
    """Characters of a section's text answer as shown: its messages, a blank line between."""
    return await db.fetch_value(
        "SELECT IFNULL(SUM(LENGTH(text)) + 2 * (COUNT(*) - 1), 0) FROM answer_parts"
        " WHERE application_id = ? AND section = ? AND kind = 'text' AND text != ''",
        (application_id, section),
    )


async def part_of_message(
    db: Executor, author_id: int, message_id: int, statuses: Iterable[str]
) -> tuple[int, str] | None:
    """(application id, section) a message was stored in, among applications in `statuses`."""
    statuses = list(statuses)
    row = await db.fetch_one(
        "SELECT p.application_id, p.section FROM answer_parts p JOIN applications a"
        " ON a.id = p.application_id WHERE p.author_id = ? AND p.message_id = ?"
        f" AND a.status IN ({','.join('?' * len(statuses))})",
        (author_id, message_id, *statuses),
    )
    return (row["application_id"], row["section"]) if row else None


async def replace_text(
    tx: Transaction, application_id: int, author_id: int, message_id: int, text: str
) -> str | None:
    """An edited message: its stored text (or caption) follows; the section it is in, or None."""
    row = await tx.fetch_one(
        "UPDATE answer_parts SET text = ? WHERE application_id = ? AND author_id = ?"
        " AND message_id = ? RETURNING section",
        (text, application_id, author_id, message_id),
    )
    if row is None:
        return None
    await audit.record(
        tx,
        author_id,
        "answer.edit",
        f"application:{application_id}",
        section=row["section"],
        message_id=message_id,
    )
    return row["section"]


async def clear_section(tx: Transaction, application_id: int, section: str, *, by: int) -> None:
    """Start a section over (a number answered again replaces the old one)."""
    await tx.execute(
        "DELETE FROM answer_parts WHERE application_id = ? AND section = ?",
        (application_id, section),
    )
    await tx.execute(
        "DELETE FROM answers WHERE application_id = ? AND section = ?", (application_id, section)
    )
    await audit.record(tx, by, "answer.clear", f"application:{application_id}", section=section)


# --- deadlines moved by admins -----------------------------------------------------------------


async def deadline_overrides(db: Executor) -> dict[str, datetime]:
    rows = await db.fetch_all("SELECT stage, deadline FROM stage_deadlines")
    return {row["stage"]: from_db_time(row["deadline"]) for row in rows}


async def set_deadline(tx: Transaction, stage: str, deadline: datetime, *, by: int) -> None:
    await tx.execute(
        "INSERT INTO stage_deadlines (stage, deadline, set_by, set_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (stage) DO UPDATE SET deadline = excluded.deadline,"
        " set_by = excluded.set_by, set_at = excluded.set_at",
        (stage, to_db_time(deadline), by, tx.stamp),
    )
    await audit.record(tx, by, "stage.deadline", f"stage:{stage}", deadline=deadline)
