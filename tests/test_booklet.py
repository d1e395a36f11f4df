"""The results booklet (创建成果集) built from the record: a small campaign's two pacesetters
with reports, photos (one without a local copy), highlights, final items and an application,
read into one model and written as a Word file and an HTML page; opened again and checked."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from bot import booklet, cli
from bot.booklet_sources import chapter_dir, chapter_file, prune
from bot.campaign_load import load_campaign
from bot.sandbox.files import make_png
from messages.render import Messages
from storage import applications, finals, highlights, pacesetters, reports, reviews
from storage import media as media_store
from storage.db import Database

NOW = datetime(2027, 11, 20, 2, 0, tzinfo=UTC)
HOSTILE = '<b>"台账" & 整改</b>'
# Pasted from Word and a phone: a tab, a soft line break, a bell; XML holds none of them raw.
PASTED = "进度\t按月\x0b报告\x07。"


def _file_name(name: str) -> str | None:
    # "~…": sent as a photo, which Telegram gives no file name
    return None if name.startswith("~") else f"{name}.jpg"


async def _report(tx, project_id: int, day: date, text: str, photos: list[str]) -> int:
    draft = await reports.start_draft(tx, 1, project_id, media_done=True)
    await reports.update(
        tx,
        draft.id,
        activity="branch_meeting",
        held_on=day,
        participants=18,
        description=text,
        criterion="ideology",
    )
    await reports.add_media(
        tx,
        draft.id,
        [
            reports.Media("photo", f"fid-{name}", name, _file_name(name), 100, "", 10 + i)
            for i, name in enumerate(photos)
        ],
    )
    await reports.save(tx, draft.id, by=1)
    return draft.id


@pytest.fixture
async def record(tmp_path: Path):
    """Units U1 and U2 (U2 written first), three projects; P-U2-01 and P-U1-02 selected.
    P-U1-02: two reports (four photos, two with local copies; one sent as a photo, nameless),
    one a highlight; an application with text and a budget; a typed work summary and a
    results report as a file.
    P-U2-01: one report with one stored photo. Three reviewers scored both."""
    db = await Database.open(tmp_path / "booklet.db")
    media_root = tmp_path / "media"
    stamp = NOW.isoformat()
    async with db.transaction(NOW) as tx:
        await tx.execute_many(
            "INSERT INTO people (user_id, first_name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [(n, f"P{n}", stamp, stamp) for n in (1, 2, 3, 4)],
        )
        await tx.execute_many(
            "INSERT INTO units (id, code, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [(2, "U2", "二公司", stamp, stamp), (1, "U1", "一公司", stamp, stamp)],
        )
        await tx.execute_many(
            "INSERT INTO projects (id, unit_id, code, name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (10, 2, "P-U2-01", "跨江大桥项目", stamp, stamp),
                (20, 1, "P-U1-02", "城市隧道项目", stamp, stamp),
                (30, 1, "P-U1-01", "未入选项目", stamp, stamp),
            ],
        )
        for project_id in (10, 20, 30):
            await tx.execute(
                "INSERT INTO applications (project_id, status, created_by, created_at,"
                " updated_at) VALUES (?, 'accepted', 1, ?, ?)",
                (project_id, stamp, stamp),
            )
        application = await applications.of_project(tx, 20)
        await tx.execute(
            "INSERT INTO answers (application_id, section, state, amount, updated_at)"
            " VALUES (?, 'experience', 'done', NULL, ?), (?, 'budget', 'done', '50000', ?)",
            (application.id, stamp, application.id, stamp),
        )
        await tx.execute(
            "INSERT INTO answer_parts (application_id, section, author_id, message_id, kind,"
            " text, created_at) VALUES (?, 'experience', 1, 1, 'text', ?, ?)",
            (application.id, f"支部建在项目上。\n{HOSTILE}\n{PASTED}", stamp),
        )
        first = await _report(tx, 20, date(2027, 5, 4), "学习党的二十大精神。", ["a1", "a2"])
        await _report(tx, 20, date(2027, 3, 1), "支部党员大会。", ["gone", "~lost"])
        await _report(tx, 10, date(2027, 4, 1), "桥上党旗红。", ["b1"])
        await _report(tx, 30, date(2027, 4, 2), "不在成果集里。", [])
        await highlights.mark(tx, first, by=1)
        for name, colour, size in (("a1", (200, 0, 0), (80, 40)), ("a2", (0, 150, 0), (30, 90))):
            _stored(media_root, name, make_png(*size, rgb=colour))
            await media_store.stored(tx, name, f"ph/{name}.png", 10)
        _stored(media_root, "b1", make_png(40, 40, rgb=(0, 0, 200)))
        await media_store.stored(tx, "b1", "ph/b1.png", 10)
        await finals.submit(
            tx, 20, "summary", finals.Content("text", text="一年来的创建工作。"), by=1
        )
        results = finals.Content("document", None, "fd", "fu", "成果报告.pdf", 9, "application/pdf")
        await finals.submit(tx, 20, "results", results, by=1)
        await pacesetters.select(tx, [10, 20], by=1)
    await _scored(db)
    yield db, media_root
    await db.close()


def _stored(media_root: Path, name: str, data: bytes) -> None:
    (media_root / "ph").mkdir(parents=True, exist_ok=True)
    (media_root / "ph" / f"{name}.png").write_bytes(data)


async def _scored(db: Database) -> None:
    criteria = [c.key for c in load_campaign().criteria]
    async with db.transaction(NOW) as tx:
        await reviews.assign(tx, [(r, p) for r in (2, 3, 4) for p in (10, 20, 30)], by=None)
    for reviewer in (2, 3, 4):
        for project_id, value in ((10, 7), (20, 9), (30, 5)):
            review = await reviews.of(db, reviewer, project_id)
            async with db.transaction(NOW) as tx:
                scores = dict.fromkeys(criteria, value)
                await reviews.submit(tx, review.id, criteria, by=reviewer, scores=scores)


async def _build(record, tmp_path: Path, *, publish: bool = False, **more):
    db, media_root = record
    campaign = load_campaign()
    consolidation = replace(campaign.consolidation, publish_scores=publish)
    campaign = replace(campaign, consolidation=consolidation)
    steps = []
    files = await booklet.build(
        db,
        campaign,
        tmp_path / "out",
        msgs=Messages(campaign.timezone),
        media_root=media_root,
        today=NOW,
        locale="zh-Hans",
        progress=lambda step, done, total: steps.append((step, done, total)),
        **more,
    )
    assert steps == [("read", 1, 3), ("docx", 2, 3), ("html", 3, 3)]
    return files


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chapters: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and attrs.get("class") == "chapter":
            self.chapters.append(attrs["id"])
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "a":
            self.links.append(attrs["href"])

    def handle_data(self, data):
        self.text.append(data)


def _paragraphs(document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs]


async def test_word_file_has_chapters_in_unit_order_photos_fonts_and_contents(record, tmp_path):
    files = await _build(record, tmp_path)
    assert files.docx.name == "创建成果集.docx"
    document = docx.Document(str(files.docx))
    paragraphs = _paragraphs(document)
    assert [text for style, text in paragraphs if style == "Heading 1"] == [
        "城市隧道项目（P-U1-02）",
        "跨江大桥项目（P-U2-01）",
    ]
    parts = [text for style, text in paragraphs if style == "Heading 2"]
    assert parts[:4] == ["申报书", "活动报告", "亮点", "创建工作总结和成果报告"]
    assert "评分" not in parts
    texts = [text for _, text in paragraphs]
    assert "单位：一公司（U1）" in texts
    assert "基层党建标杆创建活动创建成果集" in texts
    assert "支部建在项目上。" in texts and HOSTILE in texts  # escaped, then read back whole
    assert "进度 按月" in texts and "报告。" in texts  # the soft break made a line of its own
    assert "50,000元" in texts
    assert "一年来的创建工作。" in texts and "以文件提交：《成果报告.pdf》" in texts
    assert "照片未保存到本地：《gone.jpg》" in texts
    assert "本报告第2张照片未保存到本地" in texts  # sent as a photo: named by its place
    assert not [text for text in texts if "~lost" in text]  # never by Telegram's id for it
    assert "不在成果集里。" not in texts
    # The timeline by day: the March meeting first; the May one is also the highlight.
    entries = [text for style, text in paragraphs if style == "Entry"]
    assert entries[0].startswith("2027年3月1日、支部党员大会")
    assert entries[1].startswith("2027年5月4日") and entries[2] == entries[1]
    # Photos: a1, a2 on the timeline and again among the highlights, b1: five pictures.
    assert len(document.inline_shapes) == 5
    width = max(shape.width for shape in document.inline_shapes)
    assert width == docx.shared.Mm(156)  # the page's text width
    assert all(shape.width <= width for shape in document.inline_shapes)
    assert next(text for style, text in paragraphs if style == "Caption").startswith("2027年5月4日")
    # East Asian fonts in the styles; a TOC field Word updates on open.
    for name, face in (("Normal", "仿宋"), ("Heading 1", "黑体"), ("Title", "宋体")):
        fonts = document.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == face
    body = document.element.body.xml
    assert 'TOC \\o "1-2"' in body
    update = document.settings.element.find(qn("w:updateFields"))
    assert update is not None and update.get(qn("w:val")) == "true"
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


async def test_html_page_has_chapters_resolvable_images_and_the_missing_photo_named(
    record, tmp_path
):
    files = await _build(record, tmp_path)
    page_text = files.html.read_text(encoding="utf-8")
    page = _Page()
    page.feed(page_text)
    assert page.chapters == ["p-20", "p-10"]  # P-U1-02, P-U2-01: by id, which codes can't clash
    assert page.links == ["#p-20", "#p-10"]
    assert len(page.images) == 5
    for src in page.images:
        assert src.startswith("data:") or (files.html.parent / src).is_file(), src
    assert len(set(page.images)) == 3  # each photo once in images/, shown where it belongs
    text = "".join(page.text)
    assert "照片未保存到本地：《gone.jpg》" in text and "本报告第2张照片未保存到本地" in text
    assert HOSTILE in text and HOSTILE not in page_text  # escaped in the page
    assert "page-break-before: always" in page_text and '"Noto Serif CJK SC"' in page_text
    assert "评分" not in text and "radar" not in page_text.split("</style>")[1]


async def test_scores_and_radar_only_when_the_campaign_publishes_them(record, tmp_path):
    files = await _build(record, tmp_path, publish=True)
    document = docx.Document(str(files.docx))
    paragraphs = _paragraphs(document)
    assert [text for style, text in paragraphs if style == "Heading 2"].count("评分") == 2
    assert len(document.inline_shapes) == 5 + 2  # the two radars
    ids = [s._inline.docPr.id for s in document.inline_shapes]
    assert len(set(ids)) == len(ids)  # Word wants each drawing's id once
    for shape in document.inline_shapes:  # each drawing's picture is in the file
        assert shape._inline.graphic.graphicData.pic.blipFill.blip.embed in document.part.rels
    texts = [text for _, text in paragraphs]
    at = texts.index("评分")  # P-U1-02's: 9 on every criterion from every reviewer
    assert texts[at + 3 : at + 5] == [
        "思想引领有力：9.00（满分10）",
        "工作机制有力：9.00（满分10）",
    ]
    assert texts[at + 9].startswith("加权总分：")
    page = _Page()
    page.feed(files.html.read_text(encoding="utf-8"))
    radars = [src for src in page.images if "radar" in src]
    assert len(radars) == 2 and all((files.html.parent / s).is_file() for s in radars)


async def test_a_leads_chapter_alone_and_the_deliverables_through_the_seam(record, tmp_path):
    async def handed_out(db, project_ids):
        assert list(project_ids) == [10]
        video = booklet.Part("标杆创建微视频", note="https://v.example.com/x")
        return {
            10: booklet.Deliverables((booklet.Part("可复制的典型经验", "三个坚持。"), video), True)
        }

    files = await _build(record, tmp_path, project_ids=[10, 30], deliverables=handed_out)
    document = docx.Document(str(files.docx))
    paragraphs = _paragraphs(document)
    assert [text for style, text in paragraphs if style == "Heading 1"] == [
        "跨江大桥项目（P-U2-01）"
    ]
    texts = [text for _, text in paragraphs]
    assert "三个坚持。" in texts and "https://v.example.com/x" in texts
    assert "支部书记（申报联系人）已确认本章。" in texts
    assert len(document.inline_shapes) == 1


async def test_pacesetter_booklet_writes_both_files_and_a_leads_chapter(
    record, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PACESETTER_DB", str(tmp_path / "booklet.db"))  # media/ beside it
    out = tmp_path / "cli"
    argv = ["booklet", str(out), "--project", "P-U1-02"]
    assert await asyncio.to_thread(cli.main, argv) == 0
    names = ["创建成果集.docx", "创建成果集.html"]
    assert capsys.readouterr().out.splitlines() == [str(out / name) for name in names]
    document = docx.Document(str(out / names[0]))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["城市隧道项目（P-U1-02）"]
    assert len(list((out / "images").iterdir())) == 2
    argv = ["booklet", str(out), "--project", "P-U1-01", "--lang", "zh-Hant"]
    assert await asyncio.to_thread(cli.main, argv) == 1  # selected it was not
    assert "P-U1-01 is not a pacesetter" in capsys.readouterr().err


async def test_a_chapter_written_from_one_read_of_every_pacesetter_is_that_chapter_alone(
    record, tmp_path
):
    db, media_root = record
    campaign = load_campaign()
    msgs = Messages(campaign.timezone)
    model = await booklet.load(db, campaign, media_root, msgs, "zh-Hant", today=NOW)
    [chapter] = [c for c in model.chapters if c.code == "P-U1-02"]
    path = tmp_path / "chapter" / "zh-Hant" / "創建成果集.docx"
    await booklet.write_chapter(model, chapter, path)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # the Word file only
    alone = await booklet.build(
        db,
        campaign,
        tmp_path / "alone",
        msgs=msgs,
        media_root=media_root,
        today=NOW,
        locale="zh-Hant",
        project_ids=[chapter.project_id],
    )
    written = _paragraphs(docx.Document(str(path)))
    assert written == _paragraphs(docx.Document(str(alone.docx)))  # as a read of it alone
    assert [text for style, text in written if style == "Heading 1"] == ["城市隧道项目（P-U1-02）"]
    assert "活動報告" in [text for style, text in written if style == "Heading 2"]  # zh-Hant
    assert len(docx.Document(str(path)).inline_shapes) == 4
    # Too big to send (the limit made tiny here): the same chapter, its photos left out.
    await booklet.write_chapter(model, chapter, path, limit=path.stat().st_size - 1)
    thin = _paragraphs(docx.Document(str(path)))
    assert len(docx.Document(str(path)).inline_shapes) == 0
    left_out = [text for _, text in thin if text.startswith("為便於發送，本稿未收入此報告的照片")]
    assert len(left_out) == 3  # once a report with photos: two on the timeline, one highlight
    outline = ("Heading 1", "Heading 2", "Heading 3", "Entry")  # the text is all still there
    assert [p for p in thin if p[0] in outline] == [p for p in written if p[0] in outline]


def test_a_leads_copy_of_a_chapter_is_in_their_language_else_the_campaigns_else_any(tmp_path):
    folder = tmp_path / "chapters" / "P-U1-01"
    for name in ("en/Results booklet.docx", "zh-Hans/创建成果集.docx", "old.html"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"docx")
    draft = str(folder)
    assert chapter_file(draft, "en", "zh-Hans") == folder / "en" / "Results booklet.docx"
    # Two codes that read alike once made safe for a folder's name keep their own folders.
    out = tmp_path / "booklet"
    assert chapter_dir(out, "P-U1-01") == out / "chapters" / "P-U1-01"
    assert chapter_dir(out, "P.1") != chapter_dir(out, "P_1")
    assert chapter_file(draft, "zh-Hant", "zh-Hans") == folder / "zh-Hans" / "创建成果集.docx"
    prune(folder, ["en"])  # a later build, for English readers only
    assert sorted(p.name for p in folder.iterdir()) == ["en"]
    assert chapter_file(draft, "zh-Hant", "zh-Hans") == folder / "en" / "Results booklet.docx"
    old = folder / "en" / "Results booklet.docx"  # a draft recorded as a file is that file
    assert chapter_file(str(old), "zh-Hant", "zh-Hans") == old
    assert chapter_file(str(tmp_path / "gone"), "en", "zh-Hans") is None


async def test_a_word_file_that_fails_half_way_leaves_the_last_one_whole(
    record, tmp_path, monkeypatch
):
    from bot import booklet_docx

    db, media_root = record
    campaign = load_campaign()
    model = await booklet.load(
        db, campaign, media_root, Messages(campaign.timezone), "zh-Hans", today=NOW
    )
    path = tmp_path / "创建成果集.docx"
    booklet_docx.write(model, path)
    before = path.read_bytes()
    package = booklet_docx._package

    def dies_half_way(body, parts, charts, target):
        package(body, parts, charts, target)
        target.write_bytes(target.read_bytes()[:1000])  # the disk filled, the process died…
        raise OSError("No space left on device")

    monkeypatch.setattr(booklet_docx, "_package", dies_half_way)
    with pytest.raises(OSError):
        booklet_docx.write(model, path)
    assert path.read_bytes() == before  # a lead's 📄 meanwhile sends the whole last one
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".part") == []
