"""A lead's answers to the section they are at: text, an amount, files and albums, and
edits of messages already sent. Each answer is written as it arrives."""

from __future__ import annotations

from telegram import Message, Update

from bot import applications as rules
from bot.campaign import Section
from bot.core import Ctx
from bot.rules import typed_budget
from handlers import application_view, apply_steps, guards, ui
from storage import applications, flows
from storage.applications import Application as App
from storage.applications import Part
from storage.db import Transaction

STAGE = application_view.STAGE


async def _answering(update: Update, ctx: Ctx) -> tuple[App, Section] | None:
    """The application and section a message answers, if the lead may still write it;
    otherwise the flow ends and the lead is told it is out of date."""
    application = await applications.get(ctx.db, ctx.flow.data.get("app", 0))
    section = rules.section_by_key(ctx.campaign.sections, ctx.flow.step)
    if (
        application is None
        or section is None
        or application.status not in rules.EDITABLE
        or not ctx.actor.is_lead_of(application.project_id)
    ):
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "common/stale")
        return None
    return application, section


def _taking(store):
    """A step's taker: the message, with the application and section it answers."""

    async def take(update: Update, ctx: Ctx) -> None:
        answering = await _answering(update, ctx)
        if answering is not None:
            await store(update, ctx, *answering)

    return take


async def _text(update: Update, ctx: Ctx, application: App, section: Section) -> None:
    message = update.effective_message
    part = Part(ctx.actor.user_id, message.message_id, "text", message.text)
    try:
        async with ctx.write() as tx:
            await applications.add_part(tx, application.id, section.key, part)
            await _within_size(tx, application, section)
    except _TooLong as too_long:
        await ui.reply(update, ctx, "apply/too_long", section=section, length=too_long.length)
        return
    answer = (await applications.answers(ctx.db, application.id)).get(section.key)
    await ui.live(
        ctx,
        update.effective_chat.id,
        "apply/saved_text",
        apply_steps.section_keyboard(ctx, application, section),
        live_for=f"answers:{section.key}",
        section=section,
        answer=answer,
    )


class _TooLong(Exception):
    """Raised inside the write to undo it: the answer would outgrow the section's limit."""

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length


async def _within_size(tx: Transaction, application: App, section: Section) -> None:
    length = await applications.text_length(tx, application.id, section.key)
    if length > section.max_chars:
        raise _TooLong(length)


async def _store(ctx: Ctx, application: App, section: Section, part: Part, unique=None) -> bool:
    async with ctx.write() as tx:
        return await applications.add_part(
            tx, application.id, section.key, part, file_unique_id=unique
        )


async def _number(update: Update, ctx: Ctx, application: App, section: Section) -> None:
    message = update.effective_message
    budget = typed_budget(message.text)  # the step takes only messages that state one
    amount = budget.amount
    if not budget.sure:  # several amounts without a total, or an implausible one: ask first
        await apply_steps.hold_amount(
            update,
            ctx,
            application,
            section,
            amount,
            text=message.text,
            message_id=message.message_id,
            word=False,
        )
        return
    async with ctx.write() as tx:
        await applications.clear_section(tx, application.id, section.key, by=ctx.actor.user_id)
        await applications.add_part(
            tx,
            application.id,
            section.key,
            Part(ctx.actor.user_id, message.message_id, "text", message.text),
        )
        await applications.set_state(
            tx, application.id, section.key, "done", by=ctx.actor.user_id, amount=amount
        )
        step = apply_steps.step_after(ctx, section)
        await apply_steps.enter(tx, ctx, application, step)
    await apply_steps.show_step(update, ctx, application, step, saved_amount=amount)


def _attachment(message: Message, author_id: int) -> tuple[Part, str] | None:
    """The file a message carries, as a stored part, and its unique id."""
    item = ui.attached(message)
    if item is None:
        return None
    part = Part(
        author_id, message.message_id, item.kind, item.caption, item.file_id, item.file_name
    )
    return part, item.file_unique_id


async def _file(update: Update, ctx: Ctx, application: App, section: Section) -> None:
    message = update.effective_message
    part, unique = _attachment(message, ctx.actor.user_id)  # the step takes only files
    answers = await applications.answers(ctx.db, application.id)
    count = len(answers[section.key].files) if section.key in answers else 0
    if count >= rules.MAX_ANSWER_PARTS:
        await ui.reply(update, ctx, "apply/too_many_files", limit=rules.MAX_ANSWER_PARTS)
        return
    await _store(ctx, application, section, part, unique)
    if message.media_group_id:
        _album_item(update, ctx, application, section)
        return
    await ui.live(
        ctx,
        update.effective_chat.id,
        "apply/saved_file",
        apply_steps.section_keyboard(ctx, application, section),
        live_for=f"answers:{section.key}",
        section=section,
        count=count + 1,
    )


def _album_item(update: Update, ctx: Ctx, application: App, section: Section) -> None:
    data = {"app": application.id, "section": section.key}
    ui.after_album(update, ctx, "album", _album_done, data)


async def _album_done(ctx: Ctx) -> None:
    job = ctx.job
    application = await applications.get(ctx.db, job.data["app"])
    section = rules.section_by_key(ctx.campaign.sections, job.data["section"])
    answer = (await applications.answers(ctx.db, application.id)).get(section.key)
    await ui.live(
        ctx,
        job.chat_id,
        "apply/saved_album",
        apply_steps.section_keyboard(ctx, application, section),
        live_for=f"answers:{section.key}",
        section=section,
        items=job.data["items"],
        count=len(answer.files) if answer else 0,
    )


async def edit_answer(update: Update, ctx: Ctx) -> bool:
    """An edited message that is part of an answer: the stored answer follows the edit."""
    message = update.edited_message
    found = await applications.part_of_message(
        ctx.db, ctx.actor.user_id, message.message_id, rules.EDITABLE
    )
    if found is None:
        return False
    application = await applications.get(ctx.db, found[0])
    section = rules.section_by_key(ctx.campaign.sections, found[1])
    if section is None or not ctx.actor.is_lead_of(application.project_id):
        return False
    if message.document is not None and section.kind != "files":
        return False  # a Word file's caption: its sections came from the file, not the caption
    if await guards.refuse_if_shut(update, ctx, STAGE):
        return True
    text = message.text if message.text is not None else message.caption or ""
    budget = typed_budget(text) if section.kind == "number" else None
    amount = budget.amount if budget is not None else None
    if section.kind == "number" and amount is None:
        # The old amount stays: an edit must not leave the text and the number disagreeing.
        await ui.reply(update, ctx, "apply/wants_number", section=section, sent=text[:100])
        return True
    try:
        async with ctx.write() as tx:
            await applications.replace_text(
                tx, application.id, ctx.actor.user_id, message.message_id, text
            )
            await _within_size(tx, application, section)
            if amount is not None:
                await applications.set_state(
                    tx, application.id, section.key, "done", by=ctx.actor.user_id, amount=amount
                )
    except _TooLong as too_long:
        # The stored answer stays as it was before the edit.
        await ui.reply(update, ctx, "apply/too_long", section=section, length=too_long.length)
        return True
    await ui.reply(update, ctx, "apply/edit_saved", section=section)
    return True


# What each kind of section takes, for the flow's steps (handlers/apply.py).
take_text = _taking(_text)
take_number = _taking(_number)
take_file = _taking(_file)
