"""/extend: an admin moves a stage's deadline, with buttons, and says yes once more.

    /extend ─▶ stage ─▶ date (+1 day … +2 weeks, or typed) ─▶ "Move it? N people told" ─▶ ✅
    /extend apply 2027-01-20 18:00 ─────────────────────────▶ the same question

A date earlier than the current deadline (or already past) is asked about as what it is, a
shortening, with a button that says so; a date outside the campaign's years is refused. The
announcement goes to those with something left to do in the stage and to the bound groups,
through the outbox, and says whether the stage opened again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot import notices, reminders
from bot.applications import deadline_window, everyone, stage_phase
from bot.campaign import STAGE_KEYS, Campaign, CampaignError, Stage, with_deadline
from bot.core import Ctx
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, Step
from bot.rules import parse_moment
from handlers import flow_input, guards, ui
from handlers.callbacks import Buttons
from handlers.reminders import reminder_buttons
from storage import applications, flows, outbox
from storage.db import Executor, Transaction
from storage.outbox import Cause

FLOW = "extend_date"
BUTTONS = Buttons(
    "dl",
    command="extend",
    stage=("s", (str,)),  # a stage: which date?
    date=("d", (str, int)),  # a stage and a new deadline (Unix time): the question
    type_=("t", (str,)),  # a stage: the date will be typed
    yes=("e", (str, int)),  # move it
    keep=("k", ()),  # the deadline stays as it is
)
PRESET_DAYS = (1, 3, 7, 14)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("extend", extend, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, guards.admin))
    flow_input.declare(app, _TYPED)


def parse_deadline(text: str, campaign: Campaign, now: datetime) -> datetime | None:
    """A deadline as people type it (bot.rules.parse_moment: a day alone is at 18:00) in the
    campaign's time zone; None when it is no date, or one outside the campaign's years (year
    1 would not even convert)."""
    first, last = deadline_window(campaign)
    local = parse_moment(text, campaign.local(now).date())
    if local is None or not first <= local.year <= last:
        return None
    return local.replace(tzinfo=campaign.timezone)


@guards.person(guards.admin, "select/not_admin")
async def extend(update: Update, ctx: Ctx) -> None:
    args = ctx.args or []
    if len(args) >= 2 and args[0] in STAGE_KEYS:
        typed = " ".join(args[1:])
        deadline = parse_deadline(typed, ctx.campaign, ctx.now)
        if deadline is None:
            await _refuse_date(update, ctx, typed)
            return
        await _ask(update, ctx, args[0], deadline)
        return
    rows = [
        [(stage.title.get(ctx.locale), BUTTONS.data("stage", stage.key))]
        for stage in ctx.campaign.stages
    ]
    rows.append([(ctx.msgs.label(ctx.locale, "cancel"), BUTTONS.data("keep"))])
    await ui.reply(
        update, ctx, "select/extend_stage", ui.keyboard(rows), stages=ctx.campaign.stages
    )


async def _stage_key(ctx: Ctx, key: str) -> str | None:
    """A stage a button names: one that can be extended, or the button is out of date."""
    return key if key in STAGE_KEYS else None


_STAGE = guards.on_object(_stage_key)


def presets(campaign: Campaign, stage_key: str, now: datetime) -> list[datetime]:
    """A day, three days, a week and two weeks after the current deadline (or after today,
    when it has passed), at the deadline's time of day."""
    deadline = campaign.local(campaign.stage(stage_key).deadline)
    base = deadline
    if deadline <= now:
        base = campaign.local(now).replace(
            hour=deadline.hour, minute=deadline.minute, second=0, microsecond=0
        )
    # Days are added on the local clock: across a DST change the time of day stays.
    return [(base + timedelta(days=days)).astimezone(UTC) for days in PRESET_DAYS]


@BUTTONS.on("stage")
@_STAGE
async def _choose_date(update: Update, ctx: Ctx, stage_key: str) -> None:
    dates = presets(ctx.campaign, stage_key, ctx.now)
    rows = [
        [
            (ctx.msgs.when(ctx.locale, moment), BUTTONS.data("date", stage_key, _unix(moment)))
            for moment in dates[i : i + 2]
        ]
        for i in range(0, len(dates), 2)
    ]
    rows.append([(ctx.msgs.label(ctx.locale, "extend_type"), BUTTONS.data("type_", stage_key))])
    rows.append([(ctx.msgs.label(ctx.locale, "cancel"), BUTTONS.data("keep"))])
    await ui.show(
        update.callback_query,
        ctx,
        "select/extend_date",
        ui.keyboard(rows),
        stage=ctx.campaign.stage(stage_key),
    )


@BUTTONS.on("date")
@_STAGE
async def _date_chosen(update: Update, ctx: Ctx, stage_key: str, moment: int) -> None:
    await update.callback_query.answer()
    await _ask(update, ctx, stage_key, datetime.fromtimestamp(moment, UTC), in_place=True)


@BUTTONS.on("type_")
@_STAGE
async def _type_date(update: Update, ctx: Ctx, stage_key: str) -> None:
    async with ctx.write() as tx:
        await flows.begin(tx, ctx.actor.user_id, FLOW, "date", stage=stage_key)
    await ui.show(
        update.callback_query, ctx, "select/extend_type", stage=ctx.campaign.stage(stage_key)
    )


async def _date_typed(update: Update, ctx: Ctx) -> None:
    stage_key = ctx.flow.data.get("stage", "")
    text = update.effective_message.text
    deadline = parse_deadline(text, ctx.campaign, ctx.now)
    if stage_key not in STAGE_KEYS:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "common/stale")
        return
    if deadline is None:
        await _refuse_date(update, ctx, text)  # the prompt stays: type it again, or /cancel
        return
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
    await _ask(update, ctx, stage_key, deadline)


async def _refuse_date(update: Update, ctx: Ctx, text: str) -> None:
    first, last = deadline_window(ctx.campaign)
    await ui.reply(update, ctx, "select/extend_bad_date", sent=text[:40], first=first, last=last)


async def _ask(
    update: Update, ctx: Ctx, stage_key: str, deadline: datetime, *, in_place: bool = False
) -> None:
    """The question before anything is announced: old and new deadline, who will be told; a
    shortening is named as one, with a button that says so."""
    stage = ctx.campaign.stage(stage_key)
    try:
        with_deadline(ctx.campaign, stage_key, deadline)  # checked now, and again on yes
    except CampaignError:
        await _say(update, ctx, in_place, "select/extend_refused", stage=stage)
        return
    shorter = deadline < stage.deadline or deadline <= ctx.now
    # Well into the next stage (a month typed wrong, 10 for 01): both would be open. A few
    # weeks' overlap is the ordinary late extension (the stages may meet), not worth one.
    following = _following(ctx.campaign, stage_key)
    overlaps = (
        following
        if following and deadline > following.opens + OVERLAP_NAMED and not shorter
        else None
    )
    concerned = everyone(await _owing(ctx, ctx.db, stage_key)) - {ctx.actor.user_id}
    yes_key = "extend_shorten" if shorter else "extend_overlap" if overlaps else "extend_yes"
    yes = ctx.msgs.label(ctx.locale, yes_key)
    markup = ui.keyboard(
        [
            [(yes, BUTTONS.data("yes", stage_key, _unix(deadline)))],
            [(ctx.msgs.label(ctx.locale, "cancel"), BUTTONS.data("keep"))],
        ]
    )
    context = {
        "stage": stage,
        "deadline": deadline,
        "people": len(concerned),
        "groups": len(await reminders.concerned_chats(ctx.db, ctx.campaign, stage_key, ctx.now)),
        "shorter": shorter,
        "past": deadline <= ctx.now,
        "overlaps": overlaps,
    }
    await _say(update, ctx, in_place, "select/extend_confirm", markup, **context)


# How far into the next stage a new deadline may run before the question names it.
OVERLAP_NAMED = timedelta(days=30)  # longer than any preset extension (two weeks)


def _following(campaign: Campaign, stage_key: str) -> Stage | None:
    keys = [stage.key for stage in campaign.stages]
    index = keys.index(stage_key) + 1
    return campaign.stages[index] if index < len(keys) else None


async def _say(update: Update, ctx: Ctx, in_place: bool, key: str, markup=None, **context) -> None:
    """In place of the message a button sat on, or as the answer to a typed command."""
    if in_place:
        await ui.edit(update.callback_query, ctx, key, markup, **context)
    else:
        await ui.reply(update, ctx, key, markup, **context)


@BUTTONS.on("yes")
@_STAGE
async def _confirmed(update: Update, ctx: Ctx, stage_key: str, moment: int) -> None:
    query = update.callback_query
    deadline = datetime.fromtimestamp(moment, UTC)
    if ctx.campaign.stage(stage_key).deadline == deadline:
        # Confirmed already (a double tap): told once is enough.
        await ui.show(query, ctx, "select/extended", stage=ctx.campaign.stage(stage_key))
        return
    try:
        campaign = with_deadline(ctx.campaign, stage_key, deadline)
    except CampaignError:
        await ui.alert(query, ctx, "select/extend_refused", stage=ctx.campaign.stage(stage_key))
        return
    before = stage_phase(ctx.campaign, stage_key, ctx.now)
    async with ctx.write() as tx:
        await applications.set_deadline(tx, stage_key, deadline, by=ctx.actor.user_id)
        # Reminders for the old deadline not yet out are withdrawn; the new one has its own.
        await outbox.withdraw(tx, Cause.of(reminders.PREFIX, stage_key))
        await reminders.deadline_moved(tx, campaign, stage_key, ctx.now)
        await _announce(ctx, tx, notices.Writer(ctx.msgs, campaign), stage_key, before)
    ctx.core.campaign = campaign
    await ui.show(query, ctx, "select/extended", stage=campaign.stage(stage_key))


@BUTTONS.on("keep")
async def _kept(update: Update, ctx: Ctx) -> None:
    await ui.show(update.callback_query, ctx, "select/extend_kept")


async def _announce(
    ctx: Ctx, tx: Transaction, writer: notices.Writer, stage_key: str, before: str
) -> None:
    """Those with something left to do in the stage, and the bound groups, through the outbox
    (written with the new deadline); the admin hears how it went once the last is out."""
    stage = writer.campaign.stage(stage_key)
    after = stage_phase(writer.campaign, stage_key, ctx.now)
    old = ctx.campaign.stage(stage_key).deadline
    wording = {
        "stage": stage,
        "reopened": before == "closed" and after == "open",
        "earlier": stage.deadline < old,
        "closed_now": after == "closed",
    }
    cause = notices.cause(tx, Cause("deadline", stage_key))
    # Each with the button to what is left to do, while it can still be done.
    buttons = reminder_buttons()
    told = {ctx.actor.user_id}
    unreachable = 0
    for role, people in sorted((await _owing(ctx, tx, stage_key)).items()):
        button = buttons.get(role) if after == "open" else None
        unreachable += await notices.to_people(
            tx, writer, people - told, "select/deadline_moved", cause, button=button, **wording
        )
        told |= people  # a lead who is also a secretary hears it once
    # The groups the stage concerns (where something is owed), not every bound group.
    concerned = await reminders.concerned_chats(tx, writer.campaign, stage_key, ctx.now)
    await notices.to_chats(tx, writer, concerned, "select/deadline_moved", cause, **wording)
    await outbox.want_report(
        tx,
        cause,
        report_chat=ctx.actor.user_id,
        kind="select/announced",
        locale=ctx.locale,
        unreachable=unreachable,
    )


async def _owing(ctx: Ctx, db: Executor, stage_key: str) -> dict[str, set[int]]:
    """Those with something left to do in the stage: the ones its reminders go to."""
    return await reminders.owing(db, ctx.campaign, stage_key, admins=ctx.core.settings.admins)


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


async def _typed_context(update: Update, ctx: Ctx) -> dict[str, Any]:
    stage_key = ctx.flow.data.get("stage", "")
    return {"stage": ctx.campaign.stage(stage_key)} if stage_key in STAGE_KEYS else {}


_TYPED = Flow(
    FLOW,
    {"date": Step(Accepts.TEXT, "select/extend_type", _date_typed, expires=PROMPT_EXPIRY)},
    allowed=guards.admin,
    context=_typed_context,
    own_tap=lambda data: BUTTONS.parse(data) is not None,  # a tap elsewhere ends the prompt
)
