"""The application form as a Chinese 申报书: A4, the East Asian fonts and language in the
styles, sections numbered 一、二、…, a cover table and the 推荐意见 box; from the CLI, from
/help and /apply; filled in and read back."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Cm

from bot import docx_form, docx_template
from bot.campaign import Localized
from bot.campaign_load import load_campaign
from handlers.form_template import BUTTONS as TEMPLATE_BUTTONS
from messages.render import Messages
from tests.conftest import World

CAMPAIGN = load_campaign()
SECTIONS = CAMPAIGN.sections
MSGS = Messages(CAMPAIGN.timezone)
LANGUAGES = {"zh-Hans": "zh-CN", "zh-Hant": "zh-TW", "en": "zh-CN"}
# The East Asian typeface of the body, the headings and the title, as Word names them.
FACES = {
    "zh-Hans": ("仿宋", "黑体", "宋体"),
    "zh-Hant": ("標楷體", "微軟正黑體", "標楷體"),
    "en": ("宋体", "黑体", "宋体"),
}
NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一"]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _form(locale: str, sections=SECTIONS) -> bytes:
    return docx_template.build(sections, locale, docx_template.words(MSGS, locale, CAMPAIGN))


def _open(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def _mm(length) -> float:
    return round(length.mm, 1)  # Word keeps twentieths of a point


def _headings(document: Document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == docx_template.HEADING_STYLE]


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-Hant", "en"])
def test_the_form_is_a4_with_official_margins(locale: str):
    [section] = _open(_form(locale)).sections
    assert (_mm(section.page_width), _mm(section.page_height)) == (210, 297)  # not US Letter
    assert (_mm(section.top_margin), _mm(section.bottom_margin)) == (37, 35)
    assert (_mm(section.left_margin), _mm(section.right_margin)) == (28, 26)


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-Hant", "en"])
def test_the_styles_set_the_east_asian_font_and_language_and_no_theme_blue(locale: str):
    document = _open(_form(locale))
    body, heading, title = FACES[locale]
    for name, face in (("Normal", body), ("Heading 1", heading), ("Title", title)):
        rpr = document.styles[name].element.rPr
        fonts = rpr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == face, name
        # A theme font would win over the named one: none is left.
        assert not [key for key in fonts.attrib if key.endswith("Theme") or key.endswith("theme")]
        lang = rpr.find(qn("w:lang"))
        assert lang.get(qn("w:eastAsia")) == LANGUAGES[locale], name
        assert lang.get(qn("w:val")) == "en-US"
        color = rpr.find(qn("w:color"))
        assert color.get(qn("w:val")) == "000000" and color.get(qn("w:themeColor")) is None
    defaults = document.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert lang.get(qn("w:eastAsia")) == LANGUAGES[locale]
    theme_lang = document.settings.element.find(qn("w:themeFontLang"))
    assert theme_lang.get(qn("w:eastAsia")) == LANGUAGES[locale]  # python-docx's says ja-JP
    sizes = {name: document.styles[name].font.size.pt for name in ("Normal", "Title")}
    if locale != "en":
        assert sizes == {"Normal": 16, "Title": 22}  # 三号 body, 二号 title
        assert document.styles["Title"].paragraph_format.alignment == 1  # centred


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-Hant"])
def test_the_sections_are_numbered_in_chinese_in_the_campaigns_order(locale: str):
    document = _open(_form(locale))
    titles = [s.title.get(locale) for s in SECTIONS]
    assert _headings(document) == [f"{n}、{t}" for n, t in zip(NUMERALS, titles, strict=True)]
    assert document.paragraphs[0].style.name == "Title"
    assert document.paragraphs[0].text == docx_template.words(MSGS, locale, CAMPAIGN).title
    texts = [p.text for p in document.paragraphs]
    # Each hint under its heading, in grey; the files section says where pictures go.
    for section in SECTIONS:
        heading = texts.index(f"{NUMERALS[SECTIONS.index(section)]}、{section.title.get(locale)}")
        assert texts[heading + 1] == section.hint.get(locale)
    hint = next(p for p in document.paragraphs if p.text == SECTIONS[0].hint.get(locale))
    assert str(hint.runs[0].font.color.rgb) == "808080"
    assert MSGS.label(locale, "word_form_pictures") in texts[-6:]


def test_english_sections_are_numbered_1_2_3():
    headings = _headings(_open(_form("en")))
    assert headings[0] == "1. Foundation of Party work" and headings[-1].startswith("11. ")


def test_the_chinese_numerals_go_past_ten():
    numbered = [docx_template.numbered(n, "题", "zh-Hans") for n in (1, 10, 11, 20, 21, 99)]
    assert numbered == ["一、题", "十、题", "十一、题", "二十、题", "二十一、题", "九十九、题"]


def test_the_cover_table_and_the_recommendation_box():
    document = _open(_form("zh-Hans"))
    cover, box = document.tables
    assert [row.cells[0].text for row in cover.rows] == [
        "单位",
        "项目党支部",
        "支部书记（申报联系人）",
        "联系电话",
        "党员人数",
    ]
    assert all(row.cells[1].text == "" for row in cover.rows)  # blanks to fill in
    body = list(document.element.body.iterchildren())
    assert body.index(cover._tbl) < body.index(document.paragraphs[1]._p)  # under the title
    # The box closes the form: its label, and a tall cell with the seal and date at its foot.
    assert body.index(box._tbl) == len(body) - 2  # then only the section properties
    label, blank = box.rows[0].cells
    assert label.text == "单位党组织推荐意见"
    assert [p.text for p in blank.paragraphs] == ["（盖章）", "年　　月　　日"]
    assert blank.vertical_alignment == WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
    assert box.rows[0].height >= Cm(5)
    assert box._tbl.tblPr.find(qn("w:tblStyle")).get(qn("w:val")) == "TableGrid"  # bordered


def test_the_traditional_and_english_cover_come_from_the_catalogs():
    hant, en = _open(_form("zh-Hant")), _open(_form("en"))
    assert hant.tables[0].rows[2].cells[0].text == "支部書記（申報聯繫人）"
    assert hant.tables[1].rows[0].cells[1].paragraphs[0].text == "（蓋章）"
    assert en.tables[0].rows[0].cells[0].text == "Unit"


def _fill(
    data: bytes, answers: dict[str, str], cover: dict[int, str], opinion: str, sections=SECTIONS
) -> bytes:
    """The form as a secretary fills it in Word: the cover's blanks, text typed right under
    each heading, the unit's opinion in its box."""
    document = _open(data)
    cover_table, box = document.tables
    for row, value in cover.items():
        cover_table.rows[row].cells[1].text = value
    headings = [p for p in document.paragraphs if p.style.name == docx_template.HEADING_STYLE]
    for section, heading in zip(sections, headings, strict=True):
        if section.key in answers:
            heading._p.addnext(document.add_paragraph(answers[section.key])._p)
    box.rows[0].cells[1].paragraphs[0].insert_paragraph_before(opinion)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-Hant"])
def test_a_filled_form_reads_back_section_by_section(locale: str):
    answers = {s.key: f"{s.title.get(locale)}：支部的做法。" for s in SECTIONS if s.kind == "text"}
    answers["budget"] = "125000元"
    filled = _fill(_form(locale), answers, {0: "第一工程公司", 4: "32"}, opinion="同意推荐。")
    read = docx_form.read(filled, SECTIONS)
    # The cover (before the first heading) and the box (after the files section) are in
    # no section; the hints are not answers.
    assert read.texts == answers
    assert read.amounts == {"budget": Decimal("125000")}
    # Untouched, it answers nothing.
    assert docx_form.read(_form(locale), SECTIONS).texts == {}


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-Hant", "en"])
def test_an_untouched_form_answers_nothing(locale: str):
    # The hints, the cover and the box are the form's own words, never an answer.
    assert docx_form.read(_form(locale), SECTIONS).texts == {}


def test_the_recommendation_box_is_not_read_into_a_last_text_section():
    text_last = [s for s in SECTIONS if s.kind != "files"]
    answers = {s.key: "做法。" for s in text_last if s.kind == "text"}
    answers[text_last[-1].key] = "保障。"
    filled = _fill(_form("zh-Hans", text_last), answers, {}, "同意推荐。", text_last)
    assert docx_form.read(filled, text_last).texts[text_last[-1].key] == "保障。"


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PACESETTER_DB": str(tmp_path / "cli.db")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_cli_writes_the_form(tmp_path: Path):
    out = tmp_path / "申报书.docx"
    result = _cli(tmp_path, "template", str(out), "--lang", "zh-Hant")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{out}: 基層黨建標桿創建活動申報書 (zh-Hant, 11 sections)"
    ]
    document = _open(out.read_bytes())
    assert _headings(document)[9] == "十、經費預算"
    lang = document.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-TW"
    # The default language is Simplified Chinese; --campaign names another campaign file.
    campaign = tmp_path / "c.toml"
    text = Path("bot/campaigns/default.toml").read_text(encoding="utf-8")
    campaign.write_text(text.replace('title.zh-Hans = "经费预算"', 'title.zh-Hans = "预算"'))
    default = tmp_path / "form.docx"
    assert _cli(tmp_path, "template", str(default), "--campaign", str(campaign)).returncode == 0
    assert _headings(_open(default.read_bytes()))[9] == "十、预算"
    missing = _cli(tmp_path, "template", str(default), "--campaign", str(tmp_path / "no.toml"))
    assert missing.returncode == 2 and "no.toml: cannot read it" in missing.stderr
    unwritable = _cli(tmp_path, "template", str(tmp_path / "no" / "form.docx"))
    assert unwritable.returncode == 1 and "cannot write" in unwritable.stderr


async def test_a_secretary_gets_the_form_from_help_and_a_member_sees_no_button(world: World):
    await world.import_orgs([("U1", 2)])
    sam = await world.join("Sam", "secretary", "U1", language_code="zh-hans")
    await sam.send("/help")
    assert "申报书 Word 模板" in sam.last_reply.text
    await sam.tap("📄 申报书模板")
    form = sam.last_reply
    assert form.kind == "document"
    assert form.raw["document"]["file_name"] == "基层党建标杆创建活动申报书.docx"
    assert "《基层党建标杆创建活动申报书》" in form.text
    document = _open(world.sb.file_bytes(form.file_id))
    assert _headings(document)[0] == "一、党建工作基础"
    assert document.tables[0].rows[0].cells[0].text == "单位"
    # A branch member and a lead see no such button, and a forged tap is refused.
    mo = await world.join("Mo", "member", "P-U1-01")
    lena = await world.join("Lena", "lead", "P-U1-02")
    for person in (mo, lena):
        await person.send("/help")
        assert person.last_reply.buttons == [] and "Word template" not in person.last_reply.text
    sent = len(mo.replies())
    refusal = await world.answer_to(mo, mo.last_reply, TEMPLATE_BUTTONS.data("send"))
    assert refusal == "You are not allowed to do that."
    assert len(mo.replies()) == sent


async def test_an_admin_gets_the_form_from_help_and_from_apply(world: World):
    admin = world.admin
    await admin.send("/help")
    await admin.tap("📄 Application form template")
    form = admin.last_reply
    assert form.raw["document"]["file_name"] == (
        "Application form - Grassroots Party-Building Pacesetter Campaign.docx"
    )
    assert _headings(_open(world.sb.file_bytes(form.file_id)))[0] == "1. Foundation of Party work"
    # /apply is for leads; an admin who sends it is offered the form to send out.
    await admin.send("/apply")
    assert "Applications are written by project leads" in admin.last_reply.text
    await admin.tap("📄 Application form template")
    assert admin.last_reply.kind == "document"


async def test_a_leads_form_from_apply_is_the_chinese_form_with_the_projects_name(world: World):
    await world.import_orgs([("U1", 1)])
    lena = await world.join("Lena", "lead", "P-U1-01", language_code="zh-hans")
    await lena.send("/apply")
    await lena.tap("📄 改用 Word 填写")
    document = _open(world.sb.file_bytes(lena.last_reply.file_id))
    assert document.paragraphs[0].text == "申报书：Project U1-01"
    assert _mm(document.sections[0].page_height) == 297
    assert _headings(document)[-1] == "十一、佐证材料"
    assert [t.rows[0].cells[0].text for t in document.tables] == ["单位", "单位党组织推荐意见"]


def test_a_campaign_name_with_a_slash_makes_a_safe_file_name():
    named = replace(CAMPAIGN, name=Localized({"zh-Hans": "A/B:活动"}))
    assert docx_template.filename(MSGS, "zh-Hans", named) == "A_B_活动申报书.docx"
