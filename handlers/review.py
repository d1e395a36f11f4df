"""/review: a reviewer scores the candidates assigned to them, one card each, edited in place;
/score: the same in one typed message. For an admin, /review is where progress is shown.

    /review ─▶ "7 of 20 scored" and the next card (the unsubmitted first):
               the evidence and its buttons, each criterion's value, the running total
               ├▶ a value on a criterion's row ─▶ stored at once (a draft), the card again
               ├▶ ✍ Comment ─▶ typed text (expires; /cancel leaves it) ─▶ the card anew
               ├▶ ◀ ▶ ─▶ the previous or next card of the queue (nothing set is lost)
               ├▶ 🙅 ─▶ handlers/recuse.py
               └▶ ✅ Submit (every criterion set) ─▶ submitted; changed until the stage
                  closes: ✅ Submit the change / ↩ Undo changes
    /score CODE s1 … s6 [comment] ─▶ submitted at once, answered with the card as stored

Every button names its review, loaded and checked on each tap (the tapper's, not recused, the
stage open), so an old card, or one from before a restart, acts on what is stored and shows
it. Blind: a card shows no one else's scores or comments, unless the campaign allows the
others' anonymised scores to a reviewer who has submitted their own. The submit that leaves
no review outstanding tells the admins, once.
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler, filters

from bot import evidence, notices, reviewing
from bot.access import Actor, admin_ids
from bot.applications import stage_phase
from bot.campaign import Criterion
from bot.core import Ctx
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, StageGuard, Step
from bot.scores import max_total, weighted_total
from handlers import evidence as evidence_buttons
from handlers import flow_input, guards, recuse, review_progress, ui
from handlers.callbacks import Buttons
from storage import flows, orgs, reviews
from storage.db import Transaction
from storage.outbox import Cause
from storage.reviews import Review

STAGE = "assess"
FLOW = "review"
GUARD = StageGuard(STAGE, "review/before", "review/after")
BUTTONS = Buttons(
    "rv",
    command="review",
    score=("s", (int, str, int)),  # set this criterion of this review to this value
    go=("g", (int,)),  # show this review's card (◀ ▶)
    comment=("c", (int,)),  # type a comment for this review
    submit=("y", (int,)),  # submit the card's values (or the change to them)
    undo=("u", (int,)),  # back to the values submitted
)
COMMENT_LIMIT = 1_000  # characters of a comment
ALL_IN = Cause("reviews_in")  # fixed: the admins hear it once, whatever changes later
_FIRST_ROW = 6  # values 0–5 on a criterion's first row, the rest on its second (8 fit a row)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("review", review_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("score", score_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))
    flow_input.declare(app, _FLOW)


def _is_reviewer(actor: Actor) -> bool:
    return actor.has("reviewer")


def may_score(actor: Actor, review: Review) -> bool:
    """The review is the tapper's own, and they are still a reviewer."""
    return _is_reviewer(actor) and review.reviewer_id == actor.user_id


# --- /review ---------------------------------------------------------------------------------


@guards.person()
async def review_command(update: Update, ctx: Ctx) -> None:
    if _is_reviewer(ctx.actor):
        await _reviewer_view(update, ctx)
    elif ctx.actor.is_admin:
        await _admin_view(update, ctx)
    else:
        await ui.reply(update, ctx, "review/not_reviewer")


async def _admin_view(update: Update, ctx: Ctx) -> None:
    """The reviews' progress, per candidate and per reviewer (handlers/review_progress.py)."""
    await review_progress.show(update, ctx)


async def _reviewer_view(update: Update, ctx: Ctx) -> None:
    async with ctx.write() as tx:
        await reviewing.ensure_everyone(tx, ctx.campaign)
        if ctx.flow is not None and ctx.flow.flow == FLOW:  # a comment asked for is let go
            await flows.end(tx, ctx.actor.user_id)
    queue = await reviews.queue(ctx.db, ctx.actor.user_id)
    if not queue:
        await ui.reply(update, ctx, "review/nothing", stage=ctx.campaign.stage(STAGE))
        return
    review = await reviews.get(ctx.db, queue[0].review_id)
    markup, context = await _card(ctx, review)
    await ui.reply(update, ctx, "review/card", markup, **context)


# --- the card --------------------------------------------------------------------------------


def _valid(criteria: Sequence[Criterion], values: dict[str, int]) -> dict[str, int]:
    """Values the campaign's criteria still take (a changed campaign file drops the others)."""
    scales = {c.key: c.scale for c in criteria}
    return {k: v for k, v in values.items() if k in scales and 0 <= v <= scales[k]}


async def _card(
    ctx: Ctx, review: Review, said: str | None = None
) -> tuple[InlineKeyboardMarkup | None, dict[str, Any]]:
    """The card of a review as stored, and its buttons; `said`: a line on top, /score's
    "changed" or "same" (a tap is answered with a toast)."""
    criteria = ctx.campaign.criteria
    queue = await reviews.queue(ctx.db, review.reviewer_id)
    ids = [item.review_id for item in queue]
    scores = (await reviews.scores_of(ctx.db, [review.id]))[review.id]
    values = _valid(criteria, dict(scores.draft))
    submitted = review.state == reviews.SUBMITTED
    edited = submitted and (
        _valid(criteria, dict(scores.submitted)) != values or review.draft_comment != review.comment
    )
    found = await evidence.gather(ctx.db, ctx.campaign, review.project_id)
    phase = stage_phase(ctx.campaign, STAGE, ctx.now)
    context = {
        "said": said,
        "position": ids.index(review.id) + 1 if review.id in ids else None,
        "queued": len(ids),
        "scored": sum(item.state == reviews.SUBMITTED for item in queue),
        "review": review,
        "evidence": found,
        "criteria": criteria,
        "values": values,
        "total": weighted_total(criteria, values, partial=True),
        "most": max_total(criteria),
        "edited": edited,
        "phase": phase,
        "stage": ctx.campaign.stage(STAGE),
        "others": await _others(ctx, review),
    }
    rows = evidence_buttons.rows(ctx, found) if found is not None else []
    if phase == "open" and review.state != reviews.RECUSED:
        rows += _score_rows(ctx, review, criteria, values)
        rows.append(_action_row(ctx, review, criteria, values, edited))
    rows.append(_nav_row(ctx, review, ids))
    return ui.keyboard(rows), context


async def _others(ctx: Ctx, review: Review) -> list[dict[str, Any]]:
    """The other reviewers' submitted scores of the candidate, as "Reviewer 1…n" by review id:
    only where the campaign allows it, and only once this review is submitted."""
    if not ctx.campaign.assessment.show_others_after_own or review.state != reviews.SUBMITTED:
        return []
    criteria = ctx.campaign.criteria
    theirs = [
        r
        for r in await reviews.of_project(ctx.db, review.project_id)
        if r.id != review.id and r.state == reviews.SUBMITTED
    ]
    theirs.sort(key=lambda r: r.id)
    found = await reviews.scores_of(ctx.db, [r.id for r in theirs])
    others = []
    for number, other in enumerate(theirs, start=1):
        values = _valid(criteria, dict(found[other.id].submitted))
        others.append(
            {
                "number": number,
                "scores": [str(values.get(c.key, "–")) for c in criteria],
                "total": weighted_total(criteria, values, partial=True),
            }
        )
    return others


def _score_rows(
    ctx: Ctx, review: Review, criteria: Sequence[Criterion], values: dict[str, int]
) -> list[list[ui.Button]]:
    """Each criterion's values on one or two rows; its number starts each row, the chosen
    value is marked."""
    label = ctx.msgs.label
    rows = []
    for number, criterion in enumerate(criteria, start=1):
        chosen = values.get(criterion.key)
        scale = list(range(criterion.scale + 1))
        for part in (scale[:_FIRST_ROW], scale[_FIRST_ROW:]) if len(scale) > 8 else (scale,):
            row = []
            for index, value in enumerate(part):
                # The row's first button says its criterion; the chosen value is marked.
                key = "review_first" if index == 0 else "review_value"
                key += "_chosen" if value == chosen else ""
                text = label(ctx.locale, key, number=number, value=value)
                row.append((text, BUTTONS.data("score", review.id, criterion.key, value)))
            rows.append(row)
    return rows


def _action_row(
    ctx: Ctx,
    review: Review,
    criteria: Sequence[Criterion],
    values: dict[str, int],
    edited: bool,
) -> list[ui.Button]:
    label = ctx.msgs.label
    row = [(label(ctx.locale, "review_comment"), BUTTONS.data("comment", review.id))]
    row.append(recuse.button(ctx, review.id))
    if review.state != reviews.SUBMITTED:
        if len(values) == len(criteria):
            text = label(ctx.locale, "review_submit")
        else:
            text = label(
                ctx.locale, "review_submit_partial", number=len(values), count=len(criteria)
            )
        row.append((text, BUTTONS.data("submit", review.id)))
    elif edited:
        row.append((label(ctx.locale, "review_submit_change"), BUTTONS.data("submit", review.id)))
        row.append((label(ctx.locale, "review_undo"), BUTTONS.data("undo", review.id)))
    return row


def _nav_row(ctx: Ctx, review: Review, ids: list[int]) -> list[ui.Button]:
    """◀ ▶ through the queue, round and round; none for a queue of one."""
    others = [i for i in ids if i != review.id]
    if not others:
        return []
    at = ids.index(review.id) if review.id in ids else 0
    before, after = ids[at - 1], ids[(at + 1) % len(ids)]
    label = ctx.msgs.label
    return [
        (label(ctx.locale, "review_prev"), BUTTONS.data("go", before)),
        (label(ctx.locale, "review_next"), BUTTONS.data("go", after)),
    ]


# --- buttons: each action on the review it names, checked by one guard -----------------------


_IN_PRIVATE = guards.in_chats(ChatType.PRIVATE)
_LOAD = guards.row(reviews.get)
# A review the tapper may read (◀ ▶ before the stage opens too), or score while it is open.
_MINE = guards.on_object(_LOAD, may_score, refusal="review/not_yours")
_MINE_OPEN = guards.on_object(_LOAD, may_score, refusal="review/not_yours", stage=GUARD)


def _standing(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """A recused review takes nothing more, and its buttons say why."""

    @functools.wraps(handler)
    async def guarded(update: Update, ctx: Ctx, review: Review, *args: Any) -> None:
        if review.state == reviews.RECUSED:
            await ui.alert(update.callback_query, ctx, "review/recused")
            return
        await handler(update, ctx, review, *args)

    return guarded


async def _show(update: Update, ctx: Ctx, review_id: int, said: str | None = None) -> None:
    """The card tapped, edited to the review as it is now (once for a double tap)."""
    review = await reviews.get(ctx.db, review_id)
    markup, context = await _card(ctx, review, said)
    await ui.edit(update.callback_query, ctx, "review/card", markup, **context)


@BUTTONS.on("score")
@_IN_PRIVATE
@_MINE_OPEN
@_standing
async def _score(update: Update, ctx: Ctx, review: Review, key: str, value: int) -> None:
    query = update.callback_query
    criterion = next((c for c in ctx.campaign.criteria if c.key == key), None)
    if criterion is None or not 0 <= value <= criterion.scale:
        await ui.stale(query, ctx)  # a criterion or scale the campaign no longer has
        return
    async with ctx.write() as tx:
        await reviews.set_score(tx, review.id, key, value)
    await query.answer()
    await _show(update, ctx, review.id)


@BUTTONS.on("go")
@_IN_PRIVATE
@_MINE
@_standing
async def _go(update: Update, ctx: Ctx, review: Review) -> None:
    await update.callback_query.answer()
    await _show(update, ctx, review.id)


@BUTTONS.on("submit")
@_IN_PRIVATE
@_MINE_OPEN
@_standing
async def _submit(update: Update, ctx: Ctx, review: Review) -> None:
    query = update.callback_query
    criteria = ctx.campaign.criteria
    async with ctx.write() as tx:
        review = await reviews.get(tx, review.id)
        scores = (await reviews.scores_of(tx, [review.id]))[review.id]
        missing = [c for c in criteria if c.key not in _valid(criteria, dict(scores.draft))]
        said = None
        if not missing:
            said = await _submit_in(ctx, tx, review, [c.key for c in criteria])
    if missing:
        await ui.alert(query, ctx, "review/missing", missing=missing, of=len(criteria))
        await _show(update, ctx, review.id)  # an old card shows what is set
        return
    await (ui.toast(query, ctx, f"review/{said}") if said else query.answer())
    await _show(update, ctx, review.id)


async def _submit_in(
    ctx: Ctx,
    tx: Transaction,
    review: Review,
    keys: list[str],
    **typed: Any,
) -> str | None:
    """Submit in the caller's transaction (typed: /score's scores and comment); what it did:
    "submitted", "changed", or None (nothing new). The last one in tells the admins."""
    before = (await reviews.history(tx, review.id)) if review.state == reviews.SUBMITTED else None
    done = await reviews.submit(tx, review.id, keys, by=ctx.actor.user_id, **typed)
    if done is None:
        return None
    if review.state != reviews.SUBMITTED:
        said = "submitted"
    elif len(await reviews.history(tx, review.id)) > len(before):
        said = "changed"
    else:
        return None
    await _tell_if_all_in(ctx, tx)
    return said


async def _tell_if_all_in(ctx: Ctx, tx: Transaction) -> None:
    """Every review that counts is submitted (and there is one): the admins hear it once."""
    progress = await reviews.progress_by_candidate(tx)
    submitted = sum(p.submitted for p in progress)
    if not submitted or any(p.submitted < p.assigned for p in progress):
        return
    await notices.to_people(
        tx,
        ctx.core.writer,
        await admin_ids(tx, ctx.core.settings.admins),
        "review/all_in",
        str(ALL_IN),
        button=review_progress.button(),
        candidates=len(progress),
        reviews=submitted,
    )


@BUTTONS.on("undo")
@_IN_PRIVATE
@_MINE_OPEN
@_standing
async def _undo(update: Update, ctx: Ctx, review: Review) -> None:
    query = update.callback_query
    async with ctx.write() as tx:
        undone = await reviews.revert(tx, review.id)
    await (ui.toast(query, ctx, "review/undone") if undone else query.answer())
    await _show(update, ctx, review.id)


# --- the comment: a typed step ---------------------------------------------------------------


@BUTTONS.on("comment")
@_IN_PRIVATE
@_MINE_OPEN
@_standing
async def _comment(update: Update, ctx: Ctx, review: Review) -> None:
    query = update.callback_query
    card = query.message.message_id if query.message is not None else None
    async with ctx.write() as tx:
        await flows.begin(tx, ctx.actor.user_id, FLOW, "comment", review=review.id, card=card)
    await query.answer()
    project = await orgs.project(ctx.db, review.project_id)
    await ui.reply(
        update,
        ctx,
        "review/comment_ask",
        project=project,
        limit=COMMENT_LIMIT,
        minutes=int(PROMPT_EXPIRY.total_seconds() // 60),
        comment=review.draft_comment,
    )


async def _commented(update: Update, ctx: Ctx) -> None:
    """The typed comment replaces the card's; the card comes anew below it."""
    data = ctx.flow.data
    review = await reviews.get(ctx.db, data.get("review", 0))
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
        if review is not None and may_score(ctx.actor, review):
            await reviews.set_comment(tx, review.id, update.effective_message.text.strip() or None)
    ctx.flow = None
    if review is None or not may_score(ctx.actor, review) or review.state == reviews.RECUSED:
        await ui.reply(update, ctx, "common/stale", command="review")
        return
    if data.get("card"):  # the old card's buttons would still act: only the new one has them
        with contextlib.suppress(BadRequest):
            await ctx.bot.edit_message_reply_markup(
                chat_id=update.effective_chat.id, message_id=data["card"]
            )
    review = await reviews.get(ctx.db, review.id)
    markup, context = await _card(ctx, review)
    await ui.reply(update, ctx, "review/card", markup, **context)


_COMMENT_TAP = f"{BUTTONS.prefix}:{BUTTONS.actions['comment'][0]}:"
_FLOW = Flow(
    FLOW,
    {
        "comment": Step(
            Accepts.TEXT,
            "review/comment_wrong_input",
            _commented,
            expires=PROMPT_EXPIRY,
            max_chars=COMMENT_LIMIT,
            too_long="review/comment_too_long",
        )
    },
    allowed=_is_reviewer,
    stage=GUARD,
    # Any other tap ends the prompt: a comment typed later must not land on another card.
    own_tap=lambda data: (data or "").startswith(_COMMENT_TAP),
)


# --- /score CODE s1 … s6 [comment] ------------------------------------------------------------


_SEPARATOR = r"[\s,，、;；]+"  # Chinese keyboards type ， 、 ； and the wide space too


@dataclass(frozen=True)
class Typed:
    """/score's text read: the code, the scores by criterion, the comment; or what is wrong
    (`problem`: "count" or "value", with `at` the criterion and `given` what was typed)."""

    code: str = ""
    scores: dict[str, int] | None = None
    comment: str | None = None
    problem: str | None = None
    at: Criterion | None = None
    given: str = ""


def read_scores(text: str, criteria: Sequence[Criterion]) -> Typed:
    """`CODE s1 … sN [comment]` (the text after /score), N the campaign's criteria in order.
    Full-width digits count as digits; a rest that is only numbers is a score too many."""
    rest = re.sub(rf"^{_SEPARATOR}|{_SEPARATOR}$", "", text)
    parts = re.split(_SEPARATOR, rest, maxsplit=len(criteria) + 1) if rest else []
    if len(parts) < len(criteria) + 1:
        return Typed(problem="count", given=str(max(len(parts) - 1, 0)))
    code, typed, comment = parts[0], parts[1 : len(criteria) + 1], parts[len(criteria) + 1 :]
    scores = {}
    for criterion, word in zip(criteria, typed, strict=True):
        digits = unicodedata.normalize("NFKC", word)
        if not re.fullmatch(r"[0-9]{1,3}", digits) or int(digits) > criterion.scale:
            return Typed(problem="value", at=criterion, given=word)
        scores[criterion.key] = int(digits)
    said = comment[0].strip() if comment else ""
    if said and re.fullmatch(rf"[0-9]+({_SEPARATOR}[0-9]+)*", unicodedata.normalize("NFKC", said)):
        return Typed(problem="count", given=str(len(criteria) + len(re.split(_SEPARATOR, said))))
    return Typed(unicodedata.normalize("NFKC", code), scores, said or None)


@guards.person(_is_reviewer, "review/not_reviewer")
async def score_command(update: Update, ctx: Ctx) -> None:
    if await guards.refuse_if_shut(update, ctx, GUARD):
        return
    criteria = ctx.campaign.criteria
    text = (update.effective_message.text or "").split(maxsplit=1)
    typed = read_scores(text[1] if len(text) > 1 else "", criteria)
    if typed.problem is not None:
        await ui.reply(update, ctx, "review/score_usage", typed=typed, criteria=criteria)
        return
    if len(typed.comment or "") > COMMENT_LIMIT:
        await ui.reply(
            update, ctx, "review/comment_too_long", length=len(typed.comment), limit=COMMENT_LIMIT
        )
        return
    async with ctx.write() as tx:
        await reviewing.ensure_everyone(tx, ctx.campaign)
    project = await orgs.project_by_code(ctx.db, typed.code) or await orgs.project_by_code(
        ctx.db, typed.code.upper()
    )
    review = await reviews.of(ctx.db, ctx.actor.user_id, project.id) if project else None
    if project is None:
        await ui.reply(update, ctx, "review/score_unknown", code=typed.code, criteria=criteria)
        return
    if review is None or review.state == reviews.RECUSED:
        await ui.reply(update, ctx, "review/not_assigned", project=project, review=review)
        return
    async with ctx.write() as tx:
        review = await reviews.get(tx, review.id)
        said = await _submit_in(
            ctx, tx, review, [c.key for c in criteria], scores=typed.scores, comment=typed.comment
        )
    review = await reviews.get(ctx.db, review.id)
    # The card says it is submitted; a change, or nothing new, is said on top.
    markup, context = await _card(ctx, review, None if said == "submitted" else said or "same")
    await ui.reply(update, ctx, "review/card", markup, **context)
