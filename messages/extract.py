"""Babel extractor for labels.toml: each label becomes msgctxt = its key, msgid = its English."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import IO, Any

_KEY = re.compile(r'^\s*"?([\w-]+)"?\s*=')


def labels(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """The signature Babel gives extraction methods; yields pgettext(key, english) calls."""
    source = fileobj.read().decode("utf-8")
    # tomllib keeps no line numbers; translators' tools show them, so find each key's line.
    lines = {
        m.group(1): n for n, line in enumerate(source.splitlines(), 1) if (m := _KEY.match(line))
    }
    for key, english in tomllib.loads(source).items():
        yield lines.get(key, 0), "pgettext", (key, english), []
