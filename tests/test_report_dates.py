"""The day of an activity report typed the way people type it, or as the bot prints it
(issue 17, point 5): without its year it is the latest such day, and a day a report can't be
about is refused with the reason."""

from __future__ import annotations

import pytest

from storage import reports
from tests.conftest import World
from tests.test_report import _candidate  # cultivation open on 15 March 2027, 10:00


async def _at_the_day_step(world: World):
    lena, _, _, _ = await _candidate(world)
    await lena.send("/report")
    await lena.tap("Party lecture")
    assert "When? Tap a day" in lena.last_reply.text
    return lena


@pytest.mark.parametrize(
    "typed",
    [
        "3月12日",
        "2027年3月12日",
        "３月１２日",  # full-width digits
        "3-12",
        "2027年3月12日（周五）",  # as the bot may print it, weekday and all
        "3月12日 19：30",  # a time with it is let be
        "12 Mar 2027",  # as the bot prints it in English
        "12 Mar",
    ],
)
async def test_the_day_is_read_as_people_type_it(world: World, typed: str):
    lena = await _at_the_day_step(world)
    await lena.send(typed)
    assert "📅 12 Mar" in lena.last_reply.text
    assert "How many people took part?" in lena.last_reply.text
    draft = await reports.draft_of(world.db, lena.id)
    assert draft.held_on.isoformat() == "2027-03-12"


async def test_a_day_without_its_year_is_the_latest_not_the_next(world: World):
    lena = await _at_the_day_step(world)
    await lena.send("1月20日")  # 20 Jan 2027 (this year, so shown without it), not 2028
    assert "📅 20 Jan" in lena.last_reply.text


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("3月16日", "16 Mar is still ahead: a report is about an activity already held."),
        ("2027-04-01", "1 Apr is still ahead"),
        ("2027年1月5日", "5 Jan is more than 60 days ago"),
        ("12月24日", "24 Dec 2026 is more than 60 days ago"),
    ],
)
async def test_a_day_ahead_or_too_long_ago_is_refused_with_the_reason(
    world: World, typed: str, reason: str
):
    lena = await _at_the_day_step(world)
    await lena.send(typed)
    assert reason in lena.last_reply.text
    assert "like 3-12" in lena.last_reply.text  # and what it would take
    assert (await reports.draft_of(world.db, lena.id)).held_on is None
    await lena.send("3月14日")  # the step is still open
    assert "📅 14 Mar" in lena.last_reply.text


async def test_the_reason_is_told_in_chinese_too(world: World):
    lena = await _at_the_day_step(world)
    await lena.send("/language")
    await lena.tap("简体中文")
    await lena.send("/report")
    await lena.send("3月16日")
    assert lena.last_reply.text.startswith("3月16日尚未到来：")
    await lena.send("2026年12月1日")
    assert lena.last_reply.text.startswith("2026年12月1日已是60多天前：")
