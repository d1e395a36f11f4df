"""The admins' view of stage 3's reviews: per candidate, reviews submitted of those assigned,
recusals and the quick vote's counts; per reviewer, submitted of assigned. Names of reviewers,
never their scores. One message, paged with ◀ ▶ and refreshed with 🔄, edited in place.

    /review (an admin) ─▶ page 1 ─▶ ◀ ▶ another page, 🔄 the same page counted again
    a recusal's notice ─▶ 📊 ─▶ page 1, as a new message

With `reviewers_per_candidate = 0` there is no /assign step: everyone's reviews are made
(`reviewing.ensure_everyone`) before they are counted, so the numbers are the real ones.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot import reviewing
from bot.core import Ctx
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import finals, people, reviews, roles, votes
from storage.db import Executor

STAGE = "assess"
PER_PAGE = 25  # lines (a candidate or a reviewer) on a page: one message, well under 4,096
BUTTONS = Buttons(
    "rs",  # review status ("rp" is the activity reports')
    command="review",
    start=("s", ()),  # the first page, as a new message (under a recusal's notice)
    page=("p", (int,)),  # this page, the message edited in place
    refresh=("r", (int,)),  # the same page, counted again
)


def register(app: Application) -> None:
    app.add_handler(guards.tapped(BUTTONS, guards.admin))


def button() -> tuple[str, str]:
    """📊 Review progress: the label key and data, for a notice to the admins."""
    return "review_progress", BUTTONS.data("start")


@guards.person(guards.admin, "select/not_admin")
async def show(update: Update, ctx: Ctx) -> None:
    """The first page, in answer to a command (or a button that asks for a new message)."""
    markup, context = await _screen(ctx, 0)
    await ui.reply(update, ctx, "review_progress/screen", markup, **context)


@BUTTONS.on("start")
async def _start(update: Update, ctx: Ctx) -> None:
    await update.callback_query.answer()
    await show(update, ctx)


@BUTTONS.on("page", "refresh")
async def _page(update: Update, ctx: Ctx, page: int) -> None:
    markup, context = await _screen(ctx, page)
    await ui.show(update.callback_query, ctx, "review_progress/screen", markup, **context)


async def _screen(ctx: Ctx, page: int) -> tuple[InlineKeyboardMarkup | None, dict[str, Any]]:
    async with ctx.write() as tx:
        await reviewing.ensure_everyone(tx, ctx.campaign)
    lines = await candidate_lines(ctx.db) + await reviewer_lines(ctx.db)
    pages = max(1, -(-len(lines) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = lines[page * PER_PAGE : (page + 1) * PER_PAGE]
    rows = [ui.page_buttons(ctx, page + 1, pages, lambda to: BUTTONS.data("page", to))]
    rows.append([(ctx.msgs.label(ctx.locale, "refresh"), BUTTONS.data("refresh", page))])
    counted = [line for line in lines if line["kind"] == "candidate"]
    return ui.keyboard(rows), {
        "stage": ctx.campaign.stage(STAGE),
        "now": ctx.now,
        "candidates": [line for line in shown if line["kind"] == "candidate"],
        "reviewers": [line for line in shown if line["kind"] == "reviewer"],
        "submitted": sum(line["submitted"] for line in counted),
        "assigned": sum(line["assigned"] for line in counted),
        "recused": sum(line["recused"] for line in counted),
        "page": page + 1,
        "pages": pages,
    }


async def candidate_lines(db: Executor) -> list[dict[str, Any]]:
    """Every candidate (those with no reviewer yet too), with the latest vote's counts: a
    few set-based reads, however many candidates."""
    listed = await finals.candidates(db)
    progress = {p.project_id: p for p in await reviews.progress_by_candidate(db)}
    by_project = await votes.of_projects(db, [c.project_id for c in listed])
    latest = {p: found[-1] for p, found in by_project.items() if found}
    counts = await votes.tally(db, [v.id for v in latest.values()])
    lines = []
    for candidate in listed:
        done = progress.get(candidate.project_id)
        vote = latest.get(candidate.project_id)
        lines.append(
            {
                "kind": "candidate",
                "project": candidate,
                "assigned": done.assigned if done else 0,
                "submitted": done.submitted if done else 0,
                "recused": done.recused if done else 0,
                "vote": {"open": vote.is_open, **counts[vote.id]} if vote else None,
            }
        )
    return lines


async def reviewer_lines(db: Executor) -> list[dict[str, Any]]:
    """Every reviewer (those given nothing yet too) and anyone who still has reviews."""
    progress = {p.reviewer_id: p for p in await reviews.progress_by_reviewer(db)}
    ids = sorted(set(progress) | await roles.holder_ids(db, ["reviewer"]))
    found = await people.get_many(db, ids)
    lines = []
    for user_id in ids:
        done = progress.get(user_id)
        person = found.get(user_id)
        lines.append(
            {
                "kind": "reviewer",
                "name": person.display_name if person else str(user_id),
                "assigned": done.assigned if done else 0,
                "submitted": done.submitted if done else 0,
                "recused": done.recused if done else 0,
            }
        )
    return sorted(lines, key=lambda line: (line["name"].casefold(), line["name"]))
