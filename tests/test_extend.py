"""/extend with buttons: stage, date (preset or typed), a question, and only then the notice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.campaign_load import load_campaign
from handlers.extend import parse_deadline, presets
from tests.conftest import World, told

CAMPAIGN = load_campaign()


async def test_a_deadline_moves_with_buttons_only(world: World):
    await world.import_orgs([("U1", 2)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await world.admin.send("/extend")
    menu = world.admin.last_reply
    labels = [row[0][0] for row in menu.buttons]
    assert labels == [stage.title.get("en") for stage in CAMPAIGN.stages] + ["✖ Cancel"]
    assert "apply" not in menu.text and "cultivate" not in str(menu.buttons[0][0][0])
    await world.admin.tap("Application and selection")
    assert menu.text.startswith("Application and selection closes on 15 Jan 2027 18:00.")
    dates = [label for row in menu.buttons for label, _ in row]
    assert dates[:4] == [
        "16 Jan 2027 18:00",
        "18 Jan 2027 18:00",
        "22 Jan 2027 18:00",
        "29 Jan 2027 18:00",
    ]
    await world.admin.tap("22 Jan 2027 18:00")
    assert menu.text.startswith("Move the deadline of Application and selection from")
    await world.admin.tap("✅ Move the deadline")
    assert "is now 22 Jan 2027 18:00" in menu.text
    await world.sb.settle()
    assert "The deadline of Application and selection is now 22 Jan 2027 18:00." in (
        lena.last_reply.text
    )
    assert world.runner.core.campaign.stage("apply").deadline == datetime(
        2027, 1, 22, 10, 0, tzinfo=UTC
    )


async def test_a_typed_date_is_asked_again_until_it_reads(world: World):
    await world.admin.send("/extend")
    await world.admin.tap("Application and selection")
    await world.admin.tap("✎ Type a date")
    assert "Type the new deadline of Application and selection" in world.admin.last_reply.text
    await world.admin.send("next Friday")
    assert "I can't use “next Friday” as a deadline" in world.admin.last_reply.text
    await world.admin.send("2027-02-01")  # a day alone: 18:00
    question = world.admin.last_reply
    assert "to 1 Feb 2027 18:00?" in question.text
    await world.admin.tap("✅ Move the deadline", message=question)
    assert world.runner.core.campaign.stage("apply").deadline.day == 1


@pytest.mark.parametrize("typed", ["0001-01-01 00:00", "9999-12-31 23:59", "2031-01-01 00:00"])
async def test_dates_outside_the_campaign_years_are_refused_not_announced(world: World, typed: str):
    await world.admin.send(f"/extend apply {typed}")
    assert world.admin.last_reply.text == (
        f"I can't use “{typed}” as a deadline. Write it in local time like 2027-01-20 18:00,"
        " in the years 2026 to 2028."
    )
    assert world.runner.core.campaign.stage("apply").deadline.day == 15


async def test_shortening_is_named_and_needs_its_own_button(world: World):
    await world.import_orgs([("U1", 2)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await world.admin.send("/extend apply 2027-01-10 18:00")
    question = world.admin.last_reply
    assert question.text.startswith(
        "⚠ This brings the deadline of Application and selection forward, from"
        " 15 Jan 2027 18:00 to 10 Jan 2027 18:00"
    )
    assert [row[0][0] for row in question.buttons] == ["⚠ Yes, bring it forward", "✖ Cancel"]
    await world.admin.tap("⚠ Yes, bring it forward")
    await world.sb.settle()
    assert "was brought forward to 10 Jan 2027 18:00" in lena.last_reply.text


async def test_chinese_admins_see_stage_names_not_keys(world: World):
    fang = world.sb.user("Fang", language_code="zh-hans")
    world.extra_admins.add(fang.id)
    await world.restart()
    await fang.send("/extend")
    assert [row[0][0] for row in fang.last_reply.buttons][:2] == ["申报遴选", "培育创建"]
    assert "apply" not in fang.last_reply.text


def test_presets_follow_the_deadline_or_today_when_it_passed():
    deadline = CAMPAIGN.stage("apply").deadline  # 15 Jan 2027 18:00 in Shanghai
    before = presets(CAMPAIGN, "apply", datetime(2027, 1, 1, tzinfo=UTC))
    assert [CAMPAIGN.local(d).day for d in before] == [16, 18, 22, 29]
    after = presets(CAMPAIGN, "apply", datetime(2027, 2, 3, 2, 0, tzinfo=UTC))  # 3 Feb, 10:00
    assert [CAMPAIGN.local(d).strftime("%d %H:%M") for d in after] == [
        "04 18:00",
        "06 18:00",
        "10 18:00",
        "17 18:00",
    ]
    assert all(d > deadline for d in after)


NOW = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # 10 Dec 2026 in Shanghai


def test_dates_parse_in_local_time_within_the_campaign_years():
    assert parse_deadline("2027-01-20 18:00", CAMPAIGN, NOW) == datetime(
        2027, 1, 20, 18, 0, tzinfo=CAMPAIGN.timezone
    )
    assert parse_deadline("2027/01/20 18:00", CAMPAIGN, NOW) is not None
    for nonsense in ("0001-01-01 00:00", "9999-12-31 23:59", "tomorrow", "2027-02-30 10:00"):
        assert parse_deadline(nonsense, CAMPAIGN, NOW) is None


@pytest.mark.parametrize(
    ("typed", "moment"),
    [
        ("2027年1月20日", (2027, 1, 20, 18, 0)),  # a day alone: at 18:00
        ("2027年1月20日 18：00", (2027, 1, 20, 18, 0)),  # the full-width colon of a Chinese IME
        ("1月20日", (2027, 1, 20, 18, 0)),  # no year: the next 20 January
        ("1月20日 17时30分", (2027, 1, 20, 17, 30)),
        ("1月20日 17点", (2027, 1, 20, 17, 0)),
        ("1-20", (2027, 1, 20, 18, 0)),
        ("1/20 9:00", (2027, 1, 20, 9, 0)),
        ("12-24 18:00", (2026, 12, 24, 18, 0)),  # still ahead this year
        ("２０２７－０１－２０　１８：００", (2027, 1, 20, 18, 0)),  # full-width throughout
        ("2027-01-20T18:00", (2027, 1, 20, 18, 0)),
        ("20 Jan 2027 18:00", (2027, 1, 20, 18, 0)),  # as the bot prints it in English
        ("20 Jan 18:00", (2027, 1, 20, 18, 0)),
    ],
)
def test_dates_are_read_as_people_type_them(typed: str, moment: tuple[int, ...]):
    assert parse_deadline(typed, CAMPAIGN, NOW) == datetime(*moment, tzinfo=CAMPAIGN.timezone)


@pytest.mark.parametrize("typed", ["1月32日", "13-01", "1-20 25:00", "20 Foo 2027", "明天", "2027"])
def test_what_is_no_date_is_refused(typed: str):
    assert parse_deadline(typed, CAMPAIGN, NOW) is None


async def test_extend_takes_a_date_typed_the_chinese_way(world: World):
    await world.admin.send("/extend apply 2027年1月20日 18：00")
    assert "to 20 Jan 2027 18:00?" in world.admin.last_reply.text
    await world.admin.tap("✅ Move the deadline")
    assert world.runner.core.campaign.stage("apply").deadline == datetime(
        2027, 1, 20, 10, 0, tzinfo=UTC
    )


async def test_a_moved_deadline_is_told_in_the_groups_the_stage_concerns_only(world: World):
    from tests.test_report import _candidate

    *_, candidate_group = await _candidate(world)  # P-U1-01 a candidate, its group bound
    other = world.sb.group("Branch 2", creator=world.admin)  # P-U1-02: not a candidate
    await world.sb.add_bot(other, by=world.admin)
    await world.admin.send("/bind P-U1-02", chat=other)
    await world.admin.send("/extend cultivate 2027-10-05 18:00")
    await world.admin.tap("✅ Move the deadline")
    await world.sb.settle()
    moved = "培育创建的截止时间已调整为10月5日 18:00"  # groups read the campaign's language
    assert told(candidate_group, moved, world.sb) == 1
    assert told(other, moved, world.sb) == 0


async def test_a_deadline_past_the_next_stages_opening_is_named_with_a_button_of_its_own(
    world: World,
):
    await world.admin.send("/extend apply 2027-10-20")  # meant: 2027-01-20
    question = world.admin.last_reply
    assert (
        "20 Oct 2027 18:00 is after <b>Cultivation</b> opens (16 Jan 2027 09:00)" in question.html
    )
    assert "both stages would be open at once until then" in question.text
    labels = [label for row in question.buttons for label, _ in row]
    assert labels == ["⚠ Yes, past the next stage's opening", "✖ Cancel"]
    await world.admin.tap("✖ Cancel", message=question)
    assert world.runner.core.campaign.stage("apply").deadline == CAMPAIGN.stage("apply").deadline
    await world.admin.send("/extend apply 2027-01-20")  # a few days into it: the plain question
    assert world.admin.last_reply.buttons[0][0][0] == "✅ Move the deadline"
