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


def test_the_template_has_every_section_as_a_heading_with_its_hint():
    data = docx_form.template(
        SECTIONS, "zh-Hans", title="申报书", guidance="说明", files_note="插图"
    )
    document = docx.Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{n}. {s.title.get('zh-Hans')}" for n, s in enumerate(SECTIONS, 1)]
    texts = [p.text for p in document.paragraphs]
    assert SECTIONS[0].hint.get("zh-Hans") in texts
    # Read back untouched, it answers nothing: the hints are guidance, not answers.
    assert docx_form.read(data, SECTIONS).texts == {}


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
