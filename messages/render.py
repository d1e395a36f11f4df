"""Every word a user reads: one Jinja2 template per screen, the words of each locale in a
gettext catalog, autoescaped for Telegram HTML.

    templates/<area>/<screen>.html             layout and logic once, English words marked
    labels.toml                                plain labels for buttons and menus: key = English
    locales/<ll_Script>/LC_MESSAGES/messages.po  one locale's words (English needs none)

The catalogs are read as they are when Messages is made: no compile step, no .mo file.
README.md in this folder tells how to add a screen and how to regenerate the catalogs.
"""

from __future__ import annotations

import gettext
import html
import re
import tomllib
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from messages.split import SECTION_BREAK, TELEGRAM_LIMIT, split_html, unmarked

LOCALES = ("zh-Hant", "zh-Hans", "en")
SOURCE_LOCALE = "en"  # the msgids are English, so English is the templates as written
ALERT_LIMIT = 200  # answerCallbackQuery text
_BLANK_LINES = re.compile(r"\n{3,}")
ROOT = Path(__file__).parent
# Each as (this year, another year): the year is shown only when it is not the current one.
_DAY_FORMATS = {
    "zh-Hant": ("%-m月%-d日", "%Y年%-m月%-d日"),
    "zh-Hans": ("%-m月%-d日", "%Y年%-m月%-d日"),
    "en": ("%-d %b", "%-d %b %Y"),
}
_MONTH_FORMATS = {
    "zh-Hant": ("%-m月", "%Y年%-m月"),
    "zh-Hans": ("%-m月", "%Y年%-m月"),
    "en": ("%b", "%b %Y"),
}
_DATE_FORMATS = {
    "zh-Hant": ("%-m月%-d日 %H:%M", "%Y年%-m月%-d日 %H:%M"),
    "zh-Hans": ("%-m月%-d日 %H:%M", "%Y年%-m月%-d日 %H:%M"),
    "en": ("%-d %b %H:%M", "%-d %b %Y %H:%M"),
}


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class Messages:
    """`text(locale, "start/welcome", name=...)` renders templates/start/welcome.html in that
    locale; `label(locale, "cancel")` gives a short plain label named in labels.toml.

    The locale and the key are positional-only and nothing else is a keyword, so every
    keyword argument reaches the template: a screen may use `limit`, `locale` or `key`.

    `clock` says which year is this year, so dates in it go without one; the bot passes its
    own clock, the one its tests move."""

    def __init__(
        self, timezone: ZoneInfo, root: Path = ROOT, clock: Callable[[], datetime] = _wall_clock
    ) -> None:
        self.timezone = timezone
        self.root = root
        self.clock = clock
        with (root / "labels.toml").open("rb") as handle:
            self._labels: dict[str, str] = tomllib.load(handle)
        self._translations = {locale: _translations(root, locale) for locale in LOCALES}
        # One environment per locale: the locale is bound into filters and gettext, so it
        # needs no place among the template's variables, where it could collide.
        self._envs = {locale: self._environment(locale) for locale in LOCALES}

    def _environment(self, locale: str) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.root / "templates")),
            autoescape=True,  # Jinja's default is off; every value is user text until proven not
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            extensions=["jinja2.ext.i18n"],
        )
        env.policies["ext.i18n.trimmed"] = False  # a message's line breaks are its own
        # Newstyle: placeholders are filled and escaped by gettext itself, also in _("…", x=…).
        env.install_gettext_translations(self._translations[locale], newstyle=True)
        env.filters["when"] = lambda moment: self.when(locale, moment)
        env.filters["day"] = lambda day: self._dated(day, _DAY_FORMATS[locale])  # a calendar day
        env.filters["month"] = lambda day: self._dated(day, _MONTH_FORMATS[locale])
        env.filters["loc"] = lambda value: value.get(locale)
        env.filters["amount"] = _amount
        env.globals["label"] = lambda key, /, **context: self.label(locale, key, **context)
        env.globals["section_break"] = SECTION_BREAK
        env.globals["locale"] = locale  # the reader's; a variable of that name passed in wins
        return env

    def text(self, locale: str, key: str, /, **context: Any) -> str:
        return unmarked(self._rendered(locale, key, context)).strip()

    def texts(self, locale: str, key: str, /, **context: Any) -> list[str]:
        """The same, split into as many messages as Telegram needs (where the template marks
        a `section_break`, if it can)."""
        return split_html(self._rendered(locale, key, context), TELEGRAM_LIMIT)

    def _rendered(self, locale: str, key: str, context: dict[str, Any]) -> str:
        template = self._envs[locale].get_template(f"{key}.html")
        # Optional blocks leave blank lines behind; a message never needs more than one.
        rendered = template.render(context)  # a dict: render(**context) would clash on `self`
        return _BLANK_LINES.sub("\n\n", rendered).strip()

    def alert(self, locale: str, key: str, /, **context: Any) -> str:
        """A template as plain text for a callback alert: no markup, at most 200 characters."""
        plain = html.unescape(re.sub(r"<[^>]*>", "", self.text(locale, key, **context)))
        return plain if len(plain) <= ALERT_LIMIT else plain[: ALERT_LIMIT - 1] + "…"

    def label(self, locale: str, key: str, /, **context: Any) -> str:
        words = self._translations[locale].pgettext(key, self._labels[key])
        return words % context  # plain text: filled, not escaped

    def template_keys(self, locale: str) -> set[str]:
        """The same for every locale: one template serves them all."""
        base = self.root / "templates"
        return {str(p.relative_to(base).with_suffix("")) for p in base.rglob("*.html")}

    def label_keys(self, locale: str) -> set[str]:
        """The same for every locale: labels.toml names them all."""
        return set(self._labels)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone)

    def when(self, locale: str, moment: datetime) -> str:
        """A moment as the `when` filter shows it, for button labels."""
        return self._dated(self.local(moment), _DATE_FORMATS[locale])

    def _dated(self, day: date, formats: tuple[str, str]) -> str:
        """In the first format this year (in the campaign's time zone), else in the second."""
        return day.strftime(formats[day.year != self.local(self.clock()).year])

    def joined(self, locale: str, items: Iterable[str]) -> str:
        """A list in a sentence, separated as the locale separates one ("a, b" / "甲、乙")."""
        return self._translations[locale].gettext(", ").join(items)


def catalog_path(root: Path, locale: str) -> Path:
    return root / "locales" / locale.replace("-", "_") / "LC_MESSAGES" / "messages.po"


def _translations(root: Path, locale: str) -> gettext.NullTranslations:
    if locale == SOURCE_LOCALE:
        return gettext.NullTranslations()
    return Translations(BytesIO(_compiled(catalog_path(root, locale))), domain="messages")


@cache
def _compiled(po_path: Path) -> bytes:
    """The catalog as .mo bytes, once per process (reading a .po takes milliseconds).

    Fuzzy and empty entries are left out, so they would show the English: tests forbid both."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=True)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    return compiled.getvalue()


def _amount(value: Decimal) -> str:
    """125000 -> 125,000; 12.50 -> 12.5"""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
