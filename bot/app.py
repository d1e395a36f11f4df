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
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot import invites, menus, set_aside
from bot.access import actor_of, admin_ids
from bot.applications import with_overrides
from bot.campaign import Campaign
from bot.campaign_load import load_campaign
from bot.core import Core, Ctx
from bot.instance import InstanceLock
from bot.media import Downloader, folder_of, tell_gave_up, tell_too_big
from bot.notices import report_messages
from bot.outage import WriteOutage
from bot.outbox import Sender
from bot.pacing import Pace, Pacer
from bot.polling import KeepsBody, Poller, forget_old_updates
from bot.settings import Settings
from handlers import (
    application_files,
    apply,
    apply_docx,
    assign,
    booklet,
    broadcast,
    callbacks,
    charts,
    coaching,
    deadlines,
    deliverables,
    edits,
    errors,
    evidence,
    export,
    extend,
    fallback,
    final,
    flow_input,
    form_template,
    gate,
    groups,
    guide,
    highlights,
    invite,
    join,
    language,
    leave,
    nominations,
    orgs_import,
    pacesetters,
    progress,
    ranking,
    recuse,
    remind,
    reminders,
    report,
    review,
    review_progress,
    roster,
    selection,
    start,
    vote,
)
from messages.render import Messages
from storage import applications, invitations, people, roles
from storage.db import Database

log = logging.getLogger(__name__)
SETUP_LINK_LIFETIME = timedelta(days=7)
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
    form_template,  # 📄 the application form as a Word template, under /help
    language,
    invite,
    roster,  # /people: who holds which role; removing one
    orgs_import,
    apply,  # stage 1: the application, section by section
    apply_docx,  # …or all at once from a Word file (group -3, before the flows)
    nominations,  # stage 1: the unit picks within its quota
    selection,  # stage 1: the organiser accepts
    extend,  # /extend: a stage's deadline moves, with a confirmation
    application_files,  # 📎 an application's files, to whoever may read it
    groups,  # joins, leaves, upgrades, /bind
    join,  # 🙋 members join from their project's group
    deadlines,  # /deadlines: the stages and how long is left, for everyone
    guide,  # /guide: the member guide, in the reader's language
    leave,  # /leave: away for a while, no reminders
    reminders,  # stage reminders on a schedule, to those who owe something
    remind,  # /remind: an admin sends the stage's reminder now, after a preview
    broadcast,  # /broadcast: an admin's own message to groups or a role, after a preview
    report,  # stage 2: /report, or photos sent, an activity of a candidate project
    progress,  # stage 2: /progress, where candidates stand, to coach them
    highlights,  # stage 2: /highlights, and the button on a report's card
    coaching,  # stage 2: a secretary's or an admin's comment to a candidate's lead
    final,  # stage 3: /final, a candidate's work summary and results report
    assign,  # stage 3: /assign, the reviewers of each candidate, after a preview
    review,  # stage 3: /review and /score, a reviewer's scoring card
    vote,  # stage 3: /vote, the quick group vote in the reviewers' chat
    evidence,  # stage 3: what a scoring card glimpses, sent in full
    recuse,  # stage 3: a reviewer withdraws from a candidate
    review_progress,  # stage 3: the admins' view of the reviews, per candidate and reviewer
    ranking,  # stage 3: /ranking, the admins' table of results and a candidate's detail
    pacesetters,  # stage 3: /select, the pacesetters chosen from the ranking, everyone told
    deliverables,  # stage 4: /deliverables, a pacesetter's write-up, video and booklet approval
    charts,  # stage 3: 📊 the ranking's bar chart and 🕸 a candidate's radar, for the admins
    export,  # /export: the campaign's record as an Excel workbook, for the admins
    booklet,  # stage 4: /booklet, the admins build the results booklet; leads get chapters
    fallback,  # last: whatever nobody took gets a helpful answer
    errors,
)


def build_application(
    settings: Settings,
    campaign: Campaign,
    pacer: Pacer,
    updates_request: KeepsBody | None = None,
) -> Application:
    token = settings.require_token().reveal()
    proxy = settings.proxy_url
    builder = ApplicationBuilder().token(token)
    if proxy:
        builder = builder.proxy(proxy)  # getUpdates' request below takes it too
    app = (
        builder.base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .updater(None)  # we poll ourselves, see bot/polling.py
        .get_updates_request(updates_request or KeepsBody(proxy=proxy))
        .context_types(ContextTypes(context=Ctx, bot_data=Core))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=campaign.timezone,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(pacer)
        .build()
    )
    for flow in FLOWS:
        flow.register(app)
    callbacks.check()  # every button action has its one handler, or the bot does not start
    app.job_queue.run_repeating(
        _forget_old_updates,
        interval=timedelta(hours=6),
        first=timedelta(minutes=1),
        name="forget-old-updates",
    )
    return app


async def _forget_old_updates(ctx: Ctx) -> None:
    await forget_old_updates(ctx.bot_data.db, ctx.bot_data.now())


class BotRunner:
    """Start and stop the bot with its resources; used by `pacesetter run`, the demo, the tests."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        poll_timeout: float = 25.0,
        pace: Pace | None = None,
        scheduled_reminders: bool = False,
    ) -> None:
        self.settings = settings
        # Off unless asked (`pacesetter run` asks): the demo, the benchmarks and the tests
        # drive the clock and look at the schedule when they choose (handlers.reminders).
        self.scheduled_reminders = scheduled_reminders
        self.clock = clock
        self.poll_timeout = poll_timeout
        self.pacer = Pacer(pace)
        self.app: Application | None = None
        self.db: Database | None = None
        self.poller: Poller | None = None
        self.sender: Sender | None = None
        self.downloader: Downloader | None = None
        self.lock = InstanceLock(settings.db_path)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.menus_refreshed: asyncio.Task | None = None  # done once every menu is current
        self.setup_link: str | None = None  # set at start when nobody is an admin yet

    @property
    def core(self) -> Core:
        return self.app.bot_data

    def busy(self) -> bool:
        """Updates in hand, messages due, an album's answer or an import's check to come: what
        tests wait for before they look."""
        in_hand = self.poller is not None and self.poller.busy()
        sending = self.sender is not None and self.sender.busy()
        copying = self.downloader is not None and self.downloader.busy()
        waiting = bool(self.app and (self.app.bot_data.albums_open or self.app.bot_data.checking))
        # And an export's document, or the booklet's files and chapters.
        exporting = bool(
            self.app and (self.app.bot_data.exporting or self.app.bot_data.building_booklet)
        )
        return in_hand or sending or copying or waiting or exporting

    async def remind_due(self) -> list:
        """Look at the reminder schedule now, as its job would: for the demo and the tests,
        which move the clock themselves; what was written, and to how many people."""
        return await reminders.remind_due(self.core)

    async def start(self) -> None:
        campaign = load_campaign(self.settings.campaign_path)
        self.lock.acquire()  # before anything is read or reset: a second bot stops here
        try:
            self.db = await Database.open(self.settings.db_path)
        except BaseException:
            self.lock.release()
            raise
        try:
            campaign = with_overrides(campaign, await applications.deadline_overrides(self.db))
            updates_request = KeepsBody(proxy=self.settings.proxy_url)
            self.app = build_application(self.settings, campaign, self.pacer, updates_request)
            if not self.scheduled_reminders:
                for job in self.app.job_queue.get_jobs_by_name("reminders"):
                    job.schedule_removal()
            core: Core = self.app.bot_data
            core.settings, core.db, core.campaign = self.settings, self.db, campaign
            core.msgs = Messages(campaign.timezone, clock=core.now)  # this year is the clock's
            if self.clock is not None:
                core.clock = self.clock
            await self.app.initialize()
            core.bot_username = self.app.bot.username
            core.outage = WriteOutage(
                self.app.bot, self.db, core.msgs, campaign, self.settings.admins, core.now
            )
            await self._set_menus(core)
            self.setup_link = await self._setup_link(core)
            await self.app.start()
            # In the background: thousands of people take a while at Telegram's pace.
            self.menus_refreshed = self.app.create_task(
                self._refresh_role_menus(core), name="refresh-menus"
            )
        except BaseException:
            await self.db.close()
            self.lock.release()
            raise
        self.poller = Poller(
            self.app,
            self.db,
            core.now,
            allowed_updates=ALLOWED_UPDATES,
            timeout=self.poll_timeout,
            storage_failures=core.storage_failures,
            outage=core.outage,
            on_set_aside=lambda tx, aside: set_aside.tell(
                tx, core.writer, self.settings.admins, aside
            ),
            updates_request=updates_request,
        )
        self.sender = Sender(
            self.app.bot,
            self.db,
            self.pacer,
            core.now,
            lambda report: report_messages(core.writer, report),
        )
        self.downloader = Downloader(
            self.app.bot,
            self.db,
            folder_of(self.settings.db_path),
            core.now,
            lambda tx, unique_id: tell_too_big(tx, core.writer, unique_id),
            lambda tx, unique_id: tell_gave_up(tx, core.writer, self.settings.admins, unique_id),
        )
        self._tasks = [
            asyncio.create_task(self.poller.run(self._stop), name="pacesetter-polling"),
            asyncio.create_task(self.sender.run(self._stop), name="pacesetter-outbox"),
            asyncio.create_task(self.downloader.run(self._stop), name="pacesetter-media"),
        ]

    async def _set_menus(self, core: Core) -> None:
        await menus.set_default_menus(self.app.bot, core.msgs, core.campaign.default_locale)
        await menus.set_descriptions(self.app.bot, core.msgs, core.campaign)
        await self._set_private_menus(core, sorted(await self._admin_ids()))

    async def _setup_link(self, core: Core) -> str | None:
        """With no campaign admin at all, a one-time link that makes its first opener one
        (the same link on every start until someone uses it). Once any admin exists, by
        whatever means, the link is withdrawn."""
        now = core.now()
        if await self._admin_ids():
            async with self.db.transaction(now) as tx:
                await invitations.revoke_setup_links(tx)
            return None
        async with self.db.transaction(now) as tx:
            invitation = await invitations.open_or_create(
                tx,
                invites.new_code(),
                "admin",
                unit_id=None,
                project_id=None,
                created_by=0,
                expires_at=now + SETUP_LINK_LIFETIME,
                origin=invites.SETUP_ORIGIN,
            )
        return invites.deep_link(core.bot_username, invitation.code)

    async def _refresh_role_menus(self, core: Core) -> None:
        """Everyone else with a role may have a menu from an older version or language."""
        others = await roles.holder_ids(self.db, roles.BELOW_ADMIN)
        await self._set_private_menus(core, sorted(others - await self._admin_ids()))

    async def _admin_ids(self) -> set[int]:
        return await admin_ids(self.db, self.settings.admins)

    async def _set_private_menus(self, core: Core, user_ids: list[int]) -> None:
        """Only menus that differ from the one last set: a restart costs no request for the
        thousands whose roles and language stayed the same."""
        found = await people.get_many(self.db, user_ids)
        reachable = [p for p in found.values() if p.writable]
        grants = await roles.of_users(self.db, [p.user_id for p in reachable])
        changed: dict[int, str] = {}
        for person in reachable:
            actor = actor_of(
                person,
                grants[person.user_id],
                admins=self.settings.admins,
                default_locale=core.campaign.default_locale,
            )
            if person.menu == menus.signature(core.msgs, actor):
                continue
            signature = await menus.set_private_menu(self.app.bot, core.msgs, actor)
            if signature is not None:
                changed[person.user_id] = signature
        if changed:
            async with self.db.transaction(core.now()) as tx:
                await people.set_menus(tx, changed)

    async def wait(self) -> None:
        """Until polling ends: stopped, or failed (the error is raised here)."""
        await self._tasks[0]

    async def stop(self) -> None:
        self._stop.set()
        if self.app is not None:
            # A check of an import's groups can take a minute: not waited for. Sending the
            # sheet again checks them again.
            for task in self.app.bot_data.checking:
                task.cancel()
        try:
            if self._tasks:
                results = await asyncio.gather(*self._tasks, return_exceptions=True)
                for result in results:
                    if isinstance(result, BaseException):
                        raise result
        finally:
            if self.app is not None:
                if self.app.running:
                    await self.app.stop()
                await self.app.shutdown()
            if self.db is not None:
                await self.db.close()
            self.lock.release()
