"""Stage reminders: only to those who owe, with what they owe; once, whatever restarts; never
at night; caught up after downtime; withdrawn when the deadline moves."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import reminders
from bot.app import BotRunner
from bot.campaign import QuietHours
from bot.campaign_load import DEFAULT_CAMPAIGN_PATH, load_campaign
from bot.reminders import Wave, offset_name, send_time, to_write, waves
from handlers.remind import BUTTONS as REMIND_BUTTONS
from messages.render import Messages
from storage import finals, outbox, people
from tests.conftest import World, told, until
from tests.test_apply import lead_of, submitted
from tests.test_outbox import _groups, _leads, _retried_until
from tests.test_report import _candidate

CAMPAIGN = load_campaign()
SHANGHAI = ZoneInfo("Asia/Shanghai")
QUIET = QuietHours(time(22, 0), time(8, 0))
DEADLINE = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
SEVEN_DAYS_BEFORE = DEADLINE - timedelta(days=7)
CULTIVATE_DEADLINE = datetime(2027, 9, 30, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_each_stage_has_its_opening_and_its_offsets_named():
    apply_waves = [w for w in waves(CAMPAIGN) if w.stage == "apply"]
    assert [w.moment for w in apply_waves] == ["opens", "7d", "3d", "1d", "2h", "closed"]
    assert apply_waves[1].due == SEVEN_DAYS_BEFORE
    assert apply_waves[1].key == "apply:7d:20270115T1000"
    assert offset_name(timedelta(minutes=90)) == "90m"


def test_quiet_hours_move_a_reminder_to_their_end_or_before_them_if_the_deadline_comes_first():
    deadline = _local(2027, 1, 15, 18, 0)
    assert send_time(_local(2027, 1, 14, 23, 30), deadline, QUIET, SHANGHAI) == _local(
        2027, 1, 15, 8, 0
    )
    assert send_time(_local(2027, 1, 14, 12, 0), deadline, QUIET, SHANGHAI) == _local(
        2027, 1, 14, 12, 0
    )
    early = _local(2027, 1, 15, 7, 0)  # a deadline at 07:00: 08:00 would be too late
    assert send_time(_local(2027, 1, 15, 5, 0), early, QUIET, SHANGHAI) == _local(
        2027, 1, 14, 21, 59
    )
    assert send_time(_local(2027, 1, 14, 23, 0), early, QUIET, SHANGHAI) == _local(
        2027, 1, 14, 21, 59
    )


def test_after_downtime_only_the_latest_due_wave_of_a_stage_goes_and_none_after_its_deadline():
    def wave(moment: str, day: int) -> Wave:
        return Wave("apply", moment, DEADLINE, datetime(2027, 1, day, 10, tzinfo=UTC))

    seven, three, one = wave("7d", 8), wave("3d", 12), wave("1d", 14)
    now = datetime(2027, 1, 13, tzinfo=UTC)
    assert to_write([seven, three, one], set(), now) == ([three], [seven])
    assert to_write([seven, three, one], {seven.key, three.key}, now) == ([], [])
    late = datetime(2027, 1, 16, tzinfo=UTC)
    assert to_write([seven, three, one], set(), late) == ([], [seven, three, one])


async def _owing_world(world: World):
    """U1: Lena (2 sections done), Liu (submitted), secretary Sam (1 waiting); U2: Rita,
    a secretary with nothing waiting."""
    await world.import_orgs([("U1", 3), ("U2", 2)])
    sam = await world.join("Sam", "secretary", "U1")
    rita = await world.join("Rita", "secretary", "U2")
    lena = await lead_of(world)
    await lena.send("/apply")
    for text in ("Our foundation.", "Our experience."):
        await lena.send(text)
        await lena.tap("✓ Done")
    liu = await submitted(world, "P-U1-02", "Liu")
    return sam, rita, lena, liu


async def test_only_those_who_owe_are_reminded_with_what_they_owe_and_a_button(world: World):
    sam, rita, lena, liu = await _owing_world(world)
    await world.remind()  # the opening wave: Lena and Sam owe, the others are told nothing
    told = {user.first_name: len(user.replies()) for user in (sam, rita, lena, liu)}
    world.clock.now = SEVEN_DAYS_BEFORE
    written = await world.remind()
    assert [(wave.key, people) for wave, people in written] == [("apply:7d:20270115T1000", 2)]
    assert not any(r.text.startswith("⏰") for r in sam.replies()[: told["Sam"]])
    reminder = lena.last_reply
    assert reminder.text.startswith("⏰ Application and selection closes on 15 Jan 18:00.")
    assert "Project U1-01: 2 of 11 sections done, not submitted yet" in reminder.text
    await lena.tap("✍ Continue the application", message=reminder)
    assert "Section 3 of 11" in lena.last_reply.text
    assert "Unit U1: 1 application is waiting for your decision" in sam.last_reply.text
    await sam.tap("📋 Applications waiting", message=sam.last_reply)
    assert "Unit U1: 0 of 1 place used." in sam.last_reply.text
    assert len(rita.replies()) == told["Rita"] and len(liu.replies()) == told["Liu"]
    # No nominations yet: the admin owes nothing and hears nothing.
    assert not any(r.text.startswith(("⏰", "📣")) for r in world.admin.replies())


async def test_a_wave_is_written_once_whatever_restarts_and_looks(world: World):
    _, _, lena, _ = await _owing_world(world)
    world.clock.now = SEVEN_DAYS_BEFORE
    await world.remind()
    await world.remind()
    await world.restart()
    await world.remind()
    texts = [r.text for r in lena.replies()]
    assert sum(t.startswith("⏰ Application and selection closes") for t in texts) == 1


async def test_caught_up_after_downtime_once_and_held_until_the_quiet_hours_end(world: World):
    _, _, lena, _ = await _owing_world(world)
    await world.remind()
    await world.stop()
    # Down over the 7-day and 3-day reminders; back at 23:30 Shanghai time.
    world.clock.now = datetime(2027, 1, 12, 15, 30, tzinfo=UTC)
    await world.start()
    before = len(lena.replies())
    await world.remind()
    assert len(lena.replies()) == before  # night: held
    world.advance(hours=9)  # 08:30 in Shanghai
    await world.sb.settle()
    new = [r.text for r in lena.replies()[before:]]
    assert len(new) == 1 and new[0].startswith("⏰ Application and selection closes")


async def test_moving_the_deadline_withdraws_reminders_not_yet_out(world: World):
    _, _, lena, _ = await _owing_world(world)
    await world.remind()
    world.clock.now = datetime(2027, 1, 12, 15, 30, tzinfo=UTC)  # 23:30: the 3-day one waits
    await world.remind()
    assert await outbox.rows_of(world.db, "remind:apply:3d:20270115T1000")
    await world.admin.send("/extend apply 2027-01-25 18:00")
    await world.admin.tap("✅ Move the deadline")
    assert await outbox.rows_of(world.db, "remind:apply:3d:20270115T1000") == []
    before = len(lena.replies())
    world.advance(hours=9)
    await world.sb.settle()
    assert not any("closes on 15 Jan" in r.text for r in lena.replies()[before:])
    world.clock.now = datetime(2027, 1, 22, 10, 0, tzinfo=UTC)  # 3 days before the new one
    await world.remind()
    assert "closes on 25 Jan 18:00" in lena.last_reply.text


async def test_after_extend_nobody_is_reminded_until_the_next_offset_of_the_new_deadline(
    world: World,
):
    sam, _, lena, _ = await _owing_world(world)
    await world.remind()
    world.clock.now = datetime(2027, 1, 14, 12, 0, tzinfo=UTC)  # after the 1-day reminder
    await world.remind()
    assert "closes on 15 Jan 18:00" in lena.last_reply.text
    await world.admin.send("/extend apply 2027-01-17 18:00")
    await world.admin.tap("✅ Move the deadline")
    await world.sb.settle()
    heard = {user.first_name: len(user.replies()) for user in (sam, lena)}
    # The new deadline's 7-day and 3-day reminders are past: not sent now, nor at the next look.
    assert await world.remind() == []
    world.advance(minutes=30)
    assert await world.remind() == []
    assert {user.first_name: len(user.replies()) for user in (sam, lena)} == heard
    world.clock.now = datetime(2027, 1, 16, 10, 0, tzinfo=UTC)  # a day before the new one
    [wave] = [wave for wave, _ in await world.remind() if wave.stage == "apply"]
    assert wave.moment == "1d" and "closes on 17 Jan 18:00" in lena.last_reply.text


async def test_a_changed_campaign_file_withdraws_reminders_for_the_old_deadline(world: World):
    _, _, lena, _ = await _owing_world(world)
    await world.remind()
    world.clock.now = datetime(2027, 1, 12, 15, 30, tzinfo=UTC)  # 23:30: the 3-day one waits
    await world.remind()
    assert await outbox.rows_of(world.db, "remind:apply:3d:20270115T1000")
    await world.stop()
    # The organiser edits the file: applications close a day earlier.
    moved = world.tmp_path / "campaign.toml"
    text = DEFAULT_CAMPAIGN_PATH.read_text(encoding="utf-8")
    moved.write_text(text.replace("2027-01-15T18:00", "2027-01-14T18:00", 1), encoding="utf-8")
    world.campaign_path = moved
    await world.start()
    assert await world.remind() == []  # the new deadline's 3-day reminder is past: skipped
    assert await outbox.rows_of(world.db, "remind:apply:3d:20270115T1000") == []
    before = len(lena.replies())
    world.advance(hours=9)  # 08:30: the quiet hours are over
    await world.sb.settle()
    assert await world.remind() == []
    assert len(lena.replies()) == before
    world.clock.now = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)  # a day before the new one
    await world.remind()
    new = [r.text for r in lena.replies()[before:]]
    assert len(new) == 1 and "closes on 14 Jan 18:00" in new[0], new


async def test_pacesetter_run_looks_at_the_schedule_by_itself(world: World):
    _, _, lena, _ = await _owing_world(world)
    await world.stop()
    runner = BotRunner(world.settings, clock=world.clock, poll_timeout=5, scheduled_reminders=True)
    await runner.start()
    world.sb.bot_busy = runner.busy
    try:
        [job] = runner.app.job_queue.get_jobs_by_name("reminders")
        assert job.job.misfire_grace_time is None and job.job.coalesce
        for _ in range(100):  # the first look comes a second after the start
            if any(r.text.startswith("📣 Application and selection") for r in lena.replies()):
                break
            await asyncio.sleep(0.05)
        assert any(
            r.text.startswith("📣 Application and selection is open") for r in lena.replies()
        )
    finally:
        world.sb.bot_busy = None
        await runner.stop()


async def test_admins_are_reminded_of_nominations_waiting(world: World):
    await world.import_orgs([("U1", 3)])
    sam = await world.join("Sam", "secretary", "U1")
    await submitted(world, "P-U1-01", "Lena")
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    await sam.tap("⭐ Nominate")
    world.clock.now = SEVEN_DAYS_BEFORE
    await world.remind()
    reminder = world.admin.last_reply
    assert "1 nomination is waiting for your decision." in reminder.text
    await world.admin.tap("📋 Nominations waiting", message=reminder)
    assert "1 nomination waiting for your decision" in world.admin.last_reply.text


async def test_bound_groups_hear_where_their_project_or_unit_stands_and_who_to_reach(
    world: World,
):
    sam, _, lena, _ = await _owing_world(world)
    leo = await world.join("Leo", "lead", "P-U1-03")
    await world.sb.block_bot(leo)  # can't be written to privately: named in the group
    branch = world.sb.group("Branch 01", creator=sam, members=[lena])
    await world.sb.add_bot(branch, by=sam)
    await sam.send("/bind", chat=branch)
    await sam.tap("Project U1-01 (P-U1-01)", message=world.sb.messages(branch)[-1])
    third = world.sb.group("Branch 03", creator=sam, members=[leo])
    await world.sb.add_bot(third, by=sam)
    await sam.send("/bind", chat=third)
    await sam.tap("Project U1-03 (P-U1-03)", message=world.sb.messages(third)[-1])
    unit = world.sb.group("Unit U1", creator=sam, members=[])
    await world.sb.add_bot(unit, by=sam)
    await sam.send("/bind", chat=unit)
    await sam.tap("The whole unit: Unit U1", message=world.sb.messages(unit)[-1])
    await world.remind()  # the opening
    world.clock.now = SEVEN_DAYS_BEFORE
    [(_, reached)] = await world.remind()
    assert reached == 2 + 3  # Lena and Sam privately; three group chats

    # Group chats read the campaign's language (zh-Hans).
    notice = world.sb.messages(branch)[-1]
    assert notice.text.startswith("⏰ 申报遴选将于1月15日 18:00截止。")
    assert "Project U1-01：已完成2/11部分，尚未提交。" in notice.text
    assert notice.buttons == [[("🤖 在机器人中打开", "https://t.me/pacesetter_bot?start=apply")]]
    named = world.sb.messages(third)[-1].text
    assert "Project U1-03：申报尚未开始填写。" in named
    assert "Leo：请点下方按钮与机器人开始私聊" in named
    tally = world.sb.messages(unit)[-1]
    assert "Unit U1：已用名额0/1；尚未提交2/3个项目；等待单位决定1份。" in tally.text
    assert tally.buttons[0][0][1].endswith("?start=nominations")
    # The button's link opens the private chat at /apply.
    await lena.send("/start apply")
    assert "Section 3 of 11" in lena.last_reply.text


async def test_after_the_deadline_admins_hear_who_delivered_and_units_their_own(world: World):
    sam, rita, _, _ = await _owing_world(world)  # U1: 1 of 3 submitted; U2: none of 2
    await world.remind()
    world.clock.now = DEADLINE + timedelta(minutes=5)
    written = await world.remind()
    assert [wave.moment for wave, _ in written] == ["closed"]
    summary = world.admin.last_reply.text
    assert summary.startswith("🔔 Application and selection closed on 15 Jan 18:00.")
    assert "4 of 5 projects delivered no application:" in summary
    assert "• Unit U1: 2 of 3" in summary and "• Unit U2: 2 of 2" in summary
    # The campaign escalates stage 1: each unit's secretaries hear of their own projects.
    assert "Unit U1: 2 projects delivered no application:" in sam.last_reply.text
    assert "• Project U1-01" in sam.last_reply.text and "Project U1-02" not in sam.last_reply.text
    assert "• Project U2-01" in rita.last_reply.text
    assert await world.remind() == []  # once


async def test_a_wave_gets_through_floods_5xx_a_removed_bot_and_an_upgraded_group(world: World):
    leads = await _leads(world, 4)
    await world.remind()  # the opening wave (no groups yet)
    groups = await _groups(world, 4)
    upgraded = world.sb.supergroup("Branch 4 (supergroup)", creator=world.admin)
    await world.sb.add_bot(upgraded, by=world.admin)
    world.sb.faults.flood(groups[0].id, retry_after=2, seconds=1.5)
    world.sb.faults.error("sendMessage", 502, chat_id=groups[1].id, times=2)
    world.sb.faults.forbidden(groups[2].id, "bot was kicked from the group chat")
    world.sb.faults.error(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": upgraded.id},
        chat_id=groups[3].id,
    )
    world.clock.now = SEVEN_DAYS_BEFORE
    [(_, reached)] = await world.remind()
    assert reached == 4 + 4  # four leads, four groups

    def reminded(chat) -> int:
        return told(chat, "1月15日 18:00截止", world.sb)

    await _retried_until(world, lambda: reminded(groups[0]) and reminded(groups[1]))
    await world.sb.settle()
    assert [reminded(chat) for chat in (groups[0], groups[1], groups[2], upgraded)] == [1, 1, 0, 1]
    assert reminded(groups[3]) == 0  # resent at the supergroup's id, not twice
    assert all(told(lead, "closes on 15 Jan 18:00", world.sb) == 1 for lead in leads)
    kinds = sorted(fault.kind for fault in world.sb.faults.served)
    assert kinds == ["error", "error", "error", "error", "flood"]


async def test_people_on_leave_are_not_reminded_nor_named_in_their_group(world: World):
    sam, _, lena, _ = await _owing_world(world)
    leo = await world.join("Leo", "lead", "P-U1-03")
    await world.sb.block_bot(leo)
    third = world.sb.group("Branch 03", creator=sam, members=[])
    await world.sb.add_bot(third, by=sam)
    await sam.send("/bind", chat=third)
    await sam.tap("Project U1-03 (P-U1-03)", message=world.sb.messages(third)[-1])
    await world.remind()
    await lena.send("/leave")
    assert "You are not on leave" in lena.last_reply.text
    await lena.tap("30 days")
    assert "on leave until 9 Jan 2027 23:59" in lena.last_reply.text
    await lena.send("/leave 2027-13-01")
    assert "can't use “2027-13-01”" in lena.last_reply.text
    await sam.send("/leave 2027-01-20")
    assert "on leave until 20 Jan 2027 23:59" in sam.last_reply.text
    await sam.send("/leave 1月21日")  # as it is typed in Chinese, the year the next 21 January
    assert "on leave until 21 Jan 2027 23:59" in sam.last_reply.text
    await sam.tap("I'm back")
    assert "You are not on leave" in sam.last_reply.text
    # Leo, who can't be reached, is away too: his secretary says so from /people.
    await sam.send("/people")
    screen = sam.last_reply
    await sam.tap("Leo · Project lead — Project U1-03 (Unit U1)", message=screen)
    assert "Away for a while? Mark them on leave instead" in screen.text
    await sam.tap("🏖 30 days", message=screen)
    assert "🏖 On leave until 9 Jan 2027 23:59" in screen.text
    assert [label for row in screen.buttons for label, _ in row][1] == "✓ Back from leave"
    assert (await people.get(world.db, leo.id)).on_leave(SEVEN_DAYS_BEFORE)
    assert "leave" not in leo.last_reply.text  # he blocked the bot: not told
    before = len(lena.replies())
    world.clock.now = SEVEN_DAYS_BEFORE
    await world.remind()
    assert len(lena.replies()) == before  # away: no reminder
    assert "Unit U1: 1 application is waiting" in sam.last_reply.text  # back: reminded
    assert "Leo" not in world.sb.messages(third)[-1].text
    world.clock.now = DEADLINE - timedelta(days=3)  # 12 Jan: Lena's leave ended on the 9th
    await world.remind()
    assert "closes on 15 Jan 18:00" in lena.last_reply.text


async def test_an_admin_previews_and_sends_a_reminder_now_once_with_a_report(world: World):
    sam, rita, lena, liu = await _owing_world(world)
    await world.remind()  # the opening wave is out of the way
    await sam.send("/remind")
    assert "Only campaign admins" in sam.last_reply.text
    told = {u.first_name: len(u.replies()) for u in (sam, rita, lena, liu)}
    await world.admin.send("/remind")
    preview = world.admin.last_reply
    assert "Remind now, for Application and selection (closes 15 Jan 2027 18:00):" in preview.text
    assert "People who still owe something: 2. Group chats: 0." in preview.text
    await world.admin.tap("✖ Cancel", message=preview)
    assert world.admin.last_reply.text == "Nothing was sent."
    await world.admin.send("/remind")
    confirm = world.admin.last_reply
    await world.admin.tap("📣 Send now", message=confirm)
    await world.sb.settle()
    # A second tap on the same confirmation (a slow network): written under the same key.
    await world.answer_to(world.admin, confirm, REMIND_BUTTONS.data("send", "apply"))
    await world.sb.settle()
    assert len(lena.replies()) == told["Lena"] + 1
    assert "2 of 11 sections done" in lena.last_reply.text
    assert len(sam.replies()) == told["Sam"] + 1
    assert (len(rita.replies()), len(liu.replies())) == (told["Rita"], told["Liu"])
    reports = [r for r in world.admin.replies() if r.text.startswith("📣 The announcement")]
    assert [r.text for r in reports] == [
        "📣 The announcement is out. People told: 2. Group chats: 0."
    ]
    # At night it is held until the quiet hours end, and the preview says so.
    world.clock.now = datetime(2027, 1, 12, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    await world.admin.send("/remind")
    assert "It's quiet hours: it will go out at 13 Jan 08:00." in world.admin.last_reply.text


def test_offsets_are_wall_clock_in_the_campaigns_zone_across_a_daylight_saving_change():
    berlin = ZoneInfo("Europe/Berlin")  # summer time from 28 Mar 2027, 02:00
    stage = replace(
        CAMPAIGN.stage("apply"),
        opens=datetime(2027, 3, 1, 8, 0, tzinfo=UTC),
        deadline=datetime(2027, 4, 1, 16, 0, tzinfo=UTC),  # 18:00 in Berlin, as loaded
        remind=(timedelta(days=7), timedelta(days=6, hours=19, minutes=30)),
    )
    campaign = replace(CAMPAIGN, timezone=berlin, stages=(stage,))
    due = {wave.moment: wave.due.astimezone(berlin) for wave in waves(campaign)}
    # 18:00 a week before, in winter time (17:00 UTC, not the 16:00 UTC a plain week would be).
    assert due["7d"] == datetime(2027, 3, 25, 18, 0, tzinfo=berlin)
    assert due["7d"].utcoffset() == timedelta(hours=1)
    # 22:30 on the Berlin clock is quiet: held until 08:00 there the next morning.
    assert due["9810m"] == datetime(2027, 3, 26, 8, 0, tzinfo=berlin)


async def test_extending_a_later_stage_tells_only_who_owes_something_in_it(world: World):
    sam, rita, lena, liu = await _owing_world(world)  # they owe in applications, not after
    world.clock.now = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)  # cultivation: nobody owes
    heard = {user.first_name: len(user.replies()) for user in (sam, rita, lena, liu)}
    await world.admin.send("/extend cultivate 2027-10-05 18:00")
    assert "0 people with something left to do" in world.admin.last_reply.text
    await world.admin.tap("✅ Move the deadline")
    await world.sb.settle()
    assert {user.first_name: len(user.replies()) for user in (sam, rita, lena, liu)} == heard


async def test_groups_hear_reminders_only_while_something_there_is_owed(world: World):
    await world.import_orgs([("U1", 1)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await submitted(world, "P-U1-01", "Lena")
    branch = world.sb.group("Branch 01", creator=sam, members=[lena])
    await world.sb.add_bot(branch, by=sam)
    await sam.send("/bind", chat=branch)
    await sam.tap("Project U1-01 (P-U1-01)", message=world.sb.messages(branch)[-1])
    unit = world.sb.group("Unit U1", creator=sam, members=[])
    await world.sb.add_bot(unit, by=sam)
    await sam.send("/bind", chat=unit)
    await sam.tap("The whole unit: Unit U1", message=world.sb.messages(unit)[-1])
    await world.remind()  # the opening: the unit still owes its decision
    assert told(unit, "等待单位决定1份", world.sb) == 1
    assert told(branch, "已提交 ✓", world.sb) == 0  # its application is in
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    await sam.tap("⭐ Nominate")
    heard = (len(world.sb.messages(branch)), len(world.sb.messages(unit)))
    world.clock.now = SEVEN_DAYS_BEFORE
    [(_, reached)] = await world.remind()
    assert reached == 1  # the admin, with the nomination waiting: neither group
    assert (len(world.sb.messages(branch)), len(world.sb.messages(unit))) == heard


async def _remind_by_hand(world: World) -> None:
    await world.admin.send("/remind")
    await world.admin.tap("📣 Send now", message=world.admin.last_reply)
    await world.sb.settle()


async def test_a_reminder_by_hand_and_a_scheduled_one_shortly_after_it_go_out_once(world: World):
    sam, _, lena, _ = await _owing_world(world)
    await world.remind()
    world.clock.now = SEVEN_DAYS_BEFORE - timedelta(hours=8)  # 10:00, the 7-day one at 18:00
    await _remind_by_hand(world)
    assert "closes on 15 Jan 18:00" in lena.last_reply.text
    heard = (len(lena.replies()), len(sam.replies()))
    world.clock.now = SEVEN_DAYS_BEFORE
    assert await world.remind() == []  # the 7-day one: replaced by the admin's
    assert (len(lena.replies()), len(sam.replies())) == heard
    # And the other way round: a scheduled one, then /remind two hours later.
    world.clock.now = DEADLINE - timedelta(days=3)
    [(wave, _)] = await world.remind()
    assert wave.moment == "3d"
    heard = (len(lena.replies()), len(sam.replies()))
    world.advance(hours=2)
    await world.admin.send("/remind")
    screen = world.admin.last_reply
    assert "went out at 12 Jan 18:00: another one this soon would repeat it" in screen.text
    assert screen.buttons == []
    await world.sb.settle()
    assert (len(lena.replies()), len(sam.replies())) == heard


async def test_a_reminder_by_hand_at_night_is_held_and_never_comes_after_the_deadline(
    world: World,
):
    _, _, lena, _ = await _owing_world(world)
    await world.remind()
    world.clock.now = datetime(2027, 1, 10, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    before = len(lena.replies())
    await _remind_by_hand(world)
    assert len(lena.replies()) == before  # held
    world.advance(hours=9)  # 08:30
    await world.sb.settle()
    assert len(lena.replies()) == before + 1
    assert "closes on 15 Jan 18:00" in lena.last_reply.text
    # Applications now close at 07:00: at 23:30 the night lasts until after the deadline.
    await world.admin.send("/extend apply 2027-01-20 07:00")
    await world.admin.tap("✅ Move the deadline")
    await world.sb.settle()
    world.clock.now = datetime(2027, 1, 19, 15, 30, tzinfo=UTC)
    before = len(lena.replies())
    await world.admin.send("/remind")
    assert "would only arrive too late. Nothing was sent." in world.admin.last_reply.text
    world.advance(hours=9)
    await world.sb.settle()
    assert len(lena.replies()) == before


async def test_the_report_of_a_reminder_by_hand_counts_who_owes_but_cant_be_reached(
    world: World,
):
    await _owing_world(world)
    leo = await world.join("Leo", "lead", "P-U1-03")
    await world.sb.block_bot(leo)
    await world.remind()
    await _remind_by_hand(world)
    report = world.admin.last_reply.text
    assert report.startswith("📣 The announcement is out. People told: 2.")
    assert "Could not be reached: 1" in report


async def test_the_closing_summary_counts_who_owed_but_cant_be_reached_and_names_secretaries(
    world: World,
):
    _, rita, _, _ = await _owing_world(world)
    leo = await world.join("Leo", "lead", "P-U1-03")
    await world.sb.block_bot(leo)  # owes an application, can't be written to
    await world.sb.block_bot(rita)  # U2 delivered nothing: she won't hear of it
    await world.remind()
    world.clock.now = DEADLINE + timedelta(minutes=5)
    await world.remind()
    summary = world.admin.last_reply.text
    assert "1 person who still owed something could not be reminded" in summary
    assert "can't write to (ask them to open a private chat with it):\n• Rita, Unit U2" in summary


async def test_cultivation_opens_with_how_to_report_once_and_closes_with_a_summary(world: World):
    lena, mei, leo, group = await _candidate(world)  # P-U1-01 is a candidate; P-U1-02 not
    heard = len(leo.replies())
    await world.remind()
    opening = mei.last_reply
    assert opening.text.startswith("📣 Cultivation is open until 30 Sep 18:00.")
    assert "Report what your branch does, for Project U1-01: send me photos" in opening.text
    [[(label, link)]] = opening.buttons
    assert label == "📝 Report an activity" and link.endswith("?start=report")
    assert "Report what your branch does" in lena.last_reply.text
    assert len(leo.replies()) == heard  # no candidate: nothing to report
    post = world.sb.messages(group)[-1]
    assert "Project U1-01：" in post.text and "/report" in post.text
    assert post.buttons[0][0][1].endswith("?start=report")
    await mei.send("/start report")  # the button's link
    assert "What did the branch do?" in mei.last_reply.text
    # Nothing to hand in by a date: no reminders follow, whatever the offsets.
    told_before = (len(mei.replies()), len(world.sb.messages(group)))
    for moment in (timedelta(days=30), timedelta(days=7), timedelta(days=1)):
        world.clock.now = CULTIVATE_DEADLINE - moment
        await world.remind()
    assert (len(mei.replies()), len(world.sb.messages(group))) == told_before
    world.clock.now = CULTIVATE_DEADLINE + timedelta(minutes=5)
    await world.remind()
    summary = world.admin.last_reply.text
    assert summary.startswith("🔔 Cultivation closed on 30 Sep 18:00.")
    assert "0 of 1 candidate reported activities (0 reports in all)." in summary
    assert "No report from:\n• Project U1-01, Unit U1" in summary
    assert (len(mei.replies()), len(world.sb.messages(group))) == told_before


async def test_a_waves_letters_are_rendered_in_a_worker_thread_outside_any_write(
    world: World, monkeypatch
):
    await _owing_world(world)
    texts = Messages.texts
    seen: list[tuple[str, bool, bool]] = []

    def watched(self, locale: str, key: str, /, **context):
        if key.startswith("remind/"):
            on_loop = threading.current_thread() is threading.main_thread()
            seen.append((key, on_loop, world.db._write_lock.locked()))
        return texts(self, locale, key, **context)

    monkeypatch.setattr(Messages, "texts", watched)
    await world.remind()  # the opening
    await _remind_by_hand(world)
    world.clock.now = SEVEN_DAYS_BEFORE
    await world.remind()
    keys = {key for key, *_ in seen}
    assert {"remind/lead", "remind/secretary", "remind/confirm"} <= keys
    letters = [item for item in seen if item[0] in ("remind/lead", "remind/secretary")]
    assert len(letters) >= 6  # two waves and /remind, for Lena and Sam
    assert all(not on_loop and not writing for _, on_loop, writing in letters)


async def test_remind_names_the_secretaries_who_owe_but_cant_be_written_to(world: World):
    sam, _, _, _ = await _owing_world(world)  # Sam: one application waiting in Unit U1
    await world.sb.block_bot(sam)
    await world.remind()
    await world.admin.send("/remind")
    preview = world.admin.last_reply.text
    assert "People who still owe something: 1." in preview  # Lena
    assert "1 more owes something but can't be written to" in preview
    assert "Secretaries among them:\n• Sam, Unit U1" in preview


async def test_a_deadline_moved_while_a_wave_is_rendered_keeps_the_old_date_out(
    world: World, monkeypatch
):
    _, _, lena, _ = await _owing_world(world)
    await world.remind()  # the opening
    texts = Messages.texts
    entered, release = threading.Event(), threading.Event()

    def slow(self, locale, key, /, **context):
        if key == "remind/lead" and not release.is_set():
            entered.set()
            release.wait(timeout=20)  # a bound for a broken test, not a measurement
        return texts(self, locale, key, **context)

    monkeypatch.setattr(Messages, "texts", slow)
    world.clock.now = SEVEN_DAYS_BEFORE
    wave = asyncio.create_task(world.remind())
    await until(entered.is_set, what="the wave's letters being rendered")
    await world.admin.send("/extend apply 2027-01-25 18:00")  # meanwhile, the deadline moves
    await world.admin.tap("✅ Move the deadline")
    release.set()
    await wave
    await world.sb.settle()
    heard = [r.text for r in lena.replies()]
    moved = next(i for i, text in enumerate(heard) if "is now 25 Jan 18:00" in text)
    assert not any("15 Jan" in text for text in heard[moved:])  # the old date: never after


# --- stage 3: the final items --------------------------------------------------------------

ASSESSING = datetime(2027, 10, 20, 2, 0, tzinfo=UTC)  # inside 考核验收 (8 Oct – 15 Nov)


async def _two_candidates(world: World):
    """Lena's Project U1-01 and Leo's Project U1-02 both candidates, each with a bound group;
    cultivation's waves out of the way, the clock in 考核验收 before its opening wave."""
    lena, mei, leo, group = await _candidate(world)
    await world.accept("P-U1-02", by=leo)
    other = world.sb.group("Branch 2", creator=world.admin)
    await world.sb.add_bot(other, by=world.admin)
    await world.admin.send("/bind P-U1-02", chat=other)
    await world.remind()
    world.clock.now = ASSESSING
    return lena, mei, leo, group, other


async def _hand_in(world: World, lead, code: str, *items: str) -> None:
    project_id = await world.db.fetch_value("SELECT id FROM projects WHERE code = ?", (code,))
    async with world.db.transaction(world.clock.now) as tx:
        for item in items:
            content = finals.Content("text", text=f"{item} of {code}")
            await finals.submit(tx, project_id, item, content, by=lead.id)


async def test_final_items_missing_are_owed_by_the_leads_only_and_their_groups_hear_it(
    world: World,
):
    lena, mei, leo, group, other = await _two_candidates(world)
    await _hand_in(world, lena, "P-U1-01", "summary")
    heard = {user.first_name: len(user.replies()) for user in (lena, mei, leo)}
    in_groups = (len(world.sb.messages(group)), len(world.sb.messages(other)))
    await world.remind()  # 考核验收 opens
    letter = leo.last_reply
    assert letter.text.startswith("📣 Assessment and acceptance is open until 15 Nov 18:00.")
    assert "• Project U1-02 still owes: Work summary, Results report" in letter.text
    [[(label, link)]] = letter.buttons
    assert label == "📎 Hand in the final items" and link.endswith("?start=final")
    assert "• Project U1-01 still owes: Results report" in lena.last_reply.text
    assert "Work summary" not in lena.last_reply.text.split("still owes")[1]
    assert len(mei.replies()) == heard["Mei"]  # a member owes nothing
    posts = world.sb.messages(group)[in_groups[0] :], world.sb.messages(other)[in_groups[1] :]
    assert [len(p) for p in posts] == [1, 1]
    assert "Project U1-01尚未提交：成果报告。" in posts[0][0].text
    assert "Project U1-02尚未提交：创建工作总结、成果报告。" in posts[1][0].text
    await leo.send("/start final")  # the letter's link opens /final
    assert "○ Work summary: not handed in yet" in leo.last_reply.text
    # Lena hands in the rest: only Leo and his group owe, for /remind, /extend and waves.
    await _hand_in(world, lena, "P-U1-01", "results")
    campaign = world.runner.core.campaign
    admins = frozenset({world.admin.id})
    assert await reminders.owing(world.db, campaign, "assess", admins=admins) == {"lead": {leo.id}}
    concerned = await reminders.concerned_chats(world.db, campaign, "assess", ASSESSING)
    assert concerned == [(other.id, 0)]
    world.clock.now = ASSESSING + timedelta(days=1)
    heard = {user.first_name: len(user.replies()) for user in (lena, leo)}
    in_groups = (len(world.sb.messages(group)), len(world.sb.messages(other)))
    await world.admin.send("/remind")
    assert "People who still owe something: 1. Group chats: 1." in world.admin.last_reply.text
    await world.admin.tap("📣 Send now")
    await world.sb.settle()
    assert len(lena.replies()) == heard["Lena"]
    assert len(leo.replies()) == heard["Leo"] + 1 and "Project U1-02 still owes" in (
        leo.last_reply.text
    )
    assert len(world.sb.messages(group)) == in_groups[0]
    assert len(world.sb.messages(other)) == in_groups[1] + 1
    await world.admin.send("/extend assess 2027-11-20 18:00")
    assert "1 person with something left to do in it and 1 group chats" in (
        world.admin.last_reply.text
    )
