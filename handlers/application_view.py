"""Showing a whole application: shared by the lead's preview, the unit's and the organiser's."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import applications as rules
from bot.core import Ctx
from handlers import ui
from storage import applications, orgs
from storage.applications import Application


async def refuse_if_closed(update: Update, ctx: Ctx) -> bool:
    """After the application deadline: say so, naming it (a pop-up for a button, else a
    message), and tell the caller to change nothing."""
    if ctx.campaign.is_open("apply", ctx.now):
        return False
    stage = ctx.campaign.stage("apply")
    if update.callback_query:
        await ui.alert(update.callback_query, ctx, "apply/closed", stage=stage)
    else:
        await ui.reply(update, ctx, "apply/closed", stage=stage)
    return True


async def send(
    update: Update,
    ctx: Ctx,
    application: Application,
    markup: InlineKeyboardMarkup | None = None,
    *,
    editable: bool = False,
    **extra: Any,
) -> None:
    """The application over as many messages as it needs; the buttons go under the last."""
    answers = await applications.answers(ctx.db, application.id)
    sections = ctx.campaign.sections
    await ui.reply(
        update,
        ctx,
        "apply/preview",
        markup,
        project=await orgs.project(ctx.db, application.project_id),
        application=application,
        sections=sections,
        answers=answers,
        missing=rules.missing_required(sections, answers),
        editable=editable,
        **extra,
    )
