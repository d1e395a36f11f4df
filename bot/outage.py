"""While the database can't be written (a full disk), nobody's message can be handled.

Updates then stay unconfirmed (or unhandled) and are tried again every few seconds. Each
person who writes meanwhile hears once that their message will be handled as soon as the
server recovers, and the admins hear once when writes have failed for a while and once when
they work again. These few messages go straight to Telegram (still through the pacer, like
every request): the outbox lives in the database that can't be written.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot import locale
from bot.access import admin_ids
from bot.campaign import Campaign
from bot.notices import Writer
from messages.render import Messages
from storage import people
from storage.db import Database

log = logging.getLogger(__name__)
# Short, because people are waiting: at most this long between a freed disk and the answer.
RETRY_MAX = 5.0
# A write locked out for a moment (a backup, `pacesetter orgs import`) is no news to admins.
ADMINS_AFTER = timedelta(seconds=30)


def retry_delay(previous: float | None) -> float:
    """The pause before trying a write again: 1 s, doubling, never over RETRY_MAX."""
    return 1.0 if previous is None else min(previous * 2, RETRY_MAX)


class WriteOutage:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        msgs: Messages,
        campaign: Campaign,
        configured_admins: Iterable[int],
        clock: Callable[[], datetime],
    ) -> None:
        self.bot, self.db, self.msgs, self.campaign = bot, db, msgs, campaign
        self.writer = Writer(msgs, campaign)  # whose language each person reads
        self.configured_admins = frozenset(configured_admins)
        self.clock = clock
        self.since: datetime | None = None  # the first failed write of this outage
        self.admins_told = False
        self._told: set[int] = set()  # people told in this outage (in memory: nowhere else)

    def first_notice(self, user_id: int | None) -> bool:
        """Whether this person is still to hear that their message waits (and now has)."""
        if user_id is None or user_id in self._told:
            return False
        self._told.add(user_id)
        return True

    async def failed(self, error: BaseException) -> None:
        """A write failed: the outage begins, or goes on (the admins hear once it lasts)."""
        now = self.clock()
        if self.since is None:
            self.since = now
            log.error("the database cannot be written: %s", error)
        if not self.admins_told and now - self.since >= ADMINS_AFTER:
            self.admins_told = True
            await self._tell_admins("errors/outage_admin", since=self.since, error=str(error))

    async def recovered(self) -> None:
        """A write went through: the outage, if any, is over."""
        if self.since is None:
            return
        since, told_admins = self.since, self.admins_told
        self.since, self.admins_told = None, False
        self._told.clear()
        log.warning("the database can be written again (since %s it could not)", since)
        if told_admins:
            await self._tell_admins("errors/outage_over_admin", since=since)

    async def tell_waiting(self, batch: Sequence[Update]) -> None:
        """The people whose updates could not even be stored: each hears it once."""
        for update in batch:
            user = update.effective_user
            if user is None or user.id in self._told:
                continue
            query, chat = update.callback_query, update.effective_chat
            if query is None and (chat is None or chat.type != ChatType.PRIVATE):
                continue  # in groups the bot speaks when spoken to by command only
            self._told.add(user.id)
            their = locale.from_telegram(user.language_code, self.campaign.default_locale)
            with contextlib.suppress(sqlite3.Error):  # reading may still work: their choice
                person = await people.get(self.db, user.id)
                if person is not None:
                    their = self.writer.locale_of(person)
            try:
                if query is not None:
                    await query.answer(self.msgs.alert(their, "errors/not_stored"), show_alert=True)
                else:
                    text = self.msgs.text(their, "errors/not_stored", campaign=self.campaign)
                    await self.bot.send_message(chat.id, text)
            except TelegramError as error:
                log.info("could not tell %s their message waits: %s", user.id, error)

    async def _tell_admins(self, key: str, **context) -> None:
        try:
            admins = await admin_ids(self.db, self.configured_admins)
            found = await people.get_many(self.db, sorted(admins))
        except sqlite3.Error as error:  # then at least those configured
            log.warning("could not read the admins (%s)", error)
            admins, found = set(self.configured_admins), {}
        default = self.campaign.default_locale
        for user_id in sorted(admins):
            person = found.get(user_id)
            if person is not None and not person.writable:
                continue
            their = self.writer.locale_of(person) if person is not None else default
            text = self.msgs.text(their, key, campaign=self.campaign, **context)
            try:
                await self.bot.send_message(user_id, text)
            except TelegramError as error:
                log.info("could not tell admin %s of the outage: %s", user_id, error)
