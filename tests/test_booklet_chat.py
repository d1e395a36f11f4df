"""The booklet wired to the record: each pacesetter's deliverables (the write-up's typed text,
the video's link, the lead's approval) read from storage.deliverables into its chapter, in the
Word file and the HTML page that `pacesetter booklet` writes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import docx

from bot import cli
from storage import deliverables
from tests.test_booklet import NOW, record  # noqa: F401  (the fixture: a small record)


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
