"""Recusal: a reviewer withdraws from a candidate, with a reason (🙅 on the scoring card, or
`/recuse CODE reason`); the admins are told and can give the candidate another reviewer.

    🙅 on the card, or /recuse CODE ─▶ why? (a new message: the card stays as it was)
        ├▶ a one-tap reason ──────────────────────────┐
        ├▶ ✍ Type a reason ─▶ the reason, typed ───────┤
        └▶ ✖ Cancel                                    │
    /recuse CODE reason ───────────────────────────────┴▶ recuse from it? ✅ / ✖

✅ recuses and, in the same transaction, writes the admins' notice (👥 the /assign preview,
📊 the reviews' progress) under a cause fixed by the review: a double tap or a redelivered
update recuses once and tells the admins once. A typed reason waits in the flow's data
(`storage.flows`) for its ✅, and expires. A recusal is taken before the stage opens (a
reviewer may see the conflict early), never after it closes.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, filters

from bot import notices, reviewing
from bot.access import Actor, admin_ids
from bot.applications import stage_phase
from bot.campaign import Campaign
from bot.core import Ctx
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, StageGuard, Step
from handlers import assign, flow_input, guards, review_progress, ui
from handlers.callbacks import Buttons
from storage import finals, flows, orgs, reviews
from storage.db import Transaction
from storage.finals import Candidate
from storage.outbox import Cause
from storage.reviews import Review

STAGE = "assess"
FLOW = "recuse"
REASON_LIMIT = 500  # characters of a typed reason
PRESETS = ("unit", "conflict")  # one-tap reasons; "typed": the one the flow keeps
TYPED = "typed"
BUTTONS = Buttons(
    "rc",
    command="review",
    ask=("a", (int,)),  # recuse from this review: ask the reason
    reason=("r", (int, str)),  # this one-tap reason: the question once more
    type_=("t", (int,)),  # the reason will be typed
    yes=("y", (int, str)),  # recuse, with this reason (a preset, or the typed one)
    cancel=("n", (int,)),  # nothing changes
    reassign=("g", ()),  # an admin, from the notice: the /assign preview
)


class _NotClosed(StageGuard):
    """Open, or not open yet: only a closed stage refuses."""

    def refusal(self, campaign: Campaign, now: datetime) -> str | None:
        return self.after if stage_phase(campaign, self.stage, now) == "closed" else None


GUARD = _NotClosed(STAGE, "recuse/closed", "recuse/closed")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("recuse", recuse_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))
    flow_input.declare(app, _FLOW)


def button(ctx: Ctx, review_id: int) -> ui.Button:
    """🙅 on a scoring card."""
    return ctx.msgs.label(ctx.locale, "recuse"), BUTTONS.data("ask", review_id)


def may_recuse(actor: Actor, review: Review) -> bool:
    """The review's own reviewer; whether it is recused already is answered on its own."""
    return review.reviewer_id == actor.user_id


def _is_reviewer(actor: Actor) -> bool:
    return actor.has("reviewer")


# --- /recuse CODE [reason] -------------------------------------------------------------------


@guards.person(_is_reviewer, "recuse/not_reviewer")
async def recuse_command(update: Update, ctx: Ctx) -> None:
    args = ctx.args or []
    if not args:
        await ui.reply(update, ctx, "recuse/usage")
        return
    if await guards.refuse_if_shut(update, ctx, GUARD):
        return
    code = args[0].upper()
    project = await orgs.project_by_code(ctx.db, code)
    if project is None:
        await ui.reply(update, ctx, "recuse/unknown", code=args[0][:40])
        return
    async with ctx.write() as tx:  # no /assign step with N = 0: everyone's reviews first
        await reviewing.ensure_everyone(tx, ctx.campaign)
    review = await reviews.of(ctx.db, ctx.actor.user_id, project.id)
    if review is None:
        await ui.reply(update, ctx, "recuse/not_assigned", code=project.code)
        return
    candidate = await _candidate(ctx, review)
    if candidate is None:
        await ui.reply(update, ctx, "recuse/not_assigned", code=project.code)
        return
    if review.state == reviews.RECUSED:
        await ui.reply(update, ctx, "recuse/already", project=candidate)
        return
    # The reason as typed after the code, its line breaks kept (ctx.args splits them away).
    typed = (update.effective_message.text or "").split(maxsplit=2)
    reason = typed[2].strip() if len(typed) > 2 else ""
    if not reason:  # asked for, with the one-tap reasons
        await ui.reply(update, ctx, "recuse/ask", _ask_markup(ctx, review), project=candidate)
        return
    if len(reason) > REASON_LIMIT:
        await ui.reply(update, ctx, "recuse/too_long", length=len(reason), limit=REASON_LIMIT)
        return
    await _typed(update, ctx, review, candidate, reason)


# --- the buttons ------------------------------------------------------------------------------


async def _candidate(ctx: Ctx, review: Review) -> Candidate | None:
    found = await finals.candidates(ctx.db, [review.project_id])
    return found[0] if found else None


_PRIVATE = guards.in_chats(ChatType.PRIVATE)
# The review a button names, if the tapper is its reviewer and the stage has not closed.
_OWN_REVIEW = guards.on_object(guards.row(reviews.get), may_recuse, stage=GUARD)


def _standing(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """A review not recused yet, with its candidate; else told so."""

    @functools.wraps(handler)
    async def guarded(update: Update, ctx: Ctx, review: Review, *args: Any) -> None:
        candidate = await _candidate(ctx, review)
        if candidate is None:  # no longer a candidate: nothing to recuse from
            await ui.stale(update.callback_query, ctx)
            return
        if review.state == reviews.RECUSED:
            await ui.alert(update.callback_query, ctx, "recuse/already", project=candidate)
            return
        await handler(update, ctx, review, candidate, *args)

    return guarded


def _ask_markup(ctx: Ctx, review: Review) -> InlineKeyboardMarkup:
    label = ctx.msgs.label
    rows = [
        [(label(ctx.locale, f"recuse_{key}"), BUTTONS.data("reason", review.id, key))]
        for key in PRESETS
    ]
    rows.append([(label(ctx.locale, "recuse_type"), BUTTONS.data("type_", review.id))])
    rows.append([(label(ctx.locale, "cancel"), BUTTONS.data("cancel", review.id))])
    return ui.keyboard(rows)


def _confirm_markup(ctx: Ctx, review: Review, reason: str) -> InlineKeyboardMarkup:
    label = ctx.msgs.label
    return ui.keyboard(
        [
            [(label(ctx.locale, "recuse_yes"), BUTTONS.data("yes", review.id, reason))],
            [(label(ctx.locale, "cancel"), BUTTONS.data("cancel", review.id))],
        ]
    )


@BUTTONS.on("ask")
@_PRIVATE
@_OWN_REVIEW
@_standing
async def _ask(update: Update, ctx: Ctx, review: Review, candidate: Candidate) -> None:
    """🙅: the question comes as a new message, so the card above it stays as it was (✖
    Cancel then leaves nothing to put back)."""
    await update.callback_query.answer()
    await ui.reply(update, ctx, "recuse/ask", _ask_markup(ctx, review), project=candidate)


@BUTTONS.on("reason")
@_PRIVATE
@_OWN_REVIEW
@_standing
async def _preset(
    update: Update, ctx: Ctx, review: Review, candidate: Candidate, preset: str
) -> None:
    if preset not in PRESETS:
        await ui.stale(update.callback_query, ctx)
        return
    await ui.show(
        update.callback_query,
        ctx,
        "recuse/confirm",
        _confirm_markup(ctx, review, preset),
        project=candidate,
        preset=preset,
        reason="",
    )


@BUTTONS.on("type_")
@_PRIVATE
@_OWN_REVIEW
@_standing
async def _type(update: Update, ctx: Ctx, review: Review, candidate: Candidate) -> None:
    async with ctx.write() as tx:
        await flows.begin(tx, ctx.actor.user_id, FLOW, "reason", review=review.id)
    markup = ui.keyboard(
        [[(ctx.msgs.label(ctx.locale, "cancel"), BUTTONS.data("cancel", review.id))]]
    )
    await ui.show(
        update.callback_query,
        ctx,
        "recuse/type",
        markup,
        project=candidate,
        minutes=int(PROMPT_EXPIRY.total_seconds() // 60),
    )


async def _typed(
    update: Update, ctx: Ctx, review: Review, candidate: Candidate, reason: str
) -> None:
    """A typed reason (in the flow, or after /recuse CODE): kept for its ✅."""
    async with ctx.write() as tx:
        await flows.begin(tx, ctx.actor.user_id, FLOW, "confirm", review=review.id, reason=reason)
    await ui.reply(
        update,
        ctx,
        "recuse/confirm",
        _confirm_markup(ctx, review, TYPED),
        project=candidate,
        preset="",
        reason=reason,
    )


@BUTTONS.on("yes")
@_PRIVATE
@_OWN_REVIEW
@_standing
async def _yes(update: Update, ctx: Ctx, review: Review, candidate: Candidate, chosen: str) -> None:
    """Recuse, and tell the admins: one transaction, checked against the review (and, for a
    typed reason, the flow) inside it, so a second tap does nothing."""
    query = update.callback_query
    if chosen not in (*PRESETS, TYPED):
        await ui.stale(query, ctx)
        return
    async with ctx.write() as tx:
        position = await flows.current(tx, ctx.actor.user_id)
        mine = position if position is not None and position.flow == FLOW else None
        if chosen == TYPED:
            waiting = mine is not None and mine.step == "confirm"
            if not waiting or mine.data.get("review") != review.id:
                recused = None
            else:
                recused = await _recuse(ctx, tx, review, candidate, "", mine.data["reason"])
        else:
            # Stored in the campaign's language, as plain text; the admins read it in theirs.
            reason = ctx.msgs.alert(ctx.campaign.default_locale, "recuse/reason", preset=chosen)
            recused = await _recuse(ctx, tx, review, candidate, chosen, reason)
        if recused is not None and mine is not None:
            await flows.end(tx, ctx.actor.user_id)
    if recused is None:
        await ui.alert(query, ctx, "recuse/nothing_pending")
        return
    ctx.flow = None
    preset = chosen if chosen in PRESETS else ""
    await ui.show(
        query, ctx, "recuse/done", project=candidate, preset=preset, reason=recused.recuse_reason
    )


async def _recuse(
    ctx: Ctx, tx: Transaction, review: Review, candidate: Candidate, preset: str, reason: str
) -> Review | None:
    """The recusal and the admins' notice, or None when it was recused already."""
    recused = await reviews.recuse(tx, review.id, reason, by=ctx.actor.user_id)
    if recused is None:
        return None
    standing = [
        r for r in await reviews.of_project(tx, review.project_id) if r.state != reviews.RECUSED
    ]
    admins = await admin_ids(tx, ctx.core.settings.admins) - {ctx.actor.user_id}
    await notices.to_people(
        tx,
        ctx.core.writer,
        admins,
        "recuse/told_admins",
        str(Cause("recuse", review.id)),  # fixed by the review: told once
        button=(("recuse_reassign", BUTTONS.data("reassign")), review_progress.button()),
        project=candidate,
        reviewer=ctx.actor.person.display_name,
        preset=preset,
        reason=reason,
        left=len(standing),
        per_candidate=ctx.campaign.assessment.reviewers_per_candidate,
    )
    return recused


@BUTTONS.on("cancel")
@_PRIVATE
@_OWN_REVIEW
async def _cancel(update: Update, ctx: Ctx, review: Review) -> None:
    position = ctx.flow
    if position is not None and position.flow == FLOW:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        ctx.flow = None
    candidate = await _candidate(ctx, review)
    await ui.show(update.callback_query, ctx, "recuse/cancelled", project=candidate)


@BUTTONS.on("reassign")
async def _reassign(update: Update, ctx: Ctx) -> None:
    """👥 under the admins' notice: the /assign preview, as a new message."""
    if not ctx.actor.is_admin:
        await ui.not_allowed(update.callback_query, ctx)
        return
    await update.callback_query.answer()
    await assign.assign_command(update, ctx)


# --- the typed reason -------------------------------------------------------------------------


async def _reason_typed(update: Update, ctx: Ctx) -> None:
    review = await reviews.get(ctx.db, ctx.flow.data.get("review", 0))
    candidate = await _candidate(ctx, review) if review is not None else None
    if review is None or not may_recuse(ctx.actor, review) or candidate is None:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "common/stale", command="review")
        return
    if review.state == reviews.RECUSED:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "recuse/already", project=candidate)
        return
    await _typed(update, ctx, review, candidate, update.effective_message.text.strip())


def _own_tap(data: str | None) -> bool:
    """The recusal's own buttons keep a typed reason waiting; any other tap ends it."""
    return BUTTONS.parse(data) is not None


_REASON_STEP = Step(
    Accepts.TEXT,
    "recuse/as_text",
    _reason_typed,
    expires=PROMPT_EXPIRY,
    max_chars=REASON_LIMIT,
    too_long="recuse/too_long",
)
_FLOW = Flow(
    FLOW,
    {"reason": _REASON_STEP, "confirm": _REASON_STEP},  # typed again: the new reason
    allowed=_is_reviewer,
    stage=GUARD,
    own_tap=_own_tap,
)
