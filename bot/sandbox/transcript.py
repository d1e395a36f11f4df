"""Readable one-entry-per-event lines for `Sandbox.transcript()`."""

from __future__ import annotations

_INDENT = "    "


def describe(message: dict) -> str:
    """Plain-text rendering of a message's content: its text, or "[kind] caption"."""
    if "text" in message:
        return message["text"]
    caption = message.get("caption")
    if "photo" in message:
        label = "[photo]"
    elif "document" in message:
        label = f"[document {message['document'].get('file_name') or ''}]".replace(" ]", "]")
    elif "video" in message:
        label = "[video]"
    elif "sticker" in message:
        label = f"[sticker {message['sticker'].get('emoji', '')}]".replace(" ]", "]")
    else:
        label = "[" + next((k for k in _SERVICE if k in message), "message") + "]"
    return f"{label} {caption}" if caption else label


_SERVICE = (
    "new_chat_members",
    "left_chat_member",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "forum_topic_created",
    "pinned_message",
)


def entry(prefix: str, body: str, buttons: list[list[tuple[str, str]]] | None = None) -> str:
    """`prefix body`, later lines of body indented, then one line per keyboard row."""
    first, *rest = body.split("\n") if body else [""]
    lines = [f"{prefix}{first}"] + [_INDENT + line if line else "" for line in rest]
    for row in buttons or []:
        lines.append("  " + " ".join(f"[ {label} ]" for label, _ in row))
    return "\n".join(lines)
