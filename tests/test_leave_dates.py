"""/leave's last day typed the way people type it, or as the bot prints it (issue 17, point 5).
The world's clock: 10 Dec 2026, 10:00 in Shanghai."""

from __future__ import annotations

import pytest

from storage import people
from tests.conftest import World


@pytest.mark.parametrize(
    "typed",
    [
        "1月20日",
        "2027年1月20日",
        "1-20",
        "1月20日（周三）",  # a weekday, as the bot may print one
        "2027年1月20日 18：00",  # a time is the day's
        "20 Jan (Wed)",
        "Wed 20 Jan 2027",
        "20 Jan 2027 23:59",  # what /leave itself answers
    ],
)
async def test_the_last_day_is_read_as_people_type_it(world: World, typed: str):
    await world.admin.send(f"/leave {typed}")
    assert "on leave until 20 Jan 2027 23:59" in world.admin.last_reply.text
    assert (await people.get(world.db, world.admin.id)).leave_until is not None


@pytest.mark.parametrize("typed", ["下周三", "2026-12-01", "20 Jan (Wed) 2028"])
async def test_a_day_it_cant_use_is_named_whole_with_an_example(world: World, typed: str):
    await world.admin.send(f"/leave {typed}")
    reply = world.admin.last_reply.text
    assert f"I can't use “{typed}” as the last day of your leave" in reply
    assert "e.g. /leave 1-20 or /leave 2027-01-20" in reply
    assert (await people.get(world.db, world.admin.id)).leave_until is None
