"""The campaign's record as one Excel workbook (/export, `pacesetter export`): units and quotas,
applications, activity reports, highlights, scores per reviewer, the ranking, the selection and
the pacesetters' deliverables.

XlsxWriter in constant-memory mode writes each row to disk as it comes, so the 100,000 reports
stream from the database to the file (bench/export.py measures it). Writing blocks: callers run
`write` in a worker thread. It reads through its own synchronous read-only sqlite3 connection
(storage/export.py), not the bot's aiosqlite ones, which belong to their own threads; the
ranking and the selection are small and computed by async code, so callers load them first and
pass them in.

Every text is written with `write_string`: a cell that begins with =, +, - or @ stays the text
someone typed, never a formula Excel would run."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from bot.campaign import Campaign
from bot.ranking import Ranking
from bot.reminders import done_deliverable
from bot.rules import unit_quota
from messages.render import Messages
from storage import export as reads
from storage.deliverables import APPROVED, NOT_BUILT
from storage.export import BookletRow, DeliverableRow, PacesetterRow, Scope

DAY_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Options:
    locale: str = "zh-Hans"
    names: bool = False  # reviewers by name; otherwise "Reviewer 1…n"
    scope: Scope = field(default_factory=Scope)


@dataclass
class Book:
    """What a sheet builder needs: the open workbook, the read connection and the words."""

    workbook: xlsxwriter.Workbook
    conn: sqlite3.Connection
    campaign: Campaign
    words: Messages
    options: Options
    ranking: Ranking
    selection: frozenset[int]
    formats: dict[str, Any]
    titles: dict[str, dict[str, str]] = field(default_factory=dict)

    def label(self, key: str, **context: Any) -> str:
        return self.words.label(self.options.locale, key, **context)

    def sheet(self, title: str, columns: Sequence[tuple[str, float]]) -> Worksheet:
        """A sheet with its header row frozen: columns are (label key, width)."""
        return self.headed(title, [(self.label(key), width) for key, width in columns])

    def headed(self, title: str, columns: Sequence[tuple[str, float]]) -> Worksheet:
        """The same with the headers' texts, for columns the campaign names."""
        sheet = self.workbook.add_worksheet(self.label(title))
        for index, (text, width) in enumerate(columns):
            sheet.set_column(index, index, width)
            sheet.write_string(0, index, text, self.formats["header"])
        sheet.freeze_panes(1, 0)
        return sheet

    def rows(self, sheet: Worksheet, width: int, rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        for count, values in enumerate(rows, start=1):
            for column, value in enumerate(values):
                self._cell(sheet, count, column, value)
        sheet.autofilter(0, 0, count, width - 1)
        return count

    def _cell(self, sheet: Worksheet, row: int, column: int, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, str):
            sheet.write_string(row, column, value)
        elif isinstance(value, bool):
            sheet.write_string(row, column, self.label("xl_yes" if value else "xl_no"))
        elif isinstance(value, int | float):
            sheet.write_number(row, column, value)
        elif isinstance(value, datetime):
            local = value.astimezone(self.campaign.timezone).replace(tzinfo=None)
            sheet.write_datetime(row, column, local, self.formats["time"])
        elif isinstance(value, date):
            sheet.write_datetime(
                row, column, datetime(value.year, value.month, value.day), self.formats["day"]
            )
        else:
            raise TypeError(f"no cell for {type(value).__name__}")

    def activity(self, key: str | None) -> str | None:
        return self._titles("activities", key)

    def criterion(self, key: str | None) -> str | None:
        return self._titles("criteria", key)

    def _titles(self, kind: str, key: str | None) -> str | None:
        """A campaign key's title in the locale (the key itself if the campaign lost it),
        looked up once per kind, not once per row."""
        if kind not in self.titles:
            items = getattr(self.campaign, kind)
            self.titles[kind] = {i.key: i.title.get(self.options.locale) for i in items}
        return self.titles[kind].get(key, key) if key is not None else None


def _units(book: Book) -> tuple[Worksheet, int]:
    columns = [
        ("xl_unit_code", 10),
        ("xl_unit", 28),
        ("xl_projects", 10),
        ("xl_quota", 10),
        ("xl_nominated", 10),
        ("xl_accepted", 10),
    ]
    sheet = book.sheet("xl_sheet_units", columns)
    quota = book.campaign.quota
    rows = (
        (u.code, u.name, u.projects, unit_quota(u.projects, quota), u.nominated, u.accepted)
        for u in reads.units(book.conn, book.options.scope)
    )
    return sheet, book.rows(sheet, len(columns), rows)


_NOMINATED = ("nominated", "accepted", "declined")


def _applications(book: Book) -> tuple[Worksheet, int]:
    columns = [
        ("xl_unit_code", 10),
        ("xl_unit", 24),
        ("xl_project_code", 12),
        ("xl_project", 30),
        ("xl_status", 14),
        ("xl_nominated", 10),
        ("xl_accepted", 10),
        ("xl_submitted_at", 17),
        ("xl_decided_at", 17),
    ]
    sheet = book.sheet("xl_sheet_applications", columns)
    rows = (
        (
            a.unit_code,
            a.unit,
            a.code,
            a.project,
            book.label(f"xl_status_{a.status}"),
            a.status in _NOMINATED,
            a.status == "accepted",
            a.submitted_at,
            a.decided_at,
        )
        for a in reads.applications(book.conn, book.options.scope)
    )
    return sheet, book.rows(sheet, len(columns), rows)


def _reports(book: Book) -> tuple[Worksheet, int]:
    columns = [
        ("xl_unit", 20),
        ("xl_project_code", 12),
        ("xl_project", 26),
        ("xl_activity", 18),
        ("xl_day", 12),
        ("xl_criterion", 16),
        ("xl_description", 60),
        ("xl_photos", 8),
        ("xl_author", 16),
        ("xl_saved_at", 17),
    ]
    sheet = book.sheet("xl_sheet_reports", columns)
    rows = (
        (
            r.unit,
            r.code,
            r.project,
            book.activity(r.activity),
            r.day,
            book.criterion(r.criterion),
            r.description,
            r.photos,
            r.author,
            r.saved_at,
        )
        for r in reads.reports(book.conn, book.options.scope)
    )
    return sheet, book.rows(sheet, len(columns), rows)


def _highlights(book: Book) -> tuple[Worksheet, int]:
    columns = [
        ("xl_unit", 20),
        ("xl_project_code", 12),
        ("xl_project", 26),
        ("xl_activity", 18),
        ("xl_day", 12),
        ("xl_description", 60),
        ("xl_marked_at", 17),
    ]
    sheet = book.sheet("xl_sheet_highlights", columns)
    rows = (
        (
            h.unit,
            h.code,
            h.project,
            book.activity(h.activity),
            h.day,
            h.description,
            h.marked_at,
        )
        for h in reads.highlights(book.conn, book.options.scope)
    )
    return sheet, book.rows(sheet, len(columns), rows)


def _scores(book: Book) -> tuple[Worksheet, int]:
    columns = [
        ("xl_reviewer", 16),
        ("xl_project_code", 12),
        ("xl_project", 26),
        ("xl_unit", 20),
        ("xl_criterion", 16),
        ("xl_score", 8),
        ("xl_submitted_at", 17),
    ]
    sheet = book.sheet("xl_sheet_scores", columns)
    numbers = {rid: n for n, rid in enumerate(reads.reviewer_ids(book.conn), start=1)}
    rows = (
        (
            s.reviewer
            if book.options.names
            else book.label("xl_reviewer_n", n=numbers[s.reviewer_id]),
            s.code,
            s.project,
            s.unit,
            book.criterion(s.criterion),
            s.score,
            s.submitted_at,
        )
        for s in reads.scores(book.conn, book.options.scope)
    )
    return sheet, book.rows(sheet, len(columns), rows)


def _in_scope(book: Book, unit_code: str) -> bool:
    return not book.options.scope.units or unit_code in book.options.scope.units


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _ranking(book: Book) -> tuple[Worksheet, int]:
    columns = [
        ("xl_rank", 8),
        ("xl_project_code", 12),
        ("xl_project", 26),
        ("xl_unit", 20),
        ("xl_reviews", 8),
        ("xl_raw", 10),
        ("xl_calibrated", 10),
        ("xl_flags", 30),
    ]
    sheet = book.sheet("xl_sheet_ranking", columns)
    rows = (
        (
            r.rank,
            r.code,
            r.project,
            r.unit,
            r.reviews,
            _round(r.raw),
            _round(r.calibrated),
            ", ".join(r.flags),
        )
        for r in book.ranking.rows
        if _in_scope(book, r.unit_code)
    )
    return sheet, book.rows(sheet, len(columns), rows)


def _selection(book: Book) -> tuple[Worksheet, int]:
    columns = [("xl_project_code", 12), ("xl_project", 30), ("xl_unit", 24), ("xl_rank", 8)]
    sheet = book.sheet("xl_sheet_selection", columns)
    rows = (
        (r.code, r.project, r.unit, r.rank)
        for r in book.ranking.rows
        if r.project_id in book.selection and _in_scope(book, r.unit_code)
    )
    return sheet, book.rows(sheet, len(columns), rows)


_NO_DRAFT = BookletRow(NOT_BUILT)


def _deliverables(book: Book) -> tuple[Worksheet, int]:
    """A row per pacesetter: what is stored of each of the campaign's deliverables and when,
    and whether the checklist is complete as /deliverables counts it. The unit filter applies;
    the days don't (they choose reports)."""
    items = book.campaign.deliverables
    columns = [
        (book.label("xl_unit"), 20),
        (book.label("xl_project_code"), 12),
        (book.label("xl_project"), 26),
    ]
    for item in items:
        title = item.title.get(book.options.locale)
        at = "xl_approved_at" if item.kind == "booklet" else "xl_handed_in_at"
        columns += [(title, 40), (book.label(at, item=title), 17)]
    columns.append((book.label("xl_complete"), 10))
    sheet = book.headed("xl_sheet_deliverables", columns)
    scope = book.options.scope
    stored = reads.deliverables(book.conn, scope)
    booklets = reads.booklets(book.conn, scope)
    rows = (
        _deliverables_row(
            book, p, stored.get(p.project_id, {}), booklets.get(p.project_id, _NO_DRAFT)
        )
        for p in reads.pacesetters(book.conn, scope)
    )
    return sheet, book.rows(sheet, len(columns), rows)


def _deliverables_row(
    book: Book, pacesetter: PacesetterRow, stored: dict[str, DeliverableRow], booklet: BookletRow
) -> list[Any]:
    row: list[Any] = [pacesetter.unit, pacesetter.code, pacesetter.project]
    items = book.campaign.deliverables
    for item in items:
        if item.kind == "booklet":
            row += [_booklet(book, booklet), booklet.approved_at]
        else:
            found = stored.get(item.key)
            row += [_stored(book, found), found.submitted_at if found else None]
    row.append(all(done_deliverable(item, stored, booklet) for item in items))
    return row


def _stored(book: Book, found: DeliverableRow | None) -> str | None:
    """Typed text's start (and its length, if there is more), a link, or a file's name."""
    if found is None:
        return None
    if found.kind == "text":
        if (found.chars or 0) > len(found.text or ""):
            return book.label("xl_text_more", start=found.text, chars=found.chars)
        return found.text
    if found.kind == "link":
        return found.text
    if found.file_name:
        return found.file_name
    return book.label("xl_unnamed_file", size=round((found.size or 0) / 2**20, 1))


def _booklet(book: Book, booklet: BookletRow) -> str:
    if booklet.state == APPROVED:
        return book.label("xl_booklet_approved")
    if booklet.state == NOT_BUILT:
        return book.label("xl_booklet_none")
    if booklet.comment is not None:
        return book.label("xl_booklet_corrections", comment=booklet.comment)
    return book.label("xl_booklet_waiting")


# The sheets in order: a builder takes the Book, adds one sheet with `book.sheet` (or
# `book.headed`), fills it with `book.rows`, and returns the sheet and its rows.
SHEETS: list[Callable[[Book], tuple[Worksheet, int]]] = [
    _units,
    _applications,
    _reports,
    _highlights,
    _scores,
    _ranking,
    _selection,
    _deliverables,
]


def write(
    path: Path,
    db_path: Path,
    campaign: Campaign,
    words: Messages,
    options: Options,
    ranking: Ranking,
    selection: Iterable[int],
    progress: Callable[[str], None] | None = None,
) -> list[tuple[str, int]]:
    """Write the workbook to `path`; returns each sheet's name and its number of rows. Blocks:
    run it in a worker thread. `progress` hears each sheet's name once it is written."""
    conn = reads.connect(db_path)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        formats = {
            "header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "day": workbook.add_format({"num_format": DAY_FORMAT}),
            "time": workbook.add_format({"num_format": TIME_FORMAT}),
        }
        book = Book(
            workbook, conn, campaign, words, options, ranking, frozenset(selection), formats
        )
        written = []
        for build in SHEETS:
            sheet, count = build(book)
            if progress is not None:
                progress(sheet.name)
            written.append((sheet.name, count))
    finally:
        workbook.close()
        conn.close()
    return written
