"""The end-to-end harness: the real bot against the sandbox Bot API server over loopback."""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jinja2
import jinja2.bccache
import pytest

from bot.app import BotRunner
from bot.pacing import Pace
from bot.sandbox import Sandbox, SandboxUser
from bot.settings import Secret, Settings
from handlers.reminders import remind_due
from messages import render
from storage.db import Database

TOKEN = "123456:TEST-token-abcdefgh"
# Scripted people answer in microseconds; the pace of real people would only slow the suite
# down (every tap's answer and edit now counts against the overall budget too). The sandbox's
# limits are relaxed to match (see the `world` fixture); the pacing tests set their own.
FAST = Pace(
    chat_per_second=1000.0, chat_burst=1000.0, overall_per_second=1000.0, overall_burst=1000.0
)
# Inside the default campaign's application stage (opens 2026-12-01, deadline 2027-01-15).
APPLY_OPEN = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)


async def until(predicate, timeout: float = 10, what: str = "the bot") -> None:
    """Poll until `predicate()` holds: for what no sandbox action waits for by itself."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(0.01)


async def taps_at_once(sb: Sandbox, user, screen, label: str, other) -> list[str | None]:
    """Two taps of `label` on `screen` by `user` at once, then one by `other` on their own last
    screen: what each was answered (None: no alert), once all are. The test holds the work
    the first starts, so the others come while it is under way."""
    taps = list(
        await asyncio.gather(
            user.tap(label, screen, wait=False), user.tap(label, screen, wait=False)
        )
    )
    await until(lambda: sb.callback_answer(taps[0]["id"]) is not None)
    taps.append(await other.tap(label, other.last_reply, wait=False))

    def answered() -> bool:
        return all(sb.callback_answer(tap["id"]) is not None for tap in taps)

    await until(answered, what="the taps answered while one is under way")
    return [sb.callback_answer(tap["id"]).get("text") for tap in taps]


def told(chat, text: str, sb: Sandbox) -> int:
    """How many of the bot's messages in a chat (a user or a group) contain `text`."""
    return sum(text in m.text for m in sb.messages(chat if isinstance(chat, int) else chat.id))


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def org_csv(units: Sequence[tuple[str, int]], *, header: bool = True) -> bytes:
    """Units U-code with n projects each, e.g. [("U1", 3)] -> U1 with P-U1-01..03."""
    lines = ["unit_code,unit_name,project_code,project_name"] if header else []
    for code, count in units:
        lines += [
            f"{code},Unit {code},P-{code}-{i:02d},Project {code}-{i:02d}"
            for i in range(1, count + 1)
        ]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class World:
    sb: Sandbox
    tmp_path: Path
    clock: FakeClock
    admin: SandboxUser
    runner: BotRunner | None = None
    allow_rejections: bool = False
    extra_admins: set[int] = field(default_factory=set)
    no_admins: bool = False  # PACESETTER_ADMINS unset
    campaign_path: Path | None = None  # PACESETTER_CAMPAIGN; None: the built-in campaign
    pace: Pace = FAST

    @property
    def settings(self) -> Settings:
        return Settings(
            token=Secret(TOKEN),
            api_url=self.sb.api_url,
            db_path=self.tmp_path / "bot.db",
            admins=frozenset()
            if self.no_admins
            else frozenset({self.admin.id, *self.extra_admins}),
            campaign_path=self.campaign_path,
        )

    @property
    def db(self) -> Database:
        return self.runner.db

    async def start(self) -> None:
        self.runner = BotRunner(self.settings, clock=self.clock, poll_timeout=5, pace=self.pace)
        await self.runner.start()
        self.sb.bot_busy = self.runner.busy
        await self.runner.menus_refreshed  # so no test races the start-up's background work
        # The outbox sender's first look (a write) is over too: a test that writes to the
        # file from this thread would otherwise wait on a lock the event loop can't release.
        await self.sb.settle()

    async def stop(self) -> None:
        if self.runner is not None:
            self.sb.bot_busy = None
            await self.runner.stop()
            self.runner = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def import_orgs(self, units: Sequence[tuple[str, int]]) -> None:
        await self.admin.send("/import")
        await self.admin.send_document(org_csv(units), filename="orgs.csv", mime_type="text/csv")
        assert "Imported" in self.admin.last_reply.text, self.admin.last_reply.text

    async def accept(self, *codes: str, by: SandboxUser | None = None) -> None:
        """These projects' applications accepted outright (every project's, without codes):
        candidates, as the admins' decision leaves them."""
        where, args = "", list(codes)
        if codes:
            where = f" WHERE code IN ({', '.join('?' * len(codes))})"
        stamp = self.clock.now.isoformat()
        async with self.db.transaction(self.clock.now) as tx:
            await tx.execute(
                "INSERT INTO applications (project_id, status, created_by, created_at, updated_at)"
                " SELECT id, 'accepted', ?, ?, ? FROM projects" + where,
                ((by or self.admin).id, stamp, stamp, *args),
            )

    async def invite_link(self, inviter: SandboxUser, role: str, code: str = "") -> str:
        await inviter.send(f"/invite {role} {code}".strip())
        match = re.search(r"start=(inv_[A-Za-z0-9_-]+)", inviter.last_reply.text)
        assert match, inviter.last_reply.text
        return match.group(1)

    async def join(
        self,
        name: str,
        role: str,
        code: str = "",
        *,
        by: SandboxUser | None = None,
        language_code: str = "en",
    ) -> SandboxUser:
        """A new person who opens an invitation for `role` (scoped to unit/project `code`)."""
        user = self.sb.user(name, language_code=language_code)
        payload = await self.invite_link(by or self.admin, role, code)
        await user.send(f"/start {payload}")
        return user

    async def answer_to(self, user: SandboxUser, message, data: str) -> str | None:
        """Tap a button with this (possibly forged) data; the text the bot answered with."""
        query = await user.tap_data(message, data)
        return (self.sb.callback_answer(query["id"]) or {}).get("text")

    async def tap_answer(self, user: SandboxUser, label: str, message=None) -> str | None:
        """Tap a button by its label; the pop-up text the bot answered with, if any."""
        query = await user.tap(label, message=message)
        return (self.sb.callback_answer(query["id"]) or {}).get("text")

    def advance(self, **delta: float) -> None:
        """Move the campaign's clock on; the outbox looks again at what became due."""
        self.clock.advance(**delta)
        self.runner.sender.wake()
        self.runner.downloader.wake()

    async def remind(self) -> list:
        """Look at the reminder schedule now (the job does so every 30 s), and wait for what
        it wrote to be sent; the waves written."""
        written = await remind_due(self.runner.core)
        await self.sb.settle()
        return written

    def transcript(self) -> str:
        return "\n".join(self.sb.transcript())


@pytest.fixture(scope="session", autouse=True)
def one_tls_context() -> Iterator[None]:
    """Each bot a test starts builds two HTTP clients, and each would load the CA bundle again
    (~25 ms of CPU, thousands of times) for TLS the loopback sandbox never speaks: loaded once.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ssl, "create_default_context", functools.cache(ssl.create_default_context))
        yield


class SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates kept in memory, for every Messages the suite makes (all configure
    Jinja alike; a changed template's source no longer matches its checksum)."""

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str | None, object]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        found = self.codes.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.codes[bucket.key] = (bucket.checksum, bucket.code)


@pytest.fixture(scope="session", autouse=True)
def messages_prepared_once() -> Iterator[None]:
    """Every bot a test starts makes its own Messages, which would parse both catalogs and
    compile each template it renders again (~10-100 ms of CPU a test): done once a session.
    Both are only read once made."""
    shared = SharedBytecode()
    environment = render.Messages._environment

    def with_shared_bytecode(self: render.Messages, locale: str) -> jinja2.Environment:
        env = environment(self, locale)
        env.bytecode_cache = shared
        return env

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "_translations", functools.cache(render._translations))
        patch.setattr(render.Messages, "_environment", with_shared_bytecode)
        yield


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with Sandbox(token=TOKEN) as sb:
        # Scripted people answer in microseconds; Telegram's ~1 message/s per chat would only
        # slow the suite down. tests/test_robustness.py puts the real limit back and checks it.
        sb.limits.chat_per_second = 1000.0
        sb.limits.overall_per_second = 1000.0
        admin = sb.user("Ada", language_code="en", username="ada")
        world = World(sb=sb, tmp_path=tmp_path, clock=FakeClock(APPLY_OPEN), admin=admin)
        await world.start()
        try:
            yield world
        finally:
            await world.stop()
        assert sb.problems == [], sb.problems
        if not world.allow_rejections:
            assert sb.rejections == [], sb.rejections
