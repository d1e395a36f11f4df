"""A decline is confirmed before it is made, and its prompt ends when the admin acts elsewhere."""

from __future__ import annotations

from storage import applications, flows, orgs
from tests.conftest import World, told
from tests.test_apply import nominated, submitted

DECLINE, YES = "✖ Decline with a reason", "✖ Yes, decline"


async def _status(world: World, code: str) -> str:
    project = await orgs.project_by_code(world.db, code)
    return (await applications.of_project(world.db, project.id)).status


async def _two_nominated(world: World):
    sam, lena = await nominated(world)  # 20 projects: 2 places
    luke = await submitted(world, "P-U1-02", "Luke")
    await sam.send("/nominations")
    await sam.tap("Project U1-02 · submitted")
    await sam.tap("⭐ Nominate")
    return lena, luke


async def test_a_decline_waits_for_its_confirmation(world: World):
    lena, _ = await _two_nominated(world)
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-01")
    await world.admin.tap(DECLINE)
    await world.admin.send("Not this year.")
    asked = world.admin.last_reply
    assert "with this reason?" in asked.text and "Not this year." in asked.text
    assert await _status(world, "P-U1-01") == "nominated"  # nothing decided yet
    await world.admin.send("Not this year, sorry.")  # typed again: the new reason
    await world.admin.tap(YES)
    assert "Declined" in world.admin.last_reply.text
    assert await _status(world, "P-U1-01") == "declined"
    await world.sb.settle()
    assert told(lena, "Not this year, sorry.", world.sb) == 1
    assert told(lena, "Not this year.", world.sb) == 0
    # The old question's button is out of date now.
    assert "out of date" in await world.tap_answer(world.admin, YES, message=asked)


async def test_acting_elsewhere_ends_the_waiting_prompt(world: World):
    lena, _ = await _two_nominated(world)
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-01")
    await world.admin.tap(DECLINE)
    # Before writing the reason, the admin accepts the other one.
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-02")
    await world.admin.tap("✅ Accept as a candidate")
    assert await flows.current(world.db, world.admin.id) is None
    await world.admin.tap("✅ Yes, accept")
    await world.admin.send("great, that one is in")  # not a reason for anything
    assert "with this reason?" not in world.admin.last_reply.text
    assert await _status(world, "P-U1-01") == "nominated"
    assert await _status(world, "P-U1-02") == "accepted"
    # So does ◀ Back from the question.
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-01")
    await world.admin.tap(DECLINE)
    await world.admin.send("Not this year.")
    await world.admin.tap("◀ Back")
    assert await flows.current(world.db, world.admin.id) is None
    await world.admin.send("hello?")
    assert await _status(world, "P-U1-01") == "nominated"
    await world.sb.settle()
    assert told(lena, "declined", world.sb) == 0


async def test_a_tap_elsewhere_ends_a_waiting_return_comment_too(world: World):
    sam, _ = await nominated(world)
    await submitted(world, "P-U1-02", "Luke")
    await submitted(world, "P-U1-03", "Lu")
    await sam.send("/nominations")
    await sam.tap("Project U1-02 · submitted")
    await sam.tap("↩ Return with a comment")
    await sam.send("/nominations")
    await sam.tap("Project U1-03 · submitted")
    await sam.tap("⭐ Nominate")
    await sam.send("done for today")
    assert await _status(world, "P-U1-02") == "submitted"
    assert await _status(world, "P-U1-03") == "nominated"


async def test_a_tap_elsewhere_ends_the_waiting_extend_broadcast_and_coaching_prompts(
    world: World,
):
    await world.import_orgs([("U1", 2)])
    await world.join("Sam", "secretary", "U1")  # someone a broadcast can go to
    # /extend: the typed date is not asked for any more once the admin acts elsewhere.
    await world.admin.send("/extend")
    await world.admin.tap("Application and selection")
    await world.admin.tap("✎ Type a date")
    await world.admin.send("/language")
    await world.admin.tap("English")
    assert await flows.current(world.db, world.admin.id) is None
    await world.admin.send("2027-02-01")
    assert "to 1 Feb 2027 18:00?" not in world.admin.last_reply.text
    # /broadcast: a message sent after a tap elsewhere is no draft.
    await world.admin.send("/broadcast")
    await world.admin.tap("✉ Unit secretary, privately")
    assert "Send me the message for" in world.admin.last_reply.text
    await world.admin.send("/language")
    await world.admin.tap("English")
    await world.admin.send("Meeting on Friday")
    assert "That is how it will look" not in world.admin.last_reply.text
    assert await flows.current(world.db, world.admin.id) is None
    # Its own buttons keep the draft: the audience can still be chosen after it is typed.
    await world.admin.send("/broadcast")
    await world.admin.tap("✉ Unit secretary, privately")
    await world.admin.send("Meeting on Friday")
    assert "That is how it will look" in world.admin.last_reply.text
    assert (await flows.current(world.db, world.admin.id)).flow == "broadcast"
