"""/broadcast: an admin's own message to every bound group, one unit's, or a role privately;
a preview and a yes, a progress message edited in place, and a report of what went where."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from handlers.broadcast import BUTTONS
from tests.conftest import World, told
from tests.test_outbox import _groups, _leads

ANNOUNCEMENT = "Meeting on Friday <3pm> & bring notes"


def _progress_texts(world: World, message_id: int) -> list[str]:
    """What the sender wrote into the progress message, edit after edit."""
    return [
        params["text"]
        for method, params in world.sb.requests
        if method.lower() == "editmessagetext"
        and int(params.get("chat_id", 0)) == world.admin.id
        and int(params.get("message_id", 0)) == message_id
    ]


async def _ask(world: World, audience: str) -> None:
    await world.admin.send("/broadcast")
    assert "Who should get it?" in world.admin.last_reply.text
    await world.admin.tap(audience)
    assert "Send me the message for" in world.admin.last_reply.text


async def test_a_text_goes_to_every_bound_group_with_its_progress_and_a_report(world: World):
    await world.import_orgs([("U1", 5)])
    groups = await _groups(world, 5)
    world.sb.faults.forbidden(groups[4].id, "bot was kicked from the group chat")
    world.runner.sender.progress_every = 0  # every message out shows in the progress
    await _ask(world, "👥 All group chats (5)")
    bold = {"type": "bold", "offset": 0, "length": 7}
    await world.admin.send_content({"text": ANNOUNCEMENT, "entities": [bold]})
    preview, card = world.admin.replies()[-2:]
    assert preview.html == "<b>Meeting</b> on Friday &lt;3pm&gt; &amp; bring notes"
    assert card.text == (
        "☝ That is how it will look.\n"
        "It goes to every bound group chat: 5 group chats.\n"
        "Send it? To change it, send me another message instead."
    )
    assert [label for row in card.buttons for label, _ in row] == [
        "📣 Send to 5",
        "✎ Another message",
        "✖ Cancel",
    ]
    before = len(world.admin.replies())
    await world.admin.tap("📣 Send to 5", message=card)
    await world.sb.settle()
    assert [told(g, ANNOUNCEMENT, world.sb) for g in groups] == [1, 1, 1, 1, 0]
    assert world.sb.messages(groups[0])[-1].html == preview.html  # formatting kept
    # The question became the report, edited in place: nothing piled up.
    assert len(world.admin.replies()) == before
    report = world.admin.last_reply
    assert report.message_id == card.message_id
    assert report.text == (
        "📣 Broadcast to every bound group chat: done. Sent 4 of 5.\n"
        "Not delivered: 1.\n"
        "· 1: the bot was blocked, or removed from the group"
    )
    assert report.buttons == []
    progress = _progress_texts(world, card.message_id)
    assert progress[0].startswith("📣 Broadcast to every bound group chat: sending…\nSent 0 of 5")
    counts = [int(re.search(r"Sent (\d+) of 5", text).group(1)) for text in progress]
    assert counts == sorted(counts) and len(set(counts)) >= 2, progress
    # A second tap on the same question (a slow network) sends nothing again.
    answer = await world.answer_to(world.admin, card, BUTTONS.data("send"))
    assert "out of date" in answer
    await world.sb.settle()
    assert [told(g, ANNOUNCEMENT, world.sb) for g in groups] == [1, 1, 1, 1, 0]


async def test_the_report_comes_as_a_new_message_when_the_question_is_gone(world: World):
    await world.import_orgs([("U1", 2)])
    groups = await _groups(world, 2)
    await _ask(world, "👥 All group chats (2)")
    await world.admin.send("Hello branches")
    card = world.admin.last_reply
    # The admin deleted the question: Telegram refuses every edit of it.
    gone = "Bad Request: message to edit not found"
    world.sb.faults.error("editMessageText", 400, gone, chat_id=world.admin.id)
    before = len(world.admin.replies())
    await world.admin.tap("📣 Send to 2", message=card)
    await world.sb.settle()
    assert [told(g, "Hello branches", world.sb) for g in groups] == [1, 1]
    assert len(world.admin.replies()) == before + 1
    assert (
        world.admin.last_reply.text == "📣 Broadcast to every bound group chat: done. Sent 2 of 2."
    )


async def test_a_photo_with_its_caption_goes_privately_to_everyone_holding_a_role(world: World):
    leads = await _leads(world, 3)
    chinese = await world.join("Li", "lead", "P-U1-03", language_code="zh-hans")
    await world.sb.block_bot(leads[2])
    await world.join("Sam", "secretary", "U1")  # holds another role: not told
    await _ask(world, "✉ Project lead, privately")
    await world.admin.send_photo(caption="The poster for the launch")
    card = world.admin.last_reply
    assert "It goes to every project lead, privately: 3 people." in card.text
    assert "1 more can't be written to" in card.text
    await world.admin.tap("📣 Send to 3", message=card)
    await world.sb.settle()
    for lead in (leads[0], leads[1], chinese):
        message = lead.last_reply
        assert (message.kind, message.text) == ("photo", "The poster for the launch")
    report = world.admin.last_reply
    assert report.text == (
        "📣 Broadcast to every project lead, privately: done. Sent 3 of 4.\n"
        "Not delivered: 1.\n"
        "· 1: can't be written to privately (never opened the bot, or blocked it)"
    )


async def test_one_units_chats_only(world: World):
    await world.import_orgs([("U1", 2), ("U2", 1)])
    groups = await _groups(world, 2)  # P-U1-01, P-U1-02
    other = world.sb.group("U2's branch", creator=world.admin)
    await world.sb.add_bot(other, by=world.admin)
    await world.admin.send("/bind P-U2-01", chat=other)
    await world.admin.send("/broadcast")
    await world.admin.tap("🏢 One unit's group chats")
    units = world.admin.last_reply
    assert [label for row in units.buttons for label, _ in row] == [
        "Unit U1 (U1) · 2",
        "Unit U2 (U2) · 1",
        "✖ Cancel",
    ]
    await world.admin.tap("Unit U2 (U2) · 1", message=units)
    assert "Send me the message for the group chats of Unit U2" in world.admin.last_reply.text
    await world.admin.send_document(b"%PDF-1.4 plan", filename="plan.pdf", caption="Plan")
    await world.admin.tap("📣 Send to 1")
    await world.sb.settle()
    assert world.sb.messages(other)[-1].kind == "document"
    assert world.sb.messages(other)[-1].text == "Plan"
    assert [world.sb.messages(g)[-1].kind for g in groups] == ["text", "text"]  # /bind answers
    assert "done. Sent 1 of 1." in world.admin.last_reply.text


async def test_another_message_replaces_the_one_shown_and_the_old_question_no_longer_sends(
    world: World,
):
    await world.import_orgs([("U1", 2)])
    groups = await _groups(world, 2)
    await _ask(world, "👥 All group chats (2)")
    await world.admin.send("First draft")
    first = world.admin.last_reply
    await world.admin.send("Second draft")
    second = world.admin.last_reply
    assert first.buttons == []  # the older question lost its buttons
    answer = await world.answer_to(world.admin, first, BUTTONS.data("send"))
    assert "out of date" in answer
    await world.admin.tap("✎ Another message", message=second)
    assert "Send me the message for every bound group chat" in world.admin.last_reply.text
    await world.admin.send("Final words")
    await world.admin.tap("📣 Send to 2")
    await world.sb.settle()
    for group in groups:
        assert [told(group, t, world.sb) for t in ("draft", "Final words")] == [0, 1]


async def test_a_broadcast_waits_for_the_end_of_quiet_hours(world: World):
    await world.import_orgs([("U1", 1)])
    [group] = await _groups(world, 1)
    world.clock.now = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    await _ask(world, "👥 All group chats (1)")
    await world.admin.send("Tomorrow's meeting")
    assert "quiet hours: it will go out at 11 Dec 08:00" in world.admin.last_reply.text
    await world.admin.tap("📣 Send to 1")
    await world.sb.settle()
    assert told(group, "Tomorrow's meeting", world.sb) == 0
    assert world.admin.last_reply.text.startswith(
        "📣 Broadcast to every bound group chat: held for quiet hours, it goes out at"
        " 11 Dec 08:00.\nSent 0 of 1."
    )
    world.clock.now = datetime(2026, 12, 11, 0, 0, 1, tzinfo=UTC)  # 08:00 in Shanghai
    world.runner.sender.wake()
    await world.sb.settle()
    assert told(group, "Tomorrow's meeting", world.sb) == 1
    assert "done. Sent 1 of 1." in world.admin.last_reply.text


async def test_the_question_survives_a_restart(world: World):
    await world.import_orgs([("U1", 1)])
    [group] = await _groups(world, 1)
    await _ask(world, "👥 All group chats (1)")
    await world.admin.send("After the restart")
    await world.restart()
    await world.admin.tap("📣 Send to 1")
    await world.sb.settle()
    assert told(group, "After the restart", world.sb) == 1


async def test_wrong_input_albums_other_roles_and_forged_buttons_get_clear_answers(world: World):
    await world.import_orgs([("U1", 1)])
    [group] = await _groups(world, 1)
    sam = await world.join("Sam", "secretary", "U1")
    await sam.send("/broadcast")
    assert sam.last_reply.text == "Only campaign admins can do that."
    await world.admin.send("/broadcast")
    audiences = world.admin.last_reply
    for forged in ("bc:t:nobody", "bc:u:999", "bc:y", "bc:a", "bc:p:x"):
        assert "out of date" in await world.answer_to(world.admin, audiences, forged)
    await world.admin.tap("👥 All group chats (1)", message=audiences)
    await world.admin.send_sticker()
    assert "A broadcast is a text, a photo or a document" in world.admin.last_reply.text
    await world.admin.send_video()
    assert "A broadcast is a text, a photo or a document" in world.admin.last_reply.text
    before = len(world.admin.replies())
    await world.admin.send_media_group([("photo", None), ("photo", None), ("photo", None)])
    assert len(world.admin.replies()) == before + 1  # one answer for the album
    assert "An album can't be broadcast" in world.admin.last_reply.text
    await world.admin.send("/cancel")
    await world.admin.send("Not for anyone")  # out of the flow: not taken
    await world.sb.settle()
    assert told(group, "Not for anyone", world.sb) == 0
    await world.admin.send("/broadcast")
    await world.admin.tap("✉ Reviewer, privately")
    await world.admin.send("Hello reviewers")
    assert "Nobody to send it to: nobody holds that role yet." in world.admin.last_reply.text
    await world.admin.send("/broadcast")
    await world.admin.tap("✖ Cancel")
    assert world.admin.last_reply.text == "Nothing was sent."


async def test_chinese_words_for_an_admin_in_chinese(world: World):
    await world.import_orgs([("U1", 2)])
    await _groups(world, 2)
    await world.admin.send("/language")
    await world.admin.tap("简体中文")
    await world.admin.send("/broadcast")
    await world.admin.tap("👥 全部群（2）")
    await world.admin.send("明天开会")
    assert "将发送至所有已绑定的群：2个群。" in world.admin.last_reply.text
    await world.admin.tap("📣 发送（2）")
    await world.sb.settle()
    assert world.admin.last_reply.text == "📣 向所有已绑定的群广播：已完成，已发送2/2。"
