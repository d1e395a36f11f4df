"""Edited messages: a flow that stored the message takes the edit; otherwise we say so.

Runs in group -2, before anything else that could mistake an edited command for a new one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.core import Ctx
from handlers import ui

# Returns True when it recognised the message as one it stored, and dealt with the edit.
EditTaker = Callable[[Update, Ctx], Awaitable[bool]]


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, _edited), group=-2)


def take(app: Application, taker: EditTaker) -> None:
    app.bot_data.edit_takers.append(taker)


async def _edited(update: Update, ctx: Ctx) -> None:
    if ctx.actor is not None and update.effective_chat.type == "private":
        for taker in ctx.core.edit_takers:
            if await taker(update, ctx):
                raise ApplicationHandlerStop
        await ui.reply(update, ctx, "fallback/edited")
    raise ApplicationHandlerStop  # an edit is never a new command or answer
