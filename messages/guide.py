"""The member guide (docs/guide.<locale>.md) as Telegram HTML messages.

The guide is written in a small part of Markdown, and only that part is read: `#` and `##`
headings, `- ` items, numbered items as written, **bold** and `code`. Everything else is text,
escaped. A cut between messages falls at a `##` heading where one is needed.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

from messages.render import LOCALES, ROOT
from messages.split import SECTION_BREAK, TELEGRAM_LIMIT, split_html

# An installed bot finds the guides inside this package (pyproject maps docs/ there); a
# checkout, in docs/ beside it.
_SHIPPED = ROOT / "docs"
_CHECKOUT = ROOT.parent / "docs"
_INLINE = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`")
_HEADING = re.compile(r"^(#{1,2}) +(.*)$")


def folder() -> Path:
    return _SHIPPED if _SHIPPED.is_dir() else _CHECKOUT


def path(locale: str) -> Path:
    return folder() / f"guide.{locale}.md"


@cache
def texts(locale: str) -> tuple[str, ...]:
    """The guide in this locale, as the messages that carry it."""
    if locale not in LOCALES:
        raise ValueError(f"no guide in {locale!r}")
    markdown = path(locale).read_text(encoding="utf-8")
    return tuple(split_html(to_html(markdown), TELEGRAM_LIMIT))


def to_html(markdown: str) -> str:
    lines = []
    for line in markdown.strip().splitlines():
        line = line.rstrip()
        heading = _HEADING.match(line)
        if heading:
            title = _inline(heading.group(2).replace("**", ""))
            lines.append(f"{SECTION_BREAK if heading.group(1) == '##' else ''}<b>{title}</b>")
        elif line.startswith("- "):
            lines.append("• " + _inline(line[2:]))
        else:
            lines.append(_inline(line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _inline(text: str) -> str:
    """**bold** and `code`; every other character escaped."""
    out, last = [], 0
    for match in _INLINE.finditer(text):
        out.append(html.escape(text[last : match.start()], quote=False))
        bold, code = match.groups()
        if bold is not None:
            out.append(f"<b>{html.escape(bold, quote=False)}</b>")
        else:
            out.append(f"<code>{html.escape(code, quote=False)}</code>")
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)
