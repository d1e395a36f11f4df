"""/apply: a project lead writes the application, one section at a time, then submits it.

    /apply ─▶ (project?) ─▶ section 1 ─▶ … ─▶ section n ─▶ preview ─▶ submit
                              ▲  Back / Skip / Done  │       │ Edit section k
                              └──────────────────────┴───────┘
Every answer is written to SQLite as it arrives; where the lead is lives in `flows`, so a
restart (or /apply days later) continues at the same section.

This module is the way in (/apply, a project, the status), the buttons and the flow's
declaration; what each section takes is apply_answers.py, where the lead is and what they see
is apply_steps.py, and a whole application from a Word file is apply_docx.py.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    filters,
)

from bot import applications as rules
from bot.campaign import Campaign, Section
from bot.core import Ctx
from bot.flow import Accepts, Flow, Step
from handlers import application_view, apply_answers, apply_steps, edits, flow_input, guards, ui
from handlers.application_buttons import LEAD as BUTTONS
from handlers.form_template import keyboard as form_template_button
from storage import applications, flows, orgs
from storage.applications import Application as App

STAGE = application_view.STAGE
PREVIEW = apply_steps.PREVIEW


def register(app: Application) -> None:
    app.add_handler(CommandHandler("apply", apply_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))
    flow_input.declare(app, _FLOW)
    edits.take(app, apply_answers.edit_answer)


@guards.person()
async def apply_command(update: Update, ctx: Ctx) -> None:
    led = sorted(ctx.actor.projects("lead"))
    if not led:
        await ui.reply(update, ctx, "apply/not_lead", form_template_button(update, ctx))
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
    resume = ctx.flow.data.get("app") == application.id if apply_steps.in_flow(ctx) else False
    section = rules.section_by_key(ctx.campaign.sections, ctx.flow.step) if resume else None
    if section is None:
        section = rules.first_unfinished(ctx.campaign.sections, answers)
    if section is None:
        await apply_steps.preview(update, ctx, application)
        return
    await apply_steps.ask(update, ctx, application, section)


async def _status(update: Update, ctx: Ctx, application: App) -> None:
    project = await orgs.project(ctx.db, application.project_id)
    buttons = [[(ctx.msgs.label(ctx.locale, "preview"), BUTTONS.data("preview", application.id))]]
    if application.status in rules.WITHDRAWABLE and apply_steps.open_now(ctx):
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


@BUTTONS.on("resume")
async def _resume(update: Update, ctx: Ctx) -> None:
    await update.callback_query.answer()
    await apply_command(update, ctx)


@BUTTONS.on("open")
async def _open_tapped(update: Update, ctx: Ctx, project_id: int) -> None:
    query = update.callback_query
    if not ctx.actor.is_lead_of(project_id):
        await ui.not_allowed(query, ctx)
        return
    await query.answer()
    await _open(update, ctx, project_id)


async def _at_section(update: Update, ctx: Ctx, application: App, key: str) -> Section | None:
    """The section a button is for, if the lead is still there and may edit it."""
    query = update.callback_query
    section = rules.section_by_key(ctx.campaign.sections, key)
    current = apply_steps.in_flow(ctx) and ctx.flow.data.get("app") == application.id
    if section is None or not current or ctx.flow.step != key:
        await ui.stale(query, ctx)
        return None
    if application.status not in rules.EDITABLE:
        await ui.alert(query, ctx, "apply/not_editable")
        return None
    return section


@BUTTONS.on("done")
@application_view.LEADS_OPEN
async def _done(update: Update, ctx: Ctx, application: App, key: str) -> None:
    section = await _at_section(update, ctx, application, key)
    if section is None:
        return
    answer = (await applications.answers(ctx.db, application.id)).get(key)
    if not rules.has_content(section, answer):
        await ui.alert(update.callback_query, ctx, "apply/nothing_yet")
        return
    await _finish_section(update, ctx, application, section, "done")


@BUTTONS.on("skip")
@application_view.LEADS_OPEN
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
    step = apply_steps.step_after(ctx, section)
    async with ctx.write() as tx:
        await applications.set_state(tx, application.id, section.key, state, by=ctx.actor.user_id)
        await apply_steps.enter(tx, ctx, application, step)
    await update.callback_query.answer()
    await apply_steps.show_step(update, ctx, application, step)


@BUTTONS.on("back")
@application_view.LEADS_OPEN
async def _back(update: Update, ctx: Ctx, application: App, key: str) -> None:
    section = await _at_section(update, ctx, application, key)
    if section is None:
        return
    await update.callback_query.answer()
    previous = rules.neighbour(ctx.campaign.sections, key, -1) or section
    await apply_steps.ask(update, ctx, application, previous)


@BUTTONS.on("save_exit")
@application_view.LEADS
async def _save_exit(update: Update, ctx: Ctx, application: App, key: str) -> None:
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
    await update.callback_query.answer()
    await ui.edit_buttons(update.callback_query, None, ctx)  # /apply brings them back
    await ui.reply(update, ctx, "apply/saved_exit")


@BUTTONS.on("preview")
@application_view.LEADS
async def _preview_tapped(update: Update, ctx: Ctx, application: App) -> None:
    await update.callback_query.answer()
    await apply_steps.preview(update, ctx, application)


@BUTTONS.on("edit")
@application_view.LEADS_OPEN
async def _edit_section(update: Update, ctx: Ctx, application: App, key: str) -> None:
    section = rules.section_by_key(ctx.campaign.sections, key)
    if section is None:
        await ui.stale(update.callback_query, ctx)
        return
    if application.status not in rules.EDITABLE:
        await ui.alert(update.callback_query, ctx, "apply/not_editable")
        return
    await update.callback_query.answer()
    await apply_steps.ask(update, ctx, application, section, back_to_preview=True)


@BUTTONS.on("submit")
@application_view.LEADS_OPEN
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


@BUTTONS.on("withdraw")
# Open stage only: a withdrawn application could not be submitted again.
@application_view.LEADS_OPEN
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


async def _input_context(update: Update, ctx: Ctx) -> dict[str, Any]:
    """For the answers to a wrong input: the section and its buttons."""
    application = await applications.get(ctx.db, ctx.flow.data.get("app", 0))
    section = rules.section_by_key(ctx.campaign.sections, ctx.flow.step)
    if application is None or section is None:
        return {}
    text = update.effective_message.text or ""
    return {
        "markup": apply_steps.section_keyboard(ctx, application, section),
        "section": section,
        "files_section": next((s for s in ctx.campaign.sections if s.kind == "files"), None),
        "sent": text[:100],
    }


# A section waits for ever (a lead may come back days later); each takes what its kind says.
_SECTION_STEPS = {
    "text": Step(Accepts.TEXT, "apply/wants_text", apply_answers.take_text),
    "number": Step(Accepts.NUMBER, "apply/wants_number", apply_answers.take_number),
    "files": Step(Accepts.FILE, "apply/wants_files", apply_answers.take_file),
}


_PREVIEW_STEP = Step(Accepts.BUTTONS_ONLY, "apply/at_preview")


def _step(campaign: Campaign, name: str) -> Step | None:
    if name == PREVIEW:
        return _PREVIEW_STEP
    section = rules.section_by_key(campaign.sections, name)
    return _SECTION_STEPS[section.kind] if section is not None else None


_FLOW = Flow(
    apply_steps.FLOW,
    _step,
    allowed=lambda actor: bool(actor.projects("lead")),
    stage=STAGE,
    context=_input_context,
)
