"""What every handler reaches through its context: settings, database, campaign, messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ExtBot

from bot.notices import Writer

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from bot.access import Actor
    from bot.campaign import Campaign
    from bot.flow import Flow
    from bot.outage import WriteOutage
    from bot.settings import Settings
    from messages.render import Messages
    from storage.db import Database, Transaction
    from storage.flows import Position


def system_clock() -> datetime:
    return datetime.now(UTC)


class Core:
    """Created empty by PTB as bot_data; filled when the application starts."""

    settings: Settings
    db: Database
    campaign: Campaign
    msgs: Messages
    bot_username: str
    outage: WriteOutage  # while the database can't be written: who was told

    def __init__(self) -> None:
        self.clock: Callable[[], datetime] = system_clock
        # Filled as the flows register (see handlers/flow_input.py and handlers/edits.py).
        self.flows: dict[str, Flow] = {}
        self.edit_takers: list[Callable] = []
        # Updates whose changes could not be written (a full disk), and how often: polling
        # retries them, and the person is told the first time.
        self.storage_failures: dict[int, int] = {}
        # Albums whose one acknowledgement is still to come (handlers/apply.py).
        self.albums_open: set[str] = set()
        # Checks of an import's group chats still asking Telegram (handlers/orgs_import.py).
        self.checking: set[asyncio.Task] = set()
        # The export being built (handlers/export.py): one at a time.
        self.exporting: set[asyncio.Task] = set()
        # The results booklet being built (handlers/booklet.py): one at a time.
        self.building_booklet: set[asyncio.Task] = set()

    def now(self) -> datetime:
        return self.clock()

    @property
    def writer(self) -> Writer:
        return Writer(self.msgs, self.campaign)


class Ctx(CallbackContext[ExtBot, dict, dict, Core]):
    """The context every handler gets; `actor` is set by the gate before any flow runs."""

    def __init__(self, application: Application, chat_id=None, user_id=None) -> None:
        super().__init__(application, chat_id, user_id)
        self.actor: Actor | None = None
        self.flow: Position | None = None  # where the person is in a multi-step flow, if any
        self._now: datetime | None = None

    @property
    def now(self) -> datetime:
        """The update's one clock reading: every rule and every row of it sees the same time."""
        if self._now is None:
            self._now = self.bot_data.now()
        return self._now

    def write(self) -> AbstractAsyncContextManager[Transaction]:
        return self.bot_data.db.transaction(self.now)

    @property
    def core(self) -> Core:
        return self.bot_data

    @property
    def db(self) -> Database:
        return self.bot_data.db

    @property
    def msgs(self) -> Messages:
        return self.bot_data.msgs

    @property
    def campaign(self) -> Campaign:
        return self.bot_data.campaign

    @property
    def locale(self) -> str:
        if self.actor is not None:
            return self.actor.locale
        # Error handlers get a fresh context: the gate left the locale in user_data.
        remembered = self.user_data.get("locale") if self.user_data is not None else None
        return remembered or self.bot_data.campaign.default_locale
