"""/leave: someone away says until when; reminders leave them be, and their groups don't name
them as missing. /leave 2027-01-20 in one go, or buttons."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.core import Ctx
from bot.rules import LEAVE_PRESETS, end_of_leave, parse_moment
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import people

BUTTONS = Buttons("lv", command="leave", days=("d", (int,)), back=("b", ()))
LONGEST = timedelta(days=366)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("leave", leave, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))


@guards.person()
async def leave(update: Update, ctx: Ctx) -> None:
    if ctx.args:
        typed = " ".join(ctx.args)
        until = _typed(ctx, typed)
        if until is None:
            await ui.reply(update, ctx, "leave/bad_date", sent=typed[:40])
            return
        await _set(ctx, until)
    status = await _status(ctx)
    await ui.reply(update, ctx, "leave/status", _markup(ctx, status["until"]), **status)


@BUTTONS.on("days")
async def _days(update: Update, ctx: Ctx, days: int) -> None:
    if days not in LEAVE_PRESETS:
        await ui.stale(update.callback_query, ctx)
        return
    await _tapped(update, ctx, end_of_leave(ctx.now + timedelta(days=days), ctx.campaign.timezone))


@BUTTONS.on("back")
async def _back(update: Update, ctx: Ctx) -> None:
    await _tapped(update, ctx, None)


async def _tapped(update: Update, ctx: Ctx, until: datetime | None) -> None:
    await _set(ctx, until)
    await ui.show(
        update.callback_query, ctx, "leave/status", _markup(ctx, until), **await _status(ctx)
    )


def _typed(ctx: Ctx, text: str) -> datetime | None:
    """A day as people type it or the bot prints it (bot.rules.parse_moment: 2027-01-20,
    1-20, 20 Jan (Wed)) from tomorrow to a year ahead: away until its end, local time."""
    day = parse_moment(text, ctx.campaign.local(ctx.now).date())
    if day is None:
        return None
    until = end_of_leave(day.replace(tzinfo=ctx.campaign.timezone), ctx.campaign.timezone)
    return until if ctx.now < until <= ctx.now + LONGEST else None


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
    presets = [
        (label(ctx.locale, "leave_days", days=d), BUTTONS.data("days", d)) for d in LEAVE_PRESETS
    ]
    return ui.keyboard([presets])
