"""Reading the units-and-projects CSV: every row checked before anything is written."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage import orgs
from storage.db import Database, Transaction
from storage.orgs import ImportCounts, OrgRow

REQUIRED = ("unit_code", "unit_name", "project_code", "project_name")
OPTIONAL = ("chat_id",)
MAX_BYTES = 5 * 1024 * 1024
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_NAME_LIMIT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SHOWN_LIMIT = 60


@dataclass(frozen=True)
class Problem:
    """One reason to refuse a file; `code` picks the message, `args` fill it."""

    line: int | None
    code: str
    args: dict[str, Any] = field(default_factory=dict)


class ImportRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def parse(data: bytes) -> list[OrgRow]:
    """Rows of a CSV file, or ImportRefused listing every problem found in it."""
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError:
        raise ImportRefused([Problem(None, "encoding")]) from None
    numbered = _records(text)
    if not numbered:
        raise ImportRefused([Problem(None, "empty_file")])
    (header_line, header), body = numbered[0], numbered[1:]
    columns = [c.strip().lower() for c in header]
    if columns[: len(REQUIRED)] != list(REQUIRED) or not set(columns[4:]) <= set(OPTIONAL):
        raise ImportRefused([Problem(header_line, "header", {"found": _shown(",".join(header))})])
    problems: list[Problem] = []
    rows = [_row(n, columns, row, problems) for n, row in body]
    problems += _cross_check([row for row in rows if row is not None])
    if problems:
        raise ImportRefused(problems)
    return [row for row in rows if row is not None]


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text))
    records = []
    start = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportRefused([Problem(start, "malformed", {"reason": _shown(str(error))})]) from None
    return records


def _shown(value: str) -> str:
    """Values quoted back in a refusal: short, so a bad file can't flood the chat."""
    return value if len(value) <= SHOWN_LIMIT else value[: SHOWN_LIMIT - 1] + "…"


def _row(line: int, columns: list[str], cells: list[str], problems: list[Problem]):
    # Trailing optional columns may be left off entirely.
    if not len(REQUIRED) <= len(cells) <= len(columns):
        problems.append(Problem(line, "columns", {"expected": len(columns), "found": len(cells)}))
        return None
    before = len(problems)
    clean = {key: value.strip() for key, value in zip(columns, cells, strict=False)}
    for column in REQUIRED:
        value = clean[column]
        if not value:
            problems.append(Problem(line, "empty", {"column": column}))
        elif column.endswith("_code") and not _CODE.match(value):
            problems.append(Problem(line, "bad_code", {"column": column, "value": _shown(value)}))
        elif len(value) > _NAME_LIMIT:
            problems.append(Problem(line, "too_long", {"column": column, "limit": _NAME_LIMIT}))
        elif _CONTROL.search(value):
            problems.append(Problem(line, "control", {"column": column}))
    chat_id = None
    if clean.get("chat_id"):
        text = clean["chat_id"]
        if re.fullmatch(r"-\d{1,20}", text):
            chat_id = int(text)
        else:
            problems.append(Problem(line, "bad_chat_id", {"value": _shown(text)}))
    if len(problems) > before:
        return None
    return OrgRow(
        line,
        clean["unit_code"],
        clean["unit_name"],
        clean["project_code"],
        clean["project_name"],
        chat_id,
    )


def _cross_check(rows: list[OrgRow]) -> list[Problem]:
    problems = []
    projects: dict[str, OrgRow] = {}
    units: dict[str, OrgRow] = {}
    chats: dict[int, OrgRow] = {}
    for row in rows:
        if (first := projects.setdefault(row.project_code, row)) is not row:
            problems.append(
                Problem(
                    row.line,
                    "duplicate_project",
                    {"code": row.project_code, "first_line": first.line},
                )
            )
        first = units.setdefault(row.unit_code, row)
        if first.unit_name != row.unit_name:
            problems.append(
                Problem(
                    row.line,
                    "unit_name_conflict",
                    {"code": row.unit_code, "name": first.unit_name, "first_line": first.line},
                )
            )
        if row.chat_id is not None:
            first = chats.setdefault(row.chat_id, row)
            if first is not row:
                problems.append(
                    Problem(
                        row.line,
                        "chat_twice",
                        {
                            "value": row.chat_id,
                            "code": first.project_code,
                            "first_line": first.line,
                        },
                    )
                )
    return problems


async def import_csv(
    db: Database,
    data: bytes,
    actor_id: int | None,
    now: datetime,
    *,
    finish: Callable[[Transaction], Awaitable[Any]] | None = None,
) -> tuple[int, ImportCounts]:
    """Check the file whole, then write it in one transaction, with `finish` (the flow that
    asked for it ends with it); (rows, counts)."""
    rows = parse(data)
    async with db.transaction(now) as tx:
        # Checked inside the transaction so a concurrent import cannot slip in between.
        owners = await orgs.unit_codes_of_projects(tx, [row.project_code for row in rows])
        moved = [
            Problem(
                row.line,
                "project_other_unit",
                {"code": row.project_code, "unit": owners[row.project_code]},
            )
            for row in rows
            if owners.get(row.project_code, row.unit_code) != row.unit_code
        ]
        if moved:
            raise ImportRefused(moved)
        counts = await orgs.import_rows(tx, rows, actor_id)
        if finish is not None:
            await finish(tx)
    return len(rows), counts
