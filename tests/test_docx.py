"""An application in Word: the template from the campaign, and a filled one read back."""

from __future__ import annotations

import asyncio
import io
import os
import threading
import zipfile
from decimal import Decimal

import docx
import pytest

from bot import docx_form, office
from bot.campaign_load import load_campaign
from bot.sandbox.files import make_png
from storage import applications, orgs
from tests.conftest import APPLY_OPEN, World, until
from tests.test_apply import lead_of, write_all

CAMPAIGN = load_campaign()
SECTIONS = CAMPAIGN.sections
TEXT_SECTIONS = [s for s in SECTIONS if s.kind == "text"]
BUDGET = next(s for s in SECTIONS if s.kind == "number")
FILES = next(s for s in SECTIONS if s.kind == "files")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _filled_template(template: bytes, answers: dict[str, str], pictures: int = 0) -> bytes:
    """The template as a lead fills it in Word: text typed under each heading it answers."""
    document = docx.Document(io.BytesIO(template))
    headings = [p for p in document.paragraphs if p.style.name == "Heading 1"]
    for section, heading in zip(SECTIONS, headings, strict=True):
        answer = answers.get(section.key)
        if answer is None:
            continue
        # A new paragraph right after the heading: python-docx inserts before, so go one on.
        following = heading._p.getnext()
        paragraph = document.add_paragraph(answer)
        following.addprevious(paragraph._p)
    for shade in range(pictures):
        document.add_picture(io.BytesIO(make_png(16, 16, 40 + shade * 50)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _rough(paragraphs: list[str], pictures: int = 0) -> bytes:
    """A document written without the template: its own title, numbering and notes."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for shade in range(pictures):  # different pictures: Word stores one copy of the same
        document.add_picture(io.BytesIO(make_png(12, 12, 10 + shade * 15)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_rough_document_is_matched_by_title_whatever_the_numbering():
    data = _rough(
        [
            "深中通道S08标项目党支部标杆创建申报书",
            "一、党建工作基础（500字以内）",
            "支部现有党员32名。",
            "第二部分 经验做法",
            "“党建+安全”融合。",
            "3. Achievements",
            "Two national awards.",
            "（十）经费预算",
            "总额：12.5万元，其中活动经费5万。",
            "佐证材料",
        ],
        pictures=2,
    )
    filled = docx_form.read(data, SECTIONS)
    assert filled.texts["foundation"] == "支部现有党员32名。"
    assert filled.texts["experience"] == "“党建+安全”融合。"
    assert filled.texts["achievements"] == "Two national awards."
    assert filled.amounts == {BUDGET.key: Decimal("125000")}
    assert len(filled.pictures) == 2 and filled.pictures[0].data.startswith(b"\x89PNG")
    assert [s.key for s in SECTIONS if filled.found(s)] == [
        "foundation",
        "experience",
        "achievements",
        BUDGET.key,
        FILES.key,
    ]


def test_tables_are_read_as_rows_and_a_long_paragraph_is_never_a_heading():
    document = docx.Document()
    document.add_paragraph("党建工作基础")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "指标", (0, 1): "数值", (1, 0): "党员", (1, 1): "32"}.items():
        table.cell(row, col).text = text
    document.add_paragraph("经验做法" + "，我们的经验做法" * 20)  # text that mentions a title
    out = io.BytesIO()
    document.save(out)
    filled = docx_form.read(out.getvalue(), SECTIONS)
    assert filled.texts["foundation"].splitlines()[:2] == ["指标 | 数值", "党员 | 32"]
    assert "experience" not in filled.texts


@pytest.mark.parametrize("data", [b"", b"plain text", b"PK\x03\x04broken zip", _rough([])[:200]])
def test_what_is_not_a_word_file_is_refused(data):
    with pytest.raises(docx_form.NotAWordFile):
        docx_form.read(data, SECTIONS)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("125000", Decimal("125000")),
        ("总额：12.5万元，其中活动经费5万。", Decimal("125000")),
        ("约需经费\n60,000 元", Decimal("60000")),
        ("待定", None),
    ],
)
def test_the_budget_is_read_as_a_number(text, amount):
    assert docx_form.read_amount(text) == amount


async def _answers(world: World, code: str = "P-U1-01"):
    project = await orgs.project_by_code(world.db, code)
    application = await applications.of_project(world.db, project.id)
    return application, await applications.answers(world.db, application.id)


async def test_a_word_application_round_trip_with_chinese_headings_and_a_picture(world: World):
    await world.import_orgs([("U1", 20)])
    sam = await world.join("Sam", "secretary", "U1")
    lena = await world.join("Lena", "lead", "P-U1-01", language_code="zh-hans")
    await lena.send("/apply")
    await lena.tap("📄 改用 Word 填写")
    form = lena.last_reply
    assert form.kind == "document" and form.raw["document"]["file_name"].endswith(".docx")
    assert "Project U1-01" in form.text
    answers = {s.key: f"{s.title.get('zh-Hans')}：我们的做法。" for s in TEXT_SECTIONS}
    answers[BUDGET.key] = "12.5万元"
    filled = _filled_template(world.sb.file_bytes(form.file_id), answers, pictures=1)
    await lena.send_document(filled, "申报书.docx", DOCX)
    replies = lena.replies()
    report = next(r for r in reversed(replies) if r.text.startswith("📄 已读取"))
    assert "11/11" in report.text and "125,000元" in report.text
    assert "1张图片" in report.text
    assert "申报书：Project U1-01" in lena.last_reply.text  # the preview, to check and submit
    application, stored = await _answers(world)
    assert stored["foundation"].text == "党建工作基础：我们的做法。"
    assert stored[BUDGET.key].amount == Decimal("125000")
    [picture] = stored[FILES.key].files
    assert picture.kind == "photo" and world.sb.file_bytes(picture.file_id).startswith(b"\x89PNG")
    await lena.tap("✅ 提交")
    assert (await applications.get(world.db, application.id)).status == "submitted"
    # The unit's secretary opens it and gets the picture that was in the document.
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    await sam.tap("📎 Files (1)")
    assert sam.last_reply.kind == "photo"
    assert sam.last_reply.file_id == picture.file_id


async def test_a_partial_document_keeps_what_the_chat_said_and_says_what_is_missing(world: World):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    await lena.send("Written in the chat first.")
    await lena.tap("✓ Done")
    data = _rough(["2、Experience and practices", "From Word.", "Budget", "to be decided"])
    await lena.send_document(data, "draft.docx", DOCX)
    report = next(r for r in reversed(lena.replies()) if r.text.startswith("📄 Read from"))
    assert "1 of 11 sections" in report.text
    assert "✓ 2. Experience and practices" in report.text
    assert "10. Budget: no amount I could read" in report.text
    assert "3. Achievements: not in the document" in report.text
    _, stored = await _answers(world)
    assert stored["foundation"].text == "Written in the chat first."  # kept
    assert stored["experience"].text == "From Word."
    assert BUDGET.key not in stored
    # Sent again, corrected: the section is replaced, not added to.
    await lena.send_document(_rough(["Experience and practices", "Better."]), "v2.docx", DOCX)
    _, stored = await _answers(world)
    assert stored["experience"].text == "Better."


async def test_word_files_that_are_not_applications_get_a_clear_answer(world: World):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    await lena.send_document(b"this is not a zip", "renamed.docx", DOCX)
    assert "couldn't open this as a Word document" in lena.last_reply.text
    await lena.send_document(_rough(["Minutes of the meeting", "Nothing else."]), "m.docx", DOCX)
    assert "found none of the application's section headings" in lena.last_reply.text
    assert lena.last_reply.button_data("📄 Fill in Word instead")
    _, stored = await _answers(world)
    assert stored == {}
    # At the supporting materials, a Word file without the headings is an attachment.
    for section in SECTIONS:
        if section.kind == "text":
            await lena.send("Short answer.")
            await lena.tap("✓ Done")
        elif section.kind == "number":
            await lena.send("50000")
    minutes = _rough(["Minutes of the meeting"])
    await lena.send_document(minutes, "minutes.docx", DOCX)
    _, stored = await _answers(world)
    assert [p.file_name for p in stored[FILES.key].files] == ["minutes.docx"]


async def test_after_submitting_or_after_the_deadline_a_word_file_changes_nothing(world: World):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    member = await world.join("Mo", "member", "P-U1-01")
    data = _rough(["Experience and practices", "From Word."])
    await member.send_document(data, "x.docx", DOCX)  # not a lead: not read as an application
    assert "Experience" not in "".join(r.text for r in member.replies()[-1:])
    world.clock.now = CAMPAIGN.stage("apply").deadline.replace(year=2027, month=2)
    await lena.send_document(data, "late.docx", DOCX)
    assert "deadline passed" in lena.last_reply.text
    assert await applications.of_project(world.db, 1) is None
    world.clock.now = APPLY_OPEN
    await write_all(lena)
    await lena.tap("Skip ▶")
    await lena.tap("✅ Submit")
    await lena.send_document(data, "after.docx", DOCX)
    assert "can't be changed" in lena.last_reply.text
    _, stored = await _answers(world)
    assert stored["experience"].text.startswith("Our experience")


async def test_many_pictures_come_back_as_albums_and_a_caption_edit_changes_no_section(
    world: World,
):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    data = _rough(["Experience and practices", "From Word.", "Supporting materials"], pictures=12)
    before = len(lena.replies())
    sent = await lena.send_document(data, "photos.docx", DOCX, caption="our application")
    albums = [m for m in lena.replies()[before:] if m.kind == "photo"]
    assert len(albums) == 12 and len({m.media_group_id for m in albums}) == 2
    assert albums[0].text.startswith("🖼 From your Word file")
    _, stored = await _answers(world)
    assert [p.file_id for p in stored[FILES.key].files] == [m.file_id for m in albums]
    await lena.edit(sent, "a new caption")
    _, after = await _answers(world)
    assert after["experience"].text == "From Word."


def test_line_breaks_inside_a_paragraph_keep_lines_apart():
    document = docx.Document()
    document.add_paragraph("Experience and practices")
    paragraph = document.add_paragraph("First line")
    paragraph.add_run().add_break()
    paragraph.add_run("second\tline")
    out = io.BytesIO()
    document.save(out)
    assert docx_form.read(out.getvalue(), SECTIONS).texts == {
        "experience": "First line\nsecond line"
    }


async def test_a_section_longer_than_its_limit_is_named_and_left_as_it_was(world: World):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    limit = next(s for s in SECTIONS if s.key == "experience").max_chars
    data = _rough(["Foundation of Party work", "Short.", "经验做法", "字" * (limit + 1)])
    await lena.send_document(data, "long.docx", DOCX)
    report = next(r for r in reversed(lena.replies()) if r.text.startswith("📄 Read from"))
    assert f"2. Experience and practices: longer than {limit} characters" in report.text
    assert "1 of 11 sections" in report.text
    _, stored = await _answers(world)
    assert stored["foundation"].text == "Short." and "experience" not in stored


# --- hostile Word files: refused from the zip's directory, before python-docx opens them -----


def _repacked(data: bytes, big: dict[str, int] | None = None, extra: int = 0) -> bytes:
    """`data` with each part named in `big` replaced by that many zero bytes (written in
    pieces, so the test never holds them) and `extra` tiny parts added."""
    big = big or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            if entry.filename not in big:
                target.writestr(entry.filename, source.read(entry.filename))
        for name, size in big.items():
            with target.open(name, "w", force_zip64=True) as part:
                for start in range(0, size, 2**20):
                    part.write(bytes(min(2**20, size - start)))
        for number in range(extra):
            target.writestr(f"customXml/extra{number}.xml", "<a/>")
    return out.getvalue()


def _media(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return next(n for n in archive.namelist() if n.startswith("word/media/"))


@pytest.mark.parametrize(
    ("hostile", "refusal"),
    [
        # The file: a small .docx whose picture is a huge run of zeros.
        (lambda d: _repacked(d, {_media(d): 60 * 2**20}), "unpacks to more than 50 MB"),
        (
            lambda d: _repacked(
                d, {_media(d): 40 * 2**20, "a.png": 40 * 2**20, "b.png": 40 * 2**20}
            ),
            "more than 100 MB in all",
        ),
        (lambda d: _repacked(d, {_media(d): 4 * 2**20}), "more than 200 times its packed size"),
        (lambda d: _repacked(d, extra=1001), "made of more than 1000 parts"),
        (
            lambda d: _repacked(d, {"word/document.xml": 12 * 2**20}),
            "text unpacks to more than 10 MB",
        ),
    ],
    ids=["one-part", "total", "ratio", "entries", "xml"],
)
async def test_a_word_file_that_unpacks_too_far_is_refused_unopened(world: World, hostile, refusal):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    data = hostile(_rough(["Experience and practices", "From Word."], pictures=1))
    assert len(data) < 2**20  # small to send: the bomb is in what it unpacks to
    await lena.send_document(data, "bomb.docx", DOCX)
    assert refusal in lena.last_reply.text
    assert "I did not open this Word file" in lena.last_reply.text
    _, stored = await _answers(world)
    assert stored == {}


def test_office_check_passes_a_genuine_20_mb_document_of_photos():
    # Photos (JPEG) don't pack: random bytes stand for them. 19 MB in 40 pictures.
    data = _rough(["Experience and practices", "From Word."], pictures=1)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            target.writestr(entry.filename, source.read(entry.filename))
        for number in range(40):
            target.writestr(f"word/media/photo{number}.jpeg", os.urandom(475 * 1024))
    assert office.check(out.getvalue()) is None
    assert office.check(b"not a zip") == office.Refusal("not_zip")
    assert office.check(data[: len(data) // 2]) == office.Refusal("not_zip")


@pytest.mark.parametrize("data", [b"PK\x03\x04broken zip", _rough([])[:200], _rough([])[:-10]])
async def test_a_damaged_word_file_gets_the_clear_answer(world: World, data):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    await lena.send_document(data, "damaged.docx", DOCX)
    assert "couldn't open this as a Word document" in lena.last_reply.text


async def test_others_are_answered_while_a_word_file_is_read(world: World, monkeypatch):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    released, order = threading.Event(), []
    read = docx_form.read

    def slow_read(data: bytes, sections):
        order.append("reading")
        # On the event loop this would hold every chat; the bound is only for a broken test,
        # longer than any wait below, so a slow machine can't reorder what is asserted.
        released.wait(timeout=60)
        order.append("read")
        return read(data, sections)

    monkeypatch.setattr(docx_form, "read", slow_read)
    data = _rough(["Experience and practices", "From Word."])
    sending = asyncio.create_task(lena.send_document(data, "draft.docx", DOCX))
    await until(lambda: order, what="the reading to start")
    bystander = world.sb.user("Bystander")
    await bystander.send("/help", wait=False)
    await until(lambda: bystander.last_reply is not None, what="the answer to /help")
    order.append("answered")
    released.set()
    await sending
    assert order == ["reading", "answered", "read"]
    _, stored = await _answers(world)
    assert stored["experience"].text == "From Word."


def _forged_version(data: bytes) -> bytes:
    """`data` with its first directory entry asking for a zip version none can read."""
    at = data.index(b"PK\x01\x02") + 6  # "version needed to extract"
    return data[:at] + bytes([200, 0]) + data[at + 2 :]


def test_a_forged_zip_directory_is_not_a_zip_we_open():
    data = _forged_version(_rough(["Experience and practices", "From Word."]))
    assert office.check(data) == office.Refusal("not_zip")
    with pytest.raises(docx_form.NotAWordFile):
        docx_form.read(data, SECTIONS)


# --- applications as offices write them (issue 17, point 1) ------------------------------------

FOUNDATION = "支部现有党员32名，其中预备党员2名。"


def _saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _cover(document, rows: list[list[str]]) -> None:
    """The header table a 申报表 opens with: label, value, label, value."""
    table = document.add_table(rows=len(rows), cols=4)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text


COVER = [
    ["单位", "中交某局", "项目党支部", "深中通道S08标项目党支部"],
    ["支部书记（申报联系人）", "张三", "联系电话", "13800000000"],
    ["党员人数", "32", "", ""],
]


def _table_form(pictures: int = 1) -> bytes:
    """A 申报表 as offices make it: a cover table, then the sections as a two-column table
    (title left, answer right, one title cell spanning two rows), a budget in 万元 and the
    recommending unit's row at the foot."""
    document = docx.Document()
    document.add_paragraph("深中通道S08标项目党支部党建标杆创建申报表")
    _cover(document, COVER)
    rows = [
        ("党建工作基础（500字以内）", [FOUNDATION, "支部委员会由5人组成。"]),
        ("经验做法", ["“党建+安全”融合。"]),
        ("", ["“党建+质量”攻关。"]),  # the title cell above spans this row too
        ("业绩成果", ["获评省级文明工地。"]),
        ("工作保障措施", ["支部书记负总责。"]),
        ("经费预算（万元）", ["12.5"]),
        ("佐证材料", []),
        ("推荐意见（盖章）", ["同意推荐。", "单位党委（盖章）", "2026年12月10日"]),
    ]
    table = document.add_table(rows=len(rows), cols=2)
    for r, (title, answer) in enumerate(rows):
        if title:
            table.cell(r, 0).text = title
        cell = table.cell(r, 1)
        for i, text in enumerate(answer):
            (cell.paragraphs[0] if i == 0 else cell.add_paragraph()).text = text
    table.cell(1, 0).merge(table.cell(2, 0))
    for shade in range(pictures):
        table.cell(6, 1).add_paragraph().add_run().add_picture(
            io.BytesIO(make_png(14, 14, 30 + shade * 40))
        )
    return _saved(document)


def test_a_form_with_a_number_column_is_read_by_its_title_column():
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    rows = [("序号", "项目", "内容"), ("1", "党建工作基础", FOUNDATION)]
    rows.append(("2", "经费预算（万元）", "6"))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    filled = docx_form.read(_saved(document), SECTIONS)
    assert filled.texts["foundation"] == FOUNDATION
    assert filled.amounts == {BUDGET.key: Decimal("60000")}


def _numbered(lines: list[tuple[str, bool]]) -> bytes:
    """Headings as plain paragraphs numbered 一、二、…, bold or not (True: bold)."""
    document = docx.Document()
    for text, bold in lines:
        document.add_paragraph().add_run(text).bold = bold
    return _saved(document)


PLAIN_NUMBERED = [
    ("深中通道S08标项目党支部党建标杆创建申报书", True),
    ("一、党建工作基础", True),
    (FOUNDATION, False),
    ("二、经验做法", True),
    # A long answer that begins with a section's words is text, not that section.
    ("工作目标明确是我们的经验，" + "支部每月对照目标检查进度，" * 6, False),
    ("三、业绩成果：获评省级文明工地。", True),
    ("四、总体思路", False),  # not bold: the numbering makes it a heading
    ("围绕“六个有力”建强支部。", False),
    ("九、工作保障", True),
    ("支部书记负总责。", False),
    ("十、经费预算：12.5万元", True),
    ("十一、佐证材料", True),
]


def test_a_two_column_form_is_read_by_its_title_cells():
    filled = docx_form.read(_table_form(), SECTIONS)
    assert filled.texts["foundation"] == FOUNDATION + "\n支部委员会由5人组成。"
    assert filled.texts["experience"] == "“党建+安全”融合。\n“党建+质量”攻关。"
    assert filled.texts["support"] == "支部书记负总责。"  # 工作保障措施: the title and a word more
    assert filled.amounts == {BUDGET.key: Decimal("125000")}  # 12.5 under （万元）
    assert filled.unsure == frozenset()
    assert len(filled.pictures) == 1
    # The cover table is no section, and the recommending unit's opinion is no answer.
    assert not any("张三" in text or "同意推荐" in text for text in filled.texts.values())


def test_plain_numbered_paragraphs_are_headings_with_the_answer_on_the_same_line():
    filled = docx_form.read(_numbered(PLAIN_NUMBERED), SECTIONS)
    assert filled.texts["foundation"] == FOUNDATION
    assert filled.texts["experience"].startswith("工作目标明确是我们的经验")
    assert "goals" not in filled.texts
    assert filled.texts["achievements"] == "获评省级文明工地。"
    assert filled.texts["approach"] == "围绕“六个有力”建强支部。"
    assert filled.texts["support"] == "支部书记负总责。"  # the budget is not appended to it
    assert filled.texts[BUDGET.key] == "12.5万元"
    assert filled.amounts == {BUDGET.key: Decimal("125000")}


@pytest.mark.parametrize(
    ("heading", "body", "amount", "sure"),
    [
        ("十、经费预算（万元）", "12.5", Decimal("125000"), True),
        ("经费预算（单位：千元）", "60", Decimal("60000"), True),
        ("经费预算（万元）", "125,000元", Decimal("125000"), True),  # the body's own unit wins
        (
            "十、经费预算",
            "第一季度1.5万元，第二季度1.5万元，第三季度1.5万元，第四季度1.5万元，合计6万元",
            Decimal("60000"),
            True,
        ),
        ("十、经费预算", "培训费2万元，活动经费3万元。", Decimal("20000"), False),
        ("十、经费预算", "12.5", Decimal("12.5"), False),  # 12.5 元: surely 万 was meant
        ("十、经费预算", "2亿元", Decimal("200000000"), False),
    ],
)
def test_the_budget_takes_its_unit_from_the_heading_and_prefers_the_total(
    heading, body, amount, sure
):
    filled = docx_form.read(_numbered([(heading, True), (body, False)]), SECTIONS)
    assert filled.amounts == {BUDGET.key: amount}
    assert (BUDGET.key not in filled.unsure) is sure


@pytest.mark.parametrize(
    "heading",
    ["十、资金预算", "十、資金預算", "十、經费預算", "Budget (yuan)", "10. 经费预算明细"],
)
def test_close_variants_of_a_title_are_that_section(heading):
    filled = docx_form.read(_numbered([(heading, True), ("6万元", False)]), SECTIONS)
    assert filled.amounts == {BUDGET.key: Decimal("60000")}


def test_a_word_a_title_begins_is_a_heading_only_when_it_looks_like_one():
    filled = docx_form.read(
        _numbered([("一、党建工作基础", True), ("工作保障有力", False), ("经费预算充足", False)]),
        SECTIONS,
    )
    assert filled.texts == {"foundation": "工作保障有力\n经费预算充足"}


def _chinese_template(box_cells: int) -> bytes:
    """The shape of the new Chinese 申报书 template (bot/docx_template.py), filled: a cover
    table, 一、二、 headings with grey hints, and the 推荐意见（盖章） box at the end."""
    document = docx.Document()
    document.add_paragraph().add_run("深中通道S08标项目党支部党建标杆创建申报书").bold = True
    _cover(document, COVER)
    for number, section in zip("一二三四五六七八九十", SECTIONS[:10], strict=True):
        document.add_paragraph().add_run(f"{number}、{section.title.get('zh-Hans')}").bold = True
        hint = document.add_paragraph().add_run(f"（填写说明：{section.hint.get('zh-Hans')}）")
        hint.font.color.rgb = docx.shared.RGBColor(0x80, 0x80, 0x80)
        answer = "12.5万元" if section.kind == "number" else f"{section.key}的答案。"
        document.add_paragraph(answer)
    box = document.add_table(rows=1, cols=box_cells)
    box.cell(0, 0).text = "推荐意见（盖章）"
    opinion = box.cell(0, box_cells - 1)
    for text in ("同意推荐，经费6万元由单位解决。", "单位党委（盖章）", "年  月  日"):
        opinion.add_paragraph(text)
    return _saved(document)


@pytest.mark.parametrize("box_cells", [1, 2])
def test_the_recommending_units_box_ends_the_last_section(box_cells):
    filled = docx_form.read(_chinese_template(box_cells), SECTIONS)
    assert sorted(filled.texts) == sorted(s.key for s in SECTIONS[:10])
    assert filled.texts["foundation"] == "foundation的答案。"
    assert filled.texts[BUDGET.key] == "12.5万元"
    assert filled.amounts == {BUDGET.key: Decimal("125000")} and not filled.unsure


async def test_a_table_form_sent_by_a_lead_fills_the_sections_and_keeps_its_picture(
    world: World,
):
    await world.import_orgs([("U1", 20)])
    lena = await world.join("Lena", "lead", "P-U1-01", language_code="zh-hans")
    await lena.send("/apply")
    await lena.send_document(_table_form(pictures=2), "申报表.docx", DOCX)
    report = next(r for r in reversed(lena.replies()) if r.text.startswith("📄 已读取"))
    assert "6/11" in report.text and "125,000元" in report.text
    assert "2张图片" in report.text
    _, stored = await _answers(world)
    assert stored["foundation"].text == FOUNDATION + "\n支部委员会由5人组成。"
    assert stored[BUDGET.key].amount == Decimal("125000")
    assert [p.kind for p in stored[FILES.key].files] == ["photo", "photo"]


async def test_a_plain_numbered_application_is_read_section_by_section(world: World):
    await world.import_orgs([("U1", 20)])
    lena = await world.join("Lena", "lead", "P-U1-01", language_code="zh-hans")
    await lena.send("/apply")
    await lena.send_document(_numbered(PLAIN_NUMBERED), "申报书.docx", DOCX)
    report = next(r for r in reversed(lena.replies()) if r.text.startswith("📄 已读取"))
    assert "✓ 10. 经费预算：125,000元" in report.text
    assert "✓ 9. 工作保障" in report.text
    assert "5. 创建方案：文件中没有这一部分" in report.text  # which were not found
    assert "11. 佐证材料：有标题，但下面没有内容" in report.text  # headed, nothing under it
    _, stored = await _answers(world)
    assert stored["support"].text == "支部书记负总责。"
    assert stored[BUDGET.key].amount == Decimal("125000")
    assert stored["achievements"].text == "获评省级文明工地。"


async def test_the_template_shape_is_read_without_its_cover_or_its_box(world: World):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    await lena.send_document(_chinese_template(2), "申报书.docx", DOCX)
    report = next(r for r in reversed(lena.replies()) if r.text.startswith("📄 Read from"))
    assert "10 of 11 sections" in report.text and "125,000 yuan" in report.text
    _, stored = await _answers(world)
    assert stored[BUDGET.key].amount == Decimal("125000")
    assert stored[BUDGET.key].text == "12.5万元"  # the box's words are no part of it
    assert stored["support"].text == "support的答案。"


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # how a .doc or .wps file begins


@pytest.mark.parametrize(
    ("filename", "mime_type"),
    [
        ("申报书.doc", "application/msword"),
        ("申报书.wps", "application/vnd.ms-works"),
        ("申报书", "application/wps-office.wps"),
        ("申报书.docx", DOCX),  # a .doc renamed
        ("scan", "application/octet-stream"),  # a name that says nothing: the bytes do
    ],
)
async def test_an_old_word_or_wps_file_is_asked_for_as_docx(world: World, filename, mime_type):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    await lena.send_document(OLE2, filename, mime_type)
    assert "an old Word (.doc) or WPS (.wps) file" in lena.last_reply.text
    assert "File → Save As → Word Document (.docx)" in lena.last_reply.text
    _, stored = await _answers(world)
    assert stored == {}


async def test_an_old_word_file_is_named_in_the_leads_language_and_taken_as_a_supporting_file(
    world: World,
):
    await world.import_orgs([("U1", 20)])
    lena = await world.join("Lena", "lead", "P-U1-01", language_code="zh-hans")
    await lena.send_document(OLE2, "申报书.doc", "application/msword")  # outside /apply too
    assert "《申报书.doc》" in lena.last_reply.text and "另存为" in lena.last_reply.text
    await lena.send("/apply")
    for section in SECTIONS:
        if section.kind == "text":
            await lena.send("简短的答案。")
            await lena.tap("✓ 完成")
        elif section.kind == "number":
            await lena.send("50000")
    await lena.send_document(OLE2, "会议记录.doc", "application/msword")
    _, stored = await _answers(world)
    assert [p.file_name for p in stored[FILES.key].files] == ["会议记录.doc"]


# --- an amount read with doubt is confirmed before it is stored --------------------------------


async def test_several_amounts_in_a_word_budget_are_confirmed_before_they_are_stored(
    world: World,
):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    lines = [("二、经验做法", True), ("From Word.", False), ("十、经费预算", True)]
    data = _numbered([*lines, ("培训费2万元，活动经费3万元。", False)])
    await lena.send_document(data, "draft.docx", DOCX)
    report = next(r for r in reversed(lena.replies()) if r.text.startswith("📄 Read from"))
    assert "10. Budget: read as 20,000 yuan; confirm it below." in report.text
    ask = lena.last_reply
    assert "I found several amounts for “Budget”" in ask.text and "20,000 yuan" in ask.text
    _, stored = await _answers(world)
    assert BUDGET.key not in stored  # not yet
    right = ask.button_data("✓ That's right")
    await lena.tap("✓ That's right")
    _, stored = await _answers(world)
    assert stored[BUDGET.key].amount == Decimal("20000")
    assert stored[BUDGET.key].text == "培训费2万元，活动经费3万元。"
    assert "Application: Project U1-01" in lena.last_reply.text  # the preview, as after a read
    await lena.tap_data(ask, right)  # a second tap stores nothing more
    assert (await _answers(world))[1][BUDGET.key].amount == Decimal("20000")


async def test_an_implausible_word_budget_may_be_typed_instead(world: World):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await lena.send("/apply")
    data = _numbered([("十、经费预算", True), ("12.5", False)])  # 12.5 元: 万 forgotten
    await lena.send_document(data, "draft.docx", DOCX)
    assert "which is less than 100 yuan" in lena.last_reply.text
    await lena.tap("✎ Type it instead")
    assert "Section 10 of 11: Budget" in lena.last_reply.text
    await lena.send("12.5万")
    _, stored = await _answers(world)
    assert stored[BUDGET.key].amount == Decimal("125000")


async def test_a_typed_budget_reads_a_breakdown_and_confirms_an_implausible_amount(world: World):
    await world.import_orgs([("U1", 20)])
    lena = await lead_of(world)
    await write_all(lena, budget="12.5")
    assert "which is less than 100 yuan" in lena.last_reply.text
    _, stored = await _answers(world)
    assert BUDGET.key not in stored
    await lena.tap("✓ That's right")
    _, stored = await _answers(world)
    assert stored[BUDGET.key].amount == Decimal("12.5")
    assert "Section 11 of 11" in lena.last_reply.text  # on to the next section
    await lena.tap("◀ Back")
    await lena.send("第一季度1.5万元……第四季度1.5万元，合计6万元")
    _, stored = await _answers(world)
    assert stored[BUDGET.key].amount == Decimal("60000")
    await lena.tap("◀ Back")
    await lena.send("about three people")  # no amount: asked again, as before
    assert "I couldn't read an amount" in lena.last_reply.text
