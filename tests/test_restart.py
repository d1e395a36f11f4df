"""`pacesetter run` as a real process: killed mid-handler, nothing is lost or done twice."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.campaign_load import DEFAULT_CAMPAIGN_PATH
from bot.sandbox import Sandbox, SandboxUser
from storage.db import Database
from tests.conftest import TOKEN, org_csv


def campaign_open_now(
    tmp_path: Path,
    *,
    cultivating: bool = False,
    assessing: bool = False,
    consolidating: bool = False,
) -> Path:
    """The built-in campaign with its stages moved so that applications are open today (or,
    `cultivating`, closed a while ago, and cultivation open; or `assessing`, the assessment
    open; or `consolidating`, the consolidation open)."""
    now = datetime.now(UTC).replace(microsecond=0)
    days = [(-1, 30), (31, 200), (201, 240), (241, 300)]  # opens, deadline per stage
    if cultivating:
        days = [(-60, -31), (-30, 200), (201, 240), (241, 300)]
    if assessing:
        days = [(-90, -61), (-60, -31), (-30, 200), (201, 300)]
    if consolidating:
        days = [(-120, -91), (-90, -61), (-60, -31), (-30, 200)]
    moments = iter((now + timedelta(days=d)).isoformat() for pair in days for d in pair)
    text = DEFAULT_CAMPAIGN_PATH.read_text(encoding="utf-8")
    text = re.sub(
        r"^(opens|deadline) = .*$",
        lambda m: f"{m.group(1)} = {next(moments)}",
        text,
        flags=re.MULTILINE,
    )
    # Quiet hours half a day away, so a reminder due now goes now, whatever hour this runs.
    quiet = now.astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(hours=12)
    text, found = re.subn(
        r'^start = "22:00"\nend = "08:00"$',
        f'start = "{quiet:%H}:00"\nend = "{quiet + timedelta(hours=1):%H}:00"',
        text,
        flags=re.MULTILINE,
    )
    assert found == 1, "the built-in campaign's quiet hours moved"
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


class BotProcess:
    """`python -m bot run` against the sandbox, its log in a file (a pipe could fill and block)."""

    def __init__(
        self,
        sb: Sandbox,
        tmp_path: Path,
        admin: SandboxUser,
        *,
        cultivating: bool = False,
        assessing: bool = False,
        consolidating: bool = False,
    ) -> None:
        self.env = {
            **os.environ,
            "PACESETTER_TOKEN": TOKEN,
            "PACESETTER_API_URL": sb.api_url,
            "PACESETTER_DB": str(tmp_path / "bot.db"),
            "PACESETTER_ADMINS": str(admin.id),
            "PACESETTER_LOG_LEVEL": "DEBUG",
            "PACESETTER_CAMPAIGN": str(
                campaign_open_now(
                    tmp_path,
                    cultivating=cultivating,
                    assessing=assessing,
                    consolidating=consolidating,
                )
            ),
        }
        self.db_path = tmp_path / "bot.db"
        self.logs: list[Path] = []
        self.tmp_path = tmp_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = self.tmp_path / f"bot-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, stdout=out, stderr=out
            )

    async def kill(self) -> None:
        self.process.kill()
        await self.process.wait()

    async def terminate(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return await asyncio.wait_for(self.process.wait(), timeout=20)

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs)

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()


async def seed_bound_groups(db_path: Path, chat_ids: list[int]) -> None:
    """A unit and a project per chat, each project's group bound, the bot in them: written
    as earlier runs of the bot would have."""
    now = datetime.now(UTC)
    stamp = now.isoformat()
    db = await Database.open(db_path)
    try:
        async with db.transaction(now) as tx:
            await tx.execute_many(
                "INSERT INTO units (id, code, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [(n + 1, f"U{n:03d}", f"Unit {n:03d}", stamp, stamp) for n in range(len(chat_ids))],
            )
            await tx.execute_many(
                "INSERT INTO projects (id, unit_id, code, name, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (n + 1, n + 1, f"P{n:03d}", f"Project {n:03d}", stamp, stamp)
                    for n in range(len(chat_ids))
                ],
            )
            await tx.execute_many(
                "INSERT INTO chats (chat_id, type, title, bot_status, updated_at)"
                " VALUES (?, 'group', ?, 'member', ?)",
                [(chat_id, f"Branch {n:03d}", stamp) for n, chat_id in enumerate(chat_ids)],
            )
            await tx.execute_many(
                "INSERT INTO chat_bindings (chat_id, project_id, bound_at) VALUES (?, ?, ?)",
                [(chat_id, n + 1, stamp) for n, chat_id in enumerate(chat_ids)],
            )
    finally:
        await db.close()


async def until(predicate, timeout: float = 30, what: str = "the bot") -> None:
    """The bot runs in another process: it confirms an update once stored, before answering
    it, so the tests wait for what they expect to see."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def sending(bot: BotProcess) -> int:
    """Messages the dead process had in flight: sent or not, it never wrote down which, so
    each is sent again after the restart (and only these may arrive twice)."""
    return bot.query("SELECT COUNT(*) FROM outbox WHERE state = 'sending'")[0][0]


def replied(user: SandboxUser, text: str, count: int = 1):
    return lambda: sum(text in r.text for r in user.replies()) >= count


@pytest.fixture
async def running(tmp_path):
    async with Sandbox(token=TOKEN) as sb:
        sb.settle_timeout = 20  # a cold Python start is part of each step here
        admin = sb.user("Ada", language_code="en")
        bot = BotProcess(sb, tmp_path, admin)
        await bot.start()
        try:
            await admin.send("/import")
            await admin.send_document(org_csv([("U1", 2)]), filename="o.csv", mime_type="text/csv")
            await until(replied(admin, "Imported"))
            yield sb, bot, admin
        finally:
            if bot.process.returncode is None:
                await bot.kill()
        assert sb.problems == []


async def _link(admin: SandboxUser) -> str:
    await until(replied(admin, "start="))
    return admin.last_reply.text.split("start=")[1].split()[0]


async def test_killed_mid_handler_the_update_is_handled_exactly_once_after_restart(running):
    sb, bot, admin = running
    await admin.send("/invite lead P-U1-01")
    link = await _link(admin)
    lena = sb.user("Lena")
    sb.hold("sendMessage")  # the welcome will hang in the network...
    await lena.send(f"/start {link}", wait=False)
    await sb.wait_request("sendMessage", timeout=20)
    # ... by then the invitation is redeemed and committed; now the process dies.
    await bot.kill()
    sb.release("sendMessage")

    await bot.start()
    await until(replied(lena, "You are now a project lead"))
    await until(replied(admin, "Lena opened your invitation"))
    await until(lambda: "invite" in dict(sb.commands("chat", chat_id=lena.id)))
    await sb.settle(timeout=30)
    assert bot.query(
        "SELECT role, COUNT(*) FROM roles WHERE user_id = ? GROUP BY role", lena.id
    ) == [("lead", 1)]
    assert bot.query("SELECT COUNT(*) FROM audit_log WHERE action = 'invitation.redeem'") == [(1,)]
    welcomes = [r.text for r in lena.replies() if "You are now a project lead" in r.text]
    assert len(welcomes) == 1
    # What the first run never got to do, the redelivered update finished.
    notices = [r.text for r in admin.replies() if "Lena opened your invitation" in r.text]
    assert len(notices) == 1
    assert "invite" in dict(sb.commands("chat", chat_id=lena.id))
    assert await bot.terminate() == 0


async def test_an_update_handled_but_not_confirmed_is_not_handled_again(running):
    sb, bot, _ = running
    lena = sb.user("Lena")
    await lena.send("/start")
    sb.hold("getUpdates")  # the next poll, which would confirm, hangs in the network...
    await lena.send("/whoami", wait=False)
    await lena.next_reply(timeout=20)  # the /start reply
    reply = await lena.next_reply(timeout=20)
    assert "No role in the campaign yet" in reply.text
    await sb.wait_held(timeout=20)
    update_id = max(sb._pending)  # still unconfirmed: Telegram will give it again
    await until(
        lambda: bot.query("SELECT handled_at FROM inbox WHERE update_id = ?", update_id)[0][0]
    )
    await bot.kill()  # ... and the process dies before it gets through.
    sb.release("getUpdates")

    await bot.start()
    await until(lambda: "was already handled; dropped" in bot.log_text())
    await sb.settle(timeout=30)
    assert "was already handled; dropped" in bot.log_text()
    assert [r.text for r in lena.replies()].count(reply.text) == 1
    assert await bot.terminate() == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_graceful_stop_and_no_token_in_debug_logs(running, signum):
    _, bot, admin = running
    await admin.send("/whoami")
    assert await bot.terminate(signum) == 0
    text = bot.log_text()
    assert "running as @pacesetter_bot" in text
    assert "stopping" in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


async def test_killed_while_answering_an_invite_leaves_one_link(running):
    sb, bot, admin = running
    sb.hold("sendMessage")
    await admin.send("/invite reviewer", wait=False)
    await sb.wait_request("sendMessage", timeout=20)  # the invitation is already committed
    await bot.kill()
    sb.release("sendMessage")
    await bot.start()
    await until(replied(admin, "start="))
    await sb.settle(timeout=30)
    assert bot.query("SELECT COUNT(*) FROM invitations") == [(1,)]
    (code,) = bot.query("SELECT code FROM invitations")[0]
    assert code in admin.last_reply.text  # the link shown is the one that exists
    assert await bot.terminate() == 0


async def test_killed_in_the_middle_of_an_application_the_lead_continues_where_they_were(
    running,
):
    sb, bot, admin = running
    await admin.send("/invite lead P-U1-01")
    lena = sb.user("Lena")
    await lena.send(f"/start {await _link(admin)}")
    await until(replied(lena, "You are now a project lead"))
    await lena.send("/apply")
    await until(replied(lena, "Section 1 of 11"))
    await lena.send("Our foundation, in full.")
    await until(replied(lena, "✓ Saved"))
    await lena.tap("✓ Done")
    await until(replied(lena, "Section 2 of 11"))
    await lena.send("Experience: part one.")
    await until(replied(lena, "✓ Saved", count=2))
    sb.hold("editMessageText")  # the section's answer message is edited as it grows
    await lena.send("Experience: part two.", wait=False)
    await sb.wait_request("editMessageText", timeout=20)  # stored; the "saved" edit hangs
    await bot.kill()
    sb.release("editMessageText")
    await bot.start()
    await until(replied(lena, "✓ Saved (44 characters"))
    await sb.settle(timeout=30)
    (parts,) = bot.query("SELECT COUNT(*) FROM answer_parts WHERE section = 'experience'")[0]
    assert parts == 2  # the redelivered message was not stored twice
    await lena.send("/apply")
    await until(replied(lena, "Section 2 of 11", count=2))
    resumed = lena.last_reply.text
    assert "Section 2 of 11: Experience and practices" in resumed
    assert "Experience: part one.\n\nExperience: part two." in resumed
    await lena.tap("✓ Done")
    await until(replied(lena, "Section 3 of 11"))
    assert await bot.terminate() == 0


def _seed_announcement_audience(sb: Sandbox, bot: BotProcess, people: int, groups: int):
    """People with a role who opened the bot, and bound groups the bot is in, written straight
    into the database (as earlier runs of the bot would have)."""
    stamp = datetime.now(UTC).isoformat()
    users = [sb.user(f"Person{i}") for i in range(people)]
    chats = [sb.group(f"Group{i}", creator=users[0]) for i in range(groups)]
    with sqlite3.connect(bot.db_path) as conn:
        (project_id,) = conn.execute("SELECT id FROM projects ORDER BY id LIMIT 1").fetchone()
        for user in users:
            user.started = True
            conn.execute(
                "INSERT INTO people (user_id, first_name, telegram_language, private_chat,"
                " created_at, updated_at) VALUES (?, ?, 'en', 1, ?, ?)",
                (user.id, user.first_name, stamp, stamp),
            )
            conn.execute(
                "INSERT INTO roles (user_id, role, project_id, granted_at)"
                " VALUES (?, 'lead', ?, ?)",
                (user.id, project_id, stamp),
            )
        for chat in chats:
            chat.bot_status = "member"
            conn.execute(
                "INSERT INTO chats (chat_id, type, title, bot_status, updated_at)"
                " VALUES (?, 'group', ?, 'member', ?)",
                (chat.id, chat.title, stamp),
            )
            conn.execute(
                "INSERT INTO chat_bindings (chat_id, thread_id, project_id, bound_at)"
                " VALUES (?, 0, ?, ?)",
                (chat.id, project_id, stamp),
            )
    return users, chats


async def test_killed_in_the_middle_of_an_announcement_everyone_is_told_after_restart(running):
    sb, bot, admin = running
    users, groups = _seed_announcement_audience(sb, bot, people=50, groups=5)
    # Later than the built-in deadline (an extension, not a shortening), whenever this runs.
    local = max(datetime.now(UTC), datetime(2027, 1, 15, 10, 0, tzinfo=UTC)) + timedelta(days=20)
    deadline = local.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")

    def counts() -> list[int]:
        return [
            sum(("is now" in m.text or "截止时间已调整为" in m.text) for m in sb.messages(c.id))
            for c in users + groups
        ]

    await admin.send(f"/extend apply {deadline}")
    await until(replied(admin, "will be told"), what="the question")
    await admin.tap("✅ Move the deadline", wait=False)
    await until(lambda: sum(map(bool, counts())) >= 20, what="a third of the announcement")
    sb.hold("sendMessage")  # what is in flight now hangs in the network...
    await sb.wait_held(timeout=20)
    await bot.kill()  # ... when the process dies
    in_flight = sending(bot)
    sb.release("sendMessage")
    await bot.start()
    await until(lambda: all(counts()), what="everyone told after the restart")
    await until(lambda: replied(admin, "The announcement is out")(), what="the report")
    await sb.settle(timeout=30)
    told = counts()
    assert all(1 <= n <= 2 for n in told), told
    assert sum(told) - len(told) <= in_flight  # only a message in flight may arrive twice
    assert sb.rejections == []  # our own pace: no 429 from the real limits
    assert "People told: 50. Group chats: 5." in admin.last_reply.text
    assert await bot.terminate() == 0


async def test_killed_in_the_middle_of_a_due_reminder_each_group_hears_it_once(tmp_path):
    async with Sandbox(token=TOKEN) as sb:
        sb.settle_timeout = 20
        admin = sb.user("Ada", language_code="en")
        groups = [sb.group(f"Branch {n}", creator=admin) for n in range(30)]
        for group in groups:
            group.bot_status = "member"  # added long ago: no update to replay
        await seed_bound_groups(tmp_path / "bot.db", [group.id for group in groups])
        bot = BotProcess(sb, tmp_path, admin)

        def counts() -> list[int]:
            return [len(sb.messages(group.id)) for group in groups]

        # Applications opened yesterday: the scheduler's first look finds the opening due.
        await bot.start()
        try:
            await until(lambda: sum(map(bool, counts())) >= 10, what="a third of the wave")
            sb.hold("sendMessage")  # what is in flight now hangs in the network...
            await sb.wait_held(timeout=20)
            await bot.kill()  # ... when the process dies
            in_flight = sending(bot)
            assert sum(map(bool, counts())) < len(groups)  # killed in the middle of the wave
            sb.release("sendMessage")
            await bot.start()
            await until(lambda: all(counts()), what="every group reminded after the restart")
            await sb.settle(timeout=30)
            await asyncio.sleep(1.5)  # a second look of the scheduler, had it written again
            told = counts()
            assert all(1 <= n <= 2 for n in told), told
            assert sum(told) - len(told) <= in_flight  # only a message in flight twice
            assert all("申报遴选已开始" in sb.messages(g.id)[0].text for g in groups)
            assert bot.query("SELECT stage, moment, outcome, messages FROM reminder_waves") == [
                ("apply", "opens", "written", 30)
            ]
            assert sb.rejections == []
            assert await bot.terminate() == 0
        finally:
            if bot.process.returncode is None:
                await bot.kill()
        assert sb.problems == []


async def test_killed_in_the_middle_of_a_report_the_member_goes_on_and_it_is_posted_once(
    tmp_path,
):
    async with Sandbox(token=TOKEN) as sb:
        sb.settle_timeout = 20
        admin = sb.user("Ada", language_code="en")
        mei = sb.user("Mei", language_code="en")
        group = sb.group("Branch 0", creator=admin)
        group.bot_status = "member"  # added long ago: no update to replay
        db_path = tmp_path / "bot.db"
        await seed_bound_groups(db_path, [group.id])
        stamp = datetime.now(UTC).isoformat()
        with sqlite3.connect(db_path) as conn:  # Mei, a member of a candidate project
            conn.execute(
                "INSERT INTO people (user_id, first_name, telegram_language, private_chat,"
                " created_at, updated_at) VALUES (?, 'Mei', 'en', 1, ?, ?)",
                (mei.id, stamp, stamp),
            )
            conn.execute(
                "INSERT INTO roles (user_id, role, project_id, granted_at)"
                " VALUES (?, 'member', 1, ?)",
                (mei.id, stamp),
            )
            conn.execute(
                "INSERT INTO applications (project_id, status, created_by, created_at,"
                " updated_at) VALUES (1, 'accepted', ?, ?, ?)",
                (mei.id, stamp, stamp),
            )
        mei.started = True
        bot = BotProcess(sb, tmp_path, admin, cultivating=True)
        await bot.start()
        try:
            await mei.send_photo(caption="Our study session")
            await until(replied(mei, "Report this as an activity"))
            await mei.tap("📝 Report it")
            await until(replied(mei, "What did the branch do?"))
            await mei.tap("Study and training")
            await until(replied(mei, "When?"))
            sb.hold("editMessageText")  # the live message's next edit hangs...
            await mei.tap("Yesterday", wait=False)
            await sb.wait_request("editMessageText", timeout=20)
            await bot.kill()  # ... when the process dies
            sb.release("editMessageText")
            await bot.start()
            await until(replied(mei, "How many people took part?"), what="the redelivered tap")
            await mei.tap("20")
            await until(replied(mei, "Save it?"))
            await mei.tap("✅ Save")
            # (The group also hears, once, that cultivation opened: the card is the photo.)
            await until(lambda: len(_photos(sb, group)) >= 1, what="the card")
            await sb.settle(timeout=30)
            await asyncio.sleep(1.0)  # a second card, had it been written twice
            [card] = _photos(sb, group)
            assert card.kind == "photo" and "Our study session" in card.text
            assert bot.query("SELECT state, activity, participants FROM activity_reports") == [
                ("saved", "study", 20)
            ]
            assert bot.query("SELECT COUNT(*) FROM report_media") == [(1,)]
            assert await bot.terminate() == 0
        finally:
            if bot.process.returncode is None:
                await bot.kill()
        assert sb.problems == []


def _photos(sb: Sandbox, group) -> list:
    return [message for message in sb.messages(group.id) if message.kind == "photo"]


async def test_a_persistent_refusal_of_get_updates_stops_the_bot_with_one_line(tmp_path):
    async with Sandbox(token=TOKEN) as sb:
        bot = BotProcess(sb, tmp_path, sb.user("Ada"))
        sb.faults.error("getUpdates", 400, "Bad Request: wrong parameter offset specified")
        await bot.start()
        code = await asyncio.wait_for(bot.process.wait(), timeout=30)
        assert code == 2
        lines = bot.log_text().splitlines()
        assert (
            "pacesetter: Telegram refuses getUpdates: Wrong parameter offset specified"
            " (check PACESETTER_API_URL and the token)"
        ) in lines
        assert not any("Traceback" in line or "never retrieved" in line for line in lines)
        # Refused three times over a few seconds, then it stopped: no retrying for ever.
        assert len([f for f in sb.faults.served if f.method.lower() == "getupdates"]) == 3
