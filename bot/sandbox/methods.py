"""Bot API methods (all but getUpdates): each checks like Telegram, then acts on the world.

Every method takes the sandbox and the decoded parameters and returns the `result`, or raises
ApiError. They are synchronous, so a request is applied all at once or not at all.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_request, forbidden
from .files import StoredFile
from .html import HtmlError, Parsed, parse_html, strip_text, utf16_len
from .sandbox import media_dict
from .world import BotMessage, SandboxChat, buttons_of

if TYPE_CHECKING:
    from .sandbox import Sandbox

Method = Callable[["Sandbox", dict], Any]
METHODS: dict[str, tuple[str, Method]] = {}  # lower-case name -> (canonical name, function)

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WRONG_FILE = "wrong file identifier/HTTP URL specified"
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = (
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
)


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    data: bytes
    content_type: str | None

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.data)} bytes)"


def method(name: str) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        METHODS[name.lower()] = (name, function)
        return function

    return register


# --- shared checks ---------------------------------------------------------------------------


def target_chat(sb: Sandbox, p: dict, key: str = "chat_id", sending: bool = True) -> SandboxChat:
    chat_id = p.get(key)
    if chat_id in (None, ""):
        raise bad_request(f"{key} is empty")
    chat = sb._chats.get(chat_id) if isinstance(chat_id, int) else None
    if chat is None:
        raise bad_request("chat not found")
    if chat.migrated_to:
        raise bad_request(
            "group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": chat.migrated_to}
        )
    if chat.user is not None:
        if not chat.user.started:
            if sending:
                raise forbidden("bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        if chat.user.blocked and sending:
            raise forbidden("bot was blocked by the user")
    elif chat.bot_status == "kicked":
        raise forbidden(f"bot was kicked from the {chat.type} chat")
    elif chat.bot_status == "left":
        raise forbidden(f"bot is not a member of the {chat.type} chat")
    return chat


def thread_of(chat: SandboxChat, p: dict) -> int | None:
    thread_id = p.get("message_thread_id")
    if not thread_id:
        return None
    if thread_id in chat.topics:
        return thread_id
    if chat.type == "supergroup" and not chat.is_forum and thread_id in chat.messages:
        return thread_id  # a reply thread in an ordinary supergroup
    raise bad_request("message thread not found")


def reply_of(chat: SandboxChat, p: dict) -> dict | None:
    parameters = p.get("reply_parameters") or {}
    message_id = parameters.get("message_id") or p.get("reply_to_message_id")
    if not message_id:
        return None
    target = chat.messages.get(message_id)
    if target is None:
        allowed = parameters.get("allow_sending_without_reply") or p.get(
            "allow_sending_without_reply"
        )
        if allowed:
            return None
        raise bad_request("message to be replied not found")
    return {k: v for k, v in target.items() if k != "reply_to_message"}


def render(sb: Sandbox, text: str, parse_mode: str | None, entities: list | None) -> Parsed:
    if not parse_mode:
        return Parsed(text, list(entities or []))
    if parse_mode.lower() != "html":
        raise bad_request("unsupported parse_mode")  # the sandbox implements HTML only
    try:
        return parse_html(text, strict=sb.strict_html)
    except HtmlError as error:
        raise bad_request(f"can't parse entities: {error}") from None


def message_text(sb: Sandbox, p: dict) -> Parsed:
    text = p.get("text")
    if not isinstance(text, str) or not text:
        raise bad_request("message text is empty")
    parsed = strip_text(render(sb, text, p.get("parse_mode"), p.get("entities")))
    if not parsed.text:
        raise bad_request("message text is empty")
    if utf16_len(parsed.text) > 4096:
        raise bad_request("message is too long")
    return parsed


def caption_of(sb: Sandbox, item: dict) -> Parsed | None:
    caption = item.get("caption")
    if not caption:
        return None
    parsed = strip_text(render(sb, caption, item.get("parse_mode"), item.get("caption_entities")))
    if utf16_len(parsed.text) > 1024:
        raise bad_request("message caption is too long")
    return parsed if parsed.text else None


def check_markup(markup: Any) -> dict | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        if sum(len(row) for row in rows) > 300 or any(len(row) > 12 for row in rows):
            raise bad_request("reply markup is too long")
    elif not ("remove_keyboard" in markup or "force_reply" in markup):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def check_inline_keyboard(rows: Any) -> None:
    shape = 'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(shape)
    total = 0
    for row in rows:
        if len(row) > 8:
            raise bad_request("reply markup is too long")
        for button in row:
            check_button(button)
            total += 1
    if total > 100:
        raise bad_request("reply markup is too long")


def check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in _BUTTON_ACTIONS if button.get(key) not in (None, "")]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request("BUTTON_TYPE_INVALID")
    data = button.get("callback_data")
    if data is not None and not (isinstance(data, str) and 1 <= len(data.encode()) <= 64):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not re.match(r"(https?|tg)://\S+$", str(url)):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def rate(sb: Sandbox, chat: SandboxChat) -> None:
    sb._limiter.limits = sb.limits  # tests may replace the Limits object
    retry_after = sb._limiter.acquire(chat.id, chat.is_group)
    if retry_after:
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )


def own_message(chat: SandboxChat, p: dict, missing: str) -> BotMessage:
    raw = chat.messages.get(p.get("message_id"))
    if raw is None:
        raise bad_request(missing)
    for message in chat.bot_messages:
        if message.raw is raw:
            return message
    raise bad_request("message can't be edited")


def content_of(parsed: Parsed, key: str = "text") -> dict:
    content: dict[str, Any] = {key: parsed.text}
    if parsed.entities:
        content["entities" if key == "text" else "caption_entities"] = parsed.entities
    return content


def member_dict(user: dict, status: str, chat: SandboxChat | None = None) -> dict:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_pin_messages=True,
        )
        if chat is not None and chat.type == "supergroup":
            member["can_manage_topics"] = bool(chat.is_forum)
    elif status == "kicked":
        member["until_date"] = 0
    elif status == "restricted":
        in_chat = chat is not None and chat.restricted.get(user["id"], False)
        member.update(dict.fromkeys(_RESTRICTED_RIGHTS, False), is_member=in_chat, until_date=0)
    return member


_RESTRICTED_RIGHTS = (
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_send_messages",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_manage_topics",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_edit_tag",
    "can_react_to_messages",
)


# --- bot, updates, commands ------------------------------------------------------------------


@method("getMe")
def get_me(sb: Sandbox, p: dict) -> dict:
    return {
        **sb.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": not sb.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
def log_out(sb: Sandbox, p: dict) -> bool:
    return True


@method("close")
def close(sb: Sandbox, p: dict) -> bool:
    return True


@method("deleteWebhook")
def delete_webhook(sb: Sandbox, p: dict) -> bool:
    if p.get("drop_pending_updates"):
        sb.drop_pending_updates()
    return True


@method("getWebhookInfo")
def get_webhook_info(sb: Sandbox, p: dict) -> dict:
    return {"url": "", "has_custom_certificate": False, "pending_update_count": len(sb._pending)}


def command_key(sb: Sandbox, p: dict) -> tuple:
    scope = p.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    chat_id = scope.get("chat_id")
    if scope["type"].startswith("chat"):
        chat = sb._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
    language = p.get("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return (scope["type"], chat_id, scope.get("user_id")), language


@method("setMyCommands")
def set_my_commands(sb: Sandbox, p: dict) -> bool:
    commands = p.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    stored = []
    for command in commands:
        name = command.get("command") if isinstance(command, dict) else None
        description = command.get("description") if isinstance(command, dict) else None
        if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not description.strip():
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        stored.append((name, description))
    sb.set_commands(command_key(sb, p), stored)
    return True


@method("getMyCommands")
def get_my_commands(sb: Sandbox, p: dict) -> list:
    return [{"command": c, "description": d} for c, d in sb.get_commands(command_key(sb, p))]


@method("deleteMyCommands")
def delete_my_commands(sb: Sandbox, p: dict) -> bool:
    sb.set_commands(command_key(sb, p), None)
    return True


@method("setChatMenuButton")
def set_chat_menu_button(sb: Sandbox, p: dict) -> bool:
    sb.settings[("menu_button", p.get("chat_id"))] = p.get("menu_button") or {"type": "default"}
    return True


@method("getChatMenuButton")
def get_chat_menu_button(sb: Sandbox, p: dict) -> dict:
    return sb.settings.get(("menu_button", p.get("chat_id")), {"type": "commands"})


def _setter(name: str, field: str, limit: int) -> None:
    def set_value(sb: Sandbox, p: dict) -> bool:
        value = p.get(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field.upper()}_INVALID")
        sb.settings[(field, p.get("language_code") or "")] = value
        return True

    def get_value(sb: Sandbox, p: dict) -> dict:
        return {field: sb.settings.get((field, p.get("language_code") or ""), "")}

    method("set" + name)(set_value)
    method("get" + name)(get_value)


_setter("MyDescription", "description", 512)
_setter("MyShortDescription", "short_description", 120)
_setter("MyName", "name", 64)


# --- sending ---------------------------------------------------------------------------------


@method("sendMessage")
def send_message(sb: Sandbox, p: dict) -> dict:
    chat = target_chat(sb, p)
    thread_id, reply = thread_of(chat, p), reply_of(chat, p)
    parsed = message_text(sb, p)
    markup = check_markup(p.get("reply_markup"))
    rate(sb, chat)
    message = sb.post_bot_message(
        chat,
        content_of(parsed),
        html=p["text"],
        kind="text",
        thread_id=thread_id,
        reply_markup=markup,
        reply_to=reply,
    )
    return message.raw


@method("sendChatAction")
def send_chat_action(sb: Sandbox, p: dict) -> bool:
    chat = target_chat(sb, p)
    thread_of(chat, p)
    if not p.get("action"):
        raise bad_request("action is empty")
    return True


def stored_input(sb: Sandbox, p: dict, value: Any, kind: str) -> StoredFile:
    """The file a media parameter names: an upload, attach://part, or an existing file_id."""
    if isinstance(value, str) and value.startswith("attach://"):
        value = p.get(value[len("attach://") :])
        if not isinstance(value, Upload):
            raise bad_request(WRONG_FILE)
    if isinstance(value, Upload):
        limit = sb.max_photo_upload if kind == "photo" else sb.max_upload
        if len(value.data) > limit:
            raise ApiError(413, "Request Entity Too Large")
        return sb.files.add(
            kind, value.data, mime_type=value.content_type, file_name=value.filename
        )
    stored = sb.files.get(value) if isinstance(value, str) else None
    if stored is None:
        raise bad_request(WRONG_FILE)
    return stored


def media_content(sb: Sandbox, p: dict, item: dict, kind: str) -> tuple[dict, Parsed | None, str]:
    value = p.get(kind) if item is p else item.get("media")
    if value in (None, ""):
        raise bad_request(f"there is no {kind} in the request")
    caption = caption_of(sb, item)
    stored = stored_input(sb, p, value, kind)
    content: dict[str, Any] = {kind: media_dict(kind, stored)}
    if caption:
        content.update(content_of(caption, "caption"))
    file_id = content[kind][-1]["file_id"] if kind == "photo" else stored.file_id
    return content, caption, file_id


def _send_media(kind: str) -> Method:
    def send(sb: Sandbox, p: dict) -> dict:
        chat = target_chat(sb, p)
        thread_id, reply = thread_of(chat, p), reply_of(chat, p)
        markup = check_markup(p.get("reply_markup"))
        content, _, file_id = media_content(sb, p, p, kind)
        rate(sb, chat)
        message = sb.post_bot_message(
            chat,
            content,
            html=p.get("caption") or "",
            kind=kind,
            thread_id=thread_id,
            reply_markup=markup,
            reply_to=reply,
            file_id=file_id,
        )
        return message.raw

    return send


for _kind, _name in (
    ("photo", "sendPhoto"),
    ("document", "sendDocument"),
    ("video", "sendVideo"),
    ("sticker", "sendSticker"),
    ("audio", "sendAudio"),
    ("voice", "sendVoice"),
    ("animation", "sendAnimation"),
):
    method(_name)(_send_media(_kind))


@method("sendMediaGroup")
def send_media_group(sb: Sandbox, p: dict) -> list:
    chat = target_chat(sb, p)
    thread_id, reply = thread_of(chat, p), reply_of(chat, p)
    media = p.get("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media specified; must be 2-10")
    prepared = []
    for item in media:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in ("photo", "video", "document", "audio"):
            raise bad_request("can't parse InputMedia JSON object")
        prepared.append((kind, item, *media_content(sb, p, item, kind)))
    rate(sb, chat)
    group_id = str(next(sb._media_group_ids))
    results = []
    for kind, item, content, _, file_id in prepared:
        content["media_group_id"] = group_id
        message = sb.post_bot_message(
            chat,
            content,
            html=item.get("caption") or "",
            kind=kind,
            thread_id=thread_id,
            reply_to=reply,
            file_id=file_id,
        )
        results.append(message.raw)
    return results


def _copied_content(source: dict) -> dict:
    keys = ("text", "entities", "caption", "caption_entities", "photo", "document", "video")
    content = {key: source[key] for key in (*keys, "sticker", "audio", "voice") if key in source}
    if not content:
        raise bad_request("message can't be copied")
    return content


def _kind_of(content: dict) -> str:
    return next((k for k in ("photo", "document", "video", "sticker") if k in content), "text")


@method("copyMessage")
def copy_message(sb: Sandbox, p: dict) -> dict:
    return {"message_id": _copy(sb, p, forward=False).message_id}


@method("forwardMessage")
def forward_message(sb: Sandbox, p: dict) -> dict:
    return _copy(sb, p, forward=True).raw


def _copy(sb: Sandbox, p: dict, forward: bool) -> BotMessage:
    source_chat = target_chat(sb, p, "from_chat_id", sending=False)
    chat = target_chat(sb, p)
    thread_id = thread_of(chat, p)
    source = source_chat.messages.get(p.get("message_id"))
    if source is None:
        raise bad_request(f"message to {'forward' if forward else 'copy'} not found")
    content = _copied_content(source)
    if not forward and "caption" in p:
        content.pop("caption_entities", None)
        caption = caption_of(sb, p)
        content.pop("caption", None)
        if caption:
            content.update(content_of(caption, "caption"))
    if forward:
        sender = source.get("from", {})
        origin = {"type": "user", "sender_user": sender, "date": source["date"]}
        content["forward_origin"] = origin
    markup = None if forward else check_markup(p.get("reply_markup"))
    rate(sb, chat)
    kind = _kind_of(content)
    return sb.post_bot_message(
        chat,
        content,
        html=content.get("text", content.get("caption", "")),
        kind=kind,
        thread_id=thread_id,
        reply_markup=markup,
    )


# --- editing and deleting --------------------------------------------------------------------


def _edit_target(sb: Sandbox, p: dict) -> tuple[SandboxChat, BotMessage]:
    if p.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline mode is not part of the sandbox
    chat = target_chat(sb, p, sending=False)
    message = own_message(chat, p, "message to edit not found")
    rate(sb, chat)  # edits share their chat's flood control (telegram.md)
    return chat, message


def _apply_edit(sb: Sandbox, chat: SandboxChat, message: BotMessage, changes: dict) -> dict:
    raw = message.raw
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    raw["edit_date"] = int(time.time())
    message.text = raw.get("text", raw.get("caption", ""))
    message.reply_markup = raw.get("reply_markup")
    message.buttons = buttons_of(message.reply_markup)
    message.edited = True
    sb.log_bot_edit(chat, message)
    return raw


def _inline_only(markup: dict | None) -> dict | None:
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


@method("editMessageText")
def edit_message_text(sb: Sandbox, p: dict) -> dict:
    chat, message = _edit_target(sb, p)
    parsed = message_text(sb, p)
    markup = _inline_only(check_markup(p.get("reply_markup")))
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    raw = message.raw
    same_text = parsed.text == raw.get("text") and parsed.entities == raw.get("entities", [])
    if same_text and markup == raw.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    message.html = p["text"]
    changes = {"text": parsed.text, "entities": parsed.entities or None, "reply_markup": markup}
    return _apply_edit(sb, chat, message, changes)


@method("editMessageCaption")
def edit_message_caption(sb: Sandbox, p: dict) -> dict:
    chat, message = _edit_target(sb, p)
    parsed = caption_of(sb, p) or Parsed("", [])
    markup = _inline_only(check_markup(p.get("reply_markup")))
    if message.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    raw = message.raw
    same = parsed.text == raw.get("caption", "") and parsed.entities == raw.get(
        "caption_entities", []
    )
    if same and markup == raw.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    message.html = p.get("caption") or ""
    changes = {
        "caption": parsed.text or None,
        "caption_entities": parsed.entities or None,
        "reply_markup": markup,
    }
    return _apply_edit(sb, chat, message, changes)


@method("editMessageMedia")
def edit_message_media(sb: Sandbox, p: dict) -> dict:
    """Another photo, video or document in place of a message's own, with its caption (a text
    message has none to replace)."""
    chat, message = _edit_target(sb, p)
    item = p.get("media")
    if not isinstance(item, dict) or item.get("type") not in ("photo", "video", "document"):
        raise bad_request("can't parse InputMedia: media type is not specified")
    if message.kind not in ("photo", "video", "document"):
        raise bad_request("there is no media in the message to edit")
    markup = _inline_only(check_markup(p.get("reply_markup")))
    kind = item["type"]
    content, _, file_id = media_content(sb, p, item, kind)
    changes: dict[str, Any] = dict.fromkeys(("photo", "video", "document", "caption_entities"))
    changes["caption"] = None
    changes.update(content)
    changes["reply_markup"] = markup
    message.kind, message.file_id = kind, file_id
    message.html = item.get("caption") or ""
    return _apply_edit(sb, chat, message, changes)


@method("editMessageReplyMarkup")
def edit_message_reply_markup(sb: Sandbox, p: dict) -> dict:
    chat, message = _edit_target(sb, p)
    markup = _inline_only(check_markup(p.get("reply_markup")))
    if markup == message.raw.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    return _apply_edit(sb, chat, message, {"reply_markup": markup})


def _delete(sb: Sandbox, chat: SandboxChat, message_id: Any) -> bool:
    raw = chat.messages.get(message_id)
    if raw is None:
        return False
    from_bot = raw.get("from", {}).get("id") == sb.bot_id
    if chat.is_group and not from_bot and chat.bot_status != "administrator":
        raise bad_request("message can't be deleted")
    del chat.messages[message_id]
    for message in chat.bot_messages:
        if message.raw is raw:
            message.deleted = True
    sb.log_bot_delete(chat, raw)
    return True


@method("deleteMessage")
def delete_message(sb: Sandbox, p: dict) -> bool:
    chat = target_chat(sb, p, sending=False)
    if not _delete(sb, chat, p.get("message_id")):
        raise bad_request("message to delete not found")
    return True


@method("deleteMessages")
def delete_messages(sb: Sandbox, p: dict) -> bool:
    chat = target_chat(sb, p, sending=False)
    for message_id in p.get("message_ids") or []:
        _delete(sb, chat, message_id)
    return True


@method("answerCallbackQuery")
def answer_callback_query(sb: Sandbox, p: dict) -> bool:
    record = sb._callbacks.get(str(p.get("callback_query_id")))
    if record is None or record.answered or time.monotonic() - record.created > sb.callback_timeout:
        raise bad_request(TOO_OLD)
    text = p.get("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.answer = dict(p)
    if text:
        mark = "⚠" if p.get("show_alert") else "ⓘ"
        sb._log(f"bot {mark} {record.user_name}: {text}")
    return True


@method("pinChatMessage")
def pin_chat_message(sb: Sandbox, p: dict) -> bool:
    chat = target_chat(sb, p, sending=False)
    if p.get("message_id") not in chat.messages:
        raise bad_request("message to pin not found")
    return True


@method("unpinChatMessage")
def unpin_chat_message(sb: Sandbox, p: dict) -> bool:
    target_chat(sb, p, sending=False)
    return True


@method("unpinAllChatMessages")
def unpin_all_chat_messages(sb: Sandbox, p: dict) -> bool:
    target_chat(sb, p, sending=False)
    return True


# --- files and chats -------------------------------------------------------------------------


@method("getFile")
def get_file(sb: Sandbox, p: dict) -> dict:
    stored = sb.files.get(p.get("file_id")) if isinstance(p.get("file_id"), str) else None
    if stored is None:
        raise bad_request(WRONG_FILE)
    if stored.size > sb.max_download:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


@method("getChat")
def get_chat(sb: Sandbox, p: dict) -> dict:
    chat = target_chat(sb, p, sending=False)
    gifts = dict.fromkeys(
        (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        ),
        False,
    )
    return {
        **chat.to_dict(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }


def _user_dict(sb: Sandbox, user_id: Any) -> dict:
    if user_id == sb.bot_id:
        return sb.bot_user
    user = sb._users.get(user_id) if isinstance(user_id, int) else None
    if user is None:
        raise bad_request("user not found")
    return user.to_dict()


@method("getChatMember")
def get_chat_member(sb: Sandbox, p: dict) -> dict:
    chat = target_chat(sb, p, sending=False)
    user_id = p.get("user_id")
    user = _user_dict(sb, user_id)
    if user_id == sb.bot_id:
        status = "member" if chat.user is not None else chat.bot_status
    elif chat.user is not None:
        status = "member" if user_id == chat.id else "left"
    else:
        status = chat.status_of(user_id)
    return member_dict(user, status, chat)


@method("getChatAdministrators")
def get_chat_administrators(sb: Sandbox, p: dict) -> list:
    chat = target_chat(sb, p, sending=False)
    if chat.user is not None:
        raise bad_request("there are no administrators in the private chat")
    admins = [member_dict(_user_dict(sb, chat.creator_id), "creator", chat)]
    for user_id in sorted(chat.admins - {chat.creator_id}):
        admins.append(member_dict(_user_dict(sb, user_id), "administrator", chat))
    if chat.bot_status == "administrator":
        admins.append(member_dict(sb.bot_user, "administrator", chat))
    return admins


@method("getChatMemberCount")
def get_chat_member_count(sb: Sandbox, p: dict) -> int:
    chat = target_chat(sb, p, sending=False)
    if chat.user is not None:
        return 2
    return len(chat.members) + (chat.bot_status in ("member", "administrator"))


@method("leaveChat")
def leave_chat(sb: Sandbox, p: dict) -> bool:
    chat = target_chat(sb, p, sending=False)
    if chat.user is not None:
        raise bad_request("chat member status can't be changed in private chats")
    old, chat.bot_status = chat.bot_status, "left"
    sb._log(f"bot leaves {chat.name}")
    sb._bot_membership_update(chat, sb.bot_user, old, "left")
    return True
