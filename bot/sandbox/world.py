"""The people, chats and messages of the sandbox world."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import SandboxError
from .html import utf16_len

if TYPE_CHECKING:
    from .sandbox import Sandbox

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,64})?")


def command_entities(text: str) -> list[dict]:
    """bot_command entities, with UTF-16 offsets, as Telegram marks them in incoming text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


@dataclass(eq=False)
class BotMessage:
    """A message the bot sent, in its current state (edits applied)."""

    message_id: int
    chat_id: int
    thread_id: int | None
    html: str
    text: str
    buttons: list[list[tuple[str, str]]]
    kind: str = "text"
    file_id: str | None = None
    edited: bool = False
    deleted: bool = False
    reply_markup: dict | None = None
    media_group_id: str | None = None
    raw: dict = field(default_factory=dict, repr=False)

    def button_data(self, label: str) -> str | None:
        for row in self.buttons:
            for text, data in row:
                if text == label:
                    return data
        return None


def buttons_of(markup: dict | None) -> list[list[tuple[str, str]]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    rows = []
    for row in markup["inline_keyboard"]:
        rows.append(
            [
                (button.get("text", ""), button.get("callback_data") or button.get("url") or "")
                for button in row
            ]
        )
    return rows


class SandboxUser:
    """A person talking to the bot. Actions are async and wait for the bot (see Sandbox)."""

    def __init__(
        self,
        sandbox: Sandbox,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> None:
        self._sb = sandbox
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.started = False  # has written to the bot in private (it may then write back)
        self.blocked = False
        self._reply_cursor = 0

    def __repr__(self) -> str:
        return f"SandboxUser({self.first_name!r}, id={self.id})"

    @property
    def name(self) -> str:
        return self.first_name

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    # --- actions -----------------------------------------------------------------------------

    async def send(
        self,
        text: str,
        chat: SandboxChat | int | None = None,
        *,
        thread_id: int | None = None,
        reply_to: BotMessage | dict | int | None = None,
        wait: bool = True,
        timeout: float | None = None,
        anonymous: bool = False,
    ) -> dict:
        """anonymous=True: a group admin writing as the group ("Remain anonymous")."""
        content = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        if anonymous:
            content["_anonymous"] = True
        return await self._sb._user_message(
            self, chat, content, thread_id=thread_id, reply_to=reply_to, wait=wait, timeout=timeout
        )

    async def send_photo(
        self,
        chat: SandboxChat | int | None = None,
        caption: str | None = None,
        data: bytes | None = None,
        width: int = 800,
        height: int = 600,
        *,
        thread_id: int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> dict:
        content = self._sb._photo_content(data, width, height, caption)
        return await self._sb._user_message(
            self, chat, content, thread_id=thread_id, wait=wait, timeout=timeout
        )

    async def send_document(
        self,
        data: bytes,
        filename: str = "file.bin",
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat: SandboxChat | int | None = None,
        *,
        thread_id: int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> dict:
        content = self._sb._document_content(data, filename, mime_type, caption)
        return await self._sb._user_message(
            self, chat, content, thread_id=thread_id, wait=wait, timeout=timeout
        )

    async def send_video(
        self,
        data: bytes | None = None,
        duration: int = 10,
        caption: str | None = None,
        chat: SandboxChat | int | None = None,
        *,
        thread_id: int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> dict:
        content = self._sb._video_content(data, duration, caption)
        return await self._sb._user_message(
            self, chat, content, thread_id=thread_id, wait=wait, timeout=timeout
        )

    async def send_sticker(
        self,
        chat: SandboxChat | int | None = None,
        *,
        emoji: str = "👍",
        thread_id: int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> dict:
        content = self._sb._sticker_content(emoji)
        return await self._sb._user_message(
            self, chat, content, thread_id=thread_id, wait=wait, timeout=timeout
        )

    async def send_content(
        self,
        content: dict,
        chat: SandboxChat | int | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> dict:
        """Any other kind of message, as its Bot API fields: {"location": {...}}, {"voice": …}."""
        return await self._sb._user_message(self, chat, content, wait=wait, timeout=timeout)

    async def send_media_group(
        self,
        items: list[tuple[str, bytes | None]],
        caption: str | None = None,
        chat: SandboxChat | int | None = None,
        *,
        thread_id: int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[dict]:
        return await self._sb._user_album(self, chat, items, caption, thread_id, wait, timeout)

    async def edit(
        self, message: dict, text: str, *, wait: bool = True, timeout: float | None = None
    ) -> dict:
        return await self._sb._user_edit(self, message, text, wait=wait, timeout=timeout)

    async def tap(
        self,
        label: str,
        message: BotMessage | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> dict:
        message = message or self._sb._find_button_message(self, label)
        data = message.button_data(label)
        if data is None:
            raise SandboxError(f"no button {label!r} on bot message {message.message_id}")
        if not any(b.get("callback_data") == data for b in _inline_buttons(message)):
            raise SandboxError(f"button {label!r} is not a callback button")
        return await self._sb._callback(self, message, data, label, wait=wait, timeout=timeout)

    async def tap_data(
        self,
        message: BotMessage,
        data: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> dict:
        return await self._sb._callback(self, message, data, None, wait=wait, timeout=timeout)

    # --- observation -------------------------------------------------------------------------

    def replies(self) -> list[BotMessage]:
        return self._sb.messages(self.id)

    @property
    def last_reply(self) -> BotMessage | None:
        replies = self.replies()
        return replies[-1] if replies else None

    async def next_reply(self, timeout: float = 5) -> BotMessage:
        def ready() -> bool:
            return len(self.replies()) > self._reply_cursor

        await self._sb._wait_until(ready, timeout, f"a reply to {self.first_name}")
        reply = self.replies()[self._reply_cursor]
        self._reply_cursor += 1
        return reply

    @property
    def keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard the bot last showed in the private chat, if any."""
        chat = self._sb._chats.get(self.id)
        markup = chat.reply_keyboard if chat else None
        if not markup:
            return None
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in markup]


def _inline_buttons(message: BotMessage) -> list[dict]:
    markup = message.reply_markup or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass(eq=False)
class SandboxChat:
    """A private chat, group or supergroup. Ids of groups are negative, as in Telegram."""

    id: int
    type: str
    title: str | None = None
    user: SandboxUser | None = None  # the other party of a private chat
    is_forum: bool = False
    creator_id: int | None = None
    admins: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    # Restricted people, and whether each is still in the chat (one who left stays restricted).
    restricted: dict[int, bool] = field(default_factory=dict)
    bot_status: str = "left"  # left, member, administrator, kicked
    migrated_to: int | None = None
    topics: dict[int, str] = field(default_factory=dict)
    messages: dict[int, dict] = field(default_factory=dict, repr=False)
    bot_messages: list[BotMessage] = field(default_factory=list, repr=False)
    reply_keyboard: list | None = field(default=None, repr=False)
    next_message_id: int = 1

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def name(self) -> str:
        return self.title if self.user is None else self.user.first_name

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def to_dict(self) -> dict:
        if self.user is not None:
            data = self.user.to_dict()
            data.pop("is_bot")
            data.pop("language_code", None)
            return {**data, "type": "private"}
        data = {"id": self.id, "type": self.type, "title": self.title}
        if self.is_forum:
            data["is_forum"] = True
        return data

    def status_of(self, user_id: int) -> str:
        if user_id == self.creator_id:
            return "creator"
        if user_id in self.admins:
            return "administrator"
        if user_id in self.restricted:
            return "restricted"
        return "member" if user_id in self.members else "left"
