"""/select: the admins choose the pacesetters from stage 3's ranking, after a confirmation.

    /select ─▶ the candidates in ranking order, paged: ✅ in, ▫ out, a tap moves one; "Top N"
               takes the N best (ties at N all in) ─▶ ➡ Review ─▶ who is in, who is out, the
               flagged among those in ─▶ ✅ Confirm ─▶ recorded, everyone concerned told
                                         └▶ ✖ Cancel
    /select CODE … ─▶ the same review, for exactly those candidates

The proposal is the admin's own (storage/pacesetters.py keeps it, so a restart keeps it too);
/select starts it again from the selection recorded. ✅ carries a fingerprint of the proposal
and of the round it would follow: another admin's round, or a changed proposal, meanwhile is
shown instead of written. Confirming records the round and, in the same transaction, writes
the notices under the round's own cause: a redelivered tap or a restart finds the proposal
recorded already and writes nothing twice. Each candidate's leads, unit secretaries and bound
groups hear its outcome (a person once, however many roles tie them to it); after a change,
only those whose outcome changed hear, and the notice says it replaces the earlier one. They
never hear a score or a rank. Until the assessment closes; after, refused naming the date.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, filters

from bot import notices, ranking
from bot.applications import stage_phase
from bot.campaign import Campaign
from bot.core import Ctx
from bot.ranking import Row
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import finals, pacesetters
from storage.db import Executor, Transaction
from storage.outbox import Cause

STAGE = "assess"
NEXT_STAGE = "consolidate"  # what the selected go on to: its title and the deliverables
TOPS = (3, 5, 10)  # "Top N" buttons besides the campaign's own number, where there are more
PER_PAGE = 8  # candidates on a page, each a line and a button
# Pacesetters (and flagged ones) named in full on the confirmation, the rest by code: an edit
# holds one message (4,096 characters).
NAMED = 20
BUTTONS = Buttons(
    "ps",
    command="select",
    page=("p", (int,)),  # this page of the candidates
    toggle=("t", (int, int)),  # a candidate in or out of the proposal; the page it is on
    top=("n", (int,)),  # the proposal becomes the N best by rank
    review=("r", ()),  # who is in, who is out: the confirmation
    back=("b", ()),  # from the confirmation back to the candidates
    confirm=("y", (int,)),  # record the proposal with this fingerprint
    cancel=("c", ()),  # nothing recorded
)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("select", select_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, guards.admin))


def _closed(ctx: Ctx) -> bool:
    return stage_phase(ctx.campaign, STAGE, ctx.now) == "closed"


def fingerprint(proposal: Collection[int], after: pacesetters.Round | None) -> int:
    """What ✅ was shown for: the proposal and the round it follows (0: none yet)."""
    text = f"{after.id if after else 0}:{','.join(map(str, sorted(proposal)))}"
    return zlib.crc32(text.encode())


def top(rows: tuple[Row, ...], n: int) -> set[int]:
    """The N best by rank; candidates tied at the Nth place are all in, never cut silently."""
    return {row.project_id for row in rows if row.rank is not None and row.rank <= n}


@guards.person(guards.admin, "select/not_admin")
async def select_command(update: Update, ctx: Ctx) -> None:
    if _closed(ctx):
        await ui.reply(update, ctx, "pacesetters/closed", stage=ctx.campaign.stage(STAGE))
        return
    board = await ranking.load(ctx.db, ctx.campaign)
    if not board.rows:
        await ui.reply(update, ctx, "pacesetters/no_candidates")
        return
    if ctx.args:
        by_code = {row.code.casefold(): row.project_id for row in board.rows}
        unknown = [code for code in ctx.args if code.casefold() not in by_code]
        if unknown:
            await ui.reply(update, ctx, "pacesetters/unknown", codes=unknown)
            return
        chosen = {by_code[code.casefold()] for code in ctx.args}
    else:
        chosen = await pacesetters.current(ctx.db)
    async with ctx.write() as tx:
        await pacesetters.save_draft(tx, ctx.actor.user_id, chosen)
    if ctx.args:
        key, markup, context = await _review(ctx, board, chosen)
    else:
        key, markup, context = "pacesetters/screen", *await _screen(ctx, board, chosen, 0)
    await ui.reply(update, ctx, key, markup, **context)


async def _proposal(db: Executor, admin_id: int, board: ranking.Ranking) -> set[int]:
    """The admin's proposal, of candidates only; the recorded selection if they have none."""
    draft = await pacesetters.draft(db, admin_id)
    chosen = draft if draft is not None else await pacesetters.current(db)
    return {row.project_id for row in board.rows} & set(chosen)


async def _screen(
    ctx: Ctx, board: ranking.Ranking, chosen: set[int], page: int
) -> tuple[InlineKeyboardMarkup | None, dict[str, Any]]:
    """One page of the candidates in ranking order, each a toggle, with the "Top N" buttons
    and the way to the confirmation."""
    rows = board.rows
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = rows[page * PER_PAGE : (page + 1) * PER_PAGE]
    label = ctx.msgs.label
    buttons = []
    for row in shown:
        key = "pacesetter_in" if row.project_id in chosen else "pacesetter_out"
        text = label(ctx.locale, key, rank=row.rank or "–", code=row.code)
        buttons.append(
            [(text + (" ⚠" if row.flags else ""), BUTTONS.data("toggle", row.project_id, page))]
        )
    buttons.append(ui.page_buttons(ctx, page + 1, pages, lambda to: BUTTONS.data("page", to)))
    suggested = ctx.campaign.assessment.pacesetters
    tops = [n for n in TOPS if n < len(rows) and n != suggested]
    if suggested:
        tops = [suggested, *tops]
    buttons.append(
        [
            (
                label(
                    ctx.locale,
                    "pacesetter_top_suggested" if n == suggested else "pacesetter_top",
                    n=n,
                ),
                BUTTONS.data("top", n),
            )
            for n in tops
        ]
    )
    buttons.append([(label(ctx.locale, "pacesetter_review"), BUTTONS.data("review"))])
    last = await pacesetters.last_round(ctx.db)
    return ui.keyboard(buttons), {
        "stage": ctx.campaign.stage(STAGE),
        "rows": [{"row": row, "in": row.project_id in chosen} for row in shown],
        "chosen": len(chosen),
        "candidates": len(rows),
        "recorded": len(await pacesetters.current(ctx.db)) if last else None,
        "last": last,
        "page": page + 1,
        "pages": pages,
    }


async def _show_screen(update: Update, ctx: Ctx, chosen: set[int] | None, page: int) -> None:
    board = await ranking.load(ctx.db, ctx.campaign)
    if chosen is None:
        chosen = await _proposal(ctx.db, ctx.actor.user_id, board)
    else:
        async with ctx.write() as tx:
            await pacesetters.save_draft(tx, ctx.actor.user_id, chosen)
    markup, context = await _screen(ctx, board, chosen, page)
    await ui.show(update.callback_query, ctx, "pacesetters/screen", markup, **context)


async def _refused(update: Update, ctx: Ctx) -> bool:
    if _closed(ctx):
        await ui.alert(
            update.callback_query, ctx, "pacesetters/closed", stage=ctx.campaign.stage(STAGE)
        )
        return True
    return False


@BUTTONS.on("page")
async def _page(update: Update, ctx: Ctx, page: int) -> None:
    if not await _refused(update, ctx):
        await _show_screen(update, ctx, None, page)


@BUTTONS.on("back")
async def _back(update: Update, ctx: Ctx) -> None:
    if not await _refused(update, ctx):
        await _show_screen(update, ctx, None, 0)


@BUTTONS.on("toggle")
async def _toggle(update: Update, ctx: Ctx, project_id: int, page: int) -> None:
    if await _refused(update, ctx):
        return
    board = await ranking.load(ctx.db, ctx.campaign)
    if board.row(project_id) is None:
        await ui.stale(update.callback_query, ctx)
        return
    await _show_screen(
        update, ctx, await _proposal(ctx.db, ctx.actor.user_id, board) ^ {project_id}, page
    )


@BUTTONS.on("top")
async def _top(update: Update, ctx: Ctx, n: int) -> None:
    if await _refused(update, ctx):
        return
    board = await ranking.load(ctx.db, ctx.campaign)
    await _show_screen(update, ctx, top(board.rows, n), 0)


@BUTTONS.on("review")
async def _ask(update: Update, ctx: Ctx) -> None:
    if await _refused(update, ctx):
        return
    board = await ranking.load(ctx.db, ctx.campaign)
    key, markup, context = await _review(
        ctx, board, await _proposal(ctx.db, ctx.actor.user_id, board)
    )
    if markup is None:
        await ui.alert(update.callback_query, ctx, key, **context)
        return
    await ui.show(update.callback_query, ctx, key, markup, **context)


async def _review(
    ctx: Ctx, board: ranking.Ranking, chosen: set[int], *, changed: bool = False
) -> tuple[str, InlineKeyboardMarkup | None, dict[str, Any]]:
    """The confirmation: who is in, who is out, the flagged among those in, and what changes
    from the selection recorded; or why there is nothing to confirm."""
    if not chosen:
        return "pacesetters/none_chosen", None, {}
    last = await pacesetters.last_round(ctx.db)
    recorded = await pacesetters.current(ctx.db)
    if last is not None and chosen == recorded:
        return "pacesetters/unchanged", None, {}
    label = ctx.msgs.label
    markup = ui.keyboard(
        [
            [
                (
                    label(ctx.locale, "pacesetter_confirm"),
                    BUTTONS.data("confirm", fingerprint(chosen, last)),
                )
            ],
            [(label(ctx.locale, "back"), BUTTONS.data("back"))],
            [(label(ctx.locale, "cancel"), BUTTONS.data("cancel"))],
        ]
    )
    ins = [row for row in board.rows if row.project_id in chosen]
    return (
        "pacesetters/confirm",
        markup,
        {
            "named": NAMED,
            "changed": changed,
            "ins": ins,
            "outs": [row for row in board.rows if row.project_id not in chosen],
            "flagged": [row for row in ins if row.flags],
            "first": last is None,
            "newly_in": [row for row in ins if row.project_id not in recorded],
            "newly_out": [row for row in board.rows if row.project_id in recorded - chosen],
        },
    )


@BUTTONS.on("confirm")
async def _confirm(update: Update, ctx: Ctx, shown: int) -> None:
    query = update.callback_query
    if await _refused(update, ctx):
        return
    board = await ranking.load(ctx.db, ctx.campaign)
    outcome = "changed"
    async with ctx.write() as tx:
        # What is stored now, not what the confirmation saw.
        chosen = await _proposal(tx, ctx.actor.user_id, board)
        last = await pacesetters.last_round(tx)
        if chosen and last is not None and chosen == await pacesetters.current(tx):
            outcome = "recorded"  # a double tap, a redelivered one, or another admin's same
        elif chosen and fingerprint(chosen, last) == shown:
            made = await pacesetters.select(tx, chosen, by=ctx.actor.user_id)
            await announce(tx, ctx.core.writer, made, chosen)
            outcome = "recorded"
    if outcome == "recorded":
        selected = [row for row in board.rows if row.project_id in chosen]
        await ui.show(query, ctx, "pacesetters/done", ins=selected, named=NAMED)
        return
    key, markup, context = await _review(ctx, board, chosen, changed=True)
    if markup is None:
        await ui.alert(query, ctx, key, **context)
        return
    await ui.show(query, ctx, key, markup, **context)


@BUTTONS.on("cancel")
async def _cancel(update: Update, ctx: Ctx) -> None:
    async with ctx.write() as tx:
        await pacesetters.save_draft(tx, ctx.actor.user_id, await pacesetters.current(tx))
    await ui.show(update.callback_query, ctx, "pacesetters/cancelled")


async def announce(
    tx: Transaction, writer: notices.Writer, made: pacesetters.Round, chosen: set[int]
) -> None:
    """Tell each candidate whose outcome is new its outcome: its leads and unit secretaries
    privately, each in their language and once, and its unit's and its own bound groups. The
    round's cause: written once, whatever is delivered again."""
    listed = {c.project_id: c for c in await finals.candidates(tx)}
    before = await pacesetters.told(tx)
    outcomes = {
        project_id: project_id in chosen
        for project_id in listed
        if before.get(project_id) != (project_id in chosen)
    }
    if not outcomes:
        return
    audience = await pacesetters.audience(tx, outcomes)
    cause = str(Cause("pacesetters", made.id))
    letters = _grouped(audience.people, outcomes, listed, before)
    await notices.to_each(
        tx,
        writer,
        [(user_id, "pacesetters/told", told, None) for user_id, told in letters.items()],
        cause,
        **_shared(writer.campaign),
    )
    posts = _grouped(audience.chats, outcomes, listed, before, chats=True)
    await notices.to_each_chat(
        tx,
        writer,
        [(chat, thread, "pacesetters/told", told, None) for (chat, thread), told in posts.items()],
        cause,
        **_shared(writer.campaign),
    )
    await pacesetters.mark_told(tx, made.id, outcomes)


def _shared(campaign: Campaign) -> dict[str, Any]:
    return {
        "next_stage": campaign.stage(NEXT_STAGE),
        "deliverables": campaign.deliverables,
    }


def _grouped(
    pairs: Iterable[tuple[int, ...]],
    outcomes: dict[int, bool],
    listed: dict[int, finals.Candidate],
    before: dict[int, bool],
    *,
    chats: bool = False,
) -> dict[Any, dict[str, Any]]:
    """Per person (or chat and topic): the candidates concerned, selected and not, in the
    candidates' order, and whether it corrects an earlier notice: one notice each, however
    many candidates it concerns."""
    order = {project_id: place for place, project_id in enumerate(listed)}
    found: dict[Any, dict[str, Any]] = {}
    for *whom, project_id in sorted(pairs, key=lambda pair: order[pair[-1]]):
        key = tuple(whom) if chats else whom[0]
        told = found.setdefault(key, {"selected": [], "not_selected": [], "correction": False})
        told["selected" if outcomes[project_id] else "not_selected"].append(listed[project_id])
        told["correction"] = told["correction"] or project_id in before
    return found
