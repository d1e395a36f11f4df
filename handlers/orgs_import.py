"""/import: an admin sends the units-and-projects CSV as a document."""

from __future__ import annotations

from pathlib import PurePath

from telegram import Document, Message, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot import notices
from bot import orgs as org_import
from bot.core import Ctx
from bot.flow import Accepts, Flow, Step
from handlers import flow_input, guards, report, ui
from storage import chats, flows, orgs
from storage.outbox import Cause

FLOW = "import"


def register(app: Application) -> None:
    app.add_handler(CommandHandler("import", ask, filters.ChatType.PRIVATE))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.Document.ALL, document))
    flow_input.declare(app, _FLOW)


SHEETS = (".csv", ".xlsx", ".txt")
SHEET_TYPES = (
    "text/csv",
    "application/csv",
    "text/plain",
    "application/vnd.ms-excel",  # how Windows labels a .csv Excel saved
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def is_sheet(doc: Document) -> bool:
    """A sheet we can read: CSV (and text) or .xlsx, by name or by type."""
    suffix = PurePath(doc.file_name or "").suffix.lower()
    return suffix in SHEETS or (doc.mime_type or "") in SHEET_TYPES


@guards.person(guards.admin, "import/not_admin")
async def ask(update: Update, ctx: Ctx) -> None:
    async with ctx.write() as tx:
        await flows.begin(tx, ctx.actor.user_id, FLOW, "file")
    await ui.reply(update, ctx, "import/ask")


@guards.person()
async def document(update: Update, ctx: Ctx) -> None:
    doc = update.effective_message.document
    waiting = ctx.flow is not None and ctx.flow.flow == FLOW
    # Not an import: perhaps a document of an activity (else the usual answer to a file).
    if not waiting and (not is_sheet(doc) or (not ctx.actor.is_admin and await report.may(ctx))):
        await report.files_sent(update, ctx)
        return
    if not ctx.actor.is_admin:
        await ui.reply(update, ctx, "import/not_admin")
        return
    if not is_sheet(doc):
        await ui.reply(update, ctx, "import/not_csv")
        return
    if (doc.file_size or 0) > org_import.MAX_BYTES:
        await ui.reply(
            update,
            ctx,
            "import/too_big",
            size_mb=round(doc.file_size / 2**20, 1),
            limit_mb=org_import.MAX_BYTES // 2**20,
        )
        return
    filename = doc.file_name or "CSV"
    # Said at once, then turned into the outcome (not again when a failed write is retried).
    retrying = update.update_id in ctx.core.storage_failures
    progress = (
        None if retrying else await ui.reply(update, ctx, "import/working", filename=filename)
    )
    data = bytes(await (await doc.get_file()).download_as_bytearray())
    try:
        sheet, counts = await org_import.import_csv(
            ctx.db,
            data,
            ctx.actor.user_id,
            ctx.now,
            finish=lambda tx: flows.end(tx, ctx.actor.user_id),
        )
    except org_import.ImportRefused as refused:
        # The flow stays open: the admin fixes the file and sends it again.
        await _outcome(
            update, ctx, progress, "import/refused", filename=filename, problems=refused.problems
        )
        return
    await _outcome(
        update,
        ctx,
        progress,
        "import/done",
        filename=filename,
        sheet=sheet,
        counts=counts,
        unit_total=await orgs.unit_count(ctx.db),
        checking=len(sheet.chat_ids),
    )
    if sheet.chat_ids:
        _check_chats(update, ctx, filename, sheet)


def _check_chats(update: Update, ctx: Ctx, filename: str, sheet: org_import.Sheet) -> None:
    """Whether the bot is in each group the sheet names, asked of Telegram after the answer
    (a request or two a group at its pace: 746 groups take about a minute); the outcome
    follows as a notice, written with the chats found."""
    core, user_id = ctx.core, ctx.actor.user_id
    projects = {row.chat_id: row for row in sheet.rows if row.chat_id is not None}

    async def check() -> None:
        checked = await org_import.check_chats(ctx.bot, sheet.chat_ids)
        absent = [projects[c.chat_id] for c in checked if c.absent]
        async with core.db.transaction(core.now()) as tx:
            await chats.record_checked(
                tx, [c.found for c in checked if c.found], [row.chat_id for row in absent]
            )
            await notices.to_people(
                tx,
                core.writer,
                [user_id],
                "import/checked",
                notices.cause(tx, Cause("import.check")),
                filename=filename,
                total=len(checked),
                present=sum(1 for c in checked if c.found),
                absent=absent,
                unknown=sum(1 for c in checked if not c.found and not c.absent),
                bot_username=core.bot_username,
            )

    task = ctx.application.create_task(check(), update=update, name="import-check")
    core.checking.add(task)  # the runner is busy until it is done
    task.add_done_callback(core.checking.discard)


async def _outcome(update: Update, ctx: Ctx, progress: Message | None, key: str, **context):
    if progress is None:
        await ui.reply(update, ctx, key, **context)
    else:
        await ui.replace(progress, ctx, key, **context)


# Waits for the file as long as it takes; a CSV sent without /import is taken too (above).
_FLOW = Flow(
    FLOW,
    {"file": Step(Accepts.DOCUMENT, "import/nudge", document)},
    allowed=guards.admin,
)
