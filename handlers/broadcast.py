"""/broadcast: an admin's own message to every bound group chat, to one unit's, or privately
to everyone who holds a role, after a preview and a yes.

    /broadcast ─▶ audience (─▶ unit) ─▶ the message ─▶ preview, "Send to N?" ─▶ ✅
                                             ▲ another message ─┘

The yes turns the question into the progress ("sent 320 of 746"), edited in place by the
outbox sender as the messages go out, and at the end into the report: sent, not delivered,
and why. Quiet hours hold it as they hold reminders. Sending another message before the yes
replaces the one shown; only the newest question's button sends.
"""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler, filters

from bot import broadcasts, notices
from bot.broadcasts import GROUPS, UNIT, Content
from bot.core import Ctx
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, Step
from bot.outbox import METHODS
from bot.rules import shift_out_of_quiet_hours
from handlers import flow_input, guards, ui
from handlers.callbacks import Buttons
from storage import chats, flows, outbox, roles
from storage.outbox import Cause, Report

FLOW = "broadcast"
REPORT = "broadcast/report"
BUTTONS = Buttons(
    "bc",
    command="broadcast",
    to=("t", (str,)),  # an audience (for one unit's chats: the list of units)
    units=("p", (int,)),  # a page of units
    unit=("u", (int,)),  # one unit's group chats
    send=("y", ()),  # send it
    again=("a", ()),  # another message
    keep=("k", ()),  # nothing is sent
)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("broadcast", broadcast, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, guards.admin))
    flow_input.declare(app, _FLOW)


@guards.person(guards.admin, "select/not_admin")
async def broadcast(update: Update, ctx: Ctx) -> None:
    await ui.reply(update, ctx, "broadcast/audience", await _audiences(ctx))


async def _audiences(ctx: Ctx):
    label = ctx.msgs.label
    groups = len(await chats.present_bindings(ctx.db))
    rows = [
        [(label(ctx.locale, "broadcast_groups", count=groups), BUTTONS.data("to", GROUPS))],
        [(label(ctx.locale, "broadcast_unit"), BUTTONS.data("to", UNIT))],
    ]
    rows += [
        [
            (
                label(ctx.locale, "broadcast_role", role=label(ctx.locale, f"role_{role}")),
                BUTTONS.data("to", role),
            )
        ]
        for role in (*roles.BELOW_ADMIN, "admin")
    ]
    rows.append([(label(ctx.locale, "cancel"), BUTTONS.data("keep"))])
    return ui.keyboard(rows)


@BUTTONS.on("to")
async def _to(update: Update, ctx: Ctx, audience: str) -> None:
    if audience not in broadcasts.AUDIENCES:
        await ui.stale(update.callback_query, ctx)
    elif audience == UNIT:
        await _units(update, ctx, 0)
    else:
        await _ask(update, ctx, audience, 0)


@BUTTONS.on("unit")
async def _to_unit(update: Update, ctx: Ctx, unit_id: int) -> None:
    await _ask(update, ctx, UNIT, unit_id)


@BUTTONS.on("keep")
async def _keep(update: Update, ctx: Ctx) -> None:
    async with ctx.write() as tx:
        if ctx.flow is not None and ctx.flow.flow == FLOW:
            await flows.end(tx, ctx.actor.user_id)
    await ui.show(update.callback_query, ctx, "broadcast/kept")


@BUTTONS.on("units")
async def _units(update: Update, ctx: Ctx, page: int) -> None:
    """The units that have a group chat with the bot in it, a page at a time."""
    items = [
        (
            ctx.msgs.label(ctx.locale, "unit_chats", name=name, code=code, count=count),
            BUTTONS.data("unit", unit_id),
        )
        for unit_id, code, name, count in await chats.chats_per_unit(ctx.db)
    ]
    rows, page_no, pages = ui.paged(ctx, items, page, lambda p: BUTTONS.data("units", p))
    rows.append([(ctx.msgs.label(ctx.locale, "cancel"), BUTTONS.data("keep"))])
    context = {"page": page_no, "pages": pages, "found": len(items)}
    await ui.show(update.callback_query, ctx, "broadcast/units", ui.keyboard(rows), **context)


async def _ask(update: Update, ctx: Ctx, audience: str, unit_id: int) -> None:
    unit_name = ""
    if audience == UNIT:
        named = {u: name for u, _, name, _ in await chats.chats_per_unit(ctx.db)}
        if unit_id not in named:
            await ui.stale(update.callback_query, ctx)
            return
        unit_name = named[unit_id]
    async with ctx.write() as tx:
        await flows.begin(
            tx, ctx.actor.user_id, FLOW, "message", audience=audience, unit=unit_id, name=unit_name
        )
    await ui.show(update.callback_query, ctx, "broadcast/ask", audience=audience, unit=unit_name)


@BUTTONS.on("again")
async def _again(update: Update, ctx: Ctx) -> None:
    position = ctx.flow
    if position is None or position.flow != FLOW:
        await ui.stale(update.callback_query, ctx)
        return
    async with ctx.write() as tx:
        await flows.note(tx, ctx.actor.user_id, content=None, card=None)
    await ui.show(update.callback_query, ctx, "broadcast/ask", **_audience_context(ctx))


def _audience_context(ctx: Ctx) -> dict[str, Any]:
    data = ctx.flow.data if ctx.flow is not None else {}
    return {"audience": data.get("audience", GROUPS), "unit": data.get("name", "")}


def _content_of(message: Message) -> Content | None:
    """The message as it will be sent again: its formatting as Telegram HTML, files by id."""
    if message.photo:
        return Content("photo", message.caption_html or "", message.photo[-1].file_id)
    if message.document:
        return Content("document", message.caption_html or "", message.document.file_id)
    if message.text:
        return Content("text", message.text_html)
    return None


async def _reach(ctx: Ctx) -> broadcasts.Reach:
    data = ctx.flow.data
    return await broadcasts.reach(
        ctx.db,
        data.get("audience", GROUPS),
        unit_id=data.get("unit") or None,
        admins=ctx.core.settings.admins,
        sender=ctx.actor.user_id,
    )


async def _taken(update: Update, ctx: Ctx) -> None:
    """The message to broadcast: shown back as it will look, then the question."""
    message = update.effective_message
    data = ctx.flow.data
    if message.media_group_id:
        # An album arrives as several messages: one answer is enough.
        if data.get("album") != message.media_group_id:
            async with ctx.write() as tx:
                await flows.note(tx, ctx.actor.user_id, album=message.media_group_id)
            await ui.reply(update, ctx, "broadcast/album")
        return
    content = _content_of(message)
    if content is None:  # a caption-less kind the step let through: say what is wanted
        await ui.reply(update, ctx, "broadcast/wrong_input")
        return
    reach = await _reach(ctx)
    if reach.size == 0:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "broadcast/nobody", **_audience_context(ctx), reach=reach)
        return
    await _preview(ctx, message.chat_id, content)
    held = shift_out_of_quiet_hours(ctx.now, ctx.campaign.quiet_hours, ctx.campaign.timezone)
    label = ctx.msgs.label
    markup = ui.keyboard(
        [
            [(label(ctx.locale, "broadcast_send", count=reach.size), BUTTONS.data("send"))],
            [(label(ctx.locale, "broadcast_again"), BUTTONS.data("again"))],
            [(label(ctx.locale, "cancel"), BUTTONS.data("keep"))],
        ]
    )
    card = await ui.reply(
        update,
        ctx,
        "broadcast/confirm",
        markup,
        **_audience_context(ctx),
        reach=reach,
        held_until=held if held > ctx.now else None,
    )
    if data.get("card"):  # the older question's button no longer sends
        with contextlib.suppress(BadRequest):
            await ctx.bot.edit_message_reply_markup(message.chat_id, data["card"])
    async with ctx.write() as tx:
        await flows.note(
            tx, ctx.actor.user_id, content=content.as_data(), card=card.message_id, album=None
        )


async def _preview(ctx: Ctx, chat_id: int, content: Content) -> None:
    await getattr(ctx.bot, METHODS[content.method])(chat_id, **content.payload())


@BUTTONS.on("send")
async def _send(update: Update, ctx: Ctx) -> None:
    query = update.callback_query
    position = ctx.flow
    card = query.message.message_id if query.message else 0
    if position is None or position.flow != FLOW or position.data.get("card") != card:
        await ui.stale(query, ctx)  # an older question, or one answered already
        return
    content = Content.from_data(position.data.get("content"))
    reach = await _reach(ctx)
    if content is None or reach.size == 0:
        await ui.stale(query, ctx)
        return
    not_before = shift_out_of_quiet_hours(ctx.now, ctx.campaign.quiet_hours, ctx.campaign.timezone)
    cause = str(Cause("broadcast", ctx.actor.user_id, card))
    audience = _audience_context(ctx)
    report = Report(
        cause=cause,
        report_chat=ctx.actor.user_id,
        kind=REPORT,
        locale=ctx.locale,
        context=audience,
        people=0,
        groups=0,
        failed=reach.unreachable,
        pending=reach.size,
        progress_message=card,
    )
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
        await broadcasts.write(tx, cause, content, reach, not_before)
        await outbox.want_report(
            tx,
            cause,
            report_chat=ctx.actor.user_id,
            kind=REPORT,
            locale=ctx.locale,
            unreachable=reach.unreachable,
            progress_message=card,
            **audience,
        )
        # The question becomes the progress through the outbox too, so that it can't come
        # after the sender's own edits of it.
        held = not_before if not_before > ctx.now else None
        first = notices.report_messages(ctx.core.writer, report, held_until=held)
        await outbox.renew(tx, first)
    await query.answer()


_FLOW = Flow(
    FLOW,
    {
        "message": Step(
            Accepts.TEXT | Accepts.PHOTO | Accepts.DOCUMENT,
            "broadcast/wrong_input",
            _taken,
            expires=PROMPT_EXPIRY,
        )
    },
    allowed=guards.admin,
    own_tap=lambda data: BUTTONS.parse(data) is not None,  # a tap elsewhere ends the draft
)
