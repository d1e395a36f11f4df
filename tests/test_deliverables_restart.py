"""A pacesetter's lead on /deliverables, and the process killed (kill -9) after a tap's write
and before its screen's edit (✓ Done, ✅ Confirm, 👍): the restarted bot handles the tap
again, which stores nothing more and tells nobody twice, and the screen shows what is
stored. The same for a message killed before its answer (a typed piece, a file)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from handlers.deliverables import BUTTONS
from storage import deliverables, pacesetters
from storage.db import Database
from tests.test_restart import replied, until
from tests.test_review_restart import _killed_between_write_and_edit, bot_in_stage, joined

COMPLETE = "all its deliverables"  # the notice to the secretaries and the admins


async def _select_with_a_draft(db_path, project_id: int, lead_id: int, admin_id: int) -> int:
    """The project selected as a pacesetter, its video linked and its chapter's draft built,
    as the selection, an earlier visit and the booklet's builder would have written them."""
    db = await Database.open(db_path)
    try:
        async with db.transaction(datetime.now(UTC)) as tx:
            await pacesetters.select(tx, [project_id], by=admin_id)
            video = deliverables.Content("link", text="https://v.qq.com/x/1")
            await deliverables.submit(tx, project_id, "video", video, by=lead_id)
            return await deliverables.add_draft(tx, project_id, "/nowhere/chapter.docx")
    finally:
        await db.close()


async def _writing_up(sb, bot, admin) -> tuple:
    """Lena, lead of P-U1-01 (a pacesetter with its video and a chapter draft), asked for her
    write-up on /deliverables: she, the project's id and the draft's."""
    lena = await joined(sb, admin, "Lena", "lead", "P-U1-01")
    ((project_id,),) = bot.query("SELECT id FROM projects WHERE code = 'P-U1-01'")
    draft = await _select_with_a_draft(bot.db_path, project_id, lena.id, admin.id)
    await lena.send("/deliverables")
    await until(replied(lena, "the deliverables for Consolidation"))
    screen = lena.last_reply
    await lena.tap("📎 Send: Replicable typical experience", message=screen)
    await until(lambda: "or type it" in screen.text)
    return lena, project_id, draft


async def _killed_with_the_notices_unsent(sb, bot, user, message, data: str) -> None:
    """As _killed_between_write_and_edit, the outbox's messages held in the network too: one
    the dead process had sent may come again (Telegram keeps no key to tell it by), but one
    it had not sent must come once."""
    sb.hold("sendMessage")
    try:
        await _killed_between_write_and_edit(sb, bot, user, message, data)
    finally:
        sb.release("sendMessage")


async def _killed_between_write_and_reply(sb, bot, user, sends: Callable[[], Awaitable]) -> None:
    """`user` sends (not waiting); the bot's answer hangs in the network after the message's
    write, and the process dies there: the restarted bot handles the message again."""
    sb.hold("sendMessage")
    try:
        await sends()
        # The answer to `user` (the outbox may send others first): the write is committed.
        while str((await sb.wait_request("sendMessage", timeout=20))["chat_id"]) != str(user.id):
            pass
        await bot.kill()
    finally:
        sb.release("sendMessage")
    await bot.start()
    unhandled = "SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL"
    await until(lambda: bot.query(unhandled) == [(0,)], what="the message handled again")


def _told(sb, person) -> int:
    return sum(COMPLETE in m.text for m in sb.messages(person.id))


async def test_killed_after_done_confirm_and_approve_each_is_stored_and_told_once(tmp_path):
    async with bot_in_stage(tmp_path, 1, consolidating=True) as (sb, bot, admin):
        lena, project_id, draft = await _writing_up(sb, bot, admin)
        sam = await joined(sb, admin, "Sam", "secretary", "U1")
        await lena.send("Our experience, in full.")
        await until(lambda: lena.last_reply.button_data("✓ Done") is not None)
        preview = lena.last_reply

        # ✓ Done killed: the text waits for ✅, and the message becomes its preview after all.
        done = BUTTONS.data("done", project_id, "experience")
        await _killed_between_write_and_edit(sb, bot, lena, preview, done)
        await until(lambda: preview.button_data("✅ Confirm") is not None)
        assert "Our experience, in full." in preview.text

        # ✅ Confirm killed: stored once, and the preview becomes the checklist that shows it.
        confirm = BUTTONS.data("confirm", project_id, "experience")
        await _killed_between_write_and_edit(sb, bot, lena, preview, confirm)
        await until(lambda: "✓ Replicable typical experience: typed text" in preview.text)
        await sb.settle(timeout=30)
        assert preview.button_data("✅ Confirm") is None
        assert [(v.content.text, v.replaced_at) for v in await _history(bot, project_id)] == [
            ("Our experience, in full.", None)
        ]
        assert bot.query("SELECT COUNT(*) FROM flows") == [(0,)]

        # 👍 killed: the approval completes the checklist; its notices are written with it.
        approve = BUTTONS.data("approve", project_id, draft)
        assert preview.button_data("👍 Approve the chapter") == approve
        await _killed_with_the_notices_unsent(sb, bot, lena, preview, approve)
        await until(lambda: "✅ Everything is handed in." in preview.text)
        await until(lambda: _told(sb, sam) and _told(sb, admin), what="the notices")
        await sb.settle(timeout=30)
        assert preview.button_data("👍 Approve the chapter") is None
        await lena.tap_data(preview, approve)  # the tap delivered once more: nothing new
        await sb.settle(timeout=30)
        assert (_told(sb, sam), _told(sb, admin), _told(sb, lena)) == (1, 1, 0)
        told = "SELECT chat_id, state FROM outbox WHERE kind = 'deliverables/complete'"
        assert sorted(bot.query(told)) == sorted([(sam.id, "sent"), (admin.id, "sent")])
        assert bot.query("SELECT verdict, COUNT(*) FROM booklet_verdicts GROUP BY verdict") == [
            ("approved", 1)
        ]
        assert bot.query("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL") == [(0,)]
        assert await bot.terminate() == 0


async def _history(bot, project_id: int, item: str = "experience") -> list:
    db = await Database.open(bot.db_path)
    try:
        return await deliverables.history(db, project_id, item)
    finally:
        await db.close()


async def test_killed_after_a_typed_piece_and_after_a_file_each_is_taken_once(tmp_path):
    async with bot_in_stage(tmp_path, 1, consolidating=True) as (sb, bot, admin):
        lena, project_id, _ = await _writing_up(sb, bot, admin)
        await lena.send("Part one.")
        await until(replied(lena, "9 characters typed"))

        # The second piece killed before its answer: added once, and answered after all.
        await _killed_between_write_and_reply(
            sb, bot, lena, lambda: lena.send("Part two.", wait=False)
        )
        await until(lambda: lena.last_reply.button_data("✓ Done") is not None)
        assert "20 characters typed" in lena.last_reply.text
        typed = "SELECT json_extract(data, '$.text') FROM flows"
        assert bot.query(typed) == [("Part one.\n\nPart two.",)]
        preview = lena.last_reply
        await lena.tap("✓ Done", message=preview)
        await until(lambda: preview.button_data("✅ Confirm") is not None)
        await lena.tap("✅ Confirm", message=preview)
        await until(lambda: "✓ Replicable typical experience: typed text" in preview.text)
        history = await _history(bot, project_id)
        assert [(v.content.text, v.replaced_at) for v in history] == [
            ("Part one.\n\nPart two.", None)
        ]

        # The video killed before its preview: the preview comes after all, and its ✅ stores
        # the video once, in place of the link.
        await lena.tap("🔁 Replace: Pacesetter micro-video", message=preview)
        await until(lambda: "Telegram takes files of up to 50 MB" in preview.text)
        await _killed_between_write_and_reply(sb, bot, lena, lambda: lena.send_video(wait=False))
        await sb.settle(timeout=30)
        shown = lena.last_reply
        assert "The video above:" in shown.text and shown.button_data("✅ Confirm") is not None
        await lena.tap("✅ Confirm", message=shown)
        await until(lambda: shown.button_data("✅ Confirm") is None)
        await sb.settle(timeout=30)
        videos = await _history(bot, project_id, "video")
        assert [(v.content.kind, v.replaced_at is None) for v in videos] == [
            ("link", False),
            ("video", True),
        ]
        assert bot.query("SELECT COUNT(*) FROM flows") == [(0,)]
        assert await bot.terminate() == 0
