"""/ranking: stage 3's results for the admins, one message edited in place.

    /ranking (an admin, in private) ─▶ the table, page 1, sorted as the campaign ranks
        ├▶ Calibrated / Raw ─▶ sorted by that score, page 1
        ├▶ ◀ ▶ ─▶ another page; 🔄 the same page computed again
        └▶ a candidate ─▶ its detail: each criterion's mean, each counted review's total
                          and comment as "Reviewer 1…n", recusals, the quick vote's result
                          └▶ ◀ ─▶ back to the page it came from

Each screen is one `ranking.load` (bot/ranking.py); the buttons carry the sort and the page,
so nothing is kept between taps. Blind to all but admins: every tap is checked again (an
admin's, in a private chat), and no reviewer is named, only numbered by review id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, filters

from bot import ranking, reviewing
from bot.access import Actor
from bot.applications import stage_phase
from bot.campaign import Criterion
from bot.core import Ctx
from bot.ranking import Ranking, Row
from bot.scores import max_total, weighted_total
from handlers import charts, guards, ui
from handlers.callbacks import Buttons
from storage import reviews, votes

STAGE = "assess"
PER_PAGE = 10  # candidates on a page
# Characters a name (on the table) or a comment (on the detail) keeps, tried in turn until
# the screen fits one message: long Chinese names and twenty comments must not split it.
NAME_CLIPS = (60, 30, 16)
BUTTON_NAME = 32  # characters of a name on a candidate's button (Telegram elides the rest)
COMMENT_CLIPS = (1_000, 300, 120, 40)
SORTS = ("calibrated", "raw")
BUTTONS = Buttons(
    "rk",
    command="ranking",
    page=("p", (str, int)),  # the table sorted by this score, at this page (◀ ▶, sort, back)
    refresh=("r", (str, int)),  # the same page, computed again
    detail=("d", (int, str, int)),  # a candidate's detail; the sort and page to go back to
)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("ranking", ranking_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, may_rank))


def may_rank(actor: Actor) -> bool:
    """Scores and ranks are the admins' alone: the command and every button ask this."""
    return actor.is_admin


@guards.person(may_rank, "select/not_admin")
async def ranking_command(update: Update, ctx: Ctx) -> None:
    sort = ctx.campaign.assessment.rank_by if ctx.campaign.assessment.rank_by in SORTS else SORTS[0]
    markup, context = table_screen(ctx, await _load(ctx), sort, 0)
    await ui.reply(update, ctx, "ranking/table", markup, **context)


async def _load(ctx: Ctx) -> Ranking:
    # With reviewers_per_candidate = 0 the reviews are made when first needed: counted
    # against what is assigned, as the reviews' progress counts them.
    async with ctx.write() as tx:
        await reviewing.ensure_everyone(tx, ctx.campaign)
    return await ranking.load(ctx.db, ctx.campaign)


# --- the table -------------------------------------------------------------------------------


def _places(rows: Sequence[Row]) -> dict[int, dict[str, str]]:
    """Each candidate's rank by each score as shown: "=2" for a shared rank, "–" for none."""
    places: dict[int, dict[str, str]] = {row.project_id: {} for row in rows}
    for sort in SORTS:
        ranks = [getattr(row, f"{sort}_rank") for row in rows]
        shared = {rank for rank, n in Counter(ranks).items() if n > 1}
        for row, rank in zip(rows, ranks, strict=True):
            shown = "–" if rank is None else f"={rank}" if rank in shared else str(rank)
            places[row.project_id][sort] = shown
    return places


def _sorted(rows: Sequence[Row], sort: str) -> list[Row]:
    """Best first by this score's rank (ties by code), candidates with no score last."""

    def order(row: Row) -> tuple[bool, int, str]:
        rank = getattr(row, f"{sort}_rank")
        return (rank is None, rank or 0, row.code)

    return sorted(rows, key=order)


def _limits(ctx: Ctx) -> dict[str, float]:
    """The flags' thresholds, in the words of their reasons."""
    assessment = ctx.campaign.assessment
    return {
        "min_reviews": assessment.min_reviews,
        "spread_total": assessment.spread_total * max_total(ctx.campaign.criteria),
        "spread_criterion": assessment.spread_criterion,
    }


def table_screen(
    ctx: Ctx, found: Ranking, sort: str, page: int
) -> tuple[InlineKeyboardMarkup | None, dict[str, Any]]:
    rows = _sorted(found.rows, sort)
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    places = _places(found.rows)
    lines = [
        {"row": row, "place": places[row.project_id]}
        for row in rows[page * PER_PAGE : (page + 1) * PER_PAGE]
    ]
    context = {
        "stage": ctx.campaign.stage(STAGE),
        "phase": stage_phase(ctx.campaign, STAGE, ctx.now),
        "now": ctx.now,
        "sort": sort,
        "lines": lines,
        "submitted": sum(row.reviews for row in found.rows),
        "assigned": sum(row.assigned for row in found.rows),
        "limits": _limits(ctx),
        "page": page + 1,
        "pages": pages,
    }
    context = _fitting(ctx, "ranking/table", context, "clip", NAME_CLIPS)
    markup = table_markup(ctx, lines, sort, page, pages, extra_rows=charts.rows_for_table(ctx))
    return markup, context


def table_markup(
    ctx: Ctx,
    lines: Sequence[dict[str, Any]],
    sort: str,
    page: int,
    pages: int,
    extra_rows: list[list[ui.Button]],
) -> InlineKeyboardMarkup | None:
    """A button per candidate on the page, ◀ ▶, the sorts (the current one marked) and 🔄,
    then `extra_rows` (the charts')."""
    label = ctx.msgs.label
    rows: list[list[ui.Button]] = []
    for line in lines:
        row = line["row"]
        text = label(
            ctx.locale,
            "ranking_candidate",
            number=line["place"][sort],
            name=_clipped(row.project, BUTTON_NAME),
            code=row.code,
        )
        rows.append([(text, BUTTONS.data("detail", row.project_id, sort, page))])
    rows.append(ui.page_buttons(ctx, page + 1, pages, lambda to: BUTTONS.data("page", sort, to)))
    sorts = [
        (label(ctx.locale, f"ranking_by_{key}" + ("_chosen" if key == sort else "")), key)
        for key in SORTS
    ]
    rows.append(
        [(text, BUTTONS.data("page", key, 0)) for text, key in sorts]
        + [(label(ctx.locale, "refresh"), BUTTONS.data("refresh", sort, page))]
    )
    return ui.keyboard([*rows, *extra_rows])


def _clipped(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _fitting(
    ctx: Ctx, key: str, context: dict[str, Any], name: str, clips: Sequence[int]
) -> dict[str, Any]:
    """The context with the longest clip (`name`) whose screen fits one message."""
    for clip in clips:
        fitted = {**context, name: clip}
        if len(ui.render(ctx, key, **fitted)) == 1:
            break
    return fitted


# --- a candidate's detail --------------------------------------------------------------------


def _valid(criteria: Sequence[Criterion], values: dict[str, int]) -> dict[str, int]:
    """Scores the campaign's criteria still take (a changed campaign file drops the others)."""
    scales = {c.key: c.scale for c in criteria}
    return {k: v for k, v in values.items() if k in scales and 0 <= v <= scales[k]}


async def detail_screen(
    ctx: Ctx, found: Ranking, row: Row, sort: str, page: int
) -> tuple[InlineKeyboardMarkup | None, dict[str, Any]]:
    criteria = ctx.campaign.criteria
    everyone = await reviews.of_project(ctx.db, row.project_id)
    counted = sorted((r for r in everyone if r.counts), key=lambda r: r.id)
    scores = await reviews.scores_of(ctx.db, [r.id for r in counted])
    values = [_valid(criteria, dict(scores[r.id].submitted)) for r in counted]
    reviewers = [
        {
            "number": number,
            "total": weighted_total(criteria, given, partial=True),
            "comment": review.comment,
        }
        for number, (review, given) in enumerate(zip(counted, values, strict=True), start=1)
    ]
    means = row.means
    context = {
        "line": {"row": row, "place": _places(found.rows)[row.project_id]},
        "limits": _limits(ctx),
        "means": [(c, means[c.key]) for c in criteria if c.key in means],
        "reviewers": reviewers,
        "most": max_total(criteria),
        "recused": sum(r.state == reviews.RECUSED for r in everyone),
        "vote": (await votes.results(ctx.db, [row.project_id])).get(row.project_id),
    }
    context = _fitting(ctx, "ranking/detail", context, "comment_clip", COMMENT_CLIPS)
    extra = charts.rows_for_candidate(ctx, row.project_id)
    return detail_markup(ctx, sort, page, extra_rows=extra), context


def detail_markup(
    ctx: Ctx, sort: str, page: int, extra_rows: list[list[ui.Button]]
) -> InlineKeyboardMarkup | None:
    """◀ back to the page the detail was opened from, then `extra_rows` (the charts')."""
    back = [(ctx.msgs.label(ctx.locale, "ranking_back"), BUTTONS.data("page", sort, page))]
    return ui.keyboard([back, *extra_rows])


# --- buttons: each checked again by may_rank (guards.tapped), then for its chat --------------


_IN_PRIVATE = guards.in_chats(ChatType.PRIVATE)


async def _candidate(ctx: Ctx, project_id: int) -> tuple[Ranking, Row] | None:
    """The ranking now and the candidate's row in it; None if it is no candidate (now)."""
    found = await _load(ctx)
    row = found.row(project_id)
    return (found, row) if row is not None else None


@BUTTONS.on("page", "refresh")
@_IN_PRIVATE
async def _page(update: Update, ctx: Ctx, sort: str, page: int) -> None:
    if sort not in SORTS:  # forged, or from another version of the screen
        await ui.stale(update.callback_query, ctx)
        return
    markup, context = table_screen(ctx, await _load(ctx), sort, page)
    await ui.show(update.callback_query, ctx, "ranking/table", markup, **context)


@BUTTONS.on("detail")
@_IN_PRIVATE
@guards.on_object(_candidate)
async def _open(update: Update, ctx: Ctx, shown: tuple[Ranking, Row], sort: str, page: int) -> None:
    if sort not in SORTS:
        await ui.stale(update.callback_query, ctx)
        return
    markup, context = await detail_screen(ctx, *shown, sort, page)
    await ui.show(update.callback_query, ctx, "ranking/detail", markup, **context)
