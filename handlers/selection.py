"""/applications: the organiser sees every unit and accepts or declines nominations.

/applications ─▶ overview ─▶ nominated application ─▶ Accept ─▶ Yes, accept
                                                     └▶ Decline ─▶ the reason ─▶ Yes, decline

A decline can't be undone either: the reason typed waits in the flow for its confirmation.
The prompt ends when the admin taps anything else (`Flow.own_tap`).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, filters

from bot import applications as rules
from bot.core import Ctx
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, Step
from bot.rules import unit_quota
from handlers import application_view, flow_input, guards, ui
from handlers.callbacks import Buttons
from storage import applications, flows, orgs
from storage.applications import Application as App

log = logging.getLogger(__name__)
DECLINE_FLOW = "decline_reason"
BUTTONS = Buttons(
    "sl",
    command="applications",
    start=("s", ()),  # as /applications: under a reminder that nominations are waiting
    page=("p", (int,)),
    show=("a", (int,)),  # an application, here and below
    accept=("y", (int,)),  # asks once more: an acceptance can't be undone
    accept_yes=("c", (int,)),
    actions=("b", (int,)),  # back from that question to the application's actions
    decline=("n", (int,)),  # asks for the reason, then once more
    decline_yes=("d", (int,)),
    full=("f", (int,)),  # its whole text, then the card again under it
    next=("x", (int,)),  # the card turns into this (next waiting) one
)
REASON_LIMIT = 1000


def register(app: Application) -> None:
    app.add_handler(CommandHandler("applications", overview, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, guards.admin))
    flow_input.declare(app, _DECLINE)


@guards.person(guards.admin, "select/not_admin")
async def overview(update: Update, ctx: Ctx) -> None:
    markup, context = await _overview(ctx, 0)
    await ui.reply(update, ctx, "select/overview", markup, **context)


async def _overview(ctx: Ctx, page: int) -> tuple[InlineKeyboardMarkup | None, dict[str, Any]]:
    """Every unit's tally (those with nothing sent first), and one page of the nominations
    waiting for a decision."""
    units = [
        (
            orgs.Unit(tally.unit_id, tally.unit_code, tally.unit_name),
            tally,
            unit_quota(tally.projects, ctx.campaign.quota),
        )
        for tally in await applications.tallies(ctx.db)
    ]
    waiting = await applications.listed(ctx.db, ("nominated",))
    items = [(item.project_name, BUTTONS.data("show", item.application.id)) for item in waiting]
    rows, _, _ = ui.paged(ctx, items, page, lambda to: BUTTONS.data("page", to))
    context = {
        "silent": [unit for unit, tally, _ in units if not tally.anything_sent],
        "units": [entry for entry in units if entry[1].anything_sent],
        "waiting": len(waiting),
        "stage": ctx.campaign.stage("apply"),
    }
    return ui.keyboard(rows), context


@BUTTONS.on("start")
async def _start(update: Update, ctx: Ctx) -> None:
    await update.callback_query.answer()
    await overview(update, ctx)


@BUTTONS.on("page")
async def _page(update: Update, ctx: Ctx, page: int) -> None:
    # Only the buttons change: the overview above them may be several messages long.
    markup, _ = await _overview(ctx, page)
    await update.callback_query.answer()
    await ui.edit_buttons(update.callback_query, markup, ctx)


def _draft(application: App) -> bool:
    return application.status == "draft"  # the lead's alone until submitted, forged data or not


async def _readable(update: Update, ctx: Ctx, application_id: int) -> App | None:
    application = await applications.get(ctx.db, application_id)
    if application is None:
        await ui.stale(update.callback_query, ctx)
        return None
    if _draft(application):
        await ui.not_allowed(update.callback_query, ctx)
        return None
    return application


async def _card(
    update: Update, ctx: Ctx, application: App, done: str = "", *, in_place: bool = False
) -> None:
    """The application in short, with what the organiser can do with it and the way to the
    next one waiting; `in_place` turns the message the button sat on into it."""
    project = await orgs.project(ctx.db, application.project_id)
    unit = await orgs.unit(ctx.db, project.unit_id)
    answers = await applications.answers(ctx.db, application.id)
    label = ctx.msgs.label
    rows = []
    if application.status == "nominated":
        rows.append([(label(ctx.locale, "accept"), BUTTONS.data("accept", application.id))])
        rows.append([(label(ctx.locale, "decline"), BUTTONS.data("decline", application.id))])
    rows.append(
        application_view.reading_row(
            ctx, application, answers, BUTTONS.data("full", application.id)
        )
    )
    waiting = await applications.listed(ctx.db, ("nominated",))
    rows.append(application_view.next_row(ctx, waiting, application, partial(BUTTONS.data, "next")))
    context = {
        "application": application,
        "project": project,
        "unit": unit,
        "summary": rules.summary(ctx.campaign.sections, answers),
        "done": done,
        "left": len(waiting),
    }
    if in_place:
        await ui.edit(update.callback_query, ctx, "select/actions", ui.keyboard(rows), **context)
    else:
        await ui.reply(update, ctx, "select/actions", ui.keyboard(rows), **context)


def _confirm_markup(ctx: Ctx, action: str, application_id: int) -> InlineKeyboardMarkup:
    """Yes (`action`, which acts), or back to the application's actions."""
    label = ctx.msgs.label
    return ui.keyboard(
        [
            [(label(ctx.locale, action), BUTTONS.data(action, application_id))],
            [(label(ctx.locale, "back"), BUTTONS.data("actions", application_id))],
        ]
    )


@BUTTONS.on("accept")
async def _ask_accept(update: Update, ctx: Ctx, application_id: int) -> None:
    application = await applications.get(ctx.db, application_id)
    if application is None or application.status != "nominated":
        await ui.alert(update.callback_query, ctx, "select/already")
        return
    project = await orgs.project(ctx.db, application.project_id)
    markup = _confirm_markup(ctx, "accept_yes", application.id)
    await ui.show(
        update.callback_query,
        ctx,
        "select/accept_confirm",
        markup,
        project=project,
        unit=await orgs.unit(ctx.db, project.unit_id),
    )


@BUTTONS.on("actions")
@guards.on_object(guards.row(applications.get), lambda _, application: not _draft(application))
async def _back_to_actions(update: Update, ctx: Ctx, application: App) -> None:
    await update.callback_query.answer()
    await _card(update, ctx, application, in_place=True)


@BUTTONS.on("accept_yes")
async def _accept(update: Update, ctx: Ctx, application_id: int) -> None:
    query = update.callback_query
    application = await applications.get(ctx.db, application_id)
    moved = None
    if application is not None:
        async with ctx.write() as tx:
            moved = await application_view.decide(
                ctx, tx, application, "accepted", ("nominated",), "select/told_accepted"
            )
    if not moved:
        await ui.alert(query, ctx, "select/already")
        return
    await query.answer()
    await _card(update, ctx, moved, done="accepted", in_place=True)


@BUTTONS.on("decline")
async def _ask_reason(update: Update, ctx: Ctx, application_id: int) -> None:
    query = update.callback_query
    application = await applications.get(ctx.db, application_id)
    if application is None or application.status != "nominated":
        await ui.alert(query, ctx, "select/already")
        return
    async with ctx.write() as tx:
        await flows.begin(tx, ctx.actor.user_id, DECLINE_FLOW, "reason", app=application_id)
    await query.answer()
    project = await orgs.project(ctx.db, application.project_id)
    await ui.reply(update, ctx, "select/ask_reason", project=project)


async def reason_written(update: Update, ctx: Ctx) -> None:
    """The reason for a decline (the flow lets only admins, and only text within bounds, in):
    kept in the flow, and asked about once more. Typed again, it is the new reason."""
    reason = update.effective_message.text
    application = await applications.get(ctx.db, ctx.flow.data.get("app", 0))
    if application is None or application.status != "nominated":
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "common/stale" if application is None else "select/already")
        return
    async with ctx.write() as tx:
        await flows.go(tx, ctx.actor.user_id, "confirm")
        await flows.note(tx, ctx.actor.user_id, reason=reason)
    project = await orgs.project(ctx.db, application.project_id)
    markup = _confirm_markup(ctx, "decline_yes", application.id)
    await ui.reply(
        update,
        ctx,
        "select/decline_confirm",
        markup,
        project=project,
        unit=await orgs.unit(ctx.db, project.unit_id),
        reason=reason,
    )


@BUTTONS.on("decline_yes")
async def _decline(update: Update, ctx: Ctx, application_id: int) -> None:
    """Yes, decline: with the reason the flow kept for this very application."""
    query = update.callback_query
    position = ctx.flow
    waiting = position is not None and position.flow == DECLINE_FLOW
    if not waiting or position.step != "confirm" or position.data.get("app") != application_id:
        await ui.stale(query, ctx)
        return
    application = await applications.get(ctx.db, application_id)
    moved = None
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
        if application is not None:
            moved = await application_view.decide(
                ctx,
                tx,
                application,
                "declined",
                ("nominated",),
                "select/told_declined",
                comment=position.data.get("reason", ""),
            )
    if not moved:
        await ui.alert(query, ctx, "select/already")
        return
    await query.answer()
    await _card(update, ctx, moved, done="declined", in_place=True)


def _own_tap(data: str | None) -> bool:
    """Only "Yes, decline" acts within the decline: any other tap ends its prompt."""
    tap = BUTTONS.parse(data)
    return tap is not None and tap.action == "decline_yes"


_DECLINE = Flow(
    DECLINE_FLOW,
    {
        "reason": Step(
            Accepts.TEXT,
            "nominate/comment_as_text",
            reason_written,
            expires=PROMPT_EXPIRY,
            max_chars=REASON_LIMIT,
        ),
        "confirm": Step(
            Accepts.TEXT,
            "nominate/comment_as_text",
            reason_written,
            expires=PROMPT_EXPIRY,
            max_chars=REASON_LIMIT,
        ),
    },
    allowed=guards.admin,
    own_tap=_own_tap,
)

application_view.card_steps(BUTTONS, _readable, _card)
