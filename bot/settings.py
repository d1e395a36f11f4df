"""Settings, read once from the environment (and optionally a TOML file) into a typed object."""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API_URL = "https://api.telegram.org"
_ENV = {
    "token": "PACESETTER_TOKEN",
    "api_url": "PACESETTER_API_URL",
    "db": "PACESETTER_DB",
    "campaign": "PACESETTER_CAMPAIGN",
    "admins": "PACESETTER_ADMINS",
    "log_level": "PACESETTER_LOG_LEVEL",
    "proxy": "PACESETTER_PROXY",
    "media_quota_person": "PACESETTER_MEDIA_QUOTA_PERSON",
    "media_quota_total": "PACESETTER_MEDIA_QUOTA_TOTAL",
}
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h", "socks4")
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MB = 2**20
# Copies of reported files, in MB. A phone photo as Telegram sends it is 0.1-0.3 MB: 300 MB
# per person is over a thousand photos (or fifteen 20 MB videos), more than a year of honest
# reports, yet one person can't fill the disk. 20 GB for everyone fits a small server's disk
# beside the database and is ~70 people at their full quota; a bigger campaign raises it.
MEDIA_QUOTA_PERSON = 300
MEDIA_QUOTA_TOTAL = 20 * 1024


class SettingsError(Exception):
    """A missing or bad setting; the message is one line meant for the person starting the bot."""


class Secret:
    """A string that never shows itself in a repr, a log line or a traceback's locals."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    token: Secret | None
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("pacesetter.db")
    campaign_path: Path | None = None  # None: the built-in campaign
    admins: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    # Where Telegram can't be reached directly: every request goes through it. It may carry a
    # password, so it is kept out of logs like the token.
    proxy: Secret | None = None
    media_quota_person: int = MEDIA_QUOTA_PERSON * MB  # bytes
    media_quota_total: int = MEDIA_QUOTA_TOTAL * MB  # bytes

    @property
    def proxy_url(self) -> str | None:
        return self.proxy.reveal() if self.proxy else None

    @property
    def proxy_shown(self) -> str | None:
        """The proxy as an error may name it: its password (if any) left out."""
        if self.proxy is None:
            return None
        scheme, _, rest = self.proxy.reveal().partition("://")
        credentials, at, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if at else f"{scheme}://{rest}"

    def require_token(self) -> Secret:
        if self.token is None:
            raise SettingsError(
                f"{_ENV['token']} is not set: put the bot token from @BotFather in it"
            )
        return self.token


def load_settings(environ: Mapping[str, str] | None = None, config: Path | None = None):
    """Environment variables override the config file; the config file overrides defaults."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = _read_config(config) if config else {}
    for key, name in _ENV.items():
        if environ.get(name, "").strip():
            raw[key] = environ[name].strip()
    return Settings(
        token=_token(raw.get("token")),
        api_url=_api_url(raw.get("api_url", DEFAULT_API_URL)),
        db_path=Path(str(raw.get("db", "pacesetter.db"))),
        campaign_path=Path(str(raw["campaign"])) if raw.get("campaign") else None,
        admins=_admins(raw.get("admins", "")),
        log_level=_log_level(raw.get("log_level", "INFO")),
        proxy=_proxy(raw.get("proxy")),
        media_quota_person=_megabytes("media_quota_person", raw, MEDIA_QUOTA_PERSON),
        media_quota_total=_megabytes("media_quota_total", raw, MEDIA_QUOTA_TOTAL),
    )


def _read_config(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(f"cannot read config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(_ENV))
    if unknown:
        raise SettingsError(
            f"config file {path}: unknown key {unknown[0]!r} (known: {', '.join(_ENV)})"
        )
    return data


def _token(value: object) -> Secret | None:
    if value is None:
        return None
    text = str(value)
    head, _, tail = text.partition(":")
    if not (head.isdigit() and tail and all(c.isalnum() or c in "_-" for c in tail)):
        # Never echo the value: it may be a real token with a typo.
        raise SettingsError(f"{_ENV['token']} does not look like a bot token (digits:letters)")
    return Secret(text)


def _api_url(value: object) -> str:
    text = str(value).rstrip("/")
    if not text.startswith(("http://", "https://")) or len(text) < 10:
        raise SettingsError(f"{_ENV['api_url']} must be an http(s) URL, got {text!r}")
    if "/bot" in text:
        raise SettingsError(
            f"{_ENV['api_url']} is the server root (like {DEFAULT_API_URL}), without /bot<token>"
        )
    return text


def _proxy(value: object) -> Secret | None:
    if value is None:
        return None
    text = str(value).strip()
    scheme, _, rest = text.partition("://")
    if scheme.lower() not in PROXY_SCHEMES or not rest.strip("/"):
        # Not echoed: a proxy URL may hold a password.
        raise SettingsError(
            f"{_ENV['proxy']} must be a proxy URL like http://host:port or socks5://host:port"
            f" (schemes: {', '.join(PROXY_SCHEMES)})"
        )
    return Secret(text)


def _admins(value: object) -> frozenset[int]:
    items = value if isinstance(value, list) else str(value).split(",")
    admins = set()
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.lstrip("-").isdigit():
            raise SettingsError(
                f"{_ENV['admins']} must be comma-separated Telegram user ids, got {text!r}"
            )
        admins.add(int(text))
    return frozenset(admins)


def _megabytes(key: str, raw: dict[str, object], default: int) -> int:
    text = str(raw.get(key, default)).strip()
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{_ENV[key]} must be a whole number of megabytes, got {text!r}")
    return int(text) * MB


def _log_level(value: object) -> str:
    text = str(value).upper()
    if text not in _LEVELS:
        raise SettingsError(f"{_ENV['log_level']} must be one of {', '.join(_LEVELS)}")
    return text


def log_level_number(settings: Settings) -> int:
    return logging.getLevelNamesMapping()[settings.log_level]
