"""Which of our three locales a person reads."""

from __future__ import annotations

LOCALES = ("zh-Hant", "zh-Hans", "en")
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def from_telegram(language_code: str | None, default: str) -> str:
    """Telegram sends IETF tags such as 'zh-hans', 'zh-TW' or 'en-GB' (or nothing)."""
    if not language_code:
        return default
    code = language_code.lower().replace("_", "-")
    if code.startswith(_TRADITIONAL):
        return "zh-Hant"
    if code == "zh" or code.startswith("zh-"):
        return "zh-Hans"
    # Anyone else reads English sooner than Chinese.
    return "en"


def choose(chosen: str | None, language_code: str | None, default: str) -> str:
    return chosen if chosen in LOCALES else from_telegram(language_code, default)
