"""Writes booklet.docx, the results booklet's Word template, once:
`python -m messages.booklet.make_template`.

docxtpl fills it (bot/booklet_docx.py): each `{{ … }}` and `{%p … %}` below sits in one run of
one paragraph, as docxtpl needs. A4 with the application form's margins; the East Asian fonts
set in the styles as bot/docx_template.py sets them (仿宋 body, 黑体 headings, 宋体 title);
Heading 1 per chapter (a page of its own) and Heading 2 per part, which Word's navigation
pane and the contents field list; the contents field marked dirty and `w:updateFields` set
in settings.xml, so Word fills it when the file opens."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

from bot import docx_template

HERE = Path(__file__).parent
TEMPLATE = HERE / "booklet.docx"
LOOK = docx_template._TYPES["zh-Hans"]

# Settings children that come after w:updateFields in the schema's order.
_AFTER_UPDATE_FIELDS = (
    "w:hdrShapeDefaults",
    "w:footnotePr",
    "w:endnotePr",
    "w:compat",
    "w:docVars",
    "w:rsids",
    "m:mathPr",
    "w:attachedSchema",
    "w:themeFontLang",
    "w:clrSchemeMapping",
)

BODY = [
    ("Title", "{{ title }}"),
    ("Normal", "{%p if organisation %}"),
    ("Subtitle", "{{ organisation }}"),
    ("Normal", "{%p endif %}"),
    ("Subtitle", "{{ made_on }}"),
    ("TOC Heading", "{{ words.contents }}"),
    ("TOC", None),  # the contents field
    ("Normal", "{%p for chapter in chapters %}"),
    ("Heading 1", "{{ chapter.heading }}"),
    ("Normal", "{{ chapter.unit }}"),
    ("Normal", "{%p for block in chapter.blocks %}"),
    ("Normal", "{%p if block.kind == 'part' %}"),
    ("Heading 2", "{{ block.text }}"),
    ("Normal", "{%p elif block.kind == 'title' %}"),
    ("Heading 3", "{{ block.text }}"),
    ("Normal", "{%p elif block.kind == 'entry' %}"),
    ("Entry", "{{ block.text }}"),
    ("Normal", "{%p elif block.kind == 'picture' %}"),
    ("Picture", "{{ block.picture }}"),
    ("Normal", "{%p elif block.kind == 'caption' %}"),
    ("Caption", "{{ block.text }}"),
    ("Normal", "{%p elif block.kind == 'missing' %}"),
    ("Missing", "{{ block.text }}"),
    ("Normal", "{%p else %}"),
    ("Normal", "{{ block.text }}"),
    ("Normal", "{%p endif %}"),
    ("Normal", "{%p endfor %}"),
    ("Normal", "{%p endfor %}"),
]


def main() -> None:
    document = docx.Document()
    docx_template._page(document)
    docx_template._styles(document, LOOK)
    document.core_properties.author = ""
    document.core_properties.title = ""
    _more_styles(document)
    for style, text in BODY:
        if text is None:
            _contents_field(document)
            continue
        document.add_paragraph(text, style)
    _update_fields_on_open(document)
    document.save(TEMPLATE)
    _declare_drawing_namespaces(TEMPLATE)
    print(TEMPLATE)


def _declare_drawing_namespaces(path: Path) -> None:
    """The root declares a: and pic: as it does wp: and r:, so the booklet's pictures need
    no declarations of their own: lxml moves the rendered body into the document searching a
    list of every declaration it meets, tens of thousands of pictures' four each otherwise."""
    with zipfile.ZipFile(path) as source:
        files = [(info, source.read(info)) for info in source.infolist()]
    extra = f" {nsdecls('a', 'pic')}"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in files:
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:document ", b"<w:document" + extra.encode() + b" ", 1)
            target.writestr(info, data)


def _more_styles(document) -> None:
    styles = document.styles
    heading = styles["Heading 1"]
    heading.paragraph_format.page_break_before = True  # a chapter starts a page
    heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for name, size in (("Heading 2", LOOK.heading_size - 1), ("Heading 3", LOOK.body_size)):
        style = styles[name]
        docx_template._style(style, LOOK, LOOK.heading, size, bold=False)
        style.paragraph_format.space_before = Pt(10)
        style.paragraph_format.space_after = Pt(4)
    for name, face, size in (
        ("Subtitle", LOOK.body, LOOK.body_size),
        ("Caption", LOOK.body, 12),
        ("TOC Heading", LOOK.heading, LOOK.heading_size),
    ):
        style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, 1)
        docx_template._style(style, LOOK, face, size, bold=False)
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        style.font.italic = False
    styles["TOC Heading"].paragraph_format.page_break_before = True
    for name, face, bold in (("Entry", LOOK.heading, False), ("Missing", LOOK.body, False)):
        style = styles.add_style(name, 1)
        style.base_style = styles["Normal"]
        docx_template._style(style, LOOK, face, LOOK.body_size, bold=bold)
        style.paragraph_format.space_before = Pt(6)
    styles["Missing"].font.italic = True
    picture = styles.add_style("Picture", 1)
    picture.base_style = styles["Normal"]
    picture.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True  # a picture stays with its caption
    # Single spacing, not the body's 28-point lines: the picture shows whole.
    picture.paragraph_format.line_spacing = 1.0


def _contents_field(document) -> None:
    """A TOC field of headings 1–2, with links, marked dirty: Word fills it on open."""
    paragraph = document.add_paragraph(style="Normal")
    runs = [
        '<w:fldChar w:fldCharType="begin" w:dirty="true"/>',
        '<w:instrText xml:space="preserve"> TOC \\o "1-2" \\h \\z \\u </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>{{ words.contents_hint }}</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    ]
    for run in runs:
        paragraph._p.append(parse_xml(f"<w:r {nsdecls('w')}>{run}</w:r>"))


def _update_fields_on_open(document) -> None:
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    following = next(
        (child for child in settings if any(child.tag == qn(tag) for tag in _AFTER_UPDATE_FIELDS)),
        None,
    )
    if following is not None:
        following.addprevious(update)
    else:
        settings.append(update)


if __name__ == "__main__":
    main()
