"""/export: the campaign's record as an Excel workbook, for the campaign admins in a private
chat. Reviewers are always anonymised here (`pacesetter export --names` names them).

    /export [FIRST LAST] ─▶ the screen: ✅ every unit, or a unit (paged), 📅 the days
    ✅ or a unit ─▶ "building…", edited as each sheet is written ─▶ the .xlsx as a document

The days travel in the buttons' data (YYYYMMDD, 0 for an open end), so the screen needs no
stored state and a restart loses nothing. The workbook is written off the event loop
(bot/export.py, in a worker thread with its own read-only connection) into a temporary folder,
sent as the answer to the admin who asked, and deleted. One is built at a time: a tap while
one is under way gets an alert. A crash mid-build loses that export (the tap was handled);
the admin taps again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler, filters

from bot import export, ranking
from bot.core import Ctx
from handlers import background, guards, ui
from handlers.callbacks import Buttons
from storage import orgs, pacesetters
from storage.export import Scope

log = logging.getLogger(__name__)

BUTTONS = Buttons(
    "xp",
    command="export",
    everything=("a", (int, int)),  # every unit: first day, last day
    unit=("u", (int, int, int)),  # one unit: its id, first day, last day
    page=("p", (int, int, int)),  # the units' page, first day, last day
    days=("d", (int, int)),  # the screen again with these days, from page 1
)
PER_PAGE = 10  # units on a page


def register(app: Application) -> None:
    app.add_handler(CommandHandler("export", export_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, guards.admin))


def _wire(day: date | None) -> int:
    return int(day.strftime("%Y%m%d")) if day is not None else 0


def _day(wire: int) -> date | None:
    """A day from its wire form; raises ValueError on one that is no day."""
    if wire == 0:
        return None
    return date(wire // 10_000, wire // 100 % 100, wire % 100)


def typed_days(args: list[str]) -> tuple[date | None, date | None] | None:
    """`/export` alone: every day; `/export FIRST LAST`: those days. None: not understood."""
    if not args:
        return None, None
    if len(args) != 2:
        return None
    try:
        first, last = (date.fromisoformat(text) for text in args)
    except ValueError:
        return None
    return (first, last) if first <= last else None


@guards.person(guards.admin, "export/not_admin")
async def export_command(update: Update, ctx: Ctx) -> None:
    days = typed_days(ctx.args or [])
    if days is None:
        await ui.reply(update, ctx, "export/bad_dates")
        return
    markup, context = await _screen(ctx, 0, *days)
    await ui.reply(update, ctx, "export/screen", markup, **context)


async def _screen(
    ctx: Ctx, page: int, first: date | None, last: date | None
) -> tuple[InlineKeyboardMarkup | None, dict[str, Any]]:
    count = await orgs.unit_count(ctx.db)
    pages = max(1, -(-count // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = await orgs.units(ctx.db, offset=page * PER_PAGE, limit=PER_PAGE)
    a, b = _wire(first), _wire(last)
    label = ctx.msgs.label
    rows: list[list[ui.Button]] = [
        [(label(ctx.locale, "export_everything"), BUTTONS.data("everything", a, b))]
    ]
    rows += [[choice] for choice in ui.choices(ctx, shown, lambda i: BUTTONS.data("unit", i, a, b))]
    rows.append(ui.page_buttons(ctx, page + 1, pages, lambda to: BUTTONS.data("page", to, a, b)))
    stage = ctx.campaign.current_stage(ctx.now)
    ranges = []
    if stage is not None:
        opens, closes = (ctx.msgs.local(m).date() for m in (stage.opens, stage.deadline))
        ranges.append((label(ctx.locale, "export_this_stage"), _days_data(opens, closes)))
    if first or last:
        ranges.append((label(ctx.locale, "export_all_days"), BUTTONS.data("days", 0, 0)))
    rows.append(ranges)
    context = {"first": first, "last": last, "page": page + 1, "pages": pages}
    return ui.keyboard([row for row in rows if row]), context


def _days_data(first: date, last: date) -> str:
    return BUTTONS.data("days", _wire(first), _wire(last))


def _days_or_none(first: int, last: int) -> tuple[date | None, date | None] | None:
    try:
        return _day(first), _day(last)
    except ValueError:
        return None


@BUTTONS.on("page")
async def _page(update: Update, ctx: Ctx, page: int, first: int, last: int) -> None:
    days = _days_or_none(first, last)
    if days is None:
        await ui.stale(update.callback_query, ctx)
        return
    markup, context = await _screen(ctx, page, *days)
    await ui.show(update.callback_query, ctx, "export/screen", markup, **context)


@BUTTONS.on("days")
async def _days(update: Update, ctx: Ctx, first: int, last: int) -> None:
    await _page(update, ctx, 0, first, last)


@BUTTONS.on("everything")
@guards.in_chats(ChatType.PRIVATE)
async def _everything(update: Update, ctx: Ctx, first: int, last: int) -> None:
    await _export(update, ctx, (), first, last)


@BUTTONS.on("unit")
@guards.in_chats(ChatType.PRIVATE)
async def _unit(update: Update, ctx: Ctx, unit_id: int, first: int, last: int) -> None:
    unit = await orgs.unit(ctx.db, unit_id)
    if unit is None:
        await ui.stale(update.callback_query, ctx)
        return
    await _export(update, ctx, (unit.code,), first, last)


async def _export(update: Update, ctx: Ctx, units: tuple[str, ...], first: int, last: int) -> None:
    query = update.callback_query
    days = _days_or_none(first, last)
    if days is None:
        await ui.stale(query, ctx)
        return
    # One export at a time, whoever taps: a second would double a small server's work for the
    # same file. The build runs beside the chat's lane (handlers/background.py).
    scope = Scope(units, *days)
    build = functools.partial(_build, update, ctx, scope)
    await background.alone(update, ctx, ctx.core.exporting, "export/busy", build, name="export")


async def _build(update: Update, ctx: Ctx, scope: Scope) -> None:
    query = update.callback_query
    await query.answer()
    chat_id = update.effective_chat.id
    progress = await ui.reply(update, ctx, "export/building", done=[])
    result = await ranking.load(ctx.db, ctx.campaign)
    chosen = await pacesetters.current(ctx.db)
    options = export.Options(locale=ctx.locale, scope=scope)
    # The worker thread reports each sheet it finishes; this task edits the message with it.
    loop, finished = asyncio.get_running_loop(), asyncio.Queue()
    editing = asyncio.create_task(_edit_progress(ctx, progress, finished))
    with tempfile.TemporaryDirectory(prefix="pacesetter-export-") as folder:
        path = Path(folder) / "export.xlsx"
        try:
            written = await asyncio.to_thread(
                export.write,
                path,
                ctx.db.path,
                ctx.campaign,
                ctx.msgs,
                options,
                result,
                chosen,
                lambda sheet: loop.call_soon_threadsafe(finished.put_nowait, sheet),
            )
        except (OSError, sqlite3.Error):
            log.exception("the export could not be written")
            written = None
        finally:
            loop.call_soon_threadsafe(finished.put_nowait, None)
            await editing
        if written is None:
            await ui.replace(progress, ctx, "export/failed")
            return
        with path.open("rb") as data:
            await ctx.bot.send_document(chat_id, data, filename=_filename(ctx))
    await ui.replace(progress, ctx, "export/done", sheets=written)


async def _edit_progress(ctx: Ctx, message: Any, finished: asyncio.Queue) -> None:
    done: list[str] = []
    while (sheet := await finished.get()) is not None:
        done.append(sheet)
        with contextlib.suppress(BadRequest):  # a lost edit only delays the count
            await message.edit_text(ui.render(ctx, "export/building", done=done)[0])


def _filename(ctx: Ctx) -> str:
    """The campaign's name, "export" and today's local day, in the reader's words."""
    today = ctx.msgs.local(ctx.now).date().isoformat()
    name = ctx.campaign.name.get(ctx.locale)
    words = ctx.msgs.label(ctx.locale, "export_file", campaign=name, day=today)
    return words.replace("/", "_").replace("\\", "_")
