"""The sandbox: a world of users and chats, the update queue, and what the bot did."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import transcript
from .errors import SandboxError
from .faults import Faults
from .files import FileStore, StoredFile, fake_video, make_png, png_size
from .limits import Limits, RateLimiter
from .world import BotMessage, SandboxChat, SandboxUser, buttons_of, command_entities

MB = 1024 * 1024


@dataclass
class CallbackRecord:
    query_id: str
    update_id: int
    data: str
    created: float  # monotonic
    answered: bool = False
    answer: dict | None = None
    reported: bool = False
    user_name: str = ""


# Telegram's stand-in sender for group admins who remain anonymous.
ANONYMOUS_ADMIN = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


class Sandbox:
    """A Telegram Bot API server on loopback, with a scripted world behind it.

    User actions queue an update and, unless wait=False, return once the bot has confirmed it
    (a later getUpdates with a higher offset) and no request is in flight. Requests held with
    `hold()`, or answering late by a fault rule, do not count as in flight. `requests` lists
    every call except getUpdates (failed ones too).

    `faults` makes requests fail as Telegram's do (5xx, 403, 429, timeouts, dropped
    connections); see faults.py. Faults served go to `faults.served`, not to `rejections`.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_username: str = "pacesetter_bot",
        bot_name: str = "Pacesetter",
    ) -> None:
        self._token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_name = bot_name
        # Settings tests may change.
        self.settle_timeout = 10.0
        self.callback_timeout = 15.0
        self.limits = Limits()
        self.privacy_mode = False  # True: in groups the bot only gets commands and replies to it
        self.strict_html = True  # refuse a bare "&" or ">" (Telegram lets them through)
        self.max_download = 20 * MB
        self.max_upload = 50 * MB
        self.max_photo_upload = 10 * MB
        # What happened.
        self.requests: list[tuple[str, dict]] = []
        self.rejections: list[tuple[str, int, str]] = []
        self._problems: list[str] = []
        self.faults = Faults()
        self._transcript: list[str] = []
        # The world.
        self.files = FileStore()
        self._users: dict[int, SandboxUser] = {}
        self._chats: dict[int, SandboxChat] = {}
        self._user_ids = itertools.count(7_000_000_001)
        self._group_ids = itertools.count(4_100_000_001)
        self._supergroup_ids = itertools.count(1_002_100_000_001)
        self._query_ids = itertools.count(4_382_000_000_000_000_001)
        self._media_group_ids = itertools.count(13_800_000_000_000_001)
        self._callbacks: dict[str, CallbackRecord] = {}
        self._commands: dict[tuple, list[tuple[str, str]]] = {}
        self.settings: dict[str, Any] = {}  # descriptions, menu buttons, as last set
        # The update queue: unconfirmed updates by id, in order.
        self._pending: dict[int, dict] = {}
        self._next_update_id = 100_000
        self.allowed_updates: list[str] = []
        # Requests in flight, holds, and the "something changed" signal waiters sleep on.
        self._limiter = RateLimiter(self.limits)
        self._inflight = 0
        self._held_waiting = 0
        self._held: set[str] = set()
        self._activity = 0
        self._mark = 0
        self._request_cursor: dict[str, int] = {}
        self._changed = asyncio.Event()
        self._poll_serial = 0
        self.closing = False
        self._server: Any = None
        # Optional: the bot under test says whether it still has work in hand (updates it
        # received but has not answered, messages queued to send). Actions then also wait for
        # it, since a bot may confirm an update before it has answered it.
        self.bot_busy: Callable[[], bool] | None = None

    def __repr__(self) -> str:  # the token stays out of reprs
        return f"Sandbox(bot=@{self.bot_username}, url={self.api_url if self._server else None})"

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from .server import SandboxServer

        self.closing = False
        self._server = SandboxServer(self)
        await self._server.start(host, port)

    async def stop(self) -> None:
        self.closing = True
        self._notify()
        if self._server is not None:
            await self._server.stop()

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        if self._server is None:
            raise SandboxError("the sandbox is not started")
        return self._server.url

    @property
    def bot_user(self) -> dict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def token_matches(self, token: str) -> bool:
        return token == self._token

    # --- waiting -----------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise SandboxError(f"timed out after {timeout:g} s waiting for {what}")
            # The bot's own state changes without a request: look again soon.
            await self._wait_change(remaining if self.bot_busy is None else min(remaining, 0.01))

    def _bot_idle(self) -> bool:
        return self.bot_busy is None or not self.bot_busy()

    def _quiet(self) -> bool:
        idle = not self._pending and self._inflight - self._held_waiting <= 0
        return idle and self._bot_idle()

    async def settle(self, timeout: float | None = None) -> None:
        """Wait until every update is confirmed and no request (except held ones) is in flight."""
        timeout = self.settle_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = max(deadline - loop.time(), 0.001)
            await self._wait_until(self._quiet, remaining, self._pending_description())
            activity = self._activity
            await asyncio.sleep(0.03)  # stay quiet a moment: the bot may still be mid-reply
            if self._quiet() and activity == self._activity:
                break
        await self._check_answered()

    def _pending_description(self) -> str:
        if self._pending:
            first = next(iter(self._pending))
            return (
                f"the bot to confirm {len(self._pending)} update(s) from {first} on "
                "(is it polling getUpdates?)"
            )
        if self._inflight - self._held_waiting > 0:
            return f"{self._inflight - self._held_waiting} bot request(s) in flight to finish"
        return "the bot to finish the work in hand"

    async def _after_action(self, update_id: int | None, wait: bool, timeout: float | None) -> None:
        if update_id is None or not wait:
            return
        timeout = self.settle_timeout if timeout is None else timeout

        def done() -> bool:
            confirmed = update_id not in self._pending
            return confirmed and self._inflight - self._held_waiting <= 0 and self._bot_idle()

        what = f"the bot to confirm update {update_id} (is it polling getUpdates?)"
        await self._wait_until(done, timeout, what)
        await self._check_answered()

    async def _check_answered(self, grace: float = 0.5) -> None:
        """Report confirmed but unanswered callback queries, after a short grace: a bot that
        confirms before handling (PTB's own Updater) may still be about to answer."""

        def all_answered() -> bool:
            return all(
                r.answered or r.reported or r.update_id in self._pending
                for r in self._callbacks.values()
            )

        with contextlib.suppress(SandboxError):
            await self._wait_until(all_answered, grace, "callback answers")
        self._check_callbacks(at_settle=True)

    # --- world building ----------------------------------------------------------------------

    def user(
        self,
        first_name: str,
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> SandboxUser:
        user_id = next(self._user_ids)
        user = SandboxUser(
            self,
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._users[user_id] = user
        self._chats[user_id] = SandboxChat(id=user_id, type="private", user=user)
        return user

    def _new_group(
        self,
        chat_id: int,
        kind: str,
        title: str,
        creator: SandboxUser,
        admins: list[SandboxUser] | tuple = (),
        members: list[SandboxUser] | tuple = (),
        forum: bool = False,
    ) -> SandboxChat:
        chat = SandboxChat(id=chat_id, type=kind, title=title, is_forum=forum)
        chat.creator_id = creator.id
        chat.admins = {user.id for user in admins}
        chat.members = {creator.id} | chat.admins | {user.id for user in members}
        self._chats[chat_id] = chat
        return chat

    def group(
        self,
        title: str,
        creator: SandboxUser,
        admins: list[SandboxUser] | tuple = (),
        members: list[SandboxUser] | tuple = (),
    ) -> SandboxChat:
        return self._new_group(-next(self._group_ids), "group", title, creator, admins, members)

    def supergroup(
        self,
        title: str,
        creator: SandboxUser,
        forum: bool = False,
        admins: list[SandboxUser] | tuple = (),
        members: list[SandboxUser] | tuple = (),
    ) -> SandboxChat:
        chat_id = -next(self._supergroup_ids)
        return self._new_group(chat_id, "supergroup", title, creator, admins, members, forum)

    def chat(self, chat_id: int) -> SandboxChat:
        try:
            return self._chats[chat_id]
        except KeyError:
            raise SandboxError(f"no chat {chat_id}") from None

    def promote(self, chat: SandboxChat, user: SandboxUser) -> None:
        chat.members.add(user.id)
        chat.admins.add(user.id)

    def demote(self, chat: SandboxChat, user: SandboxUser) -> None:
        chat.admins.discard(user.id)

    def _resolve(self, chat: SandboxChat | int | None, user: SandboxUser) -> SandboxChat:
        if chat is None:
            return self._chats[user.id]
        return chat if isinstance(chat, SandboxChat) else self.chat(chat)

    # --- the update queue --------------------------------------------------------------------

    def _queue(self, kind: str, payload: dict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._pending[update_id] = {"update_id": update_id, kind: payload}
        self._activity += 1
        self._mark = len(self.requests)
        self._notify()
        return update_id

    def confirm(self, offset: int) -> None:
        """getUpdates with this offset: updates below it are confirmed (negative: keep last N)."""
        ids = list(self._pending)
        if offset < 0:
            dropped = ids[: max(len(ids) + offset, 0)]
        else:
            dropped = [update_id for update_id in ids if update_id < offset]
        for update_id in dropped:
            del self._pending[update_id]
        if dropped:
            self._notify()

    def deliverable(self, offset: int | None, limit: int) -> list[dict]:
        if self.allowed_updates:
            for update_id, update in list(self._pending.items()):
                kind = next(key for key in update if key != "update_id")
                if kind not in self.allowed_updates:
                    del self._pending[update_id]  # Telegram never delivers these
        start = offset if offset and offset > 0 else 0
        updates = [u for uid, u in self._pending.items() if uid >= start]
        return copy.deepcopy(updates[:limit])

    def pending_count(self) -> int:
        """Updates the bot has not confirmed yet (Telegram would give them again)."""
        return len(self._pending)

    def drop_pending_updates(self) -> None:
        self._pending.clear()
        self._notify()

    # --- transcript and problems -------------------------------------------------------------

    def _log(self, line: str) -> None:
        self._transcript.append(line)

    def transcript(self) -> list[str]:
        return list(self._transcript)

    def _chat_label(self, chat: SandboxChat, thread_id: int | None = None) -> str:
        if thread_id and thread_id in chat.topics:
            return f"{chat.name} › {chat.topics[thread_id]}"
        return chat.name

    @property
    def problems(self) -> list[str]:
        self._check_callbacks(at_settle=False)
        return self._problems

    def _check_callbacks(self, at_settle: bool) -> None:
        now = time.monotonic()
        for record in self._callbacks.values():
            if record.answered or record.reported:
                continue
            too_old = now - record.created > self.callback_timeout
            if too_old or (at_settle and record.update_id not in self._pending):
                record.reported = True
                self._problems.append(
                    f"callback query {record.query_id} (data {record.data!r}) was never answered"
                )

    def problem(self, text: str) -> None:
        self._problems.append(text)

    # --- observation -------------------------------------------------------------------------

    def messages(self, chat: SandboxChat | int, thread_id: int | None = None) -> list[BotMessage]:
        found = chat if isinstance(chat, SandboxChat) else self._chats.get(chat)
        if found is None:
            raise SandboxError(f"no chat {chat}")
        return [m for m in found.bot_messages if thread_id is None or m.thread_id == thread_id]

    def file_bytes(self, file_id: str) -> bytes:
        stored = self.files.get(file_id)
        if stored is None:
            raise SandboxError(f"no file {file_id}")
        return stored.data

    def commands(
        self,
        scope_type: str = "default",
        chat_id: int | None = None,
        language_code: str = "",
        user_id: int | None = None,
    ) -> list[tuple[str, str]]:
        return list(self._commands.get(((scope_type, chat_id, user_id), language_code), []))

    def callback_answer(self, query_id: str) -> dict | None:
        """The answerCallbackQuery parameters the bot gave for that query, if it answered."""
        record = self._callbacks.get(query_id)
        return record.answer if record else None

    # --- holding requests --------------------------------------------------------------------

    def hold(self, method: str) -> None:
        self._held.add(method.lower())
        self._mark = len(self.requests)

    def release(self, method: str) -> None:
        self._held.discard(method.lower())
        self._notify()

    def is_held(self, method: str) -> bool:
        return method.lower() in self._held

    async def wait_held(self, count: int = 1, timeout: float = 5) -> None:
        """Until at least `count` bot requests hang on a hold or a late answer (getUpdates
        included)."""
        await self._wait_until(
            lambda: self._held_waiting >= count, timeout, f"{count} held request(s)"
        )

    async def wait_request(self, method: str, timeout: float = 5) -> dict:
        """Params of the first request to `method` since the last action or hold (or since the
        request this returned last time)."""
        key = method.lower()
        start = max(self._mark, self._request_cursor.get(key, 0))
        found: list[int] = []

        def arrived() -> bool:
            for index in range(start, len(self.requests)):
                if self.requests[index][0].lower() == key:
                    found.append(index)
                    return True
            return False

        await self._wait_until(arrived, timeout, f"a {method} request from the bot")
        self._request_cursor[key] = found[0] + 1
        return self.requests[found[0]][1]

    def note_request(self, method: str, params: dict) -> None:
        self.requests.append((method, params))
        self._activity += 1
        self._notify()

    # --- content the users send --------------------------------------------------------------

    def _photo_sizes(self, data: bytes, width: int, height: int) -> list[dict]:
        sizes = []
        largest = max(width, height, 1)
        for bound in sorted({min(90, largest), min(320, largest), largest}):
            scale = bound / largest
            stored = self.files.add("photo", data, mime_type="image/png")
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            stored.meta = {"width": w, "height": h}
            sizes.append(_photo_size(stored))
        return sizes

    def _photo_content(
        self, data: bytes | None, width: int, height: int, caption: str | None
    ) -> dict:
        if data is None:
            data = make_png(width, height)
        content: dict[str, Any] = {"photo": self._photo_sizes(data, width, height)}
        return _with_caption(content, caption)

    def _document_content(
        self, data: bytes, filename: str, mime_type: str, caption: str | None
    ) -> dict:
        stored = self.files.add("document", data, mime_type=mime_type, file_name=filename)
        return _with_caption({"document": _document(stored)}, caption)

    def _video_content(self, data: bytes | None, duration: int, caption: str | None) -> dict:
        stored = self.files.add("video", data or fake_video(), mime_type="video/mp4")
        stored.meta = {"width": 640, "height": 360, "duration": duration}
        return _with_caption({"video": _video(stored)}, caption)

    def _sticker_content(self, emoji: str) -> dict:
        stored = self.files.add("sticker", make_png(64, 64), mime_type="image/webp")
        stored.meta = {"emoji": emoji}
        return {"sticker": _sticker(stored)}

    # --- user actions ------------------------------------------------------------------------

    def _check_sender(self, user: SandboxUser, chat: SandboxChat) -> None:
        if chat.migrated_to:
            raise SandboxError(f"{chat.name} was upgraded; use sb.chat({chat.migrated_to})")
        if chat.user is not None and chat.user is not user:
            raise SandboxError(f"{user.first_name} cannot write in {chat.name}'s private chat")
        if chat.is_group and user.id not in chat.members:
            raise SandboxError(f"{user.first_name} is not a member of {chat.name}")

    def _bot_receives(self, chat: SandboxChat, message: dict) -> bool:
        if chat.user is not None:
            return True
        if chat.bot_status not in ("member", "administrator"):
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        replied = message.get("reply_to_message", {}).get("from", {}).get("id")
        return bool(command_entities(message.get("text", ""))) or replied == self.bot_id

    def _post_user_message(
        self,
        user: SandboxUser,
        chat: SandboxChat,
        content: dict,
        thread_id: int | None = None,
        reply_to: BotMessage | dict | int | None = None,
    ) -> tuple[dict, int | None]:
        self._check_sender(user, chat)
        if chat.user is not None:
            if user.blocked:
                self._set_blocked(user, False)
            user.started = True
        message: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": user.to_dict(),
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if thread_id is not None:
            if thread_id not in chat.topics:
                raise SandboxError(f"{chat.name} has no topic {thread_id}")
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if reply_to is not None:
            message["reply_to_message"] = self._reply_target(chat, reply_to)
        if content.pop("_anonymous", False):
            if chat.status_of(user.id) not in ("creator", "administrator"):
                raise SandboxError(f"{user.first_name} is not an admin of {chat.name}")
            message["from"] = dict(ANONYMOUS_ADMIN)
            message["sender_chat"] = chat.to_dict()
        message.update(content)
        chat.messages[message["message_id"]] = message
        where = "bot" if chat.user is not None else self._chat_label(chat, thread_id)
        self._log(transcript.entry(f"{user.first_name} → {where}: ", transcript.describe(message)))
        update_id = self._queue("message", message) if self._bot_receives(chat, message) else None
        return message, update_id

    def _reply_target(self, chat: SandboxChat, reply_to: BotMessage | dict | int) -> dict:
        if isinstance(reply_to, BotMessage):
            message_id = reply_to.message_id
        elif isinstance(reply_to, dict):
            message_id = reply_to["message_id"]
        else:
            message_id = reply_to
        target = chat.messages.get(message_id)
        if target is None:
            raise SandboxError(f"no message {message_id} in {chat.name} to reply to")
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    async def _user_message(
        self,
        user: SandboxUser,
        chat: SandboxChat | int | None,
        content: dict,
        *,
        thread_id: int | None = None,
        reply_to: BotMessage | dict | int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> dict:
        target = self._resolve(chat, user)
        message, update_id = self._post_user_message(user, target, content, thread_id, reply_to)
        await self._after_action(update_id, wait, timeout)
        return message

    async def _user_album(
        self,
        user: SandboxUser,
        chat: SandboxChat | int | None,
        items: list[tuple[str, bytes | None]],
        caption: str | None,
        thread_id: int | None,
        wait: bool,
        timeout: float | None,
    ) -> list[dict]:
        target = self._resolve(chat, user)
        group_id = str(next(self._media_group_ids))
        messages, last = [], None
        for index, (kind, data) in enumerate(items):
            text = caption if index == 0 else None
            if kind == "photo":
                content = self._photo_content(data, 800, 600, text)
            elif kind == "video":
                content = self._video_content(data, 10, text)
            else:
                content = self._document_content(data or b"", f"file{index}", "", text)
            content["media_group_id"] = group_id
            message, update_id = self._post_user_message(user, target, content, thread_id)
            messages.append(message)
            last = update_id if update_id is not None else last
        await self._after_action(last, wait, timeout)
        return messages

    async def _user_edit(
        self, user: SandboxUser, message: dict, text: str, *, wait: bool, timeout: float | None
    ) -> dict:
        chat = self.chat(message["chat"]["id"])
        stored = chat.messages.get(message["message_id"])
        if stored is None or stored.get("from", {}).get("id") != user.id:
            raise SandboxError(f"{user.first_name} did not send message {message['message_id']}")
        key = "text" if "text" in stored else "caption"
        stored[key] = text
        stored.pop("entities" if key == "text" else "caption_entities", None)
        entities = command_entities(text) if key == "text" else []
        if entities:
            stored["entities"] = entities
        stored["edit_date"] = int(time.time())
        where = "bot" if chat.user is not None else self._chat_label(chat)
        self._log(transcript.entry(f"{user.first_name} ✎ {where}: ", transcript.describe(stored)))
        update_id = None
        if self._bot_receives(chat, stored):
            update_id = self._queue("edited_message", copy.deepcopy(stored))
        await self._after_action(update_id, wait, timeout)
        return stored

    def _find_button_message(self, user: SandboxUser, label: str) -> BotMessage:
        for message in reversed(self.messages(user.id)):
            if not message.deleted and message.button_data(label) is not None:
                return message
        raise SandboxError(f"no bot message to {user.first_name} has a button {label!r}")

    async def _callback(
        self,
        user: SandboxUser,
        message: BotMessage,
        data: str,
        label: str | None,
        *,
        wait: bool,
        timeout: float | None,
    ) -> dict:
        chat = self.chat(message.chat_id)
        self._check_sender(user, chat)
        if message.deleted:
            raise SandboxError(f"bot message {message.message_id} was deleted")
        query_id = str(next(self._query_ids))
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(message.raw),
            "chat_instance": str(abs(chat.id) * 7919 % 10**15),
            "data": data,
        }
        shown = f"[ {label} ]" if label is not None else f"(data {data!r})"
        where = "" if chat.user is not None else f" in {self._chat_label(chat, message.thread_id)}"
        self._log(f"{user.first_name} taps {shown}{where}")
        update_id = self._queue("callback_query", query)
        self._callbacks[query_id] = CallbackRecord(
            query_id, update_id, data, time.monotonic(), user_name=user.first_name
        )
        await self._after_action(update_id, wait, timeout)
        return query

    # --- membership and service events -------------------------------------------------------

    def _member(self, user: dict, status: str, chat: SandboxChat | None = None) -> dict:
        from .methods import member_dict

        return member_dict(user, status, chat)

    def _bot_membership_update(self, chat: SandboxChat, by: dict, old: str, new: str) -> int:
        update = {
            "chat": chat.to_dict(),
            "from": by,
            "date": int(time.time()),
            "old_chat_member": self._member(self.bot_user, old, chat),
            "new_chat_member": self._member(self.bot_user, new, chat),
        }
        return self._queue("my_chat_member", update)

    def _service(self, chat: SandboxChat, by: SandboxUser, content: dict) -> int | None:
        message = {
            "message_id": chat.take_message_id(),
            "from": by.to_dict(),
            "chat": chat.to_dict(),
            "date": int(time.time()),
            **content,
        }
        chat.messages[message["message_id"]] = message
        if chat.bot_status in ("member", "administrator"):
            return self._queue("message", message)
        return None

    async def add_bot(
        self,
        chat: SandboxChat,
        by: SandboxUser,
        *,
        admin: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> None:
        self._check_sender(by, chat)
        old, chat.bot_status = chat.bot_status, "administrator" if admin else "member"
        self._log(f"{by.first_name} adds bot to {chat.name}")
        self._bot_membership_update(chat, by.to_dict(), old, chat.bot_status)
        last = self._service(chat, by, {"new_chat_members": [self.bot_user]})
        await self._after_action(last, wait, timeout)

    async def remove_bot(
        self, chat: SandboxChat, by: SandboxUser, *, wait: bool = True, timeout: float | None = None
    ) -> None:
        self._check_sender(by, chat)
        old, chat.bot_status = chat.bot_status, "kicked"
        self._log(f"{by.first_name} removes bot from {chat.name}")
        last = self._bot_membership_update(chat, by.to_dict(), old, "kicked")
        await self._after_action(last, wait, timeout)

    def _set_blocked(self, user: SandboxUser, blocked: bool) -> int:
        user.blocked = blocked
        chat = self._chats[user.id]
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self._log(f"{user.first_name} {'blocks' if blocked else 'unblocks'} bot")
        return self._bot_membership_update(chat, user.to_dict(), old, new)

    async def block_bot(
        self, user: SandboxUser, *, wait: bool = True, timeout: float | None = None
    ) -> None:
        await self._after_action(self._set_blocked(user, True), wait, timeout)

    async def unblock_bot(
        self, user: SandboxUser, *, wait: bool = True, timeout: float | None = None
    ) -> None:
        await self._after_action(self._set_blocked(user, False), wait, timeout)

    async def upgrade(
        self,
        chat: SandboxChat,
        by: SandboxUser | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> SandboxChat:
        if chat.type != "group" or chat.migrated_to:
            raise SandboxError(f"{chat.name} is not a basic group")
        by = by or self._users[chat.creator_id]
        new = self._new_group(-next(self._supergroup_ids), "supergroup", chat.title, by)
        new.creator_id, new.admins, new.members = (
            chat.creator_id,
            set(chat.admins),
            set(chat.members),
        )
        new.bot_status = chat.bot_status
        self._log(f"{chat.name} is upgraded to a supergroup")
        self._service(chat, by, {"migrate_to_chat_id": new.id})
        chat.migrated_to = new.id
        last = self._service(new, by, {"migrate_from_chat_id": chat.id})
        await self._after_action(last, wait, timeout)
        return new

    async def create_topic(
        self,
        chat: SandboxChat,
        name: str,
        by: SandboxUser,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> int:
        self._check_sender(by, chat)
        if not chat.is_forum:
            raise SandboxError(f"{chat.name} is not a forum")
        thread_id = chat.next_message_id
        chat.topics[thread_id] = name
        self._log(f"{by.first_name} creates topic {name!r} in {chat.name}")
        content = {
            "message_thread_id": thread_id,
            "is_topic_message": True,
            "forum_topic_created": {"name": name, "icon_color": 7322096},
        }
        last = self._service(chat, by, content)
        await self._after_action(last, wait, timeout)
        return thread_id

    async def add_member(
        self,
        chat: SandboxChat,
        user: SandboxUser,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> None:
        chat.members.add(user.id)
        self._log(f"{user.first_name} joins {chat.name}")
        last = self._service(chat, user, {"new_chat_members": [user.to_dict()]})
        await self._after_action(last, wait, timeout)

    # --- what the bot sends (used by the methods) --------------------------------------------

    def post_bot_message(
        self,
        chat: SandboxChat,
        content: dict,
        *,
        html: str,
        kind: str,
        thread_id: int | None = None,
        reply_markup: dict | None = None,
        reply_to: dict | None = None,
        file_id: str | None = None,
    ) -> BotMessage:
        raw: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": self.bot_user,
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if thread_id is not None:
            raw.update(message_thread_id=thread_id, is_topic_message=True)
        if reply_to is not None:
            raw["reply_to_message"] = reply_to
        raw.update(content)
        inline = reply_markup if reply_markup and "inline_keyboard" in reply_markup else None
        if inline:
            raw["reply_markup"] = inline
        if reply_markup and "keyboard" in reply_markup:
            chat.reply_keyboard = reply_markup["keyboard"]
        elif reply_markup and reply_markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        plain = raw.get("text", raw.get("caption", ""))
        message = BotMessage(
            message_id=raw["message_id"],
            chat_id=chat.id,
            thread_id=thread_id,
            html=html,
            text=plain,
            buttons=buttons_of(inline),
            kind=kind,
            file_id=file_id,
            reply_markup=inline,
            media_group_id=raw.get("media_group_id"),
            raw=raw,
        )
        chat.messages[message.message_id] = raw
        chat.bot_messages.append(message)
        body = transcript.describe(raw)
        label = self._chat_label(chat, thread_id)
        self._log(transcript.entry(f"bot → {label}: ", body, message.buttons))
        self._notify()
        return message

    def log_bot_edit(self, chat: SandboxChat, message: BotMessage) -> None:
        label = self._chat_label(chat, message.thread_id)
        body = transcript.describe(message.raw)
        self._log(transcript.entry(f"bot ✎ {label}: ", body, message.buttons))
        self._notify()

    def log_bot_delete(self, chat: SandboxChat, raw: dict) -> None:
        first_line = transcript.describe(raw).split("\n")[0]
        self._log(f"bot ✗ {self._chat_label(chat)}: {first_line}")
        self._notify()

    def set_commands(self, key: tuple, commands: list[tuple[str, str]] | None) -> None:
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)

    def get_commands(self, key: tuple) -> list[tuple[str, str]]:
        return list(self._commands.get(key, []))


def _with_caption(content: dict, caption: str | None) -> dict:
    if caption:
        content["caption"] = caption
    return content


def _photo_size(stored: StoredFile) -> dict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": stored.meta.get("width", 800),
        "height": stored.meta.get("height", 600),
        "file_size": stored.size,
    }


def _document(stored: StoredFile) -> dict:
    data = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if stored.file_name:
        data["file_name"] = stored.file_name
    if stored.mime_type:
        data["mime_type"] = stored.mime_type
    return data


def _video(stored: StoredFile) -> dict:
    return {
        **_document(stored),
        "width": stored.meta.get("width", 640),
        "height": stored.meta.get("height", 360),
        "duration": stored.meta.get("duration", 10),
    }


def _sticker(stored: StoredFile) -> dict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "emoji": stored.meta.get("emoji", "👍"),
        "file_size": stored.size,
    }


def media_dict(kind: str, stored: StoredFile) -> dict | list:
    """The message field for a stored file sent as `kind` (photo sizes are a list)."""
    if kind == "photo":
        size = png_size(stored.data) or (800, 600)
        stored.meta.setdefault("width", size[0])
        stored.meta.setdefault("height", size[1])
        return [_photo_size(stored)]
    return {"video": _video, "sticker": _sticker}.get(kind, _document)(stored)
