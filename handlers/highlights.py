"""/highlights: reports a unit secretary or an admin picked to make known.

    /highlights ─▶ newest first ─▶ 1 2 3 … (its card, photo and all, privately)
                   ├▶ by unit / by criterion
                   └▶ newest reports (secretaries and admins), to pick from

The button on a card marks it, or takes the mark back: in the project's group, in the unit's
chat, or privately. A mark edits every post of the card, posts it to the unit's own chats and
tells the author; taking it back says who did, and tells whoever had marked it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from telegram import InputMediaPhoto, Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, filters

from bot import notices
from bot.access import Actor
from bot.core import Ctx
from handlers import coaching, guards, report_card, ui
from handlers.callbacks import Handler
from handlers.report_card import BUTTONS
from storage import highlights, orgs, outbox, reports
from storage.db import Transaction
from storage.outbox import Cause
from storage.reports import ActivityReport

_COLUMNS = 4  # numbered buttons to a row
ALBUM_LIMIT = 10  # photos Telegram puts in one album


def register(app: Application) -> None:
    app.add_handler(CommandHandler("highlights", highlights_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))


def _has_role(actor: Actor) -> bool:
    """Highlights are the campaign's own news: for those with a role in it."""
    return actor.is_admin or bool(actor.grants)


@guards.person(_has_role)
async def highlights_command(update: Update, ctx: Ctx) -> None:
    markup, context = await _list(ctx, 0, None, 0)
    await ui.reply(update, ctx, "highlights/list", markup, **context)


def _picker(ctx: Ctx) -> bool:
    return ctx.actor.is_admin or bool(ctx.actor.secretary_units())


def _numbered(items: list[ActivityReport], first: int) -> list[list[ui.Button]]:
    buttons = [(str(first + i), BUTTONS.data("open", report.id)) for i, report in enumerate(items)]
    return [buttons[i : i + _COLUMNS] for i in range(0, len(buttons), _COLUMNS)]


async def _items(
    ctx: Ctx, listed: Sequence[reports.Listed], first: int, *, starred: set[int]
) -> list[dict[str, Any]]:
    """A page's numbered lines (highlights/item.html): each report with its project's and
    unit's names, its photo count, and ⭐ if it is in `starred`."""
    photos = await reports.photo_counts(ctx.db, [item.report.id for item in listed])
    return [
        {
            "number": first + index,
            "report": item.report,
            "project": item.project_name,
            "unit": item.unit_name,
            "activity": ctx.campaign.activity(item.report.activity),
            "photos": photos.get(item.report.id, 0),
            "star": item.report.id in starred,
        }
        for index, item in enumerate(listed)
    ]


async def _list(ctx: Ctx, unit_id: int, criterion: str | None, page: int):
    """A page of highlights, newest first: all, one unit's, or one criterion's."""
    found = await highlights.listed(ctx.db, unit_id=unit_id or None, criterion=criterion)
    shown, number, pages = ui.page_of(found, page)
    first = (number - 1) * ui.PAGE_SIZE + 1
    label = ctx.msgs.label
    rows = _numbered([item.report for item in shown], first)
    filters_row = [
        (label(ctx.locale, "by_unit"), BUTTONS.data("units", 0)),
        (label(ctx.locale, "by_criterion"), BUTTONS.data("criteria")),
    ]
    if unit_id or criterion:
        filters_row.append((label(ctx.locale, "all_highlights"), BUTTONS.data("list", 0, 0)))
    rows.append(filters_row)
    if _picker(ctx):
        rows.append([(label(ctx.locale, "pick_highlights"), BUTTONS.data("newest", 0))])
    if criterion:
        rows.append(
            ui.page_buttons(ctx, number, pages, lambda to: BUTTONS.data("criterion", criterion, to))
        )
    else:
        rows.append(
            ui.page_buttons(ctx, number, pages, lambda to: BUTTONS.data("list", unit_id, to))
        )
    context = {
        "items": await _items(ctx, shown, first, starred=set()),  # all highlights: no ⭐ each
        "count": len(found),
        "page": number,
        "pages": pages,
        "unit": await orgs.unit(ctx.db, unit_id) if unit_id else None,
        "criterion": ctx.campaign.criterion(criterion),
    }
    return ui.keyboard(rows), context


def _browsing(step: Handler) -> Handler:
    """Browsing the highlights is for those with a role; marking and coaching check their own."""

    @functools.wraps(step)
    async def checked(update: Update, ctx: Ctx, *args: Any) -> None:
        if not _has_role(ctx.actor):
            await ui.not_allowed(update.callback_query, ctx)
            return
        await step(update, ctx, *args)

    return checked


@BUTTONS.on("list")
@_browsing
async def _show_list(update: Update, ctx: Ctx, unit_id: int, page: int) -> None:
    markup, context = await _list(ctx, unit_id, None, page)
    await ui.show(update.callback_query, ctx, "highlights/list", markup, **context)


@BUTTONS.on("criterion")
@_browsing
async def _show_criterion(update: Update, ctx: Ctx, key: str, page: int) -> None:
    if ctx.campaign.criterion(key) is None:
        await ui.stale(update.callback_query, ctx)
        return
    markup, context = await _list(ctx, 0, key, page)
    await ui.show(update.callback_query, ctx, "highlights/list", markup, **context)


@BUTTONS.on("units")
@_browsing
async def _units(update: Update, ctx: Ctx, page: int) -> None:
    ids = [unit_id for unit_id, _ in await highlights.units_with_some(ctx.db)]
    units = await orgs.units_by_ids(ctx.db, ids)
    choices = ui.choices(ctx, units, lambda unit_id: BUTTONS.data("list", unit_id, 0))
    rows, _, _ = ui.paged(ctx, choices, page, lambda to: BUTTONS.data("units", to))
    rows.append([(ctx.msgs.label(ctx.locale, "back"), BUTTONS.data("list", 0, 0))])
    await ui.show(
        update.callback_query, ctx, "highlights/units", ui.keyboard(rows), count=len(units)
    )


@BUTTONS.on("criteria")
@_browsing
async def _criteria(update: Update, ctx: Ctx) -> None:
    rows = [
        [(c.title.get(ctx.locale), BUTTONS.data("criterion", c.key, 0))]
        for c in ctx.campaign.criteria
    ]
    rows.append([(ctx.msgs.label(ctx.locale, "back"), BUTTONS.data("list", 0, 0))])
    await ui.show(update.callback_query, ctx, "highlights/criteria", ui.keyboard(rows))


@BUTTONS.on("newest")
@_browsing
async def _newest(update: Update, ctx: Ctx, page: int) -> None:
    """The newest saved reports: all (an admin), the secretary's units', to open and pick
    highlights from; or, for a lead or member, their own projects', to read."""
    query = update.callback_query
    actor = ctx.actor
    own = sorted(actor.projects("lead") | actor.projects("member"))
    if not _picker(ctx) and not own:
        await ui.not_allowed(query, ctx)
        return
    scope: dict[str, list[int] | None] = {"project_ids": own}
    if actor.is_admin:
        scope = {}
    elif actor.secretary_units():
        scope = {"unit_ids": sorted(actor.secretary_units())}
    found, total, page = await reports.newest(ctx.db, **scope, page=page, page_size=ui.PAGE_SIZE)
    pages, number = max(1, -(-total // ui.PAGE_SIZE)), page + 1
    first = (number - 1) * ui.PAGE_SIZE + 1
    marked = await highlights.standing_of(ctx.db, [item.report.id for item in found])
    rows = _numbered([item.report for item in found], first)
    rows.append(ui.page_buttons(ctx, number, pages, lambda to: BUTTONS.data("newest", to)))
    rows.append([(ctx.msgs.label(ctx.locale, "all_highlights"), BUTTONS.data("list", 0, 0))])
    items = await _items(ctx, found, first, starred=marked)
    await ui.show(
        query,
        ctx,
        "highlights/newest",
        ui.keyboard(rows),
        items=items,
        count=total,
        page=number,
        pages=pages,
        picking=_picker(ctx),
    )


async def _saved(
    update: Update, ctx: Ctx, report_id: int
) -> tuple[ActivityReport, orgs.Project] | None:
    """The saved report a button names, and its project; else the tapper is told why not."""
    query = update.callback_query
    report = await reports.get(ctx.db, report_id)
    if report is None or report.state == "draft":
        await ui.stale(query, ctx)
        return None
    if report.state == "deleted":
        await ui.alert(query, ctx, "highlights/deleted")
        return None
    return report, await orgs.project(ctx.db, report.project_id)


def _may_see(ctx: Ctx, report: ActivityReport, project: orgs.Project, marked: bool) -> bool:
    actor = ctx.actor
    own = project.id in actor.projects("lead") | actor.projects("member")
    return marked or own or report.author_id == actor.user_id or report_card.may_mark(ctx, project)


def _private_markup(ctx: Ctx, report: ActivityReport, project: orgs.Project, marked: bool):
    if not report_card.may_mark(ctx, project):
        return None
    label = ctx.msgs.label
    toggle = ("highlight_unmark", "unmark") if marked else ("highlight_mark", "mark")
    return ui.keyboard(
        [
            [(label(ctx.locale, toggle[0]), BUTTONS.data(toggle[1], report.id))],
            [(label(ctx.locale, "coach"), BUTTONS.data("coach", report.id))],
        ]
    )


@BUTTONS.on("open")
@_browsing
@guards.in_chats(ChatType.PRIVATE)  # only ever offered privately
async def _open(update: Update, ctx: Ctx, report_id: int) -> None:
    """The report's card, privately: its photo and words, and for a secretary or an admin,
    the buttons to mark it and to coach."""
    query = update.callback_query
    found = await _saved(update, ctx, report_id)
    if found is None:
        return
    report, project = found
    mark = await highlights.standing(ctx.db, report.id)
    if not _may_see(ctx, report, project, mark is not None):
        await ui.not_allowed(query, ctx)
        return
    await query.answer()
    text, photo = await report_card.words(ctx, ctx.db, report, ctx.locale, mark=mark)
    markup = _private_markup(ctx, report, project, mark is not None)
    chat_id = update.effective_chat.id
    photos = [m.file_id for m in await reports.media_of(ctx.db, report.id) if m.kind == "photo"]
    if len(photos) > 1:  # all of them, as an album; the card and its buttons under it
        await send_photos(
            ctx, chat_id, [InputMediaPhoto(file_id) for file_id in photos[:ALBUM_LIMIT]]
        )
        await ctx.bot.send_message(chat_id, text, reply_markup=markup)
    elif photo is not None:
        await ctx.bot.send_photo(chat_id, photo.file_id, caption=text, reply_markup=markup)
    else:
        await ctx.bot.send_message(chat_id, text, reply_markup=markup)


async def send_photos(ctx: Ctx, chat_id: int, photos: Sequence[InputMediaPhoto]) -> None:
    """Photos as albums of up to ALBUM_LIMIT; a lone one as a photo (an album holds 2–10)."""
    for start in range(0, len(photos), ALBUM_LIMIT):
        album = photos[start : start + ALBUM_LIMIT]
        if len(album) == 1:
            await ctx.bot.send_photo(chat_id, album[0].media, caption=album[0].caption)
        else:
            await ctx.bot.send_media_group(chat_id, album)


@BUTTONS.on("mark")
async def _mark(update: Update, ctx: Ctx, report_id: int) -> None:
    await _toggle(update, ctx, report_id, marking=True)


@BUTTONS.on("unmark")
async def _unmark(update: Update, ctx: Ctx, report_id: int) -> None:
    await _toggle(update, ctx, report_id, marking=False)


async def _toggle(update: Update, ctx: Ctx, report_id: int, *, marking: bool) -> None:
    query = update.callback_query
    found = await _saved(update, ctx, report_id)
    if found is None:
        return
    report, project = found
    if not report_card.may_mark(ctx, project):
        await ui.alert(query, ctx, "highlights/not_allowed")
        return
    me = ctx.actor.user_id
    unit_chats = 0
    async with ctx.write() as tx:
        if marking:
            changed = await highlights.mark(tx, report.id, by=me)
            if changed is not None:
                unit_chats = await report_card.post_highlight(ctx, tx, report, changed)
                await report_card.follow(ctx, tx, report)
                # The author hears of the report's first mark only: marked again, it is news
                # to nobody.
                if await highlights.marks_of(tx, report.id) == 1:
                    author = {report.author_id}
                    await _tell(ctx, tx, report, project, author, "marked", unit_chats)
        else:
            changed = await highlights.unmark(tx, report.id, by=me)
            if changed is not None:
                await report_card.follow(ctx, tx, report)
                await _tell(ctx, tx, report, project, {changed.marked_by}, "unmarked")
                # The author hears of the first taking back too, unless the news of the mark
                # never went out.
                first = await highlights.marks_of(tx, report.id) == 1
                if (
                    not await outbox.withdraw(tx, str(Cause("report", report.id, "marked", at="")))
                    and first
                ):
                    author = {report.author_id} - {changed.marked_by}
                    await _tell(ctx, tx, report, project, author, "unmarked_author")
    if changed is None:
        await ui.alert(query, ctx, "highlights/already" if marking else "highlights/not_marked")
        return
    key = "highlights/done_marked" if marking else "highlights/done_unmarked"
    await ui.toast(query, ctx, key, chats=unit_chats)
    if update.effective_chat.type == ChatType.PRIVATE and isinstance(query.message, Message):
        await _refresh_private_card(ctx, query.message, report, project)


async def _tell(
    ctx: Ctx,
    tx: Transaction,
    report: ActivityReport,
    project: orgs.Project,
    to: set[int],
    what: str,
    chats: int = 0,
) -> None:
    """The author hears of a mark, whoever had marked it of its taking back (never the one
    who tapped)."""
    to = to - {ctx.actor.user_id}
    if not to:
        return
    await notices.to_people(
        tx,
        ctx.core.writer,
        to,
        f"highlights/told_{what}",
        notices.cause(tx, Cause("report", report.id, what)),
        button=("open_report", BUTTONS.data("open", report.id)),
        project=project,
        activity=ctx.campaign.activity(report.activity),
        report=report,
        person=ctx.actor.person,
        chats=chats,
    )


async def _refresh_private_card(
    ctx: Ctx, message: Message, report: ActivityReport, project: orgs.Project
) -> None:
    """The private card tapped shows the mark as it is now."""
    mark = await highlights.standing(ctx.db, report.id)
    text, _ = await report_card.words(ctx, ctx.db, report, ctx.locale, mark=mark)
    markup = _private_markup(ctx, report, project, mark is not None)
    if message.photo:
        await message.edit_caption(text, reply_markup=markup)
    elif message.text is not None:
        await message.edit_text(text, reply_markup=markup)


@BUTTONS.on("coach")
async def _coach(update: Update, ctx: Ctx, report_id: int) -> None:
    found = await _saved(update, ctx, report_id)
    if found is not None:
        await coaching.ask(update, ctx, found[1], found[0])


@BUTTONS.on("coach_project")
async def _coach_project(update: Update, ctx: Ctx, project_id: int) -> None:
    project = await orgs.project(ctx.db, project_id)
    if project is None:
        await ui.stale(update.callback_query, ctx)
        return
    await coaching.ask(update, ctx, project, None)
