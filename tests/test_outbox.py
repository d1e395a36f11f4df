"""The outbox: notices written with their change, sent at our pace, through Telegram's faults."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.outbox import MAX_ATTEMPTS
from bot.pacing import BULK, Pace, Pacer
from bot.sandbox import Limits, Sandbox, SandboxChat, SandboxUser
from storage import applications, orgs, outbox, people
from storage.db import from_db_time
from tests.conftest import TOKEN, World, told, until
from tests.test_apply import nominated

MOVED = "is now 20 Jan 2027 18:00"
MOVED_IN_GROUPS = "2027年1月20日 18:00"  # groups read the campaign's language


def moved(chat, sb) -> int:
    return told(chat, MOVED if isinstance(chat, SandboxUser) else MOVED_IN_GROUPS, sb)


async def _retried_until(world: World, predicate, rounds: int = 15) -> None:
    """Retries wait on the campaign's clock (back-off): move it on until they are through."""
    for _ in range(rounds):
        if predicate():
            return
        world.advance(seconds=3)
        await world.sb.settle(timeout=30)  # what became due is sent (or failed again)
    assert predicate()


EXTEND = "/extend apply 2027-01-20 18:00"
CONFIRM = "✅ Move the deadline"


async def _leads(world: World, count: int) -> list[SandboxUser]:
    await world.import_orgs([("U1", max(count, 1))])
    return [await world.join(f"Lead{i}", "lead", f"P-U1-{i:02d}") for i in range(1, count + 1)]


async def _groups(world: World, count: int) -> list[SandboxChat]:
    groups = []
    for i in range(1, count + 1):
        group = world.sb.group(f"Branch {i}", creator=world.admin)
        await world.sb.add_bot(group, by=world.admin)
        await world.admin.send(f"/bind P-U1-{i:02d}", chat=group)
        groups.append(group)
    return groups


async def test_a_429_for_one_chat_does_not_delay_the_others(world: World):
    leads = await _leads(world, 4)
    groups = await _groups(world, 2)
    flooded = leads[0]
    # The flood ends before the retry_after it announces: the retry is never flooded again.
    world.sb.faults.flood(flooded.id, retry_after=2, seconds=1.5)
    await world.admin.send(EXTEND)
    await world.admin.tap(CONFIRM, wait=False)
    others = [*leads[1:], *groups]
    await until(lambda: all(moved(chat, world.sb) for chat in others), 5, "the others")
    assert moved(flooded, world.sb) == 0
    # The 429 cooled its own chat only: every other chat may have its next message now.
    assert [world.runner.pacer.ready_in(chat.id) for chat in others] == [0.0] * len(others)
    for _ in range(250):  # the sender records the 429 as a retry (on the campaign's clock)
        if await world.db.fetch_value("SELECT 1 FROM outbox WHERE error = '429'"):
            break
        await asyncio.sleep(0.02)
    # Its retry is due two seconds later on the campaign's clock (and the pacer's).
    world.advance(seconds=3)
    await world.sb.settle()
    assert [moved(chat, world.sb) for chat in leads + groups] == [1] * 6
    served = world.sb.faults.served
    assert {(f.kind, f.chat_id) for f in served} == {("flood", flooded.id)}
    assert len(served) == 1


async def test_a_time_out_and_5xx_during_a_decisions_notices_lose_nothing(world: World):
    sam, lena = await nominated(world)
    # Telegram answers too late for Lena (PTB gives up after 5 s: TimedOut) and fails twice
    # with 502 for Sam.
    world.sb.faults.timeout("sendMessage", 6, applied=False, chat_id=lena.id, times=1)
    world.sb.faults.error("sendMessage", 502, chat_id=sam.id, times=2)
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-01")
    await world.admin.tap("✅ Accept as a candidate")
    await world.admin.tap("✅ Yes, accept", wait=False)
    await until(lambda: told(world.admin, "Accepted: Project U1-01", world.sb), 5, "the answer")
    project = await orgs.project_by_code(world.db, "P-U1-01")
    assert (await applications.of_project(world.db, project.id)).status == "accepted"
    accepted = "was accepted by the campaign admins"
    await _retried_until(
        world, lambda: told(lena, accepted, world.sb) and told(sam, accepted, world.sb)
    )
    await world.sb.settle()
    assert told(lena, accepted, world.sb) == 1
    assert told(sam, accepted, world.sb) == 1
    assert sorted(f.kind for f in world.sb.faults.served) == ["error", "error", "timeout"]


async def test_blocked_and_upgraded_chats_are_handled_and_the_sender_hears_how_it_went(
    world: World,
):
    leads = await _leads(world, 3)
    groups = await _groups(world, 2)
    upgraded = world.sb.supergroup("Branch 1 (supergroup)", creator=world.admin)
    await world.sb.add_bot(upgraded, by=world.admin)
    world.sb.faults.forbidden(leads[0].id, "bot was blocked by the user")
    world.sb.faults.error(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": upgraded.id},
        chat_id=groups[0].id,
    )
    await world.admin.send(EXTEND)
    await world.admin.tap(CONFIRM)
    assert moved(upgraded, world.sb) == 1  # resent at the new id
    assert moved(groups[1], world.sb) == 1
    assert [told(lead, MOVED, world.sb) for lead in leads] == [0, 1, 1]
    assert (await people.get(world.db, leads[0].id)).blocked  # not written to again
    report = world.admin.last_reply.text
    assert report == (
        "📣 The announcement is out. People told: 2. Group chats: 2.\n"
        "Could not be reached: 1 (they never opened a chat with the bot, blocked it, "
        "or removed it from their group)."
    )


async def test_people_who_never_opened_the_bot_are_counted_not_written_to(world: World):
    await _leads(world, 2)
    silent = world.sb.user("Silent")
    link = await world.invite_link(world.admin, "lead", "P-U1-01")
    # The invitation opened from a group's deep link never reached a private chat: simulate a
    # role holder the bot can't write to.
    await silent.send(f"/start {link}")
    async with world.db.transaction(world.clock.now) as tx:
        await tx.execute("UPDATE people SET private_chat = 0 WHERE user_id = ?", (silent.id,))
    mark = len(world.sb.requests)
    await world.admin.send(EXTEND)
    await world.admin.tap(CONFIRM)
    sent_to = {p["chat_id"] for m, p in world.sb.requests[mark:] if m == "sendMessage"}
    assert silent.id not in sent_to
    assert "Could not be reached: 1" in world.admin.last_reply.text


async def test_a_wave_to_many_groups_keeps_under_the_limits_and_people_acting_go_first(
    world: World,
):
    world.allow_rejections = False  # a 429 would be a fault of our pacing
    # The 60 groups are bound at the suite's fast pace (at Telegram's, ~4 s of setting up).
    await world.import_orgs([("U1", 60)])
    for i in range(1, 61):
        group = world.sb.group(f"Branch {i}", creator=world.admin)
        await world.sb.add_bot(group, by=world.admin, wait=False)
        await world.admin.send(f"/bind P-U1-{i:02d}", chat=group, wait=False)
    await world.sb.settle(timeout=30)
    world.sb.limits = Limits()  # Telegram's own limits
    world.pace = Pace()  # and the bot's own pace
    await world.restart()
    mark = len(world.sb.requests)
    await world.admin.send(EXTEND)
    await world.admin.tap(CONFIRM, wait=False)

    def group_sends() -> list[dict]:
        return [p for m, p in world.sb.requests[mark:] if m == "sendMessage" and p["chat_id"] < 0]

    await until(lambda: len(group_sends()) >= 1, 10, "the wave under way")
    asking = world.sb.user("Asking")
    await asking.send("/help", wait=False)
    await until(lambda: asking.last_reply is not None, 10, "the answer to /help")
    # Answered in the middle of the wave, not after it (how fast is for bench.broadcast).
    assert len(group_sends()) < 60
    await world.sb.settle(timeout=30)
    assert len(group_sends()) == 60 and len({p["chat_id"] for p in group_sends()}) == 60
    assert world.runner.pacer.retry_afters == 0
    assert world.sb.rejections == []


async def test_a_burst_from_one_person_leaves_others_answered_within_a_second(world: World):
    world.sb.limits = Limits()
    world.pace = Pace()
    await world.restart()
    burst = world.sb.user("Burst")
    for i in range(100):
        await burst.send(f"message {i}", wait=False)
    others = [world.sb.user(f"Other{i}") for i in range(5)]
    burst_answered = []  # how many of the burst's 100 were answered when each other one was
    for other in others:
        await asyncio.sleep(0.2)
        await other.send("/help", wait=False)
        await until(lambda other=other: other.last_reply is not None, 10, "an answer")
        burst_answered.append(len(burst.replies()))
    # Each answered in between, not behind the burst (at ~1 a second it takes ~100 s).
    assert max(burst_answered) < 100, burst_answered
    assert world.runner.pacer.retry_afters == 0
    assert world.sb.rejections == []


async def test_the_outbox_row_keys_make_a_second_write_of_the_same_change_a_no_op(world: World):
    leads = await _leads(world, 2)
    await world.admin.send(EXTEND)
    await world.admin.tap(CONFIRM)
    cause = await world.db.fetch_value(
        "SELECT cause FROM outbox WHERE cause LIKE 'deadline:%' GROUP BY cause"
    )
    rows = await outbox.rows_of(world.db, cause)
    again = [
        outbox.Outgoing(r.cause, r.kind, r.chat_id, r.payload, user_id=r.user_id) for r in rows
    ]
    async with world.db.transaction(world.clock.now) as tx:
        await outbox.enqueue(tx, again)  # what a redelivered update would write
    await world.sb.settle()
    assert [told(lead, MOVED, world.sb) for lead in leads] == [1, 1]
    assert len(await outbox.rows_of(world.db, cause)) == len(rows)


async def _opened(world: World) -> int:
    """The admin's private chat, opened (the bot may write there)."""
    await world.admin.send("/help")
    return world.admin.id


async def _write(world: World, *items: outbox.Outgoing) -> None:
    async with world.db.transaction(world.clock.now) as tx:
        await outbox.enqueue(tx, items)
    await world.sb.settle()


def _note(cause: str, chat_id: int, text: str, **fields) -> outbox.Outgoing:
    return outbox.Outgoing(cause, "note", chat_id, {"text": text}, **fields)


def _edit(cause: str, chat_id: int, text: str, of: str) -> outbox.Outgoing:
    payload = {"text": text, outbox.FOLLOWS: of}
    return outbox.Outgoing(cause, "note", chat_id, payload, method="editMessageText")


async def test_an_error_recording_a_sends_outcome_does_not_hold_the_chat(world: World, monkeypatch):
    recorded = outbox.sent
    failures = []

    async def sent_but_once(tx, row_id, message_id=None):
        if not failures:
            failures.append(row_id)
            raise ValueError("a bug while recording")  # not the disk: no OperationalError
        await recorded(tx, row_id, message_id)

    monkeypatch.setattr(outbox, "sent", sent_but_once)
    chat = await _opened(world)
    await _write(world, _note("t:1", chat, "first words"), _edit("t:2", chat, "edited", "t:1"))
    assert failures
    assert [m.text for m in world.sb.messages(chat)][-1] == "edited"
    rows = await outbox.rows_of(world.db, "t:1") + await outbox.rows_of(world.db, "t:2")
    assert [row.state for row in rows] == ["sent", "sent"]


async def test_time_outs_and_5xx_are_retried_for_about_an_hour_then_given_up(world: World):
    chat = await _opened(world)
    world.sb.faults.error("sendMessage", 502, chat_id=chat)
    await _write(world, _note("t:1", chat, "never out"))
    started = world.clock.now
    for _ in range(50):
        [row] = await outbox.rows_of(world.db, "t:1")
        if row.state == "failed":
            break
        waiting = await world.db.fetch_value(
            "SELECT not_before FROM outbox WHERE id = ?", (row.id,)
        )
        world.advance(seconds=(from_db_time(waiting) - world.clock.now).total_seconds())
        await world.sb.settle()
    assert row.state == "failed"
    assert len(world.sb.faults.served) == MAX_ATTEMPTS == 15
    given_up = await world.db.fetch_value("SELECT error FROM outbox WHERE id = ?", (row.id,))
    assert given_up.startswith("gave up")
    assert timedelta(minutes=50) < world.clock.now - started < timedelta(minutes=70)


async def test_a_message_held_till_morning_holds_back_only_what_follows_it(world: World):
    chat = await _opened(world)
    morning = world.clock.now + timedelta(hours=6)
    await _write(
        world,
        _note("night", chat, "words at night", not_before=morning),
        _edit("night:edit", chat, "the night's words, edited", "night"),
        _note("card", chat, "a report card"),
        _edit("card:edit", chat, "the report card, edited", "card"),
    )
    assert [m.text for m in world.sb.messages(chat)][-1:] == ["the report card, edited"]
    assert told(chat, "at night", world.sb) == 0
    world.advance(hours=6)
    await world.sb.settle()
    assert [m.text for m in world.sb.messages(chat)][-2:] == [
        "the report card, edited",
        "the night's words, edited",
    ]
    assert told(chat, "night", world.sb) == 1


@contextlib.asynccontextmanager
async def _paced_bot(pace: Pace) -> AsyncIterator[tuple[Sandbox, ExtBot, Pacer, list[int]]]:
    """A bot with our pacer alone against a sandbox, and 30 people who opened a chat with it."""
    async with Sandbox(token=TOKEN) as sb:
        people = [sb.user(f"Person{n}") for n in range(30)]
        for person in people:
            await person.send("/start", wait=False)
        pacer = Pacer(pace)
        bot = ExtBot(TOKEN, base_url=f"{sb.api_url}/bot", rate_limiter=pacer)
        async with bot:
            yield sb, bot, pacer, [person.id for person in people]


async def test_edits_are_paced_and_a_429_on_one_is_waited_out():
    async with _paced_bot(Pace(chat_burst=2, chat_per_second=5.0)) as (sb, bot, pacer, chats):
        sb.limits.chat_burst, sb.limits.chat_per_second = 3, 10.0
        chat = chats[0]
        message = await bot.send_message(chat, "v0")
        for n in range(1, 11):
            await bot.edit_message_text(f"v{n}", chat_id=chat, message_id=message.message_id)
        assert pacer.retry_afters == 0 and sb.rejections == []
        # Telegram floods the chat's edits for a second: the edit waits that out, once.
        sb.faults.flood(chat, method="editMessageText", seconds=1.0, retry_after=1)
        await bot.edit_message_text("v11", chat_id=chat, message_id=message.message_id)
        assert [(f.kind, f.method) for f in sb.faults.served] == [("flood", "editMessageText")]
        assert sb.messages(chat)[-1].text == "v11"


async def test_a_429_while_sending_at_the_overall_rate_holds_every_chat():
    async with _paced_bot(Pace()) as (sb, bot, pacer, chats):
        *others, flooded = chats
        sb.faults.flood(flooded, retry_after=5, times=1)
        sends = [bot.send_message(chat, "the wave", rate_limit_args=BULK) for chat in chats]
        outcomes = await asyncio.gather(*sends, return_exceptions=True)
        assert [type(outcome) for outcome in outcomes if isinstance(outcome, Exception)] == [
            RetryAfter
        ]
        assert isinstance(outcomes[-1], RetryAfter)
        # Telegram doesn't say which limit it was; at this rate, it is taken to be the overall.
        assert all(pacer.ready_in(chat) > 0 for chat in others)


async def test_after_a_restart_the_pace_starts_from_the_last_minutes_sends(world: World):
    world.pace = Pace(chat_burst=3, chat_per_second=0.01)  # a chat's window: 100 s a message
    await world.restart()
    chat = await _opened(world)
    await world.restart()  # a full window again (the answer to /help went outside the outbox)
    await _write(world, *(_note(f"t:{n}", chat, f"note {n}") for n in range(3)))
    assert told(chat, "note", world.sb) == 3
    await world.restart()  # killed and started again: Telegram still counts those three
    assert world.runner.pacer.ready_in(chat) > 0
    assert world.runner.pacer.ready_in(world.sb.user("Someone else").id) == 0


async def test_two_changes_of_one_message_keep_their_order_whatever_their_causes(world: World):
    chat = await _opened(world)
    await _write(world, _note("card", chat, "v0"))
    world.sb.faults.flood(chat, method="editMessageText", retry_after=2, times=1)
    await _write(
        world,
        _edit("card:edit", chat, "v1 (older edit)", "card"),
        _edit("card:media", chat, "v2 (newer edit)", "card"),
    )
    for _ in range(4):  # the older one is retried after its 429; the newer waits for it
        world.advance(seconds=3)
        await world.sb.settle()
    assert world.sb.messages(chat)[-1].text == "v2 (newer edit)"


async def test_a_long_429_for_one_chat_at_full_pace_holds_the_others_briefly_only():
    async with _paced_bot(Pace()) as (sb, bot, pacer, chats):
        *others, flooded = chats
        sb.faults.flood(flooded, retry_after=40, times=1)  # a group's minute, say
        sends = [bot.send_message(chat, "the wave", rate_limit_args=BULK) for chat in chats]
        await asyncio.gather(*sends, return_exceptions=True)
        assert pacer.ready_in(flooded) > 30  # that chat waits what Telegram said
        assert all(0 < pacer.ready_in(chat) <= 5 for chat in others)  # the rest, briefly
