"""Stage 4's deliverables: /deliverables for a pacesetter's lead (the write-up as a document or
typed text, the micro-video as a video or a link, each replaced after a preview and a
confirmation; the booklet chapter approved or corrected), read-only checklists for
secretaries and admins, who are told once when one is complete; everyone else refused.
Through the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.campaign_load import load_campaign
from handlers.deliverables import BUTTONS, PAGE_SIZE, fitting, platform
from messages.render import LOCALES, Messages
from storage import deliverables, media, pacesetters
from storage.deliverables import Booklet, Content, Delivered, Pacesetter
from tests.conftest import World
from tests.test_report import _candidate

CONSOLIDATING = datetime(2027, 11, 20, 2, 0, tzinfo=UTC)  # inside 巩固成果 (16 Nov – 31 Dec)
AFTER = datetime(2027, 12, 31, 10, 1, tzinfo=UTC)  # 18:01 in Shanghai, the deadline passed
PDF = b"%PDF-1.4\n" + b"x" * 3000
SEND_WRITEUP = "📎 Send: Replicable typical experience"
SEND_VIDEO = "📎 Send: Pacesetter micro-video"
NOT_STORED = "Nothing is waiting to be stored. Send /deliverables to see your checklist."
CAMPAIGN = load_campaign()


async def _consolidating(world: World):
    """Lena leads P-U1-01, a pacesetter; Mei is its member; Leo leads U1-02, a project that
    is not one; Sam is U1's secretary. The clock inside the consolidation."""
    lena, mei, leo, _ = await _candidate(world)
    sam = await world.join("Sam", "secretary", "U1")
    project_id = await world.db.fetch_value("SELECT id FROM projects WHERE code = 'P-U1-01'")
    async with world.db.transaction(world.clock.now) as tx:
        await pacesetters.select(tx, [project_id], by=world.admin.id)
    world.clock.now = CONSOLIDATING
    return lena, mei, leo, sam, project_id


async def _stored(world: World, project_id: int) -> dict:
    return (await deliverables.current(world.db, [project_id])).get(project_id, {})


async def _draft(world: World, project_id: int) -> int:
    """A chapter draft, as the booklet's builder records it."""
    async with world.db.transaction(world.clock.now) as tx:
        return await deliverables.add_draft(tx, project_id, "/nowhere/chapter.docx")


async def test_the_write_up_as_a_document_then_replaced_by_typed_text(world: World):
    lena, _, _, _, project_id = await _consolidating(world)
    await lena.send("/deliverables")
    screen = lena.last_reply
    assert screen.text.startswith(
        "📋 Project U1-01: the deliverables for Consolidation, due 31 Dec 18:00."
    )
    assert "○ Replicable typical experience: not handed in yet" in screen.text
    assert "○ Pacesetter micro-video: not handed in yet" in screen.text
    assert "○ Compiled results booklet: generated from the record; not built yet" in screen.text
    await lena.tap(SEND_WRITEUP, message=screen)
    assert screen.edited and "send it as a document (PDF, Word, WPS), or type it" in screen.text
    await lena.send_document(PDF, filename="经验.docx", mime_type="application/msword")
    preview = lena.last_reply
    assert "The document above: 《经验.docx》, 3 KB." in preview.text
    assert not await _stored(world, project_id)  # nothing before the confirmation
    assert await world.tap_answer(lena, "✅ Confirm", message=preview) == (
        "✅ Stored: Replicable typical experience."
    )
    assert "✓ Replicable typical experience: 《经验.docx》, 3 KB" in preview.text
    await world.sb.settle()  # the document is copied beside the database, for the booklet
    [copy] = await world.db.fetch_all("SELECT file_unique_id, state, path FROM media_files")
    assert copy["state"] == "stored" and copy["path"].endswith(".docx")
    assert (world.tmp_path / "media" / copy["path"]).read_bytes() == PDF
    async with world.db.transaction(world.clock.now) as tx:  # a report letting the same file go
        assert await media.release(tx, [copy["file_unique_id"]]) == 0
    # Replaced by typed text in two messages, a restart between them: nothing is lost.
    await lena.tap("🔁 Replace: Replicable typical experience", message=preview)
    assert "replaces what is stored, after you confirm: 《经验.docx》" in preview.text
    await lena.send("Our experience, part one")
    await world.restart()
    await lena.send("Part two")
    await lena.tap("✓ Done", message=lena.last_reply)
    typed = lena.last_reply
    assert "Our experience, part one\n\nPart two" in typed.text
    assert "⚠ It replaces what is stored now (handed in 20 Nov 10:00): 《经验.docx》" in typed.text
    await lena.tap("✅ Confirm", message=typed)
    assert "✓ Replicable typical experience: typed text, 34 characters" in typed.text
    # A double tap stores nothing twice; the old version is kept, marked replaced.
    answer = await world.answer_to(lena, typed, BUTTONS.data("confirm", project_id, "experience"))
    assert answer == NOT_STORED
    versions = await deliverables.history(world.db, project_id, "experience")
    assert [(v.content.kind, v.replaced_at is None) for v in versions] == [
        ("document", False),
        ("text", True),
    ]
    assert versions[1].content.text == "Our experience, part one\n\nPart two"


async def test_the_video_within_the_limits_over_20_mb_and_a_link_instead(world: World):
    lena, _, _, _, project_id = await _consolidating(world)
    await lena.send("/deliverables")
    await lena.tap(SEND_VIDEO)
    ask = lena.last_reply.text
    assert "Telegram takes files of up to 50 MB from you" in ask  # said before, not after
    assert "Over 20 MB the bot keeps the video as a Telegram file" in ask
    await lena.send("a nice video")
    assert lena.last_reply.text.startswith("That is not a link")
    await lena.send_photo()
    assert lena.last_reply.text.startswith("Please send a video")
    await lena.send_video()
    preview = lena.last_reply
    assert "The video above:" in preview.text and "over 20 MB" not in preview.text
    assert "《" not in preview.text  # a phone's camera names no video: its size alone
    assert preview.text.endswith(" MB.\n\nTap ✅ Confirm to store it.")
    await lena.tap("✅ Confirm", message=preview)
    stored = (await _stored(world, project_id))["video"].content
    assert stored.kind == "video" and stored.file_id and stored.size
    assert f"a video, {stored.size / 2**20:.1f} MB" in preview.text and "《" not in preview.text
    # Over 20 MB: kept by its file id, and the lead told what that means for the booklet.
    await lena.tap("🔁 Replace: Pacesetter micro-video", message=preview)
    big = {
        "file_id": "big-video",
        "file_unique_id": "big-unique",
        "file_name": "创建.mp4",
        "mime_type": "video/mp4",
        "file_size": 30 * 2**20,
    }
    await lena.send_content({"document": big})  # a video sent as a file
    warned = lena.last_reply
    assert "The video above: 《创建.mp4》, 30.0 MB." in warned.text
    assert "⚠ It is over 20 MB: the bot keeps it as a Telegram file, but cannot download" in (
        warned.text
    )
    await lena.tap("✅ Confirm", message=warned)
    assert "a video 《创建.mp4》, 30.0 MB (over 20 MB: a Telegram file only" in warned.text
    stored = (await _stored(world, project_id))["video"].content
    assert (stored.kind, stored.file_id, stored.size) == ("video", "big-video", 30 * 2**20)
    await world.sb.settle()  # not even asked for: too big to copy, a Telegram file only
    state = "SELECT state FROM media_files WHERE file_unique_id = 'big-unique'"
    assert await world.db.fetch_value(state) == "too_big"
    # A link instead, named by its platform.
    await lena.tap("🔁 Replace: Pacesetter micro-video", message=warned)
    await lena.send("https://www.bilibili.com/video/BV1xx411c7mD")
    assert "A link on bilibili: https://www.bilibili.com/video/BV1xx411c7mD" in (
        lena.last_reply.text
    )
    await lena.tap("✅ Confirm")
    stored = (await _stored(world, project_id))["video"].content
    assert (stored.kind, stored.text) == ("link", "https://www.bilibili.com/video/BV1xx411c7mD")
    assert stored.file_id is None
    await lena.tap("🔁 Replace: Pacesetter micro-video")
    await lena.send("https://example.org/our-video")
    assert "A link: https://example.org/our-video" in lena.last_reply.text


async def test_the_booklet_approved_or_corrected_and_completion_told_once(world: World):
    lena, _, _, sam, project_id = await _consolidating(world)
    await lena.send("/deliverables")
    screen = lena.last_reply
    # Nothing to open or approve yet; an old screen's 📄 says why.
    assert screen.button_data("📄 Open my chapter") is None
    assert screen.button_data("👍 Approve the chapter") is None
    assert await world.answer_to(lena, screen, BUTTONS.data("chapter", project_id)) == (
        "The draft of your chapter is not ready yet: it opens here once the results booklet"
        " is built."
    )
    draft = await _draft(world, project_id)
    await lena.send("/deliverables")
    screen = lena.last_reply
    assert "the draft of the chapter waits for approval" in screen.text
    await lena.tap("✏ Corrections", message=screen)
    await lena.send("x" * 3001)
    assert lena.last_reply.text == "Please keep the corrections under 3000 characters."
    await lena.send("Page 3: the date of the visit is 12 May.")
    assert lena.replies()[-2].text == "📨 Your corrections were sent to the admins."
    await world.sb.settle()
    told = [m for m in world.sb.messages(world.admin.id) if "Corrections to" in m.text]
    assert len(told) == 1
    assert "Page 3: the date of the visit is 12 May." in told[0].text
    assert "Project U1-01" in told[0].text and "Lena" in told[0].text
    assert told[0].buttons[0][0][0] == "📋 The deliverables"  # the way to the checklists
    # The write-up and the video, then the approval: the checklist is complete.
    screen = lena.last_reply
    assert "(corrections sent: 1)" in screen.text
    async with world.db.transaction(world.clock.now) as tx:
        for key, content in (
            ("experience", deliverables.Content("text", text="Our experience")),
            ("video", deliverables.Content("link", text="https://v.qq.com/x/1")),
        ):
            await deliverables.submit(tx, project_id, key, content, by=lena.id)
    assert await world.tap_answer(lena, "👍 Approve the chapter", message=screen) == (
        "✅ Chapter approved."
    )
    assert "✓ Compiled results booklet: generated from the record; your chapter's draft is" in (
        screen.text
    )
    assert "✅ Everything is handed in." in screen.text
    # An old approve button again (a double tap) tells nobody twice.
    again = await world.answer_to(lena, screen, BUTTONS.data("approve", project_id, draft))
    assert again.startswith("This draft no longer waits for your word.")
    await world.sb.settle()
    for person in (sam, world.admin):
        complete = [m for m in world.sb.messages(person.id) if "all its deliverables" in m.text]
        assert len(complete) == 1, person
    assert not [m for m in lena.replies() if "all its deliverables" in m.text]
    # A new draft, as a file the builder wrote: 📄 sends it; approving it tells nobody again.
    chapter = world.tmp_path / "P-U1-01.docx"
    chapter.write_bytes(b"PK\x03\x04 a chapter")
    async with world.db.transaction(world.clock.now) as tx:
        await deliverables.add_draft(tx, project_id, str(chapter))
    await lena.send("/deliverables")
    screen = lena.last_reply
    assert "the draft of the chapter waits for approval" in screen.text
    await lena.tap("📄 Open my chapter", message=screen)
    sent = lena.last_reply
    assert sent.kind == "document" and world.sb.files.get(sent.file_id).data == chapter.read_bytes()
    await lena.tap("👍 Approve the chapter", message=screen)
    await world.sb.settle()
    assert len([m for m in world.sb.messages(sam.id) if "all its deliverables" in m.text]) == 1


async def test_others_see_what_they_may_and_forged_buttons_change_nothing(world: World):
    lena, mei, leo, sam, project_id = await _consolidating(world)
    await lena.send("/deliverables")
    screen = lena.last_reply
    await mei.send("/deliverables")
    assert mei.last_reply.text.startswith("Only the lead of a pacesetter project")
    await leo.send("/deliverables")
    assert leo.last_reply.text == (
        "The deliverables are for pacesetter projects. Your project is not one."
    )
    await sam.send("/deliverables")  # the secretary: the unit's checklists, read-only
    overview = sam.last_reply
    assert "Project U1-01 (Unit U1): incomplete" in overview.text
    assert "○ Replicable typical experience: not handed in yet" in overview.text
    assert overview.buttons == []
    await world.admin.send("/deliverables")
    assert "Project U1-01 (Unit U1): incomplete" in world.admin.last_reply.text
    for message in (overview, world.admin.last_reply, screen):
        assert "score" not in message.text.lower()
    # Lena's button forged by Leo, Sam and Mei; a key the campaign has no item for.
    send = screen.button_data(SEND_WRITEUP)
    for other in (leo, sam, mei):
        assert (await world.answer_to(other, other.last_reply, send)).startswith(
            "Only the lead of a pacesetter project"
        )
    assert "out of date" in await world.answer_to(lena, screen, f"dv:i:{project_id}:nothing")
    assert "out of date" in await world.answer_to(lena, screen, f"dv:i:{project_id}:booklet")
    assert await world.answer_to(lena, screen, BUTTONS.data("done", project_id, "experience")) == (
        NOT_STORED
    )
    assert not await _stored(world, project_id)


async def test_before_and_after_the_stage_nothing_is_taken(world: World):
    lena, _, _, _, project_id = await _consolidating(world)
    world.clock.now = datetime(2027, 11, 1, 2, 0, tzinfo=UTC)  # the assessment
    await lena.send("/deliverables")
    assert lena.last_reply.text == (
        "The deliverables are handed in during Consolidation, which opens on 16 Nov 09:00."
    )
    await lena.send("/help")
    assert "/deliverables" not in lena.last_reply.text
    world.clock.now = CONSOLIDATING
    await lena.send("/help")
    assert (
        "/deliverables — a pacesetter's write-up and micro-video, and its chapter of the results"
        " booklet (deadline 31 Dec 18:00)"
    ) in lena.last_reply.text
    await lena.send("/start deliverables")  # the reminders' link opens the checklist
    screen = lena.last_reply
    await lena.tap(SEND_WRITEUP, message=screen)
    world.clock.now = AFTER  # the deadline passes while Lena is at the step
    await lena.send_document(PDF, filename="late.pdf", mime_type="application/pdf")
    closed = (
        "Consolidation closed on 31 Dec 18:00: the deliverables can no longer be handed in"
        " or replaced."
    )
    assert lena.last_reply.text == closed
    assert await world.answer_to(lena, screen, BUTTONS.data("item", project_id, "video")) == (
        closed
    )
    assert not await _stored(world, project_id)


async def test_admins_and_secretaries_see_the_overview_any_time_a_lead_hers_read_only_after(
    world: World,
):
    await world.admin.send("/deliverables")  # before the selection: nobody to show, no refusal
    assert "No pacesetters to show." in world.admin.last_reply.text
    lena, _, _, sam, project_id = await _consolidating(world)
    async with world.db.transaction(world.clock.now) as tx:
        text = deliverables.Content("text", text="Our experience")
        await deliverables.submit(tx, project_id, "experience", text, by=lena.id)
    for now in (datetime(2027, 11, 1, 2, 0, tzinfo=UTC), AFTER):  # before the stage, after it
        world.clock.now = now
        for overseer in (world.admin, sam):
            await overseer.send("/deliverables")
            overview = overseer.last_reply.text
            assert "Project U1-01 (Unit U1): incomplete" in overview, (now, overseer)
            assert "✓ Replicable typical experience: typed text, 14 characters" in overview
    # After the deadline Lena sees what she handed in, with nothing left to tap.
    await lena.send("/deliverables")
    screen = lena.last_reply
    assert "✓ Replicable typical experience: typed text, 14 characters" in screen.text
    assert "○ Pacesetter micro-video: not handed in yet" in screen.text
    assert screen.text.endswith(
        "Consolidation closed on 31 Dec 18:00: the deliverables can no longer be handed in"
        " or replaced."
    )
    assert screen.buttons == []


async def test_reminders_reach_only_leads_with_something_missing_and_the_closing_once(
    world: World,
):
    lena, _, leo, _, project_id = await _consolidating(world)
    await world.accept("P-U1-02", by=leo)
    done_id = await world.db.fetch_value("SELECT id FROM projects WHERE code = 'P-U1-02'")
    async with world.db.transaction(world.clock.now) as tx:  # Leo's pacesetter: complete
        await pacesetters.select(tx, [project_id, done_id], by=world.admin.id)
        for key, content in (
            ("experience", deliverables.Content("text", text="Our experience")),
            ("video", deliverables.Content("link", text="https://www.douyin.com/video/1")),
        ):
            await deliverables.submit(tx, done_id, key, content, by=leo.id)
        draft = await deliverables.add_draft(tx, done_id, "/nowhere/chapter.docx")
        await deliverables.judge(tx, draft, "approved", by=leo.id)
    async with world.db.transaction(world.clock.now) as tx:  # Lena's: the write-up only
        await deliverables.submit(
            tx, project_id, "experience", deliverables.Content("text", text="x"), by=lena.id
        )
    await world.remind()  # the consolidation's opening wave: those who owe
    [reminder] = [m for m in lena.replies() if "still owes" in m.text]
    # No chapter built yet: the booklet is the admins' to move, not Lena's.
    assert "Project U1-01 still owes: Pacesetter micro-video\n" in reminder.text
    assert "results booklet" not in reminder.text.split("\n\n")[0]
    [[(label, link)]] = reminder.buttons
    assert label == "📋 The deliverables" and link.endswith("?start=deliverables")
    assert not [m for m in leo.replies() if "still owes" in m.text]
    chat_id = await world.db.fetch_value(
        "SELECT chat_id FROM chat_bindings WHERE project_id = ?", (project_id,)
    )
    group = [m for m in world.sb.messages(chat_id) if "/deliverables" in m.text]
    [post] = group  # in the campaign's language
    assert "Project U1-01尚未提交：标杆创建微视频。" in post.text and "篇章" not in post.text
    assert post.buttons[0][0][1].endswith("?start=deliverables")
    # Her video in, nothing is hers to do until a chapter is built; then its approval is.
    async with world.db.transaction(world.clock.now) as tx:
        link = deliverables.Content("link", text="https://v.qq.com/x/page/a.html")
        await deliverables.submit(tx, project_id, "video", link, by=lena.id)
    world.advance(hours=24)  # /remind holds back within 12 hours of the last wave
    await world.admin.send("/remind")
    assert "People who still owe something: 0. Group chats: 0." in world.admin.last_reply.text
    async with world.db.transaction(world.clock.now) as tx:
        draft = await deliverables.add_draft(tx, project_id, "/nowhere/chapter.docx")
    await world.admin.send("/remind")  # nothing went out: nothing held back
    assert "People who still owe something: 1. Group chats: 1." in world.admin.last_reply.text
    await world.admin.tap("📣 Send now", message=world.admin.last_reply)
    await world.sb.settle()
    assert lena.last_reply.text.endswith(
        "• Project U1-01: its chapter of the Compiled results booklet waits for your approval\n\n"
        "Hand in the write-up and the video, and approve your chapter of the results booklet,"
        " with /deliverables."
    )
    async with world.db.transaction(world.clock.now) as tx:  # her corrections: the admins' turn
        await deliverables.judge(tx, draft, "corrections", by=lena.id, comment="Page 2: a date")
    world.advance(hours=24)
    await world.admin.send("/remind")
    assert "People who still owe something: 0. Group chats: 0." in world.admin.last_reply.text
    # The final report still counts the unapproved chapter among what is missing.
    await world.admin.tap("✖ Cancel", message=world.admin.last_reply)
    # After the deadline the admins hear who is complete and who is not, once.
    world.clock.now = AFTER
    await world.remind()
    await world.remind()
    world.advance(hours=1)
    await world.remind()
    [summary] = [m for m in world.admin.replies() if "closed on 31 Dec" in m.text]
    assert "Pacesetters with every deliverable: 1 of 2." in summary.text
    assert "Complete:\n• Project U1-02 (Unit U1)" in summary.text
    assert (
        "Incomplete:\n• Project U1-01 (Unit U1) still owes: Compiled results booklet"
    ) in summary.text
    assert not [m for m in lena.replies() if "closed on 31 Dec" in m.text]


async def test_an_admin_pages_through_many_pacesetters_a_secretary_sees_their_unit(
    world: World,
):
    await world.import_orgs([("U1", 12), ("U2", 2)])
    await world.accept()
    sam = await world.join("Sam", "secretary", "U2")
    ids = [r["id"] for r in await world.db.fetch_all("SELECT id FROM projects ORDER BY code")]
    async with world.db.transaction(world.clock.now) as tx:
        await pacesetters.select(tx, ids, by=world.admin.id)
    world.clock.now = CONSOLIDATING
    await world.admin.send("/deliverables")
    overview = world.admin.last_reply
    assert "Project U1-01 (Unit U1): incomplete" in overview.text
    assert "Project U1-11" not in overview.text and "Page 1 of 2." in overview.text
    await world.admin.tap("Next ▶", message=overview)
    assert overview.edited and "Project U2-02 (Unit U2): incomplete" in overview.text
    assert "Project U1-01" not in overview.text and "Page 2 of 2." in overview.text
    await sam.send("/deliverables")
    assert "Project U2-01" in sam.last_reply.text and "Project U1-" not in sam.last_reply.text
    # A member's forged page tap shows nothing.
    mei = await world.join("Mei", "member", "P-U1-01")
    welcome = mei.last_reply
    answer = await world.answer_to(mei, welcome, BUTTONS.data("page", 0))
    assert answer == "You are not allowed to do that." and not welcome.edited


async def test_a_chapter_too_big_to_send_is_named_with_its_size_not_sent(world: World):
    lena, _, _, _, project_id = await _consolidating(world)
    chapter = world.tmp_path / "P-U1-01.docx"
    with chapter.open("wb") as file:
        file.truncate(51 * 2**20)  # sparse: over Telegram's 50 MB for a bot, no disk used
    async with world.db.transaction(world.clock.now) as tx:
        await deliverables.add_draft(tx, project_id, str(chapter))
    await lena.send("/deliverables")
    screen = lena.last_reply
    await lena.tap("📄 Open my chapter", message=screen)
    assert lena.last_reply.text == (
        "📄 The draft of your chapter is 51.0 MB, more than Telegram lets a bot send (50 MB), so"
        " it can't be opened here. The admins have the file and can send it to you another"
        " way; approve it or send corrections once you have read it."
    )
    assert not [m for m in lena.replies() if m.kind == "document"]
    assert screen.button_data("👍 Approve the chapter")  # still hers to give her word on


# The longest of everything a page of the overview shows: names at the import's limit, typed
# text at its limit, file names of 255 characters, a link as long as /deliverables takes.
LONGEST_NAME = "中" * 200
REALISTIC = ("中建八局第三建设有限公司南京江北新区国际健康城项目党支部", "中建八局第三建设有限公司")
LINK = "https://www.bilibili.com/video/BV1xx411c7mD?share_source=copy_web&vd_source=" + "a" * 1900
WRITE_UPS = (
    Content("text", text="经" * 30_000),
    Content("document", None, "d", "u", "经" * 250 + ".docx", 20 * 2**20),
)
VIDEOS = (
    Content("link", text=LINK),
    Content("video", None, "v", "u", "视" * 250 + ".mp4", 2 * 2**30),
)


def _overview_page(names: tuple[str, str], write_up: Content, video: Content) -> dict:
    writeup_item, video_item, booklet_item = CAMPAIGN.deliverables
    now = datetime(2027, 12, 1, tzinfo=UTC)
    checklists = []
    for number in range(PAGE_SIZE):
        project = Pacesetter(number, f"P-{number}", names[0], 1, names[1])
        items = [
            {"item": writeup_item, "stored": Delivered(1, number, "experience", write_up, 1, now)},
            {"item": video_item, "stored": Delivered(2, number, "video", video, 1, now)},
            {
                "item": booklet_item,
                "stored": None,
                "booklet": Booklet(number, "draft", 9, None, now, 99),
            },
        ]
        checklists.append({"project": project, "items": items, "complete": False})
    return {
        "checklists": checklists,
        "total": 75,
        "page": 1,
        "pages": 8,
        "stage": CAMPAIGN.stage("consolidate"),
        "platform_of": platform,
        "download": 20,
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_a_page_of_the_overview_fits_one_message_with_the_longest_of_everything(locale):
    """A page button edits the overview in place, which carries one message: a second part
    was dropped, and the last pacesetters of the page with it."""
    msgs = Messages(CAMPAIGN.timezone)

    def render(context: dict) -> list[str]:
        return msgs.texts(locale, "deliverables/overview", campaign=CAMPAIGN, **context)

    for write_up in WRITE_UPS:
        for video in VIDEOS:
            for names in ((LONGEST_NAME, LONGEST_NAME), REALISTIC):
                parts = render(fitting(render, _overview_page(names, write_up, video)))
                assert len(parts) == 1, (write_up.kind, video.kind, len(parts[0]))
                assert parts[0].count("○ <b>") == PAGE_SIZE  # each one's chapter line: none lost
                assert LINK[:30] not in parts[0]  # the platform named, the link on the lead's
                if names == REALISTIC:  # names of a realistic length are shown whole
                    assert parts[0].count(REALISTIC[0]) == PAGE_SIZE
