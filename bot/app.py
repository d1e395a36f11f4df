"""Assembly: build the Application, register the flows in order, run it with our own polling.

The one place the core reaches into handlers/: it is the composition root.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults

from bot import menus
from bot.access import load_actor
from bot.applications import with_overrides
from bot.campaign import Campaign, load_campaign
from bot.core import Core, Ctx
from bot.polling import poll
from bot.settings import Settings
from handlers import (
    apply,
    edits,
    errors,
    fallback,
    flow_input,
    gate,
    groups,
    invite,
    language,
    nominations,
    orgs_import,
    selection,
    start,
)
from messages.render import Messages
from storage import applications, people, roles, updates
from storage.db import Database

log = logging.getLogger(__name__)
ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
)
FLOWS = (
    gate,  # group -10: who is this, which language; runs before everything
    edits,  # group -2: edited messages go to the flow that stored them, never re-run
    flow_input,  # group -1: typed answers go to the flow the person is in
    start,  # /start (invitation links), /help, /whoami, /cancel
    language,
    invite,
    orgs_import,
    apply,  # stage 1: the application, section by section
    nominations,  # stage 1: the unit picks within its quota
    selection,  # stage 1: the organiser accepts; deadlines move
    groups,  # joins, leaves, upgrades, /bind
    fallback,  # last: whatever nobody took gets a helpful answer
    errors,
)


def build_application(settings: Settings, campaign: Campaign) -> Application:
    token = settings.require_token().reveal()
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .updater(None)  # we poll ourselves, see bot/polling.py
        .context_types(ContextTypes(context=Ctx, bot_data=Core))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=campaign.timezone,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=3))
        .build()
    )
    for flow in FLOWS:
        flow.register(app)
    app.job_queue.run_repeating(
        forget_old_updates,
        interval=timedelta(hours=6),
        first=timedelta(minutes=1),
        name="forget-old-updates",
    )
    return app


async def forget_old_updates(ctx: Ctx) -> None:
    # Telegram redelivers for at most 24 h; two days of memory is plenty.
    await updates.forget_older_than(ctx.bot_data.db, timedelta(days=2))


class BotRunner:
    """Start and stop the bot with its resources; used by `pacesetter run`, the demo, the tests."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        poll_timeout: float = 25.0,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.poll_timeout = poll_timeout
        self.app: Application | None = None
        self.db: Database | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.menus_refreshed: asyncio.Task | None = None  # done once every menu is current

    @property
    def core(self) -> Core:
        return self.app.bot_data

    async def start(self) -> None:
        campaign = load_campaign(self.settings.campaign_path)
        self.db = await Database.open(self.settings.db_path)
        try:
            campaign = with_overrides(campaign, await applications.deadline_overrides(self.db))
            self.app = build_application(self.settings, campaign)
            core: Core = self.app.bot_data
            core.settings, core.db, core.campaign = self.settings, self.db, campaign
            core.msgs = Messages(campaign.timezone)
            if self.clock is not None:
                core.clock = self.clock
            await self.app.initialize()
            core.bot_username = self.app.bot.username
            await self._set_menus(core)
            await self.app.start()
            # In the background: thousands of people take a while at Telegram's pace.
            self.menus_refreshed = self.app.create_task(
                self._refresh_role_menus(core), name="refresh-menus"
            )
        except BaseException:
            await self.db.close()
            raise
        self._task = asyncio.create_task(
            poll(
                self.app,
                self.db,
                self._stop,
                allowed_updates=ALLOWED_UPDATES,
                timeout=self.poll_timeout,
            ),
            name="pacesetter-polling",
        )

    async def _set_menus(self, core: Core) -> None:
        await menus.set_default_menus(self.app.bot, core.msgs, core.campaign.default_locale)
        await self._set_private_menus(core, sorted(await self._admin_ids()))

    async def _refresh_role_menus(self, core: Core) -> None:
        """Everyone else with a role may have a menu from an older version or language."""
        others = set()
        for role in ("secretary", "lead", "member", "reviewer"):
            others |= {grant.user_id for grant in await roles.holders(self.db, role)}
        await self._set_private_menus(core, sorted(others - await self._admin_ids()))

    async def _admin_ids(self) -> set[int]:
        """Configured admins and those invited as admins."""
        granted = {grant.user_id for grant in await roles.holders(self.db, "admin")}
        return set(self.settings.admins) | granted

    async def _set_private_menus(self, core: Core, user_ids: list[int]) -> None:
        for person in (await people.get_many(self.db, user_ids)).values():
            if person.private_chat and not person.blocked:
                actor = await load_actor(
                    self.db,
                    person,
                    admins=self.settings.admins,
                    default_locale=core.campaign.default_locale,
                )
                await menus.set_private_menu(self.app.bot, core.msgs, actor)

    async def wait(self) -> None:
        """Until polling ends: stopped, or failed (the error is raised here)."""
        await self._task

    async def stop(self) -> None:
        self._stop.set()
        try:
            if self._task is not None:
                await self._task
        finally:
            if self.app is not None:
                if self.app.running:
                    await self.app.stop()
                await self.app.shutdown()
            if self.db is not None:
                await self.db.close()
