"""Split Telegram HTML into messages of at most 4096 visible characters, tags kept balanced."""

from __future__ import annotations

import html
import re

TELEGRAM_LIMIT = 4096
# Put by a template where a cut reads best (between an application's sections, say); it
# never reaches Telegram.
SECTION_BREAK = "\x1e"
# A tag, an entity, or one character: the units a cut may fall between.
_TOKEN = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>|&#?[a-zA-Z0-9]+;|.", re.DOTALL)


def visible_length(text: str) -> int:
    """Characters Telegram counts (UTF-16 code units) once tags and entities are parsed."""
    plain = re.sub(r"<[^>]*>", "", text)
    return len(html.unescape(plain).encode("utf-16-le")) // 2


def unmarked(text: str) -> str:
    return text.replace(SECTION_BREAK, "")


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Prefer cutting at a section break, then at a line break; never inside a tag or an
    entity; reopen open tags."""
    text = text.strip()
    if visible_length(unmarked(text)) <= limit:
        return [unmarked(text).strip()]
    parts: list[str] = []
    chunk: list[str] = []  # tokens of the current part
    open_tags: list[tuple[str, str]] = []  # (name, opening tag) in nesting order
    size = 0
    last_break: tuple[int, int, list] | None = None  # (token index, size, open tags) after a \n
    last_section: tuple[int, int, list] | None = None  # the same, at a section break
    # Room kept for nothing: closing tags are invisible, so the limit is on text alone.
    for match in _TOKEN.finditer(text):
        token, closing, name = match.group(0), match.group(1), match.group(2)
        if name:
            if closing:
                open_tags.pop()
            else:
                open_tags.append((name.lower(), token))
            chunk.append(token)
            continue
        if token == SECTION_BREAK:
            if size:
                last_section = (len(chunk), size, list(open_tags))
            continue
        width = len(html.unescape(token).encode("utf-16-le")) // 2
        if size + width > limit:
            # A section break anywhere, else a line break in the second half, else right here.
            cut = last_section or (
                last_break if last_break and last_break[1] > limit // 2 else None
            )
            if cut:
                index, cut_size, tags_then = cut
                rest = chunk[index:]
                parts.append(_close(chunk[:index], tags_then))
                chunk = [tag for _, tag in tags_then] + rest
                size -= cut_size
            else:
                parts.append(_close(chunk, open_tags))
                chunk = [tag for _, tag in open_tags]
                size = 0
            last_break = last_section = None
        chunk.append(token)
        size += width
        if token == "\n":
            last_break = (len(chunk), size, list(open_tags))
    parts.append(_close(chunk, []))
    return [part.strip() for part in parts if visible_length(part.strip())]


def _close(tokens: list[str], open_tags: list[tuple[str, str]]) -> str:
    return "".join(tokens) + "".join(f"</{name}>" for name, _ in reversed(open_tags))
