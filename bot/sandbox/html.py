"""Telegram's HTML parse mode, as the Bot API server (tdlib's parse_html) applies it.

`parse_html` turns markup into plain text plus message entities, or raises `HtmlError` with the
description Telegram would return after "Bad Request: can't parse entities: ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\n\r\x0b\x0c"
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_HEX = re.compile(r"[0-9A-Fa-f]*")
_DEC = re.compile(r"[0-9]*")
_ALPHA = re.compile(r"[A-Za-z]*")


class HtmlError(ValueError):
    """Refused markup; str(error) is Telegram's text after "can't parse entities: "."""


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the plain text where the entity starts
    expandable: bool = False
    inner_language: str | None = None


@dataclass
class Parsed:
    text: str
    entities: list[dict] = field(default_factory=list)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode an HTML entity at source[pos] == "&"; returns (character, next index) or None.

    Like tdlib the trailing ";" is optional, named entities are only lt/gt/amp/quot, and any
    numeric entity below U+10FFFF is accepted.
    """
    end = pos + 1
    if source.startswith("#", end):
        end += 1
        hexadecimal = source.startswith(("x", "X"), end)
        end += hexadecimal
        digits = (_HEX if hexadecimal else _DEC).match(source, end).group()
        if not digits or len(digits) > 7:
            return None
        code = int(digits, 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        end += len(digits)
        char = chr(code)
    else:
        name = _ALPHA.match(source, end).group()
        if name not in _NAMED:
            return None
        end += len(name)
        char = _NAMED[name]
    if source.startswith(";", end):
        end += 1
    return char, end


def parse_html(source: str, *, strict: bool = True) -> Parsed:
    """Parse Telegram HTML. With strict=True a bare "&" or ">" is refused too.

    Real Telegram passes a stray "&" or ">" through literally; strict mode refuses them so that a
    template which forgot to escape is caught in tests even when the output happens to be accepted.
    """
    out: list[str] = []
    utf16 = 0
    stack: list[_Open] = []
    entities: list[dict] = []
    i = 0
    n = len(source)
    while i < n:
        c = source[i]
        if c == "&":
            decoded = decode_entity(source, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise HtmlError(
                    f'Character "&" must be escaped as "&amp;" at byte offset '
                    f"{_byte_offset(source, i)}"
                )
        if c == ">" and strict:
            raise HtmlError(
                f'Character ">" must be escaped as "&gt;" at byte offset {_byte_offset(source, i)}'
            )
        if c != "<":
            out.append(c)
            utf16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        if source.startswith("/", i + 1):
            i = _close_tag(source, i, stack, entities, utf16)
        else:
            i = _open_tag(source, i, stack, utf16)
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return Parsed("".join(out), entities)


def _open_tag(source: str, begin: int, stack: list[_Open], utf16: int) -> int:
    n = len(source)
    i = begin + 1
    end = i
    while end < n and source[end] not in _SPACE and source[end] != ">":
        end += 1
    if end >= n:
        raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
    tag = source[i:end].lower()
    if tag not in _TAGS:
        raise HtmlError(
            f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
        )
    opened = _Open(tag, "", utf16)
    i = end
    while True:
        while i < n and source[i] in _SPACE:
            i += 1
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if source[i] == ">":
            break
        i = _attribute(source, begin, i, opened)
    if tag == "span" and opened.argument != "spoiler":
        raise HtmlError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, begin)}'
        )
    stack.append(opened)
    return i + 1


def _attribute(source: str, begin: int, i: int, opened: _Open) -> int:
    n = len(source)
    start = i
    while i < n and source[i] not in _SPACE and source[i] not in "=>":
        i += 1
    name = source[start:i].lower()
    if not name:
        raise HtmlError(
            f'Empty attribute name in the tag "{opened.tag}" at byte offset '
            f"{_byte_offset(source, begin)}"
        )
    while i < n and source[i] in _SPACE:
        i += 1
    if i >= n or source[i] != "=":
        if opened.tag == "blockquote" and name == "expandable":
            opened.expandable = True
        return i
    i += 1
    while i < n and source[i] in _SPACE:
        i += 1
    if i >= n:
        raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
    if source[i] in "'\"":
        quote = source[i]
        i += 1
        value: list[str] = []
        while i < n and source[i] != quote:
            decoded = decode_entity(source, i) if source[i] == "&" else None
            if decoded:
                value.append(decoded[0])
                i = decoded[1]
            else:
                value.append(source[i])
                i += 1
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        text = "".join(value)
        i += 1
    else:
        text = _NAME_TOKEN.match(source, i).group().lower()
        i += len(text)
        if i < n and source[i] not in _SPACE and source[i] != ">":
            raise HtmlError(
                f"Unexpected end of name token at byte offset {_byte_offset(source, i)}"
            )
    _apply_attribute(opened, name, text)
    return i


def _apply_attribute(opened: _Open, name: str, value: str) -> None:
    tag = opened.tag
    if tag == "a" and name == "href":
        opened.argument = value
    elif tag == "code" and name == "class" and value.startswith("language-"):
        opened.argument = value[len("language-") :]
    elif tag == "span" and name == "class" and value.startswith("tg-"):
        opened.argument = value[len("tg-") :]
    elif tag == "tg-emoji" and name == "emoji-id":
        opened.argument = value


def _close_tag(
    source: str, begin: int, stack: list[_Open], entities: list[dict], utf16: int
) -> int:
    n = len(source)
    if not stack:
        raise HtmlError(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
    i = begin + 2
    while i < n and source[i] not in _SPACE and source[i] != ">":
        i += 1
    name = source[begin + 2 : i].lower()
    while i < n and source[i] in _SPACE:
        i += 1
    if i >= n or source[i] != ">":
        raise HtmlError(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
    opened = stack.pop()
    if name and name != opened.tag:
        raise HtmlError(
            f'Unmatched end tag at byte offset {_byte_offset(source, begin)}, expected "</'
            f'{opened.tag}>", found "</{name}>"'
        )
    # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
    parent = stack[-1] if stack else None
    in_pre = parent is not None and parent.tag == "pre" and parent.offset == opened.offset
    if opened.tag == "code" and opened.argument and in_pre:
        parent.inner_language = opened.argument
        return i + 1
    length = utf16 - opened.offset
    if length > 0:
        entities.append(_entity(opened, length))
    return i + 1


def _entity(opened: _Open, length: int) -> dict:
    kind = _TAGS[opened.tag]
    entity: dict = {"type": kind, "offset": opened.offset, "length": length}
    if kind == "text_link":
        entity["url"] = opened.argument
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = opened.argument
    elif kind == "pre" and opened.inner_language:
        entity["language"] = opened.inner_language
    elif kind == "blockquote" and opened.expandable:
        entity["type"] = "expandable_blockquote"
    return entity


def strip_text(parsed: Parsed) -> Parsed:
    """Trim surrounding whitespace as Telegram does, moving entity offsets along."""
    stripped = parsed.text.strip()
    if not stripped:
        return Parsed("", [])
    lead = utf16_len(parsed.text[: len(parsed.text) - len(parsed.text.lstrip())])
    total = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return Parsed(stripped, entities)
