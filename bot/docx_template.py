"""The application form (申报书) as a Word template, laid out as Chinese offices lay one out.

A4 with official-document margins (GB/T 9704), a centred title, a cover table for the header
fields, the campaign's sections as headings numbered 一、二、… (1. 2. in English) with each
hint in grey under it and room to write, and the unit's recommendation box (推荐意见, to be
sealed) at the end. The East Asian fonts and language are set in the styles themselves:
python-docx's `font.name` sets only the Western fonts, and its default template says ja-JP.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import docx
from docx.document import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import BaseStyle

from bot.campaign import Campaign, Section
from messages.render import Messages

HEADING_STYLE = "Heading 1"  # the sections: Word's navigation pane lists them
A4 = (Cm(21.0), Cm(29.7))
MARGINS = {"top": Cm(3.7), "bottom": Cm(3.5), "left": Cm(2.8), "right": Cm(2.6)}
_TEXT_WIDTH = Cm(21.0 - 2.8 - 2.6)
_LABEL_WIDTH = Cm(5.2)
_BLACK = RGBColor(0, 0, 0)
_GREY = RGBColor(0x80, 0x80, 0x80)
_COVER = ("unit", "branch", "secretary", "phone", "members")  # template_cover_<field> labels
_DIGITS = "零一二三四五六七八九"
_UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')  # a campaign file's name may hold one


@dataclass(frozen=True)
class _Type:
    """One locale's typefaces, sizes (points) and language tags."""

    lang: str  # Western text
    east_asian_lang: str
    body: str  # East Asian typefaces, as Word and WPS name them
    heading: str
    title: str
    western: str
    body_size: float
    heading_size: float
    title_size: float
    hint_size: float
    heading_bold: bool


# 三号 is 16 pt, 二号 22 pt, 小四 12 pt. 方正小标宋 (the title's usual face) is not free: 宋体 bold.
_TYPES = {
    "zh-Hans": _Type(
        "en-US", "zh-CN", "仿宋", "黑体", "宋体", "Times New Roman", 16, 16, 22, 12, False
    ),
    "zh-Hant": _Type(
        "en-US", "zh-TW", "標楷體", "微軟正黑體", "標楷體", "Times New Roman", 16, 16, 22, 12, False
    ),
    "en": _Type("en-US", "zh-CN", "宋体", "黑体", "宋体", "Times New Roman", 12, 14, 18, 10, True),
}


@dataclass(frozen=True)
class Words:
    """Every word the form holds besides the campaign's sections, in one locale."""

    title: str
    guidance: str
    files_note: str
    cover: tuple[str, ...]  # the header fields, each a row with a blank to fill
    opinion: str  # the recommendation box's label
    seal: str
    date: str


def words(msgs: Messages, locale: str, campaign: Campaign, *, title: str | None = None) -> Words:
    """The form's words from the catalogs; `title` instead of the campaign's (a project's own)."""
    guidance = msgs.text(locale, "apply/docx_guidance", campaign=campaign)
    return Words(
        title=title or msgs.label(locale, "template_title", name=campaign.name.get(locale)),
        guidance=html.unescape(re.sub(r"<[^>]*>", "", guidance)),
        files_note=msgs.label(locale, "word_form_pictures"),
        cover=tuple(msgs.label(locale, f"template_cover_{field}") for field in _COVER),
        opinion=msgs.label(locale, "template_opinion"),
        seal=msgs.label(locale, "template_seal"),
        date=msgs.label(locale, "template_date"),
    )


def filename(msgs: Messages, locale: str, campaign: Campaign) -> str:
    """基层党建标杆创建活动申报书.docx: the campaign's form, as a file name."""
    name = msgs.label(locale, "template_file", name=campaign.name.get(locale))
    return _UNSAFE_IN_FILENAME.sub("_", name)


def numbered(number: int, title: str, locale: str) -> str:
    """一、Title (Chinese numerals up to 九十九、) in Chinese, 1. Title in English."""
    if locale == "en" or not 0 < number < 100:
        return f"{number}. {title}"
    tens, ones = divmod(number, 10)
    numeral = (_DIGITS[tens] if tens > 1 else "") + ("十" if tens else "")
    return f"{numeral}{_DIGITS[ones] if ones else ''}、{title}"


def build(sections: Sequence[Section], locale: str, words: Words) -> bytes:
    """The form as a .docx: about 0.1 s of work, to run off the event loop."""
    look = _TYPES.get(locale, _TYPES["zh-Hans"])
    document = docx.Document()
    _page(document)
    _styles(document, look)
    document.core_properties.title = words.title
    document.core_properties.author = ""  # python-docx's own name otherwise
    document.core_properties.language = look.east_asian_lang if locale != "en" else look.lang
    document.add_paragraph(words.title, style="Title")
    _cover(document, words.cover)
    _hint(document, words.guidance, look)
    for number, section in enumerate(sections, start=1):
        document.add_paragraph(numbered(number, section.title.get(locale), locale), HEADING_STYLE)
        hint = section.hint.get(locale)
        if hint:
            _hint(document, hint, look)
        if section.kind == "files":
            _hint(document, words.files_note, look)
        document.add_paragraph()  # room to write
        document.add_paragraph()
    _opinion_box(document, words)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page(document: Document) -> None:
    for section in document.sections:
        section.page_width, section.page_height = A4
        section.top_margin = MARGINS["top"]
        section.bottom_margin = MARGINS["bottom"]
        section.left_margin = MARGINS["left"]
        section.right_margin = MARGINS["right"]


def _styles(document: Document, look: _Type) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(defaults, look.body, look.western)
    _lang(defaults, look)
    # Word picks the theme's fonts for East Asian text by this language: not ja-JP.
    theme_lang = document.settings.element.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), look.east_asian_lang)
    normal = styles["Normal"]
    _style(normal, look, look.body, look.body_size, bold=False)
    normal.paragraph_format.space_after = Pt(0)
    if look.body_size >= 14:  # the official 28-point lines; "at least", so pictures show whole
        normal.paragraph_format.line_spacing = Pt(28)
        normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
    title = styles["Title"]
    _style(title, look, look.title, look.title_size, bold=True)
    border = title.element.pPr.find(qn("w:pBdr"))
    if border is not None:
        title.element.pPr.remove(border)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(18)
    spacing = title.element.rPr.find(qn("w:spacing"))  # the default's letter-spacing
    if spacing is not None:
        title.element.rPr.remove(spacing)
    heading = styles[HEADING_STYLE]
    _style(heading, look, look.heading, look.heading_size, bold=look.heading_bold)
    heading.paragraph_format.space_before = Pt(12)
    heading.paragraph_format.space_after = Pt(6)
    # Their linked character styles (a run given the heading's look) match them.
    for linked, face, size, bold in (
        ("Title Char", look.title, look.title_size, True),
        ("Heading 1 Char", look.heading, look.heading_size, look.heading_bold),
    ):
        if linked in [s.name for s in styles]:
            _style(styles[linked], look, face, size, bold=bold)


def _style(style: BaseStyle, look: _Type, east_asian: str, size: float, *, bold: bool) -> None:
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = _BLACK  # replaces the theme's blue, not only covers it
    rpr = style.element.get_or_add_rPr()
    _fonts(rpr, east_asian, look.western)
    complex_size = rpr.find(qn("w:szCs"))
    if complex_size is not None:
        complex_size.set(qn("w:val"), str(round(size * 2)))
    _lang(rpr, look)


def _fonts(rpr, east_asian: str, western: str) -> None:
    """Named fonts for every script; the theme's, which would win over them, dropped."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for script, face in (("ascii", western), ("hAnsi", western), ("cs", western)):
        fonts.set(qn(f"w:{script}"), face)
    fonts.set(qn("w:eastAsia"), east_asian)


# After w:lang in a run's properties, in the schema's order; before it, everything else.
_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")


def _lang(rpr, look: _Type) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        following = next(
            (rpr.find(qn(tag)) for tag in _AFTER_LANG if rpr.find(qn(tag)) is not None), None
        )
        if following is not None:
            following.addprevious(lang)
        else:
            rpr.append(lang)
    lang.set(qn("w:val"), look.lang)
    lang.set(qn("w:eastAsia"), look.east_asian_lang)


def _hint(document: Document, text: str, look: _Type) -> None:
    run = document.add_paragraph().add_run(text)
    run.font.size = Pt(look.hint_size)
    run.font.color.rgb = _GREY


def _cover(document: Document, labels: Sequence[str]) -> None:
    """Label | blank, one row per header field."""
    table = document.add_table(rows=len(labels), cols=2)
    table.style = "Table Grid"
    table.autofit = False
    for row, label in zip(table.rows, labels, strict=True):
        row.height = Cm(1.1)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        row.cells[0].text = label
        _widths(row.cells)
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    document.add_paragraph()


def _opinion_box(document: Document, words: Words) -> None:
    """The unit's recommendation, written and sealed on paper: a tall blank cell with the
    seal and the date at its foot."""
    document.add_paragraph()
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.autofit = False
    row = table.rows[0]
    row.height = Cm(6)
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    label, blank = row.cells
    _widths(row.cells)
    label.text = words.opinion
    label.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    blank.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
    seal = blank.paragraphs[0]
    seal.text = words.seal
    seal.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date = blank.add_paragraph(words.date)
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _widths(cells) -> None:
    # Word takes a column's width from its cells, not from the column.
    cells[0].width = _LABEL_WIDTH
    cells[1].width = _TEXT_WIDTH - _LABEL_WIDTH
