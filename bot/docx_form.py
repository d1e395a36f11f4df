"""The application as a Word document, filled in (from the bot's form, bot.docx_template, or
an office's own 申报书 in Word or WPS) and read back section by section.

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

from bot import office
from bot.campaign import Section
from bot.rules import read_budget, unit_in_heading

MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_PICTURES = 50  # a files section's bound (bot.applications.MAX_ANSWER_PARTS)
PICTURE_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo
_HEADING_CHARS = 60  # longer paragraphs are text, never a heading
# "1." "1、" "一、" "（一）" "(1)" "第一部分" "Part 1:" and the like before a title.
_NUMBERING = re.compile(
    r"^(?:part|section|第)?\s*[0-9一二三四五六七八九十]+\s*(?:部分|章|节|節)?\s*[、.．:：)）]?"
    r"|^[（(]\s*[0-9一二三四五六七八九十]+\s*[)）]"
)
_DECORATION = re.compile(r"[（(【\[].*?[)）】\]]")  # "（500字以内）", "[required]"
# Numbering that marks a line as a heading: "一、" "1." "（一）" "第二部分", not "十分重视".
_NUMBERED = re.compile(
    r"^(?:第\s*[0-9一二三四五六七八九十]+\s*(?:部分|章|节|節)"
    r"|[0-9一二三四五六七八九十]+\s*[、.．)）]"
    r"|[（(]\s*[0-9一二三四五六七八九十]+\s*[)）])"
)
_NUMBER_ONLY = re.compile(r"\s*[0-9一二三四五六七八九十]+\s*[、.．]?\s*")  # a 序号 cell
_TITLE_SUFFIX = 4  # characters a heading may add to a title: 工作保障措施, 业绩成果情况
_NOT_ALNUM = re.compile(r"[\W_]+")
_HINT_LABEL = 6  # characters before a hint left in place: 填写说明, 提示
_SENTENCE = re.compile(r"[，,。；;！!？?]")  # a line with these is a sentence, not a title
# The recommending unit's box at the foot of a 申报书 ends the last section.
_END_MARKERS = (
    "推荐意见",
    "推薦意見",
    "推荐单位意见",
    "推薦單位意見",
    "单位党组织意见",
    "單位黨組織意見",
    "上级党组织意见",
    "上級黨組織意見",
)
_SEALS = ("盖章", "蓋章")
_END_CHARS = 30  # longer lines mention a seal in passing
_HEADER_FIELDS = frozenset(
    {
        "单位",
        "單位",
        "单位名称",
        "單位名稱",
        "申报单位",
        "申報單位",
        "党支部",
        "黨支部",
        "项目党支部",
        "項目黨支部",
        "党支部名称",
        "黨支部名稱",
        "支部名称",
        "支部名稱",
        "项目名称",
        "項目名稱",
        "书记",
        "書記",
        "支部书记",
        "支部書記",
        "申报联系人",
        "申報聯繫人",
        "联系人",
        "聯繫人",
        "联系电话",
        "聯繫電話",
        "电话",
        "電話",
        "党员人数",
        "黨員人數",
        "填报日期",
        "填報日期",
    }
)


# Word 97–2003 (.doc) and WPS (.wps) files are OLE2 compound files, not zips: python-docx
# can't read them, and the lead only has to save them again as .docx.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
OLD_WORD_EXTENSIONS = (".doc", ".wps", ".wpt", ".dot")
OLD_WORD_TYPES = ("application/msword", "application/vnd.ms-works", "application/wps-office")
_OTHER_OLE2 = (".xls", ".et", ".ppt", ".dps", ".msg")  # old Excel, WPS sheets, slides, mail


def old_word(filename: str | None, mime_type: str | None, head: bytes = b"") -> bool:
    """An old Word or a WPS file, by its name, its type, or (`head`: its first bytes) the
    OLE2 signature, unless the name says it is another old Office file."""
    name, mime = (filename or "").lower(), (mime_type or "").lower()
    if name.endswith(OLD_WORD_EXTENSIONS):
        return True
    if mime.startswith(OLD_WORD_TYPES) and not mime.endswith(("docx", "xlsx", "pptx")):
        return True
    return head.startswith(OLE2_MAGIC) and not name.endswith(_OTHER_OLE2)


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
    unsure: frozenset[str] = frozenset()  # amounts to confirm: several found, or implausible
    headings: frozenset[str] = frozenset()  # sections whose heading is there, answered or not

    def found(self, section: Section) -> bool:
        if section.kind == "files":
            return bool(self.pictures)
        if section.kind == "number":
            return section.key in self.amounts
        return bool(self.texts.get(section.key, "").strip())


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
    reader = _Reader(_Titles(sections))
    for block in _blocks(document.element.body):
        if isinstance(block, _Row):
            reader.row(block.cells)
        else:
            reader.paragraph(block)
    joined = {key: "\n".join(line for line in lines if line) for key, lines in reader.texts.items()}
    amounts, unsure = {}, set()
    for section in sections:
        if section.kind == "number" and joined.get(section.key):
            budget = read_budget(joined[section.key], reader.units.get(section.key, Decimal(1)))
            if budget is not None:
                amounts[section.key] = budget.amount
                if not budget.sure:
                    unsure.add(section.key)
    pictures = list(_pictures(document))
    kept = [p for p in pictures if len(p.data) <= PICTURE_BYTES][:MAX_PICTURES]
    return Filled(
        texts={k: v for k, v in joined.items() if v},
        amounts=amounts,
        pictures=tuple(kept),
        pictures_left_out=len(pictures) - len(kept),
        unsure=frozenset(unsure),
        headings=frozenset(reader.texts),
    )


def read_amount(text: str, unit: Decimal = Decimal(1)) -> Decimal | None:
    """The amount a budget section states (bot.rules.read_budget), bare figures in `unit`."""
    budget = read_budget(text, unit)
    return budget.amount if budget is not None else None


# --- the document as lines and table rows -----------------------------------------------------


@dataclass(frozen=True)
class _Line:
    text: str
    marked: bool = False  # bold, or numbered by Word's own list numbering: may be a heading


@dataclass(frozen=True)
class _Row:
    cells: tuple[tuple[_Line, ...], ...]  # each cell's lines; a merged-on cell has none


def _blocks(body) -> Iterator[_Line | _Row]:
    """The body's lines and table rows, in the order they appear; a line break inside a
    paragraph (Shift+Enter) starts a new line. Content controls are looked into."""
    for element in body.iterchildren():
        if element.tag == qn("w:p"):
            yield from _paragraph_lines(element)
        elif element.tag == qn("w:tbl"):
            for row in element.iterchildren(qn("w:tr")):
                yield _Row(tuple(_cell_lines(cell) for cell in row.iterchildren(qn("w:tc"))))
        elif element.tag == qn("w:sdt"):
            for content in element.iterchildren(qn("w:sdtContent")):
                yield from _blocks(content)


def _paragraph_lines(paragraph) -> Iterator[_Line]:
    marked = _bold(paragraph) or paragraph.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None
    for line in _text_of(paragraph).split("\n"):
        yield _Line(line, marked)


def _cell_lines(cell) -> tuple[_Line, ...]:
    """A cell's paragraphs as lines; a table inside it, a line per row."""
    lines: list[_Line] = []
    for block in _blocks(cell):
        if isinstance(block, _Row):
            texts = [" ".join(line.text.strip() for line in c).strip() for c in block.cells]
            lines.append(_Line(" | ".join(text for text in texts if text)))
        else:
            lines.append(block)
    return tuple(lines)


def _bold(paragraph) -> bool:
    """Whether the paragraph's first words are bold: how a heading looks without a style."""
    for run in paragraph.iter(qn("w:r")):
        if not "".join(t.text or "" for t in run.iter(qn("w:t"))).strip():
            continue
        bold = run.find(f"{qn('w:rPr')}/{qn('w:b')}")
        return bold is not None and bold.get(qn("w:val"), "true") not in ("0", "false", "off")
    return False


_BREAKS = {qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:tab"): " "}


def _text_of(element) -> str:
    return "".join(
        _BREAKS.get(node.tag, node.text or "") for node in element.iter(qn("w:t"), *_BREAKS)
    )


# --- headings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Heading:
    section: Section
    body: str  # what follows the title on the same line: "十、经费预算：12.5万元"
    unit: Decimal  # what a bare figure in the section is worth: "经费预算（万元）"


class _Titles:
    """The campaign's titles and aliases in every language, folded as headings are: case,
    width and the Traditional characters the campaign's own titles pair with Simplified ones
    (經費預算 / 经费预算), so a heading mixing the two still matches."""

    def __init__(self, sections: Sequence[Section]) -> None:
        self.fold = _pairs(sections)
        self.exact: dict[str, Section] = {}
        for section in sections:
            for title in (*section.title.values.values(), *section.aliases):
                self.exact.setdefault(self.normal(_DECORATION.sub("", title)), section)
        self.longest_first = sorted(self.exact.items(), key=lambda item: -len(item[0]))
        self.hints = {self.normal(h) for s in sections for h in s.hint.values.values() if h}
        # Brackets, a label and spaces around a hint: a longer line is never one.
        hints = [h for s in sections for h in s.hint.values.values()]
        self.longest_hint = max(map(len, hints), default=0) + 4 * _HINT_LABEL
        self.hint_ends = {h[-1] for h in self.hints if h}

    def hint(self, line: str) -> bool:
        """A section's grey hint left in place, bracketed or labelled ("说明：…") or not."""
        # Most lines end otherwise than every hint: no need to fold them.
        if len(line) > self.longest_hint or self.normal(_last_char(line)) not in self.hint_ends:
            return False
        bare = self.normal(line)
        return any(bare.endswith(h) and len(bare) - len(h) <= _HINT_LABEL for h in self.hints)

    def normal(self, text: str) -> str:
        return _normal(text).translate(self.fold)

    def heading(self, line: _Line, *, cell: bool = False) -> _Heading | None:
        """The section a line starts: its title (or an alias), numbered or not, decorated or
        not, alone or followed by ：and the answer; or starting with a title and a word or two
        more ("工作保障措施") when the line looks like a heading (bold, numbered, or a form's
        title cell). A long line that merely begins with a title's words is text."""
        raw = line.text.strip()
        marked = line.marked or cell or _NUMBERED.match(raw) is not None
        if len(raw) > _HEADING_CHARS and not marked:  # most lines: no need to fold them
            return None
        text = unicodedata.normalize("NFKC", raw)
        marked = marked or _NUMBERED.match(text) is not None  # "１." typed full-width
        if not text or (len(text) > _HEADING_CHARS and not marked):
            return None
        rest = _NUMBERING.sub("", text.lower(), count=1)
        head, body = _split_at_colon(rest)
        if len(head) > _HEADING_CHARS:
            return None
        bare = self.normal(_DECORATION.sub("", head))
        if not bare:
            return None
        section = self.exact.get(bare)
        if section is None and marked and not _SENTENCE.search(head):
            section = next(
                (
                    s
                    for title, s in self.longest_first
                    if bare.startswith(title) and len(bare) - len(title) <= _TITLE_SUFFIX
                ),
                None,
            )
        if section is None:
            return None
        return _Heading(section, body.strip(), unit_in_heading(head))


def _pairs(sections: Sequence[Section]) -> dict[int, int]:
    """Traditional to Simplified, character by character, as the campaign's titles and hints
    pair them (經→经, 費→费, 預→预 from 經費預算 / 经费预算)."""
    pairs: dict[int, int] = {}
    for section in sections:
        for field_ in (section.title, section.hint):
            hant, hans = field_.values.get("zh-Hant"), field_.values.get("zh-Hans")
            if hant and hans and len(hant) == len(hans):
                for old, new in zip(hant, hans, strict=True):
                    if old != new:
                        pairs.setdefault(ord(old), ord(new))
    return pairs


def _last_char(text: str) -> str:
    """The last letter or digit of a text ("" if none), found without folding it all."""
    return next((ch for ch in reversed(text) if ch.isalnum()), "")


def _split_at_colon(text: str) -> tuple[str, str]:
    """A line at its first ：or : outside brackets ("经费预算（单位：万元）：12.5")."""
    depth = 0
    for at, char in enumerate(text):
        if char in "（(【[":
            depth += 1
        elif char in "）)】]":
            depth = max(0, depth - 1)
        elif char in ":：" and depth == 0:
            return text[:at], text[at + 1 :]
    return text, ""


def _ends_sections(text: str) -> bool:
    """A line that closes the application: the recommending unit's opinion and its seal, as
    at the foot of a 申报书 ("推荐意见（盖章）")."""
    if len(text) > 2 * _END_CHARS:  # most lines: no need to fold them
        return False
    bare = _normal(_NUMBERING.sub("", unicodedata.normalize("NFKC", text).strip(), count=1))
    if not bare or len(bare) > _END_CHARS:
        return False
    return any(marker in bare for marker in (*_END_MARKERS, *_SEALS))  # 单位党组织推荐意见 too


def _header_field(text: str) -> bool:
    """A cover table's label (单位, 支部书记（申报联系人）, 联系电话…): the form's header,
    never a section."""
    return _normal(_DECORATION.sub("", text)) in _HEADER_FIELDS


# --- reading -----------------------------------------------------------------------------------


class _Reader:
    """Lines in document order: a heading starts its section; what follows is its answer
    until the next heading or the recommending unit's box."""

    def __init__(self, titles: _Titles) -> None:
        self.titles = titles
        self.texts: dict[str, list[str]] = {}
        self.units: dict[str, Decimal] = {}
        self.current: Section | None = None

    def paragraph(self, line: _Line, *, cell: bool = False) -> None:
        if _ends_sections(line.text):
            self.current = None
            return
        heading = self.titles.heading(line, cell=cell)
        if heading is None:
            self.add(line.text)
        elif heading.section != self.current:
            self.start(heading)
        elif heading.body:  # "党建工作基础：…" under its own heading: the answer says it again
            self.add(line.text)

    def row(self, cells: tuple[tuple[_Line, ...], ...]) -> None:
        """A table row. A form (申报表) has the title in the left cell and the answer in the
        others; a box of one cell is read as paragraphs; any other row, inside a section, is
        a line of its answer ("党员 | 32")."""
        texts = ["".join(line.text for line in cell).strip() for cell in cells]
        filled = [i for i, text in enumerate(texts) if text]
        if not filled:
            return
        first = filled[0]
        if len(filled) == 1 and first == 0:  # a box, or a form's title with no answer yet
            for line in cells[0]:
                self.paragraph(line, cell=len(cells) > 1)
            return
        if _ends_sections(texts[first]):
            self.current = None
            return
        if _header_field(texts[first]):
            return
        title = first
        if _NUMBER_ONLY.fullmatch(texts[first]) and len(filled) > 1:  # "1 | 党建工作基础 | …"
            title = filled[1]
        if first == 0:
            heading = self.titles.heading(_Line(texts[title]), cell=True)
            if heading is not None:
                self.start(heading)
                for cell in cells[title + 1 :]:
                    for line in cell:
                        self.add(line.text)
                return
        if first > 0 and self.current is not None:  # the title cell merged down from above
            for cell in cells[first:]:
                for line in cell:
                    self.add(line.text)
            return
        lines = (" ".join(line.text.strip() for line in cell).strip() for cell in cells)
        self.add(" | ".join(text for text in lines if text))

    def start(self, heading: _Heading) -> None:
        self.current = heading.section
        self.texts.setdefault(heading.section.key, [])
        if heading.unit != 1:
            self.units[heading.section.key] = heading.unit
        self.add(heading.body)

    def add(self, text: str) -> None:
        current = self.current
        if current is None or current.kind == "files" or not text.strip():
            return
        if self.titles.hint(text):
            return
        self.texts[current.key].append(text.strip())


def _normal(text: str) -> str:
    """Letters and digits only, case and width folded: how titles and hints are compared."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).lower())


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
