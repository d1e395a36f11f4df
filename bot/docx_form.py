"""The application as a Word document: a template made from the campaign's sections, and a
filled one (from Word or WPS, following the template roughly) read back section by section.

Headings are matched by title in any of the campaign's languages, whatever numbering or
decoration surrounds them ("一、党建工作基础", "1. 党建工作基础（500字以内）"); the text up to the
next heading is that section's answer. Pictures anywhere in the document are the files.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from bot import office
from bot.campaign import Section
from bot.rules import amount_in, parse_amount

MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_PICTURES = 50  # a files section's bound (bot.applications.MAX_ANSWER_PARTS)
PICTURE_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo
_HEADING_CHARS = 60  # longer paragraphs are text, never a heading
_GUIDANCE = RGBColor(0x80, 0x80, 0x80)
# "1." "1、" "一、" "（一）" "(1)" "第一部分" "Part 1:" and the like before a title.
_NUMBERING = re.compile(
    r"^(?:part|section|第)?\s*[0-9一二三四五六七八九十]+\s*(?:部分|章|节|節)?\s*[、.．:：)）]?"
    r"|^[（(]\s*[0-9一二三四五六七八九十]+\s*[)）]"
)
_DECORATION = re.compile(r"[（(【\[].*?[)）】\]]")  # "（500字以内）", "[required]"


class NotAWordFile(ValueError):
    """Not a .docx at all (an old .doc, a renamed file, a damaged one), or one not opened:
    `refusal` says which of the zip's bounds it passed."""

    def __init__(self, refusal: office.Refusal | None = None) -> None:
        super().__init__(refusal.reason if refusal else "unreadable")
        self.refusal = refusal if refusal is not None and refusal.reason != "not_zip" else None


@dataclass(frozen=True)
class Picture:
    data: bytes
    filename: str


@dataclass(frozen=True)
class Filled:
    """What a filled-in document says, section by section."""

    texts: dict[str, str] = field(default_factory=dict)  # section key: its text (headings found)
    amounts: dict[str, Decimal] = field(default_factory=dict)  # number sections read as one
    pictures: tuple[Picture, ...] = ()
    pictures_left_out: int = 0  # beyond MAX_PICTURES, or too big for a photo

    def found(self, section: Section) -> bool:
        if section.kind == "files":
            return bool(self.pictures)
        if section.kind == "number":
            return section.key in self.amounts
        return bool(self.texts.get(section.key, "").strip())


def template(
    sections: Sequence[Section], locale: str, *, title: str, guidance: str, files_note: str
) -> bytes:
    """A .docx with the sections as numbered headings, each hint in grey under it, and room to
    write; `title` heads the document and `guidance` says how to fill it in."""
    document = docx.Document()
    document.add_heading(title, level=0)
    _grey(document.add_paragraph(), guidance)
    for number, section in enumerate(sections, start=1):
        document.add_heading(f"{number}. {section.title.get(locale)}", level=1)
        hint = section.hint.get(locale)
        if hint:
            _grey(document.add_paragraph(), hint)
        if section.kind == "files":
            _grey(document.add_paragraph(), files_note)
        document.add_paragraph()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _grey(paragraph, text: str) -> None:
    run = paragraph.add_run(text)
    run.italic = True
    run.font.size = Pt(9)
    run.font.color.rgb = _GUIDANCE


def read(data: bytes, sections: Sequence[Section]) -> Filled:
    """The sections found in a filled document, their texts, amounts and the pictures. Slow
    on a big file: run it off the event loop."""
    if len(data) > MAX_BYTES:
        raise NotAWordFile
    refusal = office.check(data)  # before python-docx unpacks every part into memory
    if refusal is not None:
        raise NotAWordFile(refusal)
    try:
        return _read(docx.Document(io.BytesIO(data)), sections)
    except Exception as error:  # python-docx raises whatever the broken part makes it raise
        raise NotAWordFile from error


def _read(document: Document, sections: Sequence[Section]) -> Filled:
    hints = {_normal(h) for s in sections for h in s.hint.values.values() if h}
    titles: dict[str, Section] = {}  # normalised once, not for every line
    for section in sections:
        for title in section.title.values.values():
            titles.setdefault(_normal(title), section)
    texts: dict[str, list[str]] = {}
    current: Section | None = None
    for line in _lines(document):
        heading = _heading(line, titles)
        if heading is not None:
            current = heading
            texts.setdefault(current.key, [])
        elif current is not None and current.kind != "files" and _normal(line) not in hints:
            texts[current.key].append(line.strip())
    joined = {key: "\n".join(line for line in lines if line) for key, lines in texts.items()}
    amounts = {}
    for section in sections:
        if section.kind == "number" and joined.get(section.key):
            amount = read_amount(joined[section.key])
            if amount is not None:
                amounts[section.key] = amount
    pictures = list(_pictures(document))
    kept = [p for p in pictures if len(p.data) <= PICTURE_BYTES][:MAX_PICTURES]
    return Filled(
        texts={k: v for k, v in joined.items() if v},
        amounts=amounts,
        pictures=tuple(kept),
        pictures_left_out=len(pictures) - len(kept),
    )


def read_amount(text: str) -> Decimal | None:
    """The amount a budget section states: the whole text, else its first line that reads as
    one, else the first amount inside it."""
    for candidate in (text, *text.splitlines()):
        amount = parse_amount(candidate)
        if amount is not None:
            return amount
    return amount_in(text)


def _lines(document: Document) -> Iterator[str]:
    """The body's paragraphs and table rows, in the order they appear; a line break inside a
    paragraph (Shift+Enter) starts a new line."""
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            yield from _text_of(element).split("\n")
        elif element.tag == qn("w:tbl"):
            for row in element.iter(qn("w:tr")):
                cells = [_text_of(cell).replace("\n", " ") for cell in row.iter(qn("w:tc"))]
                yield " | ".join(cell.strip() for cell in cells if cell.strip())


_BREAKS = {qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:tab"): " "}


def _text_of(element) -> str:
    return "".join(
        _BREAKS.get(node.tag, node.text or "") for node in element.iter(qn("w:t"), *_BREAKS)
    )


def _heading(line: str, titles: dict[str, Section]) -> Section | None:
    if not line.strip() or len(line.strip()) > _HEADING_CHARS:
        return None
    bare = _normal(
        _DECORATION.sub("", _NUMBERING.sub("", unicodedata.normalize("NFKC", line.strip()).lower()))
    )
    return titles.get(bare) if bare else None


def _normal(text: str) -> str:
    """Letters and digits only, case and width folded: how titles and hints are compared."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if ch.isalnum())


def _pictures(document: Document) -> Iterator[Picture]:
    """Each embedded picture once, in the order it first appears."""
    seen: set[str] = set()
    related = document.part.related_parts
    for blip in document.element.body.iter(qn("a:blip")):
        rel_id = blip.get(qn("r:embed"))
        if not rel_id or rel_id in seen or rel_id not in related:
            continue
        seen.add(rel_id)
        part = related[rel_id]
        name = part.partname.rsplit("/", 1)[-1]
        if getattr(part, "content_type", "").startswith("image/"):
            yield Picture(part.blob, name)
