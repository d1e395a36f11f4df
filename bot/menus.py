"""Command menus: per language for everyone, and per chat for people with more to do."""

from __future__ import annotations

import hashlib
import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import BadRequest, Forbidden

from bot.access import Actor
from bot.campaign import Campaign
from messages.render import Messages

log = logging.getLogger(__name__)
EVERYONE = ("start", "help", "guide", "deadlines", "whoami", "language", "cancel")
IN_GROUPS = ("bind", "unbind", "deadlines", "help")
ADMIN = (
    "import",
    "invite",
    "people",
    "applications",
    "extend",
    "remind",
    "broadcast",
    "progress",
    "highlights",
    "assign",
    "review",
    "ranking",
    "select",
    "export",
    "deliverables",
    "booklet",
)
SECRETARY = ("invite", "people", "nominations", "progress", "highlights", "deliverables", "leave")
LEAD = ("apply", "report", "final", "deliverables", "progress", "highlights", "invite", "leave")
MEMBER = ("report", "progress", "highlights", "leave")
# /score is a typed shortcut with arguments: the card in /review is the way in, not the menu.
REVIEWER = ("review", "recuse")
# Telegram menus are chosen by a two-letter language code; our locales map onto them.
MENU_LANGUAGES = {"en": "en", "zh": "zh-Hans"}


def _commands(msgs: Messages, locale: str, names: tuple[str, ...]) -> list[BotCommand]:
    return [BotCommand(name, msgs.label(locale, f"cmd_{name}")) for name in names]


def menu_locale(language_code: str | None, default_locale: str) -> str:
    """Which language the default menus show someone, from their Telegram language."""
    return MENU_LANGUAGES.get((language_code or "")[:2].lower(), default_locale)


def commands_for(actor: Actor) -> tuple[str, ...]:
    extra: list[str] = []
    for has_role, commands in (
        (actor.is_admin, ADMIN),
        (bool(actor.secretary_units()), SECRETARY),
        (bool(actor.projects("lead")), LEAD),
        (bool(actor.projects("member")), MEMBER),
        (actor.has("reviewer"), REVIEWER),
    ):
        if has_role:
            extra += [c for c in commands if c not in extra]
    return (*EVERYONE[:3], *extra, *EVERYONE[3:])  # /start, /help, /guide first


async def set_default_menus(bot: Bot, msgs: Messages, default_locale: str) -> None:
    for code, locale in [("", default_locale), *MENU_LANGUAGES.items()]:
        await bot.set_my_commands(
            _commands(msgs, locale, EVERYONE),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=code or None,
        )
        await bot.set_my_commands(
            _commands(msgs, locale, IN_GROUPS),
            scope=BotCommandScopeAllGroupChats(),
            language_code=code or None,
        )


def signature(msgs: Messages, actor: Actor) -> str:
    """What a person's menu says, in short: equal signatures, equal menus."""
    commands = _commands(msgs, actor.locale, commands_for(actor))
    text = "\n".join(f"{c.command} {c.description}" for c in commands)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def set_private_menu(bot: Bot, msgs: Messages, actor: Actor) -> str | None:
    """A chat-scoped menu in the person's own language, with the commands their roles add;
    its signature, or None when Telegram would not take it."""
    try:
        await bot.set_my_commands(
            _commands(msgs, actor.locale, commands_for(actor)),
            scope=BotCommandScopeChat(actor.user_id),
        )
    except (BadRequest, Forbidden) as error:
        # They never opened a private chat with the bot: the default menu will do.
        log.info("no private menu for %s: %s", actor.user_id, error)
        return None
    return signature(msgs, actor)


def description(msgs: Messages, campaign: Campaign, locale: str) -> str:
    """The bot's description, naming the campaign's stages as its file does."""
    stages = msgs.joined(locale, (stage.title.get(locale) for stage in campaign.stages))
    return msgs.label(locale, "bot_description", stages=stages)


async def set_descriptions(bot: Bot, msgs: Messages, campaign: Campaign) -> None:
    """What someone opening the bot for the first time reads ("What can this bot do?"), and
    its profile line, per language; only where it differs from what Telegram has."""
    for code, locale in [("", campaign.default_locale), *MENU_LANGUAGES.items()]:
        language = code or None
        long = description(msgs, campaign, locale)
        if (await bot.get_my_description(language)).description != long:
            await bot.set_my_description(long, language)
        short = msgs.label(locale, "bot_short_description")
        if (await bot.get_my_short_description(language)).short_description != short:
            await bot.set_my_short_description(short, language)
