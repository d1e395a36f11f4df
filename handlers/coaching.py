"""Coaching comments: a unit secretary or an admin writes to a candidate's lead, about one
report (from its card) or the project (from /progress).

    💬 ─▶ "Write your comment for Lena" ─▶ text ─▶ the leads (and the report's author) hear it
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot import notices
from bot.core import Ctx
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, Step
from handlers import flow_input, progress, report_card, ui
from storage import coaching, flows, orgs, people, reports, roles
from storage.outbox import Cause
from storage.reports import ActivityReport

FLOW = "coach"
COMMENT_LIMIT = 1000


def register(app: Application) -> None:
    flow_input.declare(app, _FLOW)


async def _recipients(ctx: Ctx, project: orgs.Project, report: ActivityReport | None) -> list[int]:
    """The project's leads, and the report's author: who a comment reaches."""
    found = {g.user_id for g in await roles.holders(ctx.db, "lead", project_id=project.id)}
    if report is not None:
        found.add(report.author_id)
    return sorted(found - {ctx.actor.user_id})


async def ask(
    update: Update, ctx: Ctx, project: orgs.Project, report: ActivityReport | None
) -> None:
    """From a button: the comment is asked for, naming who will read it."""
    query = update.callback_query
    if not report_card.may_mark(ctx, project):
        await ui.not_allowed(query, ctx)
        return
    readers = await _recipients(ctx, project, report)
    if not readers:
        await ui.alert(query, ctx, "coach/nobody", project=project)
        return
    async with ctx.write() as tx:
        await flows.begin(
            tx, ctx.actor.user_id, FLOW, "comment", project=project.id, report=report and report.id
        )
    await query.answer()
    names = await people.get_many(ctx.db, readers)
    await ui.reply(
        update,
        ctx,
        "coach/ask",
        project=project,
        report=report,
        activity=ctx.campaign.activity(report.activity) if report else None,
        readers=[names[i].display_name for i in readers if i in names],
        limit=COMMENT_LIMIT,
    )


async def written(update: Update, ctx: Ctx) -> None:
    """The comment: kept, and sent to its readers."""
    text = update.effective_message.text
    data = ctx.flow.data
    project = await orgs.project(ctx.db, data.get("project", 0))
    report = await reports.get(ctx.db, data["report"]) if data.get("report") else None
    allowed = project is not None and report_card.may_mark(ctx, project)
    if report is not None and report.state != "saved":
        allowed = False
    readers = await _recipients(ctx, project, report) if allowed else []
    if report is not None:
        button = ("open_report", report_card.BUTTONS.data("open", report.id))
    else:
        button = ("see_progress", progress.BUTTONS.data("page", 0))
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
        if allowed:
            await coaching.add(tx, project.id, report and report.id, text, by=ctx.actor.user_id)
            unreachable = await notices.to_people(
                tx,
                ctx.core.writer,
                readers,
                "coach/told",
                notices.cause(tx, Cause("coaching", project.id)),  # once per update
                button=button,
                project=project,
                report=report,
                activity=ctx.campaign.activity(report.activity) if report else None,
                comment=text,
                person=ctx.actor.person,
            )
    if not allowed:
        await ui.reply(update, ctx, "common/stale")
        return
    names = await people.get_many(ctx.db, readers)
    await ui.reply(
        update,
        ctx,
        "coach/sent",
        readers=[names[i].display_name for i in readers if i in names],
        unreachable=unreachable,
    )


_FLOW = Flow(
    FLOW,
    {
        "comment": Step(
            Accepts.TEXT,
            "coach/as_text",
            written,
            expires=PROMPT_EXPIRY,
            max_chars=COMMENT_LIMIT,
        )
    },
    allowed=lambda actor: actor.is_admin or bool(actor.secretary_units()),
    own_tap=lambda data: False,  # no buttons of its own: any tap elsewhere ends the prompt
)
