"""/assign: an admin gives each candidate its reviewers for stage 3 (assessment), after a preview.

    /assign ─▶ the plan: candidates, reviewers, N, pairs to add, the load per reviewer, any
               candidate short of N, conflicts avoided ─▶ ✅ Confirm ─▶ "done: X pairs added"
                                                        └▶ ✖ Cancel

The plan is bot/assignment.py's over what is stored now: reviews already made are kept (only
pairs are added), recusals are never made again. With `reviewers_per_candidate = 0` the plan
is every reviewer for every candidate, conflicts left out. ✅ carries a fingerprint of the plan
it was shown with; the plan is computed again in the transaction that writes it, and one that
changed meanwhile (a reviewer joined) is shown instead of written. A double tap adds nothing.
Allowed any time before the stage closes: admins prepare it before the stage opens.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, filters

from bot import reviewing
from bot.applications import stage_phase
from bot.core import Ctx
from bot.reviewing import Plan
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import reviews

STAGE = "assess"
# Candidates short of reviewers named on the preview; the rest counted. The preview is edited
# in place when a plan changed, and an edit holds one message (4,096 characters).
SHORT_NAMED = 20
BUTTONS = Buttons(
    "as",
    command="assign",
    confirm=("y", (int,)),  # write the plan with this fingerprint
    cancel=("n", ()),  # nothing written
)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("assign", assign_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, guards.admin))


def _closed(ctx: Ctx) -> bool:
    return stage_phase(ctx.campaign, STAGE, ctx.now) == "closed"


@guards.person(guards.admin, "select/not_admin")
async def assign_command(update: Update, ctx: Ctx) -> None:
    if _closed(ctx):
        await ui.reply(update, ctx, "assign/closed", stage=ctx.campaign.stage(STAGE))
        return
    plan = await reviewing.plan(ctx.db, ctx.campaign)
    key, markup, context = _preview(ctx, plan)
    await ui.reply(update, ctx, key, markup, **context)


def _preview(
    ctx: Ctx, plan: Plan, *, changed: bool = False
) -> tuple[str, InlineKeyboardMarkup | None, dict[str, Any]]:
    """The screen for a plan: the preview with its buttons, or why there is nothing to do."""
    if not plan.candidates or not plan.reviewers:
        return "assign/nothing", None, {"candidates": len(plan.candidates), "reviewers": 0}
    if not plan.result.added:
        return "assign/up_to_date", None, {}
    loads = [plan.result.load(r) for r in plan.reviewers]
    named = {c.project_id: c for c in plan.candidates}
    label = ctx.msgs.label
    markup = ui.keyboard(
        [
            [(label(ctx.locale, "assign_confirm"), BUTTONS.data("confirm", plan.fingerprint))],
            [(label(ctx.locale, "cancel"), BUTTONS.data("cancel"))],
        ]
    )
    return (
        "assign/preview",
        markup,
        {
            "changed": changed,
            "stage": ctx.campaign.stage(STAGE),
            "candidates": len(plan.candidates),
            "reviewers": len(plan.reviewers),
            "per_candidate": plan.per_candidate,
            "added": len(plan.result.added),
            "kept": len(plan.result.pairs) - len(plan.result.added),
            "least": min(loads),
            "most": max(loads),
            "short": [(named[s.project_id], s.got) for s in plan.result.short[:SHORT_NAMED]],
            "short_more": max(0, len(plan.result.short) - SHORT_NAMED),
            "conflicts": plan.conflicts,
        },
    )


@BUTTONS.on("confirm")
async def _confirm(update: Update, ctx: Ctx, fingerprint: int) -> None:
    query = update.callback_query
    if _closed(ctx):
        await ui.alert(query, ctx, "assign/closed", stage=ctx.campaign.stage(STAGE))
        return
    added = 0
    async with ctx.write() as tx:
        # What is stored now, not what the preview saw.
        plan = await reviewing.plan(tx, ctx.campaign)
        if plan.result.added and plan.fingerprint == fingerprint:
            added = await reviews.assign(tx, plan.result.added, by=ctx.actor.user_id)
    if added:
        await ui.show(query, ctx, "assign/done", added=added)
    elif not plan.result.added:
        # A double tap, or another admin was first: the message keeps what it says.
        await ui.alert(query, ctx, "assign/up_to_date")
    else:
        # The inputs changed since the preview: the new plan, to be confirmed in its turn.
        key, markup, context = _preview(ctx, plan, changed=True)
        await ui.show(query, ctx, key, markup, **context)


@BUTTONS.on("cancel")
async def _cancel(update: Update, ctx: Ctx) -> None:
    await ui.show(update.callback_query, ctx, "assign/cancelled")
