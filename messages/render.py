"""The one Jinja2 environment: templates by key and locale, autoescaped for Telegram HTML."""

from __future__ import annotations

import html
import re
import tomllib
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from messages.split import TELEGRAM_LIMIT, split_html

LOCALES = ("zh-Hant", "zh-Hans", "en")
ALERT_LIMIT = 200  # answerCallbackQuery text
_BLANK_LINES = re.compile(r"\n{3,}")
ROOT = Path(__file__).parent
_DATE_FORMATS = {
    "zh-Hant": "%Y年%-m月%-d日 %H:%M",
    "zh-Hans": "%Y年%-m月%-d日 %H:%M",
    "en": "%-d %b %Y %H:%M",
}


class Messages:
    """`text(locale, "start/welcome", name=...)` renders messages/<locale>/start/welcome.html;
    `label(locale, "cancel")` renders a short plain label from messages/<locale>/labels.toml."""

    def __init__(self, timezone: ZoneInfo, root: Path = ROOT) -> None:
        self.timezone = timezone
        self.root = root
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(root)),
            autoescape=True,  # Jinja's default is off; every value is user text until proven not
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["when"] = jinja2.pass_context(
            lambda ctx, moment: self.local(moment).strftime(_DATE_FORMATS[ctx["locale"]])
        )
        self.env.filters["loc"] = jinja2.pass_context(lambda ctx, value: value.get(ctx["locale"]))
        self.env.filters["amount"] = _amount
        self.env.globals["label"] = jinja2.pass_context(
            lambda ctx, key, **kw: self.label(ctx["locale"], key, **kw)
        )
        # Labels are plain text (buttons), so they get their own non-escaping environment.
        self._label_env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
        self._labels = {locale: self._load_labels(locale) for locale in LOCALES}

    def _load_labels(self, locale: str) -> dict[str, str]:
        with (self.root / locale / "labels.toml").open("rb") as handle:
            return tomllib.load(handle)

    def text(self, locale: str, key: str, **context: Any) -> str:
        template = self.env.get_template(f"{locale}/{key}.html")
        # Optional blocks leave blank lines behind; a message never needs more than one.
        return _BLANK_LINES.sub("\n\n", template.render(locale=locale, **context)).strip()

    def texts(self, locale: str, key: str, limit: int = TELEGRAM_LIMIT, **context: Any):
        """The same, split into as many messages as Telegram needs."""
        return split_html(self.text(locale, key, **context), limit)

    def alert(self, locale: str, key: str, **context: Any) -> str:
        """A template as plain text for a callback alert: no markup, at most 200 characters."""
        plain = html.unescape(re.sub(r"<[^>]*>", "", self.text(locale, key, **context)))
        return plain if len(plain) <= ALERT_LIMIT else plain[: ALERT_LIMIT - 1] + "…"

    def label(self, locale: str, key: str, **context: Any) -> str:
        return _compiled(self._label_env, self._labels[locale][key]).render(**context)

    def template_keys(self, locale: str) -> set[str]:
        base = self.root / locale
        return {str(p.relative_to(base).with_suffix("")) for p in base.rglob("*.html")}

    def label_keys(self, locale: str) -> set[str]:
        return set(self._labels[locale])

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone)


def _amount(value: Decimal) -> str:
    """125000 -> 125,000; 12.50 -> 12.5"""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@cache
def _compiled(env: jinja2.Environment, source: str) -> jinja2.Template:
    return env.from_string(source)
