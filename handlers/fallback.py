"""Registered last: whatever no flow took gets a helpful answer in private chats."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import cultivation, menus
from bot.applications import stage_phase
from bot.core import Ctx
from handlers import ui
from storage import reports

_PRIVATE = filters.ChatType.PRIVATE
# Commands that work in the private chat only: in a group they get a button that opens it.
PRIVATE_ONLY = (
    "start",
    "whoami",
    "cancel",
    "apply",
    "nominations",
    "applications",
    "extend",
    "import",
    "people",
    "remind",
    "broadcast",
    "leave",
    "report",
    "final",
    "assign",
    "review",
    "score",
    "progress",
    "highlights",
    "guide",
    "recuse",
    "ranking",
    "select",
    "export",
    "deliverables",
    "booklet",
)


def register(app: Application) -> None:
    app.add_handler(CommandHandler(PRIVATE_ONLY, private_only, ~_PRIVATE))
    app.add_handler(MessageHandler(_PRIVATE & filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(_PRIVATE & filters.Sticker.ALL, sticker))
    app.add_handler(
        MessageHandler(_PRIVATE & (filters.VOICE | filters.VIDEO_NOTE | filters.AUDIO), voice)
    )
    app.add_handler(MessageHandler(_PRIVATE & (filters.LOCATION | filters.VENUE), location))
    app.add_handler(MessageHandler(_PRIVATE & filters.CONTACT, contact))
    app.add_handler(MessageHandler(_PRIVATE & filters.TEXT, text))
    app.add_handler(MessageHandler(_PRIVATE & filters.ATTACHMENT, attachment))
    # Buttons nobody claims: forged data, or a flow that no longer exists.
    app.add_handler(CallbackQueryHandler(unknown_button))


async def unknown_command(update: Update, ctx: Ctx) -> None:
    command = (update.effective_message.text or "").split()[0][:40]
    await ui.reply(update, ctx, "fallback/unknown_command", command=command)


async def private_only(update: Update, ctx: Ctx) -> None:
    if ctx.actor is None:
        return
    command = (update.effective_message.text or "").split()[0].split("@")[0][:40]
    label = ctx.msgs.label(ctx.locale, "open_private")
    url = f"https://t.me/{ctx.core.bot_username}"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])
    await ui.reply(update, ctx, "group/private_only", markup, command=command)


async def voice(update: Update, ctx: Ctx) -> None:
    await ui.reply(update, ctx, "fallback/voice")


async def location(update: Update, ctx: Ctx) -> None:
    await ui.reply(update, ctx, "fallback/location")


async def contact(update: Update, ctx: Ctx) -> None:
    await ui.reply(update, ctx, "fallback/contact")


async def sticker(update: Update, ctx: Ctx) -> None:
    await ui.reply(update, ctx, "fallback/sticker")


async def text(update: Update, ctx: Ctx) -> None:
    candidate = await _candidate(ctx)
    cultivating = stage_phase(ctx.campaign, cultivation.STAGE, ctx.now)
    if candidate and cultivating == "open":
        # What a member of a candidate most likely wants now: to report, with photos.
        label = ctx.msgs.label(ctx.locale, "report_open")
        url = f"https://t.me/{ctx.core.bot_username}?start=report"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])
        await ui.reply(update, ctx, "fallback/report_hint", markup)
        return
    apply_open = ctx.campaign.is_open("apply", ctx.now)
    await ui.reply(
        update,
        ctx,
        "fallback/text",
        roles=_roles(ctx),
        apply_open=apply_open,
        cultivating=cultivating,
        commands=_open_commands(ctx, apply_open, cultivating == "open", candidate),
    )


async def _candidate(ctx: Ctx) -> bool:
    """The person is a lead or member of a candidate project."""
    return ctx.actor is not None and bool(await reports.candidates_of(ctx.db, ctx.actor.user_id))


def _open_commands(ctx: Ctx, apply_open: bool, cultivating: bool, candidate: bool) -> list[str]:
    """The person's own commands that do something now: none of a stage that is not open."""
    shut = set()
    if not apply_open:
        shut |= {"apply", "nominations"}
    if not cultivating:
        shut |= {"report", "progress", "highlights"}
    if not candidate:
        shut.add("report")
    if not candidate or not ctx.campaign.is_open("assess", ctx.now):
        shut.add("final")
    if not ctx.campaign.is_open("consolidate", ctx.now):
        shut.add("deliverables")
    return [c for c in _commands(ctx) if c not in shut]


async def attachment(update: Update, ctx: Ctx) -> None:
    await ui.reply(update, ctx, "fallback/file", roles=_roles(ctx))


async def unknown_button(update: Update, ctx: Ctx) -> None:
    await ui.stale(update.callback_query, ctx)


def _commands(ctx: Ctx) -> list[str]:
    """The person's own commands, as their menu has them (not /start and /cancel)."""
    everyone = [c for c in menus.EVERYONE if c not in ("start", "cancel")]
    if ctx.actor is None:
        return everyone
    return [c for c in menus.commands_for(ctx.actor) if c not in ("start", "cancel")]


def _roles(ctx: Ctx) -> list[str]:
    return ctx.actor.role_names if ctx.actor else []
