"""/language: pick one of the three locales with a button."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.core import Ctx
from bot.locale import LOCALES
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import people

BUTTONS = Buttons("lang", command="language", choose=("set", (str,)))
_BY_LOWER = {code.lower(): code for code in LOCALES}  # keys on the wire are lower case


def register(app: Application) -> None:
    app.add_handler(CommandHandler("language", choose))
    app.add_handler(guards.tapped(BUTTONS))


@guards.person()
async def choose(update: Update, ctx: Ctx) -> None:
    buttons = [
        (ctx.msgs.label(ctx.locale, f"locale_{code}"), BUTTONS.data("choose", code.lower()))
        for code in LOCALES
    ]
    await ui.reply(update, ctx, "language/choose", markup=ui.keyboard([buttons]))


@BUTTONS.on("choose")
async def chosen(update: Update, ctx: Ctx, key: str) -> None:
    query = update.callback_query
    code = _BY_LOWER.get(key)
    if code is None:
        await ui.stale(query, ctx)
        return
    async with ctx.write() as tx:
        await people.set_locale(tx, ctx.actor.user_id, code)
    ctx.actor = replace(ctx.actor, locale=code)
    await ui.show(query, ctx, "language/set")
    if update.effective_chat.type == "private":
        await ui.refresh_menu(ctx, ctx.actor)
