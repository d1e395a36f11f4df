"""Recusal: a reviewer withdraws from a candidate, with a reason (🙅 on the scoring card, or
`/recuse CODE reason`); the admins are told and can give the candidate another reviewer."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.core import Ctx
from handlers import guards, ui
from handlers.callbacks import Buttons

BUTTONS = Buttons(
    "rc",
    command="review",
    ask=("a", (int,)),  # recuse from this review: ask the reason
)


def register(app: Application) -> None:
    app.add_handler(guards.tapped(BUTTONS))


def button(ctx: Ctx, review_id: int) -> ui.Button:
    """🙅 on a scoring card."""
    return ctx.msgs.label(ctx.locale, "recuse"), BUTTONS.data("ask", review_id)


@BUTTONS.on("ask")
async def _ask(update: Update, ctx: Ctx, review_id: int) -> None:
    await ui.not_allowed(update.callback_query, ctx)  # built in the recusal's own change
