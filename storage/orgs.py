"""Units and their projects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage import audit
from storage.db import Executor, Transaction, to_db_time, utcnow


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Project:
    id: int
    unit_id: int
    code: str
    name: str


@dataclass(frozen=True)
class OrgRow:
    """One line of an import: a project of a unit, optionally with its group chat."""

    line: int
    unit_code: str
    unit_name: str
    project_code: str
    project_name: str
    chat_id: int | None = None


@dataclass(frozen=True)
class ImportCounts:
    units_added: int = 0
    units_renamed: int = 0
    projects_added: int = 0
    projects_renamed: int = 0
    chats_bound: int = 0

    @property
    def changed(self) -> bool:
        return any(vars(self).values())


def _unit(row) -> Unit:
    return Unit(id=row["id"], code=row["code"], name=row["name"])


def _project(row) -> Project:
    return Project(id=row["id"], unit_id=row["unit_id"], code=row["code"], name=row["name"])


async def unit(db: Executor, unit_id: int) -> Unit | None:
    row = await db.fetch_one("SELECT * FROM units WHERE id = ?", (unit_id,))
    return _unit(row) if row else None


async def unit_by_code(db: Executor, code: str) -> Unit | None:
    row = await db.fetch_one("SELECT * FROM units WHERE code = ?", (code,))
    return _unit(row) if row else None


async def units(db: Executor, *, offset: int = 0, limit: int = -1) -> list[Unit]:
    rows = await db.fetch_all("SELECT * FROM units ORDER BY code LIMIT ? OFFSET ?", (limit, offset))
    return [_unit(row) for row in rows]


async def unit_count(db: Executor) -> int:
    return await db.fetch_value("SELECT COUNT(*) FROM units")


async def project(db: Executor, project_id: int) -> Project | None:
    row = await db.fetch_one("SELECT * FROM projects WHERE id = ?", (project_id,))
    return _project(row) if row else None


async def project_by_code(db: Executor, code: str) -> Project | None:
    row = await db.fetch_one("SELECT * FROM projects WHERE code = ?", (code,))
    return _project(row) if row else None


async def projects_of(db: Executor, unit_id: int, *, offset: int = 0, limit: int = -1):
    rows = await db.fetch_all(
        "SELECT * FROM projects WHERE unit_id = ? ORDER BY code LIMIT ? OFFSET ?",
        (unit_id, limit, offset),
    )
    return [_project(row) for row in rows]


async def project_count(db: Executor, unit_id: int) -> int:
    return await db.fetch_value("SELECT COUNT(*) FROM projects WHERE unit_id = ?", (unit_id,))


async def unit_codes_of_projects(db: Executor, project_codes: Sequence[str]) -> dict[str, str]:
    """project code -> code of the unit it belongs to, for the codes already known."""
    found: dict[str, str] = {}
    # Chunks keep well under SQLite's bound-parameter limit.
    for start in range(0, len(project_codes), 500):
        chunk = list(project_codes[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = await db.fetch_all(
            "SELECT p.code AS project, u.code AS unit FROM projects p"
            f" JOIN units u ON u.id = p.unit_id WHERE p.code IN ({marks})",
            chunk,
        )
        found.update({row["project"]: row["unit"] for row in rows})
    return found


async def import_rows(tx: Transaction, rows: Sequence[OrgRow], actor_id: int | None):
    """Upsert units and projects (names updated, nothing deleted). Rows are pre-validated."""
    now = to_db_time(utcnow())
    counts = dict.fromkeys(vars(ImportCounts()), 0)
    unit_ids: dict[str, int] = {}
    for row in rows:
        if row.unit_code not in unit_ids:
            unit_ids[row.unit_code] = await _upsert_unit(tx, row, now, counts)
        project_id = await _upsert_project(tx, row, unit_ids[row.unit_code], now, counts)
        if row.chat_id is not None and await _bind_chat(tx, row.chat_id, project_id, actor_id, now):
            counts["chats_bound"] += 1
    result = ImportCounts(**counts)
    if result.changed:
        await audit.record(tx, actor_id, "orgs.import", "orgs", rows=len(rows), **counts)
    return result


async def _upsert_unit(tx: Transaction, row: OrgRow, now: str, counts: dict) -> int:
    known = await tx.fetch_one("SELECT id, name FROM units WHERE code = ?", (row.unit_code,))
    if known is None:
        counts["units_added"] += 1
        return await tx.execute(
            "INSERT INTO units (code, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            (row.unit_code, row.unit_name, now, now),
        )
    if known["name"] != row.unit_name:
        counts["units_renamed"] += 1
        await tx.execute(
            "UPDATE units SET name = ?, updated_at = ? WHERE id = ?",
            (row.unit_name, now, known["id"]),
        )
    return known["id"]


async def _upsert_project(tx: Transaction, row: OrgRow, unit_id: int, now: str, counts: dict):
    known = await tx.fetch_one("SELECT id, name FROM projects WHERE code = ?", (row.project_code,))
    if known is None:
        counts["projects_added"] += 1
        project_id = await tx.execute(
            "INSERT INTO projects (unit_id, code, name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (unit_id, row.project_code, row.project_name, now, now),
        )
    else:
        project_id = known["id"]
        if known["name"] != row.project_name:
            counts["projects_renamed"] += 1
            await tx.execute(
                "UPDATE projects SET name = ?, updated_at = ? WHERE id = ?",
                (row.project_name, now, project_id),
            )
    return project_id


async def _bind_chat(
    tx: Transaction, chat_id: int, project_id: int, actor_id: int | None, now: str
) -> bool:
    bound = await tx.fetch_one(
        "SELECT project_id FROM chat_bindings WHERE chat_id = ? AND thread_id = 0", (chat_id,)
    )
    if bound is not None and bound["project_id"] == project_id:
        return False
    await tx.execute(
        "INSERT INTO chat_bindings (chat_id, thread_id, project_id, bound_by, bound_at)"
        " VALUES (?, 0, ?, ?, ?) ON CONFLICT (chat_id, thread_id) DO UPDATE SET"
        " project_id = excluded.project_id, unit_id = NULL, bound_by = excluded.bound_by,"
        " bound_at = excluded.bound_at",
        (chat_id, project_id, actor_id, now),
    )
    await audit.record(
        tx, actor_id, "chat.bind", f"chat:{chat_id}:0", project_id=project_id, source="import"
    )
    return True
