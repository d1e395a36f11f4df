"""Files users and the bot exchange: bytes kept in memory under Telegram-like ids."""

from __future__ import annotations

import itertools
import secrets
import struct
import zlib
from dataclasses import dataclass, field

_PREFIX = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "sticker": "CAAC"}
_FOLDER = {"photo": "photos", "document": "documents", "video": "videos", "sticker": "stickers"}


def make_png(
    width: int = 8, height: int = 8, shade: int = 180, rgb: tuple[int, int, int] | None = None
) -> bytes:
    """A valid PNG of the given size, grey (or of one colour, `rgb`), made with zlib alone (no
    Pillow)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    colour_type = 0 if rgb is None else 2  # 8-bit greyscale, or 8-bit RGB
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    row = b"\x00" + (bytes([shade]) if rgb is None else bytes(rgb)) * width
    pixels = zlib.compress(row * height, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def png_size(data: bytes) -> tuple[int, int] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    return None


def fake_video(size: int = 2048) -> bytes:
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(size)


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    meta: dict = field(default_factory=dict)  # width, height, duration, emoji

    @property
    def size(self) -> int:
        return len(self.data)


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
        unique_id: str | None = None,
    ) -> StoredFile:
        number = next(self._counter)
        file_id = f"{_PREFIX.get(kind, 'BQAC')}AgAD{number}{secrets.token_urlsafe(12)}"
        extension = _extension(kind, file_name, mime_type)
        path = f"{_FOLDER.get(kind, 'documents')}/file_{number}{extension}"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique_id or f"AQAD{number}{secrets.token_hex(4)}",
            kind=kind,
            data=data,
            file_path=path,
            mime_type=mime_type,
            file_name=file_name,
        )
        self._by_id[file_id] = stored
        self._by_path[path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


def _extension(kind: str, file_name: str | None, mime_type: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1][:8]
    if kind == "photo":
        return ".jpg"
    if kind == "video":
        return ".mp4"
    if kind == "sticker":
        return ".webp"
    return ""
