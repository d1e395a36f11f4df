"""/progress: where candidates stand in cultivation, to coach them, never to rank them.

A lead or member sees their project; a secretary their unit's candidates side by side; an
admin every candidate, by unit. The same facts for each: reports by month, the criteria no
report supports yet, the day of the last report. Those with nothing about the last 30 days
come first. No score, no points, no order by count. Long lists page with buttons.
"""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot import cultivation
from bot.core import Ctx
from handlers import guards, report_card, ui
from handlers.callbacks import Buttons
from storage import coaching, highlights, people, reports

BUTTONS = Buttons("pg", command="progress", page=("p", (int,)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("progress", progress_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))


@guards.person()
async def progress_command(update: Update, ctx: Ctx) -> None:
    markup, context = await _screen(ctx, 0)
    await ui.reply(update, ctx, "progress/view", markup, **context)


@BUTTONS.on("page")
async def _page(update: Update, ctx: Ctx, page: int) -> None:
    markup, context = await _screen(ctx, page)
    await ui.show(update.callback_query, ctx, "progress/view", markup, **context)


async def _screen(ctx: Ctx, page: int):
    """Whose candidates the person follows, widest first: all (admin), their units'
    (secretary), or their own projects."""
    actor = ctx.actor
    if actor.is_admin:
        found, view = await reports.candidates(ctx.db), "admin"
    elif actor.secretary_units():
        units = sorted(actor.secretary_units())
        found, view = await reports.candidates(ctx.db, unit_ids=units), "secretary"
    else:
        own = sorted(actor.projects("lead") | actor.projects("member"))
        found, view = await reports.candidates(ctx.db, project_ids=own), "member"
    tz = ctx.campaign.timezone
    items = cultivation.coaching_order(await reports.progress(ctx.db, found), ctx.now, tz)
    shown, number, pages = ui.page_of(items, page)
    nav = ui.page_buttons(ctx, number, pages, lambda to: BUTTONS.data("page", to))
    reading = (ctx.msgs.label(ctx.locale, "newest_reports"), report_card.BUTTONS.data("newest", 0))
    rows = [nav, [reading]]
    if view != "member":  # a coaching comment to each candidate's lead, two to a row
        coach = [
            (
                ctx.msgs.label(ctx.locale, "coach_project", name=item.project_name),
                report_card.BUTTONS.data("coach_project", item.project_id),
            )
            for item in shown
        ]
        rows = [coach[i : i + 2] for i in range(0, len(coach), 2)] + rows
    on_page = [item.project_id for item in shown]
    marked = await highlights.count_by_project(ctx.db, on_page)
    comments = await coaching.latest_of(ctx.db, on_page)
    authors = await people.get_many(ctx.db, sorted({c.author_id for c in comments.values()}))
    context = {
        "view": view,
        "items": [
            {
                "progress": item,
                "months": [(date.fromisoformat(f"{m}-01"), n) for m, n in item.by_month.items()],
                "missing": [c for c in ctx.campaign.criteria if c.key not in item.criteria],
                "quiet": cultivation.gone_quiet(item, ctx.now, tz),
                "highlights": marked.get(item.project_id, 0),
                "comment": comments.get(item.project_id),
            }
            for item in shown
        ],
        "commenters": authors,
        "count": len(items),
        "page": number,
        "pages": pages,
        "quiet_days": cultivation.QUIET_DAYS,
    }
    return ui.keyboard(rows), context
