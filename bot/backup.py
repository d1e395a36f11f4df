"""`pacesetter backup FILE`: a consistent copy of the live database, made with SQLite's online
backup while the bot keeps writing. The copy holds everything, live invitation codes included,
so it is created readable by its owner only, before any byte is written."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

# All pages in one step, inside one read transaction: in WAL mode the bot's writer goes on
# committing meanwhile, and the copy is the snapshot the step began with. Copying in several
# steps would restart from the first page after each of the bot's commits, and a busy bot
# could keep it from ever finishing.
PAGES = -1


def backup(source: Path, target: Path, *, force: bool = False) -> int:
    """Copy `source` to `target`; returns the copy's size in bytes. Raises FileExistsError when
    `target` exists and not `force`."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(target, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file overwritten with --force keeps no wider mode
    finally:
        os.close(fd)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=PAGES)
            # The copy is a plain file: no -wal beside it to carry along.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    return target.stat().st_size
