"""/deadlines: every stage with its dates in the campaign's time and how long is left."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files

from bot.rules import countdown
from tests.conftest import World


def test_countdown_is_real_time_and_stops_at_zero():
    start = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    assert countdown(start, datetime(2027, 3, 29, 15, 30, tzinfo=UTC)) == (2, 3, 30)
    assert countdown(start, datetime(2027, 3, 27, 12, 59, 59, tzinfo=UTC)) == (0, 0, 59)
    assert countdown(start, datetime(2027, 3, 1, tzinfo=UTC)) == (0, 0, 0)


async def test_everyone_sees_the_stages_with_what_is_left_in_private_and_in_a_group(
    world: World,
):
    await world.import_orgs([("U1", 3)])
    mo = await world.join("Mo", "member", "P-U1-01")
    await mo.send("/deadlines")
    shown = mo.last_reply.text
    # 2026-12-10 02:00 UTC is 10:00 in Shanghai; the application stage closes on 15 Jan 18:00.
    assert "the stages (times in Asia/Shanghai)" in shown
    assert "1. Application and selection\n1 Dec 09:00 – 15 Jan 2027 18:00" in shown
    assert "Open now: closes in 36 days 8 hours." in shown
    assert "2. Cultivation" in shown and "Opens in 36 days 23 hours." in shown
    assert "deadlines" in dict(world.sb.commands("chat", chat_id=mo.id))

    group = world.sb.group("Branch", creator=mo, members=[])
    await world.sb.add_bot(group, by=mo)
    await mo.send("/deadlines", chat=group)
    assert "Open now: closes in 36 days 8 hours." in world.sb.messages(group)[-1].text

    await world.admin.send("/extend apply 2027-01-20 18:00")
    await world.admin.tap("✅ Move the deadline")
    world.advance(days=36, hours=8)  # past the old deadline, before the new one
    await mo.send("/deadlines")
    assert "1 Dec 2026 09:00 – 20 Jan 18:00" in mo.last_reply.text  # now 2027: its year goes
    assert "Open now: closes in 5 days." in mo.last_reply.text


async def test_a_campaign_in_a_zone_with_summer_time_shows_each_date_in_its_own_offset(
    world: World,
):
    berlin = world.tmp_path / "berlin.toml"
    text = files("bot").joinpath("campaigns", "default.toml").read_text(encoding="utf-8")
    berlin.write_text(text.replace('"Asia/Shanghai"', '"Europe/Berlin"'), encoding="utf-8")
    world.campaign_path = berlin
    await world.restart()
    await world.admin.send("/deadlines")
    shown = world.admin.last_reply.text
    assert "(times in Europe/Berlin)" in shown
    # 18:00 in Shanghai is 11:00 in Berlin in winter (UTC+1) and 12:00 in summer (UTC+2).
    assert "1 Dec 02:00 – 15 Jan 2027 11:00" in shown
    assert "16 Jan 2027 02:00 – 30 Sep 2027 12:00" in shown
    # The clocks go forward on 28 March 2027: 11:00 to 12:00 on the wall is 187 days and one
    # hour, in real time 187 days; the countdown tells real time.
    world.clock.now = datetime(2027, 3, 27, 10, 0, tzinfo=UTC)  # 11:00 in Berlin
    await world.admin.send("/deadlines")
    assert "Open now: closes in 187 days." in world.admin.last_reply.text
