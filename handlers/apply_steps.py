"""Where a lead is in /apply, and what they see there: a section, or the preview.

Written in the same transaction as the answer that moves them (`flows`), so a restart (or
/apply days later) continues at the same section.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import applications as rules
from bot.campaign import Section
from bot.core import Ctx
from bot.rules import budget_doubt
from handlers import application_view, ui
from handlers.application_buttons import LEAD as BUTTONS
from handlers.application_buttons import WORD
from storage import applications, flows
from storage.applications import Application as App
from storage.db import Transaction

FLOW = "apply"
PREVIEW = "preview"


def form_button(ctx: Ctx, application: App) -> ui.Button:
    """The Word form of the application, offered where a lead might rather write offline."""
    return (ctx.msgs.label(ctx.locale, "word_form"), WORD.data("form", application.id))


def in_flow(ctx: Ctx) -> bool:
    return ctx.flow is not None and ctx.flow.flow == FLOW


def section_keyboard(ctx: Ctx, application: App, section: Section) -> InlineKeyboardMarkup:
    def data(action: str) -> str:
        return BUTTONS.data(action, application.id, section.key)

    label = ctx.msgs.label
    rows = []
    if section.kind != "number":
        rows.append([(label(ctx.locale, "done"), data("done"))])
    # Nowhere to go back to from the first section: the Word form is offered there instead.
    first = section.key == ctx.campaign.sections[0].key
    nav = [form_button(ctx, application)] if first else []
    if not first:
        nav.append((label(ctx.locale, "back"), data("back")))
    if not section.required:
        nav.append((label(ctx.locale, "skip"), data("skip")))
    rows.append(nav)
    rows.append(
        [
            (label(ctx.locale, "save_exit"), data("save_exit")),
            (label(ctx.locale, "preview"), BUTTONS.data("preview", application.id)),
        ]
    )
    return ui.keyboard(rows)


async def enter(
    tx: Transaction, ctx: Ctx, application: App, step: str, *, back_to_preview: bool = False
) -> None:
    """Where the lead now is (a section's key, or the preview): written in the same
    transaction as the answer that moved them there. The live message goes along."""
    live = ctx.flow.data if in_flow(ctx) else {}
    await flows.begin(
        tx,
        ctx.actor.user_id,
        FLOW,
        step,
        app=application.id,
        back_to_preview=back_to_preview,
        **{key: live[key] for key in ("live", "live_for", "live_shows") if key in live},
    )


def step_after(ctx: Ctx, section: Section) -> str:
    """After a section: back to the preview if it was opened from there, else onwards."""
    following = rules.neighbour(ctx.campaign.sections, section.key, +1)
    if (ctx.flow and ctx.flow.data.get("back_to_preview")) or following is None:
        return PREVIEW
    return following.key


async def hold_amount(
    update: Update,
    ctx: Ctx,
    application: App,
    section: Section,
    amount: Decimal,
    *,
    text: str,
    message_id: int,
    word: bool,
) -> None:
    """An amount read with doubt (several in the text, or implausible) is not stored yet: it
    waits in the flow, at its section, while the lead confirms it or types it (the buttons
    are apply_docx's). `word`: read from a Word file, so the preview follows."""
    pending = {
        "section": section.key,
        "amount": str(amount),
        "text": text,
        "message": message_id,
        "word": word,
    }
    async with ctx.write() as tx:
        here = in_flow(ctx) and ctx.flow.step == section.key
        if not here or ctx.flow.data.get("app") != application.id:
            await enter(tx, ctx, application, section.key)
        await flows.note(tx, ctx.actor.user_id, pending=pending)
    label = ctx.msgs.label
    buttons = [
        (label(ctx.locale, "amount_ok"), WORD.data("amount_ok", application.id)),
        (label(ctx.locale, "amount_retype"), WORD.data("amount_retype", application.id)),
    ]
    await ui.reply(
        update,
        ctx,
        "apply/amount_confirm",
        ui.keyboard([buttons]),
        section=section,
        amount=amount,
        doubt=budget_doubt(amount) or "several",
    )


def held_amount(ctx: Ctx, application: App) -> tuple[Section, dict[str, Any]] | None:
    """The amount waiting for the lead's confirmation, and its section, if the lead is still
    there."""
    if not in_flow(ctx) or ctx.flow.data.get("app") != application.id:
        return None
    pending = ctx.flow.data.get("pending")
    if not isinstance(pending, dict) or ctx.flow.step != pending.get("section"):
        return None
    section = rules.section_by_key(ctx.campaign.sections, pending["section"])
    return (section, pending) if section is not None else None


async def show_step(update: Update, ctx: Ctx, application: App, step: str, **extra) -> None:
    if step == PREVIEW:
        fixed = fixed_section(ctx)
        if fixed is not None:
            await application_view.send_fixed(update, ctx, application, fixed, **extra)
            return
        await show_preview(update, ctx, application, editable=True, **extra)
        return
    section = rules.section_by_key(ctx.campaign.sections, step)
    await show_section(update, ctx, application, section, **extra)


def fixed_section(ctx: Ctx) -> Section | None:
    """The section the lead opened from the preview to fix, while they are at it."""
    if not (in_flow(ctx) and ctx.flow.data.get("back_to_preview")):
        return None
    return rules.section_by_key(ctx.campaign.sections, ctx.flow.step)


async def ask(
    update: Update, ctx: Ctx, application: App, section: Section, back_to_preview: bool = False
) -> None:
    """Remember that the lead is at a section, and show it."""
    async with ctx.write() as tx:
        await enter(tx, ctx, application, section.key, back_to_preview=back_to_preview)
    await show_section(update, ctx, application, section)


async def show_section(
    update: Update, ctx: Ctx, application: App, section: Section, **extra
) -> None:
    answers = await applications.answers(ctx.db, application.id)
    sections = ctx.campaign.sections
    await ui.live(
        ctx,
        update.effective_chat.id,
        "apply/section",
        section_keyboard(ctx, application, section),
        live_for=f"prompt:{section.key}",
        fresh=asked_for(update),
        section=section,
        number=[s.key for s in sections].index(section.key) + 1,
        total=len(sections),
        answer=answers.get(section.key),
        **extra,
    )


def asked_for(update: Update) -> bool:
    """A command (/apply), or the button that stands for it under a notice: the answer comes
    as a new message, not as an edit further up."""
    message, query = update.message, update.callback_query
    if query is not None:
        return query.data == BUTTONS.data("resume")
    return message is not None and (message.text or "").startswith("/")


def open_now(ctx: Ctx) -> bool:
    return ctx.campaign.is_open("apply", ctx.now)


async def preview(update: Update, ctx: Ctx, application: App) -> None:
    editable = application.status in rules.EDITABLE and open_now(ctx)
    if editable:
        async with ctx.write() as tx:
            await enter(tx, ctx, application, PREVIEW)
    await show_preview(update, ctx, application, editable=editable)


async def preview_after_import(update: Update, ctx: Ctx, application: App) -> None:
    """The preview, as a new message, once a Word file has filled sections in."""
    async with ctx.write() as tx:
        await enter(tx, ctx, application, PREVIEW)
    await show_preview(update, ctx, application, editable=True, fresh=True)


async def show_preview(
    update: Update,
    ctx: Ctx,
    application: App,
    *,
    editable: bool,
    fresh: bool | None = None,
    **extra: Any,
) -> None:
    rows: list[list[ui.Button]] = []
    if editable:
        edits = [
            (
                ctx.msgs.label(ctx.locale, "edit_section", number=i),
                BUTTONS.data("edit", application.id, s.key),
            )
            for i, s in enumerate(ctx.campaign.sections, start=1)
        ]
        rows = [edits[i : i + 4] for i in range(0, len(edits), 4)]
        rows.append(
            [(ctx.msgs.label(ctx.locale, "submit"), BUTTONS.data("submit", application.id))]
        )
    markup = ui.keyboard(rows)
    await application_view.send(
        update,
        ctx,
        application,
        markup,
        editable=editable,
        live_for="preview",
        fresh=asked_for(update) if fresh is None else fresh,
        **extra,
    )
