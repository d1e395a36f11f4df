"""/apply: a project lead writes the application, one section at a time, then submits it.

    /apply ─▶ (project?) ─▶ section 1 ─▶ … ─▶ section n ─▶ preview ─▶ submit
                              ▲  Back / Skip / Done  │       │ Edit section k
                              └──────────────────────┴───────┘
Every answer is written to SQLite as it arrives; where the lead is lives in `flows`, so a
restart (or /apply days later) continues at the same section.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from bot import applications as rules
from bot.campaign import Campaign, Section
from bot.core import Ctx
from bot.flow import Accepts, Flow, Step
from bot.rules import parse_amount
from handlers import application_view, apply_docx, edits, flow_input, guards, ui
from handlers.callbacks import Buttons, Tap
from storage import applications, flows, orgs
from storage.applications import Application as App
from storage.applications import Part
from storage.db import Transaction

FLOW = "apply"
PREVIEW = "preview"
# The application a button is for comes first; section buttons also name the section.
BUTTONS = Buttons(
    "ap",
    command="apply",
    open=("o", (int,)),  # a project (a lead of several chooses)
    resume=("r", ()),  # as /apply: under a notice that the lead has something left to do
    done=("d", (int, str)),
    skip=("s", (int, str)),
    back=("b", (int, str)),
    save_exit=("x", (int, str)),
    preview=("v", (int,)),
    edit=("e", (int, str)),
    submit=("u", (int,)),
    withdraw=("w", (int,)),
)


STAGE = application_view.STAGE


def register(app: Application) -> None:
    app.add_handler(CommandHandler("apply", apply_command, filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(tapped, pattern=BUTTONS.pattern))
    flow_input.declare(app, _FLOW)
    edits.take(app, edit_answer)


# --- entering ---------------------------------------------------------------------------------


@guards.person()
async def apply_command(update: Update, ctx: Ctx) -> None:
    led = sorted(ctx.actor.projects("lead"))
    if not led:
        await ui.reply(update, ctx, "apply/not_lead")
        return
    if len(led) == 1:
        await _open(update, ctx, led[0])
        return
    projects = await orgs.projects_by_ids(ctx.db, led)
    buttons = [
        [button] for button in ui.choices(ctx, projects, lambda id_: BUTTONS.data("open", id_))
    ]
    await ui.reply(update, ctx, "apply/choose_project", ui.keyboard(buttons))


async def _open(update: Update, ctx: Ctx, project_id: int) -> None:
    phase = rules.stage_phase(ctx.campaign, "apply", ctx.now)
    existing = await applications.of_project(ctx.db, project_id)
    if phase == "before":
        await ui.reply(update, ctx, "apply/not_yet", stage=ctx.campaign.stage("apply"))
        return
    if phase == "closed" and (existing is None or existing.status in rules.EDITABLE):
        await ui.reply(update, ctx, "apply/closed", stage=ctx.campaign.stage("apply"))
        if existing is not None:
            await application_view.send(update, ctx, existing)  # still readable, comment too
        return
    async with ctx.write() as tx:
        application = await applications.open_for(tx, project_id, ctx.actor.user_id)
    if application.status not in rules.EDITABLE:
        await _status(update, ctx, application)
        return
    answers = await applications.answers(ctx.db, application.id)
    resume = ctx.flow.data.get("app") == application.id if _in_flow(ctx) else False
    section = rules.section_by_key(ctx.campaign.sections, ctx.flow.step) if resume else None
    if section is None:
        section = rules.first_unfinished(ctx.campaign.sections, answers)
    if section is None:
        await _preview(update, ctx, application)
        return
    await _ask(update, ctx, application, section)


def _in_flow(ctx: Ctx) -> bool:
    return ctx.flow is not None and ctx.flow.flow == FLOW


async def _status(update: Update, ctx: Ctx, application: App) -> None:
    project = await orgs.project(ctx.db, application.project_id)
    buttons = [[(ctx.msgs.label(ctx.locale, "preview"), BUTTONS.data("preview", application.id))]]
    if application.status in rules.WITHDRAWABLE and _open_now(ctx):
        buttons.append(
            [(ctx.msgs.label(ctx.locale, "withdraw"), BUTTONS.data("withdraw", application.id))]
        )
    await ui.reply(
        update,
        ctx,
        "apply/status",
        ui.keyboard(buttons),
        application=application,
        project=project,
    )


# --- one section ------------------------------------------------------------------------------


def _section_keyboard(ctx: Ctx, application: App, section: Section) -> InlineKeyboardMarkup:
    def data(action: str) -> str:
        return BUTTONS.data(action, application.id, section.key)

    label = ctx.msgs.label
    rows = []
    if section.kind != "number":
        rows.append([(label(ctx.locale, "done"), data("done"))])
    # Nowhere to go back to from the first section: the Word form is offered there instead.
    first = section.key == ctx.campaign.sections[0].key
    nav = [apply_docx.form_button(ctx, application)] if first else []
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


async def _enter(
    tx: Transaction, ctx: Ctx, application: App, step: str, *, back_to_preview: bool = False
) -> None:
    """Where the lead now is (a section's key, or the preview): written in the same
    transaction as the answer that moved them there. The live message goes along."""
    live = ctx.flow.data if _in_flow(ctx) else {}
    await flows.begin(
        tx,
        ctx.actor.user_id,
        FLOW,
        step,
        app=application.id,
        back_to_preview=back_to_preview,
        **{key: live[key] for key in ("live", "live_for", "live_shows") if key in live},
    )


def _step_after(ctx: Ctx, section: Section) -> str:
    """After a section: back to the preview if it was opened from there, else onwards."""
    following = rules.neighbour(ctx.campaign.sections, section.key, +1)
    if (ctx.flow and ctx.flow.data.get("back_to_preview")) or following is None:
        return PREVIEW
    return following.key


async def _show_step(update: Update, ctx: Ctx, application: App, step: str, **extra) -> None:
    if step == PREVIEW:
        await _show_preview(update, ctx, application, editable=True, **extra)
        return
    section = rules.section_by_key(ctx.campaign.sections, step)
    await _show_section(update, ctx, application, section, **extra)


async def _ask(
    update: Update, ctx: Ctx, application: App, section: Section, back_to_preview: bool = False
) -> None:
    """Remember that the lead is at a section, and show it."""
    async with ctx.write() as tx:
        await _enter(tx, ctx, application, section.key, back_to_preview=back_to_preview)
    await _show_section(update, ctx, application, section)


async def _show_section(
    update: Update, ctx: Ctx, application: App, section: Section, **extra
) -> None:
    answers = await applications.answers(ctx.db, application.id)
    sections = ctx.campaign.sections
    await ui.live(
        ctx,
        update.effective_chat.id,
        "apply/section",
        _section_keyboard(ctx, application, section),
        live_for=f"prompt:{section.key}",
        fresh=_asked_for(update),
        section=section,
        number=[s.key for s in sections].index(section.key) + 1,
        total=len(sections),
        answer=answers.get(section.key),
        **extra,
    )


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


def _asked_for(update: Update) -> bool:
    """A command (/apply), or the button that stands for it under a notice: the answer comes
    as a new message, not as an edit further up."""
    message, query = update.message, update.callback_query
    if query is not None:
        return query.data == BUTTONS.data("resume")
    return message is not None and (message.text or "").startswith("/")


def _open_now(ctx: Ctx) -> bool:
    return ctx.campaign.is_open("apply", ctx.now)


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
        _section_keyboard(ctx, application, section),
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
    amount = parse_amount(message.text)  # the step takes only messages that read as one
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
        step = _step_after(ctx, section)
        await _enter(tx, ctx, application, step)
    await _show_step(update, ctx, application, step, saved_amount=amount)


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
        _section_keyboard(ctx, application, section),
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
        _section_keyboard(ctx, application, section),
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
    amount = parse_amount(text) if section.kind == "number" else None
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


# --- buttons ----------------------------------------------------------------------------------


@guards.buttons(BUTTONS)
async def tapped(update: Update, ctx: Ctx, tap: Tap) -> None:
    query = update.callback_query
    if tap.action == "resume":
        await query.answer()
        await apply_command(update, ctx)
        return
    number = tap.args[0]
    if tap.action == "open":
        if not ctx.actor.is_lead_of(number):
            await ui.not_allowed(query, ctx)
            return
        await query.answer()
        await _open(update, ctx, number)
        return
    application = await application_view.leads(query, ctx, number)
    if application is not None:
        await _BUTTONS[tap.action](update, ctx, application, *tap.args[1:])


async def _at_section(update: Update, ctx: Ctx, application: App, key: str) -> Section | None:
    """The section a button is for, if the lead is still there and may edit it."""
    query = update.callback_query
    section = rules.section_by_key(ctx.campaign.sections, key)
    current = _in_flow(ctx) and ctx.flow.data.get("app") == application.id
    if section is None or not current or ctx.flow.step != key:
        await ui.stale(query, ctx)
        return None
    if application.status not in rules.EDITABLE:
        await ui.alert(query, ctx, "apply/not_editable")
        return None
    return section


@guards.stage_open(STAGE)
async def _done(update: Update, ctx: Ctx, application: App, key: str) -> None:
    section = await _at_section(update, ctx, application, key)
    if section is None:
        return
    answer = (await applications.answers(ctx.db, application.id)).get(key)
    if not rules.has_content(section, answer):
        await ui.alert(update.callback_query, ctx, "apply/nothing_yet")
        return
    await _finish_section(update, ctx, application, section, "done")


@guards.stage_open(STAGE)
async def _skip(update: Update, ctx: Ctx, application: App, key: str) -> None:
    section = await _at_section(update, ctx, application, key)
    if section is None:
        return
    if section.required:
        await ui.alert(update.callback_query, ctx, "apply/required")
        return
    await _finish_section(update, ctx, application, section, "skipped")


async def _finish_section(
    update: Update, ctx: Ctx, application: App, section: Section, state: str
) -> None:
    """Done or skipped: the section's state and the lead's next step are one write."""
    step = _step_after(ctx, section)
    async with ctx.write() as tx:
        await applications.set_state(tx, application.id, section.key, state, by=ctx.actor.user_id)
        await _enter(tx, ctx, application, step)
    await update.callback_query.answer()
    await _show_step(update, ctx, application, step)


@guards.stage_open(STAGE)
async def _back(update: Update, ctx: Ctx, application: App, key: str) -> None:
    section = await _at_section(update, ctx, application, key)
    if section is None:
        return
    await update.callback_query.answer()
    previous = rules.neighbour(ctx.campaign.sections, key, -1) or section
    await _ask(update, ctx, application, previous)


async def _save_exit(update: Update, ctx: Ctx, application: App, key: str) -> None:
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
    await update.callback_query.answer()
    await ui.edit_buttons(update.callback_query, None, ctx)  # /apply brings them back
    await ui.reply(update, ctx, "apply/saved_exit")


async def _preview(update: Update, ctx: Ctx, application: App) -> None:
    editable = application.status in rules.EDITABLE and _open_now(ctx)
    if editable:
        async with ctx.write() as tx:
            await _enter(tx, ctx, application, PREVIEW)
    await _show_preview(update, ctx, application, editable=editable)


async def preview_after_import(update: Update, ctx: Ctx, application: App) -> None:
    """The preview, as a new message, once a Word file has filled sections in."""
    async with ctx.write() as tx:
        await _enter(tx, ctx, application, PREVIEW)
    await _show_preview(update, ctx, application, editable=True, fresh=True)


async def _show_preview(
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
        fresh=_asked_for(update) if fresh is None else fresh,
        **extra,
    )


async def _preview_tapped(update: Update, ctx: Ctx, application: App) -> None:
    await update.callback_query.answer()
    await _preview(update, ctx, application)


@guards.stage_open(STAGE)
async def _edit_section(update: Update, ctx: Ctx, application: App, key: str) -> None:
    section = rules.section_by_key(ctx.campaign.sections, key)
    if section is None:
        await ui.stale(update.callback_query, ctx)
        return
    if application.status not in rules.EDITABLE:
        await ui.alert(update.callback_query, ctx, "apply/not_editable")
        return
    await update.callback_query.answer()
    await _ask(update, ctx, application, section, back_to_preview=True)


@guards.stage_open(STAGE)
async def _submit(update: Update, ctx: Ctx, application: App) -> None:
    query = update.callback_query
    answers = await applications.answers(ctx.db, application.id)
    missing = rules.missing_required(ctx.campaign.sections, answers)
    if missing:
        await ui.alert(query, ctx, "apply/missing", missing=missing)
        return
    project = await orgs.project(ctx.db, application.project_id)
    moved = await _move_and_tell(
        ctx,
        application,
        "submitted",
        rules.EDITABLE,
        "nominate/new_submission",
        end_flow=True,
    )
    if not moved:
        await ui.alert(query, ctx, "apply/not_editable")
        return
    await query.answer()
    submitted = await applications.get(ctx.db, application.id)
    await application_view.settle(query, ctx, submitted)  # no longer a draft with buttons
    withdraw = ctx.msgs.label(ctx.locale, "withdraw"), BUTTONS.data("withdraw", application.id)
    await ui.reply(update, ctx, "apply/submitted", ui.keyboard([[withdraw]]), project=project)


async def _move_and_tell(
    ctx: Ctx,
    application: App,
    to: str,
    allowed_from: tuple[str, ...],
    told: str,
    *,
    end_flow: bool = False,
) -> bool:
    """The lead submits or withdraws: the status, the end of the flow (on submitting) and the
    notice to the unit's secretaries are one write. False if the application was no longer in
    `allowed_from`."""
    async with ctx.write() as tx:
        moved = await application_view.decide(
            ctx, tx, application, to, allowed_from, told, leads=False
        )
        if moved and end_flow:
            await flows.end(tx, ctx.actor.user_id)
    return moved is not None


@guards.stage_open(STAGE)  # a withdrawn application could not be submitted again
async def _withdraw(update: Update, ctx: Ctx, application: App) -> None:
    query = update.callback_query
    project = await orgs.project(ctx.db, application.project_id)
    moved = await _move_and_tell(
        ctx, application, "draft", rules.WITHDRAWABLE, "nominate/withdrawn"
    )
    if not moved:
        await ui.alert(query, ctx, "apply/not_withdrawable")
        return
    await query.answer()
    await ui.edit_buttons(query, None, ctx)
    resume = ctx.msgs.label(ctx.locale, "continue_application"), BUTTONS.data("resume")
    await ui.reply(update, ctx, "apply/withdrawn", ui.keyboard([[resume]]), project=project)


# What each button does, given its application (and section).
_BUTTONS = {
    "done": _done,
    "skip": _skip,
    "back": _back,
    "save_exit": _save_exit,
    "preview": _preview_tapped,
    "edit": _edit_section,
    "submit": _submit,
    "withdraw": _withdraw,
}


# --- the flow, declared -----------------------------------------------------------------------


async def _input_context(update: Update, ctx: Ctx) -> dict[str, Any]:
    """For the answers to a wrong input: the section and its buttons."""
    application = await applications.get(ctx.db, ctx.flow.data.get("app", 0))
    section = rules.section_by_key(ctx.campaign.sections, ctx.flow.step)
    if application is None or section is None:
        return {}
    text = update.effective_message.text or ""
    return {
        "markup": _section_keyboard(ctx, application, section),
        "section": section,
        "files_section": next((s for s in ctx.campaign.sections if s.kind == "files"), None),
        "sent": text[:100],
    }


# A section waits for ever (a lead may come back days later); each takes what its kind says.
_SECTION_STEPS = {
    "text": Step(Accepts.TEXT, "apply/wants_text", _taking(_text)),
    "number": Step(Accepts.NUMBER, "apply/wants_number", _taking(_number)),
    "files": Step(Accepts.FILE, "apply/wants_files", _taking(_file)),
}
_PREVIEW_STEP = Step(Accepts.BUTTONS_ONLY, "apply/at_preview")


def _step(campaign: Campaign, name: str) -> Step | None:
    if name == PREVIEW:
        return _PREVIEW_STEP
    section = rules.section_by_key(campaign.sections, name)
    return _SECTION_STEPS[section.kind] if section is not None else None


_FLOW = Flow(
    FLOW,
    _step,
    allowed=lambda actor: bool(actor.projects("lead")),
    stage=STAGE,
    context=_input_context,
)
