"""/extend's typed deadline the way people type it, and as the bot prints it (issue 17,
point 5). The world's clock: 10 Dec 2026, 10:00 in Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import World


@pytest.mark.parametrize(
    "typed",
    [
        "1月20日（周三）18：00",
        "2027年1月20日 下午6点",
        "1-20 18:00",
        "1月20日",  # a day alone: 18:00
        "Wed 20 Jan 18:00",
        "20 Jan (Wed) 18:00",
    ],
)
async def test_a_typed_deadline_is_read_as_people_type_it(world: World, typed: str):
    await world.admin.send("/extend")
    await world.admin.tap("Application and selection")
    await world.admin.tap("✎ Type a date")
    await world.admin.send(typed)
    question = world.admin.last_reply
    assert "to 20 Jan 2027 18:00?" in question.text
    await world.admin.tap("✅ Move the deadline", message=question)
    assert world.runner.core.campaign.stage("apply").deadline == datetime(
        2027, 1, 20, 10, 0, tzinfo=UTC
    )


async def test_a_date_the_bot_printed_in_chinese_typed_back_is_that_date(world: World):
    await world.admin.send("/language")
    await world.admin.tap("简体中文")
    await world.admin.send("/extend")
    menu = world.admin.last_reply
    await world.admin.tap("申报遴选")
    printed = menu.buttons[1][0][0]  # a week after the deadline, as the bot shows it
    await world.admin.tap("✎ 输入日期")
    await world.admin.send(printed)
    assert printed in world.admin.last_reply.text
    await world.admin.tap(world.admin.last_reply.buttons[0][0][0])
    assert world.runner.core.campaign.stage("apply").deadline == datetime(
        2027, 1, 22, 10, 0, tzinfo=UTC
    )
