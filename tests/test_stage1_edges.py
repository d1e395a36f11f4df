"""Stage 1 edge cases: two leads, edits anywhere, the deadline on every path, sequences."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import applications, orgs
from tests.conftest import World
from tests.test_apply import TEXT_SECTIONS, submitted, write_all

AFTER_DEADLINE = datetime(2027, 1, 16, tzinfo=UTC)
CLOSED = "The application deadline passed on 15 Jan 18:00"  # 2027 is this year by then


async def _answers(world: World, code: str):
    project = await orgs.project_by_code(world.db, code)
    application = await applications.of_project(world.db, project.id)
    return application, await applications.answers(world.db, application.id)


async def test_two_leads_of_one_project_write_one_application_without_losing_a_word(
    world: World,
):
    await world.import_orgs([("U1", 1)])
    ann = await world.join("Ann", "lead", "P-U1-01")
    bob = await world.join("Bob", "lead", "P-U1-01")
    await ann.send("/apply")
    await bob.send("/apply")
    first_ann = await ann.send("Ann's paragraph.")
    first_bob = await bob.send("Bob's paragraph.")
    assert first_ann["message_id"] == first_bob["message_id"]  # ids are per chat
    await ann.edit(first_ann, "Ann's paragraph, edited.")
    _, answers = await _answers(world, "P-U1-01")
    assert answers["foundation"].text == "Ann's paragraph, edited.\n\nBob's paragraph."


async def test_edits_are_kept_at_the_preview_after_exit_and_checked_for_numbers(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/apply")
    first = await lena.send("first version")
    await lena.tap("✓ Done")
    for section in TEXT_SECTIONS[1:]:
        await lena.send(f"{section.key} text")
        await lena.tap("✓ Done")
    budget = await lena.send("12.5万")
    await lena.tap("Skip ▶")
    assert "Tap ✎ and a section number" in lena.last_reply.text  # at the preview
    await lena.edit(first, "second version")
    assert "Your edit is saved in “Foundation of Party work”" in lena.last_reply.text
    await lena.edit(budget, "quite a lot")
    assert "I couldn't read an amount in “quite a lot”" in lena.last_reply.text
    await lena.send("/cancel")  # out of the flow altogether
    await lena.edit(budget, "13万")
    assert "Your edit is saved in “Budget”" in lena.last_reply.text
    _, answers = await _answers(world, "P-U1-01")
    assert answers["foundation"].text == "second version"
    assert answers["budget"].amount == 130000 and answers["budget"].text == "13万"
    other = await lena.send("/help")
    await lena.edit(other, "/whoami")  # an edited command is never run again
    assert "only read new messages" in lena.last_reply.text


async def test_the_deadline_holds_on_every_path(world: World):
    await world.import_orgs([("U1", 10)])
    sam = await world.join("Sam", "secretary", "U1")
    lead1 = await submitted(world, "P-U1-01", "Lead1")
    writer = await world.join("Writer", "lead", "P-U1-02")
    await write_all(writer)
    await writer.tap("Skip ▶")
    finished = writer.last_reply  # the preview, with Submit
    typing = await world.join("Typing", "lead", "P-U1-03")
    await typing.send("/apply")
    before = await typing.send("before the deadline")
    prompt = typing.last_reply
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    sam_menu = sam.last_reply
    await lead1.send("/apply")
    lead1_status = lead1.last_reply

    world.clock.now = AFTER_DEADLINE
    assert (await world.tap_answer(writer, "✅ Submit", finished)).startswith(CLOSED)
    assert (await world.tap_answer(sam, "↩ Return with a comment", sam_menu)).startswith(CLOSED)
    assert (await world.tap_answer(lead1, "↩ Withdraw", lead1_status)).startswith(CLOSED)
    await typing.send("after the deadline")
    assert CLOSED in typing.last_reply.text
    assert (await world.tap_answer(typing, "✓ Done", prompt)).startswith(CLOSED)
    await typing.edit(before, "edited after the deadline")
    assert CLOSED in typing.last_reply.text
    _, answers = await _answers(world, "P-U1-03")
    assert answers["foundation"].text == "before the deadline"
    statuses = {(await _answers(world, f"P-U1-0{i}"))[0].status for i in (1, 2, 3)}
    assert statuses == {"submitted", "draft"}


async def test_submit_lists_what_is_missing(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/apply")
    await lena.send("only the first section")
    await lena.tap("👁 Preview")
    answer = await world.tap_answer(lena, "✅ Submit")
    assert answer.startswith("Not complete yet. Missing: Experience and practices, Achievements")
    assert len(answer) <= 200


async def test_a_lead_of_several_projects_picks_one(world: World):
    await world.import_orgs([("U1", 2)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await world.admin.send("/invite lead P-U1-02")
    await lena.send(f"/start {world.admin.last_reply.text.split('start=')[1].split()[0]}")
    await lena.send("/apply")
    assert "You lead several projects" in lena.last_reply.text
    await lena.tap("Project U1-02 (P-U1-02)")
    assert "Section 1 of 11" in lena.last_reply.text
    await lena.send("for project two")
    _, answers = await _answers(world, "P-U1-02")
    assert answers["foundation"].text == "for project two"


async def test_a_declined_nomination_frees_the_place_and_accepted_never_exceeds_quota(
    world: World,
):
    await world.import_orgs([("U1", 10)])  # one place
    sam = await world.join("Sam", "secretary", "U1", language_code="zh-hans")
    await submitted(world, "P-U1-01", "Lead1")
    await submitted(world, "P-U1-02", "Lead2")
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · 已提交")
    await sam.tap("⭐ 推荐")
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-01")
    await world.admin.tap("✖ Decline with a reason")
    await world.admin.send("Not this year.")
    await world.admin.tap("✖ Yes, decline")
    told = sam.last_reply.text
    assert "Not this year." in told and "活动管理员" in told  # in the secretary's language
    await sam.send("/nominations")
    assert "0/1" in sam.last_reply.text
    await sam.tap("Project U1-02 · 已提交")
    assert await world.tap_answer(sam, "⭐ 推荐") is None
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-02")
    await world.admin.tap("✅ Accept as a candidate")
    await world.admin.tap("✅ Yes, accept")
    assert await applications.places_used(world.db, 1) == 1


async def test_a_long_preview_is_split_into_valid_messages(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01")
    await lena.send("/apply")
    for _ in TEXT_SECTIONS[:3]:
        for _part in range(3):
            await lena.send(("长文本 <&> " * 500)[:4000])
        await lena.tap("✓ Done")
    mark = len(lena.replies())
    await lena.tap("👁 Preview")
    parts = lena.replies()[mark:]
    assert len(parts) >= 8
    assert all(len(p.text) <= 4096 for p in parts)
    assert parts[-1].buttons and not any(p.buttons for p in parts[:-1])
