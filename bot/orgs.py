"""Reading the units-and-projects sheet (CSV or .xlsx) as offices keep it, every row checked
before anything is written; and asking Telegram whether the bot is in the groups it names."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot import office
from bot.pacing import BULK
from storage import chats, orgs
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
log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Sheet:
    """What a file held: the rows to import, and what was read around them and left out."""

    rows: list[OrgRow]
    header_line: int
    read: tuple[tuple[str, str], ...]  # (the header as written, the column it names)
    ignored: tuple[str, ...]  # headers of columns we don't know, as written
    skipped: tuple[Problem, ...]  # rows left out, each with its reason
    filled: int  # rows whose unit was written once above them (merged or left blank)

    @property
    def chat_ids(self) -> list[int]:
        return [row.chat_id for row in self.rows if row.chat_id is not None]


def parse(data: bytes) -> Sheet:
    """The rows of a CSV or .xlsx file, or ImportRefused listing every problem found in it.
    Slow on a big file: run it off the event loop."""
    numbered = _xlsx_records(data) if data.startswith(_ZIP) else _records(_decoded(data))
    if len(numbered) > MAX_ROWS + 1:  # a header and the rows
        line = numbered[MAX_ROWS + 1][0]
        raise ImportRefused([Problem(line, "too_many_rows", {"limit": MAX_ROWS})])
    if not numbered:
        raise ImportRefused([Problem(None, "empty_file")])
    at, columns = _header(numbered)
    (header_line, header), body = numbered[at], numbered[at + 1 :]
    skipped = [
        Problem(
            line,
            "skip_above_header",
            {"text": _shown(" ".join(c.strip() for c in cells if c.strip()))},
        )
        for line, cells in numbered[:at]
    ]
    ignored = [
        i
        for i, (cell, key) in enumerate(zip(header, columns, strict=True))
        if cell.strip() and not key
    ]
    known = [i for i, key in enumerate(columns) if key]
    kept: list[tuple[int, list[str]]] = []
    for line, cells in body:
        reason = _not_a_row(cells, header, known, ignored)
        if reason is None:
            kept.append((line, cells))
        else:
            skipped.append(Problem(line, reason[0], reason[1]))
    if not kept:
        raise ImportRefused([Problem(None, "no_rows")])
    problems: list[Problem] = []
    # The header's width: up to its last named cell; cells under none must be empty.
    width = max(i for i, cell in enumerate(header) if cell.strip()) + 1
    unnamed = [i for i in range(width) if not header[i].strip()]
    units, rows, filled = _UnitAbove(columns), [], 0
    for line, cells in kept:
        cells, was_filled = units.fill(cells)
        filled += was_filled
        rows.append(_row(line, columns[:width], unnamed, cells, problems))
    problems += _cross_check([row for row in rows if row is not None])
    if problems:
        raise ImportRefused(problems)
    return Sheet(
        rows=[row for row in rows if row is not None],
        header_line=header_line,
        read=tuple((_shown(header[i].strip()), key) for i, key in enumerate(columns) if key),
        ignored=tuple(_shown(header[i].strip()) for i in ignored),
        skipped=tuple(skipped),
        filled=filled,
    )


HEADER_ROWS = 10  # a title, a date or blank rows may come first: the header is among these
_ZIP = b"PK\x03\x04"  # an .xlsx, whatever its name says
# The names offices give each column, per language; compared after _header_key (width,
# case, spaces, punctuation and a bracketed note such as （必填） don't count). A project is
# its Party branch's: offices name it by the branch as often as by the project.
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "unit_code": {
        "en": ("unit_code", "unit code", "unit id", "unit no"),
        "zh_Hans": ("单位代码", "单位编码", "单位编号"),
        "zh_Hant": ("單位代碼", "單位編碼", "單位編號"),
    },
    "unit_name": {
        "en": ("unit_name", "unit", "unit name"),
        "zh_Hans": ("单位名称", "单位", "所属单位", "单位全称"),
        "zh_Hant": ("單位名稱", "單位", "所屬單位", "單位全稱"),
    },
    "project_code": {
        "en": ("project_code", "project code", "project id", "branch code"),
        "zh_Hans": ("项目代码", "项目编码", "项目编号", "支部代码", "支部编码", "支部编号"),
        "zh_Hant": ("項目代碼", "項目編碼", "項目編號", "支部代碼", "支部編碼", "支部編號"),
    },
    "project_name": {
        "en": ("project_name", "project", "project name", "branch", "branch name"),
        "zh_Hans": ("项目名称", "项目", "支部名称", "党支部名称", "项目党支部", "党支部", "支部"),
        "zh_Hant": ("項目名稱", "項目", "支部名稱", "黨支部名稱", "項目黨支部", "黨支部", "支部"),
    },
    "chat_id": {
        "en": ("chat_id", "chat id", "group id", "group chat id"),
        "zh_Hans": ("群ID", "群号", "群组ID", "群聊ID", "群聊天ID"),
        "zh_Hant": ("群ID", "群號", "群組ID", "群聊ID", "群聊天ID"),
    },
}
_NOTE = re.compile(r"\([^)]*\)")  # （必填）, (optional): NFKC has made the brackets ASCII
_HEADER_NOISE = re.compile(r"[\s_\-:*.。、]+")


def _header_key(cell: str) -> str:
    return _HEADER_NOISE.sub("", _NOTE.sub("", unicodedata.normalize("NFKC", cell))).lower()


_BY_HEADER = {
    _header_key(name): column
    for column, locales in HEADERS.items()
    for names in locales.values()
    for name in names
}


def _column(cell: str) -> str | None:
    """The column a header cell names, or None (an empty cell, or one we don't know)."""
    return _BY_HEADER.get(_header_key(cell))


def _header(numbered: list[tuple[int, list[str]]]) -> tuple[int, list[str | None]]:
    """Where the header is and the column each of its cells names: the first of the first
    HEADER_ROWS rows naming every required column. Refused, saying what is missing, when
    none does, or when the header names a column twice (which one is meant?)."""
    best: tuple[int, int] | None = None  # (columns named, at)
    for at, (line, cells) in enumerate(numbered[:HEADER_ROWS]):
        columns = [_column(cell) for cell in cells]
        named = [c for c in columns if c]
        if best is None or len(set(named)) > best[0]:
            best = (len(set(named)), at)
        if not set(REQUIRED) <= set(named):
            continue
        for twice in (c for c in dict.fromkeys(named) if named.count(c) > 1):
            same = ", ".join(
                cell.strip() for cell, c in zip(cells, columns, strict=True) if c == twice
            )
            raise ImportRefused(
                [Problem(line, "header_twice", {"column": twice, "found": _shown(same)})]
            )
        return at, columns
    line, header = numbered[best[1]]
    named = {_column(cell) for cell in header}
    args = {
        "rows": HEADER_ROWS,
        "missing": ", ".join(c for c in REQUIRED if c not in named),
        "found": _shown(", ".join(cell.strip() for cell in header if cell.strip())),
    }
    raise ImportRefused([Problem(line, "header", args)])


def _not_a_row(
    cells: list[str], header: list[str], known: list[int], ignored: list[int]
) -> tuple[str, dict[str, Any]] | None:
    """Why a row under the header is none of the import's (None: it is one): it has values
    under ignored columns only (序号 numbered ahead of the rows, a note), or is the header
    again. `known`: where the columns we read are."""
    n = len(cells)
    if not any(cells[i].strip() for i in known if i < n):
        filled = [i for i, cell in enumerate(cells) if cell.strip()]
        if not set(filled) <= set(ignored):
            return None  # a value under no header: refused as such
        shown = ", ".join(header[i].strip() for i in filled)
        return "skip_only_ignored", {"columns": _shown(shown)}
    if all(cells[i].strip() == header[i].strip() for i in known if i < n):
        return "skip_header_again", {}  # printed again on every page
    return None


class _UnitAbove:
    """Fills a row's blank unit from the row above: a unit written once for its projects, in
    cells merged down (read, the cells below the first are blank) or simply left blank. Only
    a row that names a project, and no other unit, is filled; and only its unit."""

    def __init__(self, columns: list[str | None]) -> None:
        self.code, self.name = "", ""
        self.width = len(columns)
        self.at_code, self.at_name = columns.index("unit_code"), columns.index("unit_name")
        self.projects = [i for i, key in enumerate(columns) if key in _PROJECT_COLUMNS]

    def fill(self, cells: list[str]) -> tuple[list[str], bool]:
        n = len(cells)
        code = cells[self.at_code].strip() if self.at_code < n else ""
        name = cells[self.at_name].strip() if self.at_name < n else ""
        if code and name:
            self.code, self.name = code, name
            return cells, False
        fill = (
            bool(self.code)
            and code in ("", self.code)
            and name in ("", self.name)
            and any(cells[i].strip() for i in self.projects if i < n)
        )
        if fill:
            cells = cells + [""] * (self.width - n)
            cells[self.at_code], cells[self.at_name] = self.code, self.name
        return cells, fill


_PROJECT_COLUMNS = ("project_code", "project_name", "chat_id")


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
        if abs(value) < 1e15:
            return str(int(value))  # a chat id or a code typed as a number
        # Excel keeps 15 digits of a number: written as it kept them, the rest is refused
        # as lost (see _whole), not filled with the float's guesses.
        return f"{value:.14E}"
    return str(value)


def _shown(value: str) -> str:
    """Values quoted back in a refusal: short, so a bad file can't flood the chat."""
    return value if len(value) <= SHOWN_LIMIT else value[: SHOWN_LIMIT - 1] + "…"


def _row(
    line: int,
    columns: list[str | None],
    unnamed: list[int],
    cells: list[str],
    problems: list[Problem],
) -> OrgRow | None:
    # Trailing optional columns may be left off; empty cells (",,,") under no header mean
    # nothing, but a value there would be lost: refused. Ignored columns are not read.
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    width = len(columns)
    if len(cells) > width or any(cells[i].strip() for i in unnamed if i < len(cells)):
        problems.append(Problem(line, "columns", {"expected": width, "found": len(cells)}))
        return None
    before = len(problems)
    clean = {key: value.strip() for key, value in zip(columns, cells, strict=False) if key}
    for column in REQUIRED:
        value = clean.get(column, "")
        if (
            column.endswith("_code")
            and ("E+" in value or "e+" in value)
            and _SCIENTIFIC.fullmatch(value)
        ):
            whole = _whole(value)
            if whole is None:
                problems.append(Problem(line, "code_rounded", {"column": column, "value": value}))
                continue
            value = clean[column] = str(whole)
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


# How Excel writes a number of more than 11 digits into a CSV: "-1.00123E+12".
_SCIENTIFIC = re.compile(r"-?\d(?:\.\d+)?[eE]\+\d{1,2}")


def _whole(text: str) -> int | None:
    """The whole number a text in _SCIENTIFIC form names, when no digit was lost: it writes
    every digit, or leaves the last one implicit (a writer that drops a trailing zero:
    "-1.00123456789E+12" is -1001234567890). More implicit places mean it was rounded to
    the digits shown ("-1.00123E+12"), and the digits dropped can't be told: None. A number
    that is not whole is None too."""
    number = Decimal(text)
    if number != number.to_integral_value() or number.as_tuple().exponent > 1:
        return None
    return int(number)


def _chat_id(line: int, text: str, problems: list[Problem]) -> int | None:
    """A group's id (negative), written out or in Excel's scientific form when exact."""
    if re.fullmatch(r"-\d{1,20}", text):
        return int(text)
    if _SCIENTIFIC.fullmatch(text) and text.startswith("-"):
        number = Decimal(text)
        if number == number.to_integral_value():
            whole = _whole(text)
            if whole is not None:
                return whole
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
) -> tuple[Sheet, ImportCounts]:
    """Check the file whole, then write it in one transaction, with `finish` (the flow that
    asked for it ends with it); (what was read, counts)."""
    sheet = await asyncio.to_thread(parse, data)  # other chats are answered meanwhile
    rows = sheet.rows
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
    return sheet, counts


# --- whether the bot is in the groups a sheet names ---------------------------------------

CHECKS_AT_ONCE = 8  # requests in flight: the pacer keeps them under Telegram's rate
_CHECK_TRIES = 3


@dataclass(frozen=True)
class ChatCheck:
    """What Telegram said of one chat: `found` when the bot is in it, else `absent` (not in
    it, not found: Telegram tells the two apart only to members) or None (no answer)."""

    chat_id: int
    found: chats.Found | None = None
    absent: bool = False


async def check_chats(bot: Bot, chat_ids: Sequence[int]) -> list[ChatCheck]:
    """Ask Telegram whether the bot is in each chat: getChat, then getChatMember for the
    bot. Paced as bulk requests (anyone acting goes first), a few in flight at once."""
    bot_id = bot.id
    pending = iter(chat_ids)
    results: dict[int, ChatCheck] = {}

    async def worker() -> None:
        for chat_id in pending:
            results[chat_id] = await _check(bot, bot_id, chat_id)

    await asyncio.gather(*(worker() for _ in range(min(CHECKS_AT_ONCE, len(chat_ids)))))
    return [results[chat_id] for chat_id in chat_ids]


async def _check(bot: Bot, bot_id: int, chat_id: int) -> ChatCheck:
    for _ in range(_CHECK_TRIES):
        try:
            chat = await bot.get_chat(chat_id, rate_limit_args=BULK)
            member = await bot.get_chat_member(chat_id, bot_id, rate_limit_args=BULK)
        except RetryAfter:
            continue  # the pacer holds the next request for as long as Telegram said
        except (BadRequest, Forbidden, ChatMigrated):
            # "chat not found", "bot is not a member", or the id of a group since upgraded
            return ChatCheck(chat_id, absent=True)
        except TelegramError as error:  # the network: say so, don't guess
            log.info("could not check chat %s: %s", chat_id, type(error).__name__)
            return ChatCheck(chat_id)
        if member.status not in chats.PRESENT:
            return ChatCheck(chat_id, absent=True)
        found = chats.Found(
            chat_id, chat.type, chat.title or "", bool(chat.is_forum), member.status
        )
        return ChatCheck(chat_id, found)
    return ChatCheck(chat_id)
