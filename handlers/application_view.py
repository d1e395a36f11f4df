"""Showing a whole application: shared by the lead's preview, the unit's and the organiser's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update

from bot import applications as rules
from bot import notices
from bot.access import Actor
from bot.campaign import Section
from bot.core import Ctx
from bot.flow import StageGuard
from handlers import application_files, guards, ui
from handlers.application_buttons import LEAD, UNIT
from handlers.callbacks import Buttons, Handler
from storage import applications, orgs
from storage.applications import Answer, Application, Listed
from storage.db import Transaction
from storage.outbox import Cause

# Applications are written, submitted, nominated and returned only while this stage is open.
STAGE = StageGuard("apply", before="apply/not_yet", after="apply/closed")


async def send(
    update: Update,
    ctx: Ctx,
    application: Application,
    markup: InlineKeyboardMarkup | None = None,
    *,
    editable: bool = False,
    live_for: str | None = None,
    fresh: bool = False,
    **extra: Any,
) -> None:
    """The application over as many messages as it needs; the buttons go under the last.
    With `live_for`, it is the flow's live message (see ui.live)."""
    answers = await applications.answers(ctx.db, application.id)
    sections = ctx.campaign.sections
    context = dict(
        project=await orgs.project(ctx.db, application.project_id),
        application=application,
        sections=sections,
        answers=answers,
        missing=rules.missing_required(sections, answers),
        editable=editable,
        **extra,
    )
    if live_for is not None:
        chat_id = update.effective_chat.id
        await ui.live(
            ctx, chat_id, "apply/preview", markup, live_for=live_for, fresh=fresh, **context
        )
    else:
        await ui.reply(update, ctx, "apply/preview", markup, **context)


async def send_fixed(
    update: Update, ctx: Ctx, application: Application, section: Section, **extra: Any
) -> None:
    """After a fix from the preview: the section as it now reads and the whole in short (which
    sections are answered), with ✎ for another fix, the full preview and submit; the whole
    application again would take many messages after every fix."""
    answers = await applications.answers(ctx.db, application.id)
    sections = ctx.campaign.sections
    label = ctx.msgs.label
    edits = [
        (label(ctx.locale, "edit_section", number=i), LEAD.data("edit", application.id, s.key))
        for i, s in enumerate(sections, start=1)
    ]
    rows = [edits[i : i + 4] for i in range(0, len(edits), 4)]
    rows.append(
        [
            (label(ctx.locale, "preview"), LEAD.data("preview", application.id)),
            (label(ctx.locale, "submit"), LEAD.data("submit", application.id)),
        ]
    )
    markup = ui.keyboard(rows)
    await ui.live(
        ctx,
        update.effective_chat.id,
        "apply/preview_fixed",
        markup,
        live_for=f"fixed:{section.key}",
        project=await orgs.project(ctx.db, application.project_id),
        application=application,
        sections=sections,
        answers=answers,
        answered={s.key for s in sections if rules.has_content(s, answers.get(s.key))},
        missing=rules.missing_required(sections, answers),
        section=section,
        number=[s.key for s in sections].index(section.key) + 1,
        **extra,
    )


async def settle(query: CallbackQuery, ctx: Ctx, application: Application) -> None:
    """The preview a button sat on, shown as the application now stands (submitted, say);
    a preview long enough to take several messages just loses its buttons."""
    context = dict(
        project=await orgs.project(ctx.db, application.project_id),
        application=application,
        sections=ctx.campaign.sections,
        answers=await applications.answers(ctx.db, application.id),
        missing=[],
        editable=False,
    )
    if len(ui.render(ctx, "apply/preview", **context)) == 1:
        await ui.edit(query, ctx, "apply/preview", None, **context)
    else:
        await ui.edit_buttons(query, None, ctx)


def may_lead(actor: Actor, application: Application) -> bool:
    return actor.is_lead_of(application.project_id)


# A lead's button on an application: it exists (else out of date) and is theirs; with
# LEADS_OPEN, one that changes it also needs the stage open.
LEADS = guards.on_object(guards.row(applications.get), may_lead)
LEADS_OPEN = guards.on_object(guards.row(applications.get), may_lead, stage=STAGE)


def _as_is(step: Handler) -> Handler:
    return step


Readable = Callable[[Update, Ctx, int], Awaitable[Application | None]]
Card = Callable[..., Awaitable[None]]  # (update, ctx, application, *, in_place=False)


def card_steps(
    buttons: Buttons, readable: Readable, card: Card, guard: Callable[[Handler], Handler] = _as_is
) -> None:
    """The ways to a decision card, declared on `buttons`, the same for the unit and the
    organiser, given who may read which (`readable`) and how the card looks (`card`, which
    edits in place without answering the button): "show" it as a new message, "next" in
    place of the card tapped, "full" text first, with the card again under it and the old
    one inert; each step checked by `guard` first."""

    @buttons.on("show")
    @guard
    async def show(update: Update, ctx: Ctx, application_id: int) -> None:
        application = await readable(update, ctx, application_id)
        if application is not None:
            await update.callback_query.answer()
            await card(update, ctx, application)

    @buttons.on("next")
    @guard
    async def next_(update: Update, ctx: Ctx, application_id: int) -> None:
        application = await readable(update, ctx, application_id)
        if application is not None:
            await update.callback_query.answer()
            await card(update, ctx, application, in_place=True)

    @buttons.on("full")
    @guard
    async def full(update: Update, ctx: Ctx, application_id: int) -> None:
        application = await readable(update, ctx, application_id)
        if application is not None:
            await update.callback_query.answer()
            await ui.edit_buttons(update.callback_query, None, ctx)
            await send(update, ctx, application)
            await card(update, ctx, application)


def reading_row(
    ctx: Ctx, application: Application, answers: dict[str, Answer], full_data: str
) -> list[ui.Button]:
    """Under a decision card: 📄 the full text, and 📎 the files if there are any."""
    full = (ctx.msgs.label(ctx.locale, "full_text"), full_data)
    return [full, *application_files.button(ctx, application, answers)]


def next_row(
    ctx: Ctx, waiting: list[Listed], application: Application, data: Callable[[int], str]
) -> list[ui.Button]:
    """▶ the next application waiting for the same decision, if any is left."""
    following = rules.next_waiting(waiting, application)
    if following is None:
        return []
    name = ctx.msgs.label(ctx.locale, "next_item", name=following.project_name)
    return [(name, data(following.application.id))]


async def decide(
    ctx: Ctx,
    tx: Transaction,
    application: Application,
    to: str,
    allowed_from: tuple[str, ...],
    told: str,
    *,
    comment: str | None = None,
    leads: bool = True,
) -> Application | None:
    """Move an application if it is still in `allowed_from`, and, in the same transaction,
    tell its leads (unless `leads` is False) and the unit's secretaries with `told`; the
    application as it is now, or None if someone got there first."""
    moved = await applications.move(
        tx, application, to, by=ctx.actor.user_id, allowed_from=allowed_from, comment=comment
    )
    if not moved:
        return None
    application = await applications.get(tx, application.id)
    project = await orgs.project(tx, application.project_id)
    await notices.project_people(
        tx,
        ctx.core.writer,
        project,
        told,
        notices.cause(tx, Cause("application", application.id, to)),
        leads=leads,
        sender=ctx.actor.user_id,
        # Returned, it is the lead's to revise: the button opens it for that.
        lead_button=(
            ("revise_application", LEAD.data("open", project.id))
            if to == "returned"
            else ("open_application", LEAD.data("preview", application.id))
        ),
        secretary_button=("review_application", UNIT.data("show", application.id)),
        application=application,
        by=ctx.actor.person,
        lead=ctx.actor.person,
    )
    return application
