"""Typed answers to a prompt: they expire, they have bounds, and a bound gets an answer."""

from __future__ import annotations

import pytest

from storage import applications, orgs
from tests.conftest import World
from tests.test_apply import TEXT_SECTIONS, lead_of, nominated, submitted, write_all


async def _status(world: World, code: str = "P-U1-01") -> str:
    project = await orgs.project_by_code(world.db, code)
    return (await applications.of_project(world.db, project.id)).status


async def test_a_decline_reason_typed_after_half_an_hour_is_not_used(world: World):
    _, lena = await nominated(world)
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-01")
    await world.admin.tap("✖ Decline with a reason")
    told_before = len(lena.replies())
    world.advance(minutes=31)
    await world.admin.send("thanks, see you Monday")
    assert world.admin.last_reply.text == (
        "That question expired after 30 minutes, so I did not use your message. "
        "Tap the button again to start over."
    )
    assert await _status(world) == "nominated"
    assert len(lena.replies()) == told_before
    # The prompt is gone: the next message is just a message.
    await world.admin.send("hello?")
    assert "expired" not in world.admin.last_reply.text


@pytest.mark.parametrize(
    ("later", "typed", "answer", "status"),
    [
        ({"minutes": 29}, "Please add the budget.", "Returned to the lead of", "returned"),
        ({"hours": 72}, "ok", "expired after 30 minutes", "submitted"),
    ],
)
async def test_a_return_comment_counts_only_within_half_an_hour(
    world: World, later: dict, typed: str, answer: str, status: str
):
    await world.import_orgs([("U1", 20)])
    sam = await world.join("Sam", "secretary", "U1")
    await submitted(world, "P-U1-01", "Lena")
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    await sam.tap("↩ Return with a comment")
    world.advance(**later)
    await sam.send(typed)
    assert answer in sam.last_reply.text
    assert await _status(world) == status


async def test_a_long_comment_and_a_long_reason_get_their_answer_not_an_apology(world: World):
    sam, _ = await nominated(world)
    await submitted(world, "P-U1-02", "Luke")
    await sam.send("/nominations")
    await sam.tap("Project U1-02 · submitted")
    await sam.tap("↩ Return with a comment")
    await sam.send("x" * 1500)
    assert sam.last_reply.text == (
        "That's 1500 characters; please keep it under 1000 and send it again (/cancel to stop)."
    )
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-01")
    await world.admin.tap("✖ Decline with a reason")
    await world.admin.send("y" * 1500)
    assert "keep it under 1000" in world.admin.last_reply.text
    assert await _status(world) == "nominated"
    assert await _status(world, "P-U1-02") == "submitted"


async def test_the_51st_file_of_a_section_gets_its_answer(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await lead_of(world)
    await write_all(lena)
    for i in range(50):
        await lena.send_photo(caption=f"photo {i}")
    assert "File 50 saved" in lena.last_reply.text
    await lena.send_photo(caption="one too many")
    assert lena.last_reply.text == (
        "That's 50 files already, the most one section holds. Tap Done to go on."
    )
    project = await orgs.project_by_code(world.db, "P-U1-01")
    application = await applications.of_project(world.db, project.id)
    answers = await applications.answers(world.db, application.id)
    assert len(answers["attachments"].files) == 50


async def test_a_section_holds_at_most_its_limit_and_says_so(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await lead_of(world)
    limit = TEXT_SECTIONS[0].max_chars
    assert limit == 30_000  # the campaign's default
    await lena.send("/apply")
    for _ in range(6):  # Telegram splits a long text into messages of 4096 at most
        await lena.send("a" * 4_000)
    kept = await lena.send("b" * 4_000)  # 28,012 characters with the blank lines between
    await lena.send("c" * 2_000)
    assert lena.last_reply.text == (
        "That would make “Foundation of Party work” 30014 characters long, and a section holds "
        "at most 30000. Nothing of that message was saved: shorten it and send it again, or tap "
        "Done."
    )
    # An edit that makes it too long is refused as well; the stored text stays as it was.
    await lena.edit(kept, "b" * 6_000)
    assert "30012 characters long" in lena.last_reply.text
    project = await orgs.project_by_code(world.db, "P-U1-01")
    application = await applications.of_project(world.db, project.id)
    assert await applications.text_length(world.db, application.id, "foundation") == 28_012
    await lena.send("d" * 1_986)
    live = [r for r in lena.replies() if r.text.startswith("✓ Saved")]
    assert len(live) == 1  # one answer message for the section, edited as it grows
    assert "✓ Saved (30000 characters" in live[0].text


async def test_an_album_is_stored_whole_and_answered_once(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await lead_of(world)
    await write_all(lena)
    before = len(lena.replies())
    await lena.send_media_group([("photo", None)] * 4, caption="Party day")
    replies = lena.replies()[before:]
    assert [r.text for r in replies] == [
        "✓ 4 files of your album saved in “Supporting materials” (4 in all). "
        "Send more, or tap Done."
    ]
    assert replies[0].button_data("✓ Done") is not None
    project = await orgs.project_by_code(world.db, "P-U1-01")
    application = await applications.of_project(world.db, project.id)
    answers = await applications.answers(world.db, application.id)
    assert [f.kind for f in answers["attachments"].files] == ["photo"] * 4
    assert answers["attachments"].files[0].text == "Party day"
