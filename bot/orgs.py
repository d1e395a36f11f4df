"""Reading the units-and-projects CSV: every row checked before anything is written."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import openpyxl

from bot import office
from storage import orgs
from storage.db import Database, Transaction
from storage.orgs import ImportCounts, OrgRow

REQUIRED = ("unit_code", "unit_name", "project_code", "project_name")
OPTIONAL = ("chat_id",)
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000  # the largest organisation has 7,460 projects: a row each
MAX_COLUMNS = 50  # of a sheet, read: the import names five, a sheet may declare 16,384
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
    """Rows of a CSV or .xlsx file, or ImportRefused listing every problem found in it. Slow
    on a big file: run it off the event loop."""
    numbered = _xlsx_records(data) if data.startswith(_ZIP) else _records(_decoded(data))
    if len(numbered) > MAX_ROWS + 1:  # a header and the rows
        line = numbered[MAX_ROWS + 1][0]
        raise ImportRefused([Problem(line, "too_many_rows", {"limit": MAX_ROWS})])
    if not numbered:
        raise ImportRefused([Problem(None, "empty_file")])
    (header_line, header), body = numbered[0], numbered[1:]
    columns = [_column(cell) for cell in header]
    named = [c for c in columns if c]
    unknown = [cell for cell, c in zip(header, columns, strict=True) if cell.strip() and not c]
    if unknown or not set(REQUIRED) <= set(named) or len(named) != len(set(named)):
        raise ImportRefused([Problem(header_line, "header", {"found": _shown(",".join(header))})])
    if not body:
        raise ImportRefused([Problem(None, "no_rows")])
    problems: list[Problem] = []
    rows = [_row(n, columns, row, problems) for n, row in body]
    problems += _cross_check([row for row in rows if row is not None])
    if problems:
        raise ImportRefused(problems)
    return [row for row in rows if row is not None]


_ZIP = b"PK\x03\x04"  # an .xlsx, whatever its name says
# Headers as people write them: English, Simplified or Traditional Chinese, close variants.
_HEADERS = {
    "unit_code": (
        "unitcode",
        "单位代码",
        "单位编码",
        "单位编号",
        "單位代碼",
        "單位編碼",
        "單位編號",
    ),
    "unit_name": ("unitname", "单位名称", "单位", "單位名稱", "單位"),
    "project_code": (
        "projectcode",
        "项目代码",
        "项目编码",
        "项目编号",
        "項目代碼",
        "項目編碼",
        "項目編號",
    ),
    "project_name": ("projectname", "项目名称", "项目", "項目名稱", "項目"),
    "chat_id": ("chatid", "groupid", "群id", "群组id", "群聊id", "群組id", "群聊天id"),
}
_BY_HEADER = {alias: column for column, aliases in _HEADERS.items() for alias in aliases}
_HEADER_NOISE = re.compile(r"[\s_\-()（）:：*＊]+")


def _column(cell: str) -> str | None:
    """The column a header cell names, or None (an empty cell, or one we don't know)."""
    return _BY_HEADER.get(_HEADER_NOISE.sub("", cell).lower())


def _decoded(data: bytes) -> str:
    """The text of a CSV as Excel and WPS save it: UTF-8 (with or without BOM), UTF-16
    ("Unicode text"), or GBK/GB18030 (Excel's default "CSV" on Chinese Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    elif b"\0" in data:
        # UTF-16 without a BOM: the separators, digits and codes are ASCII, each with a zero
        # byte after it (little-endian) or before it.
        odd = data[1::2].count(0)
        encodings = ("utf-16-le",) if odd > data[0::2].count(0) else ("utf-16-be",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused([Problem(None, "encoding")])


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on (a quoted value may span lines)."""
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" is the same table with tabs between the values.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
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


def _xlsx_records(data: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's non-blank rows, with their row numbers, as text; every row there is,
    whatever dimension the sheet declares (a tool may write one too small, or the largest
    possible), the first MAX_COLUMNS cells of each."""
    refusal = office.check(data)  # before openpyxl unpacks anything
    if refusal is not None:
        code = "malformed_sheet" if refusal.reason == "not_zip" else f"office_{refusal.reason}"
        args = {"reason": "BadZipFile"} if refusal.reason == "not_zip" else {"limit": refusal.limit}
        raise ImportRefused([Problem(None, code, args)])
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # a damaged or foreign zip: openpyxl raises many kinds
        raise _damaged(error) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # else rows past the declared one are dropped
        records = []
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        for number, row in enumerate(rows, start=1):
            if row.count(None) == len(row):  # fast: a gap in the rows comes as all None
                continue
            cells = [_cell_text(value) for value in row]
            if not any(cell.strip() for cell in cells):
                continue
            if len(records) > MAX_ROWS:  # the header and MAX_ROWS rows are read already
                raise ImportRefused([Problem(number, "too_many_rows", {"limit": MAX_ROWS})])
            records.append((number, cells))
        return records
    except ImportRefused:
        raise
    except Exception as error:  # malformed XML in the sheet, a damaged part
        raise _damaged(error) from None
    finally:
        book.close()


def _damaged(error: Exception) -> ImportRefused:
    return ImportRefused(
        [Problem(None, "malformed_sheet", {"reason": _shown(type(error).__name__)})]
    )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a chat id or a code typed as a number
    return str(value)


def _shown(value: str) -> str:
    """Values quoted back in a refusal: short, so a bad file can't flood the chat."""
    return value if len(value) <= SHOWN_LIMIT else value[: SHOWN_LIMIT - 1] + "…"


def _row(line: int, columns: list[str | None], cells: list[str], problems: list[Problem]):
    # Trailing optional columns may be left off; empty cells (",,,") under no header mean
    # nothing, but a value there would be lost: refused.
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    unnamed = [value for key, value in zip(columns, cells, strict=False) if key is None]
    if len(cells) > len(columns) or any(value.strip() for value in unnamed):
        expected = sum(1 for key in columns if key)
        problems.append(Problem(line, "columns", {"expected": expected, "found": len(cells)}))
        return None
    before = len(problems)
    clean = {key: value.strip() for key, value in zip(columns, cells, strict=False) if key}
    for column in REQUIRED:
        value = clean.get(column, "")
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
        chat_id = _chat_id(line, clean["chat_id"], problems)
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


_SCIENTIFIC = re.compile(r"(-?)(\d)(?:\.(\d+))?[eE]\+?(\d{1,2})")


def _chat_id(line: int, text: str, problems: list[Problem]) -> int | None:
    """A group's id; Excel's "-1.001234567890E+12" is read only when no digit was lost: it
    shows ids as "-1.00123E+12", and the digits it dropped can't be told."""
    if re.fullmatch(r"-\d{1,20}", text):
        return int(text)
    scientific = _SCIENTIFIC.fullmatch(text)
    if scientific and scientific.group(1):
        _, first, decimals, exponent = scientific.groups()
        decimals, shift = decimals or "", int(exponent)
        if not decimals[shift:].strip("0"):  # a whole number
            decimals = decimals[:shift]
            if len(decimals) == shift:
                return -int(first + decimals)
            problems.append(Problem(line, "chat_id_rounded", {"value": _shown(text)}))
            return None
    problems.append(Problem(line, "bad_chat_id", {"value": _shown(text)}))
    return None


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
    rows = await asyncio.to_thread(parse, data)  # other chats are answered meanwhile
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
