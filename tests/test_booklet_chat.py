"""The booklet wired to the record: each pacesetter's deliverables (the write-up's typed text,
the video's link, the lead's approval) read from storage.deliverables into its chapter, in the
Word file and the HTML page that `pacesetter booklet` writes; /booklet, an admin's build in the
chat, each lead's chapter a draft on /deliverables. Through the sandbox."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import docx

from bot import booklet, cli
from bot.booklet_sources import CHAPTERS_DIR, deliverables_loader
from bot.campaign_load import load_campaign
from bot.media import folder_of
from handlers import booklet as booklet_chat
from handlers import deliverables as deliverables_flow
from handlers.booklet import BUTTONS
from messages.render import Messages
from storage import deliverables, pacesetters, people
from tests.conftest import World, taps_at_once, until
from tests.test_booklet import NOW, record  # noqa: F401  (the fixture: a small record)
from tests.test_deliverables import AFTER, CONSOLIDATING, SEND_WRITEUP, _consolidating


async def test_a_chapter_holds_the_typed_write_up_the_video_link_and_the_approval(
    record,  # noqa: F811
    tmp_path: Path,
    monkeypatch,
    capsys,
):
    db, _ = record
    async with db.transaction(NOW) as tx:
        text = deliverables.Content("text", text="三个坚持：支部建在项目上。")
        await deliverables.submit(tx, 10, "experience", text, by=1)
        link = deliverables.Content("link", text="https://v.qq.com/x/page/b1.html")
        await deliverables.submit(tx, 10, "video", link, by=1)
        draft = await deliverables.add_draft(tx, 10, str(tmp_path / "draft.docx"))
        await deliverables.judge(tx, draft, "approved", by=1)
        # Another pacesetter's write-up stays out of this one's chapter.
        other = deliverables.Content("text", text="别的项目的经验。")
        await deliverables.submit(tx, 20, "experience", other, by=1)
    monkeypatch.setenv("PACESETTER_DB", str(tmp_path / "booklet.db"))
    out = tmp_path / "cli"
    assert await asyncio.to_thread(cli.main, ["booklet", str(out), "--project", "P-U2-01"]) == 0
    capsys.readouterr()
    texts = [p.text for p in docx.Document(str(out / "创建成果集.docx")).paragraphs]
    at = texts.index("可复制的典型经验")
    assert texts[at + 1] == "三个坚持：支部建在项目上。"
    assert "标杆创建微视频" in texts and "https://v.qq.com/x/page/b1.html" in texts
    assert "支部书记（申报联系人）已确认本章。" in texts
    assert "别的项目的经验。" not in texts
    page = (out / "创建成果集.html").read_text(encoding="utf-8")
    assert "三个坚持：支部建在项目上。" in page and "https://v.qq.com/x/page/b1.html" in page
    assert "支部书记（申报联系人）已确认本章。" in page and "别的项目的经验。" not in page
    # A video from a phone's camera comes without a name: the chapter gives its size, no id.
    async with db.transaction(NOW) as tx:
        video = deliverables.Content("video", file_id="v", file_unique_id="AgAD-v", size=3 * 2**20)
        await deliverables.submit(tx, 20, "video", video, by=1)
    campaign = load_campaign()
    load = deliverables_loader(campaign, Messages(campaign.timezone), "zh-Hans")
    notes = [part.note for part in (await load(db, [20]))[20].parts]
    assert "以文件提交（3.0 MB，发送时未附文件名）" in notes


async def test_an_admin_builds_the_booklet_and_the_lead_approves_their_chapter(world: World):
    lena, mei, _, _, project_id = await _consolidating(world)
    admin = world.admin
    await mei.send("/booklet")
    refused = mei.last_reply
    assert refused.text == "Only the campaign admins build the results booklet."
    await admin.send("/booklet")
    screen = admin.last_reply
    assert "Build the results booklet for 1 pacesetter?" in screen.text
    # A forged tap by a member, and a tap naming another count, build nothing.
    forged = await world.answer_to(mei, refused, BUTTONS.data("build", 1))
    assert forged and not (await deliverables.booklets(world.db, [project_id]))[project_id].path
    stale = await world.answer_to(admin, screen, BUTTONS.data("build", 2))
    assert stale and not (await deliverables.booklets(world.db, [project_id]))[project_id].path
    start, before = len(world.sb.requests), len(admin.replies())
    await admin.tap("✅ Build it", screen)
    called = [method for method, _ in world.sb.requests[start:]]
    edits = called.count("editMessageText")
    assert 2 <= edits <= 4  # building, a step or two, the outcome: never one per picture
    assert called.index("editMessageText") < called.index("sendDocument")
    sent = [m for m in admin.replies()[before:] if m.kind == "document"]
    names = [world.sb.files.get(m.file_id).file_name for m in sent]
    assert names == ["Results booklet.docx", "Results booklet.zip"]
    archive = zipfile.ZipFile(io.BytesIO(world.sb.files.get(sent[1].file_id).data))
    assert "Results booklet.html" in archive.namelist()
    words = docx.Document(io.BytesIO(world.sb.files.get(sent[0].file_id).data))
    assert "Project U1-01 (P-U1-01)" in [p.text for p in words.paragraphs]
    assert screen.text.startswith("📖 The results booklet is ready")  # the progress, edited
    assert "1 chapter was sent to its lead to approve." in screen.text
    # The lead is told once, with the way to the checklist; 📄 sends the chapter, 👍 approves.
    await world.sb.settle()
    told = [m for m in world.sb.messages(lena.id) if "chapter of Project U1-01 is ready" in m.text]
    assert len(told) == 1
    # She is typing her write-up when it comes: 📋 leads to her checklist and leaves it be.
    await lena.send("/deliverables")
    await lena.tap(SEND_WRITEUP)
    await lena.send("Half of it.")
    await lena.tap("📋 The deliverables", told[0])
    checklist = told[0]
    assert "the draft of the chapter waits for approval" in checklist.text
    await lena.tap("📄 Open my chapter", message=checklist)
    chapter = lena.last_reply
    assert chapter.kind == "document"
    data = world.sb.files.get(chapter.file_id).data
    headings = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert "Project U1-01 (P-U1-01)" in headings  # in Lena's language, not the campaign's
    await lena.tap("👍 Approve the chapter", message=checklist)
    booklet = (await deliverables.booklets(world.db, [project_id]))[project_id]
    assert booklet.state == deliverables.APPROVED
    await lena.send("The other half.")
    await lena.tap("✓ Done")
    assert "Half of it.\n\nThe other half." in lena.last_reply.text  # the preview: both
    # The consolidation's closing report names the campaign-wide booklet's files.
    world.clock.now = AFTER
    for _ in range(3):
        await world.remind()
    [summary] = [m for m in admin.replies() if "closed on 31 Dec" in m.text]
    assert "The results booklet:" in summary.text
    assert "/booklet/all/Results booklet.docx》" in summary.text
    assert "/booklet/all/Results booklet.html》" in summary.text


async def test_files_over_the_send_limit_are_named_on_the_server(world: World, monkeypatch):
    await _consolidating(world)
    admin = world.admin
    await admin.send("/booklet")
    screen = admin.last_reply
    monkeypatch.setattr(booklet_chat, "SEND_LIMIT", 100)  # bytes: every file is over it
    before = len(admin.replies())
    await admin.tap("✅ Build it", screen)
    assert not [m for m in admin.replies()[before:] if m.kind == "document"]
    assert screen.text.count("Too big for Telegram (over 50 MB): it is on the server at") == 2
    assert "/booklet/all/Results booklet.docx" in screen.text
    assert "/booklet/all/Results booklet.zip" in screen.text


async def test_each_lead_reads_their_chapter_in_their_language_from_one_read_a_language(
    world: World, monkeypatch
):
    lena, _, leo, _, project_id = await _consolidating(world)
    wen = await world.join("Wen", "lead", "P-U1-01", language_code="zh-hant")
    qiang = await world.join("Qiang", "lead", "P-U1-02", language_code="zh-hans")
    other_id = await world.db.fetch_value("SELECT id FROM projects WHERE code = 'P-U1-02'")
    admin = world.admin
    async with world.db.transaction(world.clock.now) as tx:
        await pacesetters.select(tx, [project_id, other_id], by=admin.id)
        await people.set_locale(tx, admin.id, "zh-Hans")
    reads = []
    load = booklet.load

    async def counted(*args, **kwargs):
        reads.append((args[4], kwargs["project_ids"]))
        return await load(*args, **kwargs)

    monkeypatch.setattr(booklet, "load", counted)
    await admin.send("/booklet")
    before = len(admin.replies())
    await world.answer_to(admin, admin.last_reply, BUTTONS.data("build", 2))
    # The admin's booklet in the admin's language, read once for every pacesetter, Qiang's
    # chapter taken from it; one more read per other language: English for Lena's and Leo's.
    sent = [m for m in admin.replies()[before:] if m.kind == "document"]
    names = [world.sb.files.get(m.file_id).file_name for m in sent]
    assert names == ["创建成果集.docx", "创建成果集.zip"]
    words = [
        p.text
        for p in docx.Document(io.BytesIO(world.sb.files.get(sent[0].file_id).data)).paragraphs
    ]
    assert "目录" in words and "Contents" not in words
    assert sorted(locale for locale, _ in reads) == ["en", "zh-Hans", "zh-Hant"]
    read = dict(reads)
    assert read["zh-Hans"] is None  # every pacesetter: the campaign-wide booklet
    assert sorted(read["en"]) == sorted([project_id, other_id]) and read["zh-Hant"] == [project_id]
    chapters = folder_of(world.settings.db_path) / "booklet" / CHAPTERS_DIR
    built = sorted(p.relative_to(chapters).as_posix() for p in chapters.rglob("*") if p.is_file())
    assert built == [
        "P-U1-01/en/Results booklet.docx",
        "P-U1-01/zh-Hant/創建成果集.docx",
        "P-U1-02/en/Results booklet.docx",
        "P-U1-02/zh-Hans/创建成果集.docx",
    ]  # no HTML page for a chapter: a lead approves the Word file

    def notices(lead, text: str) -> list:
        return [m for m in world.sb.messages(lead.id) if text in m.text]

    async def opened(lead, notice) -> list[str]:
        await world.answer_to(lead, notice, deliverables_flow.BUTTONS.data("chapter", project_id))
        chapter = lead.last_reply
        assert chapter.kind == "document"
        data = world.sb.files.get(chapter.file_id).data
        return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]

    await world.sb.settle()
    [to_lena] = notices(lena, "chapter of Project U1-01 is ready")  # each lead told once
    [to_wen] = notices(wen, "創建成果集中Project U1-01的篇章已生成")
    assert len(notices(leo, "chapter of Project U1-02 is ready")) == 1
    assert len(notices(qiang, "创建成果集中Project U1-02的篇章已生成")) == 1
    assert "Contents" in await opened(lena, to_lena)
    assert "目錄" in await opened(wen, to_wen)
    first = (await deliverables.booklets(world.db, [project_id]))[project_id].draft_id
    # Wen reads English now: the chapter says the same, so a rebuild keeps its draft and tells
    # nobody, and the draft's folder holds no Traditional copy any more.
    async with world.db.transaction(world.clock.now) as tx:
        await people.set_locale(tx, wen.id, "en")
    await admin.send("/booklet")
    await world.answer_to(admin, admin.last_reply, BUTTONS.data("build", 2))
    assert (await deliverables.booklets(world.db, [project_id]))[project_id].draft_id == first
    assert sorted(p.name for p in (chapters / "P-U1-01").iterdir()) == ["en"]
    await world.sb.settle()
    assert len(notices(lena, "chapter of Project U1-01 is ready")) == 1
    assert "Contents" in await opened(wen, to_wen)


BUSY = "The results booklet is being built already: wait for it to finish, then try again."
READY = "chapter of Project U1-01 is ready"


async def test_two_taps_at_once_build_once_and_a_tap_while_it_builds_is_told_to_wait(
    world: World, monkeypatch
):
    fang = world.sb.user("Fang")  # a second admin, in another chat
    world.extra_admins.add(fang.id)
    await world.restart()
    lena, _, _, _, project_id = await _consolidating(world)
    admin = world.admin
    await fang.send("/booklet")
    await admin.send("/booklet")
    screen = admin.last_reply
    release, write = asyncio.Event(), booklet.write

    async def held(*args, **kwargs):
        await asyncio.wait_for(release.wait(), 20)  # until the taps are answered (bounded)
        return await write(*args, **kwargs)

    monkeypatch.setattr(booklet, "write", held)
    before = len(admin.replies())
    try:
        answers = await taps_at_once(world.sb, admin, screen, "✅ Build it", fang)
        await admin.send("/booklet", wait=False)
        await until(lambda: admin.last_reply.text == BUSY, what="/booklet told to wait")
    finally:
        release.set()
    await world.sb.settle()
    assert sorted(answers[:2], key=str) == sorted([None, BUSY], key=str)
    assert answers[2] == BUSY  # another admin's tap waits too
    documents = [m for m in admin.replies()[before:] if m.kind == "document"]
    assert len(documents) == 2  # the Word file and the web page, once
    assert not [m for m in fang.replies() if m.kind == "document"]
    drafts = "SELECT count(*) FROM booklet_drafts WHERE project_id = ?"
    assert await world.db.fetch_value(drafts, (project_id,)) == 1
    assert len([m for m in world.sb.messages(lena.id) if READY in m.text]) == 1


async def _built(world: World) -> str:
    """The admin's build for the one pacesetter, its notices sent; the outcome's text."""
    await world.admin.send("/booklet")
    screen = world.admin.last_reply
    await world.answer_to(world.admin, screen, BUTTONS.data("build", 1))
    await world.sb.settle()
    return screen.text


async def test_a_rebuild_keeps_an_unchanged_chapter_and_its_approval(world: World):
    lena, _, _, _, project_id = await _consolidating(world)

    async def chapter() -> deliverables.Booklet:
        return (await deliverables.booklets(world.db, [project_id]))[project_id]

    def told() -> int:
        return len([m for m in world.sb.messages(lena.id) if READY in m.text])

    await _built(world)
    first = await chapter()
    assert first.fingerprint and told() == 1
    async with world.db.transaction(world.clock.now) as tx:
        await deliverables.judge(tx, first.draft_id, "approved", by=lena.id)
    # Nothing changed: the approved draft stands, and nobody is asked again.
    done = await _built(world)
    assert "0 chapters were sent" in done and "1 chapter is unchanged: its draft stays" in done
    again = await chapter()
    assert (again.draft_id, again.state, told()) == (first.draft_id, deliverables.APPROVED, 1)
    # A changed write-up is a new draft, waiting for the lead, who is told.
    async with world.db.transaction(world.clock.now) as tx:
        text = deliverables.Content("text", text="三个坚持：支部建在项目上。")
        await deliverables.submit(tx, project_id, "experience", text, by=lena.id)
    done = await _built(world)
    assert "1 chapter was sent to its lead to approve." in done and "unchanged" not in done
    changed = await chapter()
    assert changed.draft_id > first.draft_id and changed.fingerprint != first.fingerprint
    assert (changed.state, told()) == (deliverables.DRAFT, 2)
    # Corrections asked on a draft: the admin's next build sends it again, as a new draft.
    async with world.db.transaction(world.clock.now) as tx:
        await deliverables.judge(tx, changed.draft_id, "corrections", by=lena.id, comment="改")
    await _built(world)
    resent = await chapter()
    assert resent.draft_id > changed.draft_id and resent.fingerprint == changed.fingerprint
    assert (resent.corrections, told()) == (0, 3)


async def test_outside_the_consolidation_a_build_records_no_draft_and_tells_nobody(
    world: World,
):
    lena, _, _, _, project_id = await _consolidating(world)
    world.clock.now = CONSOLIDATING - timedelta(days=7)  # before the stage opens (16 Nov)
    assert "Consolidation is not open" in await _built(world)
    assert (await deliverables.booklets(world.db, [project_id]))[project_id].draft_id is None
    world.clock.now = CONSOLIDATING
    await _built(world)
    draft = (await deliverables.booklets(world.db, [project_id]))[project_id].draft_id
    assert draft is not None
    world.clock.now = AFTER
    async with world.db.transaction(world.clock.now) as tx:  # a change the lead can't approve
        text = deliverables.Content("text", text="三个坚持：支部建在项目上。")
        await deliverables.submit(tx, project_id, "experience", text, by=lena.id)
    before = len(world.admin.replies())
    done = await _built(world)
    assert "Consolidation</b> is not open" not in done  # the text, not its HTML
    assert "Consolidation is not open, so the leads could not approve a chapter now" in done
    sent = [m for m in world.admin.replies()[before:] if m.kind == "document"]
    assert len(sent) == 2  # the campaign-wide files, still
    drafts = "SELECT count(*) FROM booklet_drafts WHERE project_id = ?"
    assert await world.db.fetch_value(drafts, (project_id,)) == 1
    assert (await deliverables.booklets(world.db, [project_id]))[project_id].draft_id == draft
    assert len([m for m in world.sb.messages(lena.id) if READY in m.text]) == 1


def test_the_progress_names_the_step_under_way_never_step_nought():
    msgs = Messages("Asia/Shanghai")
    shown = [msgs.text("en", "booklet_chat/building", done=done, steps=3) for done in (0, 2, 3)]
    assert [text.rsplit(" ", 3)[-3] for text in shown] == ["1", "3", "3"]
    assert msgs.text("zh-Hans", "booklet_chat/building", done=0, steps=3).startswith("📖")
