"""Stage 3's final submissions: /final for a candidate's lead, each item a document, a picture
or typed text, replaced after a preview and a confirmation until the deadline; everyone else
refused. Through the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.final import BUTTONS
from storage import finals, media
from tests.conftest import World
from tests.test_report import _candidate

ASSESSING = datetime(2027, 10, 20, 2, 0, tzinfo=UTC)  # inside 考核验收 (8 Oct – 15 Nov)
AFTER = datetime(2027, 11, 15, 10, 1, tzinfo=UTC)  # 18:01 in Shanghai, the deadline passed
PDF = b"%PDF-1.4\n" + b"x" * 3000
SEND_SUMMARY = "📎 Send: Work summary"
SEND_RESULTS = "📎 Send: Results report"


async def _assessing(world: World):
    """Lena leads Project U1-01, a candidate; Mei is its member; Leo leads U1-02, which is not."""
    lena, mei, leo, group = await _candidate(world)
    world.clock.now = ASSESSING
    project_id = await world.db.fetch_value("SELECT id FROM projects WHERE code = 'P-U1-01'")
    return lena, mei, leo, group, project_id


async def _stored(world: World, project_id: int) -> dict:
    return (await finals.current(world.db, [project_id])).get(project_id, {})


async def test_a_lead_hands_in_a_document_and_typed_text_after_a_preview_each(world: World):
    lena, _, _, _, project_id = await _assessing(world)
    await lena.send("/final")
    screen = lena.last_reply
    assert screen.text.startswith(
        "📋 Project U1-01: the final items for Assessment and acceptance, due 15 Nov 18:00."
    )
    assert "○ Work summary: not handed in yet" in screen.text
    assert "○ Results report: not handed in yet" in screen.text
    await lena.tap(SEND_SUMMARY, message=screen)
    assert screen.edited and "send it as a document (PDF, Word, WPS) or a picture" in screen.text
    await lena.send_document(PDF, filename="总结.pdf", mime_type="application/pdf")
    preview = lena.last_reply
    assert "👁 To be stored as Work summary of Project U1-01:" in preview.text
    assert "The document above: 《总结.pdf》, 3 KB." in preview.text
    assert not await _stored(world, project_id)  # nothing before the confirmation
    answer = await world.tap_answer(lena, "✅ Confirm", message=preview)
    assert answer == "✅ Stored: Work summary."
    assert "✓ Work summary: 《总结.pdf》, 3 KB" in preview.text  # the screen, in place
    assert preview.button_data("🔁 Replace: Work summary") and preview.button_data(SEND_RESULTS)
    # Typed text, in two messages, with a restart between them: nothing is lost.
    await lena.tap(SEND_RESULTS, message=preview)
    await lena.send("Results, line one\nline two")
    assert "✍ 26 characters typed for Results report." in lena.last_reply.text
    await world.restart()
    await lena.send("Part two")
    await lena.tap("✓ Done", message=lena.last_reply)
    preview = lena.last_reply
    assert "Results, line one\nline two\n\nPart two" in preview.text
    assert "Typed text, 36 characters." in preview.text
    await lena.tap("✅ Confirm", message=preview)
    stored = await _stored(world, project_id)
    assert stored["summary"].content.kind == "document"
    assert stored["summary"].content.file_name == "总结.pdf"
    await world.sb.settle()  # the document is copied beside the database, as reports' files
    [copy] = await world.db.fetch_all("SELECT file_unique_id, state, path FROM media_files")
    assert copy["state"] == "stored" and copy["path"].endswith(".pdf")
    assert (world.tmp_path / "media" / copy["path"]).read_bytes() == PDF
    async with world.db.transaction(world.clock.now) as tx:  # a report letting the same file go
        assert await media.release(tx, [copy["file_unique_id"]]) == 0
    assert stored["results"].content.text == "Results, line one\nline two\n\nPart two"
    assert stored["results"].submitted_by == lena.id
    assert "✓ Results report: typed text, 36 characters: Results, line one" in preview.text
    # A double tap on the confirmation stores nothing twice.
    answer = await world.answer_to(lena, preview, BUTTONS.data("confirm", project_id, "results"))
    assert answer == "Nothing is waiting to be stored. Send /final to see your items."
    assert len(await finals.history(world.db, project_id, "results")) == 1


async def test_replacing_names_what_is_replaced_and_keeps_the_old_version(world: World):
    lena, _, _, _, project_id = await _assessing(world)
    await lena.send("/final")
    await lena.tap(SEND_SUMMARY)
    await lena.send_document(PDF, filename="old.docx", mime_type="application/msword")
    await lena.tap("✅ Confirm")
    await lena.tap("🔁 Replace: Work summary")
    assert "What you send replaces what is stored, after you confirm: 《old.docx》" in (
        lena.last_reply.text
    )
    await lena.send_photo()
    preview = lena.last_reply
    assert "The picture above." in preview.text
    assert "⚠ It replaces what is stored now (handed in 20 Oct 10:00): 《old.docx》" in preview.text
    await lena.tap("✖ Cancel", message=preview)  # changed their mind: nothing changes
    assert "✓ Work summary: 《old.docx》" in preview.text
    assert (await _stored(world, project_id))["summary"].content.file_name == "old.docx"
    await lena.tap("🔁 Replace: Work summary", message=preview)
    await lena.send_photo()
    await lena.tap("✅ Confirm")
    assert "✓ Work summary: a picture" in lena.last_reply.text
    versions = await finals.history(world.db, project_id, "summary")
    assert [(v.content.kind, v.replaced_at is None) for v in versions] == [
        ("document", False),
        ("photo", True),
    ]


async def test_wrong_types_and_big_files_are_refused_wps_is_taken_one_preview_counts(
    world: World,
):
    lena, _, _, _, project_id = await _assessing(world)
    await lena.send("/final")
    await lena.tap(SEND_SUMMARY)
    await lena.send_document(b"MZ", filename="setup.exe", mime_type="application/x-msdownload")
    assert lena.last_reply.text.startswith("《setup.exe》 is not taken: only PDF, Word")
    big = {
        "file_id": "big-file",
        "file_unique_id": "big-unique",
        "file_name": "big.pdf",
        "mime_type": "application/pdf",
        "file_size": 25 * 2**20,
    }
    await lena.send_content({"document": big})
    assert lena.last_reply.text.startswith("《big.pdf》 is over 20 MB")
    await lena.send_video()
    assert "Videos are not taken here." in lena.last_reply.text
    assert not await _stored(world, project_id)
    # While a preview waits, more is not taken: its ✅ stores what it shows.
    await lena.send_document(PDF, filename="总结.wps", mime_type="application/octet-stream")
    assert "The document above: 《总结.wps》" in lena.last_reply.text
    await lena.send("more words")
    assert lena.last_reply.text == "First tap ✅ Confirm or ✖ Cancel under the preview above."
    wps = lena.replies()[-2]
    # /final again, and another file: the older preview's ✅ no longer stores anything.
    await lena.send("/final")
    await lena.tap(SEND_SUMMARY)
    await lena.send_document(PDF, filename="新.pdf", mime_type="application/pdf")
    assert await world.tap_answer(lena, "✅ Confirm", message=wps) == (
        "Nothing is waiting to be stored. Send /final to see your items."
    )
    assert not await _stored(world, project_id)
    await lena.tap("✅ Confirm")
    assert (await _stored(world, project_id))["summary"].content.file_name == "新.pdf"


async def test_an_out_of_date_preview_stores_nothing_and_becomes_the_screen(world: World):
    lena, _, _, _, project_id = await _assessing(world)
    await lena.send("/final")
    await lena.tap(SEND_SUMMARY)
    await lena.send_document(PDF, filename="总结.pdf", mime_type="application/pdf")
    preview = lena.last_reply
    await lena.send("/final")  # starts again: the preview above is out of date
    assert await world.tap_answer(lena, "✅ Confirm", message=preview) == (
        "Nothing is waiting to be stored. Send /final to see your items."
    )
    # Its ✅ is gone: the message shows the items as stored (as after a restart that came
    # between a ✅'s write and its edit, when the tap is delivered again).
    assert preview.edited and "○ Work summary: not handed in yet" in preview.text
    assert preview.button_data("✅ Confirm") is None and preview.button_data(SEND_SUMMARY)
    assert not await _stored(world, project_id)


async def test_others_are_refused_clearly_and_forged_buttons_change_nothing(world: World):
    lena, mei, leo, group, project_id = await _assessing(world)
    # The menu offers /final to leads, not to members.
    assert "final" in dict(world.sb.commands("chat", chat_id=lena.id))
    assert "final" not in dict(world.sb.commands("chat", chat_id=mei.id))
    await mei.send("/final")
    assert mei.last_reply.text.startswith("Only the lead of a candidate project")
    await leo.send("/final")
    assert leo.last_reply.text.startswith("Final items are for candidate projects")
    await world.sb.add_member(group, lena)
    await lena.send("/final", chat=group)
    in_group = world.sb.messages(group)[-1]
    assert in_group.text == "/final works in our private chat: tap below to open it."
    assert in_group.buttons == [[("💬 Open the private chat", "https://t.me/pacesetter_bot")]]
    await lena.send("/start final")  # the reminders' link opens the screen
    screen = lena.last_reply
    assert "○ Work summary" in screen.text
    # Lena's button forged by Leo into his own chat; a key the campaign has no item for.
    assert await world.answer_to(leo, leo.last_reply, screen.button_data(SEND_SUMMARY)) == (
        "Only the lead of a candidate project hands in its final items, with /final in the"
        " private chat."
    )
    forged = await world.answer_to(lena, screen, f"fs:i:{project_id}:nothing")
    assert "out of date" in forged
    assert "out of date" in await world.answer_to(lena, screen, "fs:i:x:summary")
    assert await world.answer_to(lena, screen, BUTTONS.data("done", project_id, "summary")) == (
        "Nothing is waiting to be stored. Send /final to see your items."
    )
    assert not await _stored(world, project_id)


async def test_before_and_after_the_stage_nothing_is_taken(world: World):
    lena, _, _, _, project_id = await _assessing(world)
    world.clock.now = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)  # cultivation
    await lena.send("/help")
    assert "/final" not in lena.last_reply.text
    await lena.send("/final")
    assert lena.last_reply.text == (
        "The final items are handed in during Assessment and acceptance, which opens on"
        " 8 Oct 09:00."
    )
    world.clock.now = ASSESSING
    await lena.send("/help")
    assert (
        "/final — hand in the work summary and the results report (deadline 15 Nov 18:00)"
        in lena.last_reply.text
    )
    await lena.send("what now?")  # free text lists what works now
    assert " /final " in lena.last_reply.text
    await lena.send("/final")
    screen = lena.last_reply
    await lena.tap(SEND_SUMMARY, message=screen)
    world.clock.now = AFTER  # the deadline passes while Lena is at the step
    await lena.send_document(PDF, filename="late.pdf", mime_type="application/pdf")
    closed = (
        "Assessment and acceptance closed on 15 Nov 18:00: the final items can no longer be"
        " handed in or replaced."
    )
    assert lena.last_reply.text == closed
    assert await world.answer_to(lena, screen, BUTTONS.data("item", project_id, "summary")) == (
        closed
    )
    await lena.send("/final")
    assert lena.last_reply.text == closed
    assert not await _stored(world, project_id)
