"""📄 The application form as a Word template, for campaign admins and unit secretaries to
send out with the campaign notice: a button under /help, and under /apply for those who
don't write an application themselves. (A lead's own form, with the project's name, is the
📄 button in /apply's first section: handlers/apply_docx.py.)
"""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application

from bot import docx_template
from bot.access import Actor
from bot.core import Ctx
from handlers import guards, ui
from handlers.callbacks import Buttons

BUTTONS = Buttons("tf", command="help", send=("s", ()))


def register(app: Application) -> None:
    app.add_handler(guards.tapped(BUTTONS, may_get))


def may_get(actor: Actor) -> bool:
    """Those who send the form out: the campaign's admins and the units' secretaries."""
    return actor.is_admin or actor.has("secretary")


def keyboard(update: Update, ctx: Ctx) -> InlineKeyboardMarkup | None:
    """The 📄 button, for those who may get the form, in a private chat; else none."""
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    if not private or ctx.actor is None or not may_get(ctx.actor):
        return None
    return ui.keyboard([[(ctx.msgs.label(ctx.locale, "template_button"), BUTTONS.data("send"))]])


@BUTTONS.on("send")
async def send(update: Update, ctx: Ctx) -> None:
    query = update.callback_query
    await query.answer()
    words = docx_template.words(ctx.msgs, ctx.locale, ctx.campaign)
    data = await asyncio.to_thread(docx_template.build, ctx.campaign.sections, ctx.locale, words)
    filename = docx_template.filename(ctx.msgs, ctx.locale, ctx.campaign)
    await ctx.bot.send_document(
        query.message.chat.id if query.message else ctx.actor.user_id,
        InputFile(data, filename=filename),
        caption=ui.render(ctx, "help/template", form=words.title)[0],
    )
