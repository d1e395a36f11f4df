"""/nominations: a unit secretary picks which submitted applications to nominate, within quota.

/nominations ─▶ (unit?) ─▶ list ─▶ application ─▶ Nominate | Return with comment | Un-nominate
"""

from __future__ import annotations

import functools
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    filters,
)

from bot import applications as rules
from bot.access import Actor
from bot.core import Ctx
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, Step
from handlers import application_files, application_view, flow_input, guards, ui
from handlers.application_buttons import UNIT
from handlers.callbacks import Handler
from storage import applications, flows, orgs
from storage.applications import Application as App
from storage.orgs import Project

RETURN_FLOW = "return_comment"
BUTTONS = UNIT
LISTED = ("submitted", "nominated", "returned", "accepted", "declined")
COMMENT_LIMIT = 1000


def register(app: Application) -> None:
    app.add_handler(CommandHandler("nominations", nominations, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))
    flow_input.declare(app, _RETURN)


@guards.person()
async def nominations(update: Update, ctx: Ctx) -> None:
    units = sorted(ctx.actor.secretary_units())
    if not units:
        await ui.reply(update, ctx, "nominate/not_secretary")
        return
    if len(units) == 1:
        await ui.reply(update, ctx, "nominate/list", **await _list(ctx, units[0], 0))
        return
    choices = await orgs.units_by_ids(ctx.db, units)
    buttons = [[b] for b in ui.choices(ctx, choices, lambda id_: BUTTONS.data("list", id_, 0))]
    await ui.reply(update, ctx, "nominate/choose_unit", ui.keyboard(buttons))


async def _list(ctx: Ctx, unit_id: int, page: int) -> dict[str, Any]:
    unit = await orgs.unit(ctx.db, unit_id)
    listed = await applications.listed(ctx.db, LISTED, unit_id=unit_id)
    items = [
        (
            ctx.msgs.label(
                ctx.locale,
                "application_item",
                name=item.project_name,
                status=ctx.msgs.label(ctx.locale, f"status_{item.application.status}"),
            ),
            BUTTONS.data("show", item.application.id),
        )
        for item in listed
    ]
    rows, shown, pages = ui.paged(ctx, items, page, lambda to: BUTTONS.data("list", unit_id, to))
    used, total = await rules.places(ctx.db, unit_id, ctx.campaign.quota)
    return {
        "markup": ui.keyboard(rows),
        "unit": unit,
        "used": used,
        "total": total,
        "count": len(listed),
        "page": shown,
        "pages": pages,
        "stage": ctx.campaign.stage("apply"),
        "open": ctx.campaign.is_open("apply", ctx.now),
    }


@BUTTONS.on("start")
async def _start(update: Update, ctx: Ctx) -> None:
    await update.callback_query.answer()
    await nominations(update, ctx)


def _secretary_of(actor: Actor, named: tuple[App, Project]) -> bool:
    return actor.is_secretary_of(named[1].unit_id)


def _own_unit(step: Handler) -> Handler:
    """Server side, every time: the button may name another unit's application. The step
    is given the application's id: it reads the application again in its own write."""

    @functools.wraps(step)
    @guards.on_object(application_files.with_project, _secretary_of)
    async def checked(update: Update, ctx: Ctx, named: tuple[App, Project], *args: Any) -> None:
        await step(update, ctx, named[0].id, *args)

    return checked


@BUTTONS.on("list")
async def _show_list(update: Update, ctx: Ctx, unit_id: int, page: int) -> None:
    if not ctx.actor.is_secretary_of(unit_id):
        await ui.not_allowed(update.callback_query, ctx)
        return
    listing = await _list(ctx, unit_id, page)
    await ui.show(update.callback_query, ctx, "nominate/list", listing.pop("markup"), **listing)


async def _readable(update: Update, ctx: Ctx, application_id: int) -> App | None:
    application = await applications.get(ctx.db, application_id)
    if application.status not in LISTED:  # a lead's draft is theirs until submitted
        await ui.not_allowed(update.callback_query, ctx)
        return None
    return application


async def _card(
    update: Update, ctx: Ctx, application: App, done: str = "", *, in_place: bool = False
) -> None:
    """The application in short, what the secretary can do with it now, and the way to the
    next one waiting for the unit's decision; `in_place` edits the message tapped."""
    project = await orgs.project(ctx.db, application.project_id)
    label = ctx.msgs.label
    rows = []
    if application.status == "submitted":
        rows.append([(label(ctx.locale, "nominate"), BUTTONS.data("nominate", application.id))])
        rows.append([(label(ctx.locale, "return"), BUTTONS.data("return_", application.id))])
    elif application.status == "nominated":
        rows.append([(label(ctx.locale, "unnominate"), BUTTONS.data("unnominate", application.id))])
    answers = await applications.answers(ctx.db, application.id)
    rows.append(
        application_view.reading_row(
            ctx, application, answers, BUTTONS.data("full", application.id)
        )
    )
    waiting = await applications.listed(ctx.db, ("submitted",), unit_id=project.unit_id)
    rows.append(application_view.next_row(ctx, waiting, application, partial(BUTTONS.data, "next")))
    rows.append([(label(ctx.locale, "back_to_list"), BUTTONS.data("list", project.unit_id, 0))])
    used, total = await rules.places(ctx.db, project.unit_id, ctx.campaign.quota)
    context = dict(
        application=application,
        project=project,
        unit=await orgs.unit(ctx.db, project.unit_id),
        summary=rules.summary(ctx.campaign.sections, answers),
        used=used,
        total=total,
        done=done,
    )
    if in_place:
        await ui.edit(update.callback_query, ctx, "nominate/actions", ui.keyboard(rows), **context)
    else:
        await ui.reply(update, ctx, "nominate/actions", ui.keyboard(rows), **context)


@BUTTONS.on("nominate")
@_own_unit
@guards.stage_open(application_view.STAGE)
async def _nominate(update: Update, ctx: Ctx, application_id: int) -> None:
    query = update.callback_query
    async with ctx.write() as tx:
        # Counted and changed in one write transaction: two secretaries tapping at once are
        # served one after the other, so the quota can't be overrun.
        application = await applications.get(tx, application_id)
        project = await orgs.project(tx, application.project_id)
        used, total = await rules.places(tx, project.unit_id, ctx.campaign.quota)
        full = used >= total
        moved = not full and await application_view.decide(
            ctx, tx, application, "nominated", ("submitted",), "nominate/told_nominated"
        )
    if full:
        await ui.alert(query, ctx, "nominate/full", used=used, total=total)
        return
    if not moved:
        await ui.alert(query, ctx, "nominate/already", status=application.status)
        return
    await query.answer()
    await _card(update, ctx, moved, done="nominated", in_place=True)


@BUTTONS.on("unnominate")
@_own_unit
@guards.stage_open(application_view.STAGE)
async def _unnominate(update: Update, ctx: Ctx, application_id: int) -> None:
    query = update.callback_query
    application = await applications.get(ctx.db, application_id)
    async with ctx.write() as tx:
        moved = await application_view.decide(
            ctx, tx, application, "submitted", ("nominated",), "nominate/told_unnominated"
        )
    if not moved:
        await ui.alert(query, ctx, "nominate/already", status=application.status)
        return
    await query.answer()
    await _card(update, ctx, moved, done="unnominated", in_place=True)


# Returned after the deadline, it could never come back: refused like a nomination.
@BUTTONS.on("return_")
@_own_unit
@guards.stage_open(application_view.STAGE)
async def _ask_comment(update: Update, ctx: Ctx, application_id: int) -> None:
    query = update.callback_query
    application = await applications.get(ctx.db, application_id)
    if application.status != "submitted":
        await ui.alert(query, ctx, "nominate/already", status=application.status)
        return
    async with ctx.write() as tx:
        await flows.begin(tx, ctx.actor.user_id, RETURN_FLOW, "comment", app=application_id)
    await query.answer()
    project = await orgs.project(ctx.db, application.project_id)
    await ui.reply(update, ctx, "nominate/ask_comment", project=project)


async def comment_written(update: Update, ctx: Ctx) -> None:
    """The comment for a returned application (while in that flow)."""
    comment = update.effective_message.text
    application = await applications.get(ctx.db, ctx.flow.data.get("app", 0))
    project = await orgs.project(ctx.db, application.project_id) if application else None
    allowed = project is not None and ctx.actor.is_secretary_of(project.unit_id)
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
        moved = allowed and await application_view.decide(
            ctx,
            tx,
            application,
            "returned",
            ("submitted",),
            "nominate/told_returned",
            comment=comment,
        )
    if not allowed:
        await ui.reply(update, ctx, "common/stale")
        return
    if not moved:
        await ui.reply(update, ctx, "nominate/already", status=application.status)
        return
    await _card(update, ctx, moved, done="returned")


application_view.card_steps(BUTTONS, _readable, _card, guard=_own_unit)

_RETURN = Flow(
    RETURN_FLOW,
    {
        "comment": Step(
            Accepts.TEXT,
            "nominate/comment_as_text",
            comment_written,
            expires=PROMPT_EXPIRY,
            max_chars=COMMENT_LIMIT,
        )
    },
    allowed=lambda actor: bool(actor.secretary_units()),
    stage=application_view.STAGE,
    own_tap=lambda data: False,  # any tap ends the prompt: a later text returns nothing
)
