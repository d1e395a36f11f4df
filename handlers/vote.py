"""The quick group vote (stage 3, the campaign's `vote = true`): an admin sends /vote CODE in the
reviewers' chat (a group or topic bound with /bind → 🌐) and a card on that candidate comes: its
unit, project and final items, and 👍 🤔 👎. Each reviewer's tap counts once: another choice
moves it, the same choice again withdraws it. The card shows counts, never names, edited in
place until an admin closes the vote; the result is kept beside the scores (storage.votes) and
never enters a weighted total.

    /vote CODE ─▶ the card ─▶ 👍 / 🤔 / 👎 (reviewers) ─▶ "counted" / "withdrawn", the counts
                          └▶ 🔒 (admins) ─▶ ✅ close / ✖ keep it open (the card's own buttons)
    /vote close CODE ─▶ closed, as ✅

The card and its edits go through the outbox, written with the vote opened, the ballot cast or
the vote closed: a crash or a redelivered update never loses or doubles one (the card's cause
names the vote, and a candidate has one open vote at most). Edits are paced twice: the sender
keeps every chat under Telegram's limits, and a card is edited at most once every EDIT_EVERY
seconds (storage.votes.edit_turn); taps in between only change what the waiting edit will
say, so a burst of taps is a few edits, the last showing the last counts.

Who: admins open and close; reviewers vote (assigned the candidate or not); anyone else,
admins who are not reviewers included, is refused with an alert: the admins run the vote, the
reviewers make it. After the stage closes no vote opens and taps are refused; an admin can
still close a vote left open, to keep its result.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from bot import evidence
from bot.access import Actor
from bot.core import Ctx
from bot.evidence import Evidence
from bot.flow import StageGuard
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import chats, finals, orgs, outbox, votes
from storage.db import Transaction
from storage.outbox import BULK, FOLLOWS, Cause, Outgoing
from storage.votes import Vote

STAGE = "assess"
GUARD = StageGuard(STAGE, "vote/before", "vote/after")
# Seconds between two edits of one card: Telegram allows a group about 20 messages a minute,
# edits included, so one card alone never draws a 429.
EDIT_EVERY = 3.0
MARKS = {"recommend": "👍", "undecided": "🤔", "not_yet": "👎"}
BUTTONS = Buttons(
    "vt",
    command="vote",
    cast=("c", (int, str)),  # this vote, this choice
    close=("x", (int,)),  # 🔒: ask to confirm
    confirm=("y", (int,)),  # ✅ close it
    keep=("k", (int,)),  # ✖ keep it open
)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("vote", vote_command))
    app.add_handler(guards.tapped(BUTTONS))


def card_cause(vote_id: int) -> Cause:
    return Cause("vote", vote_id, "card")


def may_vote(actor: Actor) -> bool:
    """Reviewers vote, assigned the candidate or not; admins run the vote."""
    return actor.has("reviewer")


# --- /vote ------------------------------------------------------------------------------------


@guards.person(guards.admin, "vote/not_admin")
async def vote_command(update: Update, ctx: Ctx) -> None:
    if not ctx.campaign.assessment.vote:
        await ui.reply(update, ctx, "vote/off")
        return
    if not await _in_reviewers_chat(update, ctx):
        await ui.reply(update, ctx, "vote/where")
        return
    args = ctx.args or []
    closing = len(args) == 2 and args[0].lower() == "close"
    if len(args) != 1 and not closing:
        await ui.reply(update, ctx, "vote/usage")
        return
    code = args[-1][:64]
    candidate = await _candidate_by_code(ctx, code)
    if candidate is None:
        await ui.reply(update, ctx, "vote/not_candidate", code=code)
        return
    if closing:
        await _close_by_command(update, ctx, candidate)
        return
    if await guards.refuse_if_shut(update, ctx, GUARD):
        return
    await _open(update, ctx, candidate)


async def _in_reviewers_chat(update: Update, ctx: Ctx) -> bool:
    """The command came from the reviewers' chat: the topic it was sent in, or the whole chat."""
    chat = update.effective_chat
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return False
    thread = ui.thread_id(update)
    found = await chats.campaign_chat(ctx.db, chat.id, thread)
    if found is None and thread:
        found = await chats.campaign_chat(ctx.db, chat.id, 0)
    return found is not None


async def _candidate_by_code(ctx: Ctx, code: str) -> finals.Candidate | None:
    project = await orgs.project_by_code(ctx.db, code)
    if project is None:
        return None
    found = await finals.candidates(ctx.db, [project.id])
    return found[0] if found else None


async def _open(update: Update, ctx: Ctx, candidate: finals.Candidate) -> None:
    """The vote and its card, in one transaction: the card is written, not sent here, so a
    crash after the commit still posts it, and a redelivered /vote finds the vote open."""
    chat_id, thread = update.effective_chat.id, ui.thread_id(update)
    found = await _evidence(ctx, candidate.project_id)
    async with ctx.write() as tx:
        vote = await votes.open_vote(
            tx, candidate.project_id, chat_id, thread, by=ctx.actor.user_id
        )
        if vote is not None:
            text, markup = await _card(ctx, tx, vote, found)
            payload: dict[str, Any] = {"text": text, "reply_markup": markup}
            if thread:
                payload["message_thread_id"] = thread
            card = Outgoing(
                str(card_cause(vote.id)),
                "vote/card",
                chat_id,
                payload,
                thread_id=thread,
                priority=BULK,
            )
            await outbox.enqueue(tx, [card])
    if vote is None:
        await _point_to_open(update, ctx, candidate)


async def _point_to_open(update: Update, ctx: Ctx, candidate: finals.Candidate) -> None:
    """A second /vote on a candidate: not a second card, a reply to the one that is open (when
    it is in this chat and out already), saying where it is."""
    vote = await votes.open_on(ctx.db, candidate.project_id)
    if vote is None:  # closed in between: rare enough to ask again
        await ui.reply(update, ctx, "vote/usage")
        return
    here = vote.chat_id == update.effective_chat.id
    message_id = None
    if here:
        cause = str(card_cause(vote.id))
        message_id = await outbox.sent_message(ctx.db, cause, vote.chat_id, vote.thread_id)
    text = ui.render(ctx, "vote/open_already", project=candidate, here=here)[0]
    await ctx.bot.send_message(
        update.effective_chat.id,
        text,
        message_thread_id=ui.thread_id(update) or None,
        reply_parameters=ReplyParameters(message_id, allow_sending_without_reply=True)
        if message_id
        else None,
    )


async def _close_by_command(update: Update, ctx: Ctx, candidate: finals.Candidate) -> None:
    found = await _evidence(ctx, candidate.project_id)
    async with ctx.write() as tx:
        vote = await votes.open_on(tx, candidate.project_id)
        closed = await _close(tx, ctx, vote, found) if vote is not None else None
    if closed is None:
        await ui.reply(update, ctx, "vote/none_open", project=candidate)
        return
    await ui.reply(update, ctx, "vote/closed_reply", project=candidate, counts=closed[1])


# --- the card ---------------------------------------------------------------------------------


async def _evidence(ctx: Ctx, project_id: int) -> Evidence:
    """What the card says of the candidate: read before the write transaction, which then
    holds the lock only for the ballot and the counts (a tap changes nothing of this)."""
    return await evidence.gather(ctx.db, ctx.campaign, project_id)


async def _card(
    ctx: Ctx, tx: Transaction, vote: Vote, found: Evidence
) -> tuple[str, dict[str, Any] | None]:
    """The card as the chat sees it now (in the campaign's language: it is everyone's), and
    its buttons as the outbox stores them (None once closed)."""
    locale = ctx.campaign.default_locale
    counts = (await votes.tally(tx, [vote.id]))[vote.id]
    items = [{"item": item, "stored": found.finals.get(item.key)} for item in ctx.campaign.finals]
    text = ctx.msgs.texts(
        locale,
        "vote/card",
        campaign=ctx.campaign,
        evidence=found,
        items=items,
        counts=counts,
        vote=vote,
    )[0]
    markup = _buttons(ctx, vote, locale)
    return text, markup.to_dict() if markup is not None else None


def _buttons(
    ctx: Ctx, vote: Vote, locale: str, *, confirming: bool = False
) -> InlineKeyboardMarkup | None:
    if not vote.is_open:
        return None
    label = ctx.msgs.label
    rows = [
        [
            (label(locale, f"vote_{choice}"), BUTTONS.data("cast", vote.id, choice))
            for choice in MARKS
        ]
    ]
    if confirming:
        rows.append(
            [
                (label(locale, "vote_close_confirm"), BUTTONS.data("confirm", vote.id)),
                (label(locale, "vote_keep_open"), BUTTONS.data("keep", vote.id)),
            ]
        )
    else:
        rows.append([(label(locale, "vote_close"), BUTTONS.data("close", vote.id))])
    return ui.keyboard(rows)


async def _show(tx: Transaction, ctx: Ctx, vote: Vote, found: Evidence) -> None:
    """The card edited to say what the vote is now: the waiting edit renewed with these
    words, due at the card's next turn (at once when the vote closed: nothing follows)."""
    vote = await votes.get(tx, vote.id)
    text, markup = await _card(ctx, tx, vote, found)
    turn = tx.now
    if vote.is_open:
        turn = await votes.edit_turn(tx, vote.id, timedelta(seconds=EDIT_EVERY))
    cause = card_cause(vote.id)
    payload: dict[str, Any] = {"text": text, "reply_markup": markup, FOLLOWS: str(cause)}
    edit = Outgoing(
        str(cause.then("edit")),
        "vote/card",
        vote.chat_id,
        payload,
        method="editMessageText",
        thread_id=vote.thread_id,
        priority=BULK,
        not_before=turn,
    )
    await outbox.renew(tx, [edit])


async def _close(
    tx: Transaction, ctx: Ctx, vote: Vote, found: Evidence
) -> tuple[Vote, dict[str, int]] | None:
    """Close the vote and show its final counts on the card; None if it was closed already."""
    closed = await votes.close(tx, vote.id, by=ctx.actor.user_id)
    if closed is None:
        return None
    await _show(tx, ctx, closed, found)
    return closed, (await votes.tally(tx, [vote.id]))[vote.id]


# --- taps -------------------------------------------------------------------------------------

# The card lives in the reviewers' chat: tapped anywhere else it is out of date.
_IN_GROUP = guards.in_chats(ChatType.GROUP, ChatType.SUPERGROUP)


def _its_chat(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """A button naming a vote of another chat is forged: as out of date as one whose vote no
    longer exists."""

    @functools.wraps(handler)
    async def guarded(update: Update, ctx: Ctx, vote: Vote, *args: Any) -> None:
        if vote.chat_id != update.effective_chat.id:
            await ui.stale(update.callback_query, ctx)
            return
        await handler(update, ctx, vote, *args)

    return guarded


def _votes(actor: Actor, vote: Vote) -> bool:
    return may_vote(actor)


def _runs(actor: Actor, vote: Vote) -> bool:
    return actor.is_admin


_LOAD = guards.row(votes.get)
# A ballot: by a reviewer, while the stage is open.
_BALLOT = guards.on_object(_LOAD, _votes, refusal="vote/not_reviewer", stage=GUARD)
# 🔒 ✅ ✖: by an admin, also after the stage closed (a vote left open keeps its result).
_ADMIN = guards.on_object(_LOAD, _runs, refusal="vote/not_admin")


@BUTTONS.on("cast")
@_IN_GROUP
@_BALLOT
@_its_chat
async def _cast(update: Update, ctx: Ctx, vote: Vote, choice: str) -> None:
    query = update.callback_query
    if choice not in MARKS:
        await ui.stale(query, ctx)
        return
    found = await _evidence(ctx, vote.project_id)
    async with ctx.write() as tx:
        cast = await votes.cast(tx, vote.id, ctx.actor.user_id, choice)
        if cast.changed:
            await _show(tx, ctx, vote, found)
    if not cast.changed:  # closed (before or since the guard looked)
        await ui.alert(query, ctx, "vote/closed")
    elif cast.ballot is None:
        await ui.toast(query, ctx, "vote/withdrawn")
    else:
        choice_label = ctx.msgs.label(ctx.locale, f"vote_{choice}")
        await ui.toast(query, ctx, "vote/counted", choice=choice_label)


@BUTTONS.on("close")
@_IN_GROUP
@_ADMIN
@_its_chat
async def _ask_close(update: Update, ctx: Ctx, vote: Vote) -> None:
    """🔒 asks first, on the card itself: ✅ closes, ✖ keeps it open. A ballot cast meanwhile
    edits the card back to its usual buttons (🔒 again)."""
    query = update.callback_query
    if not vote.is_open:
        await ui.alert(query, ctx, "vote/closed")
        return
    await ui.toast(query, ctx, "vote/confirm_close")
    markup = _buttons(ctx, vote, ctx.campaign.default_locale, confirming=True)
    await ui.edit_buttons(query, markup, ctx)


@BUTTONS.on("keep")
@_IN_GROUP
@_ADMIN
@_its_chat
async def _keep(update: Update, ctx: Ctx, vote: Vote) -> None:
    query = update.callback_query
    if not vote.is_open:
        await ui.alert(query, ctx, "vote/closed")
        return
    await query.answer()
    await ui.edit_buttons(query, _buttons(ctx, vote, ctx.campaign.default_locale), ctx)


@BUTTONS.on("confirm")
@_IN_GROUP
@_ADMIN
@_its_chat
async def _confirm(update: Update, ctx: Ctx, vote: Vote) -> None:
    """Closed in the transaction that shows it; a double tap closes nothing twice."""
    query = update.callback_query
    found = await _evidence(ctx, vote.project_id)
    async with ctx.write() as tx:
        closed = await _close(tx, ctx, vote, found)
    if closed is None:
        await ui.alert(query, ctx, "vote/closed")
        return
    await ui.toast(query, ctx, "vote/closed_toast", counts=closed[1])
