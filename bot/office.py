"""An Office file (.docx, .xlsx: a zip of XML parts and media) checked from the zip's directory
before a parser opens it: python-docx unpacks every part into memory, so a small file that
unpacks to gigabytes would take the process down.

Only the central directory is read, nothing is decompressed. Its sizes can lie, but zipfile
(which python-docx and openpyxl read through) never unpacks more than an entry's stated size
and then fails on the CRC: the stated sizes bound what a parser will see.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

# A genuine application is at most 20 MB (what a bot may download): photos are stored about as
# large as they unpack, and its XML unpacks to 5-20 times its packed size; so a 20 MB .docx of
# photos unpacks to 20-30 MB, and a 7,460-row sheet's XML to about 2 MB. The limits leave room
# above that and keep a hostile file to a few hundred MB of memory at worst.
MAX_ENTRIES = 1000  # a .docx with 50 pictures has about 70 parts, an .xlsx a dozen
MAX_ENTRY_BYTES = 50 * 1024 * 1024
# An XML part (the text, a sheet) is parsed whole: 15 MB of a document's XML (packed into
# 450 KB) took 8 s of CPU and 100 MB to read. A 100-page application has 2-5 MB, a sheet of
# 20,000 rows about 6.
MAX_XML_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 100 * 1024 * 1024
# Deflate packs zeros about 1,000 to 1; XML packs 5-20 to 1, photos 1 to 1, a flat screenshot
# kept as a bitmap up to about 100 to 1.
MAX_RATIO = 200
RATIO_FLOOR = 1024 * 1024  # smaller parts are never too compressed: a tiny file packs oddly


@dataclass(frozen=True)
class Refusal:
    """Why a file is not opened: `reason` picks the words, `limit` is the bound it passed
    (a count of parts, megabytes, or a ratio)."""

    reason: str  # "not_zip", "entries", "entry_size", "xml_size", "total_size" or "ratio"
    limit: int = 0


def check(data: bytes) -> Refusal | None:
    """None if the file may be opened, else why not."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception:  # BadZipFile, and NotImplementedError, ValueError … on a forged header
        return Refusal("not_zip")
    if len(entries) > MAX_ENTRIES:
        return Refusal("entries", MAX_ENTRIES)
    if any(entry.file_size > MAX_ENTRY_BYTES for entry in entries):
        return Refusal("entry_size", MAX_ENTRY_BYTES // 2**20)
    if any(_xml(entry) and entry.file_size > MAX_XML_BYTES for entry in entries):
        return Refusal("xml_size", MAX_XML_BYTES // 2**20)
    if sum(entry.file_size for entry in entries) > MAX_TOTAL_BYTES:
        return Refusal("total_size", MAX_TOTAL_BYTES // 2**20)
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * entry.compress_size:
            return Refusal("ratio", MAX_RATIO)
    return None


def _xml(entry: zipfile.ZipInfo) -> bool:
    return entry.filename.lower().endswith((".xml", ".rels"))
