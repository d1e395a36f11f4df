"""/leave: someone away says until when; reminders leave them be, and their groups don't name
them as missing. /leave 2027-01-20 in one go, or buttons."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core import Ctx
from handlers import guards, ui
from handlers.callbacks import Buttons, Tap
from storage import people

BUTTONS = Buttons("lv", command="leave", days=("d", (int,)), back=("b", ()))
PRESETS = (7, 14, 30)
LONGEST = timedelta(days=366)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("leave", leave, filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(tapped, pattern=BUTTONS.pattern))


@guards.person()
async def leave(update: Update, ctx: Ctx) -> None:
    if ctx.args:
        until = _typed(ctx, ctx.args[0])
        if until is None:
            await ui.reply(update, ctx, "leave/bad_date", sent=ctx.args[0][:40])
            return
        await _set(ctx, until)
    status = await _status(ctx)
    await ui.reply(update, ctx, "leave/status", _markup(ctx, status["until"]), **status)


@guards.buttons(BUTTONS)
async def tapped(update: Update, ctx: Ctx, tap: Tap) -> None:
    until = None
    if tap.action == "days":
        if tap.args[0] not in PRESETS:
            await ui.stale(update.callback_query, ctx)
            return
        until = _end_of_day(ctx, ctx.now + timedelta(days=tap.args[0]))
    await _set(ctx, until)
    await ui.show(
        update.callback_query, ctx, "leave/status", _markup(ctx, until), **await _status(ctx)
    )


def _typed(ctx: Ctx, text: str) -> datetime | None:
    """A day (YYYY-MM-DD) from tomorrow to a year ahead: away until its end, local time."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None
    until = _end_of_day(ctx, day.replace(tzinfo=ctx.campaign.timezone))
    return until if ctx.now < until <= ctx.now + LONGEST else None


def _end_of_day(ctx: Ctx, moment: datetime) -> datetime:
    local = moment.astimezone(ctx.campaign.timezone)
    return datetime.combine(local.date(), time(23, 59), tzinfo=ctx.campaign.timezone)


async def _set(ctx: Ctx, until: datetime | None) -> None:
    async with ctx.write() as tx:
        await people.set_leave(tx, ctx.actor.user_id, until, by=ctx.actor.user_id)


async def _status(ctx: Ctx) -> dict:
    person = await people.get(ctx.db, ctx.actor.user_id)
    away = person is not None and person.on_leave(ctx.now)
    return {"until": person.leave_until if away else None}


def _markup(ctx: Ctx, until: datetime | None):
    """Away: the way back; here: how long to be away."""
    label = ctx.msgs.label
    if until is not None:
        return ui.keyboard([[(label(ctx.locale, "leave_back"), BUTTONS.data("back"))]])
    return ui.keyboard(
        [[(label(ctx.locale, "leave_days", days=d), BUTTONS.data("days", d)) for d in PRESETS]]
    )
